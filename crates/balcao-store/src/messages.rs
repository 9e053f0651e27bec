//! Messages of the timeline.

use std::str::FromStr;

use balcao_core::{
    AccountId, ConnectionId, ContactId, DeliveryStatus, Direction, Message, MessageId, MessageType, Origin, TicketId,
    Timestamp, UserId,
};
use sea_query::{Expr, Iden, Order, Query, SimpleExpr};
use uuid::Uuid;

use crate::db::{execute, fetch_all, fetch_optional};
use crate::users::paginate;
use crate::{Exec, Page, PageRequest, Result, StoreError, Tx};

#[derive(Iden, Clone, Copy)]
enum Messages {
    Table,
    Id,
    AccountId,
    ConnectionId,
    ContactId,
    TicketId,
    Direction,
    Type,
    Origin,
    UserId,
    Text,
    Payload,
    QuotedMessageId,
    MediaId,
    Status,
    ErrorCode,
    ErrorText,
    ExternalId,
    EditedAt,
    RevokedAt,
    CreatedAt,
    UpdatedAt,
}

const COLUMNS: [Messages; 21] = [
    Messages::Id,
    Messages::AccountId,
    Messages::ConnectionId,
    Messages::ContactId,
    Messages::TicketId,
    Messages::Direction,
    Messages::Type,
    Messages::Origin,
    Messages::UserId,
    Messages::Text,
    Messages::Payload,
    Messages::QuotedMessageId,
    Messages::MediaId,
    Messages::Status,
    Messages::ErrorCode,
    Messages::ErrorText,
    Messages::ExternalId,
    Messages::EditedAt,
    Messages::RevokedAt,
    Messages::CreatedAt,
    Messages::UpdatedAt,
];

/// The columns whose text is as long as customers write (`text`, `payload`), carried beside
/// the other values of an insert (see `crate::rows`).
const LONG: [usize; 2] = [9, 10];

#[derive(sqlx::FromRow)]
struct MessageRow {
    id: Uuid,
    account_id: Uuid,
    connection_id: Uuid,
    contact_id: Uuid,
    ticket_id: Option<Uuid>,
    direction: String,
    #[sqlx(rename = "type")]
    kind: String,
    origin: String,
    user_id: Option<Uuid>,
    text: Option<String>,
    payload: Option<String>,
    quoted_message_id: Option<Uuid>,
    media_id: Option<Uuid>,
    status: Option<String>,
    error_code: Option<String>,
    error_text: Option<String>,
    external_id: Option<String>,
    edited_at: Option<i64>,
    revoked_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

fn parse<T: FromStr<Err = ()>>(value: &str, what: &str) -> Result<T> {
    T::from_str(value).map_err(|()| StoreError::Corrupt {
        table: "messages",
        detail: format!("{what} {value}"),
    })
}

impl TryFrom<MessageRow> for Message {
    type Error = StoreError;

    fn try_from(r: MessageRow) -> Result<Self> {
        let ts = Timestamp::from_micros;
        Ok(Message {
            id: MessageId(r.id),
            account_id: AccountId(r.account_id),
            connection_id: ConnectionId(r.connection_id),
            contact_id: ContactId(r.contact_id),
            ticket_id: r.ticket_id.map(TicketId),
            direction: parse::<Direction>(&r.direction, "direction")?,
            kind: parse::<MessageType>(&r.kind, "type")?,
            origin: parse::<Origin>(&r.origin, "origin")?,
            user_id: r.user_id.map(UserId),
            text: r.text,
            payload: r
                .payload
                .map(|p| serde_json::from_str(&p))
                .transpose()
                .map_err(|e| StoreError::Corrupt {
                    table: "messages",
                    detail: e.to_string(),
                })?,
            quoted_message_id: r.quoted_message_id.map(MessageId),
            media_id: r.media_id.map(balcao_core::MediaId),
            status: r
                .status
                .as_deref()
                .map(|s| parse::<DeliveryStatus>(s, "status"))
                .transpose()?,
            error_code: r.error_code,
            error_text: r.error_text,
            external_id: r.external_id,
            edited_at: r.edited_at.map(ts),
            revoked_at: r.revoked_at.map(ts),
            created_at: ts(r.created_at),
            updated_at: ts(r.updated_at),
        })
    }
}

fn values(m: &Message) -> [SimpleExpr; 21] {
    let micros = |t: Option<Timestamp>| t.map(Timestamp::micros);
    [
        m.id.0.into(),
        m.account_id.0.into(),
        m.connection_id.0.into(),
        m.contact_id.0.into(),
        m.ticket_id.map(|t| t.0).into(),
        m.direction.as_str().into(),
        m.kind.as_str().into(),
        m.origin.as_str().into(),
        m.user_id.map(|u| u.0).into(),
        m.text.clone().into(),
        m.payload.as_ref().map(|p| p.to_string()).into(),
        m.quoted_message_id.map(|q| q.0).into(),
        m.media_id.map(|q| q.0).into(),
        m.status.map(DeliveryStatus::as_str).into(),
        m.error_code.clone().into(),
        m.error_text.clone().into(),
        m.external_id.clone().into(),
        micros(m.edited_at).into(),
        micros(m.revoked_at).into(),
        m.created_at.micros().into(),
        m.updated_at.micros().into(),
    ]
}

/// Inserts a message; an external id already used on the connection answers
/// [`StoreError::Duplicate`] with field `external_id`.
pub async fn insert(db: &mut impl Exec, m: &Message) -> Result<()> {
    insert_many(db, std::slice::from_ref(m)).await
}

/// Inserts many messages (imports, groups of inbound messages), as [`insert`] does.
pub async fn insert_many(db: &mut impl Exec, list: &[Message]) -> Result<()> {
    crate::db::insert_rows_computing(db, Messages::Table, COLUMNS, list, values, None, &LONG)
        .await
        .map_err(|e| StoreError::unique_as(e, "external_id"))
}

/// Writes every changeable column as it is in `m`.
pub async fn update(db: &mut impl Exec, m: &Message) -> Result<bool> {
    let stmt = Query::update()
        .table(Messages::Table)
        .values(COLUMNS.into_iter().zip(values(m)).skip(4))
        .and_where(Expr::col(Messages::AccountId).eq(m.account_id.0))
        .and_where(Expr::col(Messages::Id).eq(m.id.0))
        .to_owned();
    Ok(execute(db, &stmt)
        .await
        .map_err(|e| StoreError::unique_as(e, "external_id"))?
        == 1)
}

pub async fn get(db: &mut impl Exec, account: AccountId, id: MessageId) -> Result<Option<Message>> {
    select_one(db, account, id, false).await
}

/// Reads a message and locks its row until the transaction ends (see `contacts::lock`).
pub async fn lock(tx: &mut Tx, account: AccountId, id: MessageId) -> Result<Option<Message>> {
    select_one(tx, account, id, true).await
}

async fn select_one(db: &mut impl Exec, account: AccountId, id: MessageId, lock: bool) -> Result<Option<Message>> {
    let mut stmt = Query::select();
    stmt.columns(COLUMNS)
        .from(Messages::Table)
        .and_where(Expr::col(Messages::AccountId).eq(account.0))
        .and_where(Expr::col(Messages::Id).eq(id.0));
    if lock {
        stmt.lock(sea_query::LockType::Update);
    }
    let row: Option<MessageRow> = fetch_optional(db, &stmt).await?;
    row.map(Message::try_from).transpose()
}

/// The messages of `account` among `ids`, in one query.
pub async fn get_many(db: &mut impl Exec, account: AccountId, ids: &[MessageId]) -> Result<Vec<Message>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns(COLUMNS)
        .from(Messages::Table)
        .and_where(Expr::col(Messages::AccountId).eq(account.0))
        .and_where(Expr::col(Messages::Id).is_in(ids.iter().map(|m| m.0)))
        .to_owned();
    let rows: Vec<MessageRow> = fetch_all(db, &stmt).await?;
    rows.into_iter().map(Message::try_from).collect()
}

/// The message a connection knows by `external_id`.
pub async fn by_external_id(
    db: &mut impl Exec,
    account: AccountId,
    connection: ConnectionId,
    external_id: &str,
) -> Result<Option<Message>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from(Messages::Table)
        .and_where(Expr::col(Messages::AccountId).eq(account.0))
        .and_where(Expr::col(Messages::ConnectionId).eq(connection.0))
        .and_where(Expr::col(Messages::ExternalId).eq(external_id))
        .to_owned();
    let row: Option<MessageRow> = fetch_optional(db, &stmt).await?;
    row.map(Message::try_from).transpose()
}

/// The ids of the messages a connection knows by these external ids, in one query.
pub async fn ids_by_external(
    db: &mut impl Exec,
    account: AccountId,
    connection: ConnectionId,
    external_ids: &[&str],
) -> Result<Vec<(String, MessageId)>> {
    if external_ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = by_external_query(db.kind(), account, connection, external_ids);
    let rows: Vec<(String, Uuid)> = fetch_all(db, &stmt).await?;
    Ok(rows.into_iter().map(|(e, id)| (e, MessageId(id))).collect())
}

pub(crate) fn by_external_query(
    kind: crate::BackendKind,
    account: AccountId,
    connection: ConnectionId,
    external_ids: &[&str],
) -> sea_query::SelectStatement {
    Query::select()
        .columns([Messages::ExternalId, Messages::Id])
        .from(Messages::Table)
        .and_where(crate::db::in_account(kind, account))
        .and_where(Expr::col(Messages::ConnectionId).eq(connection.0))
        .and_where(Expr::col(Messages::ExternalId).is_in(external_ids.iter().copied()))
        .to_owned()
}

/// The contact's newest inbound message, if any.
pub async fn last_inbound(db: &mut impl Exec, account: AccountId, contact: ContactId) -> Result<Option<Message>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from(Messages::Table)
        .and_where(Expr::col(Messages::AccountId).eq(account.0))
        .and_where(Expr::col(Messages::ContactId).eq(contact.0))
        .and_where(Expr::col(Messages::Direction).eq("inbound"))
        .order_by(Messages::Id, Order::Desc)
        .limit(1)
        .to_owned();
    let row: Option<MessageRow> = fetch_optional(db, &stmt).await?;
    row.map(Message::try_from).transpose()
}

/// Whose messages a list shows.
#[derive(Clone, Copy, Debug)]
pub enum Timeline {
    Ticket(TicketId),
    Contact(ContactId),
}

/// A timeline, oldest first, paged by id.
pub async fn list(
    db: &mut impl Exec,
    account: AccountId,
    timeline: Timeline,
    page: PageRequest,
) -> Result<Page<Message>> {
    let mut stmt = Query::select();
    stmt.columns(COLUMNS)
        .from(Messages::Table)
        .and_where(Expr::col(Messages::AccountId).eq(account.0))
        .order_by(Messages::Id, Order::Asc)
        .limit(u64::from(page.limit) + 1);
    match timeline {
        Timeline::Ticket(t) => stmt.and_where(Expr::col(Messages::TicketId).eq(t.0)),
        Timeline::Contact(c) => stmt.and_where(Expr::col(Messages::ContactId).eq(c.0)),
    };
    if let Some(after) = page.after {
        stmt.and_where(Expr::col(Messages::Id).gt(after));
    }
    let rows: Vec<MessageRow> = fetch_all(db, &stmt).await?;
    let items = rows.into_iter().map(Message::try_from).collect::<Result<Vec<_>>>()?;
    Ok(paginate(items, page.limit, |m| m.id.0))
}

/// Messages of `account` holding every one of `words` (whole words; case and accents do not
/// matter), newest first, paged by `page.after` (the last message of the previous page).
/// Revoked messages are not found.
///
/// SQLite walks its full-text index (`messages_search`) from the newest row down and stops
/// when the page is full, so "newest" there means stored last (the same order as the ids,
/// except for messages imported with earlier dates).
///
/// PostgreSQL's GIN index (over `words`, the stored `message_words(text)`) answers which rows
/// hold the words but not in order, and walking the messages newest first costs as many rows
/// as it takes to fill a page — millions when the words are rare. So it looks in windows
/// going back in time (a day, a week, a month, a year, then everything older), each its own
/// query combining the word index with the id range (ids are UUID v7: time-ordered), until
/// the page is full: common words fill it from the first, small window; rare ones cost a few
/// index lookups.
pub async fn search(
    db: &mut impl Exec,
    account: AccountId,
    words: &balcao_core::SearchWords,
    page: PageRequest,
) -> Result<Page<Message>> {
    let mut stmt = Query::select();
    stmt.columns(COLUMNS.map(|c| (Messages::Table, c)))
        .and_where(Expr::col((Messages::Table, Messages::AccountId)).eq(account.0))
        .and_where(Expr::col((Messages::Table, Messages::RevokedAt)).is_null());
    let wanted = page.limit as usize + 1;
    let rows = match db.kind() {
        crate::BackendKind::Sqlite => search_sqlite(db, stmt, words, page.after, wanted).await?,
        crate::BackendKind::Postgres => search_postgres(db, stmt, words, page.after, wanted).await?,
    };
    let items = rows.into_iter().map(Message::try_from).collect::<Result<Vec<_>>>()?;
    Ok(paginate(items, page.limit, |m| m.id.0))
}

/// An FTS5 query of words that must all be present, the index as the outer loop (CROSS JOIN
/// keeps it there), read newest row first.
async fn search_sqlite(
    db: &mut impl Exec,
    mut stmt: sea_query::SelectStatement,
    words: &balcao_core::SearchWords,
    after: Option<Uuid>,
    wanted: usize,
) -> Result<Vec<MessageRow>> {
    let query: Vec<String> = words.words().iter().map(|w| crate::db::double_quoted(w)).collect();
    stmt.from(sea_query::Alias::new("messages_search"))
        .join(
            sea_query::JoinType::CrossJoin,
            Messages::Table,
            Expr::cust("\"messages\".rowid = \"messages_search\".rowid"),
        )
        .and_where(Expr::cust_with_values("\"messages_search\" MATCH ?", [query.join(" ")]))
        .order_by_expr(Expr::cust("\"messages_search\".rowid"), Order::Desc)
        .limit(wanted as u64);
    if let Some(after) = after {
        stmt.and_where(Expr::cust_with_values(
            "\"messages_search\".rowid < (SELECT rowid FROM messages WHERE id = ?)",
            [after],
        ));
    }
    Ok(fetch_all(db, &stmt).await?)
}

/// Windows going back in time from `after` (or now), each matched through the word index and
/// the id range, until `wanted` rows are found: the last day, the 29 days before it, then the
/// rest. Each window reads the words' whole posting lists again (the index knows no time), so
/// few windows: words that never occur together cost three intersections (there were five,
/// with a week and a year between), and a window after the first is reached only by words
/// rarer than a page a day, whose month (or, rarer than a page a month, whose history) holds
/// few matches.
async fn search_postgres(
    db: &mut impl Exec,
    mut stmt: sea_query::SelectStatement,
    words: &balcao_core::SearchWords,
    after: Option<Uuid>,
    wanted: usize,
) -> Result<Vec<MessageRow>> {
    // PostgreSQL's custom expressions number their own placeholders.
    stmt.from(Messages::Table).and_where(Expr::cust_with_values(
        "\"messages\".\"words\" @@ message_words_query($1)",
        [words.words().join(" ")],
    ));
    const DAY_MS: u64 = Timestamp::DAY_MICROS as u64 / 1000;
    let from_ms = after.map_or_else(|| Timestamp::now().unix_ms(), balcao_core::ids::unix_ms_of);
    let mut rows: Vec<MessageRow> = Vec::with_capacity(wanted);
    let mut below = after.unwrap_or(Uuid::max());
    for days in [Some(1), Some(30), None] {
        let mut window = stmt.clone();
        window.and_where(Expr::col((Messages::Table, Messages::Id)).lt(below));
        let floor = days.map(|d: u64| balcao_core::ids::id_floor(from_ms.saturating_sub(d * DAY_MS)));
        if let Some(floor) = floor {
            window.and_where(Expr::col((Messages::Table, Messages::Id)).gte(floor));
        }
        // Materialized: the planner finds the window's matches through the indexes, never by
        // walking messages in id order hoping to meet matches soon.
        let (sql, values) = crate::db::render(db, &window);
        let sql = format!(
            "WITH hits AS MATERIALIZED ({sql}) SELECT * FROM hits ORDER BY id DESC LIMIT {}",
            wanted - rows.len()
        );
        rows.extend(
            db.fetch_all_raw::<MessageRow>(&sql, values, crate::db::Plan::EachRun)
                .await?,
        );
        match floor {
            Some(floor) if rows.len() < wanted => below = floor,
            _ => break,
        }
    }
    Ok(rows)
}

impl crate::query::Fields for balcao_core::message::MessageField {
    fn column(self) -> (&'static str, balcao_core::query::FieldKind) {
        use balcao_core::message::MessageField as F;
        use balcao_core::query::FieldKind as K;
        match self {
            F::Id => ("id", K::Id),
            F::ConnectionId => ("connection_id", K::Id),
            F::ContactId => ("contact_id", K::Id),
            F::TicketId => ("ticket_id", K::Id),
            F::UserId => ("user_id", K::Id),
            F::Direction => ("direction", K::Text),
            F::Kind => ("type", K::Text),
            F::Origin => ("origin", K::Text),
            F::Text => ("text", K::Text),
            F::Status => ("status", K::Text),
            F::ExternalId => ("external_id", K::Text),
            F::QuotedMessageId => ("quoted_message_id", K::Id),
            F::CreatedAt => ("created_at", K::Time),
            F::UpdatedAt => ("updated_at", K::Time),
        }
    }
}

/// Messages matching a typed query, with how many match in all.
pub async fn query(
    db: &mut impl Exec,
    account: AccountId,
    q: &balcao_core::query::Query<balcao_core::message::MessageField>,
) -> Result<(Vec<Message>, u64)> {
    let (rows, total): (Vec<MessageRow>, u64) =
        crate::query::page(db, "messages", &COLUMNS, account, q, &crate::query::no_relation).await?;
    Ok((rows.into_iter().map(Message::try_from).collect::<Result<_>>()?, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_long_columns_are_the_text_and_the_payload() {
        assert_eq!(LONG.map(|i| COLUMNS[i].to_string()), ["text", "payload"]);
    }
}
