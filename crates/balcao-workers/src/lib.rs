//! Balcão's background workers.
//!
//! The job runner claims due jobs from the database (sends through channels, fetches of
//! files customers sent, read receipts) and runs them concurrently through the service
//! layer, which records each outcome. Jobs live in the database, so several processes may run
//! workers against one PostgreSQL (claims skip each other's rows), and a process that dies
//! leaves its jobs to come due again when their lease ends.

use std::sync::Arc;
use std::time::Duration;

use balcao_core::Timestamp;
use balcao_service::Service;
use tokio::sync::{Semaphore, watch};
use tokio::task::{JoinHandle, JoinSet};

/// How the job runner works.
#[derive(Clone, Debug)]
pub struct WorkerSettings {
    /// Jobs run at once.
    pub concurrency: usize,
    /// Longest sleep between looks at the queue when nothing wakes the worker.
    pub idle_poll: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            concurrency: 32,
            idle_poll: Duration::from_secs(1),
        }
    }
}

/// The running background workers: the job runner, the outbox dispatcher (events into
/// webhook deliveries) and the delivery runner.
pub struct Workers {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Starts the job runner.
    pub fn spawn(service: Service, settings: WorkerSettings) -> Workers {
        let (stop, stopped) = watch::channel(false);
        let tasks = vec![
            tokio::spawn(run(service.clone(), settings.clone(), stopped.clone())),
            tokio::spawn(dispatch(service.clone(), stopped.clone())),
            tokio::spawn(deliver(service, settings, stopped)),
        ];
        Workers { stop, tasks }
    }

    /// Stops claiming jobs and waits for the running ones to finish, for up to `grace`; jobs
    /// still running then are dropped and come due again when their lease ends.
    pub async fn shutdown(self, grace: Duration) {
        let _ = self.stop.send(true);
        let deadline = tokio::time::Instant::now() + grace;
        for mut task in self.tasks {
            if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
                task.abort();
                tracing::warn!("work still running at shutdown: it runs again after its lease");
            }
        }
    }
}

async fn run(service: Service, settings: WorkerSettings, mut stopped: watch::Receiver<bool>) {
    let slots = Arc::new(Semaphore::new(settings.concurrency.max(1)));
    let mut running = JoinSet::new();
    loop {
        while running.try_join_next().is_some() {}
        if *stopped.borrow() {
            break;
        }
        let free = slots.available_permits();
        if free == 0 {
            tokio::select! {
                _ = running.join_next() => {}
                _ = stopped.changed() => {}
            }
            continue;
        }
        let claimed = match service.claim_jobs(u32::try_from(free).unwrap_or(u32::MAX)).await {
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::warn!(error = %e, "claiming jobs failed");
                idle(&service, &mut stopped, settings.idle_poll).await;
                continue;
            }
        };
        if claimed.is_empty() {
            let wait = match service.next_job_due().await {
                Ok(Some(due)) => {
                    let micros = (due.micros() - Timestamp::now().micros()).max(0);
                    Duration::from_micros(u64::try_from(micros).unwrap_or(0))
                        .clamp(Duration::from_millis(10), settings.idle_poll)
                }
                _ => settings.idle_poll,
            };
            idle(&service, &mut stopped, wait).await;
            continue;
        }
        for job in claimed {
            let Ok(permit) = slots.clone().try_acquire_owned() else {
                // Claimed no more than the free slots: cannot happen; give the job back.
                let _ = service.release_job(&job).await;
                continue;
            };
            let service = service.clone();
            running.spawn(async move {
                let _permit = permit;
                match service.run_job(&job).await {
                    Ok(outcome) => tracing::debug!(job = %job.id, kind = %job.kind, ?outcome, "job ran"),
                    // Left claimed: it comes due again when its lease ends.
                    Err(e) => tracing::warn!(job = %job.id, kind = %job.kind, error = %e, "job errored"),
                }
            });
        }
    }
    while running.join_next().await.is_some() {}
}

/// Sleeps up to `wait`, or until a job is queued or the runner is stopped.
async fn idle(service: &Service, stopped: &mut watch::Receiver<bool>, wait: Duration) {
    tokio::select! {
        () = service.jobs_queued() => {}
        () = tokio::time::sleep(wait) => {}
        _ = stopped.changed() => {}
    }
}

/// How often the dispatcher looks for new events in the outbox (events are written by many
/// use cases, and by other instances, so it polls; the look is one indexed read).
const DISPATCH_POLL: Duration = Duration::from_millis(100);

/// Turns outbox events into webhook deliveries, batch after batch.
async fn dispatch(service: Service, mut stopped: watch::Receiver<bool>) {
    loop {
        if *stopped.borrow() {
            break;
        }
        match service.dispatch_events(500).await {
            Ok(500) => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "dispatching events failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(DISPATCH_POLL) => {}
            _ = stopped.changed() => {}
        }
    }
}

/// Runs due webhook deliveries concurrently.
async fn deliver(service: Service, settings: WorkerSettings, mut stopped: watch::Receiver<bool>) {
    let slots = Arc::new(Semaphore::new(settings.concurrency.max(1)));
    let mut running = JoinSet::new();
    loop {
        while running.try_join_next().is_some() {}
        if *stopped.borrow() {
            break;
        }
        let free = slots.available_permits();
        if free == 0 {
            tokio::select! {
                _ = running.join_next() => {}
                _ = stopped.changed() => {}
            }
            continue;
        }
        let claimed = match service.claim_deliveries(u32::try_from(free).unwrap_or(u32::MAX)).await {
            Ok(list) => list,
            Err(e) => {
                tracing::warn!(error = %e, "claiming deliveries failed");
                Vec::new()
            }
        };
        if claimed.is_empty() {
            tokio::select! {
                () = service.deliveries_due() => {}
                () = tokio::time::sleep(settings.idle_poll) => {}
                _ = stopped.changed() => {}
            }
            continue;
        }
        for (delivery, webhook) in claimed {
            let Ok(permit) = slots.clone().try_acquire_owned() else {
                break;
            };
            let service = service.clone();
            running.spawn(async move {
                let _permit = permit;
                if let Err(e) = service.run_delivery(&delivery, &webhook).await {
                    // Left claimed: it comes due again when its lease ends.
                    tracing::warn!(delivery = %delivery.id, error = %e, "delivery errored");
                }
            });
        }
    }
    while running.join_next().await.is_some() {}
}
