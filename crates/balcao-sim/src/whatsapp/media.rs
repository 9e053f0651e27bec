//! Media: upload (`POST /{version}/{phone-number-id}/media`), information (`GET /{version}/{media-id}`), deletion
//! and download of the URL the information answer hands out.

use axum::body::Bytes;
use axum::extract::{FromRequest as _, Multipart, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::errors::GraphError;
use super::graph::{query_param, token_ok};
use super::{WhatsappSim, random_token, unix_secs};

const MB: usize = 1024 * 1024;

/// The kind of a media file as WhatsApp sees it, from its MIME type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MediaKind {
    Image,
    Sticker,
    Audio,
    Video,
    Document,
}

impl MediaKind {
    pub fn of(mime_type: &str) -> Result<MediaKind, GraphError> {
        let base = mime_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        match base.as_str() {
            "image/jpeg" | "image/png" => Ok(MediaKind::Image),
            "image/webp" => Ok(MediaKind::Sticker),
            "audio/aac" | "audio/amr" | "audio/mpeg" | "audio/mp4" | "audio/ogg" | "audio/opus" => Ok(MediaKind::Audio),
            "video/mp4" | "video/3gpp" => Ok(MediaKind::Video),
            "" => Err(GraphError::missing("type")),
            other if other.starts_with("image/") || other.starts_with("audio/") || other.starts_with("video/") => {
                Err(GraphError::new(
                    131053,
                    format!(
                        "Param file must be a file with one of the following types: audio/aac, audio/mp4, \
                         audio/mpeg, audio/amr, audio/ogg, audio/opus, application/vnd.ms-powerpoint, \
                         application/msword, application/vnd.openxmlformats-officedocument.wordprocessingml.document, \
                         application/vnd.openxmlformats-officedocument.presentationml.presentation, \
                         application/vnd.ms-excel, \
                         application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, application/pdf, \
                         text/plain, image/jpeg, image/png, image/webp, video/mp4, video/3gpp. Received file of \
                         type '{other}'."
                    ),
                ))
            }
            _ => Ok(MediaKind::Document),
        }
    }

    pub fn max_bytes(self) -> usize {
        match self {
            MediaKind::Image => 5 * MB,
            MediaKind::Sticker => 500 * 1024,
            MediaKind::Audio | MediaKind::Video => 16 * MB,
            MediaKind::Document => 100 * MB,
        }
    }

    fn limit_text(self) -> &'static str {
        match self {
            MediaKind::Image => "5MB",
            MediaKind::Sticker => "500KB",
            MediaKind::Audio | MediaKind::Video => "16MB",
            MediaKind::Document => "100MB",
        }
    }
}

/// `POST /{version}/{phone-number-id}/media`, multipart with `file`, `type` and `messaging_product`.
pub(crate) async fn upload(sim: &WhatsappSim, request: Request) -> Response {
    match read_upload(request).await {
        Ok((bytes, mime_type)) => {
            let id = sim.add_media(bytes.to_vec(), &mime_type);
            axum::Json(json!({ "id": id })).into_response()
        }
        Err(error) => error.into_response(),
    }
}

async fn read_upload(request: Request) -> Result<(Bytes, String), GraphError> {
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|e| GraphError::invalid(format!("The request must be multipart/form-data: {e}")))?;
    let mut file: Option<(Bytes, Option<String>)> = None;
    let mut kind: Option<String> = None;
    let mut product: Option<String> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                return Err(GraphError::new(
                    131053,
                    format!("Unable to read the uploaded form: {e}"),
                ));
            }
        };
        let name = field.name().unwrap_or("").to_owned();
        match name.as_str() {
            "file" => {
                let content_type = field.content_type().map(str::to_owned);
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| GraphError::new(131053, format!("Unable to read the uploaded file: {e}")))?;
                file = Some((bytes, content_type));
            }
            "type" | "messaging_product" => {
                let text = field
                    .text()
                    .await
                    .map_err(|e| GraphError::invalid(format!("Param {name}: {e}")))?;
                if name == "type" {
                    kind = Some(text);
                } else {
                    product = Some(text);
                }
            }
            _ => {}
        }
    }
    match product.as_deref() {
        None => return Err(GraphError::missing("messaging_product")),
        Some("whatsapp") => {}
        Some(other) => {
            return Err(GraphError::invalid(format!(
                "Param messaging_product must be one of {{WHATSAPP}} - got \"{other}\"."
            )));
        }
    }
    let Some((bytes, content_type)) = file else {
        return Err(GraphError::missing("file"));
    };
    let mime_type = kind
        .filter(|t| !t.trim().is_empty())
        .or(content_type)
        .unwrap_or_default();
    let media_kind = MediaKind::of(&mime_type)?;
    if bytes.is_empty() {
        return Err(GraphError::new(131053, "Param file must be a non-empty file."));
    }
    if bytes.len() > media_kind.max_bytes() {
        return Err(GraphError::new(
            131053,
            format!(
                "Media file size too big. Max file size we currently support: {}. Please upload a smaller file.",
                media_kind.limit_text()
            ),
        ));
    }
    Ok((bytes, mime_type.trim().to_owned()))
}

/// `GET /{version}/{media-id}`.
pub(crate) fn info(sim: &WhatsappSim, id: &str) -> Response {
    let Some(media) = sim.state().media.get(id).cloned() else {
        return GraphError::unsupported("get", id).into_response();
    };
    let url = format!(
        "{}/whatsapp_business/attachments/?mid={id}&ext={}&hash={}",
        sim.inner.origin,
        unix_secs(std::time::SystemTime::now()),
        random_token(22)
    );
    axum::Json(json!({
        "messaging_product": "whatsapp",
        "url": url,
        "mime_type": media.mime_type,
        "sha256": media.sha256_hex,
        "file_size": media.bytes.len(),
        "id": id,
    }))
    .into_response()
}

/// `DELETE /{version}/{media-id}`.
pub(crate) fn delete(sim: &WhatsappSim, id: &str) -> Response {
    let removed = sim.update(|s| s.media.remove(id));
    match removed {
        Some(_) => axum::Json(json!({ "success": true })).into_response(),
        None => GraphError::unsupported("delete", id).into_response(),
    }
}

/// `GET /whatsapp_business/attachments/?mid=..`: the bytes, for a request bearing the access token.
pub(crate) fn download(sim: &WhatsappSim, headers: &HeaderMap, query: &str) -> Response {
    if !token_ok(sim, headers, query) {
        return GraphError::bad_token().into_response();
    }
    let media = query_param(query, "mid").and_then(|id| sim.state().media.get(id).cloned());
    let Some(media) = media else {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    };
    let content_type =
        HeaderValue::from_str(&media.mime_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    ([(header::CONTENT_TYPE, content_type)], media.bytes).into_response()
}
