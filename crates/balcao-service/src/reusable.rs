//! Reusable messages: WhatsApp templates, interactive templates and quick replies.

use std::str::FromStr;

use balcao_core::template::{
    InteractiveKind, InteractiveTemplate, QuickReply, TemplateCategory, TemplateShape, TemplateStatus,
    WhatsappTemplate, check_action, check_components, is_language, is_template_name, unknown_placeholders,
};
use balcao_core::{
    ConnectionId, ConnectionType, InteractiveTemplateId, QuickReplyId, TemplateId, Timestamp, Validator,
};
use balcao_store::{connections, reusable};
use serde_json::Value;
use uuid::Uuid;

use crate::{Principal, Result, Service, ServiceError};

#[derive(Clone, Debug, Default)]
pub struct NewTemplate {
    pub connection_id: Option<Uuid>,
    pub name: Option<String>,
    pub language: Option<String>,
    /// `marketing`, `utility` or `authentication`.
    pub category: Option<String>,
    pub components: Option<Value>,
}

#[derive(Clone, Debug, Default)]
pub struct NewInteractive {
    pub name: Option<String>,
    /// `button` or `list`.
    pub kind: Option<String>,
    pub header: Option<String>,
    pub body: Option<String>,
    pub footer: Option<String>,
    pub action: Option<Value>,
}

#[derive(Clone, Debug, Default)]
pub struct QuickReplyInput {
    pub shortcut: Option<String>,
    pub text: Option<String>,
    pub department_ids: Option<Vec<Uuid>>,
}

const INTERACTIVE_BODY_MAX: usize = 1024;
const INTERACTIVE_HEADER_MAX: usize = 60;
const QUICK_REPLY_MAX: usize = 4096;

fn enum_field<T: FromStr<Err = ()>>(v: &mut Validator, field: &str, value: Option<&str>, expected: &str) -> Option<T> {
    let raw = v.required(field, value)?;
    let parsed = T::from_str(&raw.trim().to_ascii_lowercase()).ok();
    if parsed.is_none() {
        v.add(field, "invalid", format!("`{field}` must be {expected}"));
    }
    parsed
}

fn add_all(v: &mut Validator, errors: Vec<(String, String)>) {
    for (field, message) in errors {
        v.add(field, "invalid", message);
    }
}

/// An interactive message's parts, checked: header, body, footer, action.
pub(crate) fn check_interactive(
    v: &mut Validator,
    kind: InteractiveKind,
    header: Option<&str>,
    body: Option<&str>,
    footer: Option<&str>,
    action: &Value,
) -> Option<(Option<String>, String, Option<String>)> {
    let text = |v: &mut Validator, field: &str, value: Option<&str>, max: usize| -> Option<String> {
        let t = value.map(str::trim).filter(|t| !t.is_empty())?;
        if t.chars().count() > max {
            v.add(field, "too_long", format!("`{field}` has up to {max} characters"));
        }
        Some(t.to_owned())
    };
    let header = text(v, "header", header, INTERACTIVE_HEADER_MAX);
    let footer = text(v, "footer", footer, INTERACTIVE_HEADER_MAX);
    let body = text(v, "body", body, INTERACTIVE_BODY_MAX);
    if body.is_none() {
        v.add("body", "required", "`body` is required");
    }
    add_all(v, check_action(kind, action));
    body.map(|b| (header, b, footer))
}

impl Service {
    pub async fn create_template(&self, who: &Principal, input: NewTemplate) -> Result<WhatsappTemplate> {
        who.require_admin("manage WhatsApp templates")?;
        let mut v = Validator::new();
        if let Some(id) = v.required("connection_id", input.connection_id) {
            match connections::get(&mut self.store().read(), who.account_id, ConnectionId(id)).await? {
                Some(c) if c.kind == ConnectionType::WhatsappCloud => {}
                Some(_) => v.add(
                    "connection_id",
                    "invalid",
                    "templates belong to whatsapp_cloud connections",
                ),
                None => v.add("connection_id", "not_found", format!("connection {id} does not exist")),
            }
        }
        let name = v
            .required("name", input.name.as_deref())
            .map(str::trim)
            .map(str::to_owned);
        if name.as_deref().is_some_and(|n| !is_template_name(n)) {
            v.add(
                "name",
                "invalid",
                "a template name has lowercase letters, digits and underscores only",
            );
        }
        let language = v
            .required("language", input.language.as_deref())
            .map(str::trim)
            .map(str::to_owned);
        if language.as_deref().is_some_and(|l| !is_language(l)) {
            v.add("language", "invalid", "`language` is a code such as pt_BR or en");
        }
        let category = enum_field::<TemplateCategory>(
            &mut v,
            "category",
            input.category.as_deref(),
            "marketing, utility or authentication",
        );
        let components = v.required("components", input.components).unwrap_or(Value::Null);
        if !components.is_null()
            && let Err(errors) = check_components(&components)
        {
            add_all(&mut v, errors);
        }
        v.finish()?;
        let (Some(connection_id), Some(name), Some(language), Some(category)) =
            (input.connection_id, name, language, category)
        else {
            return Err(ServiceError::Internal("validated fields missing".into()));
        };
        let now = Timestamp::now();
        let template = WhatsappTemplate {
            id: TemplateId::new(),
            account_id: who.account_id,
            connection_id: ConnectionId(connection_id),
            name,
            language,
            category,
            components,
            status: TemplateStatus::Draft,
            rejection_reason: None,
            external_id: None,
            created_at: now,
            updated_at: now,
        };
        reusable::insert_template(&mut self.store().write(), &template).await?;
        Ok(template)
    }

    pub async fn get_template(&self, who: &Principal, id: TemplateId) -> Result<WhatsappTemplate> {
        reusable::get_template(&mut self.store().read(), who.account_id, id)
            .await?
            .ok_or(ServiceError::NotFound("template"))
    }

    pub async fn list_templates(
        &self,
        who: &Principal,
        connection: Option<Uuid>,
        status: Option<&str>,
    ) -> Result<Vec<WhatsappTemplate>> {
        let status = match status {
            None => None,
            Some(s) => Some(TemplateStatus::from_str(s).map_err(|()| {
                ServiceError::invalid(
                    "status",
                    "invalid",
                    "`status` must be pending, approved, rejected, paused or disabled",
                )
            })?),
        };
        Ok(reusable::list_templates(
            &mut self.store().read(),
            who.account_id,
            connection.map(ConnectionId),
            status,
        )
        .await?)
    }

    /// Records Meta's review of a template (admins; a connector keeps it in sync once it runs).
    pub async fn set_template_status(
        &self,
        who: &Principal,
        id: TemplateId,
        status: Option<&str>,
        reason: Option<String>,
    ) -> Result<WhatsappTemplate> {
        who.require_admin("manage WhatsApp templates")?;
        let mut v = Validator::new();
        let status = enum_field::<TemplateStatus>(
            &mut v,
            "status",
            status,
            "pending, approved, rejected, paused or disabled",
        );
        v.finish()?;
        let mut template = self.get_template(who, id).await?;
        if let Some(status) = status {
            template.status = status;
        }
        template.rejection_reason = (template.status == TemplateStatus::Rejected)
            .then_some(reason)
            .flatten()
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty());
        template.updated_at = Timestamp::now();
        reusable::update_template(&mut self.store().write(), &template).await?;
        Ok(template)
    }

    pub async fn delete_template(&self, who: &Principal, id: TemplateId) -> Result<()> {
        who.require_admin("manage WhatsApp templates")?;
        if !reusable::delete_template(&mut self.store().write(), who.account_id, id).await? {
            return Err(ServiceError::NotFound("template"));
        }
        Ok(())
    }

    /// Checks a template message's payload (`{template_id, parameters: {header?, body?}}`)
    /// against the template: same connection, approved, as many parameters as placeholders.
    pub(crate) async fn check_template_payload(
        &self,
        who: &Principal,
        connection: ConnectionId,
        payload: &Value,
        v: &mut Validator,
    ) -> Result<()> {
        let Some(id) = payload["template_id"].as_str().and_then(|s| Uuid::parse_str(s).ok()) else {
            v.add(
                "payload.template_id",
                "required",
                "a template message names its `template_id`",
            );
            return Ok(());
        };
        let Some(template) = reusable::get_template(&mut self.store().read(), who.account_id, TemplateId(id))
            .await?
            .filter(|t| t.connection_id == connection)
        else {
            v.add(
                "payload.template_id",
                "not_found",
                "no such template on the contact's connection",
            );
            return Ok(());
        };
        if template.status != TemplateStatus::Approved {
            return Err(ServiceError::conflict(
                "template_not_approved",
                format!("template {} is {}", template.name, template.status),
            ));
        }
        let shape: TemplateShape = check_components(&template.components).unwrap_or_default();
        for (part, expected) in [("header", shape.header_params), ("body", shape.body_params)] {
            let given = &payload["parameters"][part];
            let count = given.as_array().map_or(0, Vec::len);
            let all_text = given.as_array().is_none_or(|a| a.iter().all(Value::is_string));
            if count != expected || !all_text {
                v.add(
                    format!("payload.parameters.{part}"),
                    "parameter_count",
                    format!(
                        "template {} takes {expected} {part} parameter(s) (texts), got {count}",
                        template.name
                    ),
                );
            }
        }
        Ok(())
    }

    pub async fn create_interactive(&self, who: &Principal, input: NewInteractive) -> Result<InteractiveTemplate> {
        who.require_manager("manage interactive templates")?;
        let mut v = Validator::new();
        let name = v
            .required("name", input.name.as_deref())
            .and_then(|n| v.name("name", n));
        let kind = enum_field::<InteractiveKind>(&mut v, "type", input.kind.as_deref(), "button or list");
        let action = input.action.unwrap_or(Value::Null);
        let parts = kind.and_then(|k| {
            check_interactive(
                &mut v,
                k,
                input.header.as_deref(),
                input.body.as_deref(),
                input.footer.as_deref(),
                &action,
            )
        });
        v.finish()?;
        let (Some(name), Some(kind), Some((header, body, footer))) = (name, kind, parts) else {
            return Err(ServiceError::Internal("validated fields missing".into()));
        };
        let now = Timestamp::now();
        let template = InteractiveTemplate {
            id: InteractiveTemplateId::new(),
            account_id: who.account_id,
            name,
            kind,
            header,
            body,
            footer,
            action,
            created_at: now,
            updated_at: now,
        };
        reusable::insert_interactive(&mut self.store().write(), &template).await?;
        Ok(template)
    }

    pub async fn get_interactive(&self, who: &Principal, id: InteractiveTemplateId) -> Result<InteractiveTemplate> {
        reusable::get_interactive(&mut self.store().read(), who.account_id, id)
            .await?
            .ok_or(ServiceError::NotFound("interactive template"))
    }

    pub async fn list_interactive(&self, who: &Principal) -> Result<Vec<InteractiveTemplate>> {
        Ok(reusable::list_interactive(&mut self.store().read(), who.account_id).await?)
    }

    pub async fn delete_interactive(&self, who: &Principal, id: InteractiveTemplateId) -> Result<()> {
        who.require_manager("manage interactive templates")?;
        if !reusable::delete_interactive(&mut self.store().write(), who.account_id, id).await? {
            return Err(ServiceError::NotFound("interactive template"));
        }
        Ok(())
    }

    /// Creates (`id: None`) or replaces the fields sent of a quick reply (admins, supervisors).
    pub async fn save_quick_reply(
        &self,
        who: &Principal,
        id: Option<QuickReplyId>,
        input: QuickReplyInput,
    ) -> Result<QuickReply> {
        who.require_manager("manage quick replies")?;
        let now = Timestamp::now();
        let mut reply = match id {
            Some(id) => self.get_quick_reply(who, id).await?,
            None => QuickReply {
                id: QuickReplyId::new(),
                account_id: who.account_id,
                shortcut: String::new(),
                text: String::new(),
                department_ids: Vec::new(),
                created_at: now,
                updated_at: now,
            },
        };
        let mut v = Validator::new();
        let shortcut = if id.is_none() {
            v.required("shortcut", input.shortcut.as_deref())
        } else {
            input.shortcut.as_deref()
        };
        if let Some(s) = shortcut {
            let s = s.trim().trim_start_matches('/').to_lowercase();
            if s.is_empty() || s.len() > 32 || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                v.add(
                    "shortcut",
                    "invalid",
                    "a shortcut has 1 to 32 letters, digits, `_` or `-`",
                );
            }
            reply.shortcut = s;
        }
        let text = if id.is_none() {
            v.required("text", input.text.as_deref())
        } else {
            input.text.as_deref()
        };
        if let Some(t) = text {
            let t = t.trim();
            if t.is_empty() || t.chars().count() > QUICK_REPLY_MAX {
                v.add(
                    "text",
                    "invalid",
                    format!("`text` has 1 to {QUICK_REPLY_MAX} characters"),
                );
            }
            for unknown in unknown_placeholders(t) {
                v.add(
                    "text",
                    "unknown_placeholder",
                    format!("`{{{{{unknown}}}}}` is not a placeholder"),
                );
            }
            reply.text = t.to_owned();
        }
        if let Some(ids) = &input.department_ids {
            reply.department_ids = crate::users::check_departments(self, who, ids, &mut v).await?;
        }
        v.finish()?;
        reply.updated_at = now;
        if !reusable::save_quick_reply(&mut self.store().write(), &reply, id.is_none()).await? {
            return Err(ServiceError::NotFound("quick reply"));
        }
        Ok(reply)
    }

    pub async fn get_quick_reply(&self, who: &Principal, id: QuickReplyId) -> Result<QuickReply> {
        reusable::get_quick_reply(&mut self.store().read(), who.account_id, id)
            .await?
            .ok_or(ServiceError::NotFound("quick reply"))
    }

    pub async fn list_quick_replies(&self, who: &Principal, department: Option<Uuid>) -> Result<Vec<QuickReply>> {
        Ok(reusable::list_quick_replies(
            &mut self.store().read(),
            who.account_id,
            department.map(balcao_core::DepartmentId),
        )
        .await?)
    }

    pub async fn delete_quick_reply(&self, who: &Principal, id: QuickReplyId) -> Result<()> {
        who.require_manager("manage quick replies")?;
        if !reusable::delete_quick_reply(&mut self.store().write(), who.account_id, id).await? {
            return Err(ServiceError::NotFound("quick reply"));
        }
        Ok(())
    }
}

impl Service {
    /// An interactive message's payload: `{interactive_template_id}` becomes that template's
    /// content; otherwise `{type, header?, body, footer?, action}` is checked as it is.
    /// Failures are named `payload.<field>`.
    pub(crate) async fn interactive_payload(
        &self,
        who: &Principal,
        payload: &Value,
        v: &mut Validator,
    ) -> Result<Value> {
        if let Some(raw) = payload.get("interactive_template_id") {
            let found = match raw.as_str().and_then(|s| Uuid::parse_str(s).ok()) {
                Some(id) => {
                    reusable::get_interactive(&mut self.store().read(), who.account_id, InteractiveTemplateId(id))
                        .await?
                }
                None => None,
            };
            return Ok(match found {
                Some(t) => serde_json::json!({
                    "interactive_template_id": t.id,
                    "type": t.kind,
                    "header": t.header,
                    "body": t.body,
                    "footer": t.footer,
                    "action": t.action,
                }),
                None => {
                    v.add(
                        "payload.interactive_template_id",
                        "not_found",
                        "no such interactive template",
                    );
                    Value::Null
                }
            });
        }
        let mut inner = Validator::new();
        if let Some(kind) =
            enum_field::<InteractiveKind>(&mut inner, "type", payload["type"].as_str(), "button or list")
        {
            let (header, body, footer) = (
                payload["header"].as_str(),
                payload["body"].as_str(),
                payload["footer"].as_str(),
            );
            check_interactive(&mut inner, kind, header, body, footer, &payload["action"]);
        }
        if let Err(errors) = inner.finish() {
            for e in errors {
                v.add(format!("payload.{}", e.field), e.code, e.message);
            }
        }
        Ok(payload.clone())
    }
}
