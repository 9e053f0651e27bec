//! Connections: a company's channel accounts (a WhatsApp number, a Telegram bot, a webchat
//! widget, a mailbox). Each type declares its settings; secret ones are write-only.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::{AccountId, ConnectionId, DepartmentId, FieldError, Timestamp};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionType {
    WhatsappCloud,
    Telegram,
    Webchat,
    Email,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    /// Created, never connected yet.
    Pending,
    Connected,
    Disconnected,
    /// The channel refused the credentials or failed; `status_detail` says why.
    Error,
}

#[macro_export]
#[doc(hidden)]
macro_rules! string_enum {
    ($ty:ident { $($variant:ident => $text:literal),* $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),*];

            pub const fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $text),* }
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = ();

            fn from_str(s: &str) -> Result<Self, ()> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or(())
            }
        }
    };
}

string_enum!(ConnectionType {
    WhatsappCloud => "whatsapp_cloud",
    Telegram => "telegram",
    Webchat => "webchat",
    Email => "email",
});

string_enum!(ConnectionStatus {
    Pending => "pending",
    Connected => "connected",
    Disconnected => "disconnected",
    Error => "error",
});

/// What a setting holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingKind {
    Text,
    Integer,
    Boolean,
    TextList,
}

/// One setting a connection type accepts.
#[derive(Clone, Copy, Debug)]
pub struct SettingSpec {
    pub name: &'static str,
    pub kind: SettingKind,
    pub required: bool,
    /// Write-only: stored, used by the connector, never returned.
    pub secret: bool,
}

const fn spec(name: &'static str, kind: SettingKind, required: bool, secret: bool) -> SettingSpec {
    SettingSpec {
        name,
        kind,
        required,
        secret,
    }
}

use SettingKind::{Boolean, Integer, Text, TextList};

/// Meta's Graph API with the version Balcão speaks, for `graph_api_url` left unset.
pub const GRAPH_API_URL: &str = "https://graph.facebook.com/v24.0";

/// Messages a WhatsApp number may send per second unless `max_messages_per_second` says
/// otherwise (Meta's default throughput).
pub const WHATSAPP_DEFAULT_RATE: u32 = 80;

const WHATSAPP_CLOUD: &[SettingSpec] = &[
    spec("phone_number_id", Text, true, false),
    spec("waba_id", Text, false, false),
    spec("access_token", Text, true, true),
    spec("app_secret", Text, false, true),
    spec("verify_token", Text, false, false),
    spec("graph_api_url", Text, false, false),
    spec("max_messages_per_second", Integer, false, false),
];

const TELEGRAM: &[SettingSpec] = &[
    spec("bot_token", Text, true, true),
    spec("bot_username", Text, false, false),
    spec("webhook_secret", Text, false, true),
    spec("api_base_url", Text, false, false),
];

const WEBCHAT: &[SettingSpec] = &[
    spec("allowed_origins", TextList, false, false),
    spec("greeting", Text, false, false),
    spec("color", Text, false, false),
];

const EMAIL: &[SettingSpec] = &[
    spec("address", Text, true, false),
    spec("imap_host", Text, false, false),
    spec("imap_port", Integer, false, false),
    spec("smtp_host", Text, false, false),
    spec("smtp_port", Integer, false, false),
    spec("username", Text, false, false),
    spec("password", Text, false, true),
    spec("use_tls", Boolean, false, false),
];

impl ConnectionType {
    pub fn settings(self) -> &'static [SettingSpec] {
        match self {
            ConnectionType::WhatsappCloud => WHATSAPP_CLOUD,
            ConnectionType::Telegram => TELEGRAM,
            ConnectionType::Webchat => WEBCHAT,
            ConnectionType::Email => EMAIL,
        }
    }

    fn spec(self, name: &str) -> Option<&'static SettingSpec> {
        self.settings().iter().find(|s| s.name == name)
    }

    /// Applies `changes` to `current`: each key replaces the stored value, `null` removes it.
    /// Unknown keys, wrong types and missing required settings are field errors
    /// (`settings.<name>`).
    pub fn merge_settings(
        self,
        current: &Map<String, Value>,
        changes: &Map<String, Value>,
    ) -> Result<Map<String, Value>, Vec<FieldError>> {
        let mut merged = current.clone();
        let mut errors = Vec::new();
        let mut fail = |name: &str, code: &'static str, message: String| {
            errors.push(FieldError {
                field: format!("settings.{name}"),
                code,
                message,
            })
        };
        for (name, value) in changes {
            let Some(spec) = self.spec(name) else {
                fail(
                    name,
                    "unknown_field",
                    format!("`{name}` is not a setting of {self} connections"),
                );
                continue;
            };
            let ok = match (spec.kind, value) {
                (_, Value::Null) => true,
                (Text, Value::String(s)) => !s.trim().is_empty() && s.len() <= 4096,
                (Integer, Value::Number(n)) => n.as_i64().is_some(),
                (Boolean, Value::Bool(_)) => true,
                (TextList, Value::Array(items)) => items.iter().all(Value::is_string),
                _ => false,
            };
            if !ok {
                let expected = match spec.kind {
                    Text => "a non-empty string",
                    Integer => "an integer",
                    Boolean => "true or false",
                    TextList => "a list of strings",
                };
                fail(name, "invalid", format!("`{name}` must be {expected}"));
            } else if value.is_null() {
                merged.remove(name);
            } else {
                merged.insert(name.clone(), value.clone());
            }
        }
        for spec in self.settings().iter().filter(|s| s.required) {
            if !merged.contains_key(spec.name) && changes.get(spec.name).is_none_or(|v| v.is_null()) {
                fail(
                    spec.name,
                    "required",
                    format!("`{}` is required for {self} connections", spec.name),
                );
            }
        }
        if errors.is_empty() { Ok(merged) } else { Err(errors) }
    }

    /// The settings as they may be shown: secrets left out.
    pub fn public_settings(self, settings: &Map<String, Value>) -> Map<String, Value> {
        settings
            .iter()
            .filter(|(k, _)| self.spec(k).is_some_and(|s| !s.secret))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Names of the secret settings that hold a value.
    pub fn secrets_set(self, settings: &Map<String, Value>) -> Vec<&'static str> {
        self.settings()
            .iter()
            .filter(|s| s.secret && settings.contains_key(s.name))
            .map(|s| s.name)
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Connection {
    pub id: ConnectionId,
    pub account_id: AccountId,
    pub kind: ConnectionType,
    pub name: String,
    pub default_department_id: Option<DepartmentId>,
    pub status: ConnectionStatus,
    pub status_detail: Option<String>,
    /// Every setting, secrets included: never render this map directly.
    pub settings: Map<String, Value>,
    pub archived_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Connection {
    /// A text setting, if set.
    pub fn setting(&self, name: &str) -> Option<&str> {
        self.settings.get(name).and_then(Value::as_str)
    }

    /// An integer setting, if set.
    pub fn int_setting(&self, name: &str) -> Option<i64> {
        self.settings.get(name).and_then(Value::as_i64)
    }

    /// The shape events carry (secrets left out).
    pub fn event_payload(&self) -> Value {
        serde_json::json!({
            "id": self.id,
            "account_id": self.account_id,
            "type": self.kind,
            "name": self.name,
            "default_department_id": self.default_department_id,
            "status": self.status,
            "status_detail": self.status_detail,
            "settings": self.kind.public_settings(&self.settings),
            "secrets_set": self.kind.secrets_set(&self.settings),
            "archived_at": self.archived_at,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn settings_merge_validate_and_hide_secrets() {
        let t = ConnectionType::WhatsappCloud;
        let created = t
            .merge_settings(
                &Map::new(),
                &map(json!({"phone_number_id": "123", "access_token": "EAAG"})),
            )
            .expect("valid");
        assert_eq!(t.public_settings(&created), map(json!({"phone_number_id": "123"})));
        assert_eq!(t.secrets_set(&created), ["access_token"]);
        let errors = t
            .merge_settings(
                &created,
                &map(json!({"access_token": null, "colour": "red", "graph_api_url": 21})),
            )
            .expect_err("invalid");
        let fields: Vec<_> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            fields,
            [
                ("settings.colour", "unknown_field"),
                ("settings.graph_api_url", "invalid"),
                ("settings.access_token", "required")
            ]
        );
        let missing = t.merge_settings(&Map::new(), &Map::new()).expect_err("required");
        assert_eq!(missing.len(), 2);
    }
}
