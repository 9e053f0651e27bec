//! Tags, and putting them on contacts.

use balcao_core::{ContactId, Role, Tag, TagId, Timestamp, Validator};
use balcao_store::{contacts, outbox, tags};
use uuid::Uuid;

use crate::{ListParams, Page, Principal, Result, Service, ServiceError, event};

pub const DEFAULT_TAG_COLOR: &str = "#6b7280";

#[derive(Clone, Debug, Default)]
pub struct NewTag {
    pub label: Option<String>,
    /// `#rrggbb`.
    pub color: Option<String>,
    pub department_ids: Option<Vec<Uuid>>,
}

#[derive(Clone, Debug, Default)]
pub struct TagPatch {
    pub label: Option<String>,
    pub color: Option<String>,
    pub department_ids: Option<Vec<Uuid>>,
}

fn color(v: &mut Validator, value: &str) -> Option<String> {
    let c = value.trim().to_ascii_lowercase();
    let ok = c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit());
    if !ok {
        v.add("color", "invalid", "`color` must be #rrggbb");
    }
    ok.then_some(c)
}

impl Principal {
    pub(crate) fn require_manager(&self, what: &str) -> Result<()> {
        match self.role {
            Role::Admin | Role::Supervisor => Ok(()),
            Role::Agent => Err(ServiceError::forbidden(format!(
                "only admins and supervisors can {what}"
            ))),
        }
    }
}

impl Service {
    pub async fn create_tag(&self, who: &Principal, input: NewTag) -> Result<Tag> {
        who.require_manager("create tags")?;
        let mut v = Validator::new();
        let label = v
            .required("label", input.label.as_deref())
            .and_then(|l| v.name("label", l));
        let color = match input.color.as_deref() {
            Some(c) => color(&mut v, c),
            None => Some(DEFAULT_TAG_COLOR.to_owned()),
        };
        let departments = input.department_ids.as_deref().unwrap_or_default();
        let department_ids = crate::users::check_departments(self, who, departments, &mut v).await?;
        v.finish()?;
        let (Some(label), Some(color)) = (label, color) else {
            return Err(ServiceError::Internal("validated fields missing".into()));
        };
        let now = Timestamp::now();
        let tag = Tag {
            id: TagId::new(),
            account_id: who.account_id,
            label,
            color,
            department_ids,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store().begin().await?;
        tags::insert(&mut tx, &tag).await?;
        outbox::append(&mut tx, &[event(tag.account_id, "tag.created", "tag", tag.id.0, &tag)]).await?;
        tx.commit().await?;
        Ok(tag)
    }

    pub async fn get_tag(&self, who: &Principal, id: TagId) -> Result<Tag> {
        tags::get(&mut self.store().read(), who.account_id, id)
            .await?
            .ok_or(ServiceError::NotFound("tag"))
    }

    pub async fn list_tags(&self, who: &Principal, params: ListParams) -> Result<Page<Tag>> {
        Ok(tags::list(&mut self.store().read(), who.account_id, params.page()?).await?)
    }

    pub async fn update_tag(&self, who: &Principal, id: TagId, patch: TagPatch) -> Result<Tag> {
        who.require_manager("change tags")?;
        let mut tag = self.get_tag(who, id).await?;
        let mut v = Validator::new();
        if let Some(label) = patch.label.as_deref().and_then(|l| v.name("label", l)) {
            tag.label = label;
        }
        if let Some(c) = patch.color.as_deref().and_then(|c| color(&mut v, c)) {
            tag.color = c;
        }
        let departments = match &patch.department_ids {
            Some(ids) => Some(crate::users::check_departments(self, who, ids, &mut v).await?),
            None => None,
        };
        v.finish()?;
        tag.updated_at = Timestamp::now();
        let mut tx = self.store().begin().await?;
        if !tags::update(&mut tx, &tag).await? {
            return Err(ServiceError::NotFound("tag"));
        }
        if let Some(d) = departments {
            tags::set_departments(&mut tx, who.account_id, id, &d).await?;
            tag.department_ids = d;
        }
        outbox::append(&mut tx, &[event(tag.account_id, "tag.updated", "tag", tag.id.0, &tag)]).await?;
        tx.commit().await?;
        Ok(tag)
    }

    pub async fn delete_tag(&self, who: &Principal, id: TagId) -> Result<()> {
        who.require_manager("delete tags")?;
        let mut tx = self.store().begin().await?;
        if !tags::delete(&mut tx, who.account_id, id).await? {
            return Err(ServiceError::NotFound("tag"));
        }
        let payload = serde_json::json!({ "id": id });
        outbox::append(&mut tx, &[event(who.account_id, "tag.deleted", "tag", id.0, &payload)]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Puts the tag on (`add`) or takes it off contacts; every id must be a contact of the
    /// account. Each contact whose tags change gets a `contact.updated` event.
    pub async fn tag_contacts(
        &self,
        who: &Principal,
        id: TagId,
        contact_ids: &[Uuid],
        add: bool,
    ) -> Result<Vec<ContactId>> {
        self.get_tag(who, id).await?;
        if contact_ids.is_empty() || contact_ids.len() > crate::contacts::BULK_MAX {
            let message = format!("send between 1 and {} ids", crate::contacts::BULK_MAX);
            return Err(ServiceError::invalid("contact_ids", "invalid_count", message));
        }
        let mut v = Validator::new();
        let wanted: Vec<ContactId> = crate::distinct(contact_ids.iter().copied().map(ContactId));
        let mut tx = self.store().begin().await?;
        let found = contacts::existing(&mut tx, who.account_id, &wanted).await?;
        for (i, c) in contact_ids.iter().enumerate() {
            if !found.contains(&ContactId(*c)) {
                v.add(
                    format!("contact_ids[{i}]"),
                    "not_found",
                    format!("contact {c} does not exist"),
                );
            }
        }
        v.finish()?;
        if add {
            tags::add_to_contacts(&mut tx, who.account_id, id, &wanted).await?;
        } else {
            tags::remove_from_contacts(&mut tx, who.account_id, id, &wanted).await?;
        }
        let now = Timestamp::now();
        let changed = contacts::touch_many(&mut tx, who.account_id, &wanted, now).await?;
        let events: Vec<_> = changed
            .iter()
            .map(|c| event(c.account_id, "contact.updated", "contact", c.id.0, c))
            .collect();
        outbox::append(&mut tx, &events).await?;
        tx.commit().await?;
        Ok(wanted)
    }
}
