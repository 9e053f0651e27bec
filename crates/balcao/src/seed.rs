//! `balcao seed`: a large, realistic account built fast, for benchmarks and trying the web app
//! on months of data.
//!
//! The account, its admin, departments, agents, the WhatsApp connection and a personal API
//! token go through the service (validated, hashed, as an admin would make them). Contacts,
//! tickets and messages are written straight through the store's bulk inserts, in large
//! transactions, as an import would: they raise no events and call no webhooks.
//!
//! The data is deterministic for a given `--seed`: a year (by default) of tickets opened at an
//! even pace, each by a new customer or a returning one, with a conversation of alternating
//! customer and agent messages; tickets of the last days are still open, some unassigned.

use std::time::Instant;

use anyhow::{Context, bail};
use balcao_core::text::folded;
use balcao_core::{
    AccountId, ConnectionId, Contact, ContactId, DeliveryStatus, DepartmentId, Direction, Message, MessageId,
    MessageType, Origin, Ticket, TicketId, TicketStatus, Timestamp, UserId,
};
use balcao_service::{NewConnection, NewDepartment, NewToken, NewUser, Principal, Service};
use balcao_store::{Store, contacts, messages, tickets};
use serde_json::json;
use uuid::Uuid;

/// How big an account `balcao seed` builds (its command-line arguments).
#[derive(Clone, Debug, clap::Args)]
pub struct SeedOptions {
    #[arg(long, default_value_t = 100_000)]
    pub contacts: usize,
    #[arg(long, default_value_t = 200_000)]
    pub tickets: usize,
    #[arg(long, default_value_t = 2_000_000)]
    pub messages: usize,
    #[arg(long, default_value_t = 8)]
    pub departments: usize,
    #[arg(long, default_value_t = 40)]
    pub agents: usize,
    /// Days from the first ticket to now.
    #[arg(long, default_value_t = 365)]
    pub days: u32,
    /// Tickets opened in the last this many days (each its contact's latest) are still active.
    #[arg(long, default_value_t = 7)]
    pub open_days: u32,
    /// The same seed builds the same account.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, default_value = "Loja Exemplo")]
    pub account_name: String,
    #[arg(long, default_value = "admin@loja.example")]
    pub admin_email: String,
    #[arg(
        long,
        env = "BALCAO_NEW_ADMIN_PASSWORD",
        hide_env_values = true,
        default_value = "seeded-admin-password"
    )]
    pub admin_password: String,
}

/// What was made: printed for people and read by the benchmark scripts.
#[derive(Debug)]
pub struct Seeded {
    pub account_id: AccountId,
    pub connection_id: ConnectionId,
    pub token: String,
    pub departments: Vec<DepartmentId>,
    pub open_tickets: usize,
    pub elapsed: std::time::Duration,
}

/// A small, fast, deterministic generator (SplitMix64): the same seed gives the same account
/// (and the benchmarks ask the same things on every run).
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    pub fn pick<'a, T>(&mut self, list: &'a [T]) -> &'a T {
        &list[self.below(list.len() as u64) as usize]
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const FIRST_NAMES: &[&str] = &[
    "Ana",
    "Bruno",
    "Carla",
    "Daniel",
    "Eduarda",
    "Felipe",
    "Gabriela",
    "Heitor",
    "Isabela",
    "João",
    "Larissa",
    "Marcos",
    "Natália",
    "Otávio",
    "Paula",
    "Rafael",
    "Sabrina",
    "Thiago",
    "Vanessa",
    "Wesley",
    "Juliana",
    "Lucas",
    "Mariana",
    "Pedro",
    "Beatriz",
    "Gustavo",
    "Camila",
    "Rodrigo",
    "Fernanda",
    "Vinícius",
];
const LAST_NAMES: &[&str] = &[
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Rodrigues",
    "Ferreira",
    "Alves",
    "Pereira",
    "Lima",
    "Gomes",
    "Costa",
    "Ribeiro",
    "Martins",
    "Carvalho",
    "Almeida",
    "Lopes",
    "Soares",
    "Fernandes",
    "Vieira",
    "Barbosa",
    "Rocha",
    "Dias",
    "Nascimento",
    "Andrade",
    "Moreira",
    "Nunes",
    "Marques",
    "Machado",
    "Mendes",
    "Freitas",
];
const AREA_CODES: &[u32] = &[
    11, 12, 13, 19, 21, 24, 27, 31, 41, 47, 48, 51, 61, 62, 71, 81, 85, 91, 92, 98,
];
const DEPARTMENTS: &[&str] = &[
    "Vendas",
    "Suporte",
    "Financeiro",
    "Trocas e devoluções",
    "Entregas",
    "Pós-venda",
    "Cobrança",
    "Ouvidoria",
];
const CUSTOMER_OPENINGS: &[&str] = &[
    "Oi, boa tarde!",
    "Olá, bom dia",
    "Boa noite, tudo bem?",
    "Oi, preciso de ajuda",
    "Olá! Uma dúvida",
];
const CUSTOMER_TOPICS: &[&str] = &[
    "meu pedido ainda não chegou",
    "quero trocar o tamanho da camiseta",
    "o boleto venceu, podem gerar outro?",
    "a entrega está atrasada desde segunda",
    "recebi o produto com defeito",
    "qual o prazo de entrega para o interior?",
    "como faço para cancelar a compra?",
    "o cartão foi cobrado duas vezes",
    "vocês têm o tênis no número 42?",
    "queria saber do reembolso",
    "o cupom de desconto não funcionou",
    "posso retirar na loja física?",
    "a nota fiscal não veio no e-mail",
    "o aplicativo não abre depois da atualização",
    "quero mudar o endereço de entrega",
    "a garantia cobre a tela quebrada?",
];
const CUSTOMER_FOLLOW_UPS: &[&str] = &[
    "Obrigado!",
    "Certo, vou aguardar",
    "Mandei a foto agora",
    "Pode ser pelo pix?",
    "E quanto tempo demora?",
    "Perfeito, muito obrigada",
    "Ainda não recebi nada",
    "Segue o comprovante",
    "Consegue verificar de novo?",
    "Ok, combinado",
];
const AGENT_REPLIES: &[&str] = &[
    "Olá! Vou verificar para você, um momento por favor.",
    "Pode me informar o número do pedido?",
    "Já encaminhei para a transportadora, o prazo é de até 3 dias úteis.",
    "Gerei um novo boleto e enviei para o seu e-mail.",
    "Sinto muito pelo transtorno, vamos resolver hoje.",
    "A troca foi aprovada, a coleta será agendada.",
    "O reembolso cai em até 5 dias úteis na fatura.",
    "Confirmei aqui: o pagamento foi estornado.",
    "Pode enviar uma foto do produto, por favor?",
    "Posso ajudar em mais alguma coisa?",
    "Atendimento encerrado. Obrigado pelo contato!",
];

/// One ticket of the plan: who, when, how long, how many messages.
struct PlannedTicket {
    contact: u32,
    started: i64,
    /// Time of the last message.
    last: i64,
    messages: u32,
    active: bool,
    department: u16,
    /// Index into the department's agents; `None`: unassigned.
    agent: Option<u16>,
}

fn id_at(micros: i64, rng: &mut Rng) -> Uuid {
    let ms = u64::try_from(micros / 1000).unwrap_or(0);
    let mut random = [0u8; 10];
    random[..8].copy_from_slice(&rng.next_u64().to_le_bytes());
    random[8..].copy_from_slice(&rng.next_u64().to_le_bytes()[..2]);
    uuid::Builder::from_unix_timestamp_millis(ms, &random).into_uuid()
}

/// Builds the account. `store` must be migrated; `service` runs on it.
pub async fn seed(service: &Service, store: &Store, o: &SeedOptions) -> anyhow::Result<Seeded> {
    if o.tickets < o.contacts {
        bail!("--tickets must be at least --contacts (every contact has a ticket)");
    }
    if o.messages < o.tickets.saturating_mul(2) {
        bail!("--messages must be at least twice --tickets (every ticket has a question and an answer)");
    }
    if o.departments == 0 || o.agents < o.departments {
        bail!("--agents must be at least --departments, and there must be one department or more");
    }
    let began = Instant::now();
    let mut rng = Rng(o.seed);

    let (account, _) = service
        .create_account(balcao_service::NewAccount {
            name: Some(o.account_name.clone()),
            admin_name: Some("Admin".into()),
            admin_email: Some(o.admin_email.clone()),
            admin_password: Some(o.admin_password.clone()),
        })
        .await
        .context("cannot create the account")?;
    let pair = service.login_password(&o.admin_email, &o.admin_password, None).await?;
    let admin: Principal = service.authenticate(Some(&pair.access_token), None).await?;

    let mut departments = Vec::with_capacity(o.departments);
    for i in 0..o.departments {
        let name = match DEPARTMENTS.get(i) {
            Some(n) => (*n).to_owned(),
            None => format!("Equipe {}", i + 1),
        };
        let d = service
            .create_department(&admin, NewDepartment { name: Some(name) })
            .await?;
        departments.push(d.id);
    }
    // Agents of each department (agent k works in department k mod D).
    let mut agents: Vec<Vec<UserId>> = vec![Vec::new(); o.departments];
    for k in 0..o.agents {
        let first = FIRST_NAMES[k % FIRST_NAMES.len()];
        let last = LAST_NAMES[(k / FIRST_NAMES.len() + k) % LAST_NAMES.len()];
        let user = service
            .create_user(
                &admin,
                NewUser {
                    name: Some(format!("{first} {last}")),
                    email: Some(format!("agente{}@{}", k + 1, domain_of(&o.admin_email))),
                    password: Some(o.admin_password.clone()),
                    role: Some("agent".into()),
                    department_ids: Some(vec![departments[k % o.departments].0]),
                },
            )
            .await?;
        agents[k % o.departments].push(user.id);
    }
    let connection = service
        .create_connection(
            &admin,
            NewConnection {
                kind: Some("whatsapp_cloud".into()),
                name: Some("WhatsApp".into()),
                default_department_id: Some(departments[0].0),
                settings: Some(json!({
                    "phone_number_id": "100000000000001", "waba_id": "200000000000001",
                    "access_token": "seeded-account", "app_secret": "seeded-account-secret",
                    "verify_token": "seeded"})),
            },
        )
        .await?;
    let token = service
        .create_token(
            &admin,
            NewToken {
                name: Some("seed".into()),
                allowed_domain: None,
                expires_at: None,
            },
        )
        .await?
        .secret;

    // The plan: tickets at an even pace over the period, each a new contact's or a returning one's.
    let now = Timestamp::now().micros();
    let span = i64::from(o.days.max(1)) * Timestamp::DAY_MICROS;
    let open_since = now - i64::from(o.open_days) * Timestamp::DAY_MICROS;
    let first_start = now - span;
    let step = span / o.tickets as i64;
    let per_ticket = o.messages / o.tickets;
    let extra = o.messages % o.tickets;
    let mut contact_first: Vec<i64> = Vec::with_capacity(o.contacts);
    let mut last_ticket_of: Vec<u32> = Vec::with_capacity(o.contacts);
    let mut plan: Vec<PlannedTicket> = Vec::with_capacity(o.tickets);
    let mut owed = 0usize;
    for i in 0..o.tickets {
        let started = first_start + step * i as i64 + rng.below(step.max(1) as u64) as i64;
        let left_to_make = (o.contacts - contact_first.len()) as u64;
        let contact = if contact_first.is_empty() || rng.below((o.tickets - i) as u64) < left_to_make {
            contact_first.push(started);
            last_ticket_of.push(i as u32);
            contact_first.len() - 1
        } else {
            let c = rng.below(contact_first.len() as u64) as usize;
            last_ticket_of[c] = i as u32;
            c
        };
        // Messages: the average, moved up on even tickets and down as much on the next one, so
        // the total is exact.
        let base = per_ticket + usize::from(i < extra);
        let count = if i % 2 == 0 && i + 1 < o.tickets {
            owed = rng.below(per_ticket.saturating_sub(2).min(6) as u64 + 1) as usize;
            base + owed
        } else {
            base - std::mem::take(&mut owed)
        };
        let minutes = 3 + rng.below(240) as i64;
        let last = (started + minutes * 60_000_000).min(now - 1_000_000);
        let department = rng.below(o.departments as u64) as u16;
        plan.push(PlannedTicket {
            contact: contact as u32,
            started,
            last,
            messages: count as u32,
            active: false,
            department,
            agent: Some(rng.below(agents[department as usize].len() as u64) as u16),
        });
    }
    // A ticket is still active when it is its contact's latest and opened in the last days.
    let mut open_tickets = 0;
    for &t in &last_ticket_of {
        let p = &mut plan[t as usize];
        if p.started >= open_since {
            p.active = true;
            open_tickets += 1;
            if rng.chance(30) {
                p.agent = None;
            }
        }
    }
    let total_messages: usize = plan.iter().map(|p| p.messages as usize).sum();
    tracing::info!(
        tickets = plan.len(),
        messages = total_messages,
        open_tickets,
        "seed planned"
    );

    // Contacts, in transactions of 10,000.
    let account_id = account.id;
    let connection_id = connection.id;
    let contact_ids: Vec<ContactId> = contact_first
        .iter()
        .map(|&at| ContactId(id_at(at - 1_000_000, &mut rng)))
        .collect();
    let mut phones = std::collections::HashSet::with_capacity(o.contacts);
    let mut rows = Vec::with_capacity(o.contacts);
    for (c, &first_at) in contact_first.iter().enumerate() {
        let phone = loop {
            let p = format!("55{}9{:08}", rng.pick(AREA_CODES), rng.below(100_000_000));
            if phones.insert(p.clone()) {
                break p;
            }
        };
        let last = &plan[last_ticket_of[c] as usize];
        let created = Timestamp::from_micros(first_at - 1_000_000);
        let first = *rng.pick(FIRST_NAMES);
        let last_name = *rng.pick(LAST_NAMES);
        let mut contact = Contact::bare(
            contact_ids[c],
            account_id,
            connection_id,
            format!("{first} {last_name}"),
            Some(phone.clone()),
            created,
        );
        contact.external_id = Some(phone);
        contact.email = rng
            .chance(40)
            .then(|| format!("{}.{}{}@exemplo.com.br", folded(first), folded(last_name), c));
        contact.last_message_at = Some(Timestamp::from_micros(last.last));
        contact.unread_count = i64::from(last.active);
        contact.updated_at = Timestamp::from_micros(last.last);
        rows.push(contact);
    }
    drop(phones);
    for chunk in rows.chunks(10_000) {
        let mut tx = store.begin().await?;
        contacts::insert_many(&mut tx, chunk).await?;
        tx.commit().await?;
    }
    drop(rows);
    tracing::info!(
        contacts = contact_ids.len(),
        elapsed_ms = began.elapsed().as_millis() as u64,
        "seeded contacts"
    );

    // Tickets and their messages, in transactions of 2,000 tickets.
    const TICKETS_PER_TX: usize = 2_000;
    let mut ticket_rows = Vec::with_capacity(TICKETS_PER_TX);
    let mut message_rows = Vec::with_capacity(TICKETS_PER_TX * (per_ticket + 8));
    let mut wamid = 0u64;
    for (chunk_no, chunk) in plan.chunks(TICKETS_PER_TX).enumerate() {
        for (k, p) in chunk.iter().enumerate() {
            let number = (chunk_no * TICKETS_PER_TX + k + 1) as i64;
            let ticket_id = TicketId(id_at(p.started, &mut rng));
            let contact_id = contact_ids[p.contact as usize];
            let department = departments[p.department as usize];
            let user = p.agent.map(|a| agents[p.department as usize][a as usize]);
            let n = p.messages as i64;
            let gap = ((p.last - p.started) / (n - 1).max(1)).max(1_000_000);
            let mut first_reply_at = None;
            let mut first_message = None;
            let mut last_message = None;
            let mut unread = 0;
            for j in 0..n {
                let at = if j == n - 1 {
                    p.last
                } else {
                    p.started + gap * j + rng.below(500_000) as i64
                };
                // The customer opens; then mostly alternating, the customer writing last in
                // tickets still waiting for an answer.
                let inbound = j == 0 || (j % 2 == 0) || (p.active && j == n - 1);
                let answered_by = if inbound {
                    None
                } else {
                    user.or(Some(agents[p.department as usize][0]))
                };
                let text = if inbound {
                    if j == 0 {
                        format!("{} {}", rng.pick(CUSTOMER_OPENINGS), rng.pick(CUSTOMER_TOPICS))
                    } else if rng.chance(20) {
                        format!("O número do pedido é {}", 100_000 + rng.below(900_000))
                    } else {
                        (*rng.pick(CUSTOMER_FOLLOW_UPS)).to_owned()
                    }
                } else {
                    (*rng.pick(AGENT_REPLIES)).to_owned()
                };
                let id = MessageId(id_at(at, &mut rng));
                wamid += 1;
                let status = match (inbound, p.active) {
                    (true, _) => None,
                    (false, false) => Some(DeliveryStatus::Read),
                    (false, true) => Some(DeliveryStatus::Delivered),
                };
                if !inbound && first_reply_at.is_none() {
                    first_reply_at = Some(Timestamp::from_micros(at));
                }
                if inbound {
                    unread += 1;
                } else {
                    unread = 0;
                }
                first_message.get_or_insert(id);
                last_message = Some(id);
                message_rows.push(Message {
                    id,
                    account_id,
                    connection_id,
                    contact_id,
                    ticket_id: Some(ticket_id),
                    direction: if inbound {
                        Direction::Inbound
                    } else {
                        Direction::Outbound
                    },
                    kind: MessageType::Text,
                    origin: if inbound { Origin::Contact } else { Origin::User },
                    user_id: answered_by,
                    text: Some(text),
                    payload: None,
                    quoted_message_id: None,
                    media_id: None,
                    status,
                    error_code: None,
                    error_text: None,
                    external_id: Some(format!("wamid.seed{wamid:010}")),
                    edited_at: None,
                    revoked_at: None,
                    created_at: Timestamp::from_micros(at),
                    updated_at: Timestamp::from_micros(at),
                });
            }
            let status = if !p.active {
                TicketStatus::Resolved
            } else if unread > 0 {
                TicketStatus::Open
            } else {
                TicketStatus::Pending
            };
            let ended = (!p.active).then(|| Timestamp::from_micros(p.last + 60_000_000));
            ticket_rows.push(Ticket {
                id: ticket_id,
                account_id,
                contact_id,
                connection_id,
                protocol: Ticket::protocol_for(Timestamp::from_micros(p.started), number),
                status,
                priority: if rng.chance(5) { 2 } else { 1 },
                department_id: Some(department),
                user_id: user,
                snoozed_until: None,
                started_at: Timestamp::from_micros(p.started),
                ended_at: ended,
                first_reply_at,
                first_message_id: first_message,
                last_message_id: last_message,
                unread_count: if p.active { unread } else { 0 },
                topic_ids: Vec::new(),
                custom_fields: Default::default(),
                created_at: Timestamp::from_micros(p.started),
                updated_at: ended.unwrap_or(Timestamp::from_micros(p.last)),
            });
        }
        let mut tx = store.begin().await?;
        tickets::insert_many(&mut tx, &ticket_rows).await?;
        messages::insert_many(&mut tx, &message_rows).await?;
        tx.commit().await?;
        ticket_rows.clear();
        message_rows.clear();
        if chunk_no % 10 == 9 {
            tracing::info!(
                tickets = (chunk_no + 1) * TICKETS_PER_TX,
                messages = wamid,
                elapsed_ms = began.elapsed().as_millis() as u64,
                "seeding"
            );
        }
    }
    let mut tx = store.begin().await?;
    tickets::raise_number(&mut tx, account_id, plan.len() as i64).await?;
    tx.commit().await?;
    store.analyze().await?;
    Ok(Seeded {
        account_id,
        connection_id,
        token,
        departments,
        open_tickets,
        elapsed: began.elapsed(),
    })
}

fn domain_of(email: &str) -> &str {
    email.rsplit_once('@').map_or("example.com", |(_, d)| d)
}
