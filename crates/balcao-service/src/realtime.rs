//! The realtime stream: outbox events relayed to signed-in users as they happen.
//!
//! Each process runs one hub that reads new outbox rows (written by any instance sharing the
//! database) and broadcasts them in-process; every stream filters the broadcast by what its
//! user may see. Events carry their outbox id, so a client resumes after a disconnect by
//! naming the last id it got (`Last-Event-ID`) and the gap is replayed from the outbox.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use balcao_core::ids::{id_floor, unix_ms_of};
use balcao_core::{AccountId, DepartmentId, Role, TicketId, Timestamp, UserId};
use balcao_store::outbox::StoredEvent;
use balcao_store::{meta, outbox, tickets, users};
use base64::Engine;
use hmac::{Hmac, Mac};
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::auth::{AuthError, Credential};
use crate::{Principal, Result, Service, ServiceError};

/// Who may see an event, worked out once per event by the hub.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Audience {
    /// Only admins and supervisors (webhook events).
    pub managers_only: bool,
    /// For events about a ticket or its messages: where the ticket is routed.
    pub ticket: Option<(Option<DepartmentId>, Option<UserId>)>,
}

/// An event on its way to streams.
#[derive(Clone, Debug)]
pub struct LiveEvent {
    pub event: StoredEvent,
    pub audience: Audience,
    /// The event as streams send it (`id`, `event`, `created_at`, `account_id`, `data`),
    /// rendered once however many streams send it.
    pub json: Arc<str>,
}

/// What a stream's user may see.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub principal: Principal,
    departments: HashSet<DepartmentId>,
}

impl Viewer {
    /// Admins and supervisors see every event of their account; agents see their account's
    /// events except webhook ones, and of tickets (and their messages) those of their
    /// departments, assigned to them, or in no department yet.
    pub fn may_see(&self, e: &LiveEvent) -> bool {
        if e.event.account_id != self.principal.account_id {
            return false;
        }
        if matches!(self.principal.role, Role::Admin | Role::Supervisor) {
            return true;
        }
        if e.audience.managers_only {
            return false;
        }
        match e.audience.ticket {
            None => true,
            Some((department, user)) => {
                user == Some(self.principal.user_id) || department.is_none_or(|d| self.departments.contains(&d))
            }
        }
    }
}

/// A stream as opened: who watches, what to replay, the live feed, and where it starts.
pub struct OpenedStream {
    pub viewer: Viewer,
    pub replay: Vec<LiveEvent>,
    pub live: broadcast::Receiver<Arc<LiveEvent>>,
    pub after: Uuid,
}

/// How long a stream ticket may be used to open streams.
const STREAM_TICKET_TTL_SECS: u64 = 60;
/// Events a hub reads per look.
const HUB_BATCH: u64 = 1000;
/// How far back (in time) each look reaches, so an event committed late with an earlier id
/// (a long transaction, another instance's clock) is still relayed; ids seen are remembered
/// for that long so none is relayed twice.
const HUB_WINDOW_MS: u64 = 5000;

/// The per-process relay of outbox events to streams.
pub(crate) struct Hub {
    sender: broadcast::Sender<Arc<LiveEvent>>,
}

impl Hub {
    pub(crate) fn new() -> Hub {
        Hub {
            sender: broadcast::channel(4096).0,
        }
    }
}

/// The hub's memory between looks.
pub struct HubCursor {
    newest_ms: u64,
    seen: HashSet<Uuid>,
    order: VecDeque<Uuid>,
}

impl HubCursor {
    /// Starts at now: streams get what happens from here on (and replay what came before).
    pub fn now() -> HubCursor {
        HubCursor {
            newest_ms: Timestamp::now().unix_ms(),
            seen: HashSet::new(),
            order: VecDeque::new(),
        }
    }
}

impl Service {
    /// One look of the hub: relays outbox events new since the last look; answers how many.
    pub async fn relay_events(&self, cursor: &mut HubCursor) -> Result<usize> {
        // Nobody listening: nothing to read. A stream opened later starts from about now (its
        // past comes from its own replay), so the cursor moves along.
        if self.inner.hub.sender.receiver_count() == 0 {
            *cursor = HubCursor::now();
            return Ok(0);
        }
        let from = id_floor(cursor.newest_ms.saturating_sub(HUB_WINDOW_MS));
        let events = outbox::since(&mut self.store().read(), None, from, HUB_BATCH).await?;
        let fresh: Vec<StoredEvent> = events.into_iter().filter(|e| !cursor.seen.contains(&e.id.0)).collect();
        for e in &fresh {
            cursor.seen.insert(e.id.0);
            cursor.order.push_back(e.id.0);
            cursor.newest_ms = cursor.newest_ms.max(unix_ms_of(e.id.0));
        }
        let horizon = cursor.newest_ms.saturating_sub(2 * HUB_WINDOW_MS);
        while cursor.order.front().is_some_and(|id| unix_ms_of(*id) < horizon) {
            if let Some(id) = cursor.order.pop_front() {
                cursor.seen.remove(&id);
            }
        }
        let count = fresh.len();
        for live in self.with_audience(fresh).await? {
            // No stream listening is fine.
            let _ = self.inner.hub.sender.send(Arc::new(live));
        }
        Ok(count)
    }

    /// Works out who may see each event (ticket routing read in one query).
    async fn with_audience(&self, events: Vec<StoredEvent>) -> Result<Vec<LiveEvent>> {
        let ids: Vec<TicketId> = events.iter().filter_map(ticket_of).collect();
        let routing: HashMap<TicketId, (Option<DepartmentId>, Option<UserId>)> =
            tickets::routing(&mut self.store().read(), None, &ids).await?;
        Ok(events
            .into_iter()
            .map(|event| {
                let audience = Audience {
                    managers_only: event.subject_type == "webhook",
                    ticket: ticket_of(&event).map(|t| routing.get(&t).copied().unwrap_or((None, None))),
                };
                let json = crate::webhooks::body_of(&event).into();
                LiveEvent { event, audience, json }
            })
            .collect())
    }

    /// Opens a stream for the caller: the live events, and (with `last_event_id`) the events
    /// after that one, replayed first. Live events at or before `after` are for the stream to
    /// skip: it starts at the resume point, or at the moment it opened.
    pub async fn open_stream(&self, who: &Principal, last_event_id: Option<Uuid>) -> Result<OpenedStream> {
        // Subscribe before replaying, so nothing falls between the two.
        let live = self.inner.hub.sender.subscribe();
        let user = users::get(&mut self.store().read(), who.account_id, who.user_id)
            .await?
            .ok_or(ServiceError::Unauthorized(AuthError::InvalidToken))?;
        let viewer = Viewer {
            principal: who.clone(),
            departments: user.department_ids.into_iter().collect(),
        };
        let replay = match last_event_id {
            None => Vec::new(),
            Some(after) => {
                let events = outbox::since(&mut self.store().read(), Some(who.account_id), after, HUB_BATCH).await?;
                self.with_audience(events)
                    .await?
                    .into_iter()
                    .filter(|e| viewer.may_see(e))
                    .collect()
            }
        };
        let after = last_event_id.unwrap_or_else(|| id_floor(Timestamp::now().unix_ms()));
        Ok(OpenedStream {
            viewer,
            replay,
            live,
            after,
        })
    }

    async fn stream_key(&self) -> Result<Vec<u8>> {
        if let Some(key) = self.inner.stream_key.get() {
            return Ok(key.clone());
        }
        let fresh = {
            use rand::RngCore;
            let mut bytes = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            base64::engine::general_purpose::STANDARD.encode(bytes)
        };
        // Every instance sharing the database uses the first key written.
        meta::claim(&mut self.store().write(), "stream_ticket_key", &fresh).await?;
        let stored = meta::get(&mut self.store().read(), "stream_ticket_key")
            .await?
            .ok_or_else(|| ServiceError::Internal("stream key missing".into()))?;
        let key = base64::engine::general_purpose::STANDARD
            .decode(stored)
            .map_err(|e| ServiceError::Internal(e.to_string().into()))?;
        let _ = self.inner.stream_key.set(key.clone());
        Ok(key)
    }

    /// A short-lived ticket that opens the caller's stream without headers (browsers'
    /// `EventSource` cannot send them): valid for a minute, on any instance.
    pub async fn stream_ticket(&self, who: &Principal) -> Result<(String, Timestamp)> {
        let expires = Timestamp::now().plus_secs(STREAM_TICKET_TTL_SECS);
        let payload = format!(
            "{}.{}.{}.{}",
            who.account_id.0.simple(),
            who.user_id.0.simple(),
            who.role,
            expires.micros()
        );
        let key = self.stream_key().await?;
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).expect("HMAC takes keys of any length");
        mac.update(payload.as_bytes());
        let tag = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        let token = format!(
            "st_{}.{tag}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload)
        );
        Ok((token, expires))
    }

    /// The caller a stream ticket stands for, if it is genuine, unexpired, and its user still
    /// active.
    pub async fn authenticate_stream_ticket(&self, ticket: &str) -> Result<Principal> {
        let invalid = || ServiceError::Unauthorized(AuthError::InvalidToken);
        let (payload, tag) = ticket
            .strip_prefix("st_")
            .and_then(|t| t.split_once('.'))
            .ok_or_else(invalid)?;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| invalid())?;
        let tag = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| invalid())?;
        let key = self.stream_key().await?;
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).expect("HMAC takes keys of any length");
        mac.update(&payload);
        mac.verify_slice(&tag).map_err(|_| invalid())?;
        let payload = String::from_utf8(payload).map_err(|_| invalid())?;
        let parts: Vec<&str> = payload.split('.').collect();
        let [account, user, _role, expires] = parts.as_slice() else {
            return Err(invalid());
        };
        let expires: i64 = expires.parse().map_err(|_| invalid())?;
        if expires < Timestamp::now().micros() {
            return Err(ServiceError::Unauthorized(AuthError::ExpiredToken));
        }
        let account = AccountId(account.parse().map_err(|_| invalid())?);
        let user_id = UserId(user.parse().map_err(|_| invalid())?);
        let user = users::get(&mut self.store().read(), account, user_id)
            .await?
            .filter(|u| !u.is_archived())
            .ok_or_else(invalid)?;
        Ok(Principal {
            account_id: account,
            user_id,
            role: user.role,
            credential: Credential::StreamTicket,
        })
    }
}

/// How often the hub looks at the outbox.
pub const HUB_POLL: Duration = Duration::from_millis(100);

/// The ticket an event is about: the ticket itself, or a message's ticket.
pub(crate) fn ticket_of(e: &StoredEvent) -> Option<TicketId> {
    match e.subject_type.as_str() {
        "ticket" => Some(TicketId(e.subject_id)),
        "message" => e.data["ticket_id"].as_str().and_then(|s| s.parse().ok()).map(TicketId),
        _ => None,
    }
}
