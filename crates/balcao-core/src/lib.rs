//! Domain types of Balcão: identifiers, timestamps, roles, validation and the records the
//! rest of the system passes around. No I/O lives here.

pub mod connection;
pub mod contact;
pub mod custom_field;
pub mod document;
pub mod event;
pub mod ids;
pub mod inbound;
pub mod media;
pub mod message;
pub mod model;
pub mod net;
pub mod phone;
pub mod query;
pub mod role;
pub mod template;
pub mod text;
pub mod ticket;
pub mod time;
pub mod validation;
pub mod webhook;

pub use connection::{Connection, ConnectionStatus, ConnectionType};
pub use contact::{Contact, Organization, Person, Tag};
pub use custom_field::{CustomField, CustomFieldType, FieldTarget};
pub use event::Event;
pub use ids::*;
pub use inbound::{DeliveryReport, InboundBatch, InboundMessage, RemoteMedia, TemplateReviewUpdate};
pub use media::Media;
pub use message::{DeliveryStatus, Direction, Message, MessageType, Origin, SearchWords};
pub use model::*;
pub use role::Role;
pub use ticket::{Ticket, TicketAction, TicketEntry, TicketStatus, TicketTopic};
pub use time::Timestamp;
pub use validation::{FieldError, Validator};
pub use webhook::{Delivery, DeliveryAttempt, Webhook};
