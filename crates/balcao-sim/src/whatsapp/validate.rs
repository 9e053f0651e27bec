//! Validation of the per-type object of a send (`text`, `image`, `template`, `interactive`, ...), with the error
//! codes and details the Cloud API answers.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::WhatsappSim;
use super::errors::GraphError;

type Checked<T> = Result<T, GraphError>;
type Object = Map<String, Value>;

/// The message types a send may have.
pub(crate) const SEND_TYPES: &[&str] = &[
    "audio",
    "contacts",
    "document",
    "image",
    "interactive",
    "location",
    "reaction",
    "sticker",
    "template",
    "text",
    "video",
];

/// Checks the `<type>` object of a send body.
pub(crate) fn message_object(sim: &WhatsappSim, kind: &str, body: &Object) -> Checked<()> {
    match kind {
        "text" => text(body),
        "image" | "video" | "audio" | "document" | "sticker" => media(sim, kind, body),
        "template" => template(sim, body),
        "interactive" => interactive(body),
        "location" => location(body),
        "contacts" => contacts(body),
        "reaction" => reaction(sim, body),
        other => Err(GraphError::invalid(format!(
            "Param type must be one of {{{}}} - got \"{other}\".",
            SEND_TYPES
                .iter()
                .map(|t| t.to_uppercase())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn text(body: &Object) -> Checked<()> {
    let text = object(body, "text", "text")?;
    let content = string(text, "body", "text['body']")?;
    length(content, 1, 4096, "text['body']", 100)?;
    if let Some(preview) = text.get("preview_url")
        && !preview.is_boolean()
    {
        return Err(GraphError::invalid("Param text['preview_url'] must be a boolean."));
    }
    Ok(())
}

fn media(sim: &WhatsappSim, kind: &str, body: &Object) -> Checked<()> {
    let media = object(body, kind, kind)?;
    let id = match media.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => Some(id.clone()),
        Some(Value::Number(id)) => Some(id.to_string()),
        Some(_) => return Err(GraphError::invalid(format!("Param {kind}['id'] must be a string."))),
    };
    let link = optional_string(media, "link", &format!("{kind}['link']"))?;
    match (id, link) {
        (None, None) => return Err(GraphError::missing(&format!("{kind}['id'] or {kind}['link']"))),
        (Some(_), Some(_)) => {
            return Err(GraphError::invalid(format!(
                "Param {kind} must contain either id or link, but not both."
            )));
        }
        (Some(id), None) => {
            if !sim.state().media.contains_key(&id) {
                return Err(GraphError::invalid(format!(
                    "Param {kind}['id'] is not a valid whatsapp business account media attachment ID"
                )));
            }
        }
        (None, Some(link)) => {
            let rest = link.strip_prefix("https://").or_else(|| link.strip_prefix("http://"));
            if rest.is_none_or(|rest| rest.is_empty() || rest.starts_with('/') || rest.contains(char::is_whitespace)) {
                return Err(GraphError::invalid(format!("Param {kind}['link'] is not a valid URL.")));
            }
        }
    }
    if media.contains_key("caption") {
        if kind == "audio" || kind == "sticker" {
            return Err(unexpected_key("caption", kind));
        }
        let caption = string(media, "caption", &format!("{kind}['caption']"))?;
        length(caption, 0, 1024, &format!("{kind}['caption']"), 100)?;
    }
    if media.contains_key("filename") {
        if kind != "document" {
            return Err(unexpected_key("filename", kind));
        }
        string(media, "filename", "document['filename']")?;
    }
    Ok(())
}

fn template(sim: &WhatsappSim, body: &Object) -> Checked<()> {
    let template = object(body, "template", "template")?;
    let name = string(template, "name", "template['name']")?;
    let language = object(template, "language", "template['language']")?;
    let code = string(language, "code", "template['language']['code']")?;
    if let Some(policy) = optional_string(language, "policy", "template['language']['policy']")?
        && policy != "deterministic"
    {
        return Err(GraphError::invalid(format!(
            "Param template['language']['policy'] must be one of {{DETERMINISTIC}} - got \"{policy}\"."
        )));
    }
    let found = sim
        .state()
        .templates
        .iter()
        .find(|t| t.name == name && t.language == code && t.status == "APPROVED")
        .map(|t| t.body_params());
    let Some(expected_params) = found else {
        return Err(GraphError::new(
            132001,
            format!("template name ({name}) does not exist in {code}"),
        ));
    };
    let mut body_params = 0;
    if let Some(components) = template.get("components").filter(|c| !c.is_null()) {
        let Value::Array(components) = components else {
            return Err(GraphError::invalid("Param template['components'] must be an array."));
        };
        for (i, component) in components.iter().enumerate() {
            let path = format!("template['components'][{i}]");
            let Value::Object(component) = component else {
                return Err(GraphError::invalid(format!("Param {path} must be a JSON object.")));
            };
            let kind = string(component, "type", &format!("{path}['type']"))?.to_ascii_lowercase();
            if !["header", "body", "button", "footer"].contains(&kind.as_str()) {
                return Err(GraphError::invalid(format!(
                    "Param {path}['type'] must be one of {{HEADER, BODY, BUTTON, FOOTER}} - got \"{kind}\"."
                )));
            }
            if kind == "button" {
                string(component, "sub_type", &format!("{path}['sub_type']"))?;
                if component.get("index").is_none_or(Value::is_null) {
                    return Err(GraphError::missing(&format!("{path}['index']")));
                }
            }
            let parameters = match component.get("parameters") {
                None | Some(Value::Null) => &Vec::new(),
                Some(Value::Array(parameters)) => parameters,
                Some(_) => {
                    return Err(GraphError::invalid(format!(
                        "Param {path}['parameters'] must be an array."
                    )));
                }
            };
            for (j, parameter) in parameters.iter().enumerate() {
                let ppath = format!("{path}['parameters'][{j}]");
                let Value::Object(parameter) = parameter else {
                    return Err(GraphError::invalid(format!("Param {ppath} must be a JSON object.")));
                };
                let ptype = string(parameter, "type", &format!("{ppath}['type']"))?;
                if ptype == "text" {
                    string(parameter, "text", &format!("{ppath}['text']"))?;
                } else if ptype != "payload" && !parameter.contains_key(ptype) {
                    return Err(GraphError::missing(&format!("{ppath}['{ptype}']")));
                }
            }
            if kind == "body" {
                body_params += parameters.len();
            }
        }
    }
    if body_params != expected_params {
        return Err(GraphError::new(
            132000,
            format!(
                "body: number of localizable_params ({body_params}) does not match the expected number of params ({})",
                expected_params
            ),
        ));
    }
    Ok(())
}

const INTERACTIVE_TYPES: &[&str] = &[
    "button",
    "list",
    "cta_url",
    "flow",
    "location_request_message",
    "address_message",
    "product",
    "product_list",
    "catalog_message",
];

fn interactive(body: &Object) -> Checked<()> {
    let interactive = object(body, "interactive", "interactive")?;
    let kind = string(interactive, "type", "interactive['type']")?;
    if !INTERACTIVE_TYPES.contains(&kind) {
        return Err(GraphError::not_valid(format!(
            "Interactive message type '{kind}' is not valid."
        )));
    }
    let needs_body = matches!(
        kind,
        "button" | "list" | "cta_url" | "flow" | "location_request_message"
    );
    if needs_body || interactive.contains_key("body") {
        let body = object(interactive, "body", "interactive['body']")?;
        let text = string(body, "text", "interactive['body']['text']")?;
        let max = if kind == "list" { 4096 } else { 1024 };
        length(text, 1, max, "interactive['body']['text']", 131009)?;
    }
    if interactive.contains_key("footer") {
        let footer = object(interactive, "footer", "interactive['footer']")?;
        let text = string(footer, "text", "interactive['footer']['text']")?;
        length(text, 1, 60, "interactive['footer']['text']", 131009)?;
    }
    if interactive.contains_key("header") {
        let header = object(interactive, "header", "interactive['header']")?;
        let htype = string(header, "type", "interactive['header']['type']")?;
        match htype {
            "text" => {
                let text = string(header, "text", "interactive['header']['text']")?;
                length(text, 1, 60, "interactive['header']['text']", 131009)?;
            }
            "image" | "video" | "document" if kind != "list" => {
                object(header, htype, &format!("interactive['header']['{htype}']"))?;
            }
            other => {
                return Err(GraphError::not_valid(format!(
                    "Header type '{other}' is not valid for {kind}."
                )));
            }
        }
    }
    let action = object(interactive, "action", "interactive['action']")?;
    match kind {
        "button" => buttons(action),
        "list" => list(action),
        "cta_url" => {
            let parameters = object(action, "parameters", "interactive['action']['parameters']")?;
            let text = string(
                parameters,
                "display_text",
                "interactive['action']['parameters']['display_text']",
            )?;
            length(
                text,
                1,
                20,
                "interactive['action']['parameters']['display_text']",
                131009,
            )?;
            let url = string(parameters, "url", "interactive['action']['parameters']['url']")?;
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(GraphError::not_valid(
                    "Param interactive['action']['parameters']['url'] is not a valid URL.",
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn buttons(action: &Object) -> Checked<()> {
    let buttons = array(action, "buttons", "interactive['action']['buttons']")?;
    if buttons.is_empty() || buttons.len() > 3 {
        return Err(GraphError::not_valid(format!(
            "Param interactive['action']['buttons'] must contain between 1 and 3 elements, got {}.",
            buttons.len()
        )));
    }
    let (mut ids, mut titles) = (HashSet::new(), HashSet::new());
    for (i, button) in buttons.iter().enumerate() {
        let path = format!("interactive['action']['buttons'][{i}]");
        let Value::Object(button) = button else {
            return Err(GraphError::invalid(format!("Param {path} must be a JSON object.")));
        };
        let btype = string(button, "type", &format!("{path}['type']"))?;
        if btype != "reply" {
            return Err(GraphError::not_valid(format!(
                "Param {path}['type'] must be \"reply\", got \"{btype}\"."
            )));
        }
        let reply = object(button, "reply", &format!("{path}['reply']"))?;
        let id = string(reply, "id", &format!("{path}['reply']['id']"))?;
        length(id, 1, 256, &format!("{path}['reply']['id']"), 131009)?;
        let title = string(reply, "title", &format!("{path}['reply']['title']"))?;
        if title.trim().is_empty() || title.chars().count() > 20 {
            return Err(GraphError::not_valid(
                "Button title length invalid. Min length: 1, Max length: 20",
            ));
        }
        if !ids.insert(id) {
            return Err(GraphError::not_valid("Button IDs are not unique."));
        }
        if !titles.insert(title) {
            return Err(GraphError::not_valid("Button titles are not unique."));
        }
    }
    Ok(())
}

fn list(action: &Object) -> Checked<()> {
    let button = string(action, "button", "interactive['action']['button']")?;
    length(button, 1, 20, "interactive['action']['button']", 131009)?;
    let sections = array(action, "sections", "interactive['action']['sections']")?;
    if sections.is_empty() || sections.len() > 10 {
        return Err(GraphError::not_valid(format!(
            "Param interactive['action']['sections'] must contain between 1 and 10 elements, got {}.",
            sections.len()
        )));
    }
    let mut ids = HashSet::new();
    for (i, section) in sections.iter().enumerate() {
        let path = format!("interactive['action']['sections'][{i}]");
        let Value::Object(section) = section else {
            return Err(GraphError::invalid(format!("Param {path} must be a JSON object.")));
        };
        if sections.len() > 1 || section.contains_key("title") {
            let title = string(section, "title", &format!("{path}['title']"))?;
            length(title, 1, 24, &format!("{path}['title']"), 131009)?;
        }
        let rows = array(section, "rows", &format!("{path}['rows']"))?;
        if rows.is_empty() {
            return Err(GraphError::not_valid(format!(
                "Param {path}['rows'] must contain at least 1 element."
            )));
        }
        for (j, row) in rows.iter().enumerate() {
            let rpath = format!("{path}['rows'][{j}]");
            let Value::Object(row) = row else {
                return Err(GraphError::invalid(format!("Param {rpath} must be a JSON object.")));
            };
            let id = string(row, "id", &format!("{rpath}['id']"))?;
            length(id, 1, 200, &format!("{rpath}['id']"), 131009)?;
            if !ids.insert(id) {
                return Err(GraphError::not_valid("Row IDs are not unique."));
            }
            let title = string(row, "title", &format!("{rpath}['title']"))?;
            length(title, 1, 24, &format!("{rpath}['title']"), 131009)?;
            if let Some(description) = optional_string(row, "description", &format!("{rpath}['description']"))? {
                length(description, 0, 72, &format!("{rpath}['description']"), 131009)?;
            }
        }
    }
    if ids.len() > 10 {
        return Err(GraphError::not_valid(format!(
            "Total row count exceed max allowed count: 10 (got {}).",
            ids.len()
        )));
    }
    Ok(())
}

fn location(body: &Object) -> Checked<()> {
    let location = object(body, "location", "location")?;
    let latitude = number(location, "latitude", "location['latitude']")?;
    let longitude = number(location, "longitude", "location['longitude']")?;
    if !(-90.0..=90.0).contains(&latitude) {
        return Err(GraphError::not_valid(
            "Param location['latitude'] must be between -90 and 90.",
        ));
    }
    if !(-180.0..=180.0).contains(&longitude) {
        return Err(GraphError::not_valid(
            "Param location['longitude'] must be between -180 and 180.",
        ));
    }
    optional_string(location, "name", "location['name']")?;
    optional_string(location, "address", "location['address']")?;
    Ok(())
}

fn contacts(body: &Object) -> Checked<()> {
    let cards = array(body, "contacts", "contacts")?;
    if cards.is_empty() {
        return Err(GraphError::invalid("Param contacts must contain at least 1 element."));
    }
    for (i, card) in cards.iter().enumerate() {
        let Value::Object(card) = card else {
            return Err(GraphError::invalid(format!(
                "Param contacts[{i}] must be a JSON object."
            )));
        };
        let name = object(card, "name", &format!("contacts[{i}]['name']"))?;
        let formatted = string(
            name,
            "formatted_name",
            &format!("contacts[{i}]['name']['formatted_name']"),
        )?;
        length(
            formatted,
            1,
            1024,
            &format!("contacts[{i}]['name']['formatted_name']"),
            100,
        )?;
    }
    Ok(())
}

fn reaction(sim: &WhatsappSim, body: &Object) -> Checked<()> {
    let reaction = object(body, "reaction", "reaction")?;
    let message_id = string(reaction, "message_id", "reaction['message_id']")?;
    if !reaction.contains_key("emoji") {
        return Err(GraphError::missing("reaction['emoji']"));
    }
    let emoji = string(reaction, "emoji", "reaction['emoji']")?;
    if emoji.chars().count() > 10 || emoji.chars().any(|c| c.is_ascii_alphabetic()) {
        return Err(GraphError::not_valid("Param reaction['emoji'] must be a single emoji."));
    }
    let known = {
        let state = sim.state();
        state.customer_wamids.contains_key(message_id) || state.sent_wamids.contains(message_id)
    };
    if !known {
        return Err(GraphError::not_valid(format!(
            "Message with id '{message_id}' could not be found."
        )));
    }
    Ok(())
}

fn unexpected_key(key: &str, param: &str) -> GraphError {
    GraphError::invalid(format!("Unexpected key \"{key}\" on param \"{param}\"."))
}

pub(crate) fn object<'v>(parent: &'v Object, key: &str, path: &str) -> Checked<&'v Object> {
    match parent.get(key) {
        None | Some(Value::Null) => Err(GraphError::missing(path)),
        Some(Value::Object(object)) => Ok(object),
        Some(_) => Err(GraphError::invalid(format!("Param {path} must be a JSON object."))),
    }
}

pub(crate) fn string<'v>(parent: &'v Object, key: &str, path: &str) -> Checked<&'v str> {
    optional_string(parent, key, path)?.ok_or_else(|| GraphError::missing(path))
}

pub(crate) fn optional_string<'v>(parent: &'v Object, key: &str, path: &str) -> Checked<Option<&'v str>> {
    match parent.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(GraphError::invalid(format!("Param {path} must be a string."))),
    }
}

fn array<'v>(parent: &'v Object, key: &str, path: &str) -> Checked<&'v Vec<Value>> {
    match parent.get(key) {
        None | Some(Value::Null) => Err(GraphError::missing(path)),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(GraphError::invalid(format!("Param {path} must be an array."))),
    }
}

fn number(parent: &Object, key: &str, path: &str) -> Checked<f64> {
    match parent.get(key) {
        None | Some(Value::Null) => Err(GraphError::missing(path)),
        Some(Value::Number(n)) => n
            .as_f64()
            .ok_or_else(|| GraphError::invalid(format!("Param {path} must be a number."))),
        Some(Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .map_err(|_| GraphError::invalid(format!("Param {path} must be a number."))),
        Some(_) => Err(GraphError::invalid(format!("Param {path} must be a number."))),
    }
}

/// Length in characters within `min..=max`, else error `code` (100 or 131009).
fn length(text: &str, min: usize, max: usize, path: &str, code: i64) -> Checked<()> {
    let count = text.chars().count();
    let problem = if count < min {
        format!(
            "Param {path} must be at least {min} character{} long.",
            if min == 1 { "" } else { "s" }
        )
    } else if count > max {
        format!("Param {path} must be at most {max} characters long.")
    } else {
        return Ok(());
    };
    Err(GraphError::new(code, problem))
}
