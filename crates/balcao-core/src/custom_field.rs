//! Custom fields: typed fields a company adds to its contacts or tickets.

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;

use crate::{AccountId, CustomFieldId, Timestamp};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomFieldType {
    Text,
    Number,
    /// `YYYY-MM-DD`.
    Date,
    Boolean,
    /// One of the field's options.
    Select,
}

crate::string_enum!(CustomFieldType {
    Text => "text",
    Number => "number",
    Date => "date",
    Boolean => "boolean",
    Select => "select",
});

/// What a custom field applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldTarget {
    Contact,
    Ticket,
}

crate::string_enum!(FieldTarget {
    Contact => "contact",
    Ticket => "ticket",
});

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CustomField {
    pub id: CustomFieldId,
    pub account_id: AccountId,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: CustomFieldType,
    pub applies_to: FieldTarget,
    /// The choices of a `select` field.
    pub options: Vec<String>,
    pub archived_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Longest text value.
pub const TEXT_VALUE_MAX: usize = 2000;

impl CustomField {
    /// The value in its stored form, or why it does not fit the field. Numbers may come as JSON
    /// numbers or numeric strings; booleans as `true`/`false` or their strings; dates as
    /// `YYYY-MM-DD`.
    pub fn normalize(&self, value: &Value) -> Result<Value, String> {
        match (self.kind, value) {
            (CustomFieldType::Text, Value::String(s)) if s.chars().count() <= TEXT_VALUE_MAX => {
                Ok(Value::String(s.trim().to_owned()))
            }
            (CustomFieldType::Text, Value::String(_)) => Err(format!("is longer than {TEXT_VALUE_MAX} characters")),
            (CustomFieldType::Number, Value::Number(n)) => Ok(Value::Number(n.clone())),
            (CustomFieldType::Number, Value::String(s)) => s
                .trim()
                .replace(',', ".")
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .and_then(serde_json::Number::from_f64)
                .map(|n| match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 9e15 => Value::from(f as i64),
                    _ => Value::Number(n),
                })
                .ok_or_else(|| "is not a number".to_owned()),
            (CustomFieldType::Date, Value::String(s)) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map(|d| Value::String(d.format("%Y-%m-%d").to_string()))
                .map_err(|_| "is not a date (YYYY-MM-DD)".to_owned()),
            (CustomFieldType::Boolean, Value::Bool(b)) => Ok(Value::Bool(*b)),
            (CustomFieldType::Boolean, Value::String(s)) => match s.trim() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err("is not true or false".to_owned()),
            },
            (CustomFieldType::Select, Value::String(s)) if self.options.iter().any(|o| o == s.trim()) => {
                Ok(Value::String(s.trim().to_owned()))
            }
            (CustomFieldType::Select, Value::String(_)) => Err(format!("is not one of: {}", self.options.join(", "))),
            (kind, _) => Err(format!("has the wrong type for a {kind} field")),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn field(kind: CustomFieldType, options: &[&str]) -> CustomField {
        CustomField {
            id: CustomFieldId::new(),
            account_id: AccountId::new(),
            name: "f".into(),
            kind,
            applies_to: FieldTarget::Contact,
            options: options.iter().map(|o| o.to_string()).collect(),
            archived_at: None,
            created_at: Timestamp::from_micros(0),
            updated_at: Timestamp::from_micros(0),
        }
    }

    #[test]
    fn values_are_checked_and_normalised_by_type() {
        let number = field(CustomFieldType::Number, &[]);
        assert_eq!(number.normalize(&json!(42)), Ok(json!(42)));
        assert_eq!(number.normalize(&json!("1,5")), Ok(json!(1.5)));
        assert_eq!(number.normalize(&json!("10")), Ok(json!(10)));
        assert!(number.normalize(&json!("ten")).is_err());
        let date = field(CustomFieldType::Date, &[]);
        assert_eq!(date.normalize(&json!("2026-02-28")), Ok(json!("2026-02-28")));
        assert!(date.normalize(&json!("2026-02-30")).is_err());
        let boolean = field(CustomFieldType::Boolean, &[]);
        assert_eq!(boolean.normalize(&json!("true")), Ok(json!(true)));
        assert!(boolean.normalize(&json!(1)).is_err());
        let select = field(CustomFieldType::Select, &["Ouro", "Prata"]);
        assert_eq!(select.normalize(&json!(" Ouro ")), Ok(json!("Ouro")));
        assert!(select.normalize(&json!("Bronze")).is_err());
        assert!(field(CustomFieldType::Text, &[]).normalize(&json!(5)).is_err());
    }
}
