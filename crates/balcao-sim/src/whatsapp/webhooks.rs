//! Webhook notifications: building them, signing them (`X-Hub-Signature-256`), delivering them with redelivery, and
//! the status notifications that follow an accepted send.

use std::time::SystemTime;

use anyhow::{anyhow, bail};
use hmac::{Hmac, Mac as _};
use serde_json::{Value, json};
use sha2::Sha256;

use super::errors::webhook_error;
use super::{Delivery, SentMessage, StatusOrder, WhatsappSim, hex, timestamp_now, unix_secs};

/// What to report about an accepted send.
pub(crate) struct StatusPlan {
    pub sent: SentMessage,
    /// Conversation origin and pricing category (`service`, `utility`, ...).
    pub category: &'static str,
    /// Conversation id and expiry.
    pub conversation: (String, SystemTime),
    /// A `failed` status with this code follows `sent` instead of `delivered`/`read`.
    pub fail_code: Option<i64>,
}

/// `sha256=<lowercase hex HMAC-SHA256(secret, body)>`.
pub(crate) fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this never fails.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    format!("sha256={}", hex(&mac.finalize().into_bytes()))
}

impl WhatsappSim {
    /// The `X-Hub-Signature-256` header value for a body, with the current app secret.
    pub fn sign(&self, body: &[u8]) -> String {
        let secret = self.state().app_secret.clone();
        signature(&secret, body)
    }

    /// Signs and POSTs one notification body to the webhook URL, redelivering on anything but HTTP 200 (per
    /// `redelivery_attempts` and `redelivery_base_delay`); returns the last HTTP status answered, or an error when
    /// no webhook URL is set or the receiver could never be reached. With duplicate deliveries on, the whole
    /// delivery happens twice.
    pub async fn deliver(&self, notification: Value) -> anyhow::Result<u16> {
        let Some(url) = self.webhook_url() else {
            bail!("the simulator has no webhook URL to deliver to");
        };
        let body = serde_json::to_vec(&notification)?;
        let first = self.delivery_cycle(&url, &notification, &body).await;
        if !self.state().duplicate_deliveries {
            return first;
        }
        let second = self.delivery_cycle(&url, &notification, &body).await;
        match (first, second) {
            (Ok(200), _) | (_, Ok(200)) => Ok(200),
            (Ok(status), _) => Ok(status),
            (Err(_), second) => second,
        }
    }

    async fn delivery_cycle(&self, url: &str, notification: &Value, body: &[u8]) -> anyhow::Result<u16> {
        let config = &self.inner.config;
        let attempts = config.redelivery_attempts.max(1);
        let mut last_status = None;
        let mut last_error = None;
        for attempt in 0..attempts {
            if attempt > 0 {
                let factor = 1u32.checked_shl(attempt - 1).unwrap_or(u32::MAX);
                tokio::time::sleep(config.redelivery_base_delay.saturating_mul(factor)).await;
            }
            let signature = self.sign(body);
            let result = self
                .inner
                .http
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header("X-Hub-Signature-256", &signature)
                .body(body.to_vec())
                .send()
                .await;
            let status = match result {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let _ = response.bytes().await;
                    Some(status)
                }
                Err(error) => {
                    last_error = Some(error);
                    None
                }
            };
            self.update(|s| {
                s.deliveries.push(Delivery {
                    body: notification.clone(),
                    signature,
                    status,
                })
            });
            if let Some(status) = status {
                last_status = Some(status);
                if status == 200 {
                    return Ok(200);
                }
                tracing::debug!(url, status, attempt, "webhook answered non-200; will redeliver");
            }
        }
        match last_status {
            Some(status) => Ok(status),
            None => Err(match last_error {
                Some(error) => anyhow!(error).context(format!("delivering to {url} failed after {attempts} attempts")),
                None => anyhow!("delivering to {url} failed after {attempts} attempts"),
            }),
        }
    }

    /// `{"object":"whatsapp_business_account","entry":[{"id":<waba>,"changes":[{"field":"messages","value":..}]}]}`.
    fn wrap(&self, mut value: serde_json::Map<String, Value>) -> Value {
        let config = &self.inner.config;
        let mut full = serde_json::Map::new();
        full.insert("messaging_product".to_owned(), json!("whatsapp"));
        full.insert(
            "metadata".to_owned(),
            json!({ "display_phone_number": self.display_digits(), "phone_number_id": config.phone_number_id }),
        );
        full.append(&mut value);
        json!({
            "object": "whatsapp_business_account",
            "entry": [{ "id": config.waba_id, "changes": [{ "field": "messages", "value": full }] }],
        })
    }

    /// The notification a customer's message object is delivered in.
    pub(crate) fn message_notification(&self, wa_id: &str, name: &str, message: Value) -> Value {
        let mut value = serde_json::Map::new();
        value.insert(
            "contacts".to_owned(),
            json!([{ "profile": { "name": name }, "wa_id": wa_id }]),
        );
        value.insert("messages".to_owned(), json!([message]));
        self.wrap(value)
    }

    /// The notification status objects are delivered in.
    pub(crate) fn statuses_notification(&self, statuses: Vec<Value>) -> Value {
        let mut value = serde_json::Map::new();
        value.insert("statuses".to_owned(), Value::Array(statuses));
        self.wrap(value)
    }

    /// Delivers the statuses of an accepted send in the background, `status_delay` apart.
    pub(crate) fn spawn_statuses(&self, plan: StatusPlan) {
        let (order, read) = {
            let state = self.state();
            (state.status_order, state.customers_read)
        };
        let statuses: Vec<&'static str> = if plan.fail_code.is_some() {
            vec!["sent", "failed"]
        } else if plan.sent.kind == "reaction" {
            vec!["sent"]
        } else {
            let mut statuses = vec!["sent"];
            if order != StatusOrder::SkipDelivered {
                statuses.push("delivered");
            }
            if read {
                statuses.push("read");
            }
            if order == StatusOrder::Reversed {
                statuses.reverse();
            }
            statuses
        };
        let sim = self.clone();
        let delay = self.inner.config.status_delay;
        tokio::spawn(async move {
            // Every status carries the time it logically happened: right after the send.
            let timestamp = timestamp_now();
            for status in statuses {
                tokio::time::sleep(delay).await;
                if sim.is_closed() {
                    return;
                }
                if sim.webhook_url().is_none() {
                    tracing::debug!(wamid = %plan.sent.wamid, status, "no webhook URL; status not delivered");
                    continue;
                }
                let object = status_object(&plan, status, &timestamp);
                if let Err(error) = sim.deliver(sim.statuses_notification(vec![object])).await {
                    tracing::warn!(wamid = %plan.sent.wamid, status, error = format!("{error:#}"), "status not delivered");
                }
            }
        });
    }
}

fn status_object(plan: &StatusPlan, status: &str, timestamp: &str) -> Value {
    let mut object = json!({
        "id": plan.sent.wamid,
        "status": status,
        "timestamp": timestamp,
        "recipient_id": plan.sent.to,
    });
    if let Some(biz) = &plan.sent.biz_opaque_callback_data {
        object["biz_opaque_callback_data"] = json!(biz);
    }
    match status {
        "sent" | "delivered" => {
            let (id, expires) = &plan.conversation;
            let mut conversation = json!({ "id": id, "origin": { "type": plan.category } });
            if status == "sent" {
                conversation["expiration_timestamp"] = json!(unix_secs(*expires).to_string());
            }
            object["conversation"] = conversation;
            object["pricing"] = json!({ "billable": true, "pricing_model": "CBP", "category": plan.category });
        }
        "failed" => {
            object["errors"] = json!([webhook_error(plan.fail_code.unwrap_or(131000))]);
        }
        _ => {}
    }
    object
}
