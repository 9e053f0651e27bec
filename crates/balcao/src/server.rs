//! Assembling and running the server.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use balcao_service::{Bootstrap, Service};
use balcao_store::{Store, StoreOptions};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::Settings;

/// Opens the database named by the settings (creating the data folder for SQLite) and applies
/// pending migrations.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let url = settings.resolved_database_url();
    if settings.database_url.is_none() {
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("cannot create data folder {}", settings.data_dir.display()))?;
    }
    let store = Store::connect(&StoreOptions {
        url: url.clone(),
        max_connections: settings.database_max_connections,
    })
    .await
    .with_context(|| format!("cannot open database {}", balcao_store::redact_url(&url)))?;
    store.migrate().await.context("database migration failed")?;
    Ok(store)
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub service: Service,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Server {
    /// Asks the server to stop accepting connections and waits until in-flight requests have
    /// finished (or the grace period ran out).
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task.await.context("server task failed")?
    }

    /// Runs until `signal` resolves, then shuts down gracefully.
    pub async fn run_until(mut self, signal: impl Future<Output = ()>) -> anyhow::Result<()> {
        tokio::select! {
            () = signal => {
                tracing::info!("shutting down: finishing in-flight requests");
                self.shutdown().await
            }
            result = &mut self.task => result.context("server task failed")?,
        }
    }
}

/// Opens the store, runs the first-start bootstrap, binds `settings.listen` and starts serving.
pub async fn start(settings: Settings) -> anyhow::Result<Server> {
    let store = open_store(&settings).await?;
    tracing::info!(
        backend = ?store.kind(),
        database = %balcao_store::redact_url(&settings.resolved_database_url()),
        "database ready"
    );
    let service = Service::new(store.clone(), settings.service_settings())?;
    service.register_event_format(
        "digisac",
        std::sync::Arc::new(balcao_http::faces::digisac::hooks::DigisacFormat),
    );
    match service
        .bootstrap(
            &settings.account_name,
            &settings.admin_email,
            settings.admin_password.as_deref(),
        )
        .await
        .context("first-start bootstrap failed")?
    {
        Bootstrap::AlreadyDone => {}
        Bootstrap::Created(created) => match &created.generated_password {
            Some(password) => tracing::warn!(
                account_id = %created.account.id,
                admin_email = %created.admin.email,
                admin_password = %password,
                "first start: created the first account and its admin with a generated password \
                 (shown this once; change it after logging in)"
            ),
            None => tracing::info!(
                account_id = %created.account.id,
                admin_email = %created.admin.email,
                "first start: created the first account and its admin"
            ),
        },
    }

    let waker = tokio::spawn(wake_snoozed_tickets(service.clone()));
    let statistics = tokio::spawn(refresh_statistics(store.clone()));
    let hub = tokio::spawn(relay_events(service.clone()));
    let workers = settings
        .workers
        .then(|| balcao_workers::Workers::spawn(service.clone(), settings.worker_settings()));

    let listener = TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    let (closing, closing_rx) = tokio::sync::watch::channel(false);
    let app = balcao_http::router(service.clone(), settings.http_settings(), closing_rx);
    let (tx, rx) = oneshot::channel::<()>();
    let grace = Duration::from_secs(settings.shutdown_grace_secs);
    let task = tokio::spawn(async move {
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let serve = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                let _ = rx.await;
                let _ = closing.send(true);
                let _ = stop_tx.send(());
            });
        let deadline = async move {
            if stop_rx.await.is_ok() {
                tokio::time::sleep(grace).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            result = serve => result.context("HTTP server failed")?,
            () = deadline => tracing::warn!("grace period over: dropping unfinished requests"),
        }
        waker.abort();
        statistics.abort();
        hub.abort();
        if let Some(workers) = workers {
            workers.shutdown(grace).await;
        }
        store.close().await;
        Ok(())
    });
    tracing::info!(%addr, "listening");
    Ok(Server {
        addr,
        service,
        shutdown: Some(tx),
        task,
    })
}

/// Every few seconds, opens snoozed tickets whose time has come.
async fn wake_snoozed_tickets(service: Service) {
    let mut tick = ticker(Duration::from_secs(5));
    loop {
        tick.tick().await;
        loop {
            match service.wake_snoozed_tickets(200).await {
                Ok(200) => continue,
                Ok(_) => break,
                Err(err) => {
                    tracing::warn!(error = %err, "waking snoozed tickets failed");
                    break;
                }
            }
        }
    }
}

/// The clock of a background loop: a tick missed while the loop worked is not made up for.
fn ticker(period: Duration) -> tokio::time::Interval {
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick
}

/// Keeps the planner's statistics current as tables grow: at start and every 15 s (a look at
/// change counts unless a table changed much; see `Store::refresh_statistics`). A young
/// database grows fastest, and stale statistics there mean lookups reading whole tables.
async fn refresh_statistics(store: balcao_store::Store) {
    let mut tick = ticker(Duration::from_secs(15));
    loop {
        tick.tick().await;
        if let Err(err) = store.refresh_statistics().await {
            tracing::warn!(error = %err, "refreshing the planner's statistics failed");
        }
    }
}

/// Relays new outbox events to the realtime streams of this process: at once when this
/// process commits events, and every poll for those of other instances sharing the database.
async fn relay_events(service: Service) {
    let mut cursor = balcao_service::HubCursor::now();
    let mut written = service.store().events_written();
    let mut tick = ticker(balcao_service::HUB_POLL);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            changed = written.changed() => {
                if changed.is_err() {
                    return;
                }
            }
        }
        if let Err(err) = service.relay_events(&mut cursor).await {
            tracing::warn!(error = %err, "relaying events failed");
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
