//! Extractors of the native API: each rejection becomes a problem document naming what was
//! wrong.

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRef, FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use balcao_core::FieldError;
use balcao_service::Principal;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::AppState;
use crate::problem::ApiError;

fn content_type(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok())
}

fn is_json(headers: &HeaderMap) -> bool {
    content_type(headers).is_some_and(|ct| {
        let mime = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
    })
}

fn is_form(headers: &HeaderMap) -> bool {
    content_type(headers).is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
    })
}

async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is too large",
            )
        } else {
            ApiError::bad_request("unreadable_body", rejection.body_text())
        }
    })
}

/// Parses a JSON body: broken JSON answers 400 naming where; a well-formed body whose values
/// have the wrong type answers 422 naming the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if has_nul_escape(bytes) {
        return Err(ApiError::bad_request(
            "nul_character",
            "the body holds a NUL character (\\u0000), which no field accepts",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize::<_, T>(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Syntax
            | serde_json::error::Category::Eof
            | serde_json::error::Category::Io => {
                ApiError::bad_request("invalid_json", format!("the body is not valid JSON: {inner}"))
            }
            serde_json::error::Category::Data => data_error(&path, &inner.to_string()),
        }
    })?;
    de.end()
        .map_err(|e| ApiError::bad_request("invalid_json", format!("the body is not valid JSON: {e}")))?;
    Ok(value)
}

fn data_error(path: &str, message: &str) -> ApiError {
    // serde reports a missing field at its parent's path, naming it in the message.
    let (field, code) = match message.split('`').nth(1) {
        Some(name) if message.starts_with("missing field") => (name.to_owned(), "required"),
        _ if path == "." || path.is_empty() => ("body".to_owned(), "wrong_type"),
        _ => (path.to_owned(), "wrong_type"),
    };
    let message = message.split(" at line ").next().unwrap_or(message).to_owned();
    ApiError::validation(vec![FieldError { field, code, message }])
}

/// Whether JSON text escapes a NUL character (`\u0000` after an odd run of backslashes):
/// no text field takes one, and PostgreSQL cannot store it.
pub fn has_nul_escape(bytes: &[u8]) -> bool {
    let needle = b"u0000";
    let mut i = 0;
    while i + needle.len() <= bytes.len() {
        if &bytes[i..i + needle.len()] == needle {
            let backslashes = bytes[..i].iter().rev().take_while(|b| **b == b'\\').count();
            if backslashes % 2 == 1 {
                return true;
            }
        }
        i += 1;
    }
    false
}

/// A JSON request body (`Content-Type: application/json`).
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
            ));
        }
        let bytes = body_bytes(req, state).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// A JSON body that may be left out entirely (no body, no `Content-Type`): then `T::default()`.
pub struct OptionalJsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalJsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if req.headers().contains_key(header::CONTENT_TYPE) {
            return JsonBody::from_request(req, state)
                .await
                .map(|JsonBody(v)| OptionalJsonBody(v));
        }
        let bytes = body_bytes(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            Ok(OptionalJsonBody(T::default()))
        } else {
            Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
            ))
        }
    }
}

/// A body sent either as JSON or as `application/x-www-form-urlencoded` (OAuth2 clients).
pub struct JsonOrForm<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonOrForm<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let form = is_form(req.headers());
        if !form && !is_json(req.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json or application/x-www-form-urlencoded",
            ));
        }
        let bytes = body_bytes(req, state).await?;
        if form {
            serde_urlencoded::from_bytes(&bytes)
                .map(JsonOrForm)
                .map_err(|e| data_error(".", &e.to_string()))
        } else {
            parse_json(&bytes).map(JsonOrForm)
        }
    }
}

/// The single `{id}` of a path, as a typed id; anything but a UUID answers 400.
pub struct PathId<T>(pub T);

impl<S: Send + Sync, T: From<Uuid>> FromRequestParts<S> for PathId<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request("invalid_path", e.body_text()))?;
        Uuid::parse_str(&raw)
            .map(|id| PathId(T::from(id)))
            .map_err(|_| ApiError::bad_request("invalid_id", format!("`{raw}` is not a valid id (a UUID is expected)")))
    }
}

/// The two ids of a nested path (`/{id}/.../{sub_id}`), typed; anything but UUIDs answers 400.
pub struct PathIds<A, B>(pub A, pub B);

impl<S: Send + Sync, A: From<Uuid>, B: From<Uuid>> FromRequestParts<S> for PathIds<A, B> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path((a, b)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request("invalid_path", e.body_text()))?;
        let parse = |raw: &str| {
            Uuid::parse_str(raw).map_err(|_| {
                ApiError::bad_request("invalid_id", format!("`{raw}` is not a valid id (a UUID is expected)"))
            })
        };
        Ok(PathIds(A::from(parse(&a)?), B::from(parse(&b)?)))
    }
}

/// Query-string parameters; a malformed one answers 400 naming it.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        if form_urlencoded_parse(query).any(|(k, v)| k.contains('\0') || v.contains('\0')) {
            return Err(ApiError::bad_request(
                "nul_character",
                "a query parameter holds a NUL character (%00)",
            ));
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(query));
        serde_path_to_error::deserialize(de)
            .map(QueryParams)
            .map_err(|e| ApiError::bad_request("invalid_query", format!("invalid query parameter: {}", e.into_inner())))
    }
}

fn form_urlencoded_parse(query: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(query.as_bytes())
}

/// The caller's address: the peer, or the first `X-Forwarded-For` hop when configured so.
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr
where
    AppState: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = AppState::from_ref(state);
        if app.settings.trust_forwarded_for {
            let forwarded = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .and_then(|ip| ip.trim().parse().ok());
            if forwarded.is_some() {
                return Ok(ClientAddr(forwarded));
            }
        }
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip()),
        ))
    }
}

/// The authenticated caller: `Authorization: Bearer <token>` (access or personal token).
pub struct Auth(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Auth
where
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = AppState::from_ref(state);
        Ok(Auth(bearer_principal(&app, &parts.headers).await?))
    }
}

/// The caller named by `Authorization: Bearer <token>` (with `Origin`/`Referer` for tokens
/// bound to a domain).
pub(crate) async fn bearer_principal(app: &AppState, headers: &axum::http::HeaderMap) -> Result<Principal, ApiError> {
    let token = match headers.get(header::AUTHORIZATION) {
        None => None,
        Some(value) => {
            let value = value.to_str().unwrap_or_default();
            match value.split_once(' ') {
                Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => Some(token),
                _ => {
                    return Err(ApiError::new(
                        StatusCode::UNAUTHORIZED,
                        "invalid_token",
                        "the Authorization header must be `Bearer <token>`",
                    ));
                }
            }
        }
    };
    let origin = [header::ORIGIN, header::REFERER]
        .iter()
        .find_map(|h| headers.get(h).and_then(|v| v.to_str().ok()));
    Ok(app.service.authenticate(token, origin).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Body {
        name: Option<String>,
        n: u32,
    }

    #[test]
    fn json_errors_name_the_problem() {
        let broken = parse_json::<Body>(b"{\"name\": ").expect_err("broken");
        assert_eq!((broken.status, broken.code), (StatusCode::BAD_REQUEST, "invalid_json"));
        let trailing = parse_json::<Body>(b"{\"n\": 1} x").expect_err("trailing");
        assert_eq!(trailing.code, "invalid_json");
        let wrong = parse_json::<Body>(b"{\"name\": 5, \"n\": 1}").expect_err("wrong type");
        assert_eq!(
            (wrong.status, wrong.errors[0].field.as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "name")
        );
        let missing = parse_json::<Body>(b"{}").expect_err("missing");
        assert_eq!(
            (missing.errors[0].field.as_str(), missing.errors[0].code),
            ("n", "required")
        );
        let array = parse_json::<Body>(b"[]").expect_err("not an object");
        assert_eq!(array.errors[0].field, "body");
    }
}
