//! Connections: a company's channel accounts.

use std::str::FromStr;

use balcao_core::{Connection, ConnectionId, ConnectionStatus, ConnectionType, DepartmentId, Timestamp, Validator};
use balcao_store::{connections, departments, outbox};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::{ArchivedFilter, ListParams, Page, Principal, Result, Service, ServiceError, event};

#[derive(Clone, Debug, Default)]
pub struct NewConnection {
    /// `whatsapp_cloud`, `telegram`, `webchat` or `email`.
    pub kind: Option<String>,
    pub name: Option<String>,
    pub default_department_id: Option<Uuid>,
    pub settings: Option<Value>,
}

/// Changes to a connection; `default_department_id: Some(None)` clears it; `settings` keys
/// replace stored ones and `null` removes one.
#[derive(Clone, Debug, Default)]
pub struct ConnectionPatch {
    pub name: Option<String>,
    pub default_department_id: Option<Option<Uuid>>,
    pub settings: Option<Value>,
}

fn settings_object(v: &mut Validator, value: Option<Value>) -> Map<String, Value> {
    match value {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map,
        Some(_) => {
            v.add("settings", "invalid", "`settings` must be an object");
            Map::new()
        }
    }
}

/// Checks that an optional department belongs to the caller's account.
pub(crate) async fn check_department(
    service: &Service,
    who: &Principal,
    field: &str,
    id: Option<Uuid>,
    v: &mut Validator,
) -> Result<Option<DepartmentId>> {
    let Some(id) = id else { return Ok(None) };
    let found = departments::existing(&mut service.store().read(), who.account_id, &[DepartmentId(id)]).await?;
    if found.is_empty() {
        v.add(field, "not_found", format!("department {id} does not exist"));
    }
    Ok(Some(DepartmentId(id)))
}

impl Service {
    pub async fn create_connection(&self, who: &Principal, input: NewConnection) -> Result<Connection> {
        who.require_admin("create connections")?;
        let mut v = Validator::new();
        let kind = v.required("type", input.kind.as_deref()).and_then(|k| {
            let kind = ConnectionType::from_str(k).ok();
            if kind.is_none() {
                v.add(
                    "type",
                    "invalid",
                    "`type` must be one of whatsapp_cloud, telegram, webchat, email",
                );
            }
            kind
        });
        let name = v
            .required("name", input.name.as_deref())
            .and_then(|n| v.name("name", n));
        let department =
            check_department(self, who, "default_department_id", input.default_department_id, &mut v).await?;
        let changes = settings_object(&mut v, input.settings);
        let settings = match kind {
            Some(kind) => match kind.merge_settings(&Map::new(), &changes) {
                Ok(s) => Some(s),
                Err(errors) => {
                    for e in errors {
                        v.add(e.field, e.code, e.message);
                    }
                    None
                }
            },
            None => None,
        };
        v.finish()?;
        let (Some(kind), Some(name), Some(settings)) = (kind, name, settings) else {
            return Err(ServiceError::Internal("validated fields missing".into()));
        };
        let now = Timestamp::now();
        let connection = Connection {
            id: ConnectionId::new(),
            account_id: who.account_id,
            kind,
            name,
            default_department_id: department,
            status: ConnectionStatus::Pending,
            status_detail: None,
            settings,
            archived_at: None,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store().begin().await?;
        connections::insert(&mut tx, &connection).await?;
        outbox::append(&mut tx, &[connection_event(&connection, "connection.created")]).await?;
        tx.commit().await?;
        Ok(connection)
    }

    pub async fn get_connection(&self, who: &Principal, id: ConnectionId) -> Result<Connection> {
        connections::get(&mut self.store().read(), who.account_id, id)
            .await?
            .ok_or(ServiceError::NotFound("connection"))
    }

    pub async fn list_connections(
        &self,
        who: &Principal,
        kind: Option<&str>,
        archived: ArchivedFilter,
        params: ListParams,
    ) -> Result<Page<Connection>> {
        let kind = match kind {
            None => None,
            Some(k) => Some(ConnectionType::from_str(k).map_err(|()| {
                ServiceError::invalid(
                    "type",
                    "invalid",
                    "`type` must be one of whatsapp_cloud, telegram, webchat, email",
                )
            })?),
        };
        Ok(connections::list(&mut self.store().read(), who.account_id, kind, archived, params.page()?).await?)
    }

    pub async fn update_connection(
        &self,
        who: &Principal,
        id: ConnectionId,
        patch: ConnectionPatch,
    ) -> Result<Connection> {
        who.require_admin("change connections")?;
        let mut connection = self.get_connection(who, id).await?;
        let mut v = Validator::new();
        if let Some(name) = patch.name.as_deref().and_then(|n| v.name("name", n)) {
            connection.name = name;
        }
        if let Some(department) = patch.default_department_id {
            connection.default_department_id =
                check_department(self, who, "default_department_id", department, &mut v).await?;
        }
        if patch.settings.is_some() {
            let changes = settings_object(&mut v, patch.settings);
            match connection.kind.merge_settings(&connection.settings, &changes) {
                Ok(merged) => connection.settings = merged,
                Err(errors) => {
                    for e in errors {
                        v.add(e.field, e.code, e.message);
                    }
                }
            }
        }
        v.finish()?;
        connection.updated_at = Timestamp::now();
        self.save_connection(&connection).await?;
        Ok(connection)
    }

    pub async fn set_connection_archived(
        &self,
        who: &Principal,
        id: ConnectionId,
        archived: bool,
    ) -> Result<Connection> {
        who.require_admin("archive connections")?;
        let mut connection = self.get_connection(who, id).await?;
        if archived != connection.archived_at.is_some() {
            let now = Timestamp::now();
            connection.archived_at = archived.then_some(now);
            connection.updated_at = now;
            self.save_connection(&connection).await?;
        }
        Ok(connection)
    }

    /// Writes a changed connection with its `connection.updated` event; the channel webhook's
    /// cached copy is dropped once the change is committed.
    pub(crate) async fn save_connection(&self, connection: &Connection) -> Result<()> {
        let mut tx = self.store().begin().await?;
        if !connections::update(&mut tx, connection).await? {
            return Err(ServiceError::NotFound("connection"));
        }
        outbox::append(&mut tx, &[connection_event(connection, "connection.updated")]).await?;
        tx.commit().await?;
        self.inner.webhook_connections.forget(connection.id);
        Ok(())
    }
}

fn connection_event(c: &Connection, name: &'static str) -> balcao_core::Event {
    event(c.account_id, name, "connection", c.id.0, &c.event_payload())
}
