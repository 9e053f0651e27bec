//! Queries the vendor faces need beyond the native API's: resources filtered by a typed query
//! (`balcao_core::query`) with offset pages and totals, and the records they refer to, read in
//! one query per kind.

use std::collections::HashMap;

use balcao_core::contact::ContactField;
use balcao_core::query::Query;
use balcao_core::{Connection, ConnectionId, Contact, Person, PersonId, Tag, TagId};
use balcao_store::{connections, contacts, directory, tags};

use crate::{Principal, Result, Service};

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

    /// The tags, connections and people of `list`, as asked (one query per kind asked).
    pub async fn contact_relations(
        &self,
        who: &Principal,
        list: &[Contact],
        (want_tags, want_connections, want_people): (bool, bool, bool),
    ) -> Result<ContactRelations> {
        let mut read = self.store().read();
        let mut out = ContactRelations::default();
        if want_tags {
            let mut ids: Vec<TagId> = list.iter().flat_map(|c| c.tag_ids.iter().copied()).collect();
            ids.sort_by_key(|t| t.0);
            ids.dedup();
            out.tags = tags::get_many(&mut read, who.account_id, &ids)
                .await?
                .into_iter()
                .map(|t| (t.id, t))
                .collect();
        }
        if want_connections {
            let mut ids: Vec<ConnectionId> = list.iter().map(|c| c.connection_id).collect();
            ids.sort_by_key(|c| c.0);
            ids.dedup();
            out.connections = connections::get_many(&mut read, who.account_id, &ids)
                .await?
                .into_iter()
                .map(|c| (c.id, c))
                .collect();
        }
        if want_people {
            let mut ids: Vec<PersonId> = list.iter().filter_map(|c| c.person_id).collect();
            ids.sort_by_key(|p| p.0);
            ids.dedup();
            out.people = directory::people_by_ids(&mut read, who.account_id, &ids)
                .await?
                .into_iter()
                .map(|p| (p.id, p))
                .collect();
        }
        Ok(out)
    }
}
