//! Queries the vendor faces need beyond the native API's: resources filtered by a typed query
//! (`balcao_core::query`) with offset pages and totals, and the records they refer to, read in
//! one query per kind.

use std::collections::HashMap;

use balcao_core::contact::ContactField;
use balcao_core::message::MessageField;
use balcao_core::query::Query;
use balcao_core::ticket::TicketField;
use balcao_core::{
    Connection, ConnectionId, Contact, DepartmentId, Message, Person, PersonId, Tag, TagId, Ticket, TicketId, UserId,
};
use balcao_store::{connections, contacts, directory, messages, tags, tickets};

use crate::{ContactInput, Principal, Result, Service, ServiceError, distinct};

/// What contacts refer to, by id.
#[derive(Default)]
pub struct ContactRelations {
    pub tags: HashMap<TagId, Tag>,
    pub connections: HashMap<ConnectionId, Connection>,
    pub people: HashMap<PersonId, Person>,
}

impl Service {
    /// Contacts matching a typed query, and how many match in all.
    pub async fn query_contacts(&self, who: &Principal, q: &Query<ContactField>) -> Result<(Vec<Contact>, u64)> {
        Ok(contacts::query(&mut self.store().read(), who.account_id, q).await?)
    }

    /// Messages matching a typed query, and how many match in all.
    pub async fn query_messages(&self, who: &Principal, q: &Query<MessageField>) -> Result<(Vec<Message>, u64)> {
        Ok(messages::query(&mut self.store().read(), who.account_id, q).await?)
    }

    /// Tickets matching a typed query, and how many match in all.
    pub async fn query_tickets(&self, who: &Principal, q: &Query<TicketField>) -> Result<(Vec<Ticket>, u64)> {
        Ok(tickets::query(&mut self.store().read(), who.account_id, q).await?)
    }

    /// Where the account's tickets among `ids` are routed (department, user).
    pub async fn ticket_routing(
        &self,
        who: &Principal,
        ids: &[TicketId],
    ) -> Result<HashMap<TicketId, (Option<DepartmentId>, Option<UserId>)>> {
        Ok(tickets::routing(&mut self.store().read(), Some(who.account_id), ids).await?)
    }

    /// The contact of a connection with this phone number, created (named by the number) when
    /// there is none: how Digisac-style clients send to a number.
    pub async fn contact_for_number(&self, who: &Principal, connection: ConnectionId, number: &str) -> Result<Contact> {
        let phone = balcao_core::phone::normalize(number)
            .map_err(|e| ServiceError::invalid("number", "invalid", e.message()))?;
        self.get_connection(who, connection).await?;
        if let Some(id) = contacts::find_by_phone(&mut self.store().read(), who.account_id, connection, &phone).await? {
            return self.get_contact(who, id).await;
        }
        let input = ContactInput {
            connection_id: Some(connection.0),
            name: Some(phone.clone()),
            phone: Some(phone.clone()),
            ..ContactInput::default()
        };
        match self.create_contact(who, input).await {
            Err(ServiceError::Conflict {
                existing_id: Some(id), ..
            }) => self.get_contact(who, balcao_core::ContactId(id)).await,
            other => other,
        }
    }

    /// The tags, connections and people of `list`, as asked (one query per kind asked).
    pub async fn contact_relations<'a>(
        &self,
        who: &Principal,
        list: impl IntoIterator<Item = &'a Contact> + Clone,
        (want_tags, want_connections, want_people): (bool, bool, bool),
    ) -> Result<ContactRelations> {
        let mut read = self.store().read();
        let mut out = ContactRelations::default();
        if want_tags {
            let ids: Vec<TagId> = distinct(list.clone().into_iter().flat_map(|c| c.tag_ids.iter().copied()));
            out.tags = tags::get_many(&mut read, who.account_id, &ids)
                .await?
                .into_iter()
                .map(|t| (t.id, t))
                .collect();
        }
        if want_connections {
            let ids: Vec<ConnectionId> = distinct(list.clone().into_iter().map(|c| c.connection_id));
            out.connections = connections::get_many(&mut read, who.account_id, &ids)
                .await?
                .into_iter()
                .map(|c| (c.id, c))
                .collect();
        }
        if want_people {
            let ids: Vec<PersonId> = distinct(list.into_iter().filter_map(|c| c.person_id));
            out.people = directory::people_by_ids(&mut read, who.account_id, &ids)
                .await?
                .into_iter()
                .map(|p| (p.id, p))
                .collect();
        }
        Ok(out)
    }
}

/// Every item of a keyset-paged store list, a hundred at a time (for the small collections of
/// an account: departments, users): `every_page!(page => list(..., page))`.
macro_rules! every_page {
    ($page:ident => $list:expr) => {{
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let $page = balcao_store::PageRequest {
                after,
                cursor: None,
                limit: 100,
            };
            let batch = $list.await?;
            out.extend(batch.items);
            match batch.next_after {
                Some(a) => after = Some(a),
                None => break out,
            }
        }
    }};
}

/// Active tickets right now, by department and user.
#[derive(Clone, Debug, Default)]
pub struct NowSummary {
    /// (department, user, active tickets, of which waiting for a first answer).
    pub rows: Vec<(Option<DepartmentId>, Option<UserId>, i64, i64)>,
    pub departments: Vec<balcao_core::Department>,
    pub users: Vec<balcao_core::User>,
}

impl Service {
    /// The account's active tickets right now, grouped by department and user, with the
    /// departments and users to name them (admins and supervisors).
    pub async fn now_summary(&self, who: &Principal) -> Result<NowSummary> {
        who.require_manager("see the account's live figures")?;
        let mut read = self.store().read();
        let rows = tickets::active_summary(&mut read, who.account_id).await?;
        let account = who.account_id;
        let departments = every_page!(page => balcao_store::departments::list(
            &mut read,
            account,
            balcao_store::ArchivedFilter::All,
            page
        ));
        let users = every_page!(page => balcao_store::users::list(
            &mut read,
            account,
            balcao_store::ArchivedFilter::Active,
            page
        ));
        Ok(NowSummary {
            rows,
            departments,
            users,
        })
    }
}

/// What the statistics of a period cover.
#[derive(Clone, Copy, Debug)]
pub struct StatsQuery {
    pub from: balcao_core::Timestamp,
    pub to: balcao_core::Timestamp,
    pub department: Option<DepartmentId>,
    pub user: Option<UserId>,
    /// Count tickets closed in the period (else opened in it).
    pub by_close: bool,
    /// Only open or only closed tickets.
    pub open: Option<bool>,
}

/// Statistics of a period.
#[derive(Clone, Debug, Default)]
pub struct Statistics {
    pub tickets: balcao_store::stats::TicketFigures,
    /// Tickets per UTC day: (days since the Unix epoch, tickets).
    pub per_day: Vec<(i64, i64)>,
    /// Messages sent by the company and received from contacts.
    pub messages: (i64, i64),
}

impl Service {
    /// Ticket and message statistics of a period (admins and supervisors; an agent may ask
    /// for its own figures).
    pub async fn statistics(&self, who: &Principal, q: StatsQuery) -> Result<Statistics> {
        if q.user != Some(who.user_id) {
            who.require_manager("see the account's statistics")?;
        }
        if q.to.micros() < q.from.micros() {
            return Err(ServiceError::invalid(
                "endPeriod",
                "invalid",
                "the period ends before it starts",
            ));
        }
        let scope = balcao_store::stats::TicketScope {
            from: q.from,
            to: q.to,
            department: q.department,
            user: q.user,
            by_close: q.by_close,
            open: q.open,
        };
        let mut read = self.store().read();
        let (tickets, per_day) = balcao_store::stats::tickets(&mut read, who.account_id, &scope).await?;
        let messages = balcao_store::stats::messages(&mut read, who.account_id, q.from, q.to, q.user).await?;
        Ok(Statistics {
            tickets,
            per_day,
            messages,
        })
    }
}
