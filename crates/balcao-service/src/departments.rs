//! Departments of an account.

use balcao_core::{Department, DepartmentId, Timestamp, Validator};
use balcao_store::departments;

use crate::{ArchivedFilter, ListParams, Page, Principal, Result, Service, ServiceError};

#[derive(Clone, Debug, Default)]
pub struct NewDepartment {
    pub name: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct DepartmentPatch {
    pub name: Option<String>,
}

impl Service {
    pub async fn create_department(&self, who: &Principal, input: NewDepartment) -> Result<Department> {
        who.require_admin("create departments")?;
        let mut v = Validator::new();
        let name = v
            .required("name", input.name.as_deref())
            .and_then(|n| v.name("name", n));
        v.finish()?;
        let Some(name) = name else {
            return Err(ServiceError::Internal("validated name missing".into()));
        };
        let now = Timestamp::now();
        let department = Department {
            id: DepartmentId::new(),
            account_id: who.account_id,
            name,
            archived_at: None,
            created_at: now,
            updated_at: now,
        };
        departments::insert(&mut self.store().write(), &department).await?;
        Ok(department)
    }

    pub async fn get_department(&self, who: &Principal, id: DepartmentId) -> Result<Department> {
        departments::get(&mut self.store().read(), who.account_id, id)
            .await?
            .ok_or(ServiceError::NotFound("department"))
    }

    pub async fn list_departments(
        &self,
        who: &Principal,
        archived: ArchivedFilter,
        params: ListParams,
    ) -> Result<Page<Department>> {
        Ok(departments::list(&mut self.store().read(), who.account_id, archived, params.page()?).await?)
    }

    pub async fn update_department(
        &self,
        who: &Principal,
        id: DepartmentId,
        patch: DepartmentPatch,
    ) -> Result<Department> {
        who.require_admin("change departments")?;
        let mut department = self.get_department(who, id).await?;
        let mut v = Validator::new();
        if let Some(name) = patch.name.as_deref().and_then(|n| v.name("name", n)) {
            department.name = name;
        }
        v.finish()?;
        department.updated_at = Timestamp::now();
        if !departments::update(&mut self.store().write(), &department).await? {
            return Err(ServiceError::NotFound("department"));
        }
        Ok(department)
    }

    pub async fn set_department_archived(
        &self,
        who: &Principal,
        id: DepartmentId,
        archived: bool,
    ) -> Result<Department> {
        who.require_admin("archive departments")?;
        let mut department = self.get_department(who, id).await?;
        if archived != department.archived_at.is_some() {
            let now = Timestamp::now();
            department.archived_at = archived.then_some(now);
            department.updated_at = now;
            departments::update(&mut self.store().write(), &department).await?;
        }
        Ok(department)
    }

    pub async fn delete_department(&self, who: &Principal, id: DepartmentId) -> Result<()> {
        who.require_admin("delete departments")?;
        if !departments::delete(&mut self.store().write(), who.account_id, id).await? {
            return Err(ServiceError::NotFound("department"));
        }
        Ok(())
    }
}
