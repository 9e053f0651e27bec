//! Request bodies as Digisac clients send them: JSON (their documentation's examples carry
//! `//` comments), or form-encoded with bracket keys (`numbers[]=...`, `a[b]=...`).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde_json::{Map, Value};

use super::DigisacError;

/// The body as a JSON value (an object for forms; `null` when empty).
pub struct Body(pub Value);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = DigisacError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| DigisacError::bad_request(format!("cannot read the body: {e}")))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Body(Value::Null));
        }
        if form {
            let pairs: Vec<(String, String)> = form_urlencoded::parse(&bytes).into_owned().collect();
            if pairs.iter().any(|(k, v)| k.contains('\0') || v.contains('\0')) {
                return Err(DigisacError::bad_request(
                    "the body holds a NUL character, which no field accepts",
                ));
            }
            return Ok(Body(brackets_to_json(&pairs)));
        }
        if crate::extract::has_nul_escape(&bytes) || bytes.contains(&0) {
            return Err(DigisacError::bad_request(
                "the body holds a NUL character, which no field accepts",
            ));
        }
        let text = std::str::from_utf8(&bytes).map_err(|_| DigisacError::bad_request("the body is not UTF-8"))?;
        let clean = strip_comments(text);
        serde_json::from_str(&clean)
            .map(Body)
            .map_err(|e| DigisacError::bad_request(format!("the body is not valid JSON: {e}")))
    }
}

/// JSON with `//` line comments (outside strings) removed, and trailing commas before `}` or
/// `]` dropped, as hand-edited examples have them.
pub fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '/' if chars.peek() == Some(&'/') => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            _ => out.push(c),
        }
    }
    drop_trailing_commas(&out)
}

fn drop_trailing_commas(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        if c == '"' {
            in_string = true;
        }
        if c == ',' {
            let next = chars[i + 1..].iter().find(|n| !n.is_whitespace());
            if matches!(next, Some('}' | ']')) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// `a[b][0]=x` style pairs as a JSON tree: numeric or empty segments make arrays. Values stay
/// strings (each field coerces them to its own kind).
pub fn brackets_to_json(pairs: &[(String, String)]) -> Value {
    let mut root = Value::Object(Map::new());
    for (key, value) in pairs {
        let segments = segments(key);
        if segments.is_empty() {
            continue;
        }
        insert(&mut root, &segments, Value::String(value.clone()));
    }
    arrays(root)
}

fn segments(key: &str) -> Vec<String> {
    let Some(open) = key.find('[') else {
        return vec![key.to_owned()];
    };
    let mut out = vec![key[..open].to_owned()];
    let mut rest = &key[open..];
    while let Some(stripped) = rest.strip_prefix('[') {
        let Some(close) = stripped.find(']') else { break };
        out.push(stripped[..close].to_owned());
        rest = &stripped[close + 1..];
    }
    out
}

fn insert(node: &mut Value, path: &[String], value: Value) {
    let Value::Object(map) = node else { return };
    let (head, tail) = (&path[0], &path[1..]);
    // `[]` appends: give it the next free index.
    let key = if head.is_empty() {
        map.len().to_string()
    } else {
        head.clone()
    };
    if tail.is_empty() {
        map.insert(key, value);
        return;
    }
    let child = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !child.is_object() {
        *child = Value::Object(Map::new());
    }
    insert(child, tail, value);
}

/// Objects whose keys are all indexes become arrays, in index order.
fn arrays(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            let all_indexes = !map.is_empty() && map.keys().all(|k| k.parse::<usize>().is_ok());
            if all_indexes {
                let mut items: Vec<(usize, Value)> = map
                    .into_iter()
                    .filter_map(|(k, v)| k.parse().ok().map(|i| (i, arrays(v))))
                    .collect();
                items.sort_by_key(|(i, _)| *i);
                Value::Array(items.into_iter().map(|(_, v)| v).collect())
            } else {
                Value::Object(map.into_iter().map(|(k, v)| (k, arrays(v))).collect())
            }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn comments_and_trailing_commas_go() {
        let text = "{\n  \"text\": \"http://x.y // not a comment\", // the text\n  \"n\": 1,\n}";
        let v: Value = serde_json::from_str(&strip_comments(text)).expect("json");
        assert_eq!(v, json!({"text": "http://x.y // not a comment", "n": 1}));
    }

    #[test]
    fn bracket_keys_build_trees() {
        let pairs: Vec<(String, String)> = [
            ("where[data.number][$iLike]", "%1234%"),
            ("include[0][model]", "contact"),
            ("include[0][include][0]", "avatar"),
            ("include[1]", "tags"),
            ("order[0][0]", "updatedAt"),
            ("order[0][1]", "DESC"),
            ("numbers[]", "1"),
            ("numbers[]", "2"),
            ("perPage", "40"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            brackets_to_json(&pairs),
            json!({"where": {"data.number": {"$iLike": "%1234%"}},
                   "include": [{"model": "contact", "include": ["avatar"]}, "tags"],
                   "order": [["updatedAt", "DESC"]], "numbers": ["1", "2"], "perPage": "40"})
        );
    }
}
