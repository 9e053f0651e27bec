//! A seeded account (`balcao seed`, small here): statistics read from the per-day counts agree
//! with the messages and tickets themselves for any period, also after deletions; contact
//! search through the trigram index finds fragments of phones, names and e-mails; message search
//! finds every message holding the words, and only those.

use std::collections::HashMap;

use balcao::seed::{SeedOptions, seed};
use balcao_core::Timestamp;
use balcao_core::text::folded;
use balcao_testkit::TestApp;
use balcao_testkit::serde_json::{Value, json};

const DAY: i64 = 86_400_000_000;

async fn seeded(app: &TestApp) -> balcao::seed::Seeded {
    let options = SeedOptions {
        contacts: 60,
        tickets: 150,
        messages: 1_200,
        departments: 3,
        agents: 4,
        days: 40,
        open_days: 5,
        seed: 11,
        account_name: "Loja Semeada".into(),
        admin_email: "admin@semeada.example".into(),
        admin_password: "semeada-password".into(),
    };
    seed(app.service(), app.service().store(), &options)
        .await
        .expect("seeded")
}

/// Every ticket of the account, through the API.
async fn all_tickets(app: &TestApp, token: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/tickets?limit=100&cursor={c}"),
            None => "/api/v1/tickets?limit=100".to_owned(),
        };
        let page = app.get(&path, token).await;
        assert_eq!(page.status, 200, "{}", page.body);
        out.extend(page.body["data"].as_array().expect("data").iter().cloned());
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
}

/// Every message of the given tickets, as the API shows them.
async fn timelines(app: &TestApp, token: &str, tickets: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    for t in tickets {
        let page = app
            .get(
                &format!("/api/v1/tickets/{}/messages?limit=100", t["id"].as_str().expect("id")),
                token,
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        let list = page.body["data"].as_array().expect("data");
        assert!(list.len() < 100, "one page holds a seeded ticket's messages");
        out.extend(list.iter().cloned());
    }
    out
}

/// Every message of the given tickets: (created_at µs, direction, user id).
async fn all_messages(app: &TestApp, token: &str, tickets: &[Value]) -> Vec<(i64, String, Option<String>)> {
    timelines(app, token, tickets)
        .await
        .iter()
        .map(|m| {
            let at = Timestamp::parse_rfc3339(m["created_at"].as_str().expect("created_at")).expect("time");
            (
                at.micros(),
                m["direction"].as_str().expect("direction").to_owned(),
                m["user_id"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn at(micros: i64) -> String {
    Timestamp::from_micros(micros).to_rfc3339()
}

#[tokio::test]
async fn message_statistics_of_any_period_agree_with_the_messages_themselves() {
    let app = TestApp::spawn().await;
    let s = seeded(&app).await;
    let token = s.token.as_str();
    let tickets = all_tickets(&app, token).await;
    assert_eq!(tickets.len(), 150);
    let messages = all_messages(&app, token, &tickets).await;
    assert_eq!(messages.len(), 1_200);
    let now = Timestamp::now().micros();
    let agent = messages
        .iter()
        .find_map(|(_, d, u)| (d == "outbound").then(|| u.clone()).flatten())
        .expect("an agent answered");

    // Periods with edges in the middle of days, whole days, one partial day, all of it.
    let periods = [
        (now - 20 * DAY - DAY / 3, now - 3 * DAY - DAY / 5),
        ((now / DAY - 30) * DAY, (now / DAY - 10) * DAY - 1),
        (now - 2 * DAY / 3, now),
        (now - 10 * DAY + 7, now - 10 * DAY + DAY / 2),
        (now - 60 * DAY, now),
    ];
    let check = |messages: &[(i64, String, Option<String>)], from: i64, to: i64, user: Option<&str>| {
        let inside = |t: &i64| (from..=to).contains(t);
        let sent = messages
            .iter()
            .filter(|(t, d, u)| inside(t) && d == "outbound" && user.is_none_or(|x| u.as_deref() == Some(x)))
            .count();
        let received = messages.iter().filter(|(t, d, _)| inside(t) && d == "inbound").count();
        (sent as i64, received as i64)
    };
    for (from, to) in periods {
        for user in [None, Some(agent.as_str())] {
            let path = format!(
                "/digisac/api/v1/dashboard/general?startPeriod={}&endPeriod={}&userId={}",
                at(from),
                at(to),
                user.unwrap_or("all")
            );
            let stats = app.get(&path, token).await;
            assert_eq!(stats.status, 200, "{}", stats.body);
            let (sent, received) = check(&messages, from, to, user);
            assert_eq!(
                (
                    stats.body["messages"]["sent"].as_i64(),
                    stats.body["messages"]["received"].as_i64()
                ),
                (Some(sent), Some(received)),
                "messages of {} .. {} (user {user:?})",
                at(from),
                at(to)
            );
        }
    }

    // Deleting a contact deletes its messages, and the counts follow.
    let contact = tickets[3]["contact_id"].as_str().expect("contact");
    let gone = app.delete(&format!("/api/v1/contacts/{contact}"), token).await;
    assert!(gone.status == 200 || gone.status == 204, "{}", gone.body);
    let rest: Vec<Value> = tickets.iter().filter(|t| t["contact_id"] != contact).cloned().collect();
    let remaining = all_messages(&app, token, &rest).await;
    assert!(remaining.len() < messages.len());
    let (from, to) = (now - 60 * DAY, now);
    let stats = app
        .get(
            &format!(
                "/digisac/api/v1/dashboard/general?startPeriod={}&endPeriod={}",
                at(from),
                at(to)
            ),
            token,
        )
        .await;
    let (sent, received) = check(&remaining, from, to, None);
    assert_eq!(stats.body["messages"]["sent"].as_i64(), Some(sent));
    assert_eq!(stats.body["messages"]["received"].as_i64(), Some(received));
}

/// A ticket as the statistics see it.
struct Figures {
    started: i64,
    ended: Option<i64>,
    first_reply: Option<i64>,
    resolved: bool,
    department: Option<String>,
}

fn figures(t: &Value) -> Figures {
    let time = |k: &str| {
        t[k].as_str()
            .map(|v| Timestamp::parse_rfc3339(v).expect("time").micros())
    };
    Figures {
        started: time("started_at").expect("started_at"),
        ended: time("ended_at"),
        first_reply: time("first_reply_at"),
        resolved: t["status"] == "resolved",
        department: t["department_id"].as_str().map(str::to_owned),
    }
}

/// Asks the Digisac dashboard for tickets opened and closed in several periods (edges inside
/// days, whole days, one partial day, all of it), of all departments and of one, open, closed
/// or all, and compares every figure with the tickets themselves.
async fn check_ticket_statistics(app: &TestApp, token: &str, department: &str, now: i64) {
    let tickets: Vec<Figures> = all_tickets(app, token).await.iter().map(figures).collect();
    let exact = |micros: i64| Timestamp::parse_rfc3339(&at(micros)).expect("time").micros();
    let periods = [
        (now - 20 * DAY - DAY / 3, now - 3 * DAY - DAY / 5),
        ((now / DAY - 30) * DAY, (now / DAY - 2) * DAY - 1),
        (now - 2 * DAY / 3, now),
        (now - 10 * DAY + 7, now - 10 * DAY + DAY / 2),
        (now - 60 * DAY, now),
    ];
    let average = |(sum, n): (i64, i64)| (n > 0).then(|| sum / n / 1_000_000);
    for (from, to) in periods {
        let (from, to) = (exact(from), exact(to));
        for by_close in [false, true] {
            for dept in [None, Some(department)] {
                for status in ["all", "open", "closed"] {
                    let path = format!(
                        "/digisac/api/v1/dashboard/general?startPeriod={}&endPeriod={}&periodType={}&departmentId={}&status={status}",
                        at(from),
                        at(to),
                        if by_close { "closeDate" } else { "openDate" },
                        dept.unwrap_or("all"),
                    );
                    let stats = app.get(&path, token).await;
                    assert_eq!(stats.status, 200, "{}", stats.body);
                    let mut per_day: HashMap<i64, i64> = HashMap::new();
                    let (mut open, mut closed) = (0, 0);
                    let (mut waiting, mut duration, mut messaging) = ((0, 0), (0, 0), (0, 0));
                    for t in &tickets {
                        let Some(time) = (if by_close { t.ended } else { Some(t.started) }) else {
                            continue;
                        };
                        let wanted = (from..=to).contains(&time)
                            && dept.is_none_or(|d| t.department.as_deref() == Some(d))
                            && match status {
                                "open" => !t.resolved,
                                "closed" => t.resolved,
                                _ => true,
                            };
                        if !wanted {
                            continue;
                        }
                        *per_day.entry(time / DAY).or_default() += 1;
                        if t.resolved {
                            closed += 1;
                        } else {
                            open += 1;
                        }
                        let add = |acc: &mut (i64, i64), span: Option<i64>| {
                            if let Some(span) = span {
                                acc.0 += span;
                                acc.1 += 1;
                            }
                        };
                        add(&mut waiting, t.first_reply.map(|r| r - t.started));
                        add(&mut duration, t.ended.map(|e| e - t.started));
                        add(&mut messaging, t.ended.zip(t.first_reply).map(|(e, r)| e - r));
                    }
                    let body = &stats.body;
                    assert_eq!(body["tickets"]["total"].as_i64(), Some(open + closed), "{path}");
                    assert_eq!(body["tickets"]["open"].as_i64(), Some(open), "{path}");
                    assert_eq!(body["tickets"]["closed"].as_i64(), Some(closed), "{path}");
                    // The API shows times in milliseconds: an average may differ by a second.
                    for (key, expected) in [
                        ("averageWaitingTime", average(waiting)),
                        ("averageTicketTime", average(duration)),
                        ("averageMessagingTime", average(messaging)),
                    ] {
                        let got = body[key].as_i64();
                        assert!(
                            got.zip(expected).is_some_and(|(g, e)| (g - e).abs() <= 1) || got == expected,
                            "{key} {got:?}, expected {expected:?}: {path}"
                        );
                    }
                    let by_day = body["byDay"].as_array().expect("byDay");
                    assert_eq!(by_day.len(), per_day.len(), "{path}: {by_day:?}");
                    for d in by_day {
                        let day = Timestamp::parse_rfc3339(&format!("{}T00:00:00Z", d["date"].as_str().expect("date")))
                            .expect("date")
                            .micros()
                            / DAY;
                        assert_eq!(d["tickets"].as_i64(), per_day.get(&day).copied(), "{path}");
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn ticket_statistics_of_any_period_follow_every_change_of_the_tickets() {
    let app = TestApp::spawn().await;
    let s = seeded(&app).await;
    let token = s.token.as_str();
    let now = Timestamp::now().micros();
    let department = s.departments[1].0.to_string();
    check_ticket_statistics(&app, token, &department, now).await;

    // Tickets change: one is closed, one transferred to the department, one reopened, and a
    // contact with its tickets deleted. Every figure follows.
    let tickets = all_tickets(&app, token).await;
    let active: Vec<&Value> = tickets.iter().filter(|t| t["status"] != "resolved").collect();
    assert!(active.len() >= 2, "the seed leaves recent tickets open");
    let closed = app
        .post(
            &format!("/api/v1/tickets/{}/close", active[0]["id"].as_str().expect("id")),
            token,
            json!({}),
        )
        .await;
    assert_eq!(closed.status, 200, "{}", closed.body);
    let moved = active
        .iter()
        .skip(1)
        .find(|t| t["department_id"].as_str() != Some(department.as_str()))
        .expect("an open ticket of another department");
    let transferred = app
        .post(
            &format!("/api/v1/tickets/{}/transfer", moved["id"].as_str().expect("id")),
            token,
            json!({ "department_id": department }),
        )
        .await;
    assert_eq!(transferred.status, 200, "{}", transferred.body);
    let busy: Vec<&Value> = active.iter().map(|t| &t["contact_id"]).collect();
    let old = tickets
        .iter()
        .find(|t| {
            t["status"] == "resolved"
                && !busy.contains(&&t["contact_id"])
                && t["contact_id"] != tickets[5]["contact_id"]
        })
        .expect("a closed ticket of a contact without an open one");
    let reopened = app
        .post(
            &format!("/api/v1/tickets/{}/reopen", old["id"].as_str().expect("id")),
            token,
            json!({}),
        )
        .await;
    assert_eq!(reopened.status, 200, "{}", reopened.body);
    let gone = app
        .delete(
            &format!(
                "/api/v1/contacts/{}",
                tickets[5]["contact_id"].as_str().expect("contact")
            ),
            token,
        )
        .await;
    assert!(gone.status == 200 || gone.status == 204, "{}", gone.body);
    assert!(
        all_tickets(&app, token).await.len() < tickets.len(),
        "the contact's tickets went with it"
    );
    check_ticket_statistics(&app, token, &department, now).await;
}

#[tokio::test]
async fn contact_search_finds_fragments_of_phones_names_and_emails() {
    let app = TestApp::spawn().await;
    let s = seeded(&app).await;
    let token = s.token.as_str();
    let all = app.get("/api/v1/contacts?limit=100", token).await;
    let contacts = all.body["data"].as_array().expect("data").clone();
    assert_eq!(contacts.len(), 60);
    let contains = |c: &Value, needle: &str| {
        ["name", "internal_name", "alternative_name", "email", "phone"]
            .iter()
            .any(|k| {
                c[*k]
                    .as_str()
                    .is_some_and(|v| v.to_lowercase().contains(&needle.to_lowercase()))
            })
    };
    let search = |q: String| {
        let app = &app;
        async move {
            let found = app.get(&format!("/api/v1/contacts?q={q}&limit=100"), token).await;
            assert_eq!(found.status, 200, "{}", found.body);
            found.body["data"].as_array().expect("data").clone()
        }
    };
    let phone = contacts[17]["phone"].as_str().expect("phone").to_owned();
    let fragment = &phone[5..10];
    let found = search(fragment.to_owned()).await;
    assert!(
        found.iter().any(|c| c["id"] == contacts[17]["id"]),
        "{fragment} finds {phone}"
    );
    let expected = contacts.iter().filter(|c| contains(c, fragment)).count();
    assert_eq!(
        found.len(),
        expected,
        "every contact holding {fragment}, and only those"
    );

    // A name fragment in another case; a three-letter one; an e-mail's; a two-letter one (no index).
    let name = contacts[5]["name"].as_str().expect("name").to_owned();
    for q in [
        name[1..5].to_uppercase(),
        name[..3].to_owned(),
        "exemplo.com".to_owned(),
        name[..2].to_owned(),
    ] {
        let found = search(q.clone()).await;
        let expected: Vec<&Value> = contacts.iter().filter(|c| contains(c, &q)).collect();
        assert_eq!(found.len(), expected.len(), "search for {q:?}");
        assert!(found.iter().all(|c| contains(c, &q)), "search for {q:?}");
    }

    // Found contacts page in the order asked for: small pages walked by their cursors give every
    // match once, in order.
    let common = "exemplo.com";
    let mut matches: Vec<&Value> = contacts.iter().filter(|c| contains(c, common)).collect();
    assert!(matches.len() > 10, "most seeded contacts have an e-mail");
    for (sort, key) in [("name", "name"), ("-created", "id")] {
        let mut walked: Vec<Value> = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/contacts?q={common}&limit=7&sort={sort}&cursor={c}"),
                None => format!("/api/v1/contacts?q={common}&limit=7&sort={sort}"),
            };
            let page = app.get(&path, token).await;
            assert_eq!(page.status, 200, "{}", page.body);
            walked.extend(page.body["data"].as_array().expect("data").iter().cloned());
            match page.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        matches.sort_by(|a, b| {
            let by = |c: &Value| {
                (
                    c[key].as_str().unwrap_or_default().to_owned(),
                    c["id"].as_str().unwrap_or_default().to_owned(),
                )
            };
            if sort.starts_with('-') {
                by(b).cmp(&by(a))
            } else {
                by(a).cmp(&by(b))
            }
        });
        let ids = |list: &[&Value]| list.iter().map(|c| c["id"].clone()).collect::<Vec<_>>();
        assert_eq!(
            ids(&walked.iter().collect::<Vec<_>>()),
            ids(&matches),
            "sorted by {sort}"
        );
    }

    // Renamed and deleted contacts are found by what they are now.
    let id = contacts[8]["id"].as_str().expect("id");
    let renamed = app
        .patch(
            &format!("/api/v1/contacts/{id}"),
            token,
            json!({"name": "Zuleika Quaresma"}),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    let found = search("ZULEIKA".to_owned()).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["id"], id);
    assert!(search("leika quar".replace(' ', "%20")).await.len() == 1);
    app.delete(&format!("/api/v1/contacts/{id}"), token).await;
    assert!(search("Zuleika".to_owned()).await.is_empty());
}

#[tokio::test]
async fn message_search_finds_every_message_holding_the_words_and_only_those() {
    let app = TestApp::spawn().await;
    let s = seeded(&app).await;
    let token = s.token.as_str();
    let tickets = all_tickets(&app, token).await;
    let messages = timelines(&app, token, &tickets).await;
    let order_number = messages
        .iter()
        .filter_map(|m| m["text"].as_str())
        .find_map(|t| t.strip_prefix("O número do pedido é "))
        .expect("a customer gave an order number")
        .to_owned();
    for q in [
        "boleto",
        "NAO chegou",
        "obrigado",
        "ENTREGA prazo",
        order_number.as_str(),
        "camiseta azul",
    ] {
        let words: Vec<String> = folded(q).split(' ').map(str::to_owned).collect();
        let mut expected: Vec<&str> = messages
            .iter()
            .filter(|m| {
                let text = folded(m["text"].as_str().unwrap_or_default());
                let have: Vec<&str> = text.split(|c: char| !c.is_alphanumeric()).collect();
                words.iter().all(|w| have.contains(&w.as_str()))
            })
            .map(|m| m["id"].as_str().expect("id"))
            .collect();
        expected.sort_unstable();
        let mut found = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/messages/search?q={}&limit=100", q.replace(' ', "%20"));
            if let Some(a) = &after {
                path.push_str(&format!("&after={a}"));
            }
            let page = app.get(&path, token).await;
            assert_eq!(page.status, 200, "{q}: {}", page.body);
            for hit in page.body["data"].as_array().expect("data") {
                assert_eq!(hit["ticket"]["id"], hit["ticket_id"], "{hit}");
                assert_eq!(hit["contact"]["id"], hit["contact_id"], "{hit}");
                found.push(hit["id"].as_str().expect("id").to_owned());
            }
            match page.body["next_after"].as_str() {
                Some(a) => after = Some(a.to_owned()),
                None => break,
            }
        }
        let pages = found.len();
        found.sort_unstable();
        found.dedup();
        assert_eq!(found.len(), pages, "{q}: no message on two pages");
        assert_eq!(found, expected, "{q}: every message holding the words, and only those");
        if q != "camiseta azul" {
            assert!(!expected.is_empty(), "{q} is in the seeded conversations");
        }
    }
}
