//! WhatsApp templates and Meta's review: editing, sending for review, and syncing with the
//! WhatsApp Business Account (WABA) of a connection.

use std::str::FromStr;

use balcao_channels::whatsapp::templates;
use balcao_channels::whatsapp::{Credentials, GraphError};
use balcao_core::template::{
    TemplateCategory, TemplateStatus, WhatsappTemplate, check_components, is_language, is_template_name,
};
use balcao_core::{Connection, ConnectionId, ConnectionType, TemplateId, TemplateReviewUpdate, Timestamp, Validator};
use balcao_store::reusable;
use serde_json::Value;

use crate::channels::whatsapp_credentials;
use crate::{Principal, Result, Service, ServiceError};

/// At most this many templates are read from a WABA in one sync.
const SYNC_MAX: usize = 5_000;

/// Changes to a template. Name and language change only while it is a draft: Meta keeps
/// them once it has the template.
#[derive(Clone, Debug, Default)]
pub struct TemplatePatch {
    pub name: Option<String>,
    pub language: Option<String>,
    pub category: Option<String>,
    pub components: Option<Value>,
}

/// A Graph API failure in a template call, as the caller should see it.
fn graph_failure(e: GraphError) -> ServiceError {
    match e {
        GraphError::Api { code: 190, .. } => ServiceError::conflict(
            "channel_credentials",
            format!("Meta refused the connection's access token ({})", e.text()),
        ),
        GraphError::Api { http_status, .. } if http_status < 500 && !e.retryable() => ServiceError::invalid(
            "components",
            "rejected_by_meta",
            format!("Meta refused the template: {}", e.text()),
        ),
        other => ServiceError::Upstream {
            message: format!("the Graph API failed: {}", other.text()),
        },
    }
}

/// The connection's credentials and WABA id.
fn waba(connection: &Connection) -> Result<(Credentials<'_>, &str)> {
    let creds = whatsapp_credentials(connection)?;
    let waba = connection.setting("waba_id").ok_or_else(|| {
        ServiceError::conflict(
            "connection_incomplete",
            "the connection has no waba_id: templates live on the WhatsApp Business Account",
        )
    })?;
    Ok((creds, waba))
}

impl Service {
    async fn template_connection(&self, who: &Principal, id: ConnectionId) -> Result<Connection> {
        let connection = self.get_connection(who, id).await?;
        if connection.kind != ConnectionType::WhatsappCloud {
            return Err(ServiceError::conflict(
                "channel_unavailable",
                "templates belong to whatsapp_cloud connections",
            ));
        }
        Ok(connection)
    }

    /// Edits a template (admins). One Meta already has goes back to Meta with the change and
    /// waits for its review again.
    pub async fn update_template(
        &self,
        who: &Principal,
        id: TemplateId,
        patch: TemplatePatch,
    ) -> Result<WhatsappTemplate> {
        who.require_admin("manage WhatsApp templates")?;
        let mut template = self.get_template(who, id).await?;
        let mut v = Validator::new();
        let draft = template.external_id.is_none();
        if let Some(name) = patch.name.as_deref().map(str::trim).filter(|n| *n != template.name) {
            if !draft {
                v.add(
                    "name",
                    "immutable",
                    "Meta keeps a template's name once it has the template",
                );
            } else if !is_template_name(name) {
                v.add(
                    "name",
                    "invalid",
                    "a template name has lowercase letters, digits and underscores only",
                );
            } else {
                template.name = name.to_owned();
            }
        }
        if let Some(language) = patch
            .language
            .as_deref()
            .map(str::trim)
            .filter(|l| *l != template.language)
        {
            if !draft {
                v.add(
                    "language",
                    "immutable",
                    "Meta keeps a template's language once it has the template",
                );
            } else if !is_language(language) {
                v.add("language", "invalid", "`language` is a code such as pt_BR or en");
            } else {
                template.language = language.to_owned();
            }
        }
        if let Some(category) = patch.category.as_deref() {
            match TemplateCategory::from_str(&category.trim().to_ascii_lowercase()) {
                Ok(c) => template.category = c,
                Err(()) => v.add(
                    "category",
                    "invalid",
                    "`category` is marketing, utility or authentication",
                ),
            }
        }
        if let Some(components) = patch.components {
            if let Err(errors) = check_components(&components) {
                for (field, message) in errors {
                    v.add(field, "invalid", message);
                }
            }
            template.components = components;
        }
        v.finish()?;
        if let Some(external) = template.external_id.clone() {
            self.send_edit(who, &mut template, &external).await?;
        }
        template.updated_at = Timestamp::now();
        reusable::update_template(&mut self.store().write(), &template).await?;
        Ok(template)
    }

    /// Sends a template Meta knows as `external` to Meta as it stands; it waits for review again.
    async fn send_edit(&self, who: &Principal, template: &mut WhatsappTemplate, external: &str) -> Result<()> {
        let connection = self.template_connection(who, template.connection_id).await?;
        let (creds, _) = waba(&connection)?;
        let body = templates::edit(template.category.as_str(), &template.components);
        self.inner
            .graph
            .edit_template(creds, external, &body)
            .await
            .map_err(graph_failure)?;
        template.status = TemplateStatus::Pending;
        template.rejection_reason = None;
        Ok(())
    }

    /// Sends a template to Meta for review (admins): a draft is created on the connection's
    /// WABA; one Meta already has (rejected, paused) is sent again as it stands now.
    pub async fn submit_template(&self, who: &Principal, id: TemplateId) -> Result<WhatsappTemplate> {
        who.require_admin("manage WhatsApp templates")?;
        let mut template = self.get_template(who, id).await?;
        if template.status == TemplateStatus::Pending && template.external_id.is_some() {
            return Err(ServiceError::conflict(
                "template_in_review",
                "the template is already waiting for Meta's review",
            ));
        }
        match template.external_id.clone() {
            None => {
                let connection = self.template_connection(who, template.connection_id).await?;
                let (creds, waba_id) = waba(&connection)?;
                let body = templates::definition(
                    &template.name,
                    &template.language,
                    template.category.as_str(),
                    &template.components,
                );
                let review = self
                    .inner
                    .graph
                    .create_template(creds, waba_id, &body)
                    .await
                    .map_err(graph_failure)?;
                template.external_id = Some(review.id);
                template.status = TemplateStatus::from_meta(&review.status).unwrap_or(TemplateStatus::Pending);
                template.rejection_reason = None;
            }
            Some(external) => self.send_edit(who, &mut template, &external).await?,
        }
        template.updated_at = Timestamp::now();
        reusable::update_template(&mut self.store().write(), &template).await?;
        Ok(template)
    }

    /// Reads every template of the connection's WABA (admins) and brings Balcão's in line:
    /// status, category, components and rejection reason follow Meta; templates only Meta
    /// has are added; ones Meta no longer has are disabled. Drafts stay as they are.
    /// Answers the connection's templates after the sync.
    pub async fn sync_templates(
        &self,
        who: &Principal,
        connection: Option<uuid::Uuid>,
    ) -> Result<Vec<WhatsappTemplate>> {
        who.require_admin("manage WhatsApp templates")?;
        let mut v = Validator::new();
        let connection = v.required("connection_id", connection);
        v.finish()?;
        let Some(connection_id) = connection.map(ConnectionId) else {
            return Err(ServiceError::Internal("validated connection missing".into()));
        };
        let connection = self.template_connection(who, connection_id).await?;
        let (creds, waba_id) = waba(&connection)?;
        let remote = self
            .inner
            .graph
            .templates(creds, waba_id, SYNC_MAX)
            .await
            .map_err(graph_failure)?;
        let local =
            reusable::list_templates(&mut self.store().read(), who.account_id, Some(connection_id), None).await?;
        let now = Timestamp::now();
        let mut tx = self.store().begin().await?;
        let mut seen = Vec::with_capacity(remote.len());
        for r in &remote {
            let (Some(external), Some(name), Some(language)) =
                (r["id"].as_str(), r["name"].as_str(), r["language"].as_str())
            else {
                continue;
            };
            let Some(status) = r["status"].as_str().and_then(TemplateStatus::from_meta) else {
                continue;
            };
            let category = r["category"]
                .as_str()
                .and_then(|c| TemplateCategory::from_str(&c.to_ascii_lowercase()).ok());
            let components = templates::from_meta(&r["components"]);
            let reason = r["rejected_reason"]
                .as_str()
                .filter(|r| !r.is_empty() && *r != "NONE")
                .map(str::to_owned);
            seen.push(external.to_owned());
            let found = local
                .iter()
                .find(|t| t.external_id.as_deref() == Some(external))
                .or_else(|| local.iter().find(|t| t.name == name && t.language == language));
            match found {
                Some(original) => {
                    let mut t = original.clone();
                    t.external_id = Some(external.to_owned());
                    t.status = status;
                    t.category = category.unwrap_or(t.category);
                    if components.as_array().is_some_and(|c| !c.is_empty()) {
                        t.components = components;
                    }
                    t.rejection_reason = (status == TemplateStatus::Rejected).then_some(reason).flatten();
                    if t != *original {
                        t.updated_at = now;
                        reusable::update_template(&mut tx, &t).await?;
                    }
                }
                None => {
                    let t = WhatsappTemplate {
                        id: TemplateId::new(),
                        account_id: who.account_id,
                        connection_id,
                        name: name.to_owned(),
                        language: language.to_owned(),
                        category: category.unwrap_or(TemplateCategory::Utility),
                        components,
                        status,
                        rejection_reason: (status == TemplateStatus::Rejected).then_some(reason).flatten(),
                        external_id: Some(external.to_owned()),
                        created_at: now,
                        updated_at: now,
                    };
                    reusable::insert_template(&mut tx, &t).await?;
                }
            }
        }
        if remote.len() < SYNC_MAX {
            for t in &local {
                let gone = t.external_id.as_ref().is_some_and(|e| !seen.contains(e));
                if gone && t.status != TemplateStatus::Disabled {
                    let mut t = t.clone();
                    t.status = TemplateStatus::Disabled;
                    t.updated_at = now;
                    reusable::update_template(&mut tx, &t).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(reusable::list_templates(&mut self.store().read(), who.account_id, Some(connection_id), None).await?)
    }

    /// Applies Meta's template review notifications to the connection's templates; answers
    /// how many templates changed. Unknown templates are left for a sync.
    pub(crate) async fn apply_template_updates(
        &self,
        connection: &Connection,
        updates: &[TemplateReviewUpdate],
    ) -> Result<usize> {
        let mut changed = 0;
        for u in updates {
            let Some(status) = TemplateStatus::from_meta(&u.event) else {
                tracing::debug!(event = %u.event, "template notification without a status change ignored");
                continue;
            };
            let mut db = self.store().write();
            let found =
                reusable::template_by_external_id(&mut db, connection.account_id, connection.id, &u.external_id)
                    .await?;
            let Some(mut t) = found else { continue };
            t.status = status;
            t.rejection_reason = (status == TemplateStatus::Rejected).then(|| u.reason.clone()).flatten();
            t.updated_at = Timestamp::now();
            if reusable::update_template(&mut db, &t).await? {
                changed += 1;
            }
        }
        Ok(changed)
    }
}
