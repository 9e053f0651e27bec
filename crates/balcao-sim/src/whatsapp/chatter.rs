//! Simulated customers chatting on their own, for demos.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use tokio::task::JoinHandle;

use super::control::last_sent_to;
use super::{Customer, WhatsappSim, png};

const TEXTS: &[&str] = &[
    "Oi, boa tarde! Tudo bem?",
    "Meu pedido ainda não chegou, podem verificar?",
    "Qual o prazo de entrega para Campinas?",
    "Vocês aceitam Pix?",
    "Gostaria de trocar um produto que veio com defeito.",
    "Obrigado pelo atendimento!",
    "Qual o horário de funcionamento da loja?",
    "O número do pedido é 48213.",
    "Consigo parcelar em 3x sem juros?",
    "Recebi a cobrança duas vezes no cartão 😕",
    "Ainda tem esse modelo no tamanho M?",
    "Pode me mandar a segunda via do boleto?",
    "Bom dia! Preciso falar com alguém do financeiro.",
    "Perfeito, muito obrigada!",
    "Hello, do you ship to Portugal?",
    "Hola, ¿tienen atención en español?",
];

const PLACES: &[(f64, f64, &str, &str)] = &[
    (
        -23.5614,
        -46.6559,
        "Avenida Paulista",
        "Av. Paulista, 1578 - Bela Vista, São Paulo - SP",
    ),
    (
        -22.9711,
        -43.1822,
        "Praia de Copacabana",
        "Av. Atlântica - Copacabana, Rio de Janeiro - RJ",
    ),
    (
        -19.9245,
        -43.9352,
        "Praça da Liberdade",
        "Praça da Liberdade - Funcionários, Belo Horizonte - MG",
    ),
    (
        -30.0277,
        -51.2287,
        "Mercado Público",
        "Largo Glênio Peres - Centro Histórico, Porto Alegre - RS",
    ),
];

const EMOJIS: &[&str] = &["👍", "❤️", "😂", "🙏", "😮", "😢"];

/// What a customer does next.
enum Action {
    Text(&'static str),
    Image([u8; 3], [u8; 3], &'static str),
    Location(usize),
    React(&'static str),
}

fn pick(rng: &mut StdRng) -> Action {
    match rng.gen_range(0..100) {
        0..70 => Action::Text(TEXTS[rng.gen_range(0..TEXTS.len())]),
        70..80 => {
            let captions = ["Olha a foto do produto", "Chegou assim 😕", "Segue o comprovante"];
            Action::Image(rng.r#gen(), rng.r#gen(), captions[rng.gen_range(0..captions.len())])
        }
        80..90 => Action::Location(rng.gen_range(0..PLACES.len())),
        _ => Action::React(EMOJIS[rng.gen_range(0..EMOJIS.len())]),
    }
}

async fn act(sim: &WhatsappSim, customer: &Customer, action: Action) -> anyhow::Result<String> {
    match action {
        Action::Text(text) => customer.send_text(text).await,
        Action::Image(from, to, caption) => {
            customer
                .send_image(png::gradient(96, 96, from, to), "image/png", Some(caption))
                .await
        }
        Action::Location(i) => {
            let (latitude, longitude, name, address) = PLACES[i];
            customer
                .send_location(latitude, longitude, Some(name), Some(address))
                .await
        }
        Action::React(emoji) => match last_sent_to(sim, customer.wa_id()) {
            Some(wamid) => customer.react(&wamid, Some(emoji)).await,
            None => customer.send_text(TEXTS[0]).await,
        },
    }
}

impl WhatsappSim {
    /// Makes the customers write in, one message every `interval` from a random one of them, with varied messages
    /// (text in Brazilian Portuguese mostly, sometimes an image, a location or a reaction to the last message the
    /// business sent them), until the returned handle is aborted. Delivery failures are logged and skipped.
    pub fn spawn_chatter(&self, customers: Vec<Customer>, interval: Duration) -> JoinHandle<()> {
        let sim = self.clone();
        tokio::spawn(async move {
            if customers.is_empty() {
                return;
            }
            let mut rng = StdRng::from_entropy();
            loop {
                tokio::time::sleep(interval).await;
                if sim.is_closed() {
                    return;
                }
                let customer = &customers[rng.gen_range(0..customers.len())];
                let action = pick(&mut rng);
                if let Err(error) = act(&sim, customer, action).await {
                    tracing::warn!(
                        wa_id = customer.wa_id(),
                        error = format!("{error:#}"),
                        "chatter message not delivered"
                    );
                }
            }
        })
    }
}
