//! `/api/v1/media`: files of messages.

use axum::Json;
use axum::body::Body;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use balcao_core::{Media, MediaId, Timestamp};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::extract::{Auth, PathId};
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    let upload_limit = usize::try_from(balcao_service::MEDIA_MAX)
        .unwrap_or(usize::MAX)
        .saturating_add(1024 * 1024);
    OpenApiRouter::new()
        .routes(routes!(upload))
        .layer(DefaultBodyLimit::max(upload_limit))
        .routes(routes!(get_media))
        .routes(routes!(content))
}

#[derive(Serialize, ToSchema)]
pub struct MediaView {
    id: Uuid,
    mime_type: String,
    /// Bytes.
    size: i64,
    file_name: Option<String>,
    /// Hex SHA-256 of the content.
    sha256: String,
    #[schema(value_type = String, format = DateTime)]
    created_at: Timestamp,
}

impl From<Media> for MediaView {
    fn from(m: Media) -> Self {
        MediaView {
            id: m.id.0,
            mime_type: m.mime_type,
            size: m.size,
            file_name: m.file_name,
            sha256: m.sha256,
            created_at: m.created_at,
        }
    }
}

/// The multipart form of an upload.
#[derive(ToSchema)]
#[allow(dead_code)]
struct UploadForm {
    /// The file (its part's `Content-Type` is the media's type unless `mime_type` is sent).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    mime_type: Option<String>,
}

fn bad_form(detail: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_form", detail)
}

/// Upload a file (multipart field `file`, up to 100 MiB), to send it later with `media_id`.
/// The file is streamed to disk as it arrives.
#[utoipa::path(post, path = "/media", tag = "messages", request_body(content = UploadForm, content_type = "multipart/form-data"),
    security(("bearer" = [])),
    responses((status = 201, body = MediaView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn upload(
    State(state): State<AppState>,
    Auth(who): Auth,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<MediaView>), ApiError> {
    let mut form = form.map_err(|e| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            e.body_text(),
        )
    })?;
    let mut stored = None;
    let mut mime_field = None;
    while let Some(mut field) = form.next_field().await.map_err(|e| multipart_error(&e))? {
        match field.name() {
            Some("file") => {
                let part_type = field.content_type().map(str::to_owned);
                let name = field.file_name().map(str::to_owned);
                let mut writer = state.service.media_writer().await?;
                while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(&e))? {
                    writer.write(&chunk).await.map_err(balcao_service::ServiceError::from)?;
                }
                stored = Some((writer, part_type, name));
            }
            Some("mime_type") => mime_field = Some(field.text().await.map_err(|e| multipart_error(&e))?),
            _ => {}
        }
    }
    let Some((writer, part_type, name)) = stored else {
        return Err(ApiError::validation(vec![balcao_core::FieldError {
            field: "file".into(),
            code: "required",
            message: "the form has no `file` field".into(),
        }]));
    };
    let mime = mime_field.or(part_type);
    let media = state
        .service
        .save_upload(&who, writer, mime.as_deref(), name.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(media.into())))
}

fn multipart_error(e: &axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the upload is too large",
        )
    } else {
        bad_form(e.body_text())
    }
}

/// A media's description.
#[utoipa::path(get, path = "/media/{id}", tag = "messages", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = MediaView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_media(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<MediaId>,
) -> Result<Json<MediaView>, ApiError> {
    Ok(Json(state.service.get_media(&who, id).await?.into()))
}

/// A media's content, with its type, for the users of its account.
#[utoipa::path(get, path = "/media/{id}/content", tag = "messages", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn content(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<MediaId>,
) -> Result<Response, ApiError> {
    let (media, path) = state.service.media_file(&who, id).await?;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| balcao_service::ServiceError::Internal(format!("media {} has no file: {e}", media.id).into()))?;
    let mut response = Body::from_stream(tokio_util::io::ReaderStream::new(file)).into_response();
    let headers = response.headers_mut();
    let content_type =
        HeaderValue::from_str(&media.mime_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(media.size));
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    let name: String = media
        .file_name
        .as_deref()
        .unwrap_or("file")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}
