//! The native API's errors: RFC 9457 `application/problem+json` with a stable `code`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use balcao_core::FieldError;
use balcao_service::ServiceError;
use serde::Serialize;
use utoipa::ToSchema;

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `urn:balcao:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the problem type.
    pub title: &'static str,
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// Stable machine-readable code (`not_found`, `validation_failed`, `email_taken`, ...).
    pub code: &'static str,
    /// For `validation_failed`: each failing field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<FieldErrorDoc>)]
    pub errors: Vec<FieldError>,
    /// For OAuth2 grant failures: the RFC 6749 error code (`invalid_grant`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// For conflicts on a unique value: the record that already holds it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing_id: Option<uuid::Uuid>,
}

/// One failing field of a request.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FieldErrorDoc {
    /// Field name as sent (`email`, `department_ids[1]`).
    field: String,
    /// `required`, `invalid`, `blank`, `too_short`, `too_long`, `not_found`, `wrong_type`, ...
    code: String,
    message: String,
}

/// An error of the native API; renders itself as a problem document.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    pub errors: Vec<FieldError>,
    pub retry_after: Option<u64>,
    pub oauth_error: Option<&'static str>,
    pub existing_id: Option<uuid::Uuid>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
            oauth_error: None,
            existing_id: None,
        }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => one.message.clone(),
            _ => format!("{} fields are invalid", errors.len()),
        };
        Self {
            errors,
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", detail)
        }
    }

    /// An OAuth2 token-endpoint error (RFC 6749 §5.2), also carried as a problem.
    pub fn oauth(code: &'static str, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        Self {
            oauth_error: Some(code),
            ..Self::new(StatusCode::BAD_REQUEST, code, detail)
        }
    }
}

fn title(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("Error")
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::NotFound(what) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
            }
            ServiceError::Unauthorized(why) => ApiError::new(StatusCode::UNAUTHORIZED, why.code(), why.to_string()),
            ServiceError::InvalidGrant { message } => ApiError::oauth("invalid_grant", message),
            ServiceError::Forbidden { code, message } => ApiError::new(StatusCode::FORBIDDEN, code, message),
            ServiceError::Conflict {
                code,
                message,
                existing_id,
            } => Self {
                existing_id,
                ..ApiError::new(StatusCode::CONFLICT, code, message)
            },
            ServiceError::Validation(errors) => ApiError::validation(errors),
            ServiceError::TooLarge { limit } => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the file is larger than {limit} bytes"),
            ),
            ServiceError::RateLimited { retry_after_secs } => Self {
                retry_after: Some(retry_after_secs),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    format!("too many failed attempts; retry in {retry_after_secs} seconds"),
                )
            },
            ServiceError::Upstream { message } => ApiError::new(StatusCode::BAD_GATEWAY, "upstream_failed", message),
            ServiceError::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "an internal error occurred",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status;
        let retry_after = self.retry_after;
        let problem = Problem {
            kind: format!("urn:balcao:problem:{}", self.code),
            title: title(status),
            status: status.as_u16(),
            error_description: self.oauth_error.map(|_| self.detail.clone()),
            detail: self.detail,
            code: self.code,
            errors: self.errors,
            error: self.oauth_error,
            existing_id: self.existing_id,
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            let value = format!("Bearer error=\"invalid_token\", error_description=\"{}\"", problem.code);
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(header::WWW_AUTHENTICATE, v);
            }
        }
        if let Some(secs) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

pub async fn route_not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "route_not_found",
        format!("no route for {}", uri.path()),
    )
}

pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed on {}", uri.path()),
    )
}
