//! The control API under `/_sim` (no authentication: a local test tool; see the crate documentation).

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Customer, Fault, WhatsappSim, digits_of, png};

fn failure(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({ "error": message.into() }))).into_response()
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, String> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        &b"{}"[..]
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"))
}

/// `GET /_sim`.
pub(crate) async fn info(State(sim): State<WhatsappSim>) -> Response {
    let config = sim.config();
    let app_secret = sim.state().app_secret.clone();
    axum::Json(json!({
        "base_url": sim.base_url(),
        "phone_number_id": config.phone_number_id,
        "waba_id": config.waba_id,
        "display_phone_number": config.display_phone_number,
        "verified_name": config.verified_name,
        "access_token": config.access_token,
        "app_secret": app_secret,
        "webhook_url": sim.webhook_url(),
    }))
    .into_response()
}

#[derive(Deserialize)]
struct WebhookBody {
    url: String,
}

/// `PUT /_sim/webhook` `{"url": ..}`.
pub(crate) async fn set_webhook(State(sim): State<WhatsappSim>, body: Bytes) -> Response {
    let body: WebhookBody = match parse(&body) {
        Ok(body) => body,
        Err(problem) => return failure(StatusCode::BAD_REQUEST, problem),
    };
    if !(body.url.starts_with("http://") || body.url.starts_with("https://")) {
        return failure(StatusCode::BAD_REQUEST, "url must be an http(s) URL");
    }
    sim.set_webhook_url(body.url.clone());
    axum::Json(json!({ "webhook_url": body.url })).into_response()
}

/// `GET /_sim/sent`.
pub(crate) async fn sent(State(sim): State<WhatsappSim>) -> Response {
    axum::Json(sim.sent()).into_response()
}

/// `GET /_sim/deliveries`.
pub(crate) async fn deliveries(State(sim): State<WhatsappSim>) -> Response {
    axum::Json(sim.deliveries()).into_response()
}

/// `GET /_sim/requests`.
pub(crate) async fn requests(State(sim): State<WhatsappSim>) -> Response {
    axum::Json(sim.requests()).into_response()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FaultBody {
    code: Option<i64>,
    server_error: Option<u16>,
    delay_ms: Option<u64>,
    fail_after_accept: Option<i64>,
}

/// `POST /_sim/faults` with one of `{code}`, `{server_error}`, `{delay_ms}`, `{fail_after_accept}`.
pub(crate) async fn fault(State(sim): State<WhatsappSim>, body: Bytes) -> Response {
    let body: FaultBody = match parse(&body) {
        Ok(body) => body,
        Err(problem) => return failure(StatusCode::BAD_REQUEST, problem),
    };
    let fault = match (body.code, body.server_error, body.delay_ms, body.fail_after_accept) {
        (Some(code), None, None, None) => Fault::Error { code },
        (None, Some(status), None, None) if (500..=599).contains(&status) => Fault::ServerError { status },
        (None, None, Some(ms), None) => Fault::Delay {
            delay: Duration::from_millis(ms),
        },
        (None, None, None, Some(code)) => Fault::FailAfterAccept { code },
        _ => {
            return failure(
                StatusCode::BAD_REQUEST,
                "expected exactly one of {code}, {server_error: 5xx}, {delay_ms} or {fail_after_accept}",
            );
        }
    };
    sim.inject(fault.clone());
    let queued = sim.state().faults.len();
    axum::Json(json!({ "queued": queued, "fault": format!("{fault:?}") })).into_response()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CustomerMessage {
    name: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    text: Option<String>,
    reply_to: Option<String>,
    #[serde(alias = "image_base64")]
    data_base64: Option<String>,
    mime_type: Option<String>,
    caption: Option<String>,
    filename: Option<String>,
    voice: Option<bool>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    location_name: Option<String>,
    address: Option<String>,
    contacts: Option<Value>,
    message_id: Option<String>,
    emoji: Option<String>,
    id: Option<String>,
    title: Option<String>,
    description: Option<String>,
    payload: Option<String>,
}

/// `POST /_sim/customers/{wa_id}/messages`: makes a customer write in; answers `{"wamid": ..}`.
pub(crate) async fn customer_message(
    State(sim): State<WhatsappSim>,
    Path(wa_id): Path<String>,
    body: Bytes,
) -> Response {
    let body: CustomerMessage = match parse(&body) {
        Ok(body) => body,
        Err(problem) => return failure(StatusCode::BAD_REQUEST, problem),
    };
    let wa_id = digits_of(&wa_id);
    if wa_id.len() < 5 {
        return failure(StatusCode::BAD_REQUEST, "wa_id must be a phone number (digits)");
    }
    let known = sim.state().customers.get(&wa_id).and_then(|c| c.name.clone());
    let name = body
        .name
        .clone()
        .or(known)
        .unwrap_or_else(|| format!("Cliente {}", &wa_id[wa_id.len() - 4..]));
    let customer = sim.customer(&wa_id, &name);
    match write(&sim, &customer, body).await {
        Ok(Ok(wamid)) => axum::Json(json!({ "wamid": wamid })).into_response(),
        Ok(Err(delivery)) => failure(StatusCode::BAD_GATEWAY, format!("{delivery:#}")),
        Err(bad_request) => failure(StatusCode::BAD_REQUEST, bad_request),
    }
}

/// The outer error is a bad request; the inner result is the delivery's.
async fn write(
    sim: &WhatsappSim,
    customer: &Customer,
    body: CustomerMessage,
) -> Result<anyhow::Result<String>, String> {
    let kind = body.kind.clone().unwrap_or_else(|| "text".to_owned());
    let data = match &body.data_base64 {
        Some(data) => Some(
            base64::engine::general_purpose::STANDARD
                .decode(data.trim())
                .map_err(|e| format!("data_base64 is not valid base64: {e}"))?,
        ),
        None => None,
    };
    let required = |value: Option<String>, field: &str| value.ok_or_else(|| format!("{field} is required for {kind}"));
    let target = |message_id: Option<String>| required(message_id, "message_id");
    Ok(match kind.as_str() {
        "text" => {
            let text = required(body.text, "text")?;
            match body.reply_to {
                Some(to) => customer.reply_text(&to, &text).await,
                None => customer.send_text(&text).await,
            }
        }
        "image" => {
            let (bytes, mime) = match data {
                Some(bytes) => (bytes, body.mime_type.unwrap_or_else(|| "image/jpeg".to_owned())),
                None => (
                    png::gradient(64, 64, [37, 211, 102], [18, 140, 126]),
                    "image/png".to_owned(),
                ),
            };
            customer.send_image(bytes, &mime, body.caption.as_deref()).await
        }
        "video" => {
            let bytes = data.ok_or("data_base64 is required for video")?;
            let mime = body.mime_type.unwrap_or_else(|| "video/mp4".to_owned());
            customer.send_video(bytes, &mime, body.caption.as_deref()).await
        }
        "audio" => {
            let bytes = data.ok_or("data_base64 is required for audio")?;
            let voice = body.voice.unwrap_or(true);
            let default = if voice { "audio/ogg; codecs=opus" } else { "audio/mpeg" };
            let mime = body.mime_type.unwrap_or_else(|| default.to_owned());
            customer.send_audio(bytes, &mime, voice).await
        }
        "document" => {
            let bytes = data.unwrap_or_else(|| "Documento de exemplo do simulador.\n".as_bytes().to_vec());
            let mime = body.mime_type.unwrap_or_else(|| "text/plain".to_owned());
            let filename = body.filename.unwrap_or_else(|| "documento.txt".to_owned());
            customer
                .send_document(bytes, &mime, &filename, body.caption.as_deref())
                .await
        }
        "sticker" => {
            customer
                .send_sticker(data.ok_or("data_base64 is required for sticker")?)
                .await
        }
        "location" => {
            let (Some(latitude), Some(longitude)) = (body.latitude, body.longitude) else {
                return Err("latitude and longitude are required for location".to_owned());
            };
            customer
                .send_location(
                    latitude,
                    longitude,
                    body.location_name.as_deref(),
                    body.address.as_deref(),
                )
                .await
        }
        "contacts" => {
            customer
                .send_contacts(body.contacts.ok_or("contacts is required for contacts")?)
                .await
        }
        "reaction" => {
            let message_id = match body.message_id {
                Some(id) => id,
                None => {
                    last_sent_to(sim, customer.wa_id()).ok_or("message_id is required: nothing was sent to them")?
                }
            };
            let emoji = body.emoji.unwrap_or_else(|| "👍".to_owned());
            customer
                .react(&message_id, (!emoji.is_empty()).then_some(emoji.as_str()))
                .await
        }
        "button_reply" => {
            let to = target(body.message_id)?;
            let id = required(body.id, "id")?;
            let title = required(body.title, "title")?;
            customer.send_button_reply(&to, &id, &title).await
        }
        "list_reply" => {
            let to = target(body.message_id)?;
            let id = required(body.id, "id")?;
            let title = required(body.title, "title")?;
            customer
                .send_list_reply(&to, &id, &title, body.description.as_deref().unwrap_or(""))
                .await
        }
        "button" => {
            let to = target(body.message_id)?;
            let text = required(body.text, "text")?;
            let payload = body.payload.unwrap_or_else(|| text.clone());
            customer.send_quick_reply(&to, &text, &payload).await
        }
        "unsupported" => customer.send_unsupported().await,
        other => return Err(format!("unknown message type {other:?}")),
    })
}

/// The last non-reaction message the business sent to a customer.
pub(crate) fn last_sent_to(sim: &WhatsappSim, wa_id: &str) -> Option<String> {
    let state = sim.state();
    state
        .sent
        .iter()
        .rev()
        .find(|m| m.to == wa_id && m.kind != "reaction")
        .map(|m| m.wamid.clone())
}

/// `GET /_sim/templates`: the WhatsApp Business Account's templates.
pub(crate) async fn templates(State(sim): State<WhatsappSim>) -> Response {
    axum::Json(sim.templates()).into_response()
}

#[derive(Deserialize)]
struct ReviewBody {
    name: String,
    language: String,
    status: String,
    reason: Option<String>,
}

/// `POST /_sim/templates/review` `{"name", "language", "status": "APPROVED"|"REJECTED"|..., "reason"?}`.
pub(crate) async fn review_template(State(sim): State<WhatsappSim>, body: Bytes) -> Response {
    let body: ReviewBody = match parse(&body) {
        Ok(body) => body,
        Err(problem) => return failure(StatusCode::BAD_REQUEST, problem),
    };
    match sim.review_template(&body.name, &body.language, &body.status, body.reason.as_deref()) {
        Ok(id) => axum::Json(json!({"id": id, "status": body.status.to_ascii_uppercase()})).into_response(),
        Err(error) => failure(StatusCode::NOT_FOUND, error.to_string()),
    }
}

/// `DELETE /_sim/templates/{name}`: every language of the template.
pub(crate) async fn remove_template(State(sim): State<WhatsappSim>, Path(name): Path<String>) -> Response {
    match sim.remove_template(&name) {
        0 => failure(StatusCode::NOT_FOUND, format!("no template {name}")),
        n => axum::Json(json!({"removed": n})).into_response(),
    }
}
