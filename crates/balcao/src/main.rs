//! `balcao`: the server and its command line.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use balcao::server::{open_store, shutdown_signal};
use balcao::settings::LogFormat;
use balcao::{Settings, start};
use balcao_service::{NewAccount, Service, ServiceError};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "balcao", version, about = "Balcão: self-hosted customer-service platform")]
struct Cli {
    /// TOML configuration file (environment variables override it).
    #[arg(long, global = true, env = "BALCAO_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage accounts (tenants).
    Accounts {
        #[command(subcommand)]
        command: AccountsCommand,
    },
    /// Run a local simulator of a channel's API (for trying Balcão without the real channel).
    Sim {
        #[command(subcommand)]
        channel: SimCommand,
    },
    /// Start Balcão on a fresh data folder with the WhatsApp simulator and simulated customers
    /// writing in, and print how to log in and watch conversations arrive.
    Demo {
        /// Where Balcão listens.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// An empty or missing folder (default: a new folder under the system's temporary folder).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Simulated customers.
        #[arg(long, default_value_t = 3)]
        customers: usize,
        /// Seconds between the customers' messages.
        #[arg(long, default_value_t = 5)]
        every: u64,
    },
    /// Build a large, realistic account (contacts, tickets and messages over a year) on the
    /// configured database, for benchmarks and trying Balcão on months of data. Prints the
    /// account, its WhatsApp connection and a personal API token of its admin.
    Seed(balcao::seed::SeedOptions),
}

#[derive(Subcommand)]
enum SimCommand {
    /// Meta's WhatsApp Cloud API (Graph API): sends, media, phone-number info, signed webhooks.
    Whatsapp {
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: std::net::SocketAddr,
        /// Where notifications go (Balcão's `/webhooks/whatsapp/{connection_id}`); settable later.
        #[arg(long)]
        webhook_url: Option<String>,
    },
}

#[derive(Subcommand)]
enum AccountsCommand {
    /// Create an account with its first admin; prints the account's id last.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        admin_email: String,
        #[arg(long, env = "BALCAO_NEW_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: String,
        #[arg(long, default_value = "Admin")]
        admin_name: String,
    },
    /// List accounts: id, creation time, name.
    List,
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).init(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(err) => {
            eprintln!("balcao: configuration error: {err:#}");
            return ExitCode::from(2);
        }
    };
    init_tracing(settings.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("balcao: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command.unwrap_or(Command::Serve), settings)) {
        Ok(code) => code,
        Err(err) => {
            tracing::error!("{err:#}");
            eprintln!("balcao: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve => {
            let server = start(settings).await?;
            server.run_until(shutdown_signal()).await?;
            tracing::info!("stopped");
        }
        Command::Sim {
            channel: SimCommand::Whatsapp { listen, webhook_url },
        } => balcao::demo::simulate_whatsapp(listen, webhook_url).await?,
        Command::Demo {
            listen,
            data_dir,
            customers,
            every,
        } => {
            let options = balcao::demo::DemoOptions {
                listen,
                data_dir,
                customers,
                interval: std::time::Duration::from_secs(every.max(1)),
            };
            balcao::demo::demo(settings, options).await?;
        }
        Command::Seed(options) => {
            let store = open_store(&settings).await?;
            let service = Service::new(store.clone(), settings.service_settings())?;
            let result = balcao::seed::seed(&service, &store, &options).await;
            store.close().await;
            let seeded = result?;
            println!(
                "seeded {} contacts, {} tickets ({} active), {} messages in {:.1} s",
                options.contacts,
                options.tickets,
                seeded.open_tickets,
                options.messages,
                seeded.elapsed.as_secs_f64()
            );
            println!("account\t{}", seeded.account_id);
            println!("connection\t{}", seeded.connection_id);
            for d in &seeded.departments {
                println!("department\t{d}");
            }
            println!("token\t{}", seeded.token);
        }
        Command::Migrate => {
            let store = open_store(&settings).await?;
            store.close().await;
            println!("migrations applied");
        }
        Command::Accounts { command } => {
            let store = open_store(&settings).await?;
            let service = Service::new(store.clone(), settings.service_settings())?;
            let result = accounts(&service, command).await;
            store.close().await;
            return result;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn accounts(service: &Service, command: AccountsCommand) -> anyhow::Result<ExitCode> {
    match command {
        AccountsCommand::Create {
            name,
            admin_email,
            admin_password,
            admin_name,
        } => {
            let input = NewAccount {
                name: Some(name),
                admin_name: Some(admin_name),
                admin_email: Some(admin_email),
                admin_password: Some(admin_password),
            };
            match service.create_account(input).await {
                Ok((account, admin)) => {
                    println!("created account {:?} with admin {}", account.name, admin.email);
                    println!("{}", account.id);
                    Ok(ExitCode::SUCCESS)
                }
                Err(ServiceError::Validation(errors)) => {
                    for e in errors {
                        eprintln!("balcao: {}: {}", e.field.replace('_', "-"), e.message);
                    }
                    Ok(ExitCode::from(2))
                }
                Err(ServiceError::Conflict { message, .. }) => {
                    eprintln!("balcao: {message}");
                    Ok(ExitCode::from(2))
                }
                Err(other) => Err(other).context("cannot create the account"),
            }
        }
        AccountsCommand::List => {
            for account in service.list_accounts().await? {
                println!("{}\t{}\t{}", account.id, account.created_at, account.name);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
