//! Where `genprice serve` keeps accounts, ledgers, charges and idempotency
//! records: the [`Store`] trait, and the SQL behind it: [`sqlite`] (one
//! embedded file, the default) and `postgres` (one database shared by
//! several instances; the `postgres` feature).
//!
//! The service never writes SQL. It hands the store *jobs*: closures over a
//! [`Tx`], the data-access primitives of one transaction. A write job runs
//! in its own savepoint inside a transaction the store may share with other
//! jobs (group commit), and its caller hears back only once that
//! transaction is durable. A job that fails (returns `Err`) is rolled back
//! to its savepoint and the others in the batch are unaffected.
//!
//! Every row an operation needs is found by key: the account row (with the
//! wallet's [`Snapshot`](crate::wallet::Snapshot)), a charge, an
//! idempotency record. Nothing reads the ledger to answer a write, so an
//! operation's cost does not grow with an account's history.

#[cfg(feature = "postgres")]
pub mod postgres;
pub mod sqlite;

use crate::wallet::Entry;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A failure of the store itself (I/O, a corrupt row, a constraint), not a
/// business refusal: the service answers it with a 500 and records nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError {
    /// What went wrong.
    pub message: String,
}

impl StoreError {
    /// A store error with a message.
    pub fn new(message: impl Into<String>) -> StoreError {
        StoreError {
            message: message.into(),
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "store: {}", self.message)
    }
}

impl std::error::Error for StoreError {}

/// A store result.
pub type StoreResult<T> = Result<T, StoreError>;

/// An account as stored: who it is, its plan, and its wallet's live state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountRow {
    /// The account id (the studio's own user or workspace id).
    pub id: String,
    /// Plan id in the catalog.
    pub plan: String,
    /// Seats (1 for a single-user plan).
    pub seats: u64,
    /// `monthly` or `annual`.
    pub cycle: String,
    /// When the account was created (Unix ms): the anchor of its cycles.
    pub created_at: i64,
    /// A plan change waiting for the next cycle: the plan id.
    pub pending_plan: Option<String>,
    /// When the waiting plan change takes effect (Unix ms).
    pub pending_at: Option<i64>,
    /// Seats under the waiting plan.
    pub pending_seats: Option<u64>,
    /// Since when the plan is in force (Unix ms): a cycle allowance is
    /// refilled for periods starting then or later (an upgrade's own
    /// period is pro-rated instead).
    pub plan_since: i64,
    /// The wallet's live state, as JSON ([`crate::wallet::Snapshot`]).
    pub snapshot: String,
    /// Bumped by every write of the row (optimistic checks, caches).
    pub version: i64,
}

/// What became of a charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargeStatus {
    /// Credits held, generation running.
    Pending,
    /// Charged (fully or in part).
    Settled,
    /// Given back: the generation failed or was cancelled.
    Released,
    /// Given back: its ttl passed first.
    Expired,
}

impl ChargeStatus {
    /// The status as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            ChargeStatus::Pending => "pending",
            ChargeStatus::Settled => "settled",
            ChargeStatus::Released => "released",
            ChargeStatus::Expired => "expired",
        }
    }

    /// The status named `text`.
    pub fn from_name(text: &str) -> Option<ChargeStatus> {
        [
            ChargeStatus::Pending,
            ChargeStatus::Settled,
            ChargeStatus::Released,
            ChargeStatus::Expired,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// A charge as stored. Its `body` is the charge as the API shows it (JSON),
/// kept whole so a read costs one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeRow {
    /// Account.
    pub account: String,
    /// Charge id (also the wallet hold's id).
    pub id: String,
    /// Status.
    pub status: ChargeStatus,
    /// When the hold expires if still pending (Unix ms).
    pub expires_at: i64,
    /// The charge as JSON.
    pub body: String,
}

/// A response kept under an idempotency key, replayed byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// The body, exactly as first sent.
    pub body: String,
    /// SHA-256 of the request (method, path, body) that produced it.
    pub request_hash: String,
}

/// Credits spent, for usage reports: one row per charged product line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpendRow {
    /// Account.
    pub account: String,
    /// The charge.
    pub charge: String,
    /// When it was settled (Unix ms).
    pub at: i64,
    /// Studio of the product.
    pub studio: String,
    /// Product id.
    pub product: String,
    /// Credits.
    pub amount: u64,
}

/// How usage is grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageBy {
    /// By UTC day (`2026-11-26`).
    Day,
    /// By studio.
    Studio,
    /// By product.
    Product,
}

/// The data-access primitives of one transaction. Implemented by each
/// backend; the service's jobs are written against it alone.
pub trait Tx {
    /// A meta value (schema version, key hashes), by key.
    fn meta(&mut self, key: &str) -> StoreResult<Option<String>>;
    /// Sets a meta value.
    fn set_meta(&mut self, key: &str, value: &str) -> StoreResult<()>;
    /// The response recorded under an idempotency key, if any.
    fn idempotency(&mut self, scope: &str, key: &str) -> StoreResult<Option<StoredResponse>>;
    /// Records a response under an idempotency key (in the same transaction
    /// as its effect).
    fn put_idempotency(
        &mut self,
        scope: &str,
        key: &str,
        response: &StoredResponse,
        at: i64,
    ) -> StoreResult<()>;
    /// An account by id.
    fn account(&mut self, id: &str) -> StoreResult<Option<AccountRow>>;
    /// Inserts a new account (its id is unused).
    fn insert_account(&mut self, row: &AccountRow) -> StoreResult<()>;
    /// Writes an account back; `row.version` is the version read, and the
    /// stored one becomes `row.version + 1`. A version that moved is an
    /// error (another writer got there first).
    fn update_account(&mut self, row: &AccountRow) -> StoreResult<()>;
    /// Appends ledger entries to an account's ledger. Their `seq` are the
    /// next ones; a grant's id must be new to the account.
    fn append_entries(&mut self, account: &str, entries: &[Entry]) -> StoreResult<()>;
    /// The ledger entry `seq` of an account.
    fn entry(&mut self, account: &str, seq: u64) -> StoreResult<Option<Entry>>;
    /// The sequence number of the grant entry that made grant `id`.
    fn grant_seq(&mut self, account: &str, id: &str) -> StoreResult<Option<u64>>;
    /// Up to `limit` entries after `after`, in order.
    fn ledger(&mut self, account: &str, after: u64, limit: u64) -> StoreResult<Vec<Entry>>;
    /// A charge.
    fn charge(&mut self, account: &str, id: &str) -> StoreResult<Option<ChargeRow>>;
    /// Inserts a new charge (its id is unused on the account).
    fn insert_charge(&mut self, row: &ChargeRow) -> StoreResult<()>;
    /// Writes a charge's new status and body back in place (its expiry
    /// does not change); a charge that is not there is an error.
    fn update_charge(&mut self, row: &ChargeRow) -> StoreResult<()>;
    /// Up to `limit` pending charges whose hold expired by `now`: (account, id).
    fn due_charges(&mut self, now: i64, limit: u64) -> StoreResult<Vec<(String, String)>>;
    /// Records spend rows.
    fn add_spend(&mut self, rows: &[SpendRow]) -> StoreResult<()>;
    /// Credits spent by an account in `[from, to)`, grouped: (group, credits).
    fn usage(
        &mut self,
        account: &str,
        from: i64,
        to: i64,
        by: UsageBy,
    ) -> StoreResult<Vec<(String, u64)>>;
}

/// A unit of work in a transaction: runs against a [`Tx`] and returns
/// whether its writes stand (`true`) or are rolled back to its savepoint,
/// and what to do once the transaction's outcome is known.
pub type Job = Box<dyn FnOnce(&mut dyn Tx) -> (bool, Deliver) + Send>;

/// Called once the transaction a job ran in is committed (and durable) or
/// has failed.
pub type Deliver = Box<dyn FnOnce(StoreResult<()>) + Send>;

/// A backend: runs write jobs (grouped, durable before they are answered)
/// and read jobs (on their own connections).
pub trait Store: Send + Sync + 'static {
    /// Queues a write job. Jobs of one account are applied one at a time:
    /// on SQLite in the order they are queued (one writer), on PostgreSQL
    /// in the order they take the account's row lock.
    fn submit(&self, job: Job);
    /// Queues a read job (its `bool` is ignored: a read changes nothing).
    fn submit_read(&self, job: Job);
    /// Stops taking jobs, finishes those queued, and closes the database.
    fn close(&self);
}

/// Runs `f` as a write job and waits until its transaction is durable.
/// `f`'s `Err` rolls its own writes back and is returned as is.
pub async fn write<R, E>(
    store: &dyn Store,
    f: impl FnOnce(&mut dyn Tx) -> Result<R, E> + Send + 'static,
) -> Result<R, E>
where
    R: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    run(store, f, true).await
}

/// Runs `f` as a read job.
pub async fn read<R, E>(
    store: &dyn Store,
    f: impl FnOnce(&mut dyn Tx) -> Result<R, E> + Send + 'static,
) -> Result<R, E>
where
    R: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    run(store, f, false).await
}

async fn run<R, E>(
    store: &dyn Store,
    f: impl FnOnce(&mut dyn Tx) -> Result<R, E> + Send + 'static,
    write: bool,
) -> Result<R, E>
where
    R: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    let (send, receive) = tokio::sync::oneshot::channel::<Result<R, E>>();
    let job: Job = Box::new(move |tx| {
        let result = f(tx);
        let keep = result.is_ok();
        let deliver: Deliver = Box::new(move |committed| {
            let _ = send.send(match committed {
                Ok(()) => result,
                Err(e) => Err(E::from(e)),
            });
        });
        (keep, deliver)
    });
    if write {
        store.submit(job);
    } else {
        store.submit_read(job);
    }
    receive
        .await
        .unwrap_or_else(|_| Err(E::from(StoreError::new("the store stopped"))))
}
