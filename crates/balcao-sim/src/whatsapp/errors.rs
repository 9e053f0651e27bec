//! Graph API errors, with the texts and HTTP statuses Meta uses.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::random_token;

/// What Meta says about an error code: the API message (after `(#code) `), the webhook `title`, the default
/// `error_data.details` and the HTTP status of a synchronous answer.
pub(crate) struct ErrorInfo {
    pub message: &'static str,
    pub title: &'static str,
    pub details: &'static str,
    pub status: u16,
}

const fn info(message: &'static str, title: &'static str, details: &'static str, status: u16) -> ErrorInfo {
    ErrorInfo {
        message,
        title,
        details,
        status,
    }
}

pub(crate) fn error_info(code: i64) -> ErrorInfo {
    match code {
        0 => info(
            "AuthException",
            "AuthException",
            "We were unable to authenticate the app user.",
            401,
        ),
        3 => info(
            "Capability or permissions issue",
            "Capability or permissions issue",
            "The app does not have the capability to make this API call.",
            403,
        ),
        4 => info(
            "Application request limit reached",
            "Too many calls",
            "The app has reached its API call rate limit.",
            429,
        ),
        10 => info(
            "Permission denied",
            "Permission denied",
            "Permission is not granted or has been removed.",
            403,
        ),
        100 => info(
            "Invalid parameter",
            "Invalid parameter",
            "The request included one or more invalid parameters.",
            400,
        ),
        190 => info(
            "Error validating access token: The session has been invalidated because the user changed their password \
             or Facebook has changed the session for security reasons.",
            "Access token has expired",
            "The access token has expired or is invalid.",
            401,
        ),
        368 => info(
            "Temporarily blocked for policies violations",
            "Temporarily blocked for policies violations",
            "The WhatsApp Business Account associated with the app has been restricted or disabled.",
            400,
        ),
        80007 => info(
            "Rate limit issues",
            "Rate limit issues",
            "The WhatsApp Business Account has reached its rate limit.",
            429,
        ),
        130429 => info(
            "Rate limit hit",
            "Rate limit hit",
            "Cloud API message throughput has been reached.",
            429,
        ),
        131000 => info(
            "Something went wrong",
            "Something went wrong",
            "Message failed to send due to an unknown error.",
            500,
        ),
        131005 => info(
            "Access denied",
            "Access denied",
            "Permission is either not granted or has been removed.",
            403,
        ),
        131008 => info(
            "Required parameter is missing",
            "Required parameter is missing",
            "A required parameter is missing.",
            400,
        ),
        131009 => info(
            "Parameter value is not valid",
            "Parameter value is not valid",
            "One or more parameter values are invalid.",
            400,
        ),
        131016 => info(
            "Service unavailable",
            "Service unavailable",
            "A service is temporarily unavailable.",
            503,
        ),
        131021 => info(
            "Recipient cannot be sender",
            "Recipient cannot be sender",
            "Sender and recipient phone number is the same.",
            400,
        ),
        131026 => info(
            "Message undeliverable",
            "Message undeliverable",
            "Message Undeliverable.",
            400,
        ),
        131031 => info(
            "Account has been locked",
            "Account has been locked",
            "The business account was restricted or disabled for a violation of the platform policy.",
            400,
        ),
        131042 => info(
            "Business eligibility payment issue",
            "Business eligibility payment issue",
            "Message failed to send because there were one or more errors related to your payment method.",
            400,
        ),
        131047 => info(
            "Re-engagement message",
            "Re-engagement message",
            "Message failed to send because more than 24 hours have passed since the customer last replied to this \
             number.",
            400,
        ),
        131048 => info(
            "Spam rate limit hit",
            "Spam rate limit hit",
            "Message failed to send because there are restrictions on how many messages can be sent from this phone \
             number.",
            400,
        ),
        131049 => info(
            "Meta chose not to deliver.",
            "Meta chose not to deliver.",
            "This message was not delivered to maintain healthy ecosystem engagement.",
            400,
        ),
        131051 => info(
            "Unsupported message type",
            "Unsupported message type",
            "Message type is not currently supported.",
            400,
        ),
        131052 => info(
            "Media download error",
            "Media download error",
            "Unable to download the media sent by the user.",
            400,
        ),
        131053 => info(
            "Media upload error",
            "Media upload error",
            "Unable to upload the media used in the message.",
            400,
        ),
        131056 => info(
            "(Business Account, Consumer Account) pair rate limit hit",
            "(Business Account, Consumer Account) pair rate limit hit",
            "Too many messages sent from the sender phone number to the same recipient phone number in a short period \
             of time.",
            429,
        ),
        132000 => info(
            "Number of parameters does not match the expected number of params",
            "Number of parameters does not match the expected number of params",
            "The number of variable parameter values included in the request did not match the number of variable \
             parameters defined in the template.",
            400,
        ),
        132001 => info(
            "Template name does not exist in the translation",
            "Template does not exist",
            "The template does not exist in the specified language or the template has not been approved.",
            400,
        ),
        132005 => info(
            "Translated text too long",
            "Translated text too long",
            "Translated text is too long.",
            400,
        ),
        132015 => info(
            "Template is Paused",
            "Template is Paused",
            "Template is paused due to low quality.",
            400,
        ),
        133010 => info(
            "Phone number Not Registered",
            "Phone number Not Registered",
            "The phone number is not registered on the WhatsApp Business Platform.",
            400,
        ),
        135000 => info(
            "Generic user error",
            "Generic user error",
            "Message failed to send because of an unknown error with your request parameters.",
            400,
        ),
        _ => info(
            "An unknown error occurred",
            "Unknown error",
            "An unknown error occurred.",
            400,
        ),
    }
}

/// A Graph API error answer.
#[derive(Debug, Clone)]
pub(crate) struct GraphError {
    pub status: u16,
    pub code: i64,
    pub subcode: Option<i64>,
    pub kind: &'static str,
    pub message: String,
    /// `error_data.details`; `None` omits `error_data`.
    pub details: Option<String>,
}

impl GraphError {
    /// Error `code` with Meta's message and these details.
    pub fn new(code: i64, details: impl Into<String>) -> Self {
        let info = error_info(code);
        let message = if code == 190 {
            info.message.to_owned()
        } else {
            format!("(#{code}) {}", info.message)
        };
        GraphError {
            status: info.status,
            code,
            subcode: (code == 190).then_some(460),
            kind: "OAuthException",
            message,
            details: Some(details.into()),
        }
    }

    /// Error `code` with Meta's default details.
    pub fn code(code: i64) -> Self {
        let details = error_info(code).details;
        let mut error = GraphError::new(code, details);
        if code == 190 {
            error.details = None;
        }
        error
    }

    /// 131008 for a missing parameter, e.g. `text['body']`.
    pub fn missing(param: &str) -> Self {
        GraphError::new(131008, format!("The parameter {param} is required."))
    }

    /// 100 with these details.
    pub fn invalid(details: impl Into<String>) -> Self {
        GraphError::new(100, details)
    }

    /// 131009 with these details.
    pub fn not_valid(details: impl Into<String>) -> Self {
        GraphError::new(131009, details)
    }

    /// The answer to a missing or wrong access token.
    pub fn bad_token() -> Self {
        GraphError {
            status: 401,
            code: 190,
            subcode: None,
            kind: "OAuthException",
            message: "Invalid OAuth access token - Cannot parse access token".to_owned(),
            details: None,
        }
    }

    /// The answer for an object id that does not exist (or does not support the operation).
    pub fn unsupported(method: &str, id: &str) -> Self {
        GraphError {
            status: 400,
            code: 100,
            subcode: Some(33),
            kind: "GraphMethodException",
            message: format!(
                "Unsupported {} request. Object with ID '{id}' does not exist, cannot be loaded due to missing \
                 permissions, or does not support this operation. Please read the Graph API documentation at \
                 https://developers.facebook.com/docs/graph-api",
                method.to_lowercase()
            ),
            details: None,
        }
    }

    /// The answer for a path the Graph API does not know.
    pub fn unknown_path(path: &str) -> Self {
        GraphError {
            status: 400,
            code: 100,
            subcode: None,
            kind: "OAuthException",
            message: format!("Unknown path components: {path}"),
            details: None,
        }
    }

    pub fn to_json(&self) -> Value {
        let mut error = json!({
            "message": self.message,
            "type": self.kind,
            "code": self.code,
        });
        if let Some(subcode) = self.subcode {
            error["error_subcode"] = json!(subcode);
        }
        if let Some(details) = &self.details {
            error["error_data"] = json!({"messaging_product": "whatsapp", "details": details});
        }
        error["fbtrace_id"] = json!(random_token(27));
        json!({ "error": error })
    }
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (status, axum::Json(self.to_json())).into_response();
        if self.status == 401 {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("OAuth \"Facebook Platform\" \"invalid_token\""),
            );
        }
        response
    }
}

/// The `errors[]` entry of a failed status or an unsupported message in a webhook notification.
pub(crate) fn webhook_error(code: i64) -> Value {
    let info = error_info(code);
    json!({
        "code": code,
        "title": info.title,
        "message": info.title,
        "error_data": { "details": info.details },
    })
}
