//! Contacts: the customers a company talks to.

use balcao_core::document;
use balcao_core::phone;
use balcao_core::{
    ConnectionId, Contact, ContactId, CustomFieldId, FieldTarget, Role, TagId, Timestamp, UserId, Validator,
};
use std::collections::BTreeMap;

use balcao_store::group_members::{self, GroupMember};
use balcao_store::{connections, contacts, custom_fields, outbox, tags, users};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::connections::check_department;
use crate::{ListParams, Page, Principal, Result, Service, ServiceError, event};

/// Most contacts one bulk request creates or deletes.
pub const BULK_MAX: usize = 1000;
/// Largest contact page.
pub const CONTACTS_PAGE_MAX: u32 = 100;

/// A contact as sent by a face, for creation.
#[derive(Clone, Debug, Default)]
pub struct ContactInput {
    pub connection_id: Option<Uuid>,
    pub name: Option<String>,
    pub internal_name: Option<String>,
    pub alternative_name: Option<String>,
    pub phone: Option<String>,
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub document: Option<String>,
    pub address: Option<String>,
    pub gender: Option<String>,
    pub note: Option<String>,
    pub is_group: Option<bool>,
    pub visible: Option<bool>,
    pub default_department_id: Option<Uuid>,
    pub default_user_id: Option<Uuid>,
    pub tag_ids: Option<Vec<Uuid>>,
    pub organization_id: Option<Uuid>,
    pub person_id: Option<Uuid>,
    /// Values of contact custom fields, by field id.
    pub custom_fields: Option<Map<String, Value>>,
}

/// Changes to a contact: absent fields stay; `Some(None)` clears an optional one.
#[derive(Clone, Debug, Default)]
pub struct ContactPatch {
    pub name: Option<String>,
    pub internal_name: Option<Option<String>>,
    pub alternative_name: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub external_id: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub document: Option<Option<String>>,
    pub address: Option<Option<String>>,
    pub gender: Option<Option<String>>,
    pub note: Option<Option<String>>,
    pub visible: Option<bool>,
    pub default_department_id: Option<Option<Uuid>>,
    pub default_user_id: Option<Option<Uuid>>,
    pub tag_ids: Option<Vec<Uuid>>,
    pub organization_id: Option<Option<Uuid>>,
    pub person_id: Option<Option<Uuid>>,
    /// Values to set; `null` removes one; fields not named stay.
    pub custom_fields: Option<Map<String, Value>>,
}

#[derive(Clone, Debug, Default)]
pub struct ContactFilter {
    /// Name, e-mail or phone fragment.
    pub text: Option<String>,
    pub connection_id: Option<Uuid>,
    pub tag_id: Option<Uuid>,
    pub blocked: Option<bool>,
    pub organization_id: Option<Uuid>,
    pub person_id: Option<Uuid>,
    /// `created` (default), `-created`, `name`, `-name`, `-last_message_at`, `-updated_at`.
    pub sort: Option<String>,
    /// With `custom_field_value`: contacts whose value of this field equals it.
    pub custom_field_id: Option<Uuid>,
    pub custom_field_value: Option<String>,
}

const TEXT_MAX: usize = 2000;

/// Field checks shared by create and update; `prefix` is `""` or `contacts[3].`.
struct Checks<'a> {
    v: &'a mut Validator,
    prefix: &'a str,
}

impl Checks<'_> {
    fn field(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn name(&mut self, name: &str, value: &str) -> Option<String> {
        let field = self.field(name);
        self.v.name(&field, value)
    }

    /// A free optional text: trimmed, empty means absent, bounded.
    fn text(&mut self, name: &str, value: Option<&str>) -> Option<String> {
        let value = value.map(str::trim).filter(|t| !t.is_empty())?;
        if value.chars().count() > TEXT_MAX {
            let field = self.field(name);
            self.v.add(
                field,
                "too_long",
                format!("`{name}` is longer than {TEXT_MAX} characters"),
            );
            return None;
        }
        Some(value.to_owned())
    }

    fn phone(&mut self, value: Option<&str>) -> Option<String> {
        let value = value.map(str::trim).filter(|t| !t.is_empty())?;
        match phone::normalize(value) {
            Ok(p) => Some(p),
            Err(e) => {
                let field = self.field("phone");
                self.v.add(field, "invalid", e.message());
                None
            }
        }
    }

    fn email(&mut self, value: Option<&str>) -> Option<String> {
        let value = value.map(str::trim).filter(|t| !t.is_empty())?;
        let field = self.field("email");
        self.v.email(&field, value)
    }

    fn document(&mut self, value: Option<&str>) -> Option<String> {
        let value = value.map(str::trim).filter(|t| !t.is_empty())?;
        match document::normalize(value) {
            Some((digits, _)) => Some(digits),
            None => {
                let field = self.field("document");
                self.v.add(field, "invalid", "`document` is not a valid CPF or CNPJ");
                None
            }
        }
    }
}

impl Service {
    /// The (field, normalised value) a contact search asks for.
    async fn custom_field_filter(
        &self,
        who: &Principal,
        field: Option<Uuid>,
        value: Option<String>,
    ) -> Result<Option<(CustomFieldId, Value)>> {
        let (Some(field), Some(value)) = (field, value) else {
            if field.is_some() {
                return Err(ServiceError::invalid(
                    "custom_field_value",
                    "required",
                    "`custom_field_value` goes with `custom_field_id`",
                ));
            }
            return Ok(None);
        };
        let field = self
            .get_custom_field(who, CustomFieldId(field))
            .await
            .map_err(|_| ServiceError::invalid("custom_field_id", "not_found", "no such custom field"))?;
        let normal = field
            .normalize(&Value::String(value))
            .map_err(|why| ServiceError::invalid("custom_field_value", "invalid", format!("`{}` {why}", field.name)))?;
        Ok(Some((field.id, normal)))
    }

    /// Checks that the connection is an active one of the caller's account.
    async fn check_connection(
        &self,
        who: &Principal,
        field: &str,
        id: Uuid,
        v: &mut Validator,
    ) -> Result<ConnectionId> {
        match connections::get(&mut self.store().read(), who.account_id, ConnectionId(id)).await? {
            None => v.add(field, "not_found", format!("connection {id} does not exist")),
            Some(c) if c.archived_at.is_some() => v.add(field, "archived", format!("connection {id} is archived")),
            Some(_) => {}
        }
        Ok(ConnectionId(id))
    }

    pub(crate) async fn check_user(
        &self,
        who: &Principal,
        field: &str,
        id: Option<Uuid>,
        v: &mut Validator,
    ) -> Result<Option<UserId>> {
        let Some(id) = id else { return Ok(None) };
        if users::get(&mut self.store().read(), who.account_id, UserId(id))
            .await?
            .is_none()
        {
            v.add(field, "not_found", format!("user {id} does not exist"));
        }
        Ok(Some(UserId(id)))
    }

    async fn check_tags(&self, who: &Principal, prefix: &str, ids: &[Uuid], v: &mut Validator) -> Result<Vec<TagId>> {
        let wanted: Vec<TagId> = crate::distinct(ids.iter().copied().map(TagId));
        let found = tags::existing(&mut self.store().read(), who.account_id, &wanted).await?;
        for (i, id) in ids.iter().enumerate() {
            if !found.contains(&TagId(*id)) {
                v.add(
                    format!("{prefix}tag_ids[{i}]"),
                    "not_found",
                    format!("tag {id} does not exist"),
                );
            }
        }
        Ok(wanted)
    }

    async fn build_contact(
        &self,
        who: &Principal,
        input: ContactInput,
        prefix: &str,
        v: &mut Validator,
        now: Timestamp,
    ) -> Result<Option<Contact>> {
        let errors_before = v.len();
        let connection = match v.required(&format!("{prefix}connection_id"), input.connection_id) {
            Some(id) => Some(
                self.check_connection(who, &format!("{prefix}connection_id"), id, v)
                    .await?,
            ),
            None => None,
        };
        let department = check_department(
            self,
            who,
            &format!("{prefix}default_department_id"),
            input.default_department_id,
            v,
        )
        .await?;
        let user = self
            .check_user(who, &format!("{prefix}default_user_id"), input.default_user_id, v)
            .await?;
        let organization = self
            .check_organization(who, &format!("{prefix}organization_id"), input.organization_id, v)
            .await?;
        let person = self
            .check_person(who, &format!("{prefix}person_id"), input.person_id, v)
            .await?;
        let custom_fields = self
            .check_custom_values(who, FieldTarget::Contact, prefix, input.custom_fields.as_ref(), v)
            .await?
            .into_iter()
            .filter_map(|(field, value)| value.map(|value| (field, value)))
            .collect();
        let tag_ids = self
            .check_tags(who, prefix, input.tag_ids.as_deref().unwrap_or_default(), v)
            .await?;
        let mut c = Checks { v, prefix };
        let name = match input.name.as_deref() {
            Some(n) => c.name("name", n),
            None => {
                let field = c.field("name");
                c.v.add(field, "required", "`name` is required");
                None
            }
        };
        let contact = Contact {
            id: ContactId::new(),
            account_id: who.account_id,
            connection_id: connection.unwrap_or(ConnectionId(Uuid::nil())),
            name: name.unwrap_or_default(),
            internal_name: c.text("internal_name", input.internal_name.as_deref()),
            alternative_name: c.text("alternative_name", input.alternative_name.as_deref()),
            phone: c.phone(input.phone.as_deref()),
            external_id: c.text("external_id", input.external_id.as_deref()),
            email: c.email(input.email.as_deref()),
            document: c.document(input.document.as_deref()),
            address: c.text("address", input.address.as_deref()),
            gender: c.text("gender", input.gender.as_deref()),
            note: c.text("note", input.note.as_deref()),
            blocked: false,
            blocked_reason: None,
            is_group: input.is_group.unwrap_or(false),
            visible: input.visible.unwrap_or(true),
            default_department_id: department,
            default_user_id: user,
            organization_id: organization,
            person_id: person,
            tag_ids,
            custom_fields,
            last_message_at: None,
            unread_count: 0,
            created_at: now,
            updated_at: now,
        };
        Ok((c.v.len() == errors_before).then_some(contact))
    }

    /// Maps a duplicate phone or external id to a conflict naming the contact that has it.
    async fn duplicate(&self, who: &Principal, err: ServiceError, contact: &Contact) -> ServiceError {
        let ServiceError::Conflict { code, message, .. } = err else {
            return err;
        };
        let existing = match (code, &contact.phone) {
            ("phone_taken", Some(phone)) => {
                contacts::find_by_phone(&mut self.store().read(), who.account_id, contact.connection_id, phone)
                    .await
                    .ok()
                    .flatten()
                    .map(|c| c.0)
            }
            _ => None,
        };
        ServiceError::Conflict {
            code,
            message,
            existing_id: existing,
        }
    }

    pub async fn create_contact(&self, who: &Principal, input: ContactInput) -> Result<Contact> {
        let mut v = Validator::new();
        let contact = self.build_contact(who, input, "", &mut v, Timestamp::now()).await?;
        v.finish()?;
        let Some(contact) = contact else {
            return Err(ServiceError::Internal("validated contact missing".into()));
        };
        match self.insert_contacts(std::slice::from_ref(&contact)).await {
            Ok(()) => Ok(contact),
            Err(err) => Err(self.duplicate(who, err, &contact).await),
        }
    }

    /// Creates all the contacts or none: any invalid one fails the request, naming
    /// `contacts[i].field`.
    pub async fn create_contacts(&self, who: &Principal, inputs: Vec<ContactInput>) -> Result<Vec<Contact>> {
        if inputs.is_empty() || inputs.len() > BULK_MAX {
            return Err(ServiceError::invalid(
                "contacts",
                "invalid_count",
                format!("send between 1 and {BULK_MAX} contacts"),
            ));
        }
        let mut v = Validator::new();
        let now = Timestamp::now();
        let mut built = Vec::with_capacity(inputs.len());
        for (i, input) in inputs.into_iter().enumerate() {
            built.push(
                self.build_contact(who, input, &format!("contacts[{i}]."), &mut v, now)
                    .await?,
            );
        }
        // The same phone twice in one request is a conflict within it.
        let mut seen = std::collections::HashMap::new();
        for (i, c) in built.iter().enumerate() {
            if let Some(c) = c
                && let Some(phone) = &c.phone
                && let Some(first) = seen.insert((c.connection_id, phone.clone()), i)
            {
                v.add(
                    format!("contacts[{i}].phone"),
                    "duplicate",
                    format!("same phone as contacts[{first}]"),
                );
            }
        }
        v.finish()?;
        let contacts: Vec<Contact> = built.into_iter().flatten().collect();
        self.insert_contacts(&contacts).await?;
        Ok(contacts)
    }

    async fn insert_contacts(&self, list: &[Contact]) -> Result<()> {
        let mut tx = self.store().begin().await?;
        contacts::insert_many(&mut tx, list).await?;
        let events: Vec<_> = list
            .iter()
            .map(|c| event(c.account_id, "contact.created", "contact", c.id.0, c))
            .collect();
        outbox::append(&mut tx, &events).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn get_contact(&self, who: &Principal, id: ContactId) -> Result<Contact> {
        contacts::get(&mut self.store().read(), who.account_id, id)
            .await?
            .ok_or(ServiceError::NotFound("contact"))
    }

    pub async fn list_contacts(
        &self,
        who: &Principal,
        filter: ContactFilter,
        params: ListParams,
    ) -> Result<Page<Contact>> {
        let filter = contacts::ContactFilter {
            text: filter.text,
            connection_id: filter.connection_id.map(ConnectionId),
            tag_id: filter.tag_id.map(TagId),
            blocked: filter.blocked,
            sort: crate::parse_sort(filter.sort.as_deref(), &contacts::ContactSort::NAMES, &params)?,
            organization_id: filter.organization_id.map(balcao_core::OrganizationId),
            person_id: filter.person_id.map(balcao_core::PersonId),
            custom_field: self
                .custom_field_filter(who, filter.custom_field_id, filter.custom_field_value)
                .await?,
        };
        let page = params.page_max(CONTACTS_PAGE_MAX)?;
        Ok(contacts::list(&mut self.store().read(), who.account_id, &filter, page).await?)
    }

    pub async fn update_contact(&self, who: &Principal, id: ContactId, patch: ContactPatch) -> Result<Contact> {
        let mut contact = self.get_contact(who, id).await?;
        let mut v = Validator::new();
        if let Some(department) = patch.default_department_id {
            contact.default_department_id =
                check_department(self, who, "default_department_id", department, &mut v).await?;
        }
        if let Some(user) = patch.default_user_id {
            contact.default_user_id = self.check_user(who, "default_user_id", user, &mut v).await?;
        }
        let tags = match &patch.tag_ids {
            Some(ids) => Some(self.check_tags(who, "", ids, &mut v).await?),
            None => None,
        };
        let mut c = Checks { v: &mut v, prefix: "" };
        if let Some(name) = patch.name.as_deref().and_then(|n| c.name("name", n)) {
            contact.name = name;
        }
        macro_rules! optional_text {
            ($($field:ident),*) => {$(
                if let Some(value) = &patch.$field {
                    contact.$field = c.text(stringify!($field), value.as_deref());
                }
            )*};
        }
        optional_text!(internal_name, alternative_name, external_id, address, gender, note);
        if let Some(value) = &patch.phone {
            contact.phone = c.phone(value.as_deref());
        }
        if let Some(value) = &patch.email {
            contact.email = c.email(value.as_deref());
        }
        if let Some(value) = &patch.document {
            contact.document = c.document(value.as_deref());
        }
        if let Some(visible) = patch.visible {
            contact.visible = visible;
        }
        if let Some(org) = patch.organization_id {
            contact.organization_id = self.check_organization(who, "organization_id", org, &mut v).await?;
        }
        if let Some(person) = patch.person_id {
            contact.person_id = self.check_person(who, "person_id", person, &mut v).await?;
        }
        let custom = self
            .check_custom_values(who, FieldTarget::Contact, "", patch.custom_fields.as_ref(), &mut v)
            .await?;
        v.finish()?;
        if let Some(tags) = tags {
            contact.tag_ids = tags;
        }
        for (field, value) in &custom {
            match value {
                Some(value) => contact.custom_fields.insert(*field, value.clone()),
                None => contact.custom_fields.remove(field),
            };
        }
        contact.updated_at = Timestamp::now();
        match self.save_contact(&contact, patch.tag_ids.is_some(), &custom).await {
            Ok(()) => Ok(contact),
            Err(err) => Err(self.duplicate(who, err, &contact).await),
        }
    }

    async fn save_contact(
        &self,
        contact: &Contact,
        tags_changed: bool,
        custom: &BTreeMap<CustomFieldId, Option<Value>>,
    ) -> Result<()> {
        let mut tx = self.store().begin().await?;
        if !contacts::update(&mut tx, contact).await? {
            return Err(ServiceError::NotFound("contact"));
        }
        if tags_changed {
            contacts::set_tags(&mut tx, contact.account_id, contact.id, &contact.tag_ids).await?;
        }
        custom_fields::set_values(&mut tx, contact.account_id, contact.id.0, custom).await?;
        outbox::append(
            &mut tx,
            &[event(
                contact.account_id,
                "contact.updated",
                "contact",
                contact.id.0,
                contact,
            )],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Blocks (with an optional reason) or unblocks a contact. A blocked contact's messages are
    /// kept but open no ticket, and nothing can be sent to it.
    pub async fn set_contact_blocked(
        &self,
        who: &Principal,
        id: ContactId,
        blocked: bool,
        reason: Option<String>,
    ) -> Result<Contact> {
        let mut contact = self.get_contact(who, id).await?;
        let mut v = Validator::new();
        let reason = Checks { v: &mut v, prefix: "" }.text("reason", reason.as_deref());
        v.finish()?;
        contact.blocked = blocked;
        contact.blocked_reason = if blocked { reason } else { None };
        contact.updated_at = Timestamp::now();
        self.save_contact(&contact, false, &BTreeMap::new()).await?;
        Ok(contact)
    }

    /// Deletes contacts of the caller's account among `ids` (admins and supervisors); answers
    /// the ids deleted. Ids of no contact of the account are left out of the answer.
    pub async fn delete_contacts(&self, who: &Principal, ids: &[Uuid]) -> Result<Vec<ContactId>> {
        if who.role == Role::Agent {
            return Err(ServiceError::forbidden("agents cannot delete contacts"));
        }
        if ids.len() > BULK_MAX {
            return Err(ServiceError::invalid(
                "ids",
                "invalid_count",
                format!("send at most {BULK_MAX} ids"),
            ));
        }
        let wanted: Vec<ContactId> = ids.iter().copied().map(ContactId).collect();
        let mut tx = self.store().begin().await?;
        let found = contacts::existing(&mut tx, who.account_id, &wanted).await?;
        contacts::delete_many(&mut tx, who.account_id, &found).await?;
        let events: Vec<_> = found
            .iter()
            .map(|id| {
                event(
                    who.account_id,
                    "contact.deleted",
                    "contact",
                    id.0,
                    &serde_json::json!({ "id": id }),
                )
            })
            .collect();
        outbox::append(&mut tx, &events).await?;
        tx.commit().await?;
        Ok(found)
    }

    pub async fn delete_contact(&self, who: &Principal, id: ContactId) -> Result<()> {
        if self.delete_contacts(who, &[id.0]).await?.is_empty() {
            return Err(ServiceError::NotFound("contact"));
        }
        Ok(())
    }
}

/// Most members a group holds (WhatsApp's limit).
pub const GROUP_MEMBERS_MAX: usize = 1024;

/// A group member as a face sends it.
#[derive(Clone, Debug, Default)]
pub struct MemberInput {
    pub phone: Option<String>,
    pub name: Option<String>,
    pub is_admin: Option<bool>,
}

impl Service {
    /// Replaces the members of a group contact: phones normalised, each once.
    pub async fn set_group_members(
        &self,
        who: &Principal,
        id: ContactId,
        members: Vec<MemberInput>,
    ) -> Result<Vec<GroupMember>> {
        self.group_contact(who, id).await?;
        if members.len() > GROUP_MEMBERS_MAX {
            return Err(too_many_members());
        }
        let list = checked_members(members, Repeats::Refused)?;
        let mut tx = self.store().begin().await?;
        group_members::replace(&mut tx, who.account_id, id, &list).await?;
        members_changed(&mut tx, who, id, &list).await?;
        tx.commit().await?;
        Ok(list)
    }

    /// Adds members to a group contact (phones already members stay as they are); answers the
    /// members after the change.
    pub async fn add_group_members(
        &self,
        who: &Principal,
        id: ContactId,
        members: Vec<MemberInput>,
    ) -> Result<Vec<GroupMember>> {
        self.group_contact(who, id).await?;
        let list = checked_members(members, Repeats::Skipped)?;
        let mut tx = self.store().begin().await?;
        group_members::add(&mut tx, who.account_id, id, &list).await?;
        let all = group_members::list(&mut tx, who.account_id, id).await?;
        if all.len() > GROUP_MEMBERS_MAX {
            return Err(too_many_members());
        }
        members_changed(&mut tx, who, id, &all).await?;
        tx.commit().await?;
        Ok(all)
    }

    /// Makes the group's members who are the contacts `contacts` admins (or takes it away);
    /// each must be a member already. Answers the members after the change.
    pub async fn set_group_admins(
        &self,
        who: &Principal,
        id: ContactId,
        contacts: &[ContactId],
        admin: bool,
    ) -> Result<Vec<GroupMember>> {
        self.group_contact(who, id).await?;
        if contacts.is_empty() {
            return Err(ServiceError::invalid(
                "contacts",
                "required",
                "name at least one contact",
            ));
        }
        let found = contacts::get_many(&mut self.store().read(), who.account_id, contacts).await?;
        let mut phones = Vec::with_capacity(contacts.len());
        let mut v = Validator::new();
        for (i, wanted) in contacts.iter().enumerate() {
            match found.iter().find(|c| c.id == *wanted) {
                Some(c) => match &c.phone {
                    Some(phone) => phones.push(phone.clone()),
                    None => v.add(
                        format!("contacts[{i}]"),
                        "invalid",
                        format!("contact {wanted} has no phone"),
                    ),
                },
                None => v.add(
                    format!("contacts[{i}]"),
                    "not_found",
                    format!("contact {wanted} does not exist"),
                ),
            }
        }
        v.finish()?;
        let mut tx = self.store().begin().await?;
        let all = group_members::list(&mut tx, who.account_id, id).await?;
        let mut v = Validator::new();
        for (i, phone) in phones.iter().enumerate() {
            if !all.iter().any(|m| &m.phone == phone) {
                v.add(
                    format!("contacts[{i}]"),
                    "not_a_member",
                    format!("contact {} ({phone}) is not a member of the group", contacts[i]),
                );
            }
        }
        v.finish()?;
        group_members::set_admin(&mut tx, who.account_id, id, &phones, admin).await?;
        let all = group_members::list(&mut tx, who.account_id, id).await?;
        members_changed(&mut tx, who, id, &all).await?;
        tx.commit().await?;
        Ok(all)
    }

    async fn group_contact(&self, who: &Principal, id: ContactId) -> Result<()> {
        if !self.get_contact(who, id).await?.is_group {
            return Err(ServiceError::conflict(
                "not_a_group",
                "only group contacts have members",
            ));
        }
        Ok(())
    }

    pub async fn group_members(&self, who: &Principal, id: ContactId) -> Result<Vec<GroupMember>> {
        self.get_contact(who, id).await?;
        Ok(group_members::list(&mut self.store().read(), who.account_id, id).await?)
    }
}

/// Records the `contact.members_updated` event with the group's members.
async fn members_changed(
    tx: &mut balcao_store::Tx,
    who: &Principal,
    id: ContactId,
    members: &[GroupMember],
) -> Result<()> {
    let payload = serde_json::json!({ "id": id, "members": members });
    outbox::append(
        tx,
        &[event(
            who.account_id,
            "contact.members_updated",
            "contact",
            id.0,
            &payload,
        )],
    )
    .await?;
    Ok(())
}

/// What a phone listed twice in one request means.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Repeats {
    /// A mistake (the whole list replaces the members).
    Refused,
    /// Nothing (members to add: the second is already there).
    Skipped,
}

/// Members as a face sent them, checked: each with a valid phone, at least one.
fn checked_members(members: Vec<MemberInput>, repeats: Repeats) -> Result<Vec<GroupMember>> {
    let adding = repeats == Repeats::Skipped;
    let mut v = Validator::new();
    let mut list: Vec<GroupMember> = Vec::with_capacity(members.len());
    for (i, m) in members.into_iter().enumerate() {
        let mut c = Checks {
            v: &mut v,
            prefix: &format!("members[{i}]."),
        };
        let name = c.text("name", m.name.as_deref());
        let Some(phone) = c.phone(m.phone.as_deref()) else {
            if m.phone.as_deref().is_none_or(|p| p.trim().is_empty()) {
                v.add(format!("members[{i}].phone"), "required", "`phone` is required");
            }
            continue;
        };
        if list.iter().any(|other| other.phone == phone) {
            if !adding {
                v.add(
                    format!("members[{i}].phone"),
                    "duplicate",
                    format!("{phone} is listed twice"),
                );
            }
            continue;
        }
        list.push(GroupMember {
            phone,
            name,
            is_admin: m.is_admin.unwrap_or(false),
        });
    }
    if adding && list.is_empty() && v.is_empty() {
        v.add("members", "required", "name at least one member to add");
    }
    v.finish()?;
    Ok(list)
}

fn too_many_members() -> ServiceError {
    ServiceError::invalid(
        "members",
        "too_many",
        format!("a group has at most {GROUP_MEMBERS_MAX} members"),
    )
}
