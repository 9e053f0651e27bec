//! Graph API calls of the Cloud API, and Meta's errors.
//!
//! Meta answers errors as `{"error":{"message","type","code","error_subcode","error_data":
//! {"details"},"fbtrace_id"}}`; what to do depends on `code`, not on the HTTP status.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

/// Where and as whom to call: one connection's settings.
#[derive(Clone, Copy, Debug)]
pub struct Credentials<'a> {
    /// `https://graph.facebook.com/v24.0` (a version included), or a simulator's.
    pub base_url: &'a str,
    pub phone_number_id: &'a str,
    pub access_token: &'a str,
}

/// A failed call.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// Meta's error object.
    #[error("{code}: {message}")]
    Api {
        code: i64,
        message: String,
        details: Option<String>,
        http_status: u16,
    },
    /// An answer that is not a Graph API error (a proxy's 502, an HTML page).
    #[error("HTTP {status} from the Graph API")]
    Http { status: u16 },
    #[error("the Graph API did not answer in time")]
    Timeout,
    #[error("cannot reach the Graph API: {0}")]
    Network(String),
    /// A success answer of an unexpected shape, or a file larger than allowed.
    #[error("unexpected answer from the Graph API: {0}")]
    Unexpected(String),
}

/// Codes Meta documents as worth trying again later: throughput (130429), pair rate
/// (131056), application and account rate limits (4, 80007), and its own transient failure
/// (131000).
pub const RETRYABLE_CODES: [i64; 5] = [130429, 131056, 4, 80007, 131000];

impl GraphError {
    /// Whether a later try may succeed (rate limits, Meta's transient errors, 5xx, network).
    pub fn retryable(&self) -> bool {
        match self {
            GraphError::Api { code, http_status, .. } => RETRYABLE_CODES.contains(code) || *http_status >= 500,
            GraphError::Http { status } => *status >= 500 || *status == 429 || *status == 408,
            GraphError::Timeout | GraphError::Network(_) => true,
            GraphError::Unexpected(_) => false,
        }
    }

    /// The code recorded on a failed message: Meta's code, or `http_<status>`, `timeout`, ...
    pub fn code(&self) -> String {
        match self {
            GraphError::Api { code, .. } => code.to_string(),
            GraphError::Http { status } => format!("http_{status}"),
            GraphError::Timeout => "timeout".into(),
            GraphError::Network(_) => "network".into(),
            GraphError::Unexpected(_) => "unexpected_answer".into(),
        }
    }

    /// The text recorded on a failed message: Meta's message with its details.
    pub fn text(&self) -> String {
        match self {
            GraphError::Api {
                message,
                details: Some(d),
                ..
            } if d != message => format!("{message}: {d}"),
            GraphError::Api { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }

    /// Whether the access token is the problem (code 190): the connection needs new credentials.
    pub fn is_auth(&self) -> bool {
        matches!(self, GraphError::Api { code: 190, .. })
    }
}

/// What `GET /{media-id}` tells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaInfo {
    pub url: String,
    pub mime_type: String,
    pub sha256: Option<String>,
    pub file_size: Option<u64>,
}

/// What `GET /{phone-number-id}` tells.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct PhoneNumberInfo {
    #[serde(default)]
    pub display_phone_number: Option<String>,
    #[serde(default)]
    pub verified_name: Option<String>,
    #[serde(default)]
    pub quality_rating: Option<String>,
}

/// Meta's answer to a template sent for review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateReview {
    pub id: String,
    /// `PENDING`, `APPROVED` (some utility templates are approved at once), `REJECTED`.
    pub status: String,
}

/// A Graph API client; cheap to clone (one connection pool for every WhatsApp connection).
#[derive(Clone, Debug)]
pub struct GraphClient {
    http: reqwest::Client,
}

impl GraphClient {
    /// A client whose calls give up after `timeout`.
    pub fn new(timeout: Duration) -> Result<GraphClient, GraphError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("balcao/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| GraphError::Network(e.to_string()))?;
        Ok(GraphClient { http })
    }

    fn url(base: &str, path: &str) -> String {
        format!("{}/{}", base.trim_end_matches('/'), path.trim_start_matches('/'))
    }

    async fn call(&self, request: reqwest::RequestBuilder, token: &str) -> Result<Value, GraphError> {
        let response = request.bearer_auth(token).send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(transport)?;
        let body: Option<Value> = serde_json::from_slice(&bytes).ok();
        match body {
            Some(body) if body.get("error").is_some() => Err(api_error(&body["error"], status)),
            Some(body) if (200..300).contains(&status) => Ok(body),
            _ => Err(GraphError::Http { status }),
        }
    }

    /// Sends a message (a body made by [`crate::whatsapp::outbound`]); answers Meta's id for it.
    pub async fn send(&self, c: Credentials<'_>, body: &Value) -> Result<String, GraphError> {
        let url = Self::url(c.base_url, &format!("{}/messages", c.phone_number_id));
        let answer = self.call(self.http.post(url).json(body), c.access_token).await?;
        answer["messages"][0]["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| GraphError::Unexpected("no message id in the answer".into()))
    }

    /// Marks a received message (and those before it) as read.
    pub async fn mark_read(&self, c: Credentials<'_>, external_id: &str) -> Result<(), GraphError> {
        let url = Self::url(c.base_url, &format!("{}/messages", c.phone_number_id));
        let body = json!({"messaging_product": "whatsapp", "status": "read", "message_id": external_id});
        self.call(self.http.post(url).json(&body), c.access_token).await?;
        Ok(())
    }

    /// Uploads a file for sending; answers its media id.
    pub async fn upload_media(
        &self,
        c: Credentials<'_>,
        bytes: Vec<u8>,
        mime_type: &str,
        file_name: &str,
    ) -> Result<String, GraphError> {
        let url = Self::url(c.base_url, &format!("{}/media", c.phone_number_id));
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(file_name.to_owned())
            .mime_str(mime_type)
            .map_err(|e| GraphError::Unexpected(e.to_string()))?;
        let form = reqwest::multipart::Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", mime_type.to_owned())
            .part("file", part);
        let answer = self.call(self.http.post(url).multipart(form), c.access_token).await?;
        answer["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| GraphError::Unexpected("no media id in the answer".into()))
    }

    /// Where a media file can be downloaded from (for a few minutes).
    pub async fn media_info(&self, c: Credentials<'_>, media_id: &str) -> Result<MediaInfo, GraphError> {
        let url = Self::url(c.base_url, media_id);
        let answer = self.call(self.http.get(url), c.access_token).await?;
        let size = match &answer["file_size"] {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        };
        Ok(MediaInfo {
            url: answer["url"]
                .as_str()
                .ok_or_else(|| GraphError::Unexpected("no url in the media answer".into()))?
                .to_owned(),
            mime_type: answer["mime_type"]
                .as_str()
                .unwrap_or("application/octet-stream")
                .to_owned(),
            sha256: answer["sha256"].as_str().map(str::to_owned),
            file_size: size,
        })
    }

    /// Downloads a media file, refusing one larger than `limit` bytes.
    pub async fn download(&self, c: Credentials<'_>, url: &str, limit: u64) -> Result<Vec<u8>, GraphError> {
        let mut response = self
            .http
            .get(url)
            .bearer_auth(c.access_token)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            let bytes = response.bytes().await.map_err(transport)?;
            return Err(match serde_json::from_slice::<Value>(&bytes) {
                Ok(body) if body.get("error").is_some() => api_error(&body["error"], status),
                _ => GraphError::Http { status },
            });
        }
        if response.content_length().is_some_and(|n| n > limit) {
            return Err(GraphError::Unexpected(format!("the file is larger than {limit} bytes")));
        }
        let mut out = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if out.len() as u64 + chunk.len() as u64 > limit {
                return Err(GraphError::Unexpected(format!("the file is larger than {limit} bytes")));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }

    /// Sends a template for review on the WhatsApp Business Account `waba_id`
    /// (`POST /{waba_id}/message_templates`); answers Meta's id and status for it.
    pub async fn create_template(
        &self,
        c: Credentials<'_>,
        waba_id: &str,
        body: &Value,
    ) -> Result<TemplateReview, GraphError> {
        let url = Self::url(c.base_url, &format!("{waba_id}/message_templates"));
        let answer = self.call(self.http.post(url).json(body), c.access_token).await?;
        let id = answer["id"]
            .as_str()
            .ok_or_else(|| GraphError::Unexpected("no template id in the answer".into()))?;
        Ok(TemplateReview {
            id: id.to_owned(),
            status: answer["status"].as_str().unwrap_or("PENDING").to_owned(),
        })
    }

    /// Changes a template Meta knows (`POST /{template_id}`); Meta reviews it again.
    pub async fn edit_template(&self, c: Credentials<'_>, template_id: &str, body: &Value) -> Result<(), GraphError> {
        let url = Self::url(c.base_url, template_id);
        self.call(self.http.post(url).json(body), c.access_token).await?;
        Ok(())
    }

    /// Every template of the WhatsApp Business Account, following Meta's pages
    /// (`GET /{waba_id}/message_templates`), at most `limit` of them.
    pub async fn templates(&self, c: Credentials<'_>, waba_id: &str, limit: usize) -> Result<Vec<Value>, GraphError> {
        const FIELDS: &str = "id,name,language,status,category,components,rejected_reason";
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let url = Self::url(c.base_url, &format!("{waba_id}/message_templates"));
            let mut request = self.http.get(url).query(&[("fields", FIELDS), ("limit", "100")]);
            if let Some(cursor) = &after {
                request = request.query(&[("after", cursor.as_str())]);
            }
            let mut answer = self.call(request, c.access_token).await?;
            let Value::Array(page) = answer["data"].take() else {
                return Err(GraphError::Unexpected("no data list in the templates answer".into()));
            };
            let last = page.is_empty();
            out.extend(page);
            if out.len() >= limit {
                out.truncate(limit);
                return Ok(out);
            }
            match answer["paging"]["cursors"]["after"].as_str() {
                Some(cursor) if !last && answer["paging"]["next"].is_string() => after = Some(cursor.to_owned()),
                _ => return Ok(out),
            }
        }
    }

    /// The number's details: the check that the credentials work.
    pub async fn phone_number(&self, c: Credentials<'_>) -> Result<PhoneNumberInfo, GraphError> {
        let url = Self::url(
            c.base_url,
            &format!(
                "{}?fields=display_phone_number,verified_name,quality_rating",
                c.phone_number_id
            ),
        );
        let answer = self.call(self.http.get(url), c.access_token).await?;
        serde_json::from_value(answer).map_err(|e| GraphError::Unexpected(e.to_string()))
    }
}

fn transport(e: reqwest::Error) -> GraphError {
    if e.is_timeout() {
        GraphError::Timeout
    } else {
        GraphError::Network(e.to_string())
    }
}

fn api_error(error: &Value, status: u16) -> GraphError {
    GraphError::Api {
        code: error["code"].as_i64().unwrap_or_default(),
        message: error["message"]
            .as_str()
            .or(error["error_user_msg"].as_str())
            .unwrap_or("unknown error")
            .to_owned(),
        details: error["error_data"]["details"].as_str().map(str::to_owned),
        http_status: status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_errors_are_the_documented_ones() {
        let api = |code| GraphError::Api {
            code,
            message: "m".into(),
            details: None,
            http_status: 400,
        };
        for code in [130429, 131056, 4, 80007, 131000] {
            assert!(api(code).retryable(), "{code}");
        }
        for code in [190, 100, 131047, 131026, 132000, 132001, 131051] {
            assert!(!api(code).retryable(), "{code}");
        }
        assert!(GraphError::Http { status: 503 }.retryable());
        assert!(!GraphError::Http { status: 404 }.retryable());
        assert!(GraphError::Timeout.retryable() && GraphError::Network("reset".into()).retryable());
        assert!(api(190).is_auth());
        let detailed = GraphError::Api {
            code: 131047,
            message: "Re-engagement message".into(),
            details: Some("more than 24 hours".into()),
            http_status: 400,
        };
        assert_eq!(
            (detailed.code(), detailed.text()),
            ("131047".into(), "Re-engagement message: more than 24 hours".into())
        );
    }
}
