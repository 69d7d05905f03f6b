//! The charging service behind `genprice serve`: accounts, charges,
//! grants, refills and idempotency, each operation one job in one store
//! transaction. It calls the pure core (pricing, plans, wallet) and never
//! copies a rule; it reads no clock (`now` comes from the caller) and
//! writes no SQL (the [`Store`] does).
//!
//! An operation on an account:
//! 1. looks up its idempotency key; the same key and request replay the
//!    stored response, the same key and another request is
//!    `idempotency_conflict`;
//! 2. loads the account row and rebuilds its wallet from the stored
//!    [`Snapshot`] — the live state only;
//! 3. refills the plan's allowances due for the current period
//!    ([`refill`]);
//! 4. applies the core operation (a hold, a settle …);
//! 5. writes the new ledger entries, the new snapshot, the charge row and
//!    the response under the idempotency key, all in the job's
//!    transaction. A refusal writes only the response under the key.
//!
//! The store runs one account's jobs one at a time, so two charges never
//! spend the same credit.

pub mod accounts;
pub mod calendar;
pub mod charges;
pub mod error;
pub mod grants;
pub mod refill;

pub use error::{Code, ServiceError};

use crate::catalog::Catalog;
use crate::store::{AccountRow, Store, StoreError, StoredResponse, Tx};
use crate::wallet::{Millis, Snapshot, Wallet};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::{Arc, RwLock};

/// Longest idempotency key accepted.
pub const MAX_KEY_LEN: usize = 255;

/// A response, as sent and as kept under an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: String,
    /// True when this is a stored response replayed for a retried key.
    pub replayed: bool,
}

impl Reply {
    /// A success with a JSON body.
    pub fn ok(status: u16, body: &Value) -> Reply {
        Reply {
            status,
            body: body.to_string(),
            replayed: false,
        }
    }

    /// A refusal.
    pub fn error(error: &ServiceError) -> Reply {
        Reply {
            status: error.status(),
            body: error.body().to_string(),
            replayed: false,
        }
    }
}

/// Who is calling: the studio's backend, or a browser session scoped to
/// one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The secret key: may do everything.
    Backend,
    /// A session token for one account: may read it and quote for it.
    Session {
        /// The account.
        account: String,
    },
}

impl Caller {
    /// Idempotency keys are scoped to the caller.
    fn scope(&self) -> String {
        match self {
            Caller::Backend => "backend".into(),
            Caller::Session { account } => format!("session:{account}"),
        }
    }
}

/// An idempotency key with the request it came with.
#[derive(Debug, Clone)]
pub struct Idempotency {
    /// The key (`Idempotency-Key`).
    pub key: String,
    /// SHA-256 of the method, path and body.
    pub request_hash: String,
}

impl Idempotency {
    /// The key for a request: `None` without a key; an error for a key
    /// that is empty or longer than [`MAX_KEY_LEN`].
    pub fn of(
        key: Option<&str>,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<Option<Idempotency>, ServiceError> {
        let Some(key) = key else { return Ok(None) };
        if key.is_empty() || key.len() > MAX_KEY_LEN {
            return Err(ServiceError::new(
                Code::Core(crate::ErrorCode::InvalidRequest),
                format!("Idempotency-Key must be 1 to {MAX_KEY_LEN} bytes"),
            )
            .at("Idempotency-Key"));
        }
        let mut hash = Sha256::new();
        hash.update(method.as_bytes());
        hash.update(b" ");
        hash.update(path.as_bytes());
        hash.update(b"\n");
        hash.update(body);
        let digest = hash.finalize();
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Some(Idempotency {
            key: key.to_string(),
            request_hash: hex,
        }))
    }
}

/// The service: a store and the catalog in force.
pub struct Service {
    store: Arc<dyn Store>,
    catalog: RwLock<Arc<Catalog>>,
}

impl Service {
    /// A service over `store`, pricing with `catalog`.
    pub fn new(store: Arc<dyn Store>, catalog: Catalog) -> Service {
        Service {
            store,
            catalog: RwLock::new(Arc::new(catalog)),
        }
    }

    /// The catalog in force.
    pub fn catalog(&self) -> Arc<Catalog> {
        match self.catalog.read() {
            Ok(c) => Arc::clone(&c),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Replaces the catalog (a reload). Operations already running finish
    /// with the catalog they started with.
    pub fn set_catalog(&self, catalog: Catalog) {
        let catalog = Arc::new(catalog);
        match self.catalog.write() {
            Ok(mut c) => *c = catalog,
            Err(poisoned) => *poisoned.into_inner() = catalog,
        }
    }

    /// The store.
    pub fn store(&self) -> &dyn Store {
        &*self.store
    }

    /// Runs `op` as one write job under `caller`'s idempotency `key`: a
    /// replay or a conflict answers without running it; otherwise its
    /// reply (success or refusal, never a store failure) is recorded under
    /// the key in the same transaction.
    pub async fn write(
        &self,
        caller: &Caller,
        key: Option<Idempotency>,
        now: Millis,
        op: impl FnOnce(&mut dyn Tx, &Catalog) -> Result<Reply, StoreError> + Send + 'static,
    ) -> Reply {
        let catalog = self.catalog();
        let scope = caller.scope();
        let result = crate::store::write(self.store(), move |tx| {
            if let Some(key) = &key
                && let Some(stored) = tx.idempotency(&scope, &key.key)?
            {
                if stored.request_hash != key.request_hash {
                    return Ok(Reply::error(&ServiceError::new(
                        Code::IdempotencyConflict,
                        "this Idempotency-Key was used with another request",
                    )));
                }
                return Ok(Reply {
                    status: stored.status,
                    body: stored.body,
                    replayed: true,
                });
            }
            let reply = op(tx, &catalog)?;
            if let Some(key) = &key {
                tx.put_idempotency(
                    &scope,
                    &key.key,
                    &StoredResponse {
                        status: reply.status,
                        body: reply.body.clone(),
                        request_hash: key.request_hash.clone(),
                    },
                    now,
                )?;
            }
            Ok(reply)
        })
        .await;
        result.unwrap_or_else(|e: StoreError| Reply::error(&ServiceError::from(e)))
    }

    /// Runs `op` as a read job.
    pub async fn read(
        &self,
        op: impl FnOnce(&mut dyn Tx, &Catalog) -> Result<Reply, StoreError> + Send + 'static,
    ) -> Reply {
        let catalog = self.catalog();
        let result = crate::store::read(self.store(), move |tx| op(tx, &catalog)).await;
        result.unwrap_or_else(|e: StoreError| Reply::error(&ServiceError::from(e)))
    }
}

/// An account loaded for an operation: its row and its wallet.
pub struct Loaded {
    /// The row as read.
    pub row: AccountRow,
    /// The wallet rebuilt from the row's snapshot; its `entries()` are the
    /// ones this operation appends.
    pub wallet: Wallet,
}

/// What an operation does when it cannot go on: a refusal to answer with,
/// or a store failure that aborts the job.
pub enum Stop {
    /// Answer with this refusal (recorded under the idempotency key).
    Refuse(ServiceError),
    /// Roll the job back and answer 500.
    Fail(StoreError),
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Stop {
        Stop::Fail(e)
    }
}

impl From<ServiceError> for Stop {
    fn from(e: ServiceError) -> Stop {
        Stop::Refuse(e)
    }
}

impl From<crate::wallet::WalletError> for Stop {
    fn from(e: crate::wallet::WalletError) -> Stop {
        Stop::Refuse(ServiceError::from(e))
    }
}

/// Turns an operation's outcome into the job's result: a refusal becomes
/// its reply, a store failure aborts.
pub fn finish(outcome: Result<Reply, Stop>) -> Result<Reply, StoreError> {
    match outcome {
        Ok(reply) => Ok(reply),
        Err(Stop::Refuse(e)) => Ok(Reply::error(&e)),
        Err(Stop::Fail(e)) => Err(e),
    }
}

/// Loads account `id` (or `unknown_account`).
pub fn load(tx: &mut dyn Tx, catalog: &Catalog, id: &str) -> Result<Loaded, Stop> {
    let row = tx.account(id)?.ok_or_else(|| unknown_account(id))?;
    from_row(catalog, row)
}

/// Rebuilds the wallet of an account row already read.
pub fn from_row(catalog: &Catalog, row: AccountRow) -> Result<Loaded, Stop> {
    let id = &row.id;
    let snapshot: Snapshot = serde_json::from_str(&row.snapshot)
        .map_err(|e| StoreError::new(format!("account {id}: corrupt snapshot: {e}")))?;
    let wallet = Wallet::from_snapshot(catalog.spec().wallet.clone(), snapshot)
        .map_err(|e| StoreError::new(format!("account {id}: {e}")))?;
    Ok(Loaded { row, wallet })
}

/// Writes back what an operation did: the new entries, the charges their
/// expiries released, the snapshot and the row (whose version must not
/// have moved).
pub fn save(tx: &mut dyn Tx, loaded: &mut Loaded) -> Result<(), StoreError> {
    tx.append_entries(&loaded.row.id, loaded.wallet.entries())?;
    charges::mark_expired(tx, &loaded.row.id, loaded.wallet.entries())?;
    loaded.row.snapshot = serde_json::to_string(&loaded.wallet.snapshot())
        .map_err(|e| StoreError::new(format!("cannot write a snapshot: {e}")))?;
    tx.update_account(&loaded.row)?;
    loaded.row.version += 1;
    Ok(())
}

/// `unknown_account`.
pub fn unknown_account(id: &str) -> ServiceError {
    ServiceError::new(
        Code::UnknownAccount,
        format!("no account {}", crate::error::echo(id)),
    )
}
