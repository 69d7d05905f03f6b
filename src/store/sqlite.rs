//! The embedded store: one SQLite file in WAL mode with
//! `synchronous=FULL`, so a committed transaction survives a crash or a
//! power cut.
//!
//! One writer thread owns the write connection. It takes every job queued
//! (up to [`MAX_BATCH`]), opens `BEGIN IMMEDIATE`, runs each job in its own
//! savepoint, commits once, and only then answers each job: group commit,
//! one fsync for the batch. Reads run on their own connections and threads,
//! each in a read transaction (a consistent snapshot under WAL).
//!
//! A checkpointer thread copies the WAL into the database file on its own
//! connection, so that copy is not paid inside a batch's `COMMIT`.
//!
//! The schema is versioned with `PRAGMA user_version` and migrated at open.

use super::{Deliver, Job, Store, StoreError, StoreResult};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Most jobs committed in one transaction.
pub const MAX_BATCH: usize = 512;

/// Reader threads (and connections).
const READERS: usize = 4;

/// How often the checkpointer copies the WAL into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(50);

/// The writer's page cache, in KiB. SQLite's default (2 MiB) misses on
/// the random leaves (charge ids, idempotency keys) of a database of any
/// size, and each miss is a `pread` inside the batch.
const WRITER_CACHE_KIB: u32 = 65_536;

/// The writer's own automatic checkpoint, a backstop for a checkpointer
/// that falls behind: WAL pages (of 4 KiB) before a commit checkpoints.
const BACKSTOP_PAGES: u32 = 16_384;

/// The pragmas every connection runs: durability first.
const PRAGMAS: &str = "PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
PRAGMA busy_timeout = 10000;
PRAGMA foreign_keys = OFF;";

mod tx;
use tx::SqliteTx;

/// The migrations, in order: `MIGRATIONS[i]` takes the schema from version
/// `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    plan TEXT NOT NULL,
    seats INTEGER NOT NULL,
    cycle TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    pending_plan TEXT,
    pending_at INTEGER,
    pending_seats INTEGER,
    plan_since INTEGER NOT NULL,
    snapshot TEXT NOT NULL,
    version INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE entries (
    account TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    grant_id TEXT,
    body TEXT NOT NULL,
    PRIMARY KEY (account, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX entries_grant ON entries (account, grant_id) WHERE grant_id IS NOT NULL;
CREATE TABLE charges (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    status TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (account, id)
) WITHOUT ROWID;
CREATE INDEX charges_due ON charges (expires_at) WHERE status = 'pending';
CREATE TABLE idempotency (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;
CREATE TABLE spend (
    account TEXT NOT NULL,
    charge TEXT NOT NULL,
    at INTEGER NOT NULL,
    studio TEXT NOT NULL,
    product TEXT NOT NULL,
    amount INTEGER NOT NULL
);
CREATE INDEX spend_at ON spend (account, at);
",
    "
-- v2: charges and idempotency records become rowid tables, their keys
-- unique indexes. Keyed by a random id or a client's key, a WITHOUT ROWID
-- row of ~700 bytes was inserted in the middle of a B-tree of ~5 rows a
-- leaf, and SQLite rebalanced three leaves and their parent every few
-- inserts: one job wrote six to eighteen pages. Now the row is appended
-- to the table's last leaf (shared by every job of a batch) and only the
-- key (~50 bytes) goes into the middle of an index.
CREATE TABLE charges_v2 (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    status TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    body TEXT NOT NULL
);
INSERT INTO charges_v2 (account, id, status, expires_at, body)
    SELECT account, id, status, expires_at, body FROM charges;
DROP TABLE charges;
ALTER TABLE charges_v2 RENAME TO charges;
CREATE UNIQUE INDEX charges_key ON charges (account, id);
CREATE INDEX charges_due ON charges (expires_at) WHERE status = 'pending';
CREATE TABLE idempotency_v2 (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
INSERT INTO idempotency_v2 (scope, key, request_hash, status, body, created_at)
    SELECT scope, key, request_hash, status, body, created_at FROM idempotency;
DROP TABLE idempotency;
ALTER TABLE idempotency_v2 RENAME TO idempotency;
CREATE UNIQUE INDEX idempotency_key ON idempotency (scope, key);
",
];

/// The schema version this build writes.
pub fn schema_version() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}

fn sql(e: rusqlite::Error) -> StoreError {
    StoreError::new(e.to_string())
}

/// Opens a connection with the durability pragmas.
fn connect(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open(path)
        .map_err(|e| StoreError::new(format!("{}: cannot open database: {e}", path.display())))?;
    conn.execute_batch(PRAGMAS).map_err(sql)?;
    Ok(conn)
}

/// Brings the schema to the current version, in one transaction per step.
fn migrate(conn: &mut Connection) -> StoreResult<()> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(sql)?;
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
    {
        let tx = conn.transaction().map_err(sql)?;
        tx.execute_batch(step).map_err(sql)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", from + 1))
            .map_err(sql)?;
        tx.commit().map_err(sql)?;
    }
    Ok(())
}

/// The embedded SQLite store.
pub struct SqliteStore {
    writes: Mutex<Option<Sender<Job>>>,
    reads: Mutex<Option<Sender<Job>>>,
    checkpoints: Mutex<Option<Sender<()>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating and migrating) the database at `path` and starts the
    /// writer and reader threads.
    pub fn open(path: &Path) -> StoreResult<Arc<SqliteStore>> {
        let mut writer = connect(path)?;
        migrate(&mut writer)?;
        // Checkpoints run on their own thread, not inside the writer's
        // COMMIT (see `checkpoint_loop`); the writer's own is a backstop.
        writer
            .execute_batch(&format!(
                "PRAGMA wal_autocheckpoint = {BACKSTOP_PAGES};
                 PRAGMA journal_size_limit = {};
                 PRAGMA cache_size = -{WRITER_CACHE_KIB};",
                u64::from(BACKSTOP_PAGES) * 4096
            ))
            .map_err(sql)?;
        let (write_send, write_receive) = channel::<Job>();
        let (read_send, read_receive) = channel::<Job>();
        let mut threads = Vec::new();
        threads.push(
            std::thread::Builder::new()
                .name("genprice-writer".into())
                .spawn(move || write_loop(writer, &write_receive))
                .map_err(|e| StoreError::new(format!("cannot start the writer: {e}")))?,
        );
        let (checkpoint_send, checkpoint_receive) = channel::<()>();
        let checkpointer = connect(path)?;
        threads.push(
            std::thread::Builder::new()
                .name("genprice-checkpoint".into())
                .spawn(move || checkpoint_loop(&checkpointer, &checkpoint_receive))
                .map_err(|e| StoreError::new(format!("cannot start the checkpointer: {e}")))?,
        );
        let shared = Arc::new(Mutex::new(read_receive));
        for i in 0..READERS {
            let conn = connect(path)?;
            let jobs = Arc::clone(&shared);
            threads.push(
                std::thread::Builder::new()
                    .name(format!("genprice-reader-{i}"))
                    .spawn(move || read_loop(conn, &jobs))
                    .map_err(|e| StoreError::new(format!("cannot start a reader: {e}")))?,
            );
        }
        Ok(Arc::new(SqliteStore {
            writes: Mutex::new(Some(write_send)),
            reads: Mutex::new(Some(read_send)),
            checkpoints: Mutex::new(Some(checkpoint_send)),
            threads: Mutex::new(threads),
            path: path.to_path_buf(),
        }))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Store for SqliteStore {
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
        if let Ok(mut c) = self.checkpoints.lock() {
            c.take();
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

/// What the writer thread did, logged when the store closes (level info,
/// target `genprice::store::stats`): how it spent its time and how large
/// its batches were. `scripts/bench-serve` reads it to say what bounds the
/// write rate.
#[derive(Debug, Default)]
struct WriterStats {
    batches: u64,
    jobs: u64,
    max_batch: usize,
    /// Batches of 1, 2–4, 5–16, 17–64, 65 and more jobs.
    sizes: [u64; 5],
    /// In `BEGIN IMMEDIATE`.
    begin: Duration,
    /// Running jobs, their savepoints included.
    run: Duration,
    /// In `COMMIT`: writing the WAL and the fsync.
    commit: Duration,
    /// Answering the jobs of committed batches.
    deliver: Duration,
}

impl WriterStats {
    fn count(&mut self, size: usize) {
        self.batches += 1;
        self.jobs += size as u64;
        self.max_batch = self.max_batch.max(size);
        let bucket = match size {
            0..=1 => 0,
            2..=4 => 1,
            5..=16 => 2,
            17..=64 => 3,
            _ => 4,
        };
        if let Some(n) = self.sizes.get_mut(bucket) {
            *n += 1;
        }
    }

    fn log(&self, wall: Duration) {
        let ms = |d: Duration| d.as_millis();
        tracing::info!(
            target: "genprice::store::stats",
            wall_ms = ms(wall),
            batches = self.batches,
            jobs = self.jobs,
            max_batch = self.max_batch,
            sizes = ?self.sizes,
            begin_ms = ms(self.begin),
            run_ms = ms(self.run),
            commit_ms = ms(self.commit),
            deliver_ms = ms(self.deliver),
            "writer stats"
        );
    }
}

/// The writer: batches jobs into one durable transaction each.
fn write_loop(mut conn: Connection, jobs: &Receiver<Job>) {
    let started = Instant::now();
    let mut stats = WriterStats::default();
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        stats.count(batch.len());
        let outcome = run_batch(&mut conn, batch, &mut stats);
        let delivering = Instant::now();
        match outcome {
            Ok(delivers) => {
                for deliver in delivers {
                    deliver(Ok(()));
                }
            }
            Err((error, delivers)) => {
                for deliver in delivers {
                    deliver(Err(error.clone()));
                }
            }
        }
        stats.deliver += delivering.elapsed();
    }
    stats.log(started.elapsed());
    // The channel is closed: checkpoint the WAL into the database file.
    let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
    let _ = conn.close();
}

type Batch = Result<Vec<Deliver>, (StoreError, Vec<Deliver>)>;

fn run_batch(conn: &mut Connection, batch: Vec<Job>, stats: &mut WriterStats) -> Batch {
    let begun = Instant::now();
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        // Nothing ran: answer each job with the error, without running it.
        return Err((sql(e), Vec::new()));
    }
    let running = Instant::now();
    stats.begin += running - begun;
    let mut delivers = Vec::with_capacity(batch.len());
    for job in batch {
        if let Err(e) = conn.execute_batch("SAVEPOINT job") {
            let _ = conn.execute_batch("ROLLBACK");
            return Err((sql(e), delivers));
        }
        let (keep, deliver) = job(&mut SqliteTx { conn });
        delivers.push(deliver);
        let end = if keep {
            "RELEASE job"
        } else {
            "ROLLBACK TO job; RELEASE job"
        };
        if let Err(e) = conn.execute_batch(end) {
            let _ = conn.execute_batch("ROLLBACK");
            return Err((sql(e), delivers));
        }
    }
    let committing = Instant::now();
    stats.run += committing - running;
    let committed = conn.execute_batch("COMMIT");
    stats.commit += committing.elapsed();
    match committed {
        Ok(()) => Ok(delivers),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err((sql(e), delivers))
        }
    }
}

/// The checkpointer: every [`CHECKPOINT_EVERY`], a passive checkpoint on
/// its own connection copies committed WAL pages into the database file
/// and syncs it, while the writer goes on committing (in WAL mode a
/// checkpoint does not take the write lock). Left to the writer's
/// automatic checkpoint, that copy and its fsync ran inside a `COMMIT`,
/// holding up every job of the batch. Durability is unchanged: a commit
/// is durable once its WAL frames are synced, checkpointed or not. Stops
/// when its channel closes.
fn checkpoint_loop(conn: &Connection, stop: &Receiver<()>) {
    loop {
        match stop.recv_timeout(CHECKPOINT_EVERY) {
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
        }
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "checkpoint failed (the next one retries)");
        }
    }
}

/// A reader: one read transaction per job.
fn read_loop(mut conn: Connection, jobs: &Mutex<Receiver<Job>>) {
    loop {
        let job = match jobs.lock() {
            Ok(receiver) => match receiver.recv() {
                Ok(job) => job,
                Err(_) => return,
            },
            Err(_) => return,
        };
        if conn.execute_batch("BEGIN").is_err() {
            // The job is dropped: its caller hears that the store stopped.
            drop(job);
            continue;
        }
        let (_, deliver) = job(&mut SqliteTx { conn: &mut conn });
        let _ = conn.execute_batch("COMMIT");
        deliver(Ok(()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{AccountRow, read, write};

    fn temp_db(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("genprice-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("test.db")
    }

    fn account(id: &str) -> AccountRow {
        AccountRow {
            id: id.into(),
            plan: "free".into(),
            seats: 1,
            cycle: "monthly".into(),
            created_at: 0,
            pending_plan: None,
            pending_at: None,
            pending_seats: None,
            plan_since: 0,
            snapshot: "{}".into(),
            version: 0,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_job_is_rolled_back_alone_and_the_batch_commits() {
        let path = temp_db("rollback");
        let store = SqliteStore::open(&path).unwrap();
        let mut handles = Vec::new();
        for i in 0..50 {
            let store = Arc::clone(&store);
            handles.push(tokio::spawn(async move {
                write(&*store, move |tx| -> Result<(), StoreError> {
                    tx.insert_account(&account(&format!("a{i}")))?;
                    if i % 5 == 0 {
                        return Err(StoreError::new("refused"));
                    }
                    Ok(())
                })
                .await
            }));
        }
        let mut ok = 0;
        for h in handles {
            if h.await.unwrap().is_ok() {
                ok += 1;
            }
        }
        assert_eq!(ok, 40);
        let count = read(&*store, |tx| -> Result<usize, StoreError> {
            Ok((0..50)
                .filter(|i| tx.account(&format!("a{i}")).unwrap().is_some())
                .count())
        })
        .await
        .unwrap();
        assert_eq!(count, 40);
        store.close();
        // Reopened, the schema is not migrated twice and the rows are there.
        let store = SqliteStore::open(&path).unwrap();
        let found = read(&*store, |tx| tx.account("a1")).await.unwrap();
        assert_eq!(found.unwrap().plan, "free");
        store.close();
    }

    #[tokio::test]
    async fn an_update_with_a_stale_version_is_refused() {
        let store = SqliteStore::open(&temp_db("version")).unwrap();
        write(&*store, |tx| tx.insert_account(&account("x")))
            .await
            .unwrap();
        write(&*store, |tx| tx.update_account(&account("x")))
            .await
            .unwrap();
        let stale = write(&*store, |tx| tx.update_account(&account("x"))).await;
        assert!(stale.is_err());
        store.close();
    }

    #[tokio::test]
    async fn a_v1_database_is_migrated_with_its_charges_and_keys() {
        use crate::store::{ChargeRow, ChargeStatus, StoredResponse};
        let path = temp_db("v1");
        let mut conn = Connection::open(&path).unwrap();
        conn.execute_batch(PRAGMAS).unwrap();
        let tx = conn.transaction().unwrap();
        tx.execute_batch(MIGRATIONS[0]).unwrap();
        tx.execute_batch(
            "PRAGMA user_version = 1;
             INSERT INTO charges VALUES ('a', 'ch_1', 'pending', 5, '{\"id\":\"ch_1\"}');
             INSERT INTO idempotency VALUES ('backend', 'k', 'h', 201, '{\"id\":\"ch_1\"}', 0);",
        )
        .unwrap();
        tx.commit().unwrap();
        drop(conn);
        let store = SqliteStore::open(&path).unwrap();
        let (charge, due, stored, again) = write(&*store, |tx| -> StoreResult<_> {
            let charge = tx.charge("a", "ch_1")?;
            let due = tx.due_charges(10, 10)?;
            let stored = tx.idempotency("backend", "k")?;
            let response = StoredResponse {
                status: 200,
                body: "{}".into(),
                request_hash: "h".into(),
            };
            // Keys and charge ids stay unique.
            let again = tx.put_idempotency("backend", "k", &response, 1).is_err()
                && tx
                    .insert_charge(&ChargeRow {
                        account: "a".into(),
                        id: "ch_1".into(),
                        status: ChargeStatus::Pending,
                        expires_at: 1,
                        body: "{}".into(),
                    })
                    .is_err();
            Ok((charge, due, stored, again))
        })
        .await
        .unwrap();
        assert_eq!(charge.unwrap().body, "{\"id\":\"ch_1\"}");
        assert_eq!(due, vec![("a".to_string(), "ch_1".to_string())]);
        assert_eq!(stored.unwrap().status, 201);
        assert!(again);
        store.close();
        let conn = Connection::open(&path).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, schema_version());
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let path = temp_db("newer");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA user_version = 99").unwrap();
        drop(conn);
        assert!(SqliteStore::open(&path).is_err());
    }
}
