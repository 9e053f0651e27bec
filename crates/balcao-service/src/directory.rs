//! Organizations and people: who the contacts are.

use balcao_core::document;
use balcao_core::{Organization, OrganizationId, Person, PersonId, Role, Timestamp, Validator};
use balcao_store::directory;
use uuid::Uuid;

use crate::{ListParams, Page, Principal, Result, Service, ServiceError};

/// An organization or a person as a face sends it; absent fields stay (on update), `Some(None)`
/// clears.
#[derive(Clone, Debug, Default)]
pub struct DirectoryInput {
    pub name: Option<String>,
    pub document: Option<Option<String>>,
    pub note: Option<Option<String>>,
    /// People only.
    pub email: Option<Option<String>>,
    /// People only.
    pub organization_id: Option<Option<Uuid>>,
}

fn check_document(v: &mut Validator, value: &Option<Option<String>>) -> Option<Option<String>> {
    let value = value.as_ref()?;
    let Some(raw) = value.as_deref().map(str::trim).filter(|d| !d.is_empty()) else {
        return Some(None);
    };
    match document::normalize(raw) {
        Some((digits, _)) => Some(Some(digits)),
        None => {
            v.add("document", "invalid", "`document` is not a valid CPF or CNPJ");
            None
        }
    }
}

fn check_note(v: &mut Validator, value: &Option<Option<String>>) -> Option<Option<String>> {
    let value = value.as_ref()?;
    let note = value
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    if note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
        v.add("note", "too_long", "`note` is longer than 2000 characters");
    }
    Some(note)
}

/// Applies the fields organizations and people share: name (required on creation), document,
/// note.
fn apply_common(
    v: &mut Validator,
    input: &DirectoryInput,
    creating: bool,
    name: &mut String,
    document: &mut Option<String>,
    note: &mut Option<String>,
) {
    let new_name = if creating {
        v.required("name", input.name.as_deref())
    } else {
        input.name.as_deref()
    };
    if let Some(n) = new_name.and_then(|n| v.name("name", n)) {
        *name = n;
    }
    if let Some(d) = check_document(v, &input.document) {
        *document = d;
    }
    if let Some(n) = check_note(v, &input.note) {
        *note = n;
    }
}

fn require_not_agent(who: &Principal, what: &str) -> Result<()> {
    if who.role == Role::Agent {
        return Err(ServiceError::forbidden(format!("agents cannot {what}")));
    }
    Ok(())
}

impl Service {
    pub async fn save_organization(
        &self,
        who: &Principal,
        id: Option<OrganizationId>,
        input: DirectoryInput,
    ) -> Result<Organization> {
        let now = Timestamp::now();
        let mut org = match id {
            Some(id) => self.get_organization(who, id).await?,
            None => Organization {
                id: OrganizationId::new(),
                account_id: who.account_id,
                name: String::new(),
                document: None,
                note: None,
                created_at: now,
                updated_at: now,
            },
        };
        let mut v = Validator::new();
        apply_common(
            &mut v,
            &input,
            id.is_none(),
            &mut org.name,
            &mut org.document,
            &mut org.note,
        );
        v.finish()?;
        org.updated_at = now;
        if !directory::save_organization(&mut self.store().write(), &org, id.is_none()).await? {
            return Err(ServiceError::NotFound("organization"));
        }
        Ok(org)
    }

    pub async fn get_organization(&self, who: &Principal, id: OrganizationId) -> Result<Organization> {
        directory::get_organization(&mut self.store().read(), who.account_id, id)
            .await?
            .ok_or(ServiceError::NotFound("organization"))
    }

    pub async fn list_organizations(&self, who: &Principal, params: ListParams) -> Result<Page<Organization>> {
        Ok(directory::list_organizations(&mut self.store().read(), who.account_id, params.page()?).await?)
    }

    /// Deletes an organization (admins, supervisors); its people and contacts stay, unlinked.
    pub async fn delete_organization(&self, who: &Principal, id: OrganizationId) -> Result<()> {
        require_not_agent(who, "delete organizations")?;
        if !directory::delete_organization(&mut self.store().write(), who.account_id, id).await? {
            return Err(ServiceError::NotFound("organization"));
        }
        Ok(())
    }

    pub async fn save_person(&self, who: &Principal, id: Option<PersonId>, input: DirectoryInput) -> Result<Person> {
        let now = Timestamp::now();
        let mut person = match id {
            Some(id) => self.get_person(who, id).await?,
            None => Person {
                id: PersonId::new(),
                account_id: who.account_id,
                name: String::new(),
                document: None,
                email: None,
                organization_id: None,
                note: None,
                created_at: now,
                updated_at: now,
            },
        };
        let mut v = Validator::new();
        apply_common(
            &mut v,
            &input,
            id.is_none(),
            &mut person.name,
            &mut person.document,
            &mut person.note,
        );
        if let Some(email) = &input.email {
            person.email = match email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
                Some(e) => v.email("email", e),
                None => None,
            };
        }
        if let Some(org) = input.organization_id {
            person.organization_id = self.check_organization(who, "organization_id", org, &mut v).await?;
        }
        v.finish()?;
        person.updated_at = now;
        if !directory::save_person(&mut self.store().write(), &person, id.is_none()).await? {
            return Err(ServiceError::NotFound("person"));
        }
        Ok(person)
    }

    pub async fn get_person(&self, who: &Principal, id: PersonId) -> Result<Person> {
        directory::get_person(&mut self.store().read(), who.account_id, id)
            .await?
            .ok_or(ServiceError::NotFound("person"))
    }

    pub async fn list_people(
        &self,
        who: &Principal,
        organization: Option<Uuid>,
        params: ListParams,
    ) -> Result<Page<Person>> {
        Ok(directory::list_people(
            &mut self.store().read(),
            who.account_id,
            organization.map(OrganizationId),
            params.page()?,
        )
        .await?)
    }

    /// Deletes a person (admins, supervisors); their contacts stay, unlinked.
    pub async fn delete_person(&self, who: &Principal, id: PersonId) -> Result<()> {
        require_not_agent(who, "delete people")?;
        if !directory::delete_person(&mut self.store().write(), who.account_id, id).await? {
            return Err(ServiceError::NotFound("person"));
        }
        Ok(())
    }

    pub(crate) async fn check_organization(
        &self,
        who: &Principal,
        field: &str,
        id: Option<Uuid>,
        v: &mut Validator,
    ) -> Result<Option<OrganizationId>> {
        let Some(id) = id else { return Ok(None) };
        if directory::get_organization(&mut self.store().read(), who.account_id, OrganizationId(id))
            .await?
            .is_none()
        {
            v.add(field, "not_found", format!("organization {id} does not exist"));
        }
        Ok(Some(OrganizationId(id)))
    }

    pub(crate) async fn check_person(
        &self,
        who: &Principal,
        field: &str,
        id: Option<Uuid>,
        v: &mut Validator,
    ) -> Result<Option<PersonId>> {
        let Some(id) = id else { return Ok(None) };
        if directory::get_person(&mut self.store().read(), who.account_id, PersonId(id))
            .await?
            .is_none()
        {
            v.add(field, "not_found", format!("person {id} does not exist"));
        }
        Ok(Some(PersonId(id)))
    }
}
