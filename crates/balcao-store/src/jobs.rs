//! Background jobs: at-least-once work that outlives a request (channel sends, media fetches,
//! read receipts). A job is inserted in the transaction that makes it necessary, so a send
//! is never lost between "stored" and "queued".
//!
//! A worker claims due jobs by moving their `run_at` past a lease; a worker that dies lets
//! them come due again when the lease ends. Jobs with the same `queue_key` run strictly one
//! after the other, oldest first: only the oldest job of a key can be claimed, so a contact's
//! messages leave in the order they were written even when one of them is retried.

use balcao_core::{AccountId, ConnectionId, Timestamp};
use sea_query::{Expr, Iden, OnConflict, Query};
use sea_query_binder::SqlxValues;
use serde_json::Value;
use uuid::Uuid;

use crate::db::{PerBackend, execute, fetch_all_per_backend};
use crate::{Exec, Result, StoreError};

#[derive(Iden)]
enum Jobs {
    Table,
    Id,
    AccountId,
    ConnectionId,
    Kind,
    SubjectId,
    QueueKey,
    Payload,
    RunAt,
    LastError,
    CreatedAt,
}

/// A job to insert.
#[derive(Clone, Debug, PartialEq)]
pub struct NewJob {
    pub account_id: AccountId,
    pub connection_id: ConnectionId,
    /// What to do (`send`, `fetch_media`, `mark_read`, ...).
    pub kind: &'static str,
    /// What it is about (a message): one job per kind and subject.
    pub subject_id: Uuid,
    /// Jobs with the same key run one at a time, oldest first.
    pub queue_key: Uuid,
    pub payload: Value,
    pub run_at: Timestamp,
}

/// A claimed job.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    pub id: Uuid,
    pub account_id: AccountId,
    pub connection_id: ConnectionId,
    pub kind: String,
    pub subject_id: Uuid,
    pub queue_key: Uuid,
    pub payload: Value,
    /// Tries so far, this one included.
    pub attempts: i64,
    pub created_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: Uuid,
    account_id: Uuid,
    connection_id: Uuid,
    kind: String,
    subject_id: Uuid,
    queue_key: Uuid,
    payload: String,
    attempts: i64,
    created_at: i64,
}

impl TryFrom<JobRow> for Job {
    type Error = StoreError;

    fn try_from(r: JobRow) -> Result<Job> {
        Ok(Job {
            id: r.id,
            account_id: AccountId(r.account_id),
            connection_id: ConnectionId(r.connection_id),
            kind: r.kind,
            subject_id: r.subject_id,
            queue_key: r.queue_key,
            payload: serde_json::from_str(&r.payload).map_err(|e| StoreError::Corrupt {
                table: "jobs",
                detail: e.to_string(),
            })?,
            attempts: r.attempts,
            created_at: Timestamp::from_micros(r.created_at),
        })
    }
}

/// Inserts jobs; a job whose kind and subject are already queued is left out (enqueueing is
/// idempotent).
pub async fn enqueue(db: &mut impl Exec, jobs: &[NewJob]) -> Result<()> {
    if jobs.is_empty() {
        return Ok(());
    }
    let now = Timestamp::now().micros();
    let mut stmt = Query::insert();
    stmt.into_table(Jobs::Table)
        .columns([
            Jobs::Id,
            Jobs::AccountId,
            Jobs::ConnectionId,
            Jobs::Kind,
            Jobs::SubjectId,
            Jobs::QueueKey,
            Jobs::Payload,
            Jobs::RunAt,
            Jobs::CreatedAt,
        ])
        .on_conflict(
            OnConflict::columns([Jobs::Kind, Jobs::SubjectId])
                .do_nothing()
                .to_owned(),
        );
    for j in jobs {
        stmt.values_panic([
            Uuid::now_v7().into(),
            j.account_id.0.into(),
            j.connection_id.0.into(),
            j.kind.into(),
            j.subject_id.into(),
            j.queue_key.into(),
            j.payload.to_string().into(),
            j.run_at.micros().into(),
            now.into(),
        ]);
    }
    execute(db, &stmt).await?;
    Ok(())
}

/// Which jobs may run: those of unarchived connections that are connected (a file sent by a
/// customer is fetched whatever the connection's state).
macro_rules! claimable {
    () => {
        "c.archived_at IS NULL AND (c.status = 'connected' OR j.kind = 'fetch_media')"
    };
}

/// The due jobs a claim takes: the oldest of each queue key, claimable, by due time.
macro_rules! due {
    ($now:literal, $limit:literal, $lock:literal) => {
        concat!(
            "SELECT j.id FROM jobs j JOIN connections c ON c.id = j.connection_id WHERE j.run_at <= ",
            $now,
            " AND ",
            claimable!(),
            " AND NOT EXISTS (SELECT 1 FROM jobs e WHERE e.queue_key = j.queue_key AND e.id < j.id) \
             ORDER BY j.run_at, j.id LIMIT ",
            $limit,
            $lock
        )
    };
}

const CLAIM: PerBackend = PerBackend {
    sqlite: concat!(
        "UPDATE jobs SET run_at = ?, attempts = attempts + 1 WHERE id IN (",
        due!("?", "?", ""),
        ") RETURNING id, account_id, connection_id, kind, subject_id, queue_key, payload, attempts, created_at"
    ),
    postgres: concat!(
        "UPDATE jobs SET run_at = $1, attempts = attempts + 1 WHERE id IN (",
        due!("$2", "$3", " FOR UPDATE OF j SKIP LOCKED"),
        ") RETURNING id, account_id, connection_id, kind, subject_id, queue_key, payload, attempts, created_at"
    ),
};

/// Claims up to `limit` due jobs for a lease ending at `lease_until`: the oldest job of each
/// queue key, of connections that are connected and not archived (media fetches run whatever
/// the connection's state). Several workers, in one process or many, never claim the same job
/// (PostgreSQL skips rows another claim holds; SQLite has a single writer).
pub async fn claim(db: &mut impl Exec, now: Timestamp, lease_until: Timestamp, limit: u32) -> Result<Vec<Job>> {
    let values = vec![
        lease_until.micros().into(),
        now.micros().into(),
        i64::from(limit).into(),
    ];
    let rows: Vec<JobRow> = fetch_all_per_backend(db, &CLAIM, values).await?;
    let mut jobs = rows.into_iter().map(Job::try_from).collect::<Result<Vec<_>>>()?;
    jobs.sort_by_key(|j| j.id);
    Ok(jobs)
}

/// Removes a finished job (done, or failed for good: its outcome lives on its subject).
pub async fn finish(db: &mut impl Exec, id: Uuid) -> Result<()> {
    let stmt = Query::delete()
        .from_table(Jobs::Table)
        .and_where(Expr::col(Jobs::Id).eq(id))
        .to_owned();
    execute(db, &stmt).await?;
    Ok(())
}

/// Schedules another try at `run_at`, remembering why this one failed and, when given, a new
/// payload (what the failed try already achieved, such as an upload).
pub async fn retry(
    db: &mut impl Exec,
    id: Uuid,
    run_at: Timestamp,
    error: &str,
    payload: Option<&Value>,
) -> Result<()> {
    let mut stmt = Query::update();
    stmt.table(Jobs::Table)
        .value(Jobs::RunAt, run_at.micros())
        .value(Jobs::LastError, error)
        .and_where(Expr::col(Jobs::Id).eq(id));
    if let Some(p) = payload {
        stmt.value(Jobs::Payload, p.to_string());
    }
    execute(db, &stmt).await?;
    Ok(())
}

/// When the next claimable job comes due (for a worker deciding how long to sleep).
pub async fn next_due(db: &mut impl Exec) -> Result<Option<Timestamp>> {
    const SQL: &str = concat!(
        "SELECT MIN(j.run_at) FROM jobs j JOIN connections c ON c.id = j.connection_id WHERE ",
        claimable!()
    );
    let row: Option<(Option<i64>,)> = db
        .fetch_optional_raw(SQL, SqlxValues(sea_query::Values(Vec::new())))
        .await?;
    Ok(row.and_then(|(t,)| t).map(Timestamp::from_micros))
}
