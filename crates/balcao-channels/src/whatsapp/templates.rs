//! Message templates between Balcão and Meta: the definition sent for review and the
//! components read back from the WhatsApp Business Account.
//!
//! Balcão keeps components as `[{type: header|body|footer|buttons, format?, text?, buttons?}]`
//! in lower case; Meta spells `type`, `format` and button types in upper case and wants an
//! `example` for every component with placeholders.

use serde_json::{Map, Value, json};

/// The body of `POST /{waba_id}/message_templates` (and, without `name` and `language`, of an
/// edit).
pub fn definition(name: &str, language: &str, category: &str, components: &Value) -> Value {
    json!({
        "name": name,
        "language": language,
        "category": category.to_ascii_uppercase(),
        "components": to_meta(components),
    })
}

/// The body of `POST /{template_id}`: Meta edits category and components only.
pub fn edit(category: &str, components: &Value) -> Value {
    json!({"category": category.to_ascii_uppercase(), "components": to_meta(components)})
}

fn to_meta(components: &Value) -> Value {
    let list = components.as_array().map(Vec::as_slice).unwrap_or_default();
    Value::Array(list.iter().map(component_to_meta).collect())
}

fn component_to_meta(c: &Value) -> Value {
    let Value::Object(fields) = c else { return c.clone() };
    let mut out = Map::with_capacity(fields.len() + 1);
    for (key, value) in fields {
        let value = match (key.as_str(), value) {
            ("type" | "format", Value::String(s)) => Value::String(s.to_ascii_uppercase()),
            ("buttons", Value::Array(buttons)) => Value::Array(
                buttons
                    .iter()
                    .map(|b| match b {
                        Value::Object(b) => Value::Object(
                            b.iter()
                                .map(|(k, v)| match (k.as_str(), v) {
                                    ("type", Value::String(s)) => (k.clone(), Value::String(s.to_ascii_uppercase())),
                                    _ => (k.clone(), v.clone()),
                                })
                                .collect(),
                        ),
                        other => other.clone(),
                    })
                    .collect(),
            ),
            _ => value.clone(),
        };
        out.insert(key.clone(), value);
    }
    if !out.contains_key("example")
        && let Some(text) = c["text"].as_str()
    {
        // Components are checked before they get here; a malformed text gets no example.
        let params = balcao_core::template::placeholders(text).unwrap_or(0);
        if params > 0 {
            let samples: Vec<String> = (1..=params).map(|n| format!("example {n}")).collect();
            match c["type"].as_str().map(str::to_ascii_lowercase).as_deref() {
                Some("body") => {
                    out.insert("example".into(), json!({"body_text": [samples]}));
                }
                Some("header") => {
                    out.insert("example".into(), json!({"header_text": samples}));
                }
                _ => {}
            }
        }
    }
    Value::Object(out)
}

/// Meta's components in Balcão's spelling (lower-case `type`, `format` and button types;
/// Meta's examples dropped).
pub fn from_meta(components: &Value) -> Value {
    let list = components.as_array().map(Vec::as_slice).unwrap_or_default();
    Value::Array(
        list.iter()
            .map(|c| {
                let Value::Object(fields) = c else { return c.clone() };
                let mut out = Map::with_capacity(fields.len());
                for (key, value) in fields {
                    let value = match (key.as_str(), value) {
                        ("example", _) => continue,
                        ("type" | "format", Value::String(s)) => Value::String(s.to_ascii_lowercase()),
                        ("buttons", Value::Array(buttons)) => Value::Array(
                            buttons
                                .iter()
                                .map(|b| {
                                    let mut b = b.clone();
                                    if let Some(Value::String(t)) = b.get_mut("type") {
                                        *t = t.to_ascii_lowercase();
                                    }
                                    b
                                })
                                .collect(),
                        ),
                        _ => value.clone(),
                    };
                    out.insert(key.clone(), value);
                }
                Value::Object(out)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_go_to_meta_in_upper_case_with_examples_and_come_back() {
        let ours = json!([
            {"type": "header", "format": "text", "text": "Pedido {{1}}"},
            {"type": "body", "text": "Olá {{1}}, seu pedido {{2}} saiu."},
            {"type": "footer", "text": "Loja"},
            {"type": "buttons", "buttons": [{"type": "quick_reply", "text": "Ok"}]}
        ]);
        let body = definition("order_update", "pt_BR", "utility", &ours);
        assert_eq!(body["category"], "UTILITY");
        let c = &body["components"];
        assert_eq!(c[0]["type"], "HEADER");
        assert_eq!(c[0]["format"], "TEXT");
        assert_eq!(c[0]["example"], json!({"header_text": ["example 1"]}));
        assert_eq!(c[1]["example"], json!({"body_text": [["example 1", "example 2"]]}));
        assert!(c[2].get("example").is_none());
        assert_eq!(c[3]["buttons"][0]["type"], "QUICK_REPLY");
        assert_eq!(from_meta(c), ours);
    }

    #[test]
    fn an_example_given_is_kept() {
        let ours = json!([{"type": "body", "text": "Oi {{1}}", "example": {"body_text": [["Ana"]]}}]);
        assert_eq!(to_meta(&ours)[0]["example"], json!({"body_text": [["Ana"]]}));
    }
}
