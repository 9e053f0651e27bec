//! Reusable messages: WhatsApp templates, interactive templates, quick replies.

use std::str::FromStr;

use balcao_core::template::{
    InteractiveKind, InteractiveTemplate, QuickReply, TemplateCategory, TemplateStatus, WhatsappTemplate,
};
use balcao_core::{AccountId, ConnectionId, DepartmentId, InteractiveTemplateId, QuickReplyId, TemplateId, Timestamp};
use sea_query::{Expr, Iden, Order, Query, SelectStatement, SimpleExpr};
use uuid::Uuid;

use crate::db::{execute, fetch_all, fetch_optional, grouped_ids};
use crate::{Exec, Result, StoreError};

fn corrupt(table: &'static str, detail: impl ToString) -> StoreError {
    StoreError::Corrupt {
        table,
        detail: detail.to_string(),
    }
}

fn json(text: &str, table: &'static str) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| corrupt(table, e))
}

/// Deletes the row `id` of `account` from `table`.
async fn delete_row(
    db: &mut impl Exec,
    table: impl sea_query::IntoIden + 'static,
    account: AccountId,
    id: Uuid,
) -> Result<bool> {
    let stmt = Query::delete()
        .from_table(table)
        .and_where(Expr::col(sea_query::Alias::new("account_id")).eq(account.0))
        .and_where(Expr::col(sea_query::Alias::new("id")).eq(id))
        .to_owned();
    Ok(execute(db, &stmt).await? == 1)
}

// ---------------------------------------------------------------- WhatsApp templates

#[derive(Iden, Clone, Copy)]
enum WhatsappTemplates {
    Table,
    Id,
    AccountId,
    ConnectionId,
    Name,
    Language,
    Category,
    Components,
    Status,
    RejectionReason,
    ExternalId,
    CreatedAt,
    UpdatedAt,
}

const TEMPLATE_COLUMNS: [WhatsappTemplates; 12] = [
    WhatsappTemplates::Id,
    WhatsappTemplates::AccountId,
    WhatsappTemplates::ConnectionId,
    WhatsappTemplates::Name,
    WhatsappTemplates::Language,
    WhatsappTemplates::Category,
    WhatsappTemplates::Components,
    WhatsappTemplates::Status,
    WhatsappTemplates::RejectionReason,
    WhatsappTemplates::ExternalId,
    WhatsappTemplates::CreatedAt,
    WhatsappTemplates::UpdatedAt,
];

#[derive(sqlx::FromRow)]
struct TemplateRow {
    id: Uuid,
    account_id: Uuid,
    connection_id: Uuid,
    name: String,
    language: String,
    category: String,
    components: String,
    status: String,
    rejection_reason: Option<String>,
    external_id: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<TemplateRow> for WhatsappTemplate {
    type Error = StoreError;

    fn try_from(r: TemplateRow) -> Result<Self> {
        const T: &str = "whatsapp_templates";
        Ok(WhatsappTemplate {
            id: TemplateId(r.id),
            account_id: AccountId(r.account_id),
            connection_id: ConnectionId(r.connection_id),
            name: r.name,
            language: r.language,
            category: TemplateCategory::from_str(&r.category).map_err(|()| corrupt(T, &r.category))?,
            components: json(&r.components, T)?,
            status: TemplateStatus::from_str(&r.status).map_err(|()| corrupt(T, &r.status))?,
            rejection_reason: r.rejection_reason,
            external_id: r.external_id,
            created_at: Timestamp::from_micros(r.created_at),
            updated_at: Timestamp::from_micros(r.updated_at),
        })
    }
}

fn template_values(t: &WhatsappTemplate) -> [SimpleExpr; 12] {
    [
        t.id.0.into(),
        t.account_id.0.into(),
        t.connection_id.0.into(),
        t.name.clone().into(),
        t.language.clone().into(),
        t.category.as_str().into(),
        t.components.to_string().into(),
        t.status.as_str().into(),
        t.rejection_reason.clone().into(),
        t.external_id.clone().into(),
        t.created_at.micros().into(),
        t.updated_at.micros().into(),
    ]
}

pub async fn insert_template(db: &mut impl Exec, t: &WhatsappTemplate) -> Result<()> {
    let stmt = Query::insert()
        .into_table(WhatsappTemplates::Table)
        .columns(TEMPLATE_COLUMNS)
        .values_panic(template_values(t))
        .to_owned();
    execute(db, &stmt).await.map_err(|e| StoreError::unique_as(e, "name"))?;
    Ok(())
}

pub async fn update_template(db: &mut impl Exec, t: &WhatsappTemplate) -> Result<bool> {
    let stmt = Query::update()
        .table(WhatsappTemplates::Table)
        .values(TEMPLATE_COLUMNS.into_iter().zip(template_values(t)).skip(3))
        .and_where(Expr::col(WhatsappTemplates::AccountId).eq(t.account_id.0))
        .and_where(Expr::col(WhatsappTemplates::Id).eq(t.id.0))
        .to_owned();
    Ok(execute(db, &stmt).await.map_err(|e| StoreError::unique_as(e, "name"))? == 1)
}

fn select_templates(account: AccountId) -> SelectStatement {
    Query::select()
        .columns(TEMPLATE_COLUMNS)
        .from(WhatsappTemplates::Table)
        .and_where(Expr::col(WhatsappTemplates::AccountId).eq(account.0))
        .order_by(WhatsappTemplates::Id, Order::Asc)
        .to_owned()
}

pub async fn get_template(db: &mut impl Exec, account: AccountId, id: TemplateId) -> Result<Option<WhatsappTemplate>> {
    let stmt = select_templates(account)
        .and_where(Expr::col(WhatsappTemplates::Id).eq(id.0))
        .to_owned();
    let row: Option<TemplateRow> = fetch_optional(db, &stmt).await?;
    row.map(WhatsappTemplate::try_from).transpose()
}

pub async fn list_templates(
    db: &mut impl Exec,
    account: AccountId,
    connection: Option<ConnectionId>,
    status: Option<TemplateStatus>,
) -> Result<Vec<WhatsappTemplate>> {
    let mut stmt = select_templates(account);
    if let Some(c) = connection {
        stmt.and_where(Expr::col(WhatsappTemplates::ConnectionId).eq(c.0));
    }
    if let Some(s) = status {
        stmt.and_where(Expr::col(WhatsappTemplates::Status).eq(s.as_str()));
    }
    let rows: Vec<TemplateRow> = fetch_all(db, &stmt).await?;
    rows.into_iter().map(WhatsappTemplate::try_from).collect()
}

/// The template Meta knows as `external_id` on `connection`.
pub async fn template_by_external_id(
    db: &mut impl Exec,
    account: AccountId,
    connection: ConnectionId,
    external_id: &str,
) -> Result<Option<WhatsappTemplate>> {
    let stmt = select_templates(account)
        .and_where(Expr::col(WhatsappTemplates::ConnectionId).eq(connection.0))
        .and_where(Expr::col(WhatsappTemplates::ExternalId).eq(external_id))
        .to_owned();
    let row: Option<TemplateRow> = fetch_optional(db, &stmt).await?;
    row.map(WhatsappTemplate::try_from).transpose()
}

pub async fn delete_template(db: &mut impl Exec, account: AccountId, id: TemplateId) -> Result<bool> {
    delete_row(db, WhatsappTemplates::Table, account, id.0).await
}

// ---------------------------------------------------------------- interactive templates

#[derive(Iden, Clone, Copy)]
enum InteractiveTemplates {
    Table,
    Id,
    AccountId,
    Name,
    Type,
    Header,
    Body,
    Footer,
    Action,
    CreatedAt,
    UpdatedAt,
}

const INTERACTIVE_COLUMNS: [InteractiveTemplates; 10] = [
    InteractiveTemplates::Id,
    InteractiveTemplates::AccountId,
    InteractiveTemplates::Name,
    InteractiveTemplates::Type,
    InteractiveTemplates::Header,
    InteractiveTemplates::Body,
    InteractiveTemplates::Footer,
    InteractiveTemplates::Action,
    InteractiveTemplates::CreatedAt,
    InteractiveTemplates::UpdatedAt,
];

#[derive(sqlx::FromRow)]
struct InteractiveRow {
    id: Uuid,
    account_id: Uuid,
    name: String,
    #[sqlx(rename = "type")]
    kind: String,
    header: Option<String>,
    body: String,
    footer: Option<String>,
    action: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<InteractiveRow> for InteractiveTemplate {
    type Error = StoreError;

    fn try_from(r: InteractiveRow) -> Result<Self> {
        const T: &str = "interactive_templates";
        Ok(InteractiveTemplate {
            id: InteractiveTemplateId(r.id),
            account_id: AccountId(r.account_id),
            name: r.name,
            kind: InteractiveKind::from_str(&r.kind).map_err(|()| corrupt(T, &r.kind))?,
            header: r.header,
            body: r.body,
            footer: r.footer,
            action: json(&r.action, T)?,
            created_at: Timestamp::from_micros(r.created_at),
            updated_at: Timestamp::from_micros(r.updated_at),
        })
    }
}

fn interactive_values(t: &InteractiveTemplate) -> [SimpleExpr; 10] {
    [
        t.id.0.into(),
        t.account_id.0.into(),
        t.name.clone().into(),
        t.kind.as_str().into(),
        t.header.clone().into(),
        t.body.clone().into(),
        t.footer.clone().into(),
        t.action.to_string().into(),
        t.created_at.micros().into(),
        t.updated_at.micros().into(),
    ]
}

pub async fn insert_interactive(db: &mut impl Exec, t: &InteractiveTemplate) -> Result<()> {
    let stmt = Query::insert()
        .into_table(InteractiveTemplates::Table)
        .columns(INTERACTIVE_COLUMNS)
        .values_panic(interactive_values(t))
        .to_owned();
    execute(db, &stmt).await.map_err(|e| StoreError::unique_as(e, "name"))?;
    Ok(())
}

pub async fn get_interactive(
    db: &mut impl Exec,
    account: AccountId,
    id: InteractiveTemplateId,
) -> Result<Option<InteractiveTemplate>> {
    let stmt = Query::select()
        .columns(INTERACTIVE_COLUMNS)
        .from(InteractiveTemplates::Table)
        .and_where(Expr::col(InteractiveTemplates::AccountId).eq(account.0))
        .and_where(Expr::col(InteractiveTemplates::Id).eq(id.0))
        .to_owned();
    let row: Option<InteractiveRow> = fetch_optional(db, &stmt).await?;
    row.map(InteractiveTemplate::try_from).transpose()
}

pub async fn list_interactive(db: &mut impl Exec, account: AccountId) -> Result<Vec<InteractiveTemplate>> {
    let stmt = Query::select()
        .columns(INTERACTIVE_COLUMNS)
        .from(InteractiveTemplates::Table)
        .and_where(Expr::col(InteractiveTemplates::AccountId).eq(account.0))
        .order_by(InteractiveTemplates::Id, Order::Asc)
        .to_owned();
    let rows: Vec<InteractiveRow> = fetch_all(db, &stmt).await?;
    rows.into_iter().map(InteractiveTemplate::try_from).collect()
}

pub async fn delete_interactive(db: &mut impl Exec, account: AccountId, id: InteractiveTemplateId) -> Result<bool> {
    delete_row(db, InteractiveTemplates::Table, account, id.0).await
}

// ---------------------------------------------------------------- quick replies

#[derive(Iden, Clone, Copy)]
enum QuickReplies {
    Table,
    Id,
    AccountId,
    Shortcut,
    Text,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
enum QuickReplyDepartments {
    Table,
    AccountId,
    QuickReplyId,
    DepartmentId,
}

const REPLY_COLUMNS: [QuickReplies; 6] = [
    QuickReplies::Id,
    QuickReplies::AccountId,
    QuickReplies::Shortcut,
    QuickReplies::Text,
    QuickReplies::CreatedAt,
    QuickReplies::UpdatedAt,
];

#[derive(sqlx::FromRow)]
struct ReplyRow {
    id: Uuid,
    account_id: Uuid,
    shortcut: String,
    text: String,
    created_at: i64,
    updated_at: i64,
}

/// Writes a quick reply (inserting or updating it) with its departments.
pub async fn save_quick_reply(db: &mut impl Exec, q: &QuickReply, new: bool) -> Result<bool> {
    let found = if new {
        let stmt = Query::insert()
            .into_table(QuickReplies::Table)
            .columns(REPLY_COLUMNS)
            .values_panic([
                q.id.0.into(),
                q.account_id.0.into(),
                q.shortcut.clone().into(),
                q.text.clone().into(),
                q.created_at.micros().into(),
                q.updated_at.micros().into(),
            ])
            .to_owned();
        execute(db, &stmt)
            .await
            .map_err(|e| StoreError::unique_as(e, "shortcut"))?;
        true
    } else {
        let stmt = Query::update()
            .table(QuickReplies::Table)
            .values([
                (QuickReplies::Shortcut, q.shortcut.clone().into()),
                (QuickReplies::Text, q.text.clone().into()),
                (QuickReplies::UpdatedAt, q.updated_at.micros().into()),
            ])
            .and_where(Expr::col(QuickReplies::AccountId).eq(q.account_id.0))
            .and_where(Expr::col(QuickReplies::Id).eq(q.id.0))
            .to_owned();
        execute(db, &stmt)
            .await
            .map_err(|e| StoreError::unique_as(e, "shortcut"))?
            == 1
    };
    if !found {
        return Ok(false);
    }
    let delete = Query::delete()
        .from_table(QuickReplyDepartments::Table)
        .and_where(Expr::col(QuickReplyDepartments::AccountId).eq(q.account_id.0))
        .and_where(Expr::col(QuickReplyDepartments::QuickReplyId).eq(q.id.0))
        .to_owned();
    execute(db, &delete).await?;
    if !q.department_ids.is_empty() {
        let mut insert = Query::insert();
        insert.into_table(QuickReplyDepartments::Table).columns([
            QuickReplyDepartments::AccountId,
            QuickReplyDepartments::QuickReplyId,
            QuickReplyDepartments::DepartmentId,
        ]);
        for d in &q.department_ids {
            insert.values_panic([q.account_id.0.into(), q.id.0.into(), d.0.into()]);
        }
        execute(db, &insert).await?;
    }
    Ok(true)
}

async fn with_departments(db: &mut impl Exec, account: AccountId, rows: Vec<ReplyRow>) -> Result<Vec<QuickReply>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut departments = grouped_ids(
        db,
        QuickReplyDepartments::Table,
        (QuickReplyDepartments::QuickReplyId, QuickReplyDepartments::DepartmentId),
        account,
        &ids,
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| QuickReply {
            department_ids: departments
                .remove(&r.id)
                .unwrap_or_default()
                .into_iter()
                .map(DepartmentId)
                .collect(),
            id: QuickReplyId(r.id),
            account_id: AccountId(r.account_id),
            shortcut: r.shortcut,
            text: r.text,
            created_at: Timestamp::from_micros(r.created_at),
            updated_at: Timestamp::from_micros(r.updated_at),
        })
        .collect())
}

pub async fn get_quick_reply(db: &mut impl Exec, account: AccountId, id: QuickReplyId) -> Result<Option<QuickReply>> {
    let stmt = Query::select()
        .columns(REPLY_COLUMNS)
        .from(QuickReplies::Table)
        .and_where(Expr::col(QuickReplies::AccountId).eq(account.0))
        .and_where(Expr::col(QuickReplies::Id).eq(id.0))
        .to_owned();
    let rows: Vec<ReplyRow> = fetch_all(db, &stmt).await?;
    Ok(with_departments(db, account, rows).await?.pop())
}

/// The account's quick replies; with `department`, those meant for it or for every department.
pub async fn list_quick_replies(
    db: &mut impl Exec,
    account: AccountId,
    department: Option<DepartmentId>,
) -> Result<Vec<QuickReply>> {
    let mut stmt = Query::select();
    stmt.columns(REPLY_COLUMNS)
        .from(QuickReplies::Table)
        .and_where(Expr::col(QuickReplies::AccountId).eq(account.0))
        .order_by(QuickReplies::Shortcut, Order::Asc);
    if let Some(d) = department {
        let linked = Query::select()
            .column(QuickReplyDepartments::QuickReplyId)
            .from(QuickReplyDepartments::Table)
            .to_owned();
        let linked_here = Query::select()
            .column(QuickReplyDepartments::QuickReplyId)
            .from(QuickReplyDepartments::Table)
            .and_where(Expr::col(QuickReplyDepartments::DepartmentId).eq(d.0))
            .to_owned();
        stmt.and_where(
            Expr::col(QuickReplies::Id)
                .not_in_subquery(linked)
                .or(Expr::col(QuickReplies::Id).in_subquery(linked_here)),
        );
    }
    let rows: Vec<ReplyRow> = fetch_all(db, &stmt).await?;
    with_departments(db, account, rows).await
}

pub async fn delete_quick_reply(db: &mut impl Exec, account: AccountId, id: QuickReplyId) -> Result<bool> {
    delete_row(db, QuickReplies::Table, account, id.0).await
}
