//! Custom field definitions, and checking values against them.

use std::collections::BTreeMap;
use std::str::FromStr;

use balcao_core::{CustomField, CustomFieldId, CustomFieldType, FieldTarget, Timestamp, Validator};
use balcao_store::{ArchivedFilter, custom_fields};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::{Principal, Result, Service, ServiceError};

/// Most options of a select field.
const OPTIONS_MAX: usize = 200;

#[derive(Clone, Debug, Default)]
pub struct NewCustomField {
    pub name: Option<String>,
    /// `text`, `number`, `date`, `boolean`, `select`.
    pub kind: Option<String>,
    /// `contact` (default) or `ticket`.
    pub applies_to: Option<String>,
    pub options: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default)]
pub struct CustomFieldPatch {
    pub name: Option<String>,
    pub options: Option<Vec<String>>,
    pub archived: Option<bool>,
}

fn clean_options(v: &mut Validator, options: &[String]) -> Vec<String> {
    let mut clean: Vec<String> = Vec::with_capacity(options.len());
    for (i, o) in options.iter().enumerate() {
        match v.name(&format!("options[{i}]"), o) {
            Some(o) if clean.contains(&o) => {
                v.add(format!("options[{i}]"), "duplicate", format!("`{o}` is listed twice"))
            }
            Some(o) => clean.push(o),
            None => {}
        }
    }
    if clean.len() > OPTIONS_MAX {
        v.add(
            "options",
            "too_many",
            format!("a field has at most {OPTIONS_MAX} options"),
        );
    }
    clean
}

impl Service {
    pub async fn create_custom_field(&self, who: &Principal, input: NewCustomField) -> Result<CustomField> {
        who.require_admin("create custom fields")?;
        let mut v = Validator::new();
        let name = v
            .required("name", input.name.as_deref())
            .and_then(|n| v.name("name", n));
        let kind = v.required("type", input.kind.as_deref()).and_then(|k| {
            let kind = CustomFieldType::from_str(k).ok();
            if kind.is_none() {
                v.add(
                    "type",
                    "invalid",
                    "`type` must be text, number, date, boolean or select",
                );
            }
            kind
        });
        let applies_to = match input.applies_to.as_deref() {
            None => Some(FieldTarget::Contact),
            Some(t) => {
                let target = FieldTarget::from_str(t).ok();
                if target.is_none() {
                    v.add("applies_to", "invalid", "`applies_to` must be contact or ticket");
                }
                target
            }
        };
        let options = clean_options(&mut v, input.options.as_deref().unwrap_or_default());
        match kind {
            Some(CustomFieldType::Select) if options.is_empty() => {
                v.add("options", "required", "a select field needs options")
            }
            Some(k) if k != CustomFieldType::Select && !options.is_empty() => {
                v.add("options", "not_allowed", "only select fields have options")
            }
            _ => {}
        }
        v.finish()?;
        let (Some(name), Some(kind), Some(applies_to)) = (name, kind, applies_to) else {
            return Err(ServiceError::Internal("validated fields missing".into()));
        };
        let now = Timestamp::now();
        let field = CustomField {
            id: CustomFieldId::new(),
            account_id: who.account_id,
            name,
            kind,
            applies_to,
            options,
            archived_at: None,
            created_at: now,
            updated_at: now,
        };
        custom_fields::insert(&mut self.store().write(), &field).await?;
        Ok(field)
    }

    pub async fn get_custom_field(&self, who: &Principal, id: CustomFieldId) -> Result<CustomField> {
        custom_fields::get(&mut self.store().read(), who.account_id, id)
            .await?
            .ok_or(ServiceError::NotFound("custom field"))
    }

    pub async fn list_custom_fields(
        &self,
        who: &Principal,
        applies_to: Option<&str>,
        archived: ArchivedFilter,
    ) -> Result<Vec<CustomField>> {
        let target = match applies_to {
            None => None,
            Some(t) => Some(FieldTarget::from_str(t).map_err(|()| {
                ServiceError::invalid("applies_to", "invalid", "`applies_to` must be contact or ticket")
            })?),
        };
        Ok(custom_fields::list(&mut self.store().read(), who.account_id, target, archived).await?)
    }

    /// Renames, changes the options of (select fields) or archives a field. Values already
    /// stored stay as they are.
    pub async fn update_custom_field(
        &self,
        who: &Principal,
        id: CustomFieldId,
        patch: CustomFieldPatch,
    ) -> Result<CustomField> {
        who.require_admin("change custom fields")?;
        let mut field = self.get_custom_field(who, id).await?;
        let mut v = Validator::new();
        if let Some(name) = patch.name.as_deref().and_then(|n| v.name("name", n)) {
            field.name = name;
        }
        if let Some(options) = &patch.options {
            let options = clean_options(&mut v, options);
            if field.kind != CustomFieldType::Select {
                v.add("options", "not_allowed", "only select fields have options");
            } else if options.is_empty() {
                v.add("options", "required", "a select field needs options");
            }
            field.options = options;
        }
        v.finish()?;
        let now = Timestamp::now();
        if let Some(archived) = patch.archived
            && archived != field.archived_at.is_some()
        {
            field.archived_at = archived.then_some(now);
        }
        field.updated_at = now;
        custom_fields::update(&mut self.store().write(), &field).await?;
        Ok(field)
    }

    /// Checks values sent for a subject (`{"<field id>": value}`) against the account's active
    /// fields of `target`; `null` means "remove". Failures are reported on
    /// `{prefix}custom_fields.<id>`.
    pub(crate) async fn check_custom_values(
        &self,
        who: &Principal,
        target: FieldTarget,
        prefix: &str,
        values: Option<&Map<String, Value>>,
        v: &mut Validator,
    ) -> Result<BTreeMap<CustomFieldId, Option<Value>>> {
        let mut checked = BTreeMap::new();
        let Some(values) = values.filter(|m| !m.is_empty()) else {
            return Ok(checked);
        };
        let fields = custom_fields::list(
            &mut self.store().read(),
            who.account_id,
            Some(target),
            ArchivedFilter::Active,
        )
        .await?;
        for (key, value) in values {
            let field_name = format!("{prefix}custom_fields.{key}");
            let Some(field) = Uuid::parse_str(key)
                .ok()
                .and_then(|id| fields.iter().find(|f| f.id.0 == id))
            else {
                v.add(
                    field_name,
                    "not_found",
                    format!("`{key}` is not a custom field of {target}s"),
                );
                continue;
            };
            if value.is_null() {
                checked.insert(field.id, None);
                continue;
            }
            match field.normalize(value) {
                Ok(normal) => {
                    checked.insert(field.id, Some(normal));
                }
                Err(why) => v.add(field_name, "invalid", format!("`{}` {why}", field.name)),
            }
        }
        Ok(checked)
    }
}
