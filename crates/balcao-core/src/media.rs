//! Media: files sent or received in messages, stored once per content (by SHA-256).

use serde::Serialize;

use crate::{AccountId, MediaId, MessageType, Timestamp};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Media {
    pub id: MediaId,
    pub account_id: AccountId,
    /// Hex SHA-256 of the content: where the file lives in the media store.
    pub sha256: String,
    pub mime_type: String,
    pub size: i64,
    pub file_name: Option<String>,
    pub created_at: Timestamp,
}

/// Largest file a message of `kind` may carry (the WhatsApp Cloud API's limits).
pub fn max_size(kind: MessageType) -> u64 {
    const MIB: u64 = 1024 * 1024;
    match kind {
        MessageType::Image => 5 * MIB,
        MessageType::Audio | MessageType::Video => 16 * MIB,
        MessageType::Sticker => 500 * 1024,
        _ => 100 * MIB,
    }
}

/// Whether a file of `mime` may be sent as a message of `kind`.
pub fn accepts(kind: MessageType, mime: &str) -> bool {
    let mime = mime.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    match kind {
        MessageType::Image => matches!(mime.as_str(), "image/jpeg" | "image/png"),
        MessageType::Sticker => mime == "image/webp",
        MessageType::Audio => matches!(
            mime.as_str(),
            "audio/aac" | "audio/mp4" | "audio/mpeg" | "audio/amr" | "audio/ogg" | "audio/opus"
        ),
        MessageType::Video => matches!(mime.as_str(), "video/mp4" | "video/3gpp"),
        MessageType::Document => is_valid_mime(&mime),
        _ => false,
    }
}

/// `type/subtype` made of the characters MIME allows.
pub fn is_valid_mime(mime: &str) -> bool {
    let token = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c));
    mime.split_once('/').is_some_and(|(t, s)| token(t) && token(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_and_sizes() {
        assert!(accepts(MessageType::Image, "image/jpeg"));
        assert!(!accepts(MessageType::Image, "image/gif"));
        assert!(accepts(MessageType::Audio, "audio/ogg; codecs=opus"));
        assert!(accepts(MessageType::Document, "application/pdf"));
        assert!(!accepts(MessageType::Document, "not a mime"));
        assert!(!accepts(MessageType::Text, "text/plain"));
        assert!(max_size(MessageType::Sticker) < max_size(MessageType::Image));
        assert_eq!(max_size(MessageType::Document), 100 * 1024 * 1024);
    }
}
