//! Contacts: the customers (and groups) a company talks to through a connection.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{
    AccountId, ConnectionId, ContactId, CustomFieldId, DepartmentId, OrganizationId, PersonId, TagId, Timestamp, UserId,
};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Contact {
    pub id: ContactId,
    pub account_id: AccountId,
    pub connection_id: ConnectionId,
    pub name: String,
    /// The company's own name for the contact (shown to agents instead of `name`).
    pub internal_name: Option<String>,
    pub alternative_name: Option<String>,
    /// Digits with the country code (see [`crate::phone`]); unique per connection.
    pub phone: Option<String>,
    /// The channel's own id for the contact (WhatsApp id, Telegram chat id); unique per connection.
    pub external_id: Option<String>,
    pub email: Option<String>,
    /// CPF or CNPJ, digits only, check digits valid.
    pub document: Option<String>,
    pub address: Option<String>,
    pub gender: Option<String>,
    pub note: Option<String>,
    pub blocked: bool,
    pub blocked_reason: Option<String>,
    pub is_group: bool,
    pub visible: bool,
    pub default_department_id: Option<DepartmentId>,
    pub default_user_id: Option<UserId>,
    pub organization_id: Option<OrganizationId>,
    pub person_id: Option<PersonId>,
    pub tag_ids: Vec<TagId>,
    /// Values of the account's contact custom fields, by field id.
    pub custom_fields: BTreeMap<CustomFieldId, serde_json::Value>,
    pub last_message_at: Option<Timestamp>,
    pub unread_count: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Contact {
    /// A contact known only by its id, name and phone number: no other details, tags, custom
    /// fields or activity yet.
    pub fn bare(
        id: ContactId,
        account_id: AccountId,
        connection_id: ConnectionId,
        name: String,
        phone: Option<String>,
        at: Timestamp,
    ) -> Contact {
        Contact {
            id,
            account_id,
            connection_id,
            name,
            internal_name: None,
            alternative_name: None,
            phone,
            external_id: None,
            email: None,
            document: None,
            address: None,
            gender: None,
            note: None,
            blocked: false,
            blocked_reason: None,
            is_group: false,
            visible: true,
            default_department_id: None,
            default_user_id: None,
            organization_id: None,
            person_id: None,
            tag_ids: Vec::new(),
            custom_fields: BTreeMap::new(),
            last_message_at: None,
            unread_count: 0,
            created_at: at,
            updated_at: at,
        }
    }
}

/// A label put on contacts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Tag {
    pub id: TagId,
    pub account_id: AccountId,
    pub label: String,
    /// `#rrggbb`.
    pub color: String,
    /// Departments the tag is meant for (empty: all).
    pub department_ids: Vec<DepartmentId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A company the account's contacts belong to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Organization {
    pub id: OrganizationId,
    pub account_id: AccountId,
    pub name: String,
    /// CNPJ or CPF, digits only.
    pub document: Option<String>,
    pub note: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A person behind one or more contacts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Person {
    pub id: PersonId,
    pub account_id: AccountId,
    pub name: String,
    /// CPF or CNPJ, digits only.
    pub document: Option<String>,
    pub email: Option<String>,
    pub organization_id: Option<OrganizationId>,
    pub note: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The fields of contacts a query may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContactField {
    Id,
    ConnectionId,
    Name,
    InternalName,
    AlternativeName,
    Phone,
    ExternalId,
    Email,
    Document,
    Note,
    Blocked,
    IsGroup,
    Visible,
    DefaultDepartmentId,
    DefaultUserId,
    OrganizationId,
    PersonId,
    LastMessageAt,
    UnreadCount,
    CreatedAt,
    UpdatedAt,
    /// The name of the contact's connection.
    ConnectionName,
    /// The name of the person the contact belongs to.
    PersonName,
}
