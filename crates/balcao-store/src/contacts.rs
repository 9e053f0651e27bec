//! Contacts, with their tags.

use balcao_core::{AccountId, ConnectionId, Contact, ContactId, DepartmentId, TagId, Timestamp, UserId};
use sea_query::{Expr, Func, Iden, LikeExpr, LockType, Order, Query, SimpleExpr};
use uuid::Uuid;

use crate::db::{execute, fetch_all, fetch_optional};
use crate::db::{keyset, paginate_sorted};
use crate::tags::ContactTags;
use crate::{BackendKind, Cursor, CursorValue, Exec, Page, PageRequest, Result, StoreError, Tx};

#[derive(Iden, Clone, Copy)]
enum Contacts {
    Table,
    Id,
    AccountId,
    ConnectionId,
    Name,
    InternalName,
    AlternativeName,
    Phone,
    ExternalId,
    Email,
    Document,
    Address,
    Gender,
    Note,
    Blocked,
    BlockedReason,
    IsGroup,
    Visible,
    DefaultDepartmentId,
    DefaultUserId,
    OrganizationId,
    PersonId,
    LastMessageAt,
    UnreadCount,
    CreatedAt,
    UpdatedAt,
}

const COLUMNS: [Contacts; 25] = [
    Contacts::Id,
    Contacts::AccountId,
    Contacts::ConnectionId,
    Contacts::Name,
    Contacts::InternalName,
    Contacts::AlternativeName,
    Contacts::Phone,
    Contacts::ExternalId,
    Contacts::Email,
    Contacts::Document,
    Contacts::Address,
    Contacts::Gender,
    Contacts::Note,
    Contacts::Blocked,
    Contacts::BlockedReason,
    Contacts::IsGroup,
    Contacts::Visible,
    Contacts::DefaultDepartmentId,
    Contacts::DefaultUserId,
    Contacts::OrganizationId,
    Contacts::PersonId,
    Contacts::LastMessageAt,
    Contacts::UnreadCount,
    Contacts::CreatedAt,
    Contacts::UpdatedAt,
];

#[derive(sqlx::FromRow)]
struct ContactRow {
    id: Uuid,
    account_id: Uuid,
    connection_id: Uuid,
    name: String,
    internal_name: Option<String>,
    alternative_name: Option<String>,
    phone: Option<String>,
    external_id: Option<String>,
    email: Option<String>,
    document: Option<String>,
    address: Option<String>,
    gender: Option<String>,
    note: Option<String>,
    blocked: bool,
    blocked_reason: Option<String>,
    is_group: bool,
    visible: bool,
    default_department_id: Option<Uuid>,
    default_user_id: Option<Uuid>,
    organization_id: Option<Uuid>,
    person_id: Option<Uuid>,
    last_message_at: Option<i64>,
    unread_count: i64,
    created_at: i64,
    updated_at: i64,
}

impl ContactRow {
    fn into_contact(self, tag_ids: Vec<TagId>) -> Contact {
        Contact {
            id: ContactId(self.id),
            account_id: AccountId(self.account_id),
            connection_id: ConnectionId(self.connection_id),
            name: self.name,
            internal_name: self.internal_name,
            alternative_name: self.alternative_name,
            phone: self.phone,
            external_id: self.external_id,
            email: self.email,
            document: self.document,
            address: self.address,
            gender: self.gender,
            note: self.note,
            blocked: self.blocked,
            blocked_reason: self.blocked_reason,
            is_group: self.is_group,
            visible: self.visible,
            default_department_id: self.default_department_id.map(DepartmentId),
            default_user_id: self.default_user_id.map(UserId),
            organization_id: self.organization_id.map(balcao_core::OrganizationId),
            person_id: self.person_id.map(balcao_core::PersonId),
            tag_ids,
            custom_fields: Default::default(),
            last_message_at: self.last_message_at.map(Timestamp::from_micros),
            unread_count: self.unread_count,
            created_at: Timestamp::from_micros(self.created_at),
            updated_at: Timestamp::from_micros(self.updated_at),
        }
    }
}

/// The columns a write sets, in `COLUMNS` order.
fn values(c: &Contact) -> [SimpleExpr; 25] {
    [
        c.id.0.into(),
        c.account_id.0.into(),
        c.connection_id.0.into(),
        c.name.clone().into(),
        c.internal_name.clone().into(),
        c.alternative_name.clone().into(),
        c.phone.clone().into(),
        c.external_id.clone().into(),
        c.email.clone().into(),
        c.document.clone().into(),
        c.address.clone().into(),
        c.gender.clone().into(),
        c.note.clone().into(),
        c.blocked.into(),
        c.blocked_reason.clone().into(),
        c.is_group.into(),
        c.visible.into(),
        c.default_department_id.map(|d| d.0).into(),
        c.default_user_id.map(|u| u.0).into(),
        c.organization_id.map(|o| o.0).into(),
        c.person_id.map(|p| p.0).into(),
        c.last_message_at.map(Timestamp::micros).into(),
        c.unread_count.into(),
        c.created_at.micros().into(),
        c.updated_at.micros().into(),
    ]
}

const UNIQUE_KEYS: [(&str, &str); 2] = [("phone", "phone"), ("external_id", "external_id")];

/// Inserts contacts (with their tags and custom values).
pub async fn insert_many(db: &mut impl Exec, contacts: &[Contact]) -> Result<()> {
    crate::db::insert_rows(db, Contacts::Table, COLUMNS, contacts, values)
        .await
        .map_err(|e| StoreError::unique_among(e, &UNIQUE_KEYS))?;
    for c in contacts.iter().filter(|c| !c.tag_ids.is_empty()) {
        set_tags(db, c.account_id, c.id, &c.tag_ids).await?;
    }
    for c in contacts.iter().filter(|c| !c.custom_fields.is_empty()) {
        let values = c.custom_fields.iter().map(|(f, v)| (*f, Some(v.clone()))).collect();
        crate::custom_fields::set_values(db, c.account_id, c.id.0, &values).await?;
    }
    Ok(())
}

/// Writes every column as it is in `c` (not tags).
pub async fn update(db: &mut impl Exec, c: &Contact) -> Result<bool> {
    let stmt = Query::update()
        .table(Contacts::Table)
        .values(COLUMNS.into_iter().zip(values(c)).skip(3))
        .and_where(Expr::col(Contacts::AccountId).eq(c.account_id.0))
        .and_where(Expr::col(Contacts::Id).eq(c.id.0))
        .to_owned();
    let n = execute(db, &stmt)
        .await
        .map_err(|e| StoreError::unique_among(e, &UNIQUE_KEYS))?;
    Ok(n == 1)
}

/// Replaces a contact's tags.
pub async fn set_tags(db: &mut impl Exec, account: AccountId, contact: ContactId, tags: &[TagId]) -> Result<()> {
    let delete = Query::delete()
        .from_table(ContactTags::Table)
        .and_where(Expr::col(ContactTags::AccountId).eq(account.0))
        .and_where(Expr::col(ContactTags::ContactId).eq(contact.0))
        .to_owned();
    execute(db, &delete).await?;
    for tag in tags {
        crate::tags::add_to_contacts(db, account, *tag, &[contact]).await?;
    }
    Ok(())
}

/// Contacts from their rows, with their tags and custom field values (two queries however
/// many rows).
async fn with_tags(db: &mut impl Exec, account: AccountId, rows: Vec<ContactRow>) -> Result<Vec<Contact>> {
    let mut list: Vec<Contact> = rows.into_iter().map(|r| r.into_contact(Vec::new())).collect();
    read_relations(db, account, &mut list).await?;
    Ok(list)
}

/// Reads the tags and custom values of contacts read without them (one statement however
/// many contacts).
pub async fn read_relations(db: &mut impl Exec, account: AccountId, list: &mut [Contact]) -> Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = list.iter().map(|c| c.id.0).collect();
    let (mut tags, mut fields) = crate::custom_fields::with_ids_of(
        db,
        crate::tags::ContactTags::Table,
        (crate::tags::ContactTags::ContactId, crate::tags::ContactTags::TagId),
        account,
        &ids,
    )
    .await?;
    for c in list {
        c.tag_ids = tags
            .remove(&c.id.0)
            .unwrap_or_default()
            .into_iter()
            .map(TagId)
            .collect();
        c.custom_fields = fields.remove(&c.id.0).unwrap_or_default();
    }
    Ok(())
}

pub async fn get(db: &mut impl Exec, account: AccountId, id: ContactId) -> Result<Option<Contact>> {
    select_one(db, account, id, false).await
}

/// Reads a contact and locks its row until the transaction ends (PostgreSQL `FOR UPDATE`;
/// SQLite's write transaction already holds the whole database), so that changes made from
/// what was read cannot overwrite a concurrent transaction's.
pub async fn lock(tx: &mut Tx, account: AccountId, id: ContactId) -> Result<Option<Contact>> {
    select_one(tx, account, id, true).await
}

async fn select_one(db: &mut impl Exec, account: AccountId, id: ContactId, lock: bool) -> Result<Option<Contact>> {
    let mut stmt = Query::select();
    stmt.columns(COLUMNS)
        .from(Contacts::Table)
        .and_where(Expr::col(Contacts::AccountId).eq(account.0))
        .and_where(Expr::col(Contacts::Id).eq(id.0));
    if lock {
        stmt.lock(LockType::Update);
    }
    let rows: Vec<ContactRow> = fetch_all(db, &stmt).await?;
    Ok(with_tags(db, account, rows).await?.pop())
}

/// The contacts of `account` among `ids`, in one query (plus one for their tags).
pub async fn get_many(db: &mut impl Exec, account: AccountId, ids: &[ContactId]) -> Result<Vec<Contact>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns(COLUMNS)
        .from(Contacts::Table)
        .and_where(Expr::col(Contacts::AccountId).eq(account.0))
        .and_where(Expr::col(Contacts::Id).is_in(ids.iter().map(|c| c.0)))
        .to_owned();
    let rows: Vec<ContactRow> = fetch_all(db, &stmt).await?;
    with_tags(db, account, rows).await
}

/// The contact of a connection with this (normalised) phone number.
pub async fn find_by_phone(
    db: &mut impl Exec,
    account: AccountId,
    connection: ConnectionId,
    phone: &str,
) -> Result<Option<ContactId>> {
    let stmt = Query::select()
        .column(Contacts::Id)
        .from(Contacts::Table)
        .and_where(Expr::col(Contacts::AccountId).eq(account.0))
        .and_where(Expr::col(Contacts::ConnectionId).eq(connection.0))
        .and_where(Expr::col(Contacts::Phone).eq(phone))
        .to_owned();
    let row: Option<(Uuid,)> = fetch_optional(db, &stmt).await?;
    Ok(row.map(|(id,)| ContactId(id)))
}

/// The contacts of a connection with these (normalised) phone numbers, read and locked until
/// the transaction ends (as [`lock`] does), in one query, without their tags and custom values
/// ([`read_relations`] reads them for those that need them).
pub async fn lock_by_phones(
    tx: &mut Tx,
    account: AccountId,
    connection: ConnectionId,
    phones: &[&str],
) -> Result<Vec<Contact>> {
    if phones.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = by_phones_query(tx.kind(), account, connection, phones)
        .lock(LockType::Update)
        .to_owned();
    let rows: Vec<ContactRow> = fetch_all(tx, &stmt).await?;
    Ok(rows.into_iter().map(|r| r.into_contact(Vec::new())).collect())
}

pub(crate) fn by_phones_query(
    kind: crate::BackendKind,
    account: AccountId,
    connection: ConnectionId,
    phones: &[&str],
) -> sea_query::SelectStatement {
    Query::select()
        .columns(COLUMNS)
        .from(Contacts::Table)
        .and_where(crate::db::in_account(kind, account))
        .and_where(Expr::col(Contacts::ConnectionId).eq(connection.0))
        .and_where(Expr::col(Contacts::Phone).is_in(phones.iter().copied()))
        .order_by(Contacts::Id, Order::Asc)
        .to_owned()
}

/// What a contact list is narrowed to.
#[derive(Clone, Debug, Default)]
pub struct ContactFilter {
    /// Matches names (any of the three), e-mail, and — when it is written like a phone number
    /// (digits, spaces, `+-().`) with three digits or more — a fragment of the phone number.
    /// Case-insensitive.
    pub text: Option<String>,
    pub connection_id: Option<ConnectionId>,
    pub tag_id: Option<TagId>,
    pub blocked: Option<bool>,
    pub organization_id: Option<balcao_core::OrganizationId>,
    pub person_id: Option<balcao_core::PersonId>,
    pub sort: ContactSort,
    /// Contacts whose value of this field equals the (normalised) value.
    pub custom_field: Option<(balcao_core::CustomFieldId, serde_json::Value)>,
}

fn like_anywhere(value: &str) -> LikeExpr {
    let escaped = value.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    LikeExpr::new(format!("%{escaped}%")).escape('\\')
}

/// What a text search of contacts matches: the names (any of the three) and the e-mail
/// containing the text, and — when it is written like a phone number with three digits or
/// more — phone numbers containing its digits; case-insensitive. Texts of three characters or
/// more are looked up in the trigram index (SQLite's `contacts_search`; on PostgreSQL the same
/// comparisons are served by `pg_trgm` indexes); shorter ones are compared row by row.
fn text_condition(kind: BackendKind, text: &str) -> SimpleExpr {
    let looks_like_phone = text.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let phone = (looks_like_phone && digits.len() >= 3).then_some(digits);
    if kind == BackendKind::Sqlite && text.chars().count() >= 3 {
        // With the trigram tokenizer a quoted string matches any row containing it.
        let mut query = format!(
            "{{name internal_name alternative_name email}} : {}",
            crate::db::double_quoted(text)
        );
        if let Some(p) = &phone {
            query.push_str(&format!(" OR phone : {}", crate::db::double_quoted(p)));
        }
        return Expr::cust_with_values(
            "\"contacts\".rowid IN (SELECT rowid FROM contacts_search WHERE contacts_search MATCH ?)",
            [query],
        );
    }
    let lower = text.to_lowercase();
    let mut any = Expr::expr(Func::lower(Expr::col(Contacts::Name))).like(like_anywhere(&lower));
    for column in [Contacts::InternalName, Contacts::AlternativeName, Contacts::Email] {
        any = any.or(Expr::expr(Func::lower(Expr::col(column))).like(like_anywhere(&lower)));
    }
    if let Some(p) = phone {
        // lower() as the trigram index is written (see migration 0015); digits are unchanged.
        any = any.or(Expr::expr(Func::lower(Expr::col(Contacts::Phone))).like(like_anywhere(&p)));
    }
    any
}

pub async fn list(
    db: &mut impl Exec,
    account: AccountId,
    filter: &ContactFilter,
    page: PageRequest,
) -> Result<Page<Contact>> {
    let mut stmt = Query::select();
    stmt.columns(COLUMNS)
        .from(Contacts::Table)
        .and_where(Expr::col(Contacts::AccountId).eq(account.0))
        .limit(u64::from(page.limit) + 1);
    let (sort, desc) = filter.sort.expression();
    let position = page.cursor.clone().or(page.after.map(|id| Cursor {
        v: CursorValue::Int(0),
        id,
    }));
    keyset(&mut stmt, sort, Contacts::Id, desc, position.as_ref());
    if let Some(connection) = filter.connection_id {
        stmt.and_where(Expr::col(Contacts::ConnectionId).eq(connection.0));
    }
    if let Some(o) = filter.organization_id {
        stmt.and_where(Expr::col(Contacts::OrganizationId).eq(o.0));
    }
    if let Some(p) = filter.person_id {
        stmt.and_where(Expr::col(Contacts::PersonId).eq(p.0));
    }
    if let Some(blocked) = filter.blocked {
        stmt.and_where(Expr::col(Contacts::Blocked).eq(blocked));
    }
    if let Some(tag) = filter.tag_id {
        stmt.and_where(
            Expr::col(Contacts::Id).in_subquery(
                Query::select()
                    .column(ContactTags::ContactId)
                    .from(ContactTags::Table)
                    .and_where(Expr::col(ContactTags::TagId).eq(tag.0))
                    .to_owned(),
            ),
        );
    }
    if let Some((field, value)) = &filter.custom_field {
        use crate::custom_fields::CustomFieldValues as V;
        stmt.and_where(
            Expr::col(Contacts::Id).in_subquery(
                Query::select()
                    .column(V::SubjectId)
                    .from(V::Table)
                    .and_where(Expr::col(V::FieldId).eq(field.0))
                    .and_where(Expr::col(V::Value).eq(value.to_string()))
                    .to_owned(),
            ),
        );
    }
    let text = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
    if let Some(text) = text {
        stmt.and_where(text_condition(db.kind(), text));
    }
    let rows: Vec<ContactRow> = match (text, db.kind()) {
        // PostgreSQL: the matches first (through the trigram indexes), then their order. Asked
        // for the first page in order, the planner walked the contacts by id filtering each
        // whenever it guessed a fragment common — all 100,000 of them for a rare one.
        (Some(_), BackendKind::Postgres) => {
            let mut matches = stmt.clone();
            matches.clear_order_by().reset_limit();
            let hits = sea_query::CommonTableExpression::new()
                .query(matches)
                .table_name(sea_query::Alias::new("hits"))
                .materialized(true)
                .to_owned();
            let mut ordered = Query::select();
            ordered
                .column(sea_query::Asterisk)
                .from(sea_query::Alias::new("hits"))
                .limit(u64::from(page.limit) + 1);
            let (sort, desc) = filter.sort.expression();
            keyset(&mut ordered, sort, Contacts::Id, desc, None);
            let query = ordered.with(sea_query::WithClause::new().cte(hits).to_owned());
            crate::db::fetch_all_planned(db, &query).await?
        }
        _ => fetch_all(db, &stmt).await?,
    };
    let sort = filter.sort;
    let page = paginate_sorted(rows, page.limit, |r| Cursor {
        v: match sort {
            ContactSort::Created | ContactSort::CreatedDesc => CursorValue::Int(0),
            ContactSort::Name | ContactSort::NameDesc => CursorValue::Text(r.name.clone()),
            ContactSort::LastMessageDesc => CursorValue::Int(r.last_message_at.unwrap_or(0)),
            ContactSort::UpdatedDesc => CursorValue::Int(r.updated_at),
        },
        id: r.id,
    });
    let next_after = (sort == ContactSort::Created)
        .then(|| page.next_cursor.as_deref().and_then(Cursor::decode).map(|c| c.id))
        .flatten();
    Ok(Page {
        next_cursor: page.next_cursor,
        items: with_tags(db, account, page.items).await?,
        next_after,
    })
}

/// How a contact list is sorted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ContactSort {
    /// Oldest first (the default).
    #[default]
    Created,
    CreatedDesc,
    /// By name as written (case-sensitive, the database's collation).
    Name,
    NameDesc,
    /// Latest message first; contacts without messages last.
    LastMessageDesc,
    /// Latest change first.
    UpdatedDesc,
}

impl ContactSort {
    pub const NAMES: [(&'static str, ContactSort); 6] = [
        ("created", ContactSort::Created),
        ("-created", ContactSort::CreatedDesc),
        ("name", ContactSort::Name),
        ("-name", ContactSort::NameDesc),
        ("-last_message_at", ContactSort::LastMessageDesc),
        ("-updated_at", ContactSort::UpdatedDesc),
    ];

    fn expression(self) -> (Option<SimpleExpr>, bool) {
        match self {
            ContactSort::Created => (None, false),
            ContactSort::CreatedDesc => (None, true),
            ContactSort::Name => (Some(Expr::col(Contacts::Name).into()), false),
            ContactSort::NameDesc => (Some(Expr::col(Contacts::Name).into()), true),
            ContactSort::LastMessageDesc => (
                Some(Func::coalesce([Expr::col(Contacts::LastMessageAt).into(), Expr::val(0i64).into()]).into()),
                true,
            ),
            ContactSort::UpdatedDesc => (Some(Expr::col(Contacts::UpdatedAt).into()), true),
        }
    }
}

/// Which of `ids` are contacts of `account`.
pub async fn existing(db: &mut impl Exec, account: AccountId, ids: &[ContactId]) -> Result<Vec<ContactId>> {
    let raw: Vec<Uuid> = ids.iter().map(|i| i.0).collect();
    let found = crate::db::existing_ids(db, Contacts::Table, account, &raw).await?;
    Ok(found.into_iter().map(ContactId).collect())
}

/// Deletes the contacts of `account` among `ids`; answers how many went.
pub async fn delete_many(db: &mut impl Exec, account: AccountId, ids: &[ContactId]) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let stmt = Query::delete()
        .from_table(Contacts::Table)
        .and_where(Expr::col(Contacts::AccountId).eq(account.0))
        .and_where(Expr::col(Contacts::Id).is_in(ids.iter().map(|c| c.0)))
        .to_owned();
    Ok(execute(db, &stmt).await?)
}

/// Writes what new messages change on contacts of one account — name, last message time,
/// unread count, update time — for many contacts in one statement.
pub async fn write_activity(db: &mut impl Exec, account: AccountId, list: &[Contact]) -> Result<()> {
    let rows: Vec<(Uuid, Vec<SimpleExpr>)> = list
        .iter()
        .map(|c| {
            let values: Vec<SimpleExpr> = vec![
                c.name.clone().into(),
                c.last_message_at.map(Timestamp::micros).into(),
                c.unread_count.into(),
                c.updated_at.micros().into(),
            ];
            (c.id.0, values)
        })
        .collect();
    let columns = [
        Contacts::Name,
        Contacts::LastMessageAt,
        Contacts::UnreadCount,
        Contacts::UpdatedAt,
    ];
    crate::db::update_by_id(
        db,
        (Contacts::Table, Contacts::AccountId, Contacts::Id),
        account.0,
        &columns,
        &rows,
    )
    .await?;
    Ok(())
}

/// Marks contacts as changed at `now` and answers them as they are now (with tags).
pub async fn touch_many(
    db: &mut impl Exec,
    account: AccountId,
    ids: &[ContactId],
    now: Timestamp,
) -> Result<Vec<Contact>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let update = Query::update()
        .table(Contacts::Table)
        .value(Contacts::UpdatedAt, now.micros())
        .and_where(Expr::col(Contacts::AccountId).eq(account.0))
        .and_where(Expr::col(Contacts::Id).is_in(ids.iter().map(|c| c.0)))
        .to_owned();
    execute(db, &update).await?;
    let select = Query::select()
        .columns(COLUMNS)
        .from(Contacts::Table)
        .and_where(Expr::col(Contacts::AccountId).eq(account.0))
        .and_where(Expr::col(Contacts::Id).is_in(ids.iter().map(|c| c.0)))
        .order_by(Contacts::Id, Order::Asc)
        .to_owned();
    let rows: Vec<ContactRow> = fetch_all(db, &select).await?;
    with_tags(db, account, rows).await
}

impl crate::query::Fields for balcao_core::contact::ContactField {
    fn column(self) -> (&'static str, balcao_core::query::FieldKind) {
        use balcao_core::contact::ContactField as F;
        use balcao_core::query::FieldKind as K;
        match self {
            F::Id => ("id", K::Id),
            F::ConnectionId => ("connection_id", K::Id),
            F::Name => ("name", K::Text),
            F::InternalName => ("internal_name", K::Text),
            F::AlternativeName => ("alternative_name", K::Text),
            F::Phone => ("phone", K::Text),
            F::ExternalId => ("external_id", K::Text),
            F::Email => ("email", K::Text),
            F::Document => ("document", K::Text),
            F::Note => ("note", K::Text),
            F::Blocked => ("blocked", K::Boolean),
            F::IsGroup => ("is_group", K::Boolean),
            F::Visible => ("visible", K::Boolean),
            F::DefaultDepartmentId => ("default_department_id", K::Id),
            F::DefaultUserId => ("default_user_id", K::Id),
            F::OrganizationId => ("organization_id", K::Id),
            F::PersonId => ("person_id", K::Id),
            F::LastMessageAt => ("last_message_at", K::Time),
            F::UnreadCount => ("unread_count", K::Integer),
            F::CreatedAt => ("created_at", K::Time),
            F::UpdatedAt => ("updated_at", K::Time),
            F::ConnectionName | F::PersonName => ("name", K::Text),
        }
    }

    fn expr(self, table: &'static str) -> SimpleExpr {
        use balcao_core::contact::ContactField as F;
        match self {
            F::ConnectionName => crate::query::related_column(table, "connection_id", "connections", "name"),
            F::PersonName => crate::query::related_column(table, "person_id", "people", "name"),
            other => crate::query::own_column(table, other),
        }
    }
}

/// A condition on contacts' related rows: `tags` (`id`, `label`), `person` (`id`, `name`),
/// `custom_fields` (a value is set for a field with this `id` / `name`).
fn relation(r: &balcao_core::query::Relation) -> SimpleExpr {
    match r.name {
        "tags" => tags_relation(r),
        "person" => person_relation(r),
        "custom_fields" => custom_field_relation(r),
        _ => Expr::cust("1 = 0"),
    }
}

fn person_relation(r: &balcao_core::query::Relation) -> SimpleExpr {
    use sea_query::Alias;
    let people = Alias::new("people");
    let mut sub = Query::select();
    sub.expr(Expr::val(1))
        .from(people.clone())
        .and_where(Expr::col((people.clone(), Alias::new("id"))).equals((Contacts::Table, Contacts::PersonId)));
    for (field, op, value) in &r.conds {
        let column = if *field == "name" { "name" } else { "id" };
        sub.and_where(crate::query::compare(
            Expr::col((people.clone(), Alias::new(column))).into(),
            *op,
            value,
        ));
    }
    Expr::exists(sub)
}

fn custom_field_relation(r: &balcao_core::query::Relation) -> SimpleExpr {
    use sea_query::Alias;
    let (values, fields) = (Alias::new("custom_field_values"), Alias::new("custom_fields"));
    let mut sub = Query::select();
    sub.expr(Expr::val(1))
        .from(values.clone())
        .inner_join(
            fields.clone(),
            Expr::col((fields.clone(), Alias::new("id"))).equals((values.clone(), Alias::new("field_id"))),
        )
        .and_where(Expr::col((values.clone(), Alias::new("subject_id"))).equals((Contacts::Table, Contacts::Id)));
    for (field, op, value) in &r.conds {
        let column = if *field == "name" { "name" } else { "id" };
        sub.and_where(crate::query::compare(
            Expr::col((fields.clone(), Alias::new(column))).into(),
            *op,
            value,
        ));
    }
    Expr::exists(sub)
}

/// Contacts with a tag matching a relation's conditions (`id` or `label` of the tag).
fn tags_relation(r: &balcao_core::query::Relation) -> SimpleExpr {
    use crate::tags::Tags;
    let mut sub = Query::select();
    sub.expr(Expr::val(1))
        .from(ContactTags::Table)
        .inner_join(
            Tags::Table,
            Expr::col((Tags::Table, Tags::Id)).equals((ContactTags::Table, ContactTags::TagId)),
        )
        .and_where(Expr::col((ContactTags::Table, ContactTags::ContactId)).equals((Contacts::Table, Contacts::Id)));
    for (field, op, value) in &r.conds {
        let column: SimpleExpr = match *field {
            "label" => Expr::col((Tags::Table, Tags::Label)).into(),
            _ => Expr::col((Tags::Table, Tags::Id)).into(),
        };
        sub.and_where(crate::query::compare(column, *op, value));
    }
    Expr::exists(sub)
}

/// Contacts matching a query (its conditions, order and offset page), with how many match in
/// all: two statements, and the tags of the page in one more.
pub async fn query(
    db: &mut impl Exec,
    account: AccountId,
    q: &balcao_core::query::Query<balcao_core::contact::ContactField>,
) -> Result<(Vec<Contact>, u64)> {
    let (rows, total): (Vec<ContactRow>, u64) =
        crate::query::page(db, "contacts", &COLUMNS, account, q, &relation).await?;
    Ok((with_tags(db, account, rows).await?, total))
}
