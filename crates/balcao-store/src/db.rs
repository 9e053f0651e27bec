//! Backends, pools, transactions and the [`Exec`] trait that lets every store function run
//! against either database, inside or outside a transaction.

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::watch;

use sea_query::{PostgresQueryBuilder, SqliteQueryBuilder};
use sea_query_binder::{SqlxBinder, SqlxValues};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{FromRow, PgPool, Postgres, Sqlite, SqlitePool};

use crate::{Result, StoreError};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    Sqlite,
    Postgres,
}

/// How to open the store.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// `sqlite://path/to/file.db` or `postgres://user@host:port/db`.
    pub url: String,
    /// Most connections a pool keeps (SQLite: readers; its writer is always one connection).
    pub max_connections: u32,
}

#[derive(Debug)]
enum Backend {
    /// SQLite allows one writer at a time: writes go through a single connection (so they
    /// queue in the process instead of failing busy), reads through a pool of readers.
    Sqlite {
        read: SqlitePool,
        write: Writer,
        checkpoints: Checkpoints,
    },
    Postgres(PgPool),
}

/// SQLite's one write connection, held by one writer (a transaction or a statement) at a time.
/// It is not in a pool: a pool returns a connection in a task of its own after a round trip to
/// the connection's thread (a check that it still answers), and the next writer waited for
/// both after every commit.
type Writer = Arc<tokio::sync::Mutex<WriterState>>;

#[derive(Debug)]
struct WriterState {
    /// `None` once the store is closed.
    conn: Option<sqlx::SqliteConnection>,
    /// A transaction was begun and neither committed nor rolled back (its [`Tx`] was dropped
    /// where it could not roll back): the next writer rolls it back first.
    open: bool,
    /// Wakes the checkpointer ([`Checkpoints`]) after writes; `true` once the store closes.
    wrote: Arc<watch::Sender<bool>>,
}

impl WriterState {
    fn conn(&mut self) -> Result<&mut sqlx::SqliteConnection, sqlx::Error> {
        self.conn.as_mut().ok_or(sqlx::Error::PoolClosed)
    }

    /// Runs fixed statements without values: `ROLLBACK`, maintenance. Boxed: the compiler
    /// cannot prove the unboxed future `Send` for every lifetime of the connection.
    fn control<'a>(
        &'a mut self,
        sql: &'static str,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<(), sqlx::Error>> + Send + 'a>> {
        Box::pin(async move {
            let conn = self.conn()?;
            sqlx::Executor::execute(conn, sql).await.map(|_| ())
        })
    }

    /// Rolls back what a dropped transaction left open. A transaction SQLite had already ended
    /// (a failed `COMMIT` may end it) answers that none is active, which is fine; after another
    /// error it stays marked, so the next writer tries again rather than write inside it.
    async fn settle(&mut self) -> Result<(), sqlx::Error> {
        if self.open {
            match self.control("ROLLBACK").await {
                Err(e) if !e.to_string().contains("no transaction is active") => return Err(e),
                _ => self.open = false,
            }
        }
        Ok(())
    }
}

/// Whether SQLite refused a `BEGIN` because a transaction is open (one left open without the
/// mark: the next writer rolls it back and begins again).
fn within_a_transaction(e: &sqlx::Error) -> bool {
    e.to_string().contains("within a transaction")
}

/// SQLite's checkpoints, on a connection of their own. A checkpoint copies the pages the
/// write-ahead log gathered back into the database file and syncs both; left to the writer
/// (`wal_autocheckpoint`), one ran inside every thousandth page's `COMMIT`, several
/// milliseconds during which no write could proceed (11 % of the time inbound groups took).
/// Here a task checkpoints after writes, at most every [`CHECKPOINT_EVERY`], in `PASSIVE`
/// mode: it copies what no reader still needs and never waits for the writer, which goes on
/// appending meanwhile. The writer still checkpoints once the log passes
/// [`WRITER_CHECKPOINT_PAGES`]: by then the task has copied most of it, and the log can only
/// start over from its beginning after a checkpoint that found nothing newer than itself,
/// which beside a busy writer only the writer's own achieves (without it the log grew to
/// 80 MB between restarts).
#[derive(Debug)]
struct Checkpoints {
    task: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// Least time between two checkpoints of the checkpointer.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);
/// Pages of write-ahead log past which the writer checkpoints itself.
const WRITER_CHECKPOINT_PAGES: &str = "4000";
/// Prepared statements the writer keeps (sqlx's default is 100).
const WRITER_STATEMENTS: usize = 400;
/// The log file is cut back to this size (bytes) when it starts over.
const WAL_SIZE_LIMIT: &str = "67108864";

impl Checkpoints {
    fn start(mut conn: sqlx::SqliteConnection, mut wrote: watch::Receiver<bool>) -> Checkpoints {
        let task = tokio::spawn(async move {
            // Until the store closes (`true`) or is dropped (the sender gone).
            while wrote.changed().await.is_ok() && !*wrote.borrow_and_update() {
                tokio::time::sleep(CHECKPOINT_EVERY).await;
                let done: Result<(i64, i64, i64), sqlx::Error> = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                    .fetch_one(&mut conn)
                    .await;
                match done {
                    Ok((_, log, copied)) => tracing::trace!(log, copied, "checkpoint"),
                    Err(e) => tracing::warn!(error = %e, "checkpoint failed"),
                }
            }
            if let Err(e) = sqlx::Connection::close(conn).await {
                tracing::warn!(error = %e, "closing the checkpoint connection failed");
            }
        });
        Checkpoints {
            task: std::sync::Mutex::new(Some(task)),
        }
    }

    /// Waits for the task to end (after the store's close signalled it).
    async fn stopped(&self) {
        let task = self.task.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(task) = task
            && let Err(e) = task.await
        {
            tracing::warn!(error = %e, "the checkpointer failed");
        }
    }
}

/// Takes the writer, with no transaction open.
async fn take_writer(writer: &Writer) -> Result<tokio::sync::OwnedMutexGuard<WriterState>, sqlx::Error> {
    let mut guard = writer.clone().lock_owned().await;
    guard.settle().await?;
    Ok(guard)
}

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    backend: Arc<Backend>,
    /// Statements run so far (a metric, and how tests prove a read costs a constant number of
    /// queries).
    statements: Arc<AtomicU64>,
    /// Counts commits that wrote outbox events, so the realtime hub and the webhook dispatcher
    /// of this process look at once instead of at their next poll.
    events: Arc<watch::Sender<u64>>,
}

/// How long a PostgreSQL connection may sit idle in the pool and still be used without a ping.
const PING_AFTER_IDLE: Duration = Duration::from_secs(30);

impl Store {
    /// Opens the database at `options.url`, creating an SQLite file when it is missing.
    pub async fn connect(options: &StoreOptions) -> Result<Store> {
        let url = options.url.as_str();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let connect = PgConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl(e.to_string()))?;
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections.max(1))
                .acquire_timeout(Duration::from_secs(10))
                // A connection is pinged before use only after it sat idle a while: pinging
                // every one cost a round trip per statement outside a transaction (and per
                // transaction), to guard against a server gone away meanwhile.
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for >= PING_AFTER_IDLE {
                            sqlx::Connection::ping(conn).await?;
                        }
                        Ok(true)
                    })
                })
                .connect_with(connect)
                .await?;
            Backend::Postgres(pool)
        } else if url.starts_with("sqlite:") {
            let connect = SqliteConnectOptions::from_str(url)
                .map_err(|e| StoreError::BadUrl(e.to_string()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("temp_store", "memory");
            let write = sqlx::ConnectOptions::connect(
                &connect
                    .clone()
                    .pragma("wal_autocheckpoint", WRITER_CHECKPOINT_PAGES)
                    .pragma("journal_size_limit", WAL_SIZE_LIMIT)
                    // Room for every statement a transaction may begin with, `BEGIN` joined
                    // to it (`SqliteTx`), besides the statements themselves.
                    .statement_cache_capacity(WRITER_STATEMENTS),
            )
            .await?;
            let (wrote, wakes) = watch::channel(false);
            let checkpoints = Checkpoints::start(sqlx::ConnectOptions::connect(&connect).await?, wakes);
            let write = Arc::new(tokio::sync::Mutex::new(WriterState {
                conn: Some(write),
                open: false,
                wrote: Arc::new(wrote),
            }));
            // SQLite's connections live in this process and cannot be lost: no ping before use
            // (each was a round trip to the connection's thread).
            let read = SqlitePoolOptions::new()
                .max_connections(options.max_connections.max(1))
                .acquire_timeout(Duration::from_secs(10))
                .test_before_acquire(false)
                .connect_with(connect.read_only(true))
                .await?;
            Backend::Sqlite {
                read,
                write,
                checkpoints,
            }
        } else {
            return Err(StoreError::BadUrl(format!(
                "unsupported scheme in `{}` (use sqlite:// or postgres://)",
                redact_url(url)
            )));
        };
        Ok(Store {
            backend: Arc::new(backend),
            statements: Arc::new(AtomicU64::new(0)),
            events: Arc::new(watch::Sender::new(0)),
        })
    }

    /// Statements run through this store (and its clones) since it was opened.
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Changes whenever this process commits outbox events (see [`Exec::wrote_events`]);
    /// events of other processes sharing the database are seen by polling.
    pub fn events_written(&self) -> watch::Receiver<u64> {
        self.events.subscribe()
    }

    pub fn kind(&self) -> BackendKind {
        match &*self.backend {
            Backend::Sqlite { .. } => BackendKind::Sqlite,
            Backend::Postgres(_) => BackendKind::Postgres,
        }
    }

    /// Applies pending migrations. Safe to run from several processes at once: PostgreSQL
    /// takes an advisory lock, SQLite's single writer serialises them.
    pub async fn migrate(&self) -> Result<()> {
        match &*self.backend {
            Backend::Sqlite { write, .. } => SQLITE_MIGRATIONS.run(take_writer(write).await?.conn()?).await?,
            Backend::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// Versions of the migrations built into this binary, for the given backend.
    pub fn migration_versions(kind: BackendKind) -> Vec<i64> {
        let migrator = match kind {
            BackendKind::Sqlite => &SQLITE_MIGRATIONS,
            BackendKind::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.iter().map(|m| m.version).collect()
    }

    /// A round trip to the database.
    pub async fn ping(&self) -> Result<()> {
        match &*self.backend {
            Backend::Sqlite { read, .. } => {
                sqlx::query("SELECT 1").execute(read).await?;
            }
            Backend::Postgres(pool) => {
                sqlx::query("SELECT 1").execute(pool).await?;
            }
        }
        Ok(())
    }

    /// Keeps the planner's statistics current as tables grow, so that lookups keep choosing
    /// their indexes. SQLite: `PRAGMA optimize` analyses the tables whose statistics are
    /// missing or whose size changed much, sampling a bounded number of rows per index.
    /// PostgreSQL: the tables changed by more than autovacuum's analyse threshold (50 rows plus
    /// a tenth) since their last analysis are analysed — autovacuum does this too when it is
    /// on, and then nothing is left to do. Cheap when nothing changed; run at start and every
    /// few seconds.
    pub async fn refresh_statistics(&self) -> Result<()> {
        match &*self.backend {
            Backend::Sqlite { write, .. } => {
                take_writer(write)
                    .await?
                    .control("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002")
                    .await?;
            }
            Backend::Postgres(pool) => {
                let stale: Vec<(String, String)> = sqlx::query_as(
                    "SELECT schemaname::text, relname::text FROM pg_stat_user_tables \
                     WHERE n_mod_since_analyze > 50 + 0.1 * n_live_tup",
                )
                .fetch_all(pool)
                .await?;
                for (schema, table) in stale {
                    sqlx::raw_sql(&format!("ANALYZE {}.{}", double_quoted(&schema), double_quoted(&table)))
                        .execute(pool)
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// Refreshes the planner's statistics after a bulk import, so that list queries keep
    /// choosing their indexes; on PostgreSQL also vacuums (index-only scans need the visibility
    /// map, and trigram indexes fold in their pending entries).
    pub async fn analyze(&self) -> Result<()> {
        match &*self.backend {
            Backend::Sqlite { write, .. } => {
                take_writer(write).await?.control("ANALYZE").await?;
            }
            Backend::Postgres(pool) => {
                sqlx::query("VACUUM ANALYZE").execute(pool).await?;
            }
        }
        Ok(())
    }

    /// Starts a transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`), so
    /// a transaction never fails half-way because another process wrote in between.
    pub async fn begin(&self) -> Result<Tx> {
        let inner = match &*self.backend {
            Backend::Sqlite { write, .. } => TxInner::Sqlite(SqliteTx::begin(take_writer(write).await?)),
            Backend::Postgres(pool) => TxInner::Postgres(PgTx {
                tx: pool.begin().await?,
                held: Vec::new(),
                hold_writes: false,
            }),
        };
        Ok(Tx {
            inner,
            statements: self.statements.clone(),
            events: self.events.clone(),
            wrote_events: false,
        })
    }

    /// Runs statements one by one, outside any transaction, on the readers.
    pub fn read(&self) -> Pool<'_> {
        Pool {
            backend: &self.backend,
            statements: &self.statements,
            events: &self.events,
            write: false,
        }
    }

    /// Runs single-statement writes outside any transaction.
    pub fn write(&self) -> Pool<'_> {
        Pool {
            backend: &self.backend,
            statements: &self.statements,
            events: &self.events,
            write: true,
        }
    }

    pub async fn close(&self) {
        match &*self.backend {
            Backend::Sqlite {
                read,
                write,
                checkpoints,
            } => {
                read.close().await;
                let mut writer = write.lock().await;
                writer.wrote.send_replace(true);
                checkpoints.stopped().await;
                if writer.settle().await.is_err() {
                    tracing::warn!("rolling back before closing failed");
                }
                if let Some(conn) = writer.conn.take()
                    && let Err(e) = sqlx::Connection::close(conn).await
                {
                    tracing::warn!(error = %e, "closing the write connection failed");
                }
            }
            Backend::Postgres(pool) => pool.close().await,
        }
    }
}

/// `postgres://user:secret@host/db` without the secret, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// A row type that decodes from both backends, owning its values.
pub trait AnyRow: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static {}
impl<T> AnyRow for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static {}

/// Something statements run on: a pool ([`Pool`]) or an open transaction ([`Tx`]).
pub trait Exec: Send {
    fn kind(&self) -> BackendKind;

    /// `plan`: whether PostgreSQL may reuse a plan made for other values ([`Plan`]).
    fn fetch_all_raw<T: AnyRow>(
        &mut self,
        sql: &str,
        values: SqlxValues,
        plan: Plan,
    ) -> impl Future<Output = Result<Vec<T>, sqlx::Error>> + Send;

    fn fetch_optional_raw<T: AnyRow>(
        &mut self,
        sql: &str,
        values: SqlxValues,
    ) -> impl Future<Output = Result<Option<T>, sqlx::Error>> + Send;

    /// Runs a statement and answers the number of rows it changed.
    fn execute_raw(&mut self, sql: &str, values: SqlxValues) -> impl Future<Output = Result<u64, sqlx::Error>> + Send;

    /// Notes that outbox events were written: signalled now outside a transaction, at commit
    /// inside one (a rolled-back transaction signals nothing).
    fn wrote_events(&mut self);
}

/// How PostgreSQL plans a statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Prepared once per connection: after a few runs PostgreSQL may keep one generic plan
    /// for every value, which suits lookups whose best plan does not depend on the values.
    Cached,
    /// Planned at each run for its values: searches, whose best plan depends on how common
    /// the searched text is (a generic plan walked a whole table for rare words). SQLite,
    /// whose plans do not depend on bound values, keeps the statement prepared either way.
    EachRun,
}

/// `text` in double quotes, its own double quotes doubled: an SQL identifier, or an FTS5
/// string (matched as written, whatever FTS5 operators or punctuation it holds).
pub(crate) fn double_quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// `"account_id" = account`, for lookups by a unique key within an account, written so that
/// no index is chosen for it: the filter stays, the lookup key decides. All of an account's
/// rows share the value, yet before statistics exist (a young database, or one not analysed
/// since it grew) both planners misjudge it. SQLite guesses an equality matches ten rows and
/// preferred the account's index to the lookup keys, reading the whole account for each batch
/// of keys; it is written `+"account_id" = ?` there. PostgreSQL, on a table never analysed,
/// combined the account's and the connection's index ranges (a BitmapAnd over every message,
/// 9 ms at 20,000) instead of the unique key (0.06 ms); it is written `"account_id" IS NOT
/// DISTINCT FROM $1` there (the same for a non-null value, and not an index condition).
pub(crate) fn in_account(kind: BackendKind, account: balcao_core::AccountId) -> sea_query::SimpleExpr {
    match kind {
        BackendKind::Sqlite => sea_query::Expr::cust_with_values("+\"account_id\" = ?", [account.0]),
        BackendKind::Postgres => {
            sea_query::Expr::cust_with_values("\"account_id\" IS NOT DISTINCT FROM $1", [account.0])
        }
    }
}

/// How the database plans the batch lookups of inbound messages (messages by external id,
/// contacts by phone, active tickets by contact; twenty keys each) and the group's update of
/// twenty tickets, each as its statement and the plan's text, with the unique index each
/// should use. For plan tests and diagnosis.
#[doc(hidden)]
pub async fn lookup_plans(
    db: &mut impl Exec,
    account: balcao_core::AccountId,
    connection: balcao_core::ConnectionId,
) -> Result<Vec<(String, String, &'static str)>, sqlx::Error> {
    let keys: Vec<String> = (0..20).map(|i| format!("55119{i:08}")).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let contacts: Vec<balcao_core::ContactId> = (0..20).map(|_| balcao_core::ContactId::new()).collect();
    let kind = db.kind();
    let cases = [
        (
            crate::messages::by_external_query(kind, account, connection, &keys),
            "messages_external_id_key",
        ),
        (
            crate::contacts::by_phones_query(kind, account, connection, &keys),
            "contacts_phone_key",
        ),
        (
            crate::tickets::active_for_contacts_query(kind, account, connection, &contacts),
            "tickets_active_key",
        ),
    ];
    let mut statements: Vec<(String, SqlxValues, &'static str)> = cases
        .into_iter()
        .map(|(stmt, index)| {
            let (sql, values) = render(db, &stmt);
            (sql, values, index)
        })
        .collect();
    // The group's update of its tickets (`tickets::write_activity`): found by primary key.
    let rows: Vec<(uuid::Uuid, Vec<sea_query::SimpleExpr>)> = contacts
        .iter()
        .map(|c| (c.0, vec![sea_query::SimpleExpr::from(0_i64)]))
        .collect();
    let column = |name: &str| sea_query::Alias::new(name);
    let (sql, values) = json_update(
        kind,
        (column("tickets"), column("account_id"), column("id")),
        account.0,
        &[column("updated_at")],
        &rows,
    )
    .ok_or_else(|| sqlx::Error::Protocol("the update's rows were not encoded".into()))?;
    let primary = match kind {
        BackendKind::Sqlite => "sqlite_autoindex_tickets_1",
        BackendKind::Postgres => "tickets_pkey",
    };
    statements.push((sql.to_string(), values, primary));
    let mut plans = Vec::with_capacity(statements.len());
    for (sql, values, index) in statements {
        let plan = explain_raw(db, &sql, values).await?;
        plans.push((sql, plan, index));
    }
    Ok(plans)
}

/// The plan's text of a statement: SQLite's `EXPLAIN QUERY PLAN` lines, PostgreSQL's `EXPLAIN`.
pub(crate) async fn explain(db: &mut impl Exec, stmt: &impl SqlxBinder) -> Result<String, sqlx::Error> {
    let (sql, values) = render(db, stmt);
    explain_raw(db, &sql, values).await
}

async fn explain_raw(db: &mut impl Exec, sql: &str, values: SqlxValues) -> Result<String, sqlx::Error> {
    let lines: Vec<String> = match db.kind() {
        BackendKind::Sqlite => {
            let rows: Vec<(i64, i64, i64, String)> = db
                .fetch_all_raw(&format!("EXPLAIN QUERY PLAN {sql}"), values, Plan::Cached)
                .await?;
            rows.into_iter().map(|r| r.3).collect()
        }
        BackendKind::Postgres => {
            let rows: Vec<(String,)> = db
                .fetch_all_raw(&format!("EXPLAIN {sql}"), values, Plan::Cached)
                .await?;
            rows.into_iter().map(|r| r.0).collect()
        }
    };
    Ok(lines.join("\n"))
}

/// Whether an SQLite plan reaches its table through `index` and scans nothing but the rows
/// bound as JSON (`json_each`, and `j`, the subquery answering them as `jsonb`, see
/// `crate::rows`).
#[doc(hidden)]
pub fn sqlite_plan_uses(plan: &str, index: &str) -> bool {
    plan.lines().any(|l| l.starts_with("SEARCH") && l.contains(index))
        && plan
            .lines()
            .all(|l| !l.starts_with("SCAN") || l.contains("VIRTUAL TABLE") || l == "SCAN j")
}

/// Renders a statement for the backend `db` talks to.
pub(crate) fn render(db: &impl Exec, stmt: &impl SqlxBinder) -> (String, SqlxValues) {
    match db.kind() {
        BackendKind::Sqlite => stmt.build_sqlx(SqliteQueryBuilder),
        BackendKind::Postgres => stmt.build_sqlx(PostgresQueryBuilder),
    }
}

/// The SQL of a statement for SQLite and for PostgreSQL (values dropped), for statements that
/// run so often they are rendered once.
pub(crate) fn render_both(stmt: &impl SqlxBinder) -> [String; 2] {
    [
        stmt.build_sqlx(SqliteQueryBuilder).0,
        stmt.build_sqlx(PostgresQueryBuilder).0,
    ]
}

/// For each of `owners`, the ids in `value_col` of the rows of `table` whose `owner_col` is that
/// owner (within `account`), in one query: memberships, tags of contacts, and the like.
pub(crate) async fn grouped_ids(
    db: &mut impl Exec,
    table: impl sea_query::IntoIden + 'static,
    (owner_col, value_col): (
        impl sea_query::IntoIden + Copy + 'static,
        impl sea_query::IntoIden + Copy + 'static,
    ),
    account: balcao_core::AccountId,
    owners: &[uuid::Uuid],
) -> Result<std::collections::HashMap<uuid::Uuid, Vec<uuid::Uuid>>, sqlx::Error> {
    let mut map: std::collections::HashMap<uuid::Uuid, Vec<uuid::Uuid>> =
        std::collections::HashMap::with_capacity(owners.len());
    if owners.is_empty() {
        return Ok(map);
    }
    let stmt = sea_query::Query::select()
        .column(owner_col)
        .column(value_col)
        .from(table)
        .and_where(sea_query::Expr::col(sea_query::Alias::new("account_id")).eq(account.0))
        .and_where(sea_query::Expr::col(owner_col).is_in(owners.iter().copied()))
        .order_by(value_col, sea_query::Order::Asc)
        .to_owned();
    let rows: Vec<(uuid::Uuid, uuid::Uuid)> = fetch_all(db, &stmt).await?;
    for (owner, value) in rows {
        map.entry(owner).or_default().push(value);
    }
    Ok(map)
}

/// Orders `stmt` by `sort` then `id` (both ascending or both descending; no `sort`: by id
/// alone) and, after a cursor, keeps the rows past it: `(sort, id) > (cursor.v, cursor.id)` (or
/// `<`), a row-value comparison both backends evaluate with the same ordering as the `ORDER BY`.
pub(crate) fn keyset(
    stmt: &mut sea_query::SelectStatement,
    sort: Option<sea_query::SimpleExpr>,
    id: impl sea_query::IntoIden + Copy + 'static,
    desc: bool,
    after: Option<&crate::Cursor>,
) {
    keyset_after(stmt, sort.as_ref(), id, desc, after);
    order_by_keyset(stmt, sort, id, desc);
}

/// The condition of [`keyset`] alone: the rows past `after` in its order.
pub(crate) fn keyset_after(
    stmt: &mut sea_query::SelectStatement,
    sort: Option<&sea_query::SimpleExpr>,
    id: impl sea_query::IntoIden + Copy + 'static,
    desc: bool,
    after: Option<&crate::Cursor>,
) {
    if let Some(c) = after {
        let (left, right): (sea_query::SimpleExpr, sea_query::SimpleExpr) = match sort {
            None => (sea_query::Expr::col(id).into(), c.id.into()),
            Some(sort) => {
                let value: sea_query::SimpleExpr = match &c.v {
                    crate::CursorValue::Int(i) => (*i).into(),
                    crate::CursorValue::Text(t) => t.clone().into(),
                };
                (
                    sea_query::Expr::tuple([sort.clone(), sea_query::Expr::col(id).into()]).into(),
                    sea_query::Expr::tuple([value, c.id.into()]).into(),
                )
            }
        };
        stmt.and_where(if desc {
            sea_query::Expr::expr(left).lt(right)
        } else {
            sea_query::Expr::expr(left).gt(right)
        });
    }
}

/// The order of [`keyset`]: by `sort` then `id`, both ascending or both descending.
pub(crate) fn order_by_keyset(
    stmt: &mut sea_query::SelectStatement,
    sort: Option<sea_query::SimpleExpr>,
    id: impl sea_query::IntoIden + Copy + 'static,
    desc: bool,
) {
    let order = if desc {
        sea_query::Order::Desc
    } else {
        sea_query::Order::Asc
    };
    if let Some(sort) = sort {
        stmt.order_by_expr(sort, order.clone());
    }
    stmt.order_by(id, order);
}

/// Reads a page in two steps within one statement: `page` chooses the page (a select of the
/// table's `id` with the list's conditions and limit, ordered by `order`), and only the rows
/// it chose are read whole, ordered by `order` again. Sorting the narrow id entries (from a
/// covering index where there is one) instead of every matching row whole, to keep a few, is
/// what makes an inbox of hundreds of open tickets cheap (`docs/benchmarks.md`).
pub(crate) fn page_rows<T, I, C>(
    (table, id): (T, I),
    columns: impl IntoIterator<Item = C>,
    mut page: sea_query::SelectStatement,
    order: impl Fn(&mut sea_query::SelectStatement),
) -> sea_query::SelectStatement
where
    T: sea_query::IntoTableRef,
    I: sea_query::IntoColumnRef,
    C: sea_query::IntoColumnRef,
{
    order(&mut page);
    let mut stmt = sea_query::Query::select();
    stmt.columns(columns)
        .from(table)
        .and_where(sea_query::Expr::col(id).in_subquery(page));
    order(&mut stmt);
    stmt
}

/// Cuts a `limit + 1` fetch of a sorted list down to one page, with the cursor of its last row.
pub(crate) fn paginate_sorted<T>(
    mut items: Vec<T>,
    limit: u32,
    cursor_of: impl Fn(&T) -> crate::Cursor,
) -> crate::Page<T> {
    let next_cursor = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|last| cursor_of(last).encode())
    } else {
        None
    };
    crate::Page {
        items,
        next_after: None,
        next_cursor,
    }
}

/// Which of `ids` are rows of `table` in `account` (a table with `id` and `account_id`).
pub(crate) async fn existing_ids(
    db: &mut impl Exec,
    table: impl sea_query::IntoIden + 'static,
    account: balcao_core::AccountId,
    ids: &[uuid::Uuid],
) -> Result<Vec<uuid::Uuid>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = sea_query::Query::select()
        .column(sea_query::Alias::new("id"))
        .from(table)
        .and_where(sea_query::Expr::col(sea_query::Alias::new("account_id")).eq(account.0))
        .and_where(sea_query::Expr::col(sea_query::Alias::new("id")).is_in(ids.iter().copied()))
        .to_owned();
    let rows: Vec<(uuid::Uuid,)> = fetch_all(db, &stmt).await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

pub(crate) async fn fetch_all<T: AnyRow>(db: &mut impl Exec, stmt: &impl SqlxBinder) -> Result<Vec<T>, sqlx::Error> {
    let (sql, values) = render(db, stmt);
    db.fetch_all_raw(&sql, values, Plan::Cached).await
}

/// [`fetch_all`] planned for its values at each run ([`Plan::EachRun`]).
pub(crate) async fn fetch_all_planned<T: AnyRow>(
    db: &mut impl Exec,
    stmt: &impl SqlxBinder,
) -> Result<Vec<T>, sqlx::Error> {
    let (sql, values) = render(db, stmt);
    db.fetch_all_raw(&sql, values, Plan::EachRun).await
}

pub(crate) async fn fetch_optional<T: AnyRow>(
    db: &mut impl Exec,
    stmt: &impl SqlxBinder,
) -> Result<Option<T>, sqlx::Error> {
    let (sql, values) = render(db, stmt);
    db.fetch_optional_raw(&sql, values).await
}

/// A statement written out once per backend, where the query builder cannot express it (the
/// claims: `UPDATE … RETURNING` over a subquery with `FOR UPDATE SKIP LOCKED` on PostgreSQL).
pub(crate) struct PerBackend {
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

/// Runs `sql` in the spelling of `db`'s backend with `values` bound, answering its rows.
pub(crate) async fn fetch_all_per_backend<T: AnyRow>(
    db: &mut impl Exec,
    sql: &PerBackend,
    values: Vec<sea_query::Value>,
) -> Result<Vec<T>, sqlx::Error> {
    let sql = match db.kind() {
        BackendKind::Sqlite => sql.sqlite,
        BackendKind::Postgres => sql.postgres,
    };
    db.fetch_all_raw(sql, SqlxValues(sea_query::Values(values)), Plan::Cached)
        .await
}

/// Writes some columns of many rows of an account in one statement of fixed text, the rows
/// bound as one JSON value ([`crate::rows`]). Each row gives its id and its values, in the
/// order of `columns`. Values the JSON does not carry fall back to one statement per hundred
/// rows: `UPDATE t SET c = CASE WHEN id = ? THEN ? ... ELSE c END, ... WHERE account_id = ?
/// AND id IN (...)`.
pub(crate) async fn update_by_id<C: sea_query::Iden + Copy + 'static>(
    db: &mut impl Exec,
    (table, account_column, id_column): (C, C, C),
    account: uuid::Uuid,
    columns: &[C],
    rows: &[(uuid::Uuid, Vec<sea_query::SimpleExpr>)],
) -> Result<u64, sqlx::Error> {
    use sea_query::{CaseStatement, Expr, Query};
    if rows.is_empty() {
        return Ok(0);
    }
    if let Some((sql, values)) = json_update(db.kind(), (table, account_column, id_column), account, columns, rows) {
        return db.execute_raw(&sql, values).await;
    }
    const ROWS_PER_UPDATE: usize = 100;
    let mut changed = 0;
    for chunk in rows.chunks(ROWS_PER_UPDATE) {
        let mut stmt = Query::update();
        stmt.table(table);
        for (n, column) in columns.iter().enumerate() {
            let case = chunk
                .iter()
                .fold(CaseStatement::new(), |case, (id, values)| {
                    case.case(Expr::col(id_column).eq(*id), values[n].clone())
                })
                .finally(Expr::col(*column));
            stmt.value(*column, case);
        }
        stmt.and_where(Expr::col(account_column).eq(account))
            .and_where(Expr::col(id_column).is_in(chunk.iter().map(|(id, _)| *id)));
        changed += execute(db, &stmt).await?;
    }
    Ok(changed)
}

/// The statement of [`update_by_id`] with the rows bound as one JSON value, when the JSON
/// carries every value.
fn json_update<C: sea_query::Iden>(
    kind: BackendKind,
    keys: (C, C, C),
    account: uuid::Uuid,
    columns: &[C],
    rows: &[(uuid::Uuid, Vec<sea_query::SimpleExpr>)],
) -> Option<(std::sync::Arc<str>, SqlxValues)> {
    let ids: Vec<sea_query::SimpleExpr> = rows.iter().map(|(id, _)| (*id).into()).collect();
    crate::rows::JsonRows::encode(
        ids.iter()
            .zip(rows)
            .map(|(id, (_, values))| std::iter::once(id).chain(values)),
    )?
    .into_update(kind, keys, account, columns)
}

/// Inserts `items` into `table`, each as its values in the order of `columns`: in one
/// statement of fixed text, the rows bound as one JSON value ([`crate::rows`]); values the
/// JSON does not carry fall back to a few hundred rows per statement with a placeholder per
/// value (below SQLite's and PostgreSQL's limits on bound values).
pub(crate) async fn insert_rows<T, C: sea_query::Iden + Copy + 'static, const N: usize>(
    db: &mut impl Exec,
    table: C,
    columns: [C; N],
    items: &[T],
    values: impl Fn(&T) -> [sea_query::SimpleExpr; N],
) -> Result<(), sqlx::Error> {
    insert_rows_computing(db, table, columns, items, values, None, &[]).await
}

/// A column whose value an insert computes in SQL from the row's values, given a function
/// answering the SQL of the row's value `i`.
pub(crate) type Computed<C> = (C, fn(&dyn Fn(usize) -> String) -> String);

/// [`insert_rows`], with a `computed` column written when the rows travel as JSON (rows written
/// value by value leave it to its default, so it may only spare work that is otherwise done),
/// and `long`, the columns (indexes into `columns`, in order) whose text may be long (carried
/// beside the JSON where that is cheaper, see `crate::rows`).
pub(crate) async fn insert_rows_computing<T, C: sea_query::Iden + Copy + 'static, const N: usize>(
    db: &mut impl Exec,
    table: C,
    columns: [C; N],
    items: &[T],
    values: impl Fn(&T) -> [sea_query::SimpleExpr; N],
    computed: Option<Computed<C>>,
    long: &[usize],
) -> Result<(), sqlx::Error> {
    if items.is_empty() {
        return Ok(());
    }
    let rows: Vec<[sea_query::SimpleExpr; N]> = items.iter().map(&values).collect();
    if let Some(encoded) = crate::rows::JsonRows::encode_with_long(db.kind(), rows.iter(), long) {
        let (sql, values) = encoded.into_insert(db.kind(), table, &columns, computed);
        db.execute_raw(&sql, values).await?;
        return Ok(());
    }
    const ROWS_PER_INSERT: usize = 500;
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut stmt = sea_query::Query::insert();
        stmt.into_table(table).columns(columns);
        for row in chunk {
            stmt.values_panic(row.iter().cloned());
        }
        execute(db, &stmt).await?;
    }
    Ok(())
}

pub(crate) async fn execute(db: &mut impl Exec, stmt: &impl SqlxBinder) -> Result<u64, sqlx::Error> {
    let (sql, values) = render(db, stmt);
    db.execute_raw(&sql, values).await
}

/// A connection of either backend, on which statements run. The one place that matches on
/// the backend to execute.
enum Conn<'c> {
    Sqlite(&'c mut sqlx::SqliteConnection),
    Postgres(&'c mut sqlx::PgConnection),
}

impl Conn<'_> {
    async fn fetch_all<T: AnyRow>(self, sql: &str, values: SqlxValues, plan: Plan) -> Result<Vec<T>, sqlx::Error> {
        match self {
            Conn::Sqlite(c) => sqlx::query_as_with::<Sqlite, T, _>(sql, values).fetch_all(c).await,
            // Not persistent: the unnamed statement, parsed and planned with its values.
            Conn::Postgres(c) => {
                sqlx::query_as_with::<Postgres, T, _>(sql, values)
                    .persistent(plan == Plan::Cached)
                    .fetch_all(c)
                    .await
            }
        }
    }

    async fn fetch_optional<T: AnyRow>(self, sql: &str, values: SqlxValues) -> Result<Option<T>, sqlx::Error> {
        match self {
            Conn::Sqlite(c) => sqlx::query_as_with::<Sqlite, T, _>(sql, values).fetch_optional(c).await,
            Conn::Postgres(c) => {
                sqlx::query_as_with::<Postgres, T, _>(sql, values)
                    .fetch_optional(c)
                    .await
            }
        }
    }

    async fn execute(self, sql: &str, values: SqlxValues) -> Result<u64, sqlx::Error> {
        Ok(match self {
            Conn::Sqlite(c) => sqlx::query_with::<Sqlite, _>(sql, values)
                .execute(c)
                .await?
                .rows_affected(),
            Conn::Postgres(c) => sqlx::query_with::<Postgres, _>(sql, values)
                .execute(c)
                .await?
                .rows_affected(),
        })
    }
}

enum PooledConn {
    Sqlite(sqlx::pool::PoolConnection<Sqlite>),
    SqliteWriter(tokio::sync::OwnedMutexGuard<WriterState>),
    Postgres(sqlx::pool::PoolConnection<Postgres>),
}

impl PooledConn {
    fn conn(&mut self) -> Result<Conn<'_>, sqlx::Error> {
        Ok(match self {
            PooledConn::Sqlite(c) => Conn::Sqlite(c),
            PooledConn::SqliteWriter(w) => Conn::Sqlite(w.conn()?),
            PooledConn::Postgres(c) => Conn::Postgres(c),
        })
    }
}

/// Statements on a pool, each in its own implicit transaction.
pub struct Pool<'a> {
    backend: &'a Backend,
    statements: &'a AtomicU64,
    events: &'a watch::Sender<u64>,
    write: bool,
}

impl Pool<'_> {
    async fn acquire(&self) -> Result<PooledConn, sqlx::Error> {
        self.statements.fetch_add(1, Ordering::Relaxed);
        Ok(match self.backend {
            Backend::Sqlite { write, .. } if self.write => {
                let writer = take_writer(write).await?;
                // The checkpointer waits a while before it looks: the statement is done by then.
                writer.wrote.send_modify(|_| {});
                PooledConn::SqliteWriter(writer)
            }
            Backend::Sqlite { read, .. } => PooledConn::Sqlite(read.acquire().await?),
            Backend::Postgres(pool) => PooledConn::Postgres(pool.acquire().await?),
        })
    }
}

impl Exec for Pool<'_> {
    fn kind(&self) -> BackendKind {
        match self.backend {
            Backend::Sqlite { .. } => BackendKind::Sqlite,
            Backend::Postgres(_) => BackendKind::Postgres,
        }
    }

    async fn fetch_all_raw<T: AnyRow>(
        &mut self,
        sql: &str,
        values: SqlxValues,
        plan: Plan,
    ) -> Result<Vec<T>, sqlx::Error> {
        self.acquire().await?.conn()?.fetch_all(sql, values, plan).await
    }

    async fn fetch_optional_raw<T: AnyRow>(&mut self, sql: &str, values: SqlxValues) -> Result<Option<T>, sqlx::Error> {
        self.acquire().await?.conn()?.fetch_optional(sql, values).await
    }

    async fn execute_raw(&mut self, sql: &str, values: SqlxValues) -> Result<u64, sqlx::Error> {
        self.acquire().await?.conn()?.execute(sql, values).await
    }

    fn wrote_events(&mut self) {
        self.events.send_modify(|n| *n = n.wrapping_add(1));
    }
}

/// A transaction on SQLite's writer, which it holds until it ends. Dropped without a commit
/// (an error returned early, a request cancelled), it rolls back in a task that keeps the
/// writer until then; outside a runtime the next writer rolls back.
///
/// Statements may wait here to travel with the next one: each trip to the connection's thread
/// costs a hand-over each way (53–59 µs across cores here, more under load), and SQLite runs a
/// text of several statements one after another, stopping at the first error. `BEGIN
/// IMMEDIATE` always waits for the transaction's first statement; after [`Tx::hold_writes`]
/// so do the statements that change rows without answering any, until a statement that
/// answers rows, or the commit.
struct SqliteTx {
    writer: Option<tokio::sync::OwnedMutexGuard<WriterState>>,
    /// Statements not sent yet, each followed by `;`, and their values in order.
    held: String,
    held_values: Vec<sea_query::Value>,
    hold_writes: bool,
}

const BEGIN: &str = "BEGIN IMMEDIATE;\n";

/// How [`SqliteTx::send`] runs a text on the write connection.
type Run<R> = for<'c> fn(
    &'c mut sqlx::SqliteConnection,
    &'c str,
    SqlxValues,
) -> std::pin::Pin<Box<dyn Future<Output = Result<R, sqlx::Error>> + Send + 'c>>;

impl SqliteTx {
    /// The transaction begins with its first statement; it is marked open from now, since
    /// its `BEGIN` may run even if what sent it is cancelled.
    fn begin(mut writer: tokio::sync::OwnedMutexGuard<WriterState>) -> SqliteTx {
        writer.open = true;
        SqliteTx {
            writer: Some(writer),
            held: BEGIN.to_owned(),
            held_values: Vec::new(),
            hold_writes: false,
        }
    }

    fn writer(&mut self) -> Result<&mut WriterState, sqlx::Error> {
        self.writer.as_deref_mut().ok_or(sqlx::Error::PoolClosed)
    }

    /// `sql` after the held statements, with all their values; whether the text begins the
    /// transaction.
    fn with_held<'s>(&mut self, sql: &'s str, values: SqlxValues) -> (std::borrow::Cow<'s, str>, SqlxValues, bool) {
        if self.held.is_empty() {
            return (std::borrow::Cow::Borrowed(sql), values, false);
        }
        let begins = self.held.starts_with(BEGIN);
        let mut text = std::mem::take(&mut self.held);
        text.push_str(sql);
        let mut all = std::mem::take(&mut self.held_values);
        all.extend(values.0.0);
        (
            std::borrow::Cow::Owned(text),
            SqlxValues(sea_query::Values(all)),
            begins,
        )
    }

    /// Holds a statement back until the next one is sent.
    fn hold(&mut self, sql: &str, values: SqlxValues) {
        self.held.push_str(sql);
        self.held.push_str(";\n");
        self.held_values.extend(values.0.0);
    }

    /// Sends `sql` after the held statements and runs it with `run`. Should the text begin the
    /// transaction while one is open without the mark, SQLite refuses the `BEGIN` before
    /// running anything: that one is rolled back and the text sent again.
    async fn send<R>(&mut self, sql: &str, values: SqlxValues, run: Run<R>) -> Result<R, sqlx::Error> {
        let (sql, values, begins) = self.with_held(sql, values);
        let retry = begins.then(|| values.clone());
        let writer = self.writer()?;
        match run(writer.conn()?, &sql, values).await {
            Err(e) if within_a_transaction(&e) && retry.is_some() => {
                writer.control("ROLLBACK").await?;
                let values = retry.ok_or(e)?;
                run(writer.conn()?, &sql, values).await
            }
            done => done,
        }
    }

    async fn fetch_all<T: AnyRow>(&mut self, sql: &str, values: SqlxValues) -> Result<Vec<T>, sqlx::Error> {
        self.send(sql, values, |conn, sql, values| {
            Box::pin(Conn::Sqlite(conn).fetch_all(sql, values, Plan::Cached))
        })
        .await
    }

    async fn fetch_optional<T: AnyRow>(&mut self, sql: &str, values: SqlxValues) -> Result<Option<T>, sqlx::Error> {
        self.send(sql, values, |conn, sql, values| {
            Box::pin(Conn::Sqlite(conn).fetch_optional(sql, values))
        })
        .await
    }

    /// Runs a statement (with those held), answering the rows it changed; held instead after
    /// [`Tx::hold_writes`], answering 0.
    async fn execute(&mut self, sql: &str, values: SqlxValues) -> Result<u64, sqlx::Error> {
        if self.hold_writes {
            self.hold(sql, values);
            return Ok(0);
        }
        self.send(sql, values, |conn, sql, values| {
            Box::pin(last_changes(conn, sql, values))
        })
        .await
    }

    /// Sends what is held with `COMMIT` after it. Should it fail, the transaction stays marked
    /// open and the next writer rolls it back.
    async fn commit(mut self) -> Result<(), sqlx::Error> {
        if self.held == BEGIN {
            // Nothing was written: there is nothing to begin or commit.
            self.held.clear();
        } else {
            self.hold_writes = false;
            self.execute("COMMIT", SqlxValues(sea_query::Values(Vec::new())))
                .await?;
        }
        let Some(mut writer) = self.writer.take() else {
            return Err(sqlx::Error::PoolClosed);
        };
        writer.open = false;
        writer.wrote.send_modify(|_| {});
        Ok(())
    }
}

/// Runs statements and answers the rows the last one changed (a sum over the statements would
/// count, for `BEGIN`, what the statement before it changed: SQLite's count of changes is left
/// as it was by statements that change no rows).
async fn last_changes(conn: &mut sqlx::SqliteConnection, sql: &str, values: SqlxValues) -> Result<u64, sqlx::Error> {
    use futures_util::TryStreamExt as _;
    let mut results = sqlx::Executor::fetch_many(conn, sqlx::query_with::<Sqlite, _>(sql, values));
    let mut changed = 0;
    while let Some(step) = results.try_next().await? {
        if let sqlx::Either::Left(done) = step {
            changed = done.rows_affected();
        }
    }
    Ok(changed)
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        if let Some(mut writer) = self.writer.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move {
                if let Err(e) = writer.settle().await {
                    tracing::warn!(error = %e, "rolling back a dropped transaction failed");
                }
            });
        }
    }
}

enum TxInner {
    Sqlite(SqliteTx),
    Postgres(PgTx),
}

/// A PostgreSQL transaction. After [`Tx::hold_writes`], writes wait for the next statement that
/// answers rows, or the commit, and are then sent together as one statement (each a
/// data-modifying `WITH` part of the last): one round trip instead of one each. All parts of
/// such a statement see the database as it was before it, so writes held together must not
/// depend on each other's effects (a foreign key to a row inserted beside it is fine: keys are
/// checked at the statement's end).
struct PgTx {
    tx: sqlx::Transaction<'static, Postgres>,
    held: Vec<(String, SqlxValues)>,
    hold_writes: bool,
}

impl PgTx {
    /// Sends the held writes, if any, as one statement.
    async fn flush(&mut self) -> Result<(), sqlx::Error> {
        if self.held.is_empty() {
            return Ok(());
        }
        let held = std::mem::take(&mut self.held);
        // A statement with a `WITH` of its own cannot be a part of another's.
        if held.iter().any(|(sql, _)| {
            sql.trim_start()
                .get(..4)
                .is_some_and(|w| w.eq_ignore_ascii_case("with"))
        }) {
            for (sql, values) in held {
                Conn::Postgres(&mut self.tx).execute(&sql, values).await?;
            }
            return Ok(());
        }
        let (sql, values) = combined_writes(held);
        Conn::Postgres(&mut self.tx).execute(&sql, values).await?;
        Ok(())
    }

    async fn fetch_all<T: AnyRow>(&mut self, sql: &str, values: SqlxValues, plan: Plan) -> Result<Vec<T>, sqlx::Error> {
        self.flush().await?;
        Conn::Postgres(&mut self.tx).fetch_all(sql, values, plan).await
    }

    async fn fetch_optional<T: AnyRow>(&mut self, sql: &str, values: SqlxValues) -> Result<Option<T>, sqlx::Error> {
        self.flush().await?;
        Conn::Postgres(&mut self.tx).fetch_optional(sql, values).await
    }

    /// Runs a statement, answering the rows it changed; held instead after
    /// [`Tx::hold_writes`], answering 0.
    async fn execute(&mut self, sql: &str, values: SqlxValues) -> Result<u64, sqlx::Error> {
        if self.hold_writes {
            self.held.push((sql.to_owned(), values));
            return Ok(0);
        }
        Conn::Postgres(&mut self.tx).execute(sql, values).await
    }

    /// Sends what is held, then `COMMIT`.
    async fn commit(mut self) -> Result<(), sqlx::Error> {
        self.flush().await?;
        self.tx.commit().await
    }
}

/// PostgreSQL statements as one: all but the last as `WITH` parts of the last, their `$n`
/// placeholders renumbered after those of the statements before them.
fn combined_writes(mut statements: Vec<(String, SqlxValues)>) -> (String, SqlxValues) {
    if statements.len() == 1 {
        return statements.remove(0);
    }
    let mut sql = String::from("WITH ");
    let mut values: Vec<sea_query::Value> = Vec::new();
    let last = statements.len() - 1;
    for (i, (text, bound)) in statements.into_iter().enumerate() {
        let offset = values.len();
        if i == last {
            sql.push(' ');
            sql.push_str(&renumbered(&text, offset));
        } else {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("w{i} AS ({})", renumbered(&text, offset)));
        }
        values.extend(bound.0.0);
    }
    (sql, SqlxValues(sea_query::Values(values)))
}

/// `sql` with each placeholder `$n` outside quotes made `$(n + offset)`.
fn renumbered(sql: &str, offset: usize) -> std::borrow::Cow<'_, str> {
    if offset == 0 {
        return std::borrow::Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
                out.push(c);
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) => {
                let mut n = 0usize;
                while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                    n = n * 10 + d as usize;
                    chars.next();
                }
                out.push('$');
                out.push_str(&(n + offset).to_string());
            }
            None => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// An open transaction. Dropping it without [`Tx::commit`] rolls it back.
pub struct Tx {
    inner: TxInner,
    statements: Arc<AtomicU64>,
    events: Arc<watch::Sender<u64>>,
    wrote_events: bool,
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self.inner {
            TxInner::Sqlite(tx) => tx.commit().await?,
            TxInner::Postgres(tx) => tx.commit().await?,
        }
        if self.wrote_events {
            self.events.send_modify(|n| *n = n.wrapping_add(1));
        }
        Ok(())
    }

    /// From now on, statements that change rows without answering any (inserts, updates)
    /// wait to travel with the next statement that answers rows, or with the commit: on
    /// SQLite, one trip to the connection's thread instead of one each; on PostgreSQL, one
    /// round trip for all of them, sent before that statement (see [`PgTx`]: writes held
    /// together must not depend on each other's effects). Their errors surface there, and
    /// they answer 0 rows changed.
    pub fn hold_writes(&mut self) {
        match &mut self.inner {
            TxInner::Sqlite(tx) => tx.hold_writes = true,
            TxInner::Postgres(tx) => tx.hold_writes = true,
        }
    }
}

impl Exec for Tx {
    fn kind(&self) -> BackendKind {
        match self.inner {
            TxInner::Sqlite(_) => BackendKind::Sqlite,
            TxInner::Postgres(_) => BackendKind::Postgres,
        }
    }

    async fn fetch_all_raw<T: AnyRow>(
        &mut self,
        sql: &str,
        values: SqlxValues,
        plan: Plan,
    ) -> Result<Vec<T>, sqlx::Error> {
        self.statements.fetch_add(1, Ordering::Relaxed);
        match &mut self.inner {
            TxInner::Sqlite(tx) => tx.fetch_all(sql, values).await,
            TxInner::Postgres(tx) => tx.fetch_all(sql, values, plan).await,
        }
    }

    async fn fetch_optional_raw<T: AnyRow>(&mut self, sql: &str, values: SqlxValues) -> Result<Option<T>, sqlx::Error> {
        self.statements.fetch_add(1, Ordering::Relaxed);
        match &mut self.inner {
            TxInner::Sqlite(tx) => tx.fetch_optional(sql, values).await,
            TxInner::Postgres(tx) => tx.fetch_optional(sql, values).await,
        }
    }

    async fn execute_raw(&mut self, sql: &str, values: SqlxValues) -> Result<u64, sqlx::Error> {
        self.statements.fetch_add(1, Ordering::Relaxed);
        match &mut self.inner {
            TxInner::Sqlite(tx) => tx.execute(sql, values).await,
            TxInner::Postgres(tx) => tx.execute(sql, values).await,
        }
    }

    fn wrote_events(&mut self) {
        self.wrote_events = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_and_postgres_migrations_hold_the_same_versions() {
        let sqlite = Store::migration_versions(BackendKind::Sqlite);
        let postgres = Store::migration_versions(BackendKind::Postgres);
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, postgres);
    }

    #[test]
    fn migration_folders_pair_file_by_file() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let names = |backend: &str| {
            let mut v: Vec<String> = std::fs::read_dir(dir.join(backend))
                .expect("migrations folder")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        assert_eq!(names("sqlite"), names("postgres"));
    }

    /// A migrated database on the tests' backend: a new PostgreSQL database when
    /// `BALCAO_TEST_DATABASE_URL` is set (dropped by [`drop_test_database`]), else SQLite in `dir`.
    async fn migrated_on_test_backend(dir: &tempfile::TempDir) -> (Store, Option<(String, String)>) {
        use sqlx::Connection as _;
        let Some(admin) = std::env::var("BALCAO_TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
        else {
            return (migrated_sqlite(dir).await, None);
        };
        let name = format!("balcao_store_test_{}", uuid::Uuid::now_v7().simple());
        let mut conn = sqlx::PgConnection::connect(&admin).await.expect("PostgreSQL reachable");
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await
            .expect("create database");
        let _ = conn.close().await;
        let (base, _) = admin.split_once('?').unwrap_or((&admin, ""));
        let root = &base[..base.rfind('/').expect("a database in the URL")];
        let store = Store::connect(&StoreOptions {
            url: format!("{root}/{name}"),
            max_connections: 2,
        })
        .await
        .expect("store");
        store.migrate().await.expect("migrated");
        (store, Some((admin, name)))
    }

    async fn drop_test_database(store: Store, pg: Option<(String, String)>) {
        use sqlx::Connection as _;
        store.close().await;
        if let Some((admin, name)) = pg {
            let mut conn = sqlx::PgConnection::connect(&admin).await.expect("PostgreSQL reachable");
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut conn)
                .await;
            let _ = conn.close().await;
        }
    }

    /// Held writes on either backend: none is sent before a read or the commit, the read sees
    /// them, they answer 0 rows, and one failing fails the commit with nothing of the
    /// transaction kept. (On PostgreSQL they go as one statement of `WITH` parts.)
    #[tokio::test]
    async fn held_writes_are_sent_together_before_the_next_read_on_either_backend() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, pg) = migrated_on_test_backend(&dir).await;
        let placeholder = match store.kind() {
            BackendKind::Sqlite => "?",
            BackendKind::Postgres => "$1",
        };
        let insert = |key: &str| format!("INSERT INTO instance_meta (key, value) VALUES ('{key}', {placeholder})");
        let text = |v: &str| SqlxValues(sea_query::Values(vec![v.into()]));

        let mut tx = store.begin().await.expect("begin");
        tx.hold_writes();
        for key in ["probe-1", "probe-2", "probe-3"] {
            let changed = tx.execute_raw(&insert(key), text(key)).await.expect("held");
            assert_eq!(changed, 0, "a held write's count is not known");
        }
        assert_eq!(probes(&mut store.read()).await, 0, "nothing is sent before the read");
        assert_eq!(probes(&mut tx).await, 3, "the read came after the held writes");
        let rows: Vec<(String, String)> = tx
            .fetch_all_raw(
                "SELECT key, value FROM instance_meta WHERE key LIKE 'probe%' ORDER BY key",
                no_values(),
                Plan::Cached,
            )
            .await
            .expect("values");
        assert_eq!(
            rows,
            ["probe-1", "probe-2", "probe-3"].map(|k| (k.to_owned(), k.to_owned())),
            "each write kept its own bound value"
        );
        tx.commit().await.expect("commit");
        assert_eq!(probes(&mut store.read()).await, 3);

        let mut tx = store.begin().await.expect("begin");
        tx.hold_writes();
        tx.execute_raw(&insert("probe-4"), text("four")).await.expect("held");
        tx.execute_raw(&insert("probe-1"), text("again"))
            .await
            .expect("held, though it will fail");
        assert!(tx.commit().await.is_err(), "the duplicate key fails the commit");
        assert_eq!(
            probes(&mut store.read()).await,
            3,
            "nothing of the failed transaction stays"
        );
        drop_test_database(store, pg).await;
    }

    #[derive(sea_query::Iden, Clone, Copy)]
    enum RowsProbe {
        Table,
        Id,
        Text,
        Long,
        Number,
        Flag,
    }

    /// Rows written as JSON keep every value on either backend, whatever the text holds (quotes,
    /// escapes, control characters, emoji, empty, none); on SQLite the long column's text,
    /// carried beside the JSON, too, with several such statements held in one transaction.
    #[tokio::test]
    async fn json_rows_keep_every_value_and_long_text_beside_them_on_either_backend() {
        use RowsProbe as P;
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, pg) = migrated_on_test_backend(&dir).await;
        let table = match store.kind() {
            BackendKind::Sqlite => {
                "CREATE TABLE rows_probe (id BLOB, text TEXT, long TEXT, number INTEGER, flag INTEGER) STRICT"
            }
            BackendKind::Postgres => {
                "CREATE TABLE rows_probe (id uuid, text TEXT, long TEXT, number BIGINT, flag BOOLEAN)"
            }
        };
        store.write().execute_raw(table, no_values()).await.expect("table");
        let odd = "aspas \" barra \\ linha\nfim\u{1} e ção 🎉 {\"a\":[1,\"b\"]}".to_owned();
        let long = format!(
            "{{\"text\":{}}}",
            serde_json::to_string(&odd.repeat(200)).expect("json")
        );
        type Row = (uuid::Uuid, Option<String>, Option<String>, i64, bool);
        let rows: Vec<Row> = vec![
            (uuid::Uuid::now_v7(), Some(odd.clone()), Some(long.clone()), -5, true),
            (uuid::Uuid::now_v7(), Some("ç".into()), Some(odd.clone()), 7, false),
            (uuid::Uuid::now_v7(), None, Some(String::new()), 0, false),
            (uuid::Uuid::now_v7(), Some(String::new()), None, i64::MAX, true),
        ];
        let columns = [P::Id, P::Text, P::Long, P::Number, P::Flag];
        let values = |r: &Row| -> [sea_query::SimpleExpr; 5] {
            [
                r.0.into(),
                r.1.clone().into(),
                r.2.clone().into(),
                r.3.into(),
                r.4.into(),
            ]
        };
        let mut tx = store.begin().await.expect("begin");
        tx.hold_writes();
        for part in rows.chunks(2) {
            insert_rows_computing(&mut tx, P::Table, columns, part, values, None, &[2])
                .await
                .expect("held");
        }
        let read: Vec<Row> = tx
            .fetch_all_raw(
                "SELECT id, text, long, number, flag FROM rows_probe ORDER BY id",
                no_values(),
                Plan::Cached,
            )
            .await
            .expect("rows");
        tx.commit().await.expect("commit");
        assert_eq!(read, rows);
        if store.kind() == BackendKind::Sqlite {
            let types: Vec<(Option<String>,)> = store
                .read()
                .fetch_all_raw(
                    "SELECT typeof(long) FROM rows_probe ORDER BY id",
                    no_values(),
                    Plan::Cached,
                )
                .await
                .expect("types");
            let types: Vec<&str> = types.iter().map(|(t,)| t.as_deref().unwrap_or("")).collect();
            assert_eq!(types, ["text", "text", "text", "null"], "the long column holds text");
        }
        drop_test_database(store, pg).await;
    }

    #[test]
    fn postgres_writes_combine_with_their_placeholders_renumbered() {
        let statement = |sql: &str, n: i64| (sql.to_owned(), SqlxValues(sea_query::Values(vec![n.into()])));
        let (sql, values) = combined_writes(vec![
            statement("INSERT INTO a (x) VALUES ($1)", 1),
            statement("UPDATE b SET y = $1, z = '$1' WHERE \"c$1\" = 2", 2),
            statement("INSERT INTO d SELECT $1::bigint", 3),
        ]);
        assert_eq!(
            sql,
            "WITH w0 AS (INSERT INTO a (x) VALUES ($1)), w1 AS (UPDATE b SET y = $2, z = '$1' WHERE \"c$1\" = 2) \
             INSERT INTO d SELECT $3::bigint"
        );
        assert_eq!(values.0.0.len(), 3);
        assert_eq!(renumbered("SELECT $12, $3", 10), "SELECT $22, $13");
        let (one, _) = combined_writes(vec![statement("DELETE FROM a WHERE x = $1", 1)]);
        assert_eq!(one, "DELETE FROM a WHERE x = $1", "a single write is sent as it is");
    }

    /// A migrated SQLite database in `dir`, with one reader.
    async fn migrated_sqlite(dir: &tempfile::TempDir) -> Store {
        let url = format!("sqlite://{}", dir.path().join("plans.db").display());
        let store = Store::connect(&StoreOptions {
            url,
            max_connections: 1,
        })
        .await
        .expect("store");
        store.migrate().await.expect("migrated");
        store
    }

    fn no_values() -> SqlxValues {
        SqlxValues(sea_query::Values(Vec::new()))
    }

    #[tokio::test]
    async fn sqlite_checkpoints_run_beside_the_writer() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = migrated_sqlite(&dir).await;
        let file = dir.path().join("plans.db");
        let size = || std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        let before = size();
        let mut tx = store.begin().await.expect("begin");
        tx.execute_raw("CREATE TABLE filler (x BLOB NOT NULL)", no_values())
            .await
            .expect("table");
        // About 500 pages: far from the writer's own checkpoint threshold.
        tx.execute_raw(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) \
             INSERT INTO filler SELECT randomblob(4000) FROM n",
            no_values(),
        )
        .await
        .expect("rows");
        tx.commit().await.expect("commit");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while size() < before + 500 * 4000 {
            assert!(
                std::time::Instant::now() < deadline,
                "the pages never reached the database file: {} bytes, {before} before",
                size()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        store.close().await;
    }

    /// Held writes are seen by the transaction's next read, an error among them fails the
    /// transaction at its commit with nothing written, and a statement sent with the held
    /// `BEGIN` answers its own count of changed rows.
    #[tokio::test]
    async fn held_statements_travel_with_the_next_and_keep_their_meaning() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = migrated_sqlite(&dir).await;
        let insert = |key: &str| format!("INSERT INTO instance_meta (key, value) VALUES ('{key}', 'x')");

        let mut tx = store.begin().await.expect("begin");
        tx.hold_writes();
        for key in ["probe-1", "probe-2"] {
            let changed = tx.execute_raw(&insert(key), no_values()).await.expect("held");
            assert_eq!(changed, 0, "a held write's count is not known");
        }
        assert_eq!(probes(&mut tx).await, 2, "the read came after the held writes");
        tx.execute_raw(&insert("probe-3"), no_values()).await.expect("held");
        tx.commit().await.expect("commit");
        assert_eq!(probes(&mut store.read()).await, 3);

        let mut tx = store.begin().await.expect("begin");
        tx.hold_writes();
        tx.execute_raw(&insert("probe-4"), no_values()).await.expect("held");
        tx.execute_raw(&insert("probe-1"), no_values())
            .await
            .expect("held, though it will fail");
        let failed = tx.commit().await;
        assert!(failed.is_err(), "the duplicate key fails the commit");
        assert_eq!(
            probes(&mut store.read()).await,
            3,
            "nothing of the failed transaction stays"
        );

        // Five rows changed just before: `BEGIN` would report them as its own.
        let changed = store
            .write()
            .execute_raw(
                "UPDATE instance_meta SET value = 'y' WHERE key LIKE 'probe%' OR key = 'schema'",
                no_values(),
            )
            .await
            .expect("update");
        assert!(changed >= 3, "{changed}");
        let mut tx = store.begin().await.expect("begin");
        let changed = tx
            .execute_raw(
                "UPDATE instance_meta SET value = 'z' WHERE key = 'probe-1'",
                no_values(),
            )
            .await
            .expect("first statement");
        assert_eq!(changed, 1);
        tx.commit().await.expect("commit");
        let mut tx = store.begin().await.expect("begin");
        let changed = tx
            .execute_raw("UPDATE instance_meta SET value = 'z' WHERE key = 'nobody'", no_values())
            .await
            .expect("first statement");
        assert_eq!(changed, 0);
        tx.commit().await.expect("commit");
    }

    /// The probe rows `db` sees.
    async fn probes(db: &mut impl Exec) -> i64 {
        let rows: Vec<(i64,)> = db
            .fetch_all_raw(
                "SELECT count(*) FROM instance_meta WHERE key LIKE 'probe%'",
                no_values(),
                Plan::Cached,
            )
            .await
            .expect("count");
        rows[0].0
    }

    /// SQLite's writer survives what a transaction leaves behind: a transaction dropped without
    /// a commit is rolled back; a transaction marked open that SQLite had already ended, and one
    /// left open without the mark, do not stop the next writer.
    #[tokio::test]
    async fn the_sqlite_writer_recovers_from_transactions_left_behind() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = migrated_sqlite(&dir).await;
        let insert = |key: &'static str| format!("INSERT INTO instance_meta (key, value) VALUES ('{key}', 'x')");

        let mut tx = store.begin().await.expect("begin");
        tx.execute_raw(&insert("probe-dropped"), no_values())
            .await
            .expect("insert");
        drop(tx);
        let mut tx = store.begin().await.expect("begin after a drop");
        tx.execute_raw(&insert("probe-1"), no_values()).await.expect("insert");
        tx.commit().await.expect("commit");
        assert_eq!(
            probes(&mut store.read()).await,
            1,
            "the dropped transaction's row is gone"
        );

        let Backend::Sqlite { write, .. } = &*store.backend else {
            panic!("an SQLite store");
        };
        // Marked open, though nothing is.
        write.lock().await.open = true;
        let mut tx = store.begin().await.expect("begin after a stale mark");
        tx.execute_raw(&insert("probe-2"), no_values()).await.expect("insert");
        tx.commit().await.expect("commit");
        // Open, though not marked.
        write.lock().await.control("BEGIN").await.expect("a bare BEGIN");
        let mut tx = store.begin().await.expect("begin inside an unmarked transaction");
        tx.execute_raw(&insert("probe-3"), no_values()).await.expect("insert");
        tx.commit().await.expect("commit");
        store
            .write()
            .execute_raw(&insert("probe-4"), no_values())
            .await
            .expect("a statement after them");
        assert_eq!(probes(&mut store.read()).await, 4);
    }

    /// The ingest path's batch lookups use their unique keys on a database without planner
    /// statistics, where SQLite would otherwise read the whole account per batch.
    #[tokio::test]
    async fn batch_lookups_use_their_keys_before_any_statistics() {
        use balcao_core::{AccountId, ConnectionId};
        let dir = tempfile::tempdir().expect("temp dir");
        let store = migrated_sqlite(&dir).await;
        let (account, connection) = (AccountId(uuid::Uuid::now_v7()), ConnectionId(uuid::Uuid::now_v7()));
        let plans = lookup_plans(&mut store.read(), account, connection)
            .await
            .expect("plans");
        assert_eq!(plans.len(), 4);
        for (sql, plan, index) in plans {
            assert!(sqlite_plan_uses(&plan, index), "{sql}: {plan}");
        }
    }

    /// A claim of due webhook deliveries reads the due ones from their index, in order, and
    /// stops at the limit, whatever else the subscriptions have delivered.
    #[tokio::test]
    async fn delivery_claims_read_the_due_index_in_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = migrated_sqlite(&dir).await;
        // The statistics of a database with one subscription (what `PRAGMA optimize` recorded
        // on the benchmark's database, where the claim read every delivery).
        let mut writer = store.write();
        let stat = "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('webhooks', 'webhooks_account_idx', '1 1 1')";
        writer.execute_raw(stat, no_values()).await.expect("statistics");
        writer
            .execute_raw("ANALYZE sqlite_schema", no_values())
            .await
            .expect("statistics loaded");
        let values = SqlxValues(sea_query::Values(vec![1_i64.into(), 2_i64.into(), 64_i64.into()]));
        let plan = explain_raw(&mut writer, crate::webhooks::CLAIM.sqlite, values)
            .await
            .expect("plan");
        assert!(plan.contains("webhook_deliveries_due_idx"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
        assert!(!plan.lines().any(|l| l.starts_with("SCAN")), "{plan}");
    }

    /// The dispatcher's look for waiting events and its claim keep to the waiting events' index
    /// and reach the claimed ones by id, with the statistics `PRAGMA optimize` recorded on a
    /// young database (one event, none waiting), where SQLite read the whole outbox for both.
    #[tokio::test]
    async fn outbox_claims_read_the_waiting_events_index() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = migrated_sqlite(&dir).await;
        let mut writer = store.write();
        for (idx, stat) in [
            ("outbox_events_pending_idx", "0 0"),
            ("sqlite_autoindex_outbox_events_1", "1 1"),
        ] {
            let sql = format!("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('outbox_events', '{idx}', '{stat}')");
            writer.execute_raw(&sql, no_values()).await.expect("statistics");
        }
        writer
            .execute_raw("ANALYZE sqlite_schema", no_values())
            .await
            .expect("statistics loaded");
        let values = SqlxValues(sea_query::Values(vec![1_i64.into(), 500_i64.into()]));
        for (sql, values) in [
            (crate::outbox::HAS_UNDISPATCHED.sqlite, no_values()),
            (crate::outbox::CLAIM.sqlite, values),
        ] {
            let plan = explain_raw(&mut writer, sql, values).await.expect("plan");
            assert!(plan.contains("outbox_events_pending_idx"), "{plan}");
            assert!(
                plan.lines()
                    .all(|l| !l.starts_with("SCAN") || l.contains("outbox_events_pending_idx")),
                "{plan}"
            );
        }
    }

    #[test]
    fn urls_are_redacted() {
        assert_eq!(redact_url("postgres://u:pw@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://data/x.db"), "sqlite://data/x.db");
    }
}
