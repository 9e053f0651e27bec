//! Reusable messages: WhatsApp templates, interactive templates and quick replies, with the
//! rules WhatsApp and agents rely on.

use serde::Serialize;
use serde_json::Value;

use crate::{AccountId, ConnectionId, DepartmentId, InteractiveTemplateId, QuickReplyId, TemplateId, Timestamp};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateCategory {
    Marketing,
    Utility,
    Authentication,
}

crate::string_enum!(TemplateCategory {
    Marketing => "marketing",
    Utility => "utility",
    Authentication => "authentication",
});

/// Review state of a WhatsApp template (Meta approves templates before they can be sent).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateStatus {
    /// Written in Balcão, not sent to Meta for review yet.
    Draft,
    Pending,
    Approved,
    Rejected,
    Paused,
    Disabled,
}

crate::string_enum!(TemplateStatus {
    Draft => "draft",
    Pending => "pending",
    Approved => "approved",
    Rejected => "rejected",
    Paused => "paused",
    Disabled => "disabled",
});

impl TemplateStatus {
    /// The status Meta reports (`APPROVED`, `IN_APPEAL`, ...), in Balcão's terms.
    pub fn from_meta(status: &str) -> Option<TemplateStatus> {
        Some(match status.to_ascii_uppercase().as_str() {
            "APPROVED" => TemplateStatus::Approved,
            "PENDING" | "IN_APPEAL" => TemplateStatus::Pending,
            "REJECTED" => TemplateStatus::Rejected,
            "PAUSED" => TemplateStatus::Paused,
            "DISABLED" | "PENDING_DELETION" | "DELETED" | "LIMIT_EXCEEDED" | "ARCHIVED" => TemplateStatus::Disabled,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WhatsappTemplate {
    pub id: TemplateId,
    pub account_id: AccountId,
    pub connection_id: ConnectionId,
    /// Lowercase letters, digits and underscores, as Meta requires.
    pub name: String,
    /// e.g. `pt_BR`, `en_US`.
    pub language: String,
    pub category: TemplateCategory,
    /// `[{type: header|body|footer|buttons, format?, text?, buttons?}]`.
    pub components: Value,
    pub status: TemplateStatus,
    pub rejection_reason: Option<String>,
    /// Meta's id for the template once it was sent for review (or found on the WhatsApp
    /// Business Account by a sync).
    pub external_id: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// How many `{{n}}` parameters each part of a template takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TemplateShape {
    pub header_params: usize,
    pub body_params: usize,
}

/// The number of parameters in `text`: placeholders must be `{{1}}`, `{{2}}`, ... each number
/// from 1 up used (in any order, repeats allowed), nothing else between double braces.
pub fn placeholders(text: &str) -> Result<usize, String> {
    let mut seen: Vec<usize> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or("has an unclosed `{{`")?;
        let inner = after[..end].trim();
        let n: usize = inner
            .parse()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| format!("has `{{{{{inner}}}}}`; placeholders are {{{{1}}}}, {{{{2}}}}, ..."))?;
        seen.push(n);
        rest = &after[end + 2..];
    }
    seen.sort_unstable();
    seen.dedup();
    if seen.iter().enumerate().any(|(i, n)| *n != i + 1) {
        return Err("must number its placeholders from {{1}} without gaps".to_owned());
    }
    Ok(seen.len())
}

const BODY_MAX: usize = 1024;
const HEADER_TEXT_MAX: usize = 60;
const FOOTER_MAX: usize = 60;
const BUTTONS_MAX: usize = 10;

/// Checks template components, answering their shape or `(field, message)` failures.
pub fn check_components(components: &Value) -> Result<TemplateShape, Vec<(String, String)>> {
    let mut errors = Vec::new();
    let mut shape = TemplateShape::default();
    let Some(list) = components.as_array() else {
        return Err(vec![("components".into(), "must be a list".into())]);
    };
    let mut seen_body = false;
    for (i, c) in list.iter().enumerate() {
        let field = |name: &str| format!("components[{i}].{name}");
        let kind = c["type"].as_str().unwrap_or_default().to_ascii_lowercase();
        let text = c["text"].as_str();
        match kind.as_str() {
            "body" => {
                seen_body = true;
                match text {
                    Some(t) if !t.trim().is_empty() && t.chars().count() <= BODY_MAX => match placeholders(t) {
                        Ok(n) => shape.body_params = n,
                        Err(why) => errors.push((field("text"), format!("the body {why}"))),
                    },
                    _ => errors.push((
                        field("text"),
                        format!("the body needs a text of up to {BODY_MAX} characters"),
                    )),
                }
            }
            "header" => match c["format"].as_str().unwrap_or("text").to_ascii_lowercase().as_str() {
                "text" => match text {
                    Some(t) if !t.trim().is_empty() && t.chars().count() <= HEADER_TEXT_MAX => match placeholders(t) {
                        Ok(n) if n <= 1 => shape.header_params = n,
                        Ok(_) => errors.push((field("text"), "a header takes at most one placeholder".into())),
                        Err(why) => errors.push((field("text"), format!("the header {why}"))),
                    },
                    _ => errors.push((
                        field("text"),
                        format!("a text header has up to {HEADER_TEXT_MAX} characters"),
                    )),
                },
                "image" | "video" | "document" | "location" => {}
                other => errors.push((field("format"), format!("`{other}` is not a header format"))),
            },
            "footer" => {
                if !text.is_some_and(|t| !t.trim().is_empty() && t.chars().count() <= FOOTER_MAX && !t.contains("{{")) {
                    errors.push((
                        field("text"),
                        format!("a footer is a plain text of up to {FOOTER_MAX} characters"),
                    ));
                }
            }
            "buttons" => {
                let count = c["buttons"].as_array().map_or(0, Vec::len);
                if count == 0 || count > BUTTONS_MAX {
                    errors.push((field("buttons"), format!("between 1 and {BUTTONS_MAX} buttons")));
                }
            }
            other => errors.push((
                field("type"),
                format!("`{other}` is not a component (header, body, footer, buttons)"),
            )),
        }
    }
    if !seen_body {
        errors.push(("components".into(), "a template needs a body".into()));
    }
    if errors.is_empty() { Ok(shape) } else { Err(errors) }
}

/// A template name as Meta accepts it.
pub fn is_template_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 512
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A language code such as `pt_BR` or `en`.
pub fn is_language(code: &str) -> bool {
    let mut parts = code.split('_');
    let lang = parts.next().unwrap_or_default();
    let region = parts.next();
    parts.next().is_none()
        && (2..=3).contains(&lang.len())
        && lang.bytes().all(|b| b.is_ascii_lowercase())
        && region.is_none_or(|r| r.len() == 2 && r.bytes().all(|b| b.is_ascii_uppercase()))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InteractiveKind {
    Button,
    List,
}

crate::string_enum!(InteractiveKind {
    Button => "button",
    List => "list",
});

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InteractiveTemplate {
    pub id: InteractiveTemplateId,
    pub account_id: AccountId,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: InteractiveKind,
    pub header: Option<String>,
    pub body: String,
    pub footer: Option<String>,
    /// `{buttons: [{id, title}]}` or `{button, sections: [{title, rows: [{id, title, description?}]}]}`.
    pub action: Value,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Checks an interactive action against WhatsApp's limits: up to 3 reply buttons (titles up to
/// 20 characters); or a list button (up to 20) with up to 10 sections and 10 rows in all (titles
/// up to 24, descriptions up to 72), row ids unique.
pub fn check_action(kind: InteractiveKind, action: &Value) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    let text_ok = |v: &Value, max: usize| {
        v.as_str()
            .is_some_and(|s| !s.trim().is_empty() && s.chars().count() <= max)
    };
    let mut ids: Vec<String> = Vec::new();
    let mut unique_id = |v: &Value, field: String, errors: &mut Vec<(String, String)>| match v.as_str() {
        Some(id) if !id.trim().is_empty() && id.len() <= 200 => {
            if ids.iter().any(|seen| seen == id) {
                errors.push((field, format!("`{id}` is used twice")));
            } else {
                ids.push(id.to_owned());
            }
        }
        _ => errors.push((field, "needs an id of up to 200 characters".into())),
    };
    match kind {
        InteractiveKind::Button => {
            let buttons = action["buttons"].as_array().map(Vec::as_slice).unwrap_or_default();
            if buttons.is_empty() || buttons.len() > 3 {
                errors.push(("action.buttons".into(), "between 1 and 3 buttons".into()));
            }
            for (i, b) in buttons.iter().enumerate() {
                unique_id(&b["id"], format!("action.buttons[{i}].id"), &mut errors);
                if !text_ok(&b["title"], 20) {
                    errors.push((
                        format!("action.buttons[{i}].title"),
                        "a title of up to 20 characters".into(),
                    ));
                }
            }
        }
        InteractiveKind::List => {
            if !text_ok(&action["button"], 20) {
                errors.push((
                    "action.button".into(),
                    "the list's button needs a text of up to 20 characters".into(),
                ));
            }
            let sections = action["sections"].as_array().map(Vec::as_slice).unwrap_or_default();
            if sections.is_empty() || sections.len() > 10 {
                errors.push(("action.sections".into(), "between 1 and 10 sections".into()));
            }
            let mut rows_total = 0;
            for (s, section) in sections.iter().enumerate() {
                if sections.len() > 1 && !text_ok(&section["title"], 24) {
                    errors.push((
                        format!("action.sections[{s}].title"),
                        "with several sections, each needs a title of up to 24 characters".into(),
                    ));
                }
                let rows = section["rows"].as_array().map(Vec::as_slice).unwrap_or_default();
                if rows.is_empty() {
                    errors.push((format!("action.sections[{s}].rows"), "a section needs rows".into()));
                }
                rows_total += rows.len();
                for (r, row) in rows.iter().enumerate() {
                    unique_id(&row["id"], format!("action.sections[{s}].rows[{r}].id"), &mut errors);
                    if !text_ok(&row["title"], 24) {
                        errors.push((
                            format!("action.sections[{s}].rows[{r}].title"),
                            "a title of up to 24 characters".into(),
                        ));
                    }
                    if !row["description"].is_null() && !text_ok(&row["description"], 72) {
                        errors.push((
                            format!("action.sections[{s}].rows[{r}].description"),
                            "up to 72 characters".into(),
                        ));
                    }
                }
            }
            if rows_total > 10 {
                errors.push(("action.sections".into(), "at most 10 rows in all".into()));
            }
        }
    }
    errors
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QuickReply {
    pub id: QuickReplyId,
    pub account_id: AccountId,
    /// What agents type to find it (`/ola`), unique in the account.
    pub shortcut: String,
    /// May hold placeholders such as `{{contact.first_name}}` (see [`QUICK_REPLY_PLACEHOLDERS`]).
    pub text: String,
    /// Departments it is meant for (empty: all).
    pub department_ids: Vec<DepartmentId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Placeholders a quick reply may use.
pub const QUICK_REPLY_PLACEHOLDERS: [&str; 5] = [
    "contact.name",
    "contact.first_name",
    "user.name",
    "ticket.protocol",
    "account.name",
];

/// Placeholders of `text` that are not known ones.
pub fn unknown_placeholders(text: &str) -> Vec<String> {
    let mut unknown = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            unknown.push("{{".to_owned());
            break;
        };
        let name = after[..end].trim();
        if !QUICK_REPLY_PLACEHOLDERS.contains(&name) {
            unknown.push(name.to_owned());
        }
        rest = &after[end + 2..];
    }
    unknown
}

/// Fills `{{name}}` placeholders from `value_of`; unknown ones are left as written.
pub fn render(text: &str, value_of: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = after[..end].trim();
                match value_of(name) {
                    Some(v) => out.push_str(&v),
                    None => out.push_str(&rest[start..start + 2 + end + 2]),
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn template_placeholders() {
        assert_eq!(placeholders("Olá {{1}}, seu pedido {{2}} saiu. {{1}}"), Ok(2));
        assert_eq!(placeholders("sem parâmetros"), Ok(0));
        assert!(placeholders("{{2}} sem o um").is_err());
        assert!(placeholders("{{nome}}").is_err());
        assert!(placeholders("{{1").is_err());
    }

    #[test]
    fn template_components() {
        let ok = json!([{"type": "HEADER", "format": "TEXT", "text": "Pedido {{1}}"},
                        {"type": "BODY", "text": "Olá {{1}}, total {{2}}"},
                        {"type": "FOOTER", "text": "Loja"}]);
        assert_eq!(
            check_components(&ok),
            Ok(TemplateShape {
                header_params: 1,
                body_params: 2
            })
        );
        let bad =
            json!([{"type": "header", "text": "{{1}} {{2}}"}, {"type": "footer", "text": "{{1}}"}, {"type": "banner"}]);
        let errors = check_components(&bad).expect_err("bad");
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "components[0].text",
                "components[1].text",
                "components[2].type",
                "components"
            ]
        );
        assert!(is_template_name("pedido_enviado_2") && !is_template_name("Pedido Enviado"));
        assert!(is_language("pt_BR") && is_language("en") && !is_language("pt-br"));
    }

    #[test]
    fn interactive_limits() {
        let buttons = json!({"buttons": [{"id": "a", "title": "Sim"}, {"id": "b", "title": "Não"}]});
        assert!(check_action(InteractiveKind::Button, &buttons).is_empty());
        let too_many = json!({"buttons": [{"id": "a", "title": "1"}, {"id": "b", "title": "2"}, {"id": "c", "title": "3"}, {"id": "a", "title": "4"}]});
        let errors = check_action(InteractiveKind::Button, &too_many);
        assert_eq!(errors[0].0, "action.buttons");
        assert!(errors.iter().any(|(f, _)| f == "action.buttons[3].id"));
        let list = json!({"button": "Ver opções", "sections": [{"rows": [{"id": "1", "title": "Segunda via", "description": "Boleto"}]}]});
        assert!(check_action(InteractiveKind::List, &list).is_empty());
        let long_title = json!({"button": "x", "sections": [{"rows": [{"id": "1", "title": "a title far longer than twenty four"}]}]});
        assert_eq!(
            check_action(InteractiveKind::List, &long_title)[0].0,
            "action.sections[0].rows[0].title"
        );
    }

    #[test]
    fn quick_reply_placeholders() {
        assert!(unknown_placeholders("Olá {{contact.first_name}}, aqui é {{user.name}}").is_empty());
        assert_eq!(unknown_placeholders("Oi {{cliente}}"), ["cliente"]);
        let text = render("Olá {{contact.first_name}}! {{other}} {{", |n| {
            (n == "contact.first_name").then(|| "Ana".to_owned())
        });
        assert_eq!(text, "Olá Ana! {{other}} {{");
    }
}
