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
    /// Webhook deliveries in flight at once (their outcomes are recorded in groups, so more
    /// in flight means fewer, larger transactions).
    pub delivery_concurrency: usize,
    /// Longest sleep between looks at the queue when nothing wakes the worker.
    pub idle_poll: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            concurrency: 32,
            delivery_concurrency: 64,
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
            tokio::spawn(drain(
                Jobs(service.clone()),
                settings.concurrency,
                settings.idle_poll,
                stopped.clone(),
            )),
            tokio::spawn(dispatch(service.clone(), stopped.clone())),
            tokio::spawn(drain(
                Deliveries(service),
                settings.delivery_concurrency,
                settings.idle_poll,
                stopped,
            )),
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

/// A table of due work (jobs, webhook deliveries) the runner drains.
trait Queue: Clone + Send + Sync + 'static {
    type Item: Send + 'static;
    /// Claims up to `n` due items for this runner.
    fn claim(&self, n: u32) -> impl std::future::Future<Output = Vec<Self::Item>> + Send;
    /// Runs one claimed item, recording its outcome.
    fn run(&self, item: Self::Item) -> impl std::future::Future<Output = ()> + Send;
    /// How long to sleep when nothing is due, at most `poll`.
    fn idle_for(&self, poll: Duration) -> impl std::future::Future<Output = Duration> + Send;
    /// Resolves when new work was queued in this process.
    fn queued(&self) -> impl std::future::Future<Output = ()> + Send;
}

/// Claims due items and runs them, up to `concurrency` at once, until stopped; then waits for
/// the running ones.
async fn drain<Q: Queue>(queue: Q, concurrency: usize, idle_poll: Duration, mut stopped: watch::Receiver<bool>) {
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut running = JoinSet::new();
    loop {
        while running.try_join_next().is_some() {}
        if *stopped.borrow() {
            break;
        }
        let free = slots.available_permits();
        // A claim is a write transaction: while work is running, claim in batches (a quarter
        // of the slots at least) rather than one item each time one finishes.
        if free == 0 || (free < concurrency / 4 && !running.is_empty()) {
            tokio::select! {
                _ = running.join_next() => {}
                _ = stopped.changed() => {}
            }
            continue;
        }
        let claimed = queue.claim(u32::try_from(free).unwrap_or(u32::MAX)).await;
        if claimed.is_empty() {
            let wait = queue.idle_for(idle_poll).await;
            tokio::select! {
                () = queue.queued() => {}
                () = tokio::time::sleep(wait) => {}
                _ = stopped.changed() => {}
            }
            continue;
        }
        for item in claimed {
            // No more items than free slots were claimed: a slot is there for each.
            let Ok(permit) = slots.clone().acquire_owned().await else {
                break;
            };
            let queue = queue.clone();
            running.spawn(async move {
                let _permit = permit;
                queue.run(item).await;
            });
        }
    }
    while running.join_next().await.is_some() {}
}

/// Channel jobs (sends, media fetches, read receipts).
#[derive(Clone)]
struct Jobs(Service);

impl Queue for Jobs {
    type Item = balcao_service::Job;

    async fn claim(&self, n: u32) -> Vec<Self::Item> {
        self.0.claim_jobs(n).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "claiming jobs failed");
            Vec::new()
        })
    }

    async fn run(&self, job: Self::Item) {
        match self.0.run_job(&job).await {
            Ok(outcome) => tracing::debug!(job = %job.id, kind = %job.kind, ?outcome, "job ran"),
            // Left claimed: it comes due again when its lease ends.
            Err(e) => tracing::warn!(job = %job.id, kind = %job.kind, error = %e, "job errored"),
        }
    }

    /// Until the next job comes due (retries are scheduled), within 10 ms and `poll`.
    async fn idle_for(&self, poll: Duration) -> Duration {
        match self.0.next_job_due().await {
            Ok(Some(due)) => {
                let micros = (due.micros() - Timestamp::now().micros()).max(0);
                Duration::from_micros(u64::try_from(micros).unwrap_or(0)).clamp(Duration::from_millis(10), poll)
            }
            _ => poll,
        }
    }

    async fn queued(&self) {
        self.0.jobs_queued().await;
    }
}

/// Webhook deliveries.
#[derive(Clone)]
struct Deliveries(Service);

impl Queue for Deliveries {
    type Item = (balcao_core::Delivery, balcao_core::Webhook);

    async fn claim(&self, n: u32) -> Vec<Self::Item> {
        self.0.claim_deliveries(n).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "claiming deliveries failed");
            Vec::new()
        })
    }

    async fn run(&self, (delivery, webhook): Self::Item) {
        if let Err(e) = self.0.run_delivery(&delivery, &webhook).await {
            // Left claimed: it comes due again when its lease ends.
            tracing::warn!(delivery = %delivery.id, error = %e, "delivery errored");
        }
    }

    async fn idle_for(&self, poll: Duration) -> Duration {
        poll
    }

    async fn queued(&self) {
        self.0.deliveries_due().await;
    }
}

/// How often the dispatcher looks for new events in the outbox written by other instances
/// sharing the database (this process's commits wake it at once: measured, small frequent
/// claims delay inbound groups less than claims of hundreds of events every 100 ms); the look
/// is one indexed read.
const DISPATCH_POLL: Duration = Duration::from_millis(100);

/// Turns outbox events into webhook deliveries, batch after batch.
async fn dispatch(service: Service, mut stopped: watch::Receiver<bool>) {
    let mut written = service.store().events_written();
    loop {
        if *stopped.borrow() {
            break;
        }
        written.mark_unchanged();
        match service.dispatch_events(500).await {
            Ok(500) => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "dispatching events failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(DISPATCH_POLL) => {}
            _ = written.changed() => {}
            _ = stopped.changed() => {}
        }
    }
}
