//! WhatsApp Business Platform (Meta's Cloud API through the Graph API).
//!
//! - [`signature`]: the `X-Hub-Signature-256` check of webhook notifications;
//! - [`webhook`]: notifications turned into [`balcao_core::InboundBatch`]es;
//! - [`outbound`]: Balcão messages turned into Graph API send requests;
//! - [`templates`]: template definitions sent for review and read back;
//! - [`client`]: the Graph API calls (send, mark read, media, phone-number info) and Meta's
//!   error codes, with which of them are worth retrying.

pub mod client;
pub mod outbound;
pub mod signature;
pub mod templates;
pub mod webhook;

pub use client::{Credentials, GraphClient, GraphError, MediaInfo, PhoneNumberInfo, TemplateReview};
