//! Users of an account: who may manage them, and what keeps an account manageable.

use std::str::FromStr;

use balcao_core::{DepartmentId, Role, Timestamp, User, UserId, Validator};
use balcao_store::{departments, sessions, users};
use uuid::Uuid;

use crate::{ArchivedFilter, ListParams, Page, Principal, Result, Service, ServiceError};

/// A new user, as sent by a face; absent fields are reported as `required`.
#[derive(Clone, Debug, Default)]
pub struct NewUser {
    pub name: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
    /// `admin`, `supervisor` or `agent` (the default).
    pub role: Option<String>,
    pub department_ids: Option<Vec<Uuid>>,
}

/// Changes to a user; absent fields stay as they are.
#[derive(Clone, Debug, Default)]
pub struct UserPatch {
    pub name: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
    pub role: Option<String>,
    pub department_ids: Option<Vec<Uuid>>,
}

fn parse_role(v: &mut Validator, value: &str) -> Option<Role> {
    let role = Role::from_str(value).ok();
    if role.is_none() {
        v.add("role", "invalid", "`role` must be one of admin, supervisor, agent");
    }
    role
}

/// Checks that every id names a department of the caller's account (a foreign id is
/// reported exactly like a missing one); answers them sorted, without repeats.
pub(crate) async fn check_departments(
    service: &Service,
    who: &Principal,
    ids: &[Uuid],
    v: &mut Validator,
) -> Result<Vec<DepartmentId>> {
    let wanted: Vec<DepartmentId> = crate::distinct(ids.iter().copied().map(DepartmentId));
    let found = departments::existing(&mut service.store().read(), who.account_id, &wanted).await?;
    for (i, id) in ids.iter().enumerate() {
        if !found.contains(&DepartmentId(*id)) {
            v.add(
                format!("department_ids[{i}]"),
                "not_found",
                format!("department {id} does not exist"),
            );
        }
    }
    Ok(wanted)
}

impl Service {
    pub async fn create_user(&self, who: &Principal, input: NewUser) -> Result<User> {
        who.require_admin("create users")?;
        let mut v = Validator::new();
        let name = v
            .required("name", input.name.as_deref())
            .and_then(|n| v.name("name", n));
        let email = v
            .required("email", input.email.as_deref())
            .and_then(|e| v.email("email", e));
        let password = v
            .required("password", input.password.as_deref())
            .and_then(|p| v.password("password", p));
        let role = match input.role.as_deref() {
            Some(r) => parse_role(&mut v, r),
            None => Some(Role::Agent),
        };
        let department_ids =
            check_departments(self, who, input.department_ids.as_deref().unwrap_or_default(), &mut v).await?;
        v.finish()?;
        let (Some(name), Some(email), Some(password), Some(role)) = (name, email, password, role) else {
            return Err(ServiceError::Internal("validated fields missing".into()));
        };
        let password_hash = self.inner.hasher.hash(password).await?;
        let now = Timestamp::now();
        let user = User {
            id: UserId::new(),
            account_id: who.account_id,
            name,
            email,
            role,
            department_ids,
            archived_at: None,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store().begin().await?;
        users::insert(&mut tx, &user, &password_hash).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// The caller and their account.
    pub async fn me(&self, who: &Principal) -> Result<(User, balcao_core::Account)> {
        let user = self.get_user(who, who.user_id).await?;
        let account = balcao_store::accounts::get(&mut self.store().read(), who.account_id)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        Ok((user, account))
    }

    pub async fn get_user(&self, who: &Principal, id: UserId) -> Result<User> {
        users::get(&mut self.store().read(), who.account_id, id)
            .await?
            .ok_or(ServiceError::NotFound("user"))
    }

    pub async fn list_users(
        &self,
        who: &Principal,
        archived: ArchivedFilter,
        params: ListParams,
    ) -> Result<Page<User>> {
        Ok(users::list(&mut self.store().read(), who.account_id, archived, params.page()?).await?)
    }

    /// Admins change anyone; other users change their own name, e-mail and password.
    pub async fn update_user(&self, who: &Principal, id: UserId, patch: UserPatch) -> Result<User> {
        let mut user = self.get_user(who, id).await?;
        let is_self = id == who.user_id;
        if !who.is_admin() {
            if !is_self {
                return Err(ServiceError::forbidden("only an admin can change other users"));
            }
            if patch.role.is_some() || patch.department_ids.is_some() {
                return Err(ServiceError::forbidden(
                    "only an admin can change roles and departments",
                ));
            }
        }
        let mut v = Validator::new();
        if let Some(name) = patch.name.as_deref().and_then(|n| v.name("name", n)) {
            user.name = name;
        }
        if let Some(email) = patch.email.as_deref().and_then(|e| v.email("email", e)) {
            user.email = email;
        }
        let password = patch.password.as_deref().and_then(|p| v.password("password", p));
        let new_role = patch.role.as_deref().and_then(|r| parse_role(&mut v, r));
        let departments = match &patch.department_ids {
            Some(ids) => Some(check_departments(self, who, ids, &mut v).await?),
            None => None,
        };
        v.finish()?;
        let demotes_admin = user.role == Role::Admin && new_role.is_some_and(|r| r != Role::Admin);
        if let Some(role) = new_role {
            user.role = role;
        }
        if let Some(d) = &departments {
            user.department_ids.clone_from(d);
        }
        let password_hash = match password {
            Some(p) => Some(self.inner.hasher.hash(p).await?),
            None => None,
        };
        let now = Timestamp::now();
        user.updated_at = now;
        let mut tx = self.store().begin().await?;
        if demotes_admin && user.archived_at.is_none() {
            ensure_other_admin(&mut tx, who, "demote").await?;
        }
        if !users::update(&mut tx, &user).await? {
            return Err(ServiceError::NotFound("user"));
        }
        if let Some(d) = &departments {
            users::set_departments(&mut tx, who.account_id, id, d).await?;
        }
        if let Some(hash) = &password_hash {
            users::set_password_hash(&mut tx, who.account_id, id, hash, now).await?;
            sessions::revoke_all_of_user(&mut tx, who.account_id, id, now).await?;
        }
        tx.commit().await?;
        Ok(user)
    }

    /// Archived users cannot log in and their tokens stop working; their history stays.
    pub async fn set_user_archived(&self, who: &Principal, id: UserId, archived: bool) -> Result<User> {
        who.require_admin("archive users")?;
        let mut user = self.get_user(who, id).await?;
        if archived == user.is_archived() {
            return Ok(user);
        }
        if archived && id == who.user_id {
            return Err(ServiceError::conflict(
                "cannot_archive_self",
                "you cannot archive yourself",
            ));
        }
        let now = Timestamp::now();
        user.archived_at = archived.then_some(now);
        user.updated_at = now;
        let mut tx = self.store().begin().await?;
        if archived && user.role == Role::Admin {
            ensure_other_admin(&mut tx, who, "archive").await?;
        }
        users::update(&mut tx, &user).await?;
        if archived {
            sessions::revoke_all_of_user(&mut tx, who.account_id, id, now).await?;
        }
        tx.commit().await?;
        Ok(user)
    }

    pub async fn delete_user(&self, who: &Principal, id: UserId) -> Result<()> {
        who.require_admin("delete users")?;
        let user = self.get_user(who, id).await?;
        if id == who.user_id {
            return Err(ServiceError::conflict(
                "cannot_delete_self",
                "you cannot delete yourself",
            ));
        }
        let mut tx = self.store().begin().await?;
        if user.role == Role::Admin && !user.is_archived() {
            ensure_other_admin(&mut tx, who, "delete").await?;
        }
        if !users::delete(&mut tx, who.account_id, id).await? {
            return Err(ServiceError::NotFound("user"));
        }
        tx.commit().await?;
        Ok(())
    }
}

/// An account keeps at least one active admin.
async fn ensure_other_admin(tx: &mut balcao_store::Tx, who: &Principal, verb: &str) -> Result<()> {
    if users::count_active_admins(tx, who.account_id).await? <= 1 {
        return Err(ServiceError::conflict(
            "last_admin",
            format!("cannot {verb} the account's last active admin"),
        ));
    }
    Ok(())
}
