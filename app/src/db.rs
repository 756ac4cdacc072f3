//! The database handle: one pool, SQLite or PostgreSQL chosen by the URL at run time.
//!
//! Queries are written once in portable SQL (`$1` placeholders, `RETURNING`, `ON CONFLICT`)
//! and run through sqlx's `Any` driver. Where the two backends must differ, the difference
//! lives in one small function here.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a database URL selects, or `None` for a URL of any other kind.
    pub fn from_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("DATABASE_URL must start with sqlite: or postgres://")]
    UnsupportedUrl,
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("cannot apply database migrations: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
}

#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    /// Where write transactions come from. On SQLite a pool of one connection: writers then
    /// wait their turn in the pool's fair queue instead of in SQLite's sleep-and-retry busy
    /// handler, which under load made some writers wait hundreds of milliseconds. On
    /// PostgreSQL the same pool as reads.
    writer: AnyPool,
    backend: Backend,
    /// SQLite only.
    _checkpoints: Option<Arc<WalCheckpoints>>,
}

/// SQLite's checkpoints, off the commit path: every second a read connection copies what the
/// WAL holds into the database file (PASSIVE: it never waits for the writer; the WAL starts
/// over once a checkpoint has copied all of it). Commits would otherwise do it themselves
/// every 1,000 pages, syncing the database file while every writer waits (measured in
/// BENCHMARKS.md); every connection has `wal_autocheckpoint = 0`. The task stops when the
/// pool is closed or the last clone of the `Db` is dropped.
#[derive(Debug)]
struct WalCheckpoints(tokio::task::AbortHandle);

impl WalCheckpoints {
    fn start(pool: AnyPool) -> WalCheckpoints {
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                if pool.is_closed() {
                    return;
                }
                if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                    tracing::warn!(%error, "cannot checkpoint the SQLite WAL");
                }
            }
        });
        WalCheckpoints(task.abort_handle())
    }
}

impl Drop for WalCheckpoints {
    fn drop(&mut self) {
        self.0.abort();
    }
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

impl Db {
    /// Opens the pool. SQLite connections run in WAL mode with foreign keys on and
    /// `synchronous=FULL`, so a committed write survives a power cut; the WAL is checkpointed
    /// in the background (`WalCheckpoints`).
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        let backend = Backend::from_url(url).ok_or(DbError::UnsupportedUrl)?;
        install_default_drivers();
        let options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        match backend {
            Backend::Sqlite => {
                // A local file cannot drop the connection: no ping before each use.
                let options = options.test_before_acquire(false);
                let sqlite = |options: AnyPoolOptions| {
                    options.after_connect(|conn, _meta| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                                 PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000; \
                                 PRAGMA wal_autocheckpoint = 0;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                };
                let pool = sqlite(options.clone().max_connections(8))
                    .connect(url)
                    .await
                    .map_err(DbError::Connect)?;
                // A connection goes back to the pool syncing every commit, whatever
                // `begin_write_without_sync` set for its last transaction.
                let writer = sqlite(options.max_connections(1))
                    .after_release(|conn, _meta| {
                        Box::pin(async move {
                            conn.execute("PRAGMA synchronous = FULL").await?;
                            Ok(true)
                        })
                    })
                    .connect(url)
                    .await
                    .map_err(DbError::Connect)?;
                let checkpoints = Some(Arc::new(WalCheckpoints::start(pool.clone())));
                Ok(Db { pool, writer, backend, _checkpoints: checkpoints })
            }
            Backend::Postgres => {
                let pool = options.max_connections(16).connect(url).await.map_err(DbError::Connect)?;
                Ok(Db { writer: pool.clone(), pool, backend, _checkpoints: None })
            }
        }
    }

    pub async fn migrate(&self) -> Result<(), DbError> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await.map_err(DbError::Migrate)
    }

    /// For reads. Writes go through `begin_write` (a transaction) or `writer` (one statement).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// For a write that is a single statement outside any transaction. On SQLite every write
    /// must come from here or `begin_write`: a write on a read connection would wait for
    /// SQLite's lock in its sleep-and-retry busy handler, and make the queued writers wait too.
    pub fn writer(&self) -> &AnyPool {
        &self.writer
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a transaction that will write. SQLite must take its write lock up front
    /// (`BEGIN IMMEDIATE`): a deferred transaction that upgrades from read to write fails
    /// at once with SQLITE_BUSY under concurrency instead of waiting its turn.
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.writer.begin().await,
        }
    }

    /// `begin_write` for writes that can be made again from what is already on disk: a
    /// listener's position and what it derives from events (delivery is at least once, so
    /// after a crash the events are delivered again and the writes repeated). Its commit
    /// returns without waiting for the disk — SQLite in WAL mode with `synchronous=NORMAL`,
    /// PostgreSQL with `synchronous_commit=off` for this transaction — so these writes do not
    /// hold up the ones that must wait for it (on SQLite they queue on the one writer). A
    /// crash can lose the last of them, never a write committed through `begin_write`, and
    /// never leaves the database inconsistent; the next synced commit makes them durable too.
    /// Both logs are written in order, so a listener's position that survived a crash means
    /// the writes it committed before it did too.
    pub async fn begin_write_without_sync(&self) -> Result<Tx, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.writer.begin_with("PRAGMA synchronous = NORMAL; BEGIN IMMEDIATE").await,
            Backend::Postgres => self.writer.begin_with("BEGIN; SET LOCAL synchronous_commit = off").await,
        }
    }

    /// True when the database answers a trivial query within two seconds.
    pub async fn is_ready(&self) -> bool {
        let ping = sqlx::query("SELECT 1").execute(&self.pool);
        matches!(tokio::time::timeout(Duration::from_secs(2), ping).await, Ok(Ok(_)))
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}

/// Appended to a `SELECT` in a write transaction to lock the rows it reads until commit:
/// ` FOR UPDATE` on PostgreSQL; nothing on SQLite, where `begin_write` already holds the
/// database's one write lock.
pub fn for_update(tx: &mut Tx) -> &'static str {
    if tx.backend_name() == "PostgreSQL" { " FOR UPDATE" } else { "" }
}

/// Checks an edit form's save against record `id` of `table`, which counts its saves in
/// `edits`, and locks the record until commit on PostgreSQL: `missing` if there is no such
/// record, `saved_since` if someone saved it after the form was opened (saving would undo
/// their changes). `seen` is the `edits` the form was opened with; `None` (a caller that does
/// not send it) is not checked.
pub async fn check_edits<E: From<sqlx::Error>>(
    tx: &mut Tx,
    table: &'static str,
    id: &str,
    seen: Option<i64>,
    missing: E,
    saved_since: E,
) -> Result<(), E> {
    check_count(tx, (table, "edits"), id, seen, missing, saved_since).await
}

/// `check_edits` against another count of the record's saves, for a form that shows only
/// some of its fields (`(table, column)`).
pub async fn check_count<E: From<sqlx::Error>>(
    tx: &mut Tx,
    (table, column): (&'static str, &'static str),
    id: &str,
    seen: Option<i64>,
    missing: E,
    saved_since: E,
) -> Result<(), E> {
    let sql = format!("SELECT {column} FROM {table} WHERE id = $1{}", for_update(tx));
    let count: Option<i64> =
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut **tx).await?;
    match count {
        None => Err(missing),
        Some(count) if seen.is_some_and(|seen| seen != count) => Err(saved_since),
        Some(_) => Ok(()),
    }
}

/// Holds a lock named `key` until the transaction ends, so that transactions naming the same
/// key run one after the other: an advisory lock on PostgreSQL; nothing on SQLite, where
/// `begin_write` already holds the database's one write lock.
pub async fn lock_key(tx: &mut Tx, key: &str) -> Result<(), sqlx::Error> {
    advisory_lock(tx, "pg_advisory_xact_lock", key).await
}

/// `lock_key` shared: transactions that share key `key` run side by side, and wait only for
/// one that holds it through `lock_key`.
pub async fn lock_key_shared(tx: &mut Tx, key: &str) -> Result<(), sqlx::Error> {
    advisory_lock(tx, "pg_advisory_xact_lock_shared", key).await
}

async fn advisory_lock(tx: &mut Tx, function: &str, key: &str) -> Result<(), sqlx::Error> {
    if tx.backend_name() == "PostgreSQL" {
        sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {function}(hashtextextended($1, 0))")))
            .bind(key)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// `for_update` for a join, locking only the rows of the table called `alias`: the joined
/// tables' rows stay free for whoever locks them in the usual order.
pub fn for_update_of(tx: &mut Tx, alias: &str) -> String {
    if tx.backend_name() == "PostgreSQL" { format!(" FOR UPDATE OF {alias}") } else { String::new() }
}

/// `$first, $first+1, …`: `count` numbered placeholders, for an `IN (…)` list.
pub fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// `($1, $2), ($3, $4), …`: the rows of a multi-row `VALUES`, `rows` rows of `columns`
/// placeholders each, numbered from `$first`. Binds then go row by row.
pub fn value_rows(first: usize, rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|row| format!("({})", placeholders(first + row * columns, columns)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The furthest page a list shows: a page number beyond it (typed into an address) shows
/// this one, which is empty, instead of overflowing the offset.
const MAX_PAGE: i64 = 1_000_000;

/// The page to show of a list `page_size` rows a page (1 for anything below it) and the
/// `OFFSET` of its first row.
pub fn page_and_offset(page: i64, page_size: i64) -> (i64, i64) {
    let page = page.clamp(1, MAX_PAGE);
    (page, (page - 1) * page_size)
}

/// One page of a list whose filter binds only text: `select` is the query up to its
/// `ORDER BY` (included), `binds` its `$1`, `$2`… in order. Answers the page's rows, the page
/// as shown (see `page_and_offset`) and whether more rows follow.
pub async fn fetch_page(
    db: &Db,
    select: &str,
    binds: &[String],
    page: i64,
    page_size: i64,
) -> Result<(Vec<sqlx::any::AnyRow>, i64, bool), sqlx::Error> {
    let (page, offset) = page_and_offset(page, page_size);
    let sql = format!("{select} LIMIT {} OFFSET {offset}", page_size + 1);
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for b in binds {
        query = query.bind(b);
    }
    let mut rows = query.fetch_all(db.pool()).await?;
    let has_more = rows.len() as i64 > page_size;
    rows.truncate(page_size as usize);
    Ok((rows, page, has_more))
}

/// `SELECT COUNT(*) …` with text `binds`, as `fetch_page` takes them.
pub async fn fetch_count(db: &Db, count_sql: &str, binds: &[String]) -> Result<i64, sqlx::Error> {
    let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql.to_string()));
    for b in binds {
        query = query.bind(b);
    }
    query.fetch_one(db.pool()).await
}

/// The `WHERE` of an admin list found by part of `title_column` (any case) and by
/// `status_column`'s value, each left out when not asked for, with the values to bind.
pub fn title_and_status_conditions(
    title_column: &str,
    search: &str,
    status_column: &str,
    status: Option<&str>,
) -> (String, Vec<String>) {
    let mut conditions = String::from(" WHERE 1 = 1");
    let mut binds: Vec<String> = Vec::new();
    if !search.trim().is_empty() {
        binds.push(contains_pattern(search));
        conditions.push_str(&format!(" AND LOWER({title_column}) LIKE ${} ESCAPE '\\'", binds.len()));
    }
    if let Some(status) = status {
        binds.push(status.to_string());
        conditions.push_str(&format!(" AND {status_column} = ${}", binds.len()));
    }
    (conditions, binds)
}

/// A LIKE pattern matching text that contains `search` (lower-cased): `%` and `_` typed by
/// a person are taken literally. Use it with `LIKE $n ESCAPE '\'` against a lower-cased
/// column.
pub fn contains_pattern(search: &str) -> String {
    let escaped = search.trim().to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// Seconds since the Unix epoch, UTC: how every `*_at` column stores time.
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Milliseconds since the Unix epoch, UTC: event and delivery times.
pub fn now_unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Whether a database error is a unique-constraint violation (same on both backends).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

#[cfg(test)]
mod tests {
    #[test]
    fn any_page_number_gives_a_page_and_its_offset() {
        assert_eq!(super::page_and_offset(1, 25), (1, 0));
        assert_eq!(super::page_and_offset(3, 25), (3, 50));
        assert_eq!(super::page_and_offset(-7, 25), (1, 0));
        assert_eq!(super::page_and_offset(i64::MAX, 50), (1_000_000, 49_999_950));
    }

    #[test]
    fn placeholders_are_numbered_in_order() {
        assert_eq!(super::placeholders(3, 2), "$3, $4");
        assert_eq!(super::value_rows(1, 2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(super::value_rows(5, 1, 1), "($5)");
    }

    #[test]
    fn typed_wildcards_are_matched_literally() {
        assert_eq!(super::contains_pattern(" Ana "), "%ana%");
        assert_eq!(super::contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
