//! Message templates of the WhatsApp Business Account: `GET|POST /{version}/{waba-id}/message_templates`,
//! `GET|POST /{version}/{template-id}`, and the review a test (or the control API) decides, notified as
//! `message_template_status_update`.

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Serialize;
use serde_json::{Value, json};

use super::errors::GraphError;
use super::graph::query_param;
use super::{SimTemplate, WhatsappSim};

const MAX_BODY: usize = 256 * 1024;
const CATEGORIES: [&str; 3] = ["MARKETING", "UTILITY", "AUTHENTICATION"];

/// A template on the simulated WhatsApp Business Account.
#[derive(Clone, Debug, Serialize)]
pub struct WabaTemplate {
    pub id: String,
    pub name: String,
    pub language: String,
    /// `MARKETING`, `UTILITY` or `AUTHENTICATION`.
    pub category: String,
    /// `PENDING`, `APPROVED`, `REJECTED`, `PAUSED`, `DISABLED`.
    pub status: String,
    /// Meta's spelling: upper-case `type` and `format`.
    pub components: Value,
    pub rejected_reason: Option<String>,
}

impl WabaTemplate {
    pub(crate) fn approved(id: String, t: &SimTemplate) -> WabaTemplate {
        let text: Vec<String> = (1..=t.body_params).map(|n| format!("{{{{{n}}}}}")).collect();
        WabaTemplate {
            id,
            name: t.name.clone(),
            language: t.language.clone(),
            category: "UTILITY".to_owned(),
            status: "APPROVED".to_owned(),
            components: json!([{"type": "BODY", "text": format!("{} {}", t.name, text.join(" ")).trim_end()}]),
            rejected_reason: None,
        }
    }

    /// How many parameters the body takes (the highest `{{n}}`).
    pub(crate) fn body_params(&self) -> usize {
        let list = self.components.as_array().map(Vec::as_slice).unwrap_or_default();
        let Some(body) = list
            .iter()
            .find(|c| c["type"].as_str().is_some_and(|t| t.eq_ignore_ascii_case("body")))
        else {
            return 0;
        };
        highest_placeholder(body["text"].as_str().unwrap_or_default())
    }

    fn to_json(&self) -> Value {
        json!({
            "id": self.id, "name": self.name, "language": self.language, "category": self.category,
            "status": self.status, "components": self.components,
            "rejected_reason": self.rejected_reason.as_deref().unwrap_or("NONE"),
        })
    }
}

fn highest_placeholder(text: &str) -> usize {
    let mut highest = 0;
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        if let Ok(n) = after[..end].trim().parse::<usize>() {
            highest = highest.max(n);
        }
        rest = &after[end + 2..];
    }
    highest
}

async fn json_body(request: Request) -> Result<serde_json::Map<String, Value>, GraphError> {
    let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY)
        .await
        .map_err(|_| GraphError::invalid("The request body is too large or could not be read."))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(o)) => Ok(o),
        _ => Err(GraphError::invalid("The request body must be a JSON object.")),
    }
}

/// Meta's checks of components: a list of objects with a known `type`, one `BODY` with a text, and an
/// `example` wherever a text has placeholders.
fn check_components(components: &Value) -> Result<(), GraphError> {
    let Some(list) = components.as_array() else {
        return Err(GraphError::invalid("Param components must be an array."));
    };
    let mut body = false;
    for (i, c) in list.iter().enumerate() {
        let kind = c["type"].as_str().unwrap_or_default();
        if !["HEADER", "BODY", "FOOTER", "BUTTONS"].contains(&kind) {
            return Err(GraphError::invalid(format!(
                "Param components[{i}][type] must be one of {{HEADER, BODY, FOOTER, BUTTONS}} - got \"{kind}\"."
            )));
        }
        let text = c["text"].as_str().unwrap_or_default();
        if kind == "BODY" {
            if text.trim().is_empty() {
                return Err(GraphError::missing(&format!("components[{i}][text]")));
            }
            body = true;
        }
        if highest_placeholder(text) > 0 && c.get("example").is_none_or(Value::is_null) {
            return Err(GraphError::invalid(format!(
                "Message template \"components[{i}]\" has variables but no example: add components[{i}][example]."
            )));
        }
    }
    if !body {
        return Err(GraphError::invalid("Message template needs a BODY component."));
    }
    Ok(())
}

impl WhatsappSim {
    /// Every template on the simulated WABA.
    pub fn templates(&self) -> Vec<WabaTemplate> {
        self.state().templates.clone()
    }

    /// Decides the review of the template `name` in `language` (`APPROVED`, `REJECTED`, `PAUSED`,
    /// `DISABLED`) and notifies it to the webhook, when one is set, as Meta does. Answers the template's id.
    pub fn review_template(
        &self,
        name: &str,
        language: &str,
        status: &str,
        reason: Option<&str>,
    ) -> anyhow::Result<String> {
        let status = status.to_ascii_uppercase();
        if !["APPROVED", "REJECTED", "PAUSED", "DISABLED", "PENDING"].contains(&status.as_str()) {
            anyhow::bail!("unknown template status {status}");
        }
        let id = self.update(|s| {
            let t = s
                .templates
                .iter_mut()
                .find(|t| t.name == name && t.language == language)?;
            t.status.clone_from(&status);
            t.rejected_reason = (status == "REJECTED").then(|| reason.unwrap_or("INVALID_FORMAT").to_owned());
            Some(t.id.clone())
        });
        let Some(id) = id else {
            anyhow::bail!("no template {name} in {language}");
        };
        if self.webhook_url().is_some() {
            let config = self.config();
            let value = json!({
                "event": status,
                "message_template_id": id.parse::<u64>().map_or(json!(id), |n| json!(n)),
                "message_template_name": name,
                "message_template_language": language,
                "reason": reason.unwrap_or("NONE"),
            });
            let notification = json!({
                "object": "whatsapp_business_account",
                "entry": [{"id": config.waba_id, "time": super::unix_secs(std::time::SystemTime::now()),
                    "changes": [{"field": "message_template_status_update", "value": value}]}],
            });
            let sim = self.clone();
            tokio::spawn(async move {
                if let Err(error) = sim.deliver(notification).await {
                    tracing::warn!(%error, "template review notification not delivered");
                }
            });
        }
        Ok(id)
    }

    /// Removes every language of the template `name` (as deleting it in WhatsApp Manager does); answers how many.
    pub fn remove_template(&self, name: &str) -> usize {
        self.update(|s| {
            let before = s.templates.len();
            s.templates.retain(|t| t.name != name);
            before - s.templates.len()
        })
    }

    pub(crate) fn template_by_id(&self, id: &str) -> Option<WabaTemplate> {
        self.state().templates.iter().find(|t| t.id == id).cloned()
    }
}

/// `GET /{waba-id}/message_templates` (`limit`, `after`, `name`, `status`).
pub(crate) fn list(sim: &WhatsappSim, query: &str) -> Response {
    let limit = query_param(query, "limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(25)
        .clamp(1, 1000);
    let start = query_param(query, "after")
        .and_then(|c| {
            base64::engine::general_purpose::STANDARD
                .decode(c.replace("%3D", "="))
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(0);
    let name = query_param(query, "name");
    let status = query_param(query, "status");
    let all: Vec<WabaTemplate> = sim
        .templates()
        .into_iter()
        .filter(|t| name.is_none_or(|n| t.name == n) && status.is_none_or(|s| t.status.eq_ignore_ascii_case(s)))
        .collect();
    let page: Vec<Value> = all.iter().skip(start).take(limit).map(WabaTemplate::to_json).collect();
    let end = start + page.len();
    let cursor = |n: usize| base64::engine::general_purpose::STANDARD.encode(n.to_string());
    let mut paging = json!({"cursors": {"before": cursor(start), "after": cursor(end)}});
    if end < all.len() {
        paging["next"] = json!(format!(
            "{}/{}/message_templates?limit={limit}&after={}",
            sim.base_url(),
            sim.config().waba_id,
            cursor(end)
        ));
    }
    axum::Json(json!({"data": page, "paging": paging})).into_response()
}

/// `POST /{waba-id}/message_templates`: a new template, `PENDING` until reviewed.
pub(crate) async fn create(sim: &WhatsappSim, request: Request) -> Response {
    match create_checked(sim, request).await {
        Ok(answer) => axum::Json(answer).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn create_checked(sim: &WhatsappSim, request: Request) -> Result<Value, GraphError> {
    let body = json_body(request).await?;
    let text = |key: &str| body.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    let (name, language, category) = (text("name"), text("language"), text("category").to_ascii_uppercase());
    if name.is_empty()
        || name.len() > 512
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(GraphError::invalid(
            "Param name must contain only lowercase alphanumeric characters and underscores.",
        ));
    }
    if language.is_empty() {
        return Err(GraphError::missing("language"));
    }
    if !CATEGORIES.contains(&category.as_str()) {
        return Err(GraphError::invalid(format!(
            "Param category must be one of {{MARKETING, UTILITY, AUTHENTICATION}} - got \"{category}\"."
        )));
    }
    let components = body.get("components").cloned().unwrap_or(Value::Null);
    check_components(&components)?;
    let id = sim.update(|s| {
        if s.templates.iter().any(|t| t.name == name && t.language == language) {
            return None;
        }
        s.next_template_id += 1;
        let id = s.next_template_id.to_string();
        s.templates.push(WabaTemplate {
            id: id.clone(),
            name: name.clone(),
            language: language.clone(),
            category: category.clone(),
            status: "PENDING".to_owned(),
            components,
            rejected_reason: None,
        });
        Some(id)
    });
    let Some(id) = id else {
        return Err(GraphError::invalid(format!(
            "Content in this language already exists: the template {name} in {language} exists."
        )));
    };
    Ok(json!({"id": id, "status": "PENDING", "category": category}))
}

/// `POST /{template-id}`: new components (and category); the template is reviewed again.
pub(crate) async fn edit(sim: &WhatsappSim, id: &str, request: Request) -> Response {
    let result = async {
        let body = json_body(request).await?;
        let components = body.get("components").cloned();
        if let Some(c) = &components {
            check_components(c)?;
        }
        let category = body
            .get("category")
            .and_then(Value::as_str)
            .map(str::to_ascii_uppercase);
        if category.as_deref().is_some_and(|c| !CATEGORIES.contains(&c)) {
            return Err(GraphError::invalid(
                "Param category must be one of {MARKETING, UTILITY, AUTHENTICATION}.",
            ));
        }
        sim.update(|s| {
            let Some(t) = s.templates.iter_mut().find(|t| t.id == id) else {
                return Err(GraphError::unsupported("post", id));
            };
            if !["APPROVED", "REJECTED", "PAUSED"].contains(&t.status.as_str()) {
                return Err(GraphError::invalid(format!(
                    "A template in status {} cannot be edited.",
                    t.status
                )));
            }
            if let Some(c) = components {
                t.components = c;
            }
            if let Some(c) = category {
                t.category = c;
            }
            t.status = "PENDING".to_owned();
            t.rejected_reason = None;
            Ok(())
        })?;
        Ok::<_, GraphError>(json!({"success": true}))
    }
    .await;
    match result {
        Ok(answer) => axum::Json(answer).into_response(),
        Err(error) => error.into_response(),
    }
}

/// `GET /{template-id}`.
pub(crate) fn get(t: &WabaTemplate) -> Response {
    axum::Json(t.to_json()).into_response()
}
