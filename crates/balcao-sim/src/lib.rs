//! Faithful local simulators of the channels Balcão speaks to.
//!
//! For now there is one: [`WhatsappSim`], a simulator of Meta's WhatsApp Cloud API (the Graph API endpoints a
//! business uses to send messages, upload and download media, read its phone number and manage the message templates
//! of its WhatsApp Business Account), together with the signed webhook notifications Meta delivers (customer
//! messages, message statuses and template reviews).
//!
//! The simulator serves real HTTP on a local address, so a client under test talks to it exactly as it would talk to
//! `https://graph.facebook.com`: point the client's Graph API base URL at [`WhatsappSim::base_url`], its access token
//! at [`SimConfig::access_token`], and configure the simulator's webhook URL to the client's webhook endpoint.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use balcao_sim::{SimConfig, WhatsappSim};
//! let sim = WhatsappSim::start(SimConfig::default()).await?;
//! sim.set_webhook_url("http://127.0.0.1:8080/webhooks/whatsapp");
//! let maria = sim.customer("5511987654321", "Maria");
//! let wamid = maria.send_text("Oi! Meu pedido não chegou.").await?;
//! // ... the business answers through the Graph API at sim.base_url() ...
//! let sent = sim.wait_for_sent(1, std::time::Duration::from_secs(5)).await?;
//! # let _ = (wamid, sent);
//! # Ok(()) }
//! ```
//!
//! # Control API
//!
//! Next to the Graph API the same server answers a small JSON control API under `/_sim`, used by the command line
//! and the demo. It has **no authentication at all**: the simulator is a local test tool and must never be exposed
//! on a public network.
//!
//! | Request | Effect |
//! |---|---|
//! | `GET /_sim` | `{base_url, phone_number_id, waba_id, access_token, app_secret, webhook_url, ...}` |
//! | `PUT /_sim/webhook` `{"url": ..}` | sets the webhook URL |
//! | `POST /_sim/customers/{wa_id}/messages` | makes a customer write in, answers `{"wamid": ..}` (see below) |
//! | `GET /_sim/sent` | the accepted sends |
//! | `GET /_sim/deliveries`, `GET /_sim/requests` | webhook delivery attempts, Graph calls |
//! | `POST /_sim/faults` | queues a fault: `{"code": 131047}`, `{"server_error": 503}`, `{"delay_ms": 3000}` or `{"fail_after_accept": 131026}` |
//! | `GET /_sim/templates` | the account's templates with their review status |
//! | `POST /_sim/templates/review` `{"name", "language", "status", "reason"?}` | decides a review (`APPROVED`, `REJECTED`, `PAUSED`, `DISABLED`) and notifies it |
//! | `DELETE /_sim/templates/{name}` | removes a template in every language |
//!
//! The customer message body is `{"name"?, "type", ...}` with, per type: `text` (`text`, `reply_to`?), `image`,
//! `video`, `audio`, `document`, `sticker` (`data_base64`? — a small generated PNG for images when absent —,
//! `mime_type`?, `caption`?, `filename`?, `voice`?), `location` (`latitude`, `longitude`, `location_name`?,
//! `address`?), `contacts` (`contacts`), `reaction` (`message_id`? — the last message sent to the customer when
//! absent —, `emoji`?), `button_reply` / `list_reply` (`message_id`, `id`, `title`, `description`?), `button`
//! (`message_id`, `text`, `payload`) and `unsupported`.

pub mod whatsapp;

pub use whatsapp::{
    Customer, Delivery, Fault, RecordedRequest, SentMessage, SimConfig, SimTemplate, StatusOrder, WabaTemplate,
    WhatsappSim,
};
