//! `POST /{version}/{phone-number-id}/messages`: sends and mark-as-read, with injected faults, the 24-hour
//! customer service window and recording of accepted sends.

use std::time::{Duration, SystemTime};

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::errors::GraphError;
use super::validate::{self, optional_string, string};
use super::webhooks::StatusPlan;
use super::{Fault, SentMessage, State, WhatsappSim, digits_of, hex, new_wamid};

/// The body of a send is small JSON; Meta's own limit is far below this.
const MAX_BODY: usize = 1024 * 1024;
/// The customer service window.
pub(crate) const WINDOW: Duration = Duration::from_secs(24 * 60 * 60);

pub(crate) async fn messages(sim: &WhatsappSim, request: Request) -> Response {
    let fault = sim.update(|s| s.faults.pop_front());
    let mut fail_code = None;
    match fault {
        Some(Fault::Error { code }) => return GraphError::code(code).into_response(),
        Some(Fault::ServerError { status }) => return server_error(status),
        Some(Fault::Delay { delay }) => tokio::time::sleep(delay).await,
        Some(Fault::FailAfterAccept { code }) => fail_code = Some(code),
        None => {}
    }
    let bytes = match axum::body::to_bytes(request.into_body(), MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => return GraphError::invalid("The request body is too large or could not be read.").into_response(),
    };
    match handle(sim, &bytes, fail_code) {
        Ok(answer) => axum::Json(answer).into_response(),
        Err(error) => error.into_response(),
    }
}

/// A non-Graph failure, as a proxy in front of the Graph API would answer it.
fn server_error(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let text = status.canonical_reason().unwrap_or("Server Error");
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text.to_owned(),
    )
        .into_response()
}

fn handle(sim: &WhatsappSim, bytes: &[u8], fail_code: Option<i64>) -> Result<Value, GraphError> {
    let body: Value = serde_json::from_slice(bytes)
        .map_err(|e| GraphError::invalid(format!("The request body is not valid JSON: {e}")))?;
    let Value::Object(map) = &body else {
        return Err(GraphError::invalid("The request body must be a JSON object."));
    };
    match map.get("messaging_product") {
        None | Some(Value::Null) => {
            let mut error = GraphError::invalid("The parameter messaging_product is required.");
            error.message = "(#100) The parameter messaging_product is required.".to_owned();
            return Err(error);
        }
        Some(Value::String(product)) if product == "whatsapp" => {}
        Some(other) => {
            let got = other.as_str().map(str::to_owned).unwrap_or_else(|| other.to_string());
            return Err(GraphError::invalid(format!(
                "Param messaging_product must be one of {{WHATSAPP}} - got \"{got}\"."
            )));
        }
    }
    if map.contains_key("status") {
        return mark_read(sim, map);
    }
    send(sim, &body, map, fail_code)
}

/// `{"messaging_product":"whatsapp","status":"read","message_id":..}`.
fn mark_read(sim: &WhatsappSim, map: &Map<String, Value>) -> Result<Value, GraphError> {
    let status = string(map, "status", "status")?;
    if status != "read" {
        return Err(GraphError::invalid(format!(
            "Param status must be one of {{READ}} - got \"{status}\"."
        )));
    }
    let message_id = string(map, "message_id", "message_id")?;
    if let Some(typing) = map.get("typing_indicator").filter(|t| !t.is_null()) {
        let kind = typing.get("type").and_then(Value::as_str);
        if kind != Some("text") {
            return Err(GraphError::invalid(
                "Param typing_indicator['type'] must be one of {TEXT}.",
            ));
        }
    }
    let known = sim.update(|s| {
        let known = s.customer_wamids.contains_key(message_id);
        if known {
            s.marked_read.push(message_id.to_owned());
        }
        known
    });
    if !known {
        return Err(GraphError::invalid(format!(
            "Invalid message_id: no message with id '{message_id}' was received."
        )));
    }
    Ok(json!({ "success": true }))
}

fn send(
    sim: &WhatsappSim,
    body: &Value,
    map: &Map<String, Value>,
    fail_code: Option<i64>,
) -> Result<Value, GraphError> {
    let input = match map.get("to") {
        None | Some(Value::Null) => return Err(GraphError::missing("to")),
        Some(Value::String(to)) => to.clone(),
        Some(Value::Number(to)) => to.to_string(),
        Some(_) => return Err(GraphError::invalid("Param to must be a string.")),
    };
    let to = normalize_recipient(&input)?;
    if let Some(recipient_type) = optional_string(map, "recipient_type", "recipient_type")?
        && recipient_type != "individual"
        && recipient_type != "group"
    {
        return Err(GraphError::invalid(format!(
            "Param recipient_type must be one of {{INDIVIDUAL, GROUP}} - got \"{recipient_type}\"."
        )));
    }
    // The Cloud API defaults the type to text.
    let kind = optional_string(map, "type", "type")?.unwrap_or("text").to_owned();
    let biz = optional_string(map, "biz_opaque_callback_data", "biz_opaque_callback_data")?.map(str::to_owned);
    if biz.as_ref().is_some_and(|b| b.chars().count() > 512) {
        return Err(GraphError::invalid(
            "Param biz_opaque_callback_data must be at most 512 characters long.",
        ));
    }
    if map.contains_key("context") {
        let context = validate::object(map, "context", "context")?;
        string(context, "message_id", "context['message_id']")?;
    }
    if to == digits_of(&sim.inner.config.display_phone_number) {
        return Err(GraphError::code(131021));
    }
    validate::message_object(sim, &kind, map)?;
    let is_template = kind == "template";
    if sim.inner.config.enforce_window && !is_template && !window_open(&sim.state(), &to) {
        return Err(GraphError::code(131047));
    }

    let wamid = new_wamid(&to);
    let sent = SentMessage {
        wamid: wamid.clone(),
        to: to.clone(),
        kind: kind.clone(),
        body: body.clone(),
        biz_opaque_callback_data: biz,
    };
    let conversation = sim.update(|s| {
        s.sent.push(sent.clone());
        s.sent_wamids.insert(wamid.clone());
        conversation(s, &to)
    });
    sim.spawn_statuses(StatusPlan {
        sent,
        category: if is_template { "utility" } else { "service" },
        conversation,
        fail_code,
    });
    let mut message = json!({ "id": wamid });
    if is_template {
        message["message_status"] = json!("accepted");
    }
    Ok(json!({
        "messaging_product": "whatsapp",
        "contacts": [{ "input": input, "wa_id": to }],
        "messages": [message],
    }))
}

/// Digits of a recipient; a leading `+` is accepted.
fn normalize_recipient(input: &str) -> Result<String, GraphError> {
    let trimmed = input.trim();
    let digits = trimmed.strip_prefix('+').unwrap_or(trimmed);
    if digits.len() < 5 || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(GraphError::invalid(format!(
            "Param to must be a valid phone number (digits only, with an optional leading +); got \"{input}\"."
        )));
    }
    Ok(digits.to_owned())
}

/// The customer wrote within the last 24 hours.
pub(crate) fn window_open(state: &State, wa_id: &str) -> bool {
    let last = state.customers.get(wa_id).and_then(|c| c.last_message_at);
    last.is_some_and(|at| {
        SystemTime::now()
            .duration_since(at)
            .map(|age| age < WINDOW)
            .unwrap_or(true)
    })
}

/// The customer's open conversation (id, expiry), or a new one.
fn conversation(state: &mut State, wa_id: &str) -> (String, SystemTime) {
    let now = SystemTime::now();
    let customer = state.customers.entry(wa_id.to_owned()).or_default();
    match &customer.conversation {
        Some((id, expires)) if *expires > now => (id.clone(), *expires),
        _ => {
            let fresh = (hex(&rand::random::<[u8; 16]>()), now + WINDOW);
            customer.conversation = Some(fresh.clone());
            fresh
        }
    }
}
