//! Fields of lenient Digisac bodies and paths: texts that may be numbers, booleans that may be
//! strings, ids in lists or `{id}` objects, and path ids.

use axum::extract::{FromRequestParts, Path};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde_json::Value;
use uuid::Uuid;

use super::DigisacError;

/// The one `{...}` parameter of a path as a UUID; anything else is "Not found." (404), as
/// Digisac answers an unknown id.
pub struct PathUuid(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for PathUuid {
    type Rejection = DigisacError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| not_found())?;
        parse_path_id(&raw).map(PathUuid)
    }
}

fn not_found() -> DigisacError {
    DigisacError::new(StatusCode::NOT_FOUND, "Not found.")
}

/// A path segment as an id (404 when it is not one).
pub fn parse_path_id(raw: &str) -> Result<Uuid, DigisacError> {
    Uuid::parse_str(raw).map_err(|_| not_found())
}

/// A text field (numbers become text).
pub fn text(body: &Value, key: &str) -> Option<String> {
    match &body[key] {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Present and `null` (a field to clear), or present with a value.
pub fn optional_text(body: &Value, key: &str) -> Option<Option<String>> {
    body.get(key).map(|v| match v {
        Value::Null => None,
        _ => text(body, key),
    })
}

/// An id field; `null` or an empty text is no id.
pub fn id(body: &Value, key: &str) -> Result<Option<Uuid>, DigisacError> {
    match &body[key] {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => Uuid::parse_str(s.trim())
            .map(Some)
            .map_err(|_| DigisacError::bad_request(format!("`{key}` is not a valid id"))),
        _ => Err(DigisacError::bad_request(format!("`{key}` is not a valid id"))),
    }
}

/// Absent (unchanged), or present: `null` clears it.
pub fn optional_id(body: &Value, key: &str) -> Result<Option<Option<Uuid>>, DigisacError> {
    if body.get(key).is_none() {
        return Ok(None);
    }
    id(body, key).map(Some)
}

/// A boolean field, also spelled `"true"`/`"false"`/`"1"`/`"0"`.
pub fn boolean(body: &Value, key: &str) -> Option<bool> {
    match &body[key] {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A list of ids as Digisac clients send them: a list of id texts or `{id}` objects (empty
/// texts left out), or one id text (an empty one is an empty list). `None` when absent or
/// `null`; `name` names the field in errors.
pub fn id_list(value: Option<&Value>, name: &str) -> Result<Option<Vec<Uuid>>, DigisacError> {
    let items = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items.as_slice(),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(Some(Vec::new())),
        Some(one @ Value::String(_)) => std::slice::from_ref(one),
        Some(_) => return Err(DigisacError::bad_request(format!("`{name}` must be a list of ids"))),
    };
    items
        .iter()
        .filter(|i| !i.as_str().is_some_and(|s| s.trim().is_empty()))
        .map(|i| {
            i.as_str()
                .or(i["id"].as_str())
                .and_then(|s| Uuid::parse_str(s.trim()).ok())
                .ok_or_else(|| DigisacError::bad_request(format!("`{name}` holds an invalid id")))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The ids of `{"where": {"id": [...]}}` (or `{"$in": [...]}`), required.
pub fn where_ids(body: &Value) -> Result<Vec<Uuid>, DigisacError> {
    let raw = match &body["where"]["id"] {
        Value::Object(ops) => ops.get("$in"),
        other => Some(other),
    };
    id_list(raw, "where.id")?.ok_or_else(|| DigisacError::bad_request("`where.id` lists the records"))
}
