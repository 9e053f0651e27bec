//! Tickets, their history entries and closing topics, and the protocol counter.

use std::str::FromStr;

use balcao_core::{
    AccountId, ConnectionId, ContactId, DepartmentId, MessageId, Ticket, TicketAction, TicketEntry, TicketEntryId,
    TicketId, TicketStatus, Timestamp, UserId,
};
use sea_query::{Expr, Func, Iden, OnConflict, Order, Query, SimpleExpr};
use uuid::Uuid;

use crate::db::{execute, fetch_all, fetch_optional};
use crate::{Cursor, CursorValue, Exec, Page, PageRequest, Result, StoreError, Tx};

#[derive(Iden, Clone, Copy)]
enum Tickets {
    Table,
    Id,
    AccountId,
    ContactId,
    ConnectionId,
    Protocol,
    Status,
    Priority,
    DepartmentId,
    UserId,
    SnoozedUntil,
    StartedAt,
    EndedAt,
    FirstReplyAt,
    FirstMessageId,
    LastMessageId,
    UnreadCount,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
enum TicketCounters {
    Table,
    AccountId,
    Value,
}

#[derive(Iden, Clone, Copy)]
enum TicketClosingTopics {
    Table,
    AccountId,
    TicketId,
    TopicId,
}

#[derive(Iden, Clone, Copy)]
enum TicketEntries {
    Table,
    Id,
    AccountId,
    TicketId,
    Action,
    FromDepartmentId,
    ToDepartmentId,
    FromUserId,
    ToUserId,
    ByUserId,
    Comment,
    CreatedAt,
}

const COLUMNS: [Tickets; 18] = [
    Tickets::Id,
    Tickets::AccountId,
    Tickets::ContactId,
    Tickets::ConnectionId,
    Tickets::Protocol,
    Tickets::Status,
    Tickets::Priority,
    Tickets::DepartmentId,
    Tickets::UserId,
    Tickets::SnoozedUntil,
    Tickets::StartedAt,
    Tickets::EndedAt,
    Tickets::FirstReplyAt,
    Tickets::FirstMessageId,
    Tickets::LastMessageId,
    Tickets::UnreadCount,
    Tickets::CreatedAt,
    Tickets::UpdatedAt,
];

#[derive(sqlx::FromRow)]
struct TicketRow {
    id: Uuid,
    account_id: Uuid,
    contact_id: Uuid,
    connection_id: Uuid,
    protocol: String,
    status: String,
    priority: i16,
    department_id: Option<Uuid>,
    user_id: Option<Uuid>,
    snoozed_until: Option<i64>,
    started_at: i64,
    ended_at: Option<i64>,
    first_reply_at: Option<i64>,
    first_message_id: Option<Uuid>,
    last_message_id: Option<Uuid>,
    unread_count: i64,
    created_at: i64,
    updated_at: i64,
}

impl TicketRow {
    fn into_ticket(self, topic_ids: Vec<Uuid>) -> Result<Ticket> {
        let ts = Timestamp::from_micros;
        Ok(Ticket {
            id: TicketId(self.id),
            account_id: AccountId(self.account_id),
            contact_id: ContactId(self.contact_id),
            connection_id: ConnectionId(self.connection_id),
            protocol: self.protocol,
            status: TicketStatus::from_str(&self.status).map_err(|()| StoreError::Corrupt {
                table: "tickets",
                detail: format!("status {}", self.status),
            })?,
            priority: self.priority,
            department_id: self.department_id.map(DepartmentId),
            user_id: self.user_id.map(UserId),
            snoozed_until: self.snoozed_until.map(ts),
            started_at: ts(self.started_at),
            ended_at: self.ended_at.map(ts),
            first_reply_at: self.first_reply_at.map(ts),
            first_message_id: self.first_message_id.map(MessageId),
            last_message_id: self.last_message_id.map(MessageId),
            unread_count: self.unread_count,
            topic_ids,
            custom_fields: Default::default(),
            created_at: ts(self.created_at),
            updated_at: ts(self.updated_at),
        })
    }
}

fn values(t: &Ticket) -> [SimpleExpr; 18] {
    let micros = |t: Option<Timestamp>| t.map(Timestamp::micros);
    [
        t.id.0.into(),
        t.account_id.0.into(),
        t.contact_id.0.into(),
        t.connection_id.0.into(),
        t.protocol.clone().into(),
        t.status.as_str().into(),
        t.priority.into(),
        t.department_id.map(|d| d.0).into(),
        t.user_id.map(|u| u.0).into(),
        micros(t.snoozed_until).into(),
        t.started_at.micros().into(),
        micros(t.ended_at).into(),
        micros(t.first_reply_at).into(),
        t.first_message_id.map(|m| m.0).into(),
        t.last_message_id.map(|m| m.0).into(),
        t.unread_count.into(),
        t.created_at.micros().into(),
        t.updated_at.micros().into(),
    ]
}

/// The account's next ticket number (1, 2, ...): never the same twice, even across failures of
/// the transaction that took it (the number then simply goes unused).
pub async fn next_number(db: &mut impl Exec, account: AccountId) -> Result<i64> {
    Ok(*take_numbers(db, account, 1).await?.start())
}

/// The account's next `n` ticket numbers (at least one), taken in one statement.
pub async fn take_numbers(db: &mut impl Exec, account: AccountId, n: usize) -> Result<std::ops::RangeInclusive<i64>> {
    let n = i64::try_from(n.max(1)).unwrap_or(i64::MAX);
    let stmt = Query::insert()
        .into_table(TicketCounters::Table)
        .columns([TicketCounters::AccountId, TicketCounters::Value])
        .values_panic([account.0.into(), n.into()])
        .on_conflict(
            OnConflict::column(TicketCounters::AccountId)
                .value(
                    TicketCounters::Value,
                    Expr::col((TicketCounters::Table, TicketCounters::Value)).add(n),
                )
                .to_owned(),
        )
        .returning_col(TicketCounters::Value)
        .to_owned();
    let row: Option<(i64,)> = fetch_optional(db, &stmt).await?;
    let last = row.map(|(n,)| n).ok_or(StoreError::Corrupt {
        table: "ticket_counters",
        detail: "no value returned".into(),
    })?;
    Ok(last - n + 1..=last)
}

/// Makes the account's ticket counter at least `n` (after an import that numbered tickets
/// itself), so the next ticket opened gets a number above all of them.
pub async fn raise_number(db: &mut impl Exec, account: AccountId, n: i64) -> Result<()> {
    let stmt = Query::insert()
        .into_table(TicketCounters::Table)
        .columns([TicketCounters::AccountId, TicketCounters::Value])
        .values_panic([account.0.into(), n.into()])
        .on_conflict(
            OnConflict::column(TicketCounters::AccountId)
                .value(
                    TicketCounters::Value,
                    Expr::case(
                        Expr::col((TicketCounters::Table, TicketCounters::Value)).lt(n),
                        Expr::val(n),
                    )
                    .finally(Expr::col((TicketCounters::Table, TicketCounters::Value))),
                )
                .to_owned(),
        )
        .to_owned();
    execute(db, &stmt).await?;
    Ok(())
}

/// Inserts many tickets (imports, tickets opened together), as [`insert`] does.
pub async fn insert_many(db: &mut impl Exec, list: &[Ticket]) -> Result<()> {
    crate::db::insert_rows(db, Tickets::Table, COLUMNS, list, values)
        .await
        .map_err(|e| {
            StoreError::unique_among(
                e,
                &[("active", "ticket"), ("contact_id", "ticket"), ("protocol", "protocol")],
            )
        })
}

/// Inserts a ticket. A second active ticket for the same contact and connection answers
/// [`StoreError::Duplicate`] with field `ticket`.
pub async fn insert(db: &mut impl Exec, t: &Ticket) -> Result<()> {
    insert_many(db, std::slice::from_ref(t)).await
}

/// Writes what new messages change on tickets of one account whose routing they leave alone —
/// the last message, the unread count and the time of the change (the inbox's order) — for
/// many tickets in one statement. Narrower than [`write_activity`] on purpose: SQLite rewrites
/// a row's entry in every index holding a column the update sets, whether its value changed
/// or not, and the status alone is in six of the tickets' indexes; a customer writing again
/// to an open ticket changes none of them.
pub async fn write_last_message(db: &mut impl Exec, account: AccountId, list: &[Ticket]) -> Result<()> {
    let columns = [Tickets::LastMessageId, Tickets::UnreadCount, Tickets::UpdatedAt];
    write_columns(db, account, list, &columns, |t| {
        vec![
            t.last_message_id.map(|m| m.0).into(),
            t.unread_count.into(),
            t.updated_at.micros().into(),
        ]
    })
    .await
}

/// Writes what new messages change on tickets of one account — first and last message, unread
/// count, status, snooze, first reply, update time — for many tickets in one statement.
pub async fn write_activity(db: &mut impl Exec, account: AccountId, list: &[Ticket]) -> Result<()> {
    let micros = |t: Option<Timestamp>| t.map(Timestamp::micros);
    let columns = [
        Tickets::FirstMessageId,
        Tickets::LastMessageId,
        Tickets::UnreadCount,
        Tickets::Status,
        Tickets::SnoozedUntil,
        Tickets::FirstReplyAt,
        Tickets::UpdatedAt,
    ];
    write_columns(db, account, list, &columns, |t| {
        vec![
            t.first_message_id.map(|m| m.0).into(),
            t.last_message_id.map(|m| m.0).into(),
            t.unread_count.into(),
            t.status.as_str().into(),
            micros(t.snoozed_until).into(),
            micros(t.first_reply_at).into(),
            t.updated_at.micros().into(),
        ]
    })
    .await
}

/// Writes `columns` of tickets of one account, their values as `values` answers them in that
/// order, in one statement.
async fn write_columns(
    db: &mut impl Exec,
    account: AccountId,
    list: &[Ticket],
    columns: &[Tickets],
    values: impl Fn(&Ticket) -> Vec<SimpleExpr>,
) -> Result<()> {
    let rows: Vec<(Uuid, Vec<SimpleExpr>)> = list.iter().map(|t| (t.id.0, values(t))).collect();
    crate::db::update_by_id(
        db,
        (Tickets::Table, Tickets::AccountId, Tickets::Id),
        account.0,
        columns,
        &rows,
    )
    .await
    .map_err(|e| StoreError::unique_among(e, &[("active", "ticket"), ("contact_id", "ticket")]))?;
    Ok(())
}

/// Writes every changeable column as it is in `t` (not closing topics).
pub async fn update(db: &mut impl Exec, t: &Ticket) -> Result<bool> {
    let stmt = Query::update()
        .table(Tickets::Table)
        .values(COLUMNS.into_iter().zip(values(t)).skip(5))
        .and_where(Expr::col(Tickets::AccountId).eq(t.account_id.0))
        .and_where(Expr::col(Tickets::Id).eq(t.id.0))
        .to_owned();
    let n = execute(db, &stmt)
        .await
        .map_err(|e| StoreError::unique_among(e, &[("active", "ticket"), ("contact_id", "ticket")]))?;
    Ok(n == 1)
}

async fn with_topics(db: &mut impl Exec, account: AccountId, rows: Vec<TicketRow>) -> Result<Vec<Ticket>> {
    let mut list = rows
        .into_iter()
        .map(|r| r.into_ticket(Vec::new()))
        .collect::<Result<Vec<_>>>()?;
    read_relations(db, account, &mut list).await?;
    Ok(list)
}

/// Reads the closing topics and custom values of tickets read without them (one statement
/// however many tickets).
pub async fn read_relations(db: &mut impl Exec, account: AccountId, list: &mut [Ticket]) -> Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = list.iter().map(|t| t.id.0).collect();
    let (mut topics, mut fields) = crate::custom_fields::with_ids_of(
        db,
        TicketClosingTopics::Table,
        (TicketClosingTopics::TicketId, TicketClosingTopics::TopicId),
        account,
        &ids,
    )
    .await?;
    for t in list {
        t.topic_ids = topics.remove(&t.id.0).unwrap_or_default();
        t.custom_fields = fields.remove(&t.id.0).unwrap_or_default();
    }
    Ok(())
}

pub async fn get(db: &mut impl Exec, account: AccountId, id: TicketId) -> Result<Option<Ticket>> {
    let mut stmt = Query::select();
    stmt.and_where(Expr::col(Tickets::Id).eq(id.0));
    select_one(db, account, stmt, false).await
}

/// The tickets of `account` among `ids` (with their topics and custom fields).
pub async fn get_many(db: &mut impl Exec, account: AccountId, ids: &[TicketId]) -> Result<Vec<Ticket>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns(COLUMNS)
        .from(Tickets::Table)
        .and_where(Expr::col(Tickets::AccountId).eq(account.0))
        .and_where(Expr::col(Tickets::Id).is_in(ids.iter().map(|t| t.0)))
        .to_owned();
    let rows: Vec<TicketRow> = fetch_all(db, &stmt).await?;
    with_topics(db, account, rows).await
}

/// Reads a ticket and locks its row until the transaction ends (see `contacts::lock`).
pub async fn lock(tx: &mut Tx, account: AccountId, id: TicketId) -> Result<Option<Ticket>> {
    let mut stmt = Query::select();
    stmt.and_where(Expr::col(Tickets::Id).eq(id.0));
    select_one(tx, account, stmt, true).await
}

/// Not resolved, with the status written as a literal: the partial index of active tickets
/// (`WHERE status <> 'resolved'`) serves only queries stating that condition as written, which
/// a bound parameter does not (never on SQLite; on PostgreSQL not in generic plans).
fn not_resolved() -> sea_query::SimpleExpr {
    const _: () = assert!(matches!(TicketStatus::Resolved.as_str().as_bytes(), b"resolved"));
    Expr::cust("\"status\" <> 'resolved'")
}

/// The active (not resolved) ticket of a contact on a connection, locked until the
/// transaction ends.
pub async fn lock_active_for(
    tx: &mut Tx,
    account: AccountId,
    contact: ContactId,
    connection: ConnectionId,
) -> Result<Option<Ticket>> {
    let mut stmt = Query::select();
    stmt.and_where(Expr::col(Tickets::ContactId).eq(contact.0))
        .and_where(Expr::col(Tickets::ConnectionId).eq(connection.0))
        .and_where(not_resolved());
    select_one(tx, account, stmt, true).await
}

/// The active tickets of these contacts on a connection, read and locked until the transaction
/// ends, in one query, without their closing topics and custom values ([`read_relations`] reads
/// them for those that need them).
pub async fn lock_active_for_contacts(
    tx: &mut Tx,
    account: AccountId,
    connection: ConnectionId,
    contacts: &[ContactId],
) -> Result<Vec<Ticket>> {
    if contacts.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = active_for_contacts_query(tx.kind(), account, connection, contacts)
        .lock(sea_query::LockType::Update)
        .to_owned();
    let rows: Vec<TicketRow> = fetch_all(tx, &stmt).await?;
    rows.into_iter().map(|r| r.into_ticket(Vec::new())).collect()
}

pub(crate) fn active_for_contacts_query(
    kind: crate::BackendKind,
    account: AccountId,
    connection: ConnectionId,
    contacts: &[ContactId],
) -> sea_query::SelectStatement {
    Query::select()
        .columns(COLUMNS)
        .from(Tickets::Table)
        .and_where(crate::db::in_account(kind, account))
        .and_where(Expr::col(Tickets::ConnectionId).eq(connection.0))
        .and_where(Expr::col(Tickets::ContactId).is_in(contacts.iter().map(|c| c.0)))
        .and_where(not_resolved())
        .order_by(Tickets::Id, Order::Asc)
        .to_owned()
}

/// The active (not resolved) ticket of a contact on a connection, read without locking.
pub async fn active_for(
    db: &mut impl Exec,
    account: AccountId,
    contact: ContactId,
    connection: ConnectionId,
) -> Result<Option<Ticket>> {
    let mut stmt = Query::select();
    stmt.and_where(Expr::col(Tickets::ContactId).eq(contact.0))
        .and_where(Expr::col(Tickets::ConnectionId).eq(connection.0))
        .and_where(not_resolved());
    select_one(db, account, stmt, false).await
}

/// The one ticket `stmt`'s conditions name within `account`.
async fn select_one(
    db: &mut impl Exec,
    account: AccountId,
    mut stmt: sea_query::SelectStatement,
    lock: bool,
) -> Result<Option<Ticket>> {
    stmt.columns(COLUMNS)
        .from(Tickets::Table)
        .and_where(Expr::col(Tickets::AccountId).eq(account.0));
    if lock {
        stmt.lock(sea_query::LockType::Update);
    }
    let rows: Vec<TicketRow> = fetch_all(db, &stmt).await?;
    Ok(with_topics(db, account, rows).await?.pop())
}

#[derive(Clone, Debug, Default)]
pub struct TicketFilter {
    pub statuses: Vec<TicketStatus>,
    pub contact_id: Option<ContactId>,
    pub connection_id: Option<ConnectionId>,
    pub department_id: Option<DepartmentId>,
    pub user_id: Option<UserId>,
    /// Only tickets nobody is assigned to.
    pub unassigned: bool,
    pub sort: TicketSort,
}

pub async fn list(
    db: &mut impl Exec,
    account: AccountId,
    filter: &TicketFilter,
    page: PageRequest,
) -> Result<Page<Ticket>> {
    let stmt = list_query(account, filter, &page);
    let rows: Vec<TicketRow> = fetch_all(db, &stmt).await?;
    let sort = filter.sort;
    let page = crate::db::paginate_sorted(rows, page.limit, |r| Cursor {
        v: match sort {
            TicketSort::Created | TicketSort::CreatedDesc => CursorValue::Int(0),
            TicketSort::UpdatedDesc | TicketSort::Updated => CursorValue::Int(r.updated_at),
            TicketSort::PriorityDesc => CursorValue::Int(i64::from(r.priority)),
        },
        id: r.id,
    });
    let next_after = (sort == TicketSort::Created)
        .then(|| page.next_cursor.as_deref().and_then(Cursor::decode).map(|c| c.id))
        .flatten();
    Ok(Page {
        next_cursor: page.next_cursor,
        items: with_topics(db, account, page.items).await?,
        next_after,
    })
}

/// The statement of a page of [`list`]: the page chosen by id, then its rows read
/// ([`crate::db::page_rows`]).
fn list_query(account: AccountId, filter: &TicketFilter, page: &PageRequest) -> sea_query::SelectStatement {
    let mut stmt = Query::select();
    stmt.column(Tickets::Id)
        .from(Tickets::Table)
        .and_where(Expr::col(Tickets::AccountId).eq(account.0))
        .limit(u64::from(page.limit) + 1);
    let (sort, desc) = filter.sort.expression();
    let position = page.cursor.clone().or(page.after.map(|id| Cursor {
        v: CursorValue::Int(0),
        id,
    }));
    crate::db::keyset_after(&mut stmt, sort.as_ref(), Tickets::Id, desc, position.as_ref());
    if !filter.statuses.is_empty() {
        stmt.and_where(Expr::col(Tickets::Status).is_in(filter.statuses.iter().map(|s| s.as_str())));
    }
    if let Some(c) = filter.contact_id {
        stmt.and_where(Expr::col(Tickets::ContactId).eq(c.0));
    }
    if let Some(c) = filter.connection_id {
        stmt.and_where(Expr::col(Tickets::ConnectionId).eq(c.0));
    }
    if let Some(d) = filter.department_id {
        stmt.and_where(Expr::col(Tickets::DepartmentId).eq(d.0));
    }
    if let Some(u) = filter.user_id {
        stmt.and_where(Expr::col(Tickets::UserId).eq(u.0));
    }
    if filter.unassigned {
        stmt.and_where(Expr::col(Tickets::UserId).is_null());
    }
    crate::db::page_rows((Tickets::Table, Tickets::Id), COLUMNS, stmt, |s| {
        crate::db::order_by_keyset(s, sort.clone(), Tickets::Id, desc)
    })
}

/// How the database plans a page of a department's open and pending tickets, most recently
/// changed first (the inbox), as the plan's text. For plan tests and diagnosis.
#[doc(hidden)]
pub async fn inbox_plan(db: &mut impl Exec, account: AccountId, department: DepartmentId) -> Result<String> {
    let filter = TicketFilter {
        statuses: vec![TicketStatus::Open, TicketStatus::Pending],
        department_id: Some(department),
        sort: TicketSort::UpdatedDesc,
        ..TicketFilter::default()
    };
    let page = PageRequest {
        after: None,
        cursor: None,
        limit: 50,
    };
    Ok(crate::db::explain(db, &list_query(account, &filter, &page)).await?)
}

/// How a ticket list is sorted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TicketSort {
    /// Oldest first (the default).
    #[default]
    Created,
    CreatedDesc,
    /// Least recently changed first (the queue).
    Updated,
    /// Most recently changed first (the inbox).
    UpdatedDesc,
    /// Most urgent first.
    PriorityDesc,
}

impl TicketSort {
    pub const NAMES: [(&'static str, TicketSort); 5] = [
        ("created", TicketSort::Created),
        ("-created", TicketSort::CreatedDesc),
        ("updated_at", TicketSort::Updated),
        ("-updated_at", TicketSort::UpdatedDesc),
        ("-priority", TicketSort::PriorityDesc),
    ];

    fn expression(self) -> (Option<sea_query::SimpleExpr>, bool) {
        match self {
            TicketSort::Created => (None, false),
            TicketSort::CreatedDesc => (None, true),
            TicketSort::Updated => (Some(Expr::col(Tickets::UpdatedAt).into()), false),
            TicketSort::UpdatedDesc => (Some(Expr::col(Tickets::UpdatedAt).into()), true),
            TicketSort::PriorityDesc => (Some(Expr::col(Tickets::Priority).into()), true),
        }
    }
}

/// Snoozed tickets whose time has come (any account: for the server's wake-up task), oldest
/// first, at most `limit`.
pub async fn due_snoozes(db: &mut impl Exec, now: Timestamp, limit: u64) -> Result<Vec<(AccountId, TicketId)>> {
    let stmt = Query::select()
        .columns([Tickets::AccountId, Tickets::Id])
        .from(Tickets::Table)
        .and_where(Expr::col(Tickets::Status).eq(TicketStatus::Snoozed.as_str()))
        .and_where(Expr::col(Tickets::SnoozedUntil).lte(now.micros()))
        .order_by(Tickets::SnoozedUntil, Order::Asc)
        .limit(limit)
        .to_owned();
    let rows: Vec<(Uuid, Uuid)> = fetch_all(db, &stmt).await?;
    Ok(rows.into_iter().map(|(a, t)| (AccountId(a), TicketId(t))).collect())
}

/// Records the closing topics of a ticket.
pub async fn set_topics(db: &mut impl Exec, account: AccountId, ticket: TicketId, topics: &[Uuid]) -> Result<()> {
    let delete = Query::delete()
        .from_table(TicketClosingTopics::Table)
        .and_where(Expr::col(TicketClosingTopics::AccountId).eq(account.0))
        .and_where(Expr::col(TicketClosingTopics::TicketId).eq(ticket.0))
        .to_owned();
    execute(db, &delete).await?;
    if topics.is_empty() {
        return Ok(());
    }
    let mut insert = Query::insert();
    insert.into_table(TicketClosingTopics::Table).columns([
        TicketClosingTopics::AccountId,
        TicketClosingTopics::TicketId,
        TicketClosingTopics::TopicId,
    ]);
    for t in topics {
        insert.values_panic([account.0.into(), ticket.0.into(), (*t).into()]);
    }
    execute(db, &insert).await?;
    Ok(())
}

const ENTRY_COLUMNS: [TicketEntries; 11] = [
    TicketEntries::Id,
    TicketEntries::AccountId,
    TicketEntries::TicketId,
    TicketEntries::Action,
    TicketEntries::FromDepartmentId,
    TicketEntries::ToDepartmentId,
    TicketEntries::FromUserId,
    TicketEntries::ToUserId,
    TicketEntries::ByUserId,
    TicketEntries::Comment,
    TicketEntries::CreatedAt,
];

pub async fn add_entry(db: &mut impl Exec, e: &TicketEntry) -> Result<()> {
    add_entries(db, std::slice::from_ref(e)).await
}

/// Inserts history entries.
pub async fn add_entries(db: &mut impl Exec, list: &[TicketEntry]) -> Result<()> {
    crate::db::insert_rows(db, TicketEntries::Table, ENTRY_COLUMNS, list, |e| {
        [
            e.id.0.into(),
            e.account_id.0.into(),
            e.ticket_id.0.into(),
            e.action.as_str().into(),
            e.from_department_id.map(|d| d.0).into(),
            e.to_department_id.map(|d| d.0).into(),
            e.from_user_id.map(|u| u.0).into(),
            e.to_user_id.map(|u| u.0).into(),
            e.by_user_id.map(|u| u.0).into(),
            e.comment.clone().into(),
            e.created_at.micros().into(),
        ]
    })
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: Uuid,
    account_id: Uuid,
    ticket_id: Uuid,
    action: String,
    from_department_id: Option<Uuid>,
    to_department_id: Option<Uuid>,
    from_user_id: Option<Uuid>,
    to_user_id: Option<Uuid>,
    by_user_id: Option<Uuid>,
    comment: Option<String>,
    created_at: i64,
}

/// A ticket's history, oldest first.
pub async fn entries(db: &mut impl Exec, account: AccountId, ticket: TicketId) -> Result<Vec<TicketEntry>> {
    let stmt = Query::select()
        .columns(ENTRY_COLUMNS)
        .from(TicketEntries::Table)
        .and_where(Expr::col(TicketEntries::AccountId).eq(account.0))
        .and_where(Expr::col(TicketEntries::TicketId).eq(ticket.0))
        .order_by(TicketEntries::Id, Order::Asc)
        .to_owned();
    let rows: Vec<EntryRow> = fetch_all(db, &stmt).await?;
    rows.into_iter()
        .map(|r| {
            Ok(TicketEntry {
                id: TicketEntryId(r.id),
                account_id: AccountId(r.account_id),
                ticket_id: TicketId(r.ticket_id),
                action: TicketAction::from_str(&r.action).map_err(|()| StoreError::Corrupt {
                    table: "ticket_entries",
                    detail: format!("action {}", r.action),
                })?,
                from_department_id: r.from_department_id.map(DepartmentId),
                to_department_id: r.to_department_id.map(DepartmentId),
                from_user_id: r.from_user_id.map(UserId),
                to_user_id: r.to_user_id.map(UserId),
                by_user_id: r.by_user_id.map(UserId),
                comment: r.comment,
                created_at: Timestamp::from_micros(r.created_at),
            })
        })
        .collect()
}

/// Where tickets are routed (department, user), by id: within `account`, or — for the realtime
/// hub, which relays every account's events — whatever their account.
pub async fn routing(
    db: &mut impl Exec,
    account: Option<AccountId>,
    ids: &[TicketId],
) -> Result<std::collections::HashMap<TicketId, (Option<DepartmentId>, Option<UserId>)>> {
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let mut stmt = Query::select();
    stmt.columns([Tickets::Id, Tickets::DepartmentId, Tickets::UserId])
        .from(Tickets::Table)
        .and_where(Expr::col(Tickets::Id).is_in(ids.iter().map(|t| t.0)));
    if let Some(account) = account {
        stmt.and_where(Expr::col(Tickets::AccountId).eq(account.0));
    }
    let rows: Vec<(Uuid, Option<Uuid>, Option<Uuid>)> = fetch_all(db, &stmt).await?;
    Ok(rows
        .into_iter()
        .map(|(id, d, u)| (TicketId(id), (d.map(DepartmentId), u.map(UserId))))
        .collect())
}

impl crate::query::Fields for balcao_core::ticket::TicketField {
    fn column(self) -> (&'static str, balcao_core::query::FieldKind) {
        use balcao_core::query::FieldKind as K;
        use balcao_core::ticket::TicketField as F;
        match self {
            F::Id => ("id", K::Id),
            F::ConnectionId => ("connection_id", K::Id),
            F::ContactId => ("contact_id", K::Id),
            F::DepartmentId => ("department_id", K::Id),
            F::UserId => ("user_id", K::Id),
            F::Status => ("status", K::Text),
            F::Protocol => ("protocol", K::Text),
            F::Priority => ("priority", K::Integer),
            F::StartedAt => ("started_at", K::Time),
            F::EndedAt => ("ended_at", K::Time),
            F::CreatedAt => ("created_at", K::Time),
            F::UpdatedAt => ("updated_at", K::Time),
            F::ContactName | F::DepartmentName | F::UserName => ("name", K::Text),
        }
    }

    fn expr(self, table: &'static str) -> SimpleExpr {
        use balcao_core::ticket::TicketField as F;
        match self {
            F::ContactName => crate::query::related_column(table, "contact_id", "contacts", "name"),
            F::DepartmentName => crate::query::related_column(table, "department_id", "departments", "name"),
            F::UserName => crate::query::related_column(table, "user_id", "users", "name"),
            other => crate::query::own_column(table, other),
        }
    }
}

/// Tickets whose contact matches a relation's conditions (`id`, `name`, `visible`,
/// `connection_id` of the contact).
fn contact_relation(r: &balcao_core::query::Relation) -> SimpleExpr {
    use sea_query::Alias;
    let contacts = Alias::new("contacts");
    let mut sub = Query::select();
    sub.expr(Expr::val(1))
        .from(contacts.clone())
        .and_where(Expr::col((contacts.clone(), Alias::new("id"))).equals((Tickets::Table, Tickets::ContactId)));
    if r.name == "contact" {
        for (field, op, value) in &r.conds {
            let column = match *field {
                "name" | "visible" | "connection_id" | "id" => *field,
                _ => continue,
            };
            sub.and_where(crate::query::compare(
                Expr::col((contacts.clone(), Alias::new(column))).into(),
                *op,
                value,
            ));
        }
    } else {
        return Expr::cust("1 = 0");
    }
    Expr::exists(sub)
}

/// Tickets matching a typed query (with their closing topics and custom fields), with how many
/// match in all.
pub async fn query(
    db: &mut impl Exec,
    account: AccountId,
    q: &balcao_core::query::Query<balcao_core::ticket::TicketField>,
) -> Result<(Vec<Ticket>, u64)> {
    let (rows, total): (Vec<TicketRow>, u64) =
        crate::query::page(db, "tickets", &COLUMNS, account, q, &contact_relation).await?;
    Ok((with_topics(db, account, rows).await?, total))
}

/// The account's active (not resolved) tickets counted by department and user: (department,
/// user, tickets, of which still waiting for a first answer). One grouped query over the
/// active tickets.
pub async fn active_summary(
    db: &mut impl Exec,
    account: AccountId,
) -> Result<Vec<(Option<DepartmentId>, Option<UserId>, i64, i64)>> {
    let waiting = Expr::case(Expr::col(Tickets::FirstReplyAt).is_null(), 1).finally(0);
    let stmt = Query::select()
        .column(Tickets::DepartmentId)
        .column(Tickets::UserId)
        .expr(Expr::col(Tickets::Id).count())
        .expr(Func::sum(waiting))
        .from(Tickets::Table)
        .and_where(Expr::col(Tickets::AccountId).eq(account.0))
        .and_where(not_resolved())
        .group_by_col(Tickets::DepartmentId)
        .group_by_col(Tickets::UserId)
        .to_owned();
    type Row = (Option<Uuid>, Option<Uuid>, i64, Option<i64>);
    let rows: Vec<Row> = fetch_all(db, &stmt).await?;
    Ok(rows
        .into_iter()
        .map(|(d, u, n, w)| (d.map(DepartmentId), u.map(UserId), n, w.unwrap_or(0)))
        .collect())
}
