//! The shared store: PostgreSQL, for several `genprice serve` instances on
//! one database (`genprice serve --db postgres://…`).
//!
//! The same [`Store`] and [`Tx`](super::Tx) as SQLite, the same tables and
//! the same meaning; what changes is who serialises an account:
//!
//! - **Per-account order is the database's.** SQLite has one writer thread
//!   per process; here every instance has its writer connections (16 by
//!   default, `--db-writers`), each running one job per transaction
//!   (`READ COMMITTED`). In a write job,
//!   [`Tx::account`](super::Tx::account) reads the row `FOR UPDATE`: a
//!   second job on that account, on this instance or another, waits at
//!   that read until the first commits, then reads the committed row. The
//!   version check of `update_account` stays as a second guard. An account
//!   that is not there yet is read again under a transaction-scoped
//!   advisory lock on its id, so two instances creating one account
//!   concurrently answer `account_exists` to one of them, not a unique
//!   violation.
//! - **Idempotency across instances.** In a write job,
//!   [`Tx::idempotency`](super::Tx::idempotency) first takes a
//!   transaction-scoped advisory lock on (scope, key), then reads. A retry
//!   that lands on another instance while the first attempt is running
//!   waits for its commit and replays its answer. The service looks a key
//!   up before it locks the account, so locks are always taken in the order
//!   key, then account: no deadlock between jobs.
//! - **The sweeper** lists due charges on a read connection and expires
//!   each account in a write job, under the account's row lock. Every
//!   instance sweeps; when two pick the same account, the second finds
//!   nothing left to expire and writes nothing.
//! - **Durable before answered.** A job's caller hears back after its
//!   `COMMIT` returned, with the server's `synchronous_commit` (on by
//!   default: the commit record is flushed to the WAL). Group commit is
//!   PostgreSQL's own: concurrent commits on the writer connections
//!   share one WAL flush. A batch of jobs in one transaction, as the SQLite
//!   writer does, would hold every job's row locks until the batch commits
//!   and let two instances deadlock on each other's accounts.
//! - **Migrations** run at open under a session advisory lock, so two
//!   instances starting at once migrate once; the version is the row of
//!   `genprice_schema`.
//!
//! The driver is the synchronous [`postgres`] client (tokio-postgres
//! underneath) on dedicated threads, as SQLite's connections are: the
//! [`Tx`](super::Tx) a job runs against is synchronous, so an async pool
//! would only add a hop per statement. Prepared statements are cached per
//! connection. TLS is not built in: reach the database over loopback, a
//! unix socket, or a private network.

use super::{Deliver, Job, Store, StoreError, StoreResult};
use postgres::{Client, Config, NoTls, Statement};
use std::collections::HashMap;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

mod tx;
use tx::PgTx;

/// Read connections (and threads) per instance.
const READERS: usize = 4;

/// The session advisory lock held while migrating (any constant shared by
/// every instance: "genprice" in ASCII).
const MIGRATION_LOCK: i64 = 0x6765_6e70_7269_6365;

/// The migrations, in order: `MIGRATIONS[i]` takes the schema from version
/// `i` to `i + 1`. The tables are SQLite's, with PostgreSQL's types.
pub const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    plan TEXT NOT NULL,
    seats BIGINT NOT NULL,
    cycle TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    pending_plan TEXT,
    pending_at BIGINT,
    pending_seats BIGINT,
    plan_since BIGINT NOT NULL,
    snapshot TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE TABLE entries (
    account TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    grant_id TEXT,
    body TEXT NOT NULL,
    PRIMARY KEY (account, seq)
);
CREATE UNIQUE INDEX entries_grant ON entries (account, grant_id) WHERE grant_id IS NOT NULL;
CREATE TABLE charges (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    status TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (account, id)
);
CREATE INDEX charges_due ON charges (expires_at) WHERE status = 'pending';
CREATE TABLE idempotency (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE TABLE spend (
    account TEXT NOT NULL,
    charge TEXT NOT NULL,
    at BIGINT NOT NULL,
    studio TEXT NOT NULL,
    product TEXT NOT NULL,
    amount BIGINT NOT NULL
);
CREATE INDEX spend_at ON spend (account, at);
",
    "
-- v2: every operation rewrites its account row. With room left on the
-- row's page the new version goes on the same page and, as no indexed
-- column changes, the update is heap-only: the primary key index is not
-- touched and the old version is pruned in place. Applies to pages filled
-- from now on; the rows already there stay as they are.
ALTER TABLE accounts SET (fillfactor = 70);
",
];

/// The schema version this build writes.
pub fn schema_version() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}

/// A driver error as a store error, with the server's own message.
pub(crate) fn pg(e: postgres::Error) -> StoreError {
    match e.as_db_error() {
        Some(db) => StoreError::new(format!(
            "postgres: {} ({}){}",
            db.message(),
            db.code().code(),
            db.detail().map(|d| format!(": {d}")).unwrap_or_default()
        )),
        None => StoreError::new(format!("postgres: {e}")),
    }
}

/// A session of an instance that died (its machine lost, not its process:
/// then the socket closes) inside a transaction would keep its row locks
/// until TCP gave up on it; the server ends it after this long idle in a
/// transaction instead. A job never idles in its transaction: it runs its
/// statements back to back.
const IDLE_IN_TRANSACTION: &str = "SET idle_in_transaction_session_timeout = '10s'";

/// Connects once.
fn connect(config: &Config) -> StoreResult<Client> {
    let mut client = config.connect(NoTls).map_err(pg)?;
    client.batch_execute(IDLE_IN_TRANSACTION).map_err(pg)?;
    Ok(client)
}

/// Brings the schema of the database behind `client` to `target`, one
/// transaction per step, under the migration lock. Public so that a test
/// can make a database of an older version.
pub fn migrate_to(client: &mut Client, target: i64) -> StoreResult<()> {
    if target > schema_version() {
        return Err(StoreError::new(format!(
            "no schema version {target} (this genprice writes {})",
            schema_version()
        )));
    }
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .map_err(pg)?;
    let migrated = migrate_locked(client, target);
    let unlocked = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .map_err(pg);
    migrated.and(unlocked.map(|_| ()))
}

/// The schema version of the database behind `client` (0: empty).
pub fn version_of(client: &mut Client) -> StoreResult<i64> {
    let exists: bool = client
        .query_one("SELECT to_regclass('genprice_schema') IS NOT NULL", &[])
        .and_then(|r| r.try_get(0))
        .map_err(pg)?;
    if !exists {
        return Ok(0);
    }
    client
        .query_one("SELECT version FROM genprice_schema", &[])
        .and_then(|r| r.try_get::<_, i32>(0))
        .map(i64::from)
        .map_err(pg)
}

fn migrate_locked(client: &mut Client, target: i64) -> StoreResult<()> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS genprice_schema (version INTEGER NOT NULL);
             INSERT INTO genprice_schema (version)
                 SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM genprice_schema);",
        )
        .map_err(pg)?;
    let version = version_of(client)?;
    if version > schema_version() {
        return Err(StoreError::new(format!(
            "the database's schema is version {version}, newer than this genprice ({})",
            schema_version()
        )));
    }
    for (from, step) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(version).unwrap_or(0))
        .take(usize::try_from(target - version).unwrap_or(0))
    {
        let next = i32::try_from(from + 1).unwrap_or(i32::MAX);
        let mut tx = client.transaction().map_err(pg)?;
        tx.batch_execute(step).map_err(pg)?;
        tx.execute("UPDATE genprice_schema SET version = $1", &[&next])
            .map_err(pg)?;
        tx.commit().map_err(pg)?;
    }
    Ok(())
}

/// The PostgreSQL store.
pub struct PgStore {
    writes: Mutex<Option<Sender<Job>>>,
    reads: Mutex<Option<Sender<Job>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

/// One connection and its prepared statements.
struct Conn {
    client: Client,
    config: Config,
    statements: HashMap<&'static str, Statement>,
}

impl Conn {
    fn open(config: &Config) -> StoreResult<Conn> {
        Ok(Conn {
            client: connect(config)?,
            config: config.clone(),
            statements: HashMap::new(),
        })
    }

    /// A new connection when the old one is closed (the server restarted,
    /// the network failed, the session was terminated); its statements
    /// are prepared again.
    fn heal(&mut self) -> StoreResult<()> {
        if self.client.is_closed() {
            self.client = connect(&self.config)?;
            self.statements.clear();
        }
        Ok(())
    }

    /// Opens a transaction with `begin`. When that fails (a session
    /// terminated by the server, a connection lost), the connection is
    /// replaced and the `BEGIN` sent once more: no job has run in it yet,
    /// so nothing can happen twice.
    fn begin(&mut self, begin: &str) -> StoreResult<()> {
        self.heal()?;
        match self.client.batch_execute(begin) {
            Ok(()) => Ok(()),
            Err(e) => {
                tracing::warn!(error = %pg(e), "postgres: cannot begin; reconnecting");
                self.client = connect(&self.config)?;
                self.statements.clear();
                self.client.batch_execute(begin).map_err(pg)
            }
        }
    }
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user@host:port/db`),
    /// migrates its schema to the current version, and starts `writers`
    /// writer threads (at least one) and the reader threads, each with its
    /// connection. Blocks until every connection is open.
    pub fn open(url: &str, writers: usize) -> StoreResult<Arc<PgStore>> {
        let writers = writers.max(1);
        let config: Config = url
            .parse()
            // The URL may hold a password: not echoed.
            .map_err(|e| StoreError::new(format!("--db: not a PostgreSQL URL: {e}")))?;
        // The driver runs its own small runtime: connect on a plain thread,
        // not on one of the caller's (maybe async) threads.
        let first = config.clone();
        std::thread::spawn(move || -> StoreResult<()> {
            let mut client = connect(&first)?;
            migrate_to(&mut client, schema_version())
        })
        .join()
        .map_err(|_| StoreError::new("the migration thread failed"))??;

        let (write_send, write_receive) = channel::<Job>();
        let (read_send, read_receive) = channel::<Job>();
        let writes = Arc::new(Mutex::new(write_receive));
        let reads = Arc::new(Mutex::new(read_receive));
        let (ready_send, ready_receive) = channel::<StoreResult<()>>();
        let stats = Arc::new(Mutex::new(Stats {
            writers,
            ..Stats::default()
        }));
        let mut threads = Vec::new();
        for i in 0..writers + READERS {
            let write = i < writers;
            let jobs = Arc::clone(if write { &writes } else { &reads });
            let (config, ready, stats) = (config.clone(), ready_send.clone(), Arc::clone(&stats));
            let name = if write {
                format!("genprice-pg-writer-{i}")
            } else {
                format!("genprice-pg-reader-{}", i - writers)
            };
            let thread = std::thread::Builder::new()
                .name(name)
                .spawn(move || match Conn::open(&config) {
                    Ok(conn) => {
                        let _ = ready.send(Ok(()));
                        drop(ready);
                        work(conn, &jobs, write, &stats);
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e));
                    }
                })
                .map_err(|e| StoreError::new(format!("cannot start a connection thread: {e}")))?;
            threads.push(thread);
        }
        drop(ready_send);
        let store = PgStore {
            writes: Mutex::new(Some(write_send)),
            reads: Mutex::new(Some(read_send)),
            threads: Mutex::new(threads),
        };
        for _ in 0..writers + READERS {
            let ready = ready_receive
                .recv()
                .unwrap_or_else(|_| Err(StoreError::new("a connection thread stopped")));
            if let Err(e) = ready {
                store.close();
                return Err(e);
            }
        }
        let started = Instant::now();
        let log_stats = Arc::clone(&stats);
        let store = Arc::new(store);
        if let Ok(mut threads) = store.threads.lock() {
            // Logs the writers' stats once they have all stopped.
            let writing: Vec<JoinHandle<()>> = threads.drain(..writers).collect();
            if let Ok(t) = std::thread::Builder::new()
                .name("genprice-pg-stats".into())
                .spawn(move || {
                    for w in writing {
                        let _ = w.join();
                    }
                    if let Ok(stats) = log_stats.lock() {
                        stats.log(started.elapsed());
                    }
                })
            {
                threads.push(t);
            }
        }
        Ok(store)
    }
}

impl Store for PgStore {
    fn submit(&self, job: Job) {
        if let Ok(guard) = self.writes.lock()
            && let Some(send) = guard.as_ref()
        {
            // A closed store drops the job; its caller hears "stopped".
            let _ = send.send(job);
        }
    }

    fn submit_read(&self, job: Job) {
        if let Ok(guard) = self.reads.lock()
            && let Some(send) = guard.as_ref()
        {
            let _ = send.send(job);
        }
    }

    fn close(&self) {
        if let Ok(mut w) = self.writes.lock() {
            w.take();
        }
        if let Ok(mut r) = self.reads.lock() {
            r.take();
        }
        let threads = self
            .threads
            .lock()
            .map(|mut t| std::mem::take(&mut *t))
            .unwrap_or_default();
        for thread in threads {
            let _ = thread.join();
        }
    }
}

/// What the writers did, logged when the store closes (level info, target
/// `genprice::store::stats`, as SQLite's writer logs its own).
#[derive(Debug, Default)]
struct Stats {
    writers: usize,
    jobs: u64,
    failed: u64,
    /// Summed over the writers: running jobs (their statements' round trips
    /// and waits for row locks included).
    run: Duration,
    /// Summed over the writers: in `BEGIN` and `COMMIT` (the WAL flush).
    commit: Duration,
}

impl Stats {
    fn log(&self, wall: Duration) {
        let ms = |d: Duration| d.as_millis();
        tracing::info!(
            target: "genprice::store::stats",
            backend = "postgres",
            wall_ms = ms(wall),
            writers = self.writers,
            jobs = self.jobs,
            failed = self.failed,
            run_ms = ms(self.run),
            commit_ms = ms(self.commit),
            "writer stats"
        );
    }
}

/// A connection's thread: one transaction per job, until the queue closes.
fn work(mut conn: Conn, jobs: &Mutex<Receiver<Job>>, write: bool, stats: &Mutex<Stats>) {
    let begin = if write {
        "BEGIN"
    } else {
        // A read sees one snapshot, as a SQLite read transaction does.
        "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
    };
    loop {
        let job = match jobs.lock() {
            Ok(receiver) => match receiver.recv() {
                Ok(job) => job,
                Err(_) => return,
            },
            Err(_) => return,
        };
        let started = Instant::now();
        let (outcome, deliver, ran) = run_one(&mut conn, job, begin, write);
        if write && let Ok(mut s) = stats.lock() {
            s.jobs += 1;
            s.failed += u64::from(outcome.is_err());
            s.run += ran;
            s.commit += started.elapsed().saturating_sub(ran);
        }
        if let Some(deliver) = deliver {
            deliver(outcome);
        }
    }
}

/// Runs one job in its own transaction: its outcome (committed, or why
/// not), its deliver (none when it never ran), and the time in the job.
fn run_one(
    conn: &mut Conn,
    job: Job,
    begin: &str,
    write: bool,
) -> (StoreResult<()>, Option<Deliver>, Duration) {
    if let Err(e) = conn.begin(begin) {
        // The job never ran: its caller hears that the store stopped (the
        // channel of its answer is dropped with it).
        drop(job);
        tracing::warn!(error = %e, "postgres: cannot begin a transaction");
        if conn.client.is_closed() {
            std::thread::sleep(Duration::from_millis(100));
        }
        return (Err(e), None, Duration::ZERO);
    }
    let running = Instant::now();
    let mut tx = PgTx::new(conn, write);
    let (keep, deliver) = job(&mut tx);
    let failed = tx.failed();
    let ran = running.elapsed();
    let outcome = if keep && failed.is_none() {
        conn.client.batch_execute("COMMIT").map_err(pg)
    } else {
        let _ = conn.client.batch_execute("ROLLBACK");
        match failed {
            // The job kept a statement's failure to itself: nothing of it
            // stands, and its caller must not hear that it did.
            Some(e) if keep => Err(e),
            _ => Ok(()),
        }
    };
    (outcome, Some(deliver), ran)
}
