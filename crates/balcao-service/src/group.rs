//! Group commit: work items that arrive many at a time (inbound notifications, webhook
//! delivery outcomes) join a queue, and one drain task at a time takes everything queued and
//! commits it in one transaction, then answers each item. One transaction per item would make
//! the database's commit rate (and, on SQLite, its single writer) the ceiling; a group costs
//! about as much as one item.

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::oneshot;

use crate::Service;

/// A queued item and where its answer goes.
pub(crate) struct Pending<T, A> {
    pub item: T,
    pub reply: oneshot::Sender<A>,
}

/// The items waiting for a commit, and whether a drain task is at work.
pub(crate) struct GroupQueue<T, A> {
    state: Mutex<QueueState<T, A>>,
    /// Items taken, groups taken, and groups whose commit failed and whose items were then
    /// done one by one, since the start.
    items: AtomicU64,
    groups: AtomicU64,
    retried: AtomicU64,
}

struct QueueState<T, A> {
    pending: Vec<Pending<T, A>>,
    draining: bool,
}

impl<T, A> Default for GroupQueue<T, A> {
    fn default() -> Self {
        Self {
            state: Mutex::new(QueueState {
                pending: Vec::new(),
                draining: false,
            }),
            items: AtomicU64::new(0),
            groups: AtomicU64::new(0),
            retried: AtomicU64::new(0),
        }
    }
}

impl<T, A> GroupQueue<T, A> {
    fn lock(&self) -> std::sync::MutexGuard<'_, QueueState<T, A>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Items taken into groups, groups taken, and groups retried item by item, since the start.
    pub(crate) fn counts(&self) -> (u64, u64, u64) {
        let load = |n: &AtomicU64| n.load(Ordering::Relaxed);
        (load(&self.items), load(&self.groups), load(&self.retried))
    }

    /// Notes that a group's commit failed and its items are done one by one.
    pub(crate) fn retrying(&self) {
        self.retried.fetch_add(1, Ordering::Relaxed);
    }
}

/// A kind of work committed in groups.
pub(crate) trait Grouped: Send + Sync + 'static {
    type Item: Send + 'static;
    type Answer: Send + 'static;
    /// The most weight one group carries; a longer queue is drained in several groups.
    const LIMIT: usize;
    /// This kind's queue.
    fn queue(service: &Service) -> &GroupQueue<Self::Item, Self::Answer>;
    /// How much of the limit an item takes.
    fn weight(item: &Self::Item) -> usize;
    /// Commits a group and answers every item of it (an item left unanswered is told its
    /// work was not done).
    fn commit(service: &Service, group: Vec<Pending<Self::Item, Self::Answer>>) -> impl Future<Output = ()> + Send;
}

impl Service {
    /// Queues `item` for the next group of its kind and waits for its answer; `None` when the
    /// group's task went away without answering (it panicked).
    pub(crate) async fn grouped<G: Grouped>(&self, item: G::Item) -> Option<G::Answer> {
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut q = G::queue(self).lock();
            q.pending.push(Pending { item, reply });
            !std::mem::replace(&mut q.draining, true)
        };
        if start {
            let service = self.clone();
            tokio::spawn(async move { service.drain::<G>().await });
        }
        answer.await.ok()
    }

    /// Commits queued items, a group at a time, until the queue is empty. Each group runs in
    /// its own task: a caller that goes away does not cancel it, and should it panic, only
    /// its own items fail.
    async fn drain<G: Grouped>(&self) {
        loop {
            let group: Vec<Pending<G::Item, G::Answer>> = {
                let mut q = G::queue(self).lock();
                if q.pending.is_empty() {
                    q.draining = false;
                    return;
                }
                let mut weight = 0;
                let take = q
                    .pending
                    .iter()
                    .enumerate()
                    .take_while(|(i, p)| {
                        weight += G::weight(&p.item);
                        *i == 0 || weight <= G::LIMIT
                    })
                    .count();
                let queue = G::queue(self);
                queue.items.fetch_add(take as u64, Ordering::Relaxed);
                queue.groups.fetch_add(1, Ordering::Relaxed);
                q.pending.drain(..take).collect()
            };
            let service = self.clone();
            if let Err(e) = tokio::spawn(async move { G::commit(&service, group).await }).await {
                tracing::error!(error = %e, "a group commit failed");
            }
        }
    }
}
