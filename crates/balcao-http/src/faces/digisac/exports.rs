//! Digisac's exports: contacts as CSV, the ticket history as CSV, and one ticket's transcript
//! as text. CSV exports stream page by page, so memory stays flat however many rows match.

use std::collections::HashMap;

use axum::Router;
use axum::body::{Body as HttpBody, Bytes};
use axum::extract::{OriginalUri, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use balcao_core::query::{Cond, Op, Value as QValue};
use balcao_core::ticket::TicketField;
use balcao_service::{ListParams, Principal, TicketIncludes, TimelineOf};
use futures_util::stream;
use serde_json::{Map, Value};

use super::body::Body;
use super::fields::text;
use super::query::{parse_spec, spec_of};
use super::{Caller, DigisacError};
use crate::AppState;

pub const SERVED: &[(Method, &str)] = &[
    (Method::POST, "/api/v1/contacts/export/csv"),
    (Method::POST, "/api/v1/tickets/export"),
    (Method::POST, "/api/v1/tickets/export-history"),
    (Method::GET, "/pdf/tickets/{p0}/pt-BR"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/contacts/export/csv", post(contacts_csv))
        .route("/api/v1/tickets/export", post(ticket_transcript))
        .route("/api/v1/tickets/export-history", post(history_csv))
        .route("/pdf/tickets/{p0}/{p1}", axum::routing::get(ticket_pdf))
}

/// Rows per page read while streaming.
const EXPORT_PAGE: u64 = 500;

/// One CSV field, quoted when it must be (RFC 4180).
fn field(value: &str, delimiter: char) -> String {
    if value.contains([delimiter, '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

fn line(values: &[String], delimiter: char) -> String {
    let mut out = values
        .iter()
        .map(|v| field(v, delimiter))
        .collect::<Vec<_>>()
        .join(&delimiter.to_string());
    out.push_str("\r\n");
    out
}

fn delimiter(body: &Value) -> Result<char, DigisacError> {
    match text(body, "type").as_deref() {
        None | Some("comma") => Ok(','),
        Some("semiColon" | "semicolon") => Ok(';'),
        Some(other) => Err(DigisacError::bad_request(format!(
            "`type` is `comma` or `semiColon`, not `{other}`"
        ))),
    }
}

fn csv_response(
    name: &str,
    rows: impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        HttpBody::from_stream(rows),
    )
        .into_response()
}

/// Streams a CSV: `header`, then one chunk per page of `EXPORT_PAGE` rows that `page(offset)`
/// renders (with how many rows it held), until a page comes back short. A failure ends the
/// stream with an error (the client sees a cut-off download, never a partial success).
fn csv_stream<P, Fut>(
    header: String,
    page: P,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static
where
    P: FnMut(u64) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<(String, u64), DigisacError>> + Send,
{
    struct Pages<P> {
        page: P,
        offset: u64,
        header: Option<String>,
        done: bool,
    }
    let start = Pages {
        page,
        offset: 0,
        header: Some(header),
        done: false,
    };
    stream::unfold(start, |mut p| async move {
        if let Some(h) = p.header.take() {
            return Some((Ok(Bytes::from(h)), p));
        }
        if p.done {
            return None;
        }
        match (p.page)(p.offset).await {
            Ok((chunk, rows)) => {
                p.offset += rows;
                p.done = rows < EXPORT_PAGE;
                (rows > 0).then(|| (Ok(Bytes::from(chunk)), p))
            }
            Err(e) => {
                p.done = true;
                Some((Err(std::io::Error::other(e.message)), p))
            }
        }
    })
}

/// `POST /contacts/export/csv` with a list request (`where`, `include`, `order`) and `type`
/// (`comma` or `semiColon`): every matching contact, whatever `page`/`perPage` say.
async fn contacts_csv(
    State(state): State<AppState>,
    Caller(who): Caller,
    Body(body): Body,
) -> Result<Response, DigisacError> {
    let delimiter = delimiter(&body)?;
    let mut spec_body: Map<String, Value> = body.as_object().cloned().unwrap_or_default();
    spec_body.remove("page");
    spec_body.insert("perPage".into(), Value::from(super::query::PER_PAGE_MAX));
    let mut query = parse_spec(&super::contacts::MODEL, &spec_body, who.account_id.0)?.query;
    query.limit = EXPORT_PAGE;
    let header = line(
        &[
            "id",
            "name",
            "internalName",
            "alternativeName",
            "number",
            "email",
            "service",
            "tags",
            "note",
            "createdAt",
        ]
        .map(str::to_owned),
        delimiter,
    );
    let rows = csv_stream(header, move |offset| {
        let (state, who, mut query) = (state.clone(), who.clone(), query.clone());
        async move {
            query.offset = offset;
            let (contacts, _) = state.service.query_contacts(&who, &query).await?;
            let related = state
                .service
                .contact_relations(&who, &contacts, (true, true, false))
                .await?;
            let mut chunk = String::new();
            for c in &contacts {
                let tags: Vec<&str> = c
                    .tag_ids
                    .iter()
                    .filter_map(|t| related.tags.get(t))
                    .map(|t| t.label.as_str())
                    .collect();
                chunk.push_str(&line(
                    &[
                        c.id.0.to_string(),
                        c.name.clone(),
                        c.internal_name.clone().unwrap_or_default(),
                        c.alternative_name.clone().unwrap_or_default(),
                        c.phone.clone().unwrap_or_default(),
                        c.email.clone().unwrap_or_default(),
                        related
                            .connections
                            .get(&c.connection_id)
                            .map(|s| s.name.clone())
                            .unwrap_or_default(),
                        tags.join("|"),
                        c.note.clone().unwrap_or_default(),
                        c.created_at.to_rfc3339(),
                    ],
                    delimiter,
                ));
            }
            Ok((chunk, contacts.len() as u64))
        }
    });
    Ok(csv_response("contatos.csv", rows))
}

/// `POST /tickets/export-history?query=...`: every matching ticket as a CSV line.
async fn history_csv(
    State(state): State<AppState>,
    Caller(who): Caller,
    uri: OriginalUri,
    Body(body): Body,
) -> Result<Response, DigisacError> {
    let delimiter = delimiter(&body)?;
    let mut spec_map = spec_of(uri.query())?;
    if let Value::Object(extra) = &body {
        spec_map.extend(
            extra
                .iter()
                .filter(|(k, _)| *k != "type")
                .map(|(k, v)| (k.clone(), v.clone())),
        );
    }
    spec_map.remove("page");
    spec_map.remove("perPage");
    let mut query = parse_spec(&super::tickets::MODEL, &spec_map, who.account_id.0)?.query;
    query.limit = EXPORT_PAGE;
    let header = line(
        &[
            "protocol",
            "contact",
            "number",
            "department",
            "user",
            "isOpen",
            "startedAt",
            "endedAt",
            "ticketTime",
            "waitingTime",
        ]
        .map(str::to_owned),
        delimiter,
    );
    let rows = csv_stream(header, move |offset| {
        let (state, who, mut query) = (state.clone(), who.clone(), query.clone());
        async move {
            query.offset = offset;
            let (tickets, _) = state.service.query_tickets(&who, &query).await?;
            let asked = TicketIncludes {
                contact: true,
                department: true,
                user: true,
                ..TicketIncludes::default()
            };
            let related = state.service.ticket_related(&who, &tickets, asked).await?;
            let mut chunk = String::new();
            for t in &tickets {
                let contact = related.contacts.get(&t.contact_id);
                let v = super::views::ticket(t);
                let n = |key: &str| v[key].as_u64().map(|x| x.to_string()).unwrap_or_default();
                chunk.push_str(&line(
                    &[
                        t.protocol.clone(),
                        contact
                            .map(|c| c.internal_name.clone().unwrap_or_else(|| c.name.clone()))
                            .unwrap_or_default(),
                        contact.and_then(|c| c.phone.clone()).unwrap_or_default(),
                        t.department_id
                            .and_then(|d| related.departments.get(&d))
                            .map(|d| d.name.clone())
                            .unwrap_or_default(),
                        t.user_id
                            .and_then(|u| related.users.get(&u))
                            .map(|u| u.name.clone())
                            .unwrap_or_default(),
                        (t.status != balcao_core::TicketStatus::Resolved).to_string(),
                        t.started_at.to_rfc3339(),
                        t.ended_at.map(|x| x.to_rfc3339()).unwrap_or_default(),
                        n("ticketTime"),
                        n("waitingTime"),
                    ],
                    delimiter,
                ));
            }
            Ok((chunk, tickets.len() as u64))
        }
    });
    Ok(csv_response("historico-de-chamados.csv", rows))
}

/// The ticket with this protocol, and its timeline as text lines.
pub(super) async fn transcript(
    state: &AppState,
    who: &Principal,
    ticket: &balcao_core::Ticket,
) -> Result<Vec<String>, DigisacError> {
    let contact = state.service.get_contact(who, ticket.contact_id).await?;
    let customer = contact.internal_name.clone().unwrap_or_else(|| contact.name.clone());
    let mut users: HashMap<balcao_core::UserId, String> = HashMap::new();
    let mut lines = Vec::new();
    let mut after = None;
    loop {
        let page = state
            .service
            .timeline(
                who,
                TimelineOf::Ticket(ticket.id),
                ListParams {
                    after,
                    cursor: None,
                    limit: Some(100),
                },
            )
            .await?;
        for m in &page.items {
            let author = match (m.direction, m.user_id) {
                (balcao_core::Direction::Inbound, _) => customer.clone(),
                (_, Some(u)) => match users.get(&u) {
                    Some(name) => name.clone(),
                    None => {
                        let name = state
                            .service
                            .get_user(who, u)
                            .await
                            .map(|x| x.name)
                            .unwrap_or_else(|_| "—".into());
                        users.insert(u, name.clone());
                        name
                    }
                },
                _ if m.origin == balcao_core::Origin::Bot => "Robô".into(),
                _ => "Sistema".into(),
            };
            let when = m.created_at.to_datetime().format("%d/%m/%Y %H:%M:%S");
            let body = match m.kind {
                balcao_core::MessageType::TicketEvent => {
                    let action = m
                        .payload
                        .as_ref()
                        .and_then(|p| p["action"].as_str())
                        .unwrap_or_default();
                    format!("— {} —", action_label(action))
                }
                balcao_core::MessageType::Note => format!("(nota interna) {}", m.text.clone().unwrap_or_default()),
                balcao_core::MessageType::Text => m.text.clone().unwrap_or_default(),
                other => match &m.text {
                    Some(t) => format!("[{}] {t}", other.as_str()),
                    None => format!("[{}]", other.as_str()),
                },
            };
            lines.push(format!("[{when}] {author}: {body}"));
        }
        match page.next_after {
            Some(a) => after = Some(a),
            None => return Ok(lines),
        }
    }
}

/// A ticket history action in Portuguese, as the transcript shows it.
fn action_label(action: &str) -> &'static str {
    match action {
        "opened" => "chamado aberto",
        "transferred" => "chamado transferido",
        "assigned" => "chamado atribuído",
        "closed" => "chamado encerrado",
        "reopened" => "chamado reaberto",
        "snoozed" => "chamado adiado",
        "woke" => "chamado retomado",
        "priority_changed" => "prioridade alterada",
        _ => "evento do chamado",
    }
}

/// `POST /tickets/export {protocol}`: the ticket's transcript as text.
async fn ticket_transcript(
    State(state): State<AppState>,
    Caller(who): Caller,
    Body(body): Body,
) -> Result<Response, DigisacError> {
    let protocol = text(&body, "protocol").ok_or_else(|| DigisacError::bad_request("`protocol` is required"))?;
    let query = balcao_core::query::Query {
        cond: Cond::Cmp {
            field: TicketField::Protocol,
            op: Op::Eq,
            value: QValue::Text(protocol.trim().to_owned()),
        },
        order: Vec::new(),
        offset: 0,
        limit: 1,
    };
    let (found, _) = state.service.query_tickets(&who, &query).await?;
    let ticket = found
        .into_iter()
        .next()
        .ok_or_else(|| DigisacError::new(StatusCode::NOT_FOUND, "Not found."))?;
    let mut out = format!("Chamado {}\r\n", ticket.protocol);
    for l in transcript(&state, &who, &ticket).await? {
        out.push_str(&l);
        out.push_str("\r\n");
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"chamado-{}.txt\"", ticket.protocol),
            ),
        ],
        out,
    )
        .into_response())
}

/// `GET /pdf/tickets/{id}/{lng}`: the ticket's transcript as a PDF.
async fn ticket_pdf(
    State(state): State<AppState>,
    Caller(who): Caller,
    axum::extract::Path((raw, _lng)): axum::extract::Path<(String, String)>,
) -> Result<Response, DigisacError> {
    let id = super::fields::parse_path_id(&raw)?;
    let ticket = state.service.get_ticket(&who, balcao_core::TicketId(id)).await?;
    let lines = transcript(&state, &who, &ticket).await?;
    let pdf = super::pdf::document(&format!("Chamado {}", ticket.protocol), &lines);
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"chamado-{}.pdf\"", ticket.protocol),
            ),
        ],
        pdf,
    )
        .into_response())
}
