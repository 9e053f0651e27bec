use balcao_core::FieldError;
use balcao_store::StoreError;
use thiserror::Error;

use crate::AuthError;

#[derive(Debug, Error)]
pub enum ServiceError {
    /// The resource does not exist in the caller's account (or exists in another one).
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("not authenticated: {0}")]
    Unauthorized(AuthError),
    /// OAuth2 grant failures (wrong password, unknown user, bad refresh token).
    #[error("{message}")]
    InvalidGrant { message: &'static str },
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    /// The change clashes with the current state; `existing_id` names the record already
    /// holding a unique value, when there is one.
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: String,
        existing_id: Option<uuid::Uuid>,
    },
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    /// A file over its limit.
    #[error("the file is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("too many failed attempts; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// A provider the request needed (Meta's Graph API) failed or could not be reached.
    #[error("{message}")]
    Upstream { message: String },
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ServiceError {
    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        ServiceError::Forbidden {
            code: "forbidden",
            message: message.into(),
        }
    }

    pub(crate) fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        ServiceError::Conflict {
            code,
            message: message.into(),
            existing_id: None,
        }
    }

    /// A validation failure of one field.
    pub(crate) fn invalid(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        ServiceError::Validation(vec![FieldError {
            field: field.to_owned(),
            code,
            message: message.into(),
        }])
    }

    pub(crate) fn internal(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        ServiceError::Internal(Box::new(err))
    }
}

impl From<StoreError> for ServiceError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Duplicate { field } => ServiceError::Conflict {
                code: match field {
                    "email" => "email_taken",
                    "name" => "name_taken",
                    "label" => "label_taken",
                    "phone" => "phone_taken",
                    "external_id" => "external_id_taken",
                    "shortcut" => "shortcut_taken",
                    _ => "duplicate",
                },
                message: format!("another record already has this `{field}`"),
                existing_id: None,
            },
            other => ServiceError::internal(other),
        }
    }
}

impl From<Vec<FieldError>> for ServiceError {
    fn from(errors: Vec<FieldError>) -> Self {
        ServiceError::Validation(errors)
    }
}
