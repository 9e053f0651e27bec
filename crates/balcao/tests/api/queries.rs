//! Reads cost a constant number of statements however many rows they return (no N+1).

use balcao_core::{
    AccountId, ConnectionId, Contact, ContactId, DeliveryStatus, DepartmentId, Direction, Message, MessageId,
    MessageType, Origin, Ticket, TicketId, TicketStatus, Timestamp, UserId,
};
use balcao_testkit::TestApp;
use balcao_testkit::serde_json::json;
use reqwest::StatusCode;
use uuid::Uuid;

const TICKETS: usize = 10_000;

fn uuid(s: &str) -> Uuid {
    Uuid::parse_str(s).expect("uuid")
}

/// Seeds `TICKETS` contacts, each with an open ticket (department, user, last message), straight
/// through the store in one transaction.
async fn seed(
    app: &TestApp,
    account: AccountId,
    connection: ConnectionId,
    departments: &[DepartmentId],
    users: &[UserId],
) {
    let now = Timestamp::now();
    let mut contacts = Vec::with_capacity(TICKETS);
    let mut tickets = Vec::with_capacity(TICKETS);
    let mut messages = Vec::with_capacity(TICKETS);
    for i in 0..TICKETS {
        let mut contact = Contact::bare(
            ContactId::new(),
            account,
            connection,
            format!("Cliente {i}"),
            Some(format!("55119{i:08}")),
            now,
        );
        contact.last_message_at = Some(now);
        contact.unread_count = 1;
        let ticket_id = TicketId::new();
        let message = Message {
            id: MessageId::new(),
            account_id: account,
            connection_id: connection,
            contact_id: contact.id,
            ticket_id: Some(ticket_id),
            direction: Direction::Inbound,
            kind: MessageType::Text,
            origin: Origin::Contact,
            user_id: None,
            text: Some(format!("mensagem {i}")),
            payload: None,
            quoted_message_id: None,
            media_id: None,
            status: Some(DeliveryStatus::Delivered),
            error_code: None,
            error_text: None,
            external_id: Some(format!("wamid.seed.{i}")),
            edited_at: None,
            revoked_at: None,
            created_at: now,
            updated_at: now,
        };
        tickets.push(Ticket {
            id: ticket_id,
            account_id: account,
            contact_id: contact.id,
            connection_id: connection,
            protocol: format!("20260101{i:06}"),
            status: TicketStatus::Open,
            priority: 1,
            department_id: Some(departments[i % departments.len()]),
            user_id: Some(users[i % users.len()]),
            snoozed_until: None,
            started_at: now,
            ended_at: None,
            first_reply_at: None,
            first_message_id: Some(message.id),
            last_message_id: Some(message.id),
            unread_count: 1,
            topic_ids: Vec::new(),
            custom_fields: Default::default(),
            created_at: now,
            updated_at: now,
        });
        contacts.push(contact);
        messages.push(message);
    }
    let store = app.service().store();
    let mut tx = store.begin().await.expect("begin");
    balcao_store::contacts::insert_many(&mut tx, &contacts)
        .await
        .expect("contacts");
    balcao_store::tickets::insert_many(&mut tx, &tickets)
        .await
        .expect("tickets");
    balcao_store::messages::insert_many(&mut tx, &messages)
        .await
        .expect("messages");
    tx.commit().await.expect("commit");
}

/// `n` departments, each with an agent.
async fn departments_with_agents(app: &TestApp, admin: &str, n: usize) -> (Vec<DepartmentId>, Vec<UserId>) {
    let mut departments = Vec::new();
    let mut users = Vec::new();
    for i in 0..n {
        let d = app
            .post("/api/v1/departments", admin, json!({"name": format!("Fila {i}")}))
            .await;
        departments.push(DepartmentId(uuid(d.str("id"))));
        let u = app
            .post(
                "/api/v1/users",
                admin,
                json!({"name": format!("Agente {i}"), "email": format!("agente{i}@example.com"),
                       "password": "password-1", "department_ids": [d.str("id")]}),
            )
            .await;
        users.push(UserId(uuid(u.str("id"))));
    }
    (departments, users)
}

/// A server without background workers (their polling would count among a request's
/// statements) whose account holds the seeded tickets, spread over `agents` departments with an
/// agent each: the server, an admin's token, the account and its connection.
async fn seeded(agents: usize) -> (TestApp, String, AccountId, ConnectionId) {
    let app = TestApp::spawn_with(|s| s.workers = false).await;
    let admin = app.admin_token().await;
    let account = AccountId(app.account_of(&admin).await);
    let connection = ConnectionId(uuid(&app.connection(&admin, "WA").await));
    let (departments, users) = departments_with_agents(&app, &admin, agents).await;
    seed(&app, account, connection, &departments, &users).await;
    (app, admin, account, connection)
}

/// Statements the server ran to answer `path`.
async fn statements_for(app: &TestApp, token: &str, path: &str) -> (u64, balcao_testkit::serde_json::Value) {
    let before = app.service().store().statements();
    let r = app.get(path, token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    (app.service().store().statements() - before, r.body)
}

#[tokio::test]
async fn a_ticket_page_with_its_relations_costs_the_same_for_10_or_100_of_10000_tickets() {
    let (app, admin, _, _) = seeded(5).await;

    let include = "include=contact,department,user,last_message";
    let (small, page10) = statements_for(&app, &admin, &format!("/api/v1/tickets?limit=10&{include}")).await;
    let (large, page100) = statements_for(&app, &admin, &format!("/api/v1/tickets?limit=100&{include}")).await;
    let (bare, _) = statements_for(&app, &admin, "/api/v1/tickets?limit=100").await;
    assert_eq!(page10["data"].as_array().map(Vec::len), Some(10));
    assert_eq!(page100["data"].as_array().map(Vec::len), Some(100));
    assert_eq!(small, large, "10 and 100 tickets cost the same number of statements");
    assert!(
        large <= bare + 7,
        "the four relations cost 7 statements in all (contacts: rows, tags, custom values; users: rows, memberships): {large} with, {bare} without"
    );

    let item = &page100["data"][42];
    assert_eq!(item["contact"]["id"], item["contact_id"]);
    assert_eq!(item["department"]["id"], item["department_id"]);
    assert_eq!(item["user"]["id"], item["user_id"]);
    assert_eq!(item["last_message"]["id"], item["last_message_id"]);
    assert!(
        item["last_message"]["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("mensagem "))
    );

    // The last page is reached by paging, also at a constant cost per page.
    let after = page100["next_after"].as_str().expect("more pages");
    let (next, _) = statements_for(
        &app,
        &admin,
        &format!("/api/v1/tickets?limit=100&after={after}&{include}"),
    )
    .await;
    assert_eq!(next, large);
    app.get("/api/v1/tickets?include=everything", &admin)
        .await
        .assert_problem(400, "invalid_query");
}

/// The planner's statistics follow the tables as they grow (without them, SQLite guesses that
/// an account filter matches ten rows, and PostgreSQL plans from the sizes it last saw).
#[tokio::test]
async fn planner_statistics_are_refreshed_once_tables_grew() {
    let (app, _, _, _) = seeded(1).await;
    app.service()
        .store()
        .refresh_statistics()
        .await
        .expect("statistics refreshed");
    let url = app.database_url();
    let rows: i64 = if url.starts_with("sqlite:") {
        use sqlx::Connection;
        let mut db = sqlx::SqliteConnection::connect(&url).await.expect("connect");
        // The first figure of an index's statistics is the table's row count.
        let stat: String = sqlx::query_scalar("SELECT stat FROM sqlite_stat1 WHERE idx = 'messages_account_idx'")
            .fetch_one(&mut db)
            .await
            .expect("messages analysed");
        stat.split(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .expect("a row count")
    } else {
        use sqlx::Connection;
        let mut db = sqlx::PgConnection::connect(&url).await.expect("connect");
        let (analysed, rows): (bool, f32) = sqlx::query_as(
            "SELECT s.last_analyze IS NOT NULL OR s.last_autoanalyze IS NOT NULL, c.reltuples \
             FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relname = 'messages'",
        )
        .fetch_one(&mut db)
        .await
        .expect("messages");
        assert!(analysed);
        rows as i64
    };
    assert!(rows >= TICKETS as i64 * 9 / 10, "the statistics saw {rows} messages");
}

/// The batch lookups of inbound messages use their unique keys on tables that grew since
/// they were last analysed (here: never), where both planners misjudge an account filter.
#[tokio::test]
async fn batch_lookups_use_their_keys_on_tables_never_analysed() {
    let (app, _, account, connection) = seeded(1).await;
    let plans = balcao_store::lookup_plans(&mut app.service().store().read(), account, connection)
        .await
        .expect("plans");
    assert_eq!(plans.len(), 4);
    let sqlite = app.database_url().starts_with("sqlite:");
    let wrong: Vec<String> = plans
        .into_iter()
        .filter(|(sql, plan, index)| {
            if sqlite {
                !balcao_store::sqlite_plan_uses(plan, index)
            } else {
                // One scan, of the unique key, with the looked-up values (or, for the update,
                // each row's id) in its condition.
                let scans: Vec<&str> = plan.lines().filter(|l| l.contains("Index Scan")).collect();
                let condition = plan.lines().find(|l| l.trim_start().starts_with("Index Cond:"));
                let keyed = if sql.starts_with("UPDATE") { "(id = " } else { "= ANY" };
                scans.len() != 1
                    || !scans[0].contains(index)
                    || !condition.is_some_and(|c| c.contains(keyed))
                    || plan.contains("Seq Scan")
            }
        })
        .map(|(sql, plan, _)| format!("{sql}:\n{plan}"))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

/// A department's inbox (its open and pending tickets, most recently changed first) is chosen
/// from the index entries alone, and only the page's rows are read whole.
#[tokio::test]
async fn an_inbox_page_is_chosen_from_the_index_alone() {
    let (app, admin, account, _) = seeded(10).await;
    let departments = app.get("/api/v1/departments", &admin).await;
    let department = DepartmentId(uuid(departments.body["data"][0]["id"].as_str().expect("a department")));
    let plan = balcao_store::tickets::inbox_plan(&mut app.service().store().read(), account, department)
        .await
        .expect("plan");
    if app.database_url().starts_with("sqlite:") {
        assert!(plan.contains("COVERING INDEX tickets_department_status_idx"), "{plan}");
        assert!(!plan.lines().any(|l| l.starts_with("SCAN")), "{plan}");
    } else {
        assert!(plan.contains("tickets_department_status_idx"), "{plan}");
        assert!(!plan.contains("Seq Scan"), "{plan}");
    }
}
