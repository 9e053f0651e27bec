//! How the native API shows records, and the query parameters its lists share.

use balcao_core::{ApiToken, Department, Role, Timestamp, User};
use balcao_service::{ArchivedFilter, ListParams};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleName {
    Admin,
    Supervisor,
    Agent,
}

impl From<Role> for RoleName {
    fn from(r: Role) -> Self {
        match r {
            Role::Admin => RoleName::Admin,
            Role::Supervisor => RoleName::Supervisor,
            Role::Agent => RoleName::Agent,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub email: String,
    pub role: RoleName,
    pub department_ids: Vec<Uuid>,
    pub archived: bool,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub archived_at: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        UserView {
            id: u.id.0,
            account_id: u.account_id.0,
            archived: u.archived_at.is_some(),
            name: u.name,
            email: u.email,
            role: u.role.into(),
            department_ids: u.department_ids.into_iter().map(|d| d.0).collect(),
            archived_at: u.archived_at,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DepartmentView {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub archived: bool,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub archived_at: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<Department> for DepartmentView {
    fn from(d: Department) -> Self {
        DepartmentView {
            id: d.id.0,
            account_id: d.account_id.0,
            archived: d.archived_at.is_some(),
            name: d.name,
            archived_at: d.archived_at,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TokenView {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    /// Requests with this token must come from this host or its subdomains (`Origin`/`Referer`).
    pub allowed_domain: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Timestamp>,
}

impl From<ApiToken> for TokenView {
    fn from(t: ApiToken) -> Self {
        TokenView {
            id: t.id.0,
            user_id: t.user_id.0,
            name: t.name,
            allowed_domain: t.allowed_domain,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            expires_at: t.expires_at,
        }
    }
}

/// Deserializes a field that may be absent (`None`), `null` (`Some(None)`) or a value.
pub fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// One page of a list.
#[derive(Serialize, ToSchema)]
pub struct ListOf<T> {
    pub data: Vec<T>,
    /// Pass as `after` to get the next page; `null` on the last page.
    pub next_after: Option<Uuid>,
    /// Sorted lists: pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T> ListOf<T> {
    pub fn from_page<R>(page: balcao_service::Page<R>, f: impl FnMut(R) -> T) -> Self {
        ListOf {
            data: page.items.into_iter().map(f).collect(),
            next_after: page.next_after,
            next_cursor: page.next_cursor,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArchivedParam {
    #[default]
    Active,
    Archived,
    All,
}

/// Paging of a list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Id of the last item of the previous page.
    pub after: Option<Uuid>,
    /// Page size, 1 to 100 (default 50).
    pub limit: Option<u32>,
}

impl PageQuery {
    pub fn params(&self) -> ListParams {
        ListParams {
            after: self.after,
            cursor: None,
            limit: self.limit,
        }
    }
}

/// Paging and archive filter of a list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Id of the last item of the previous page.
    pub after: Option<Uuid>,
    /// Page size, 1 to 100 (default 50).
    pub limit: Option<u32>,
    /// `active` (default), `archived` or `all`.
    #[param(inline)]
    pub archived: Option<ArchivedParam>,
}

impl ListQuery {
    pub fn params(&self) -> ListParams {
        ListParams {
            after: self.after,
            cursor: None,
            limit: self.limit,
        }
    }

    pub fn archived(&self) -> ArchivedFilter {
        match self.archived.unwrap_or_default() {
            ArchivedParam::Active => ArchivedFilter::Active,
            ArchivedParam::Archived => ArchivedFilter::Archived,
            ArchivedParam::All => ArchivedFilter::All,
        }
    }
}
