//! The credit wallet: grants from several balances at once, spent in a
//! defined burn order, reserved by holds when a generation starts, charged
//! only when it succeeds and given back when it fails.
//!
//! A pure core: no I/O, no clock (`now` is an argument, Unix milliseconds).
//! The browser uses it to preview "this will use 40 daily + 60 monthly
//! credits, leaving 312"; the server uses the same code to charge. A wallet
//! is an append-only ledger of [`Entry`]s folded into state:
//! [`Wallet::from_entries`] rebuilds it, equal field for field.
//!
//! ```
//! use genprice::wallet::{Grant, GrantSource, HoldRequest, Metadata, Wallet};
//!
//! let mut wallet = Wallet::default();
//! let daily = Grant { id: "daily/1".into(), source: GrantSource::Daily, amount: 100,
//!     effective_at: 0, expires_at: Some(86_400_000), priority: 0 };
//! let topup = Grant { id: "pack-1".into(), source: GrantSource::Topup, amount: 500,
//!     effective_at: 0, expires_at: None, priority: 0 };
//! wallet.grant(&daily, &Metadata::default(), 0)?;
//! wallet.grant(&topup, &Metadata::default(), 0)?;
//!
//! let preview = wallet.preview(160, 1_000)?;           // daily first: it expires
//! assert_eq!(preview.allocations[0].amount, 100);
//! assert_eq!(preview.available_after, 440);
//!
//! let request = HoldRequest { id: "gen-1".into(), amount: 160, ttl: 600_000,
//!     metadata: Metadata::default() };
//! wallet.hold(&request, 1_000)?;                        // generation starts
//! wallet.settle("gen-1", 120, 5_000)?;                 // 3 of 4 images made
//! assert_eq!(wallet.balance(5_000)?.available, 480);
//!
//! let again = Wallet::from_entries(Default::default(), wallet.entries().to_vec())?;
//! assert_eq!(again, wallet);
//! # Ok::<(), genprice::wallet::WalletError>(())
//! ```
//!
//! # State, log and cost
//!
//! A wallet keeps its log (the entries) apart from its state (every grant
//! with its figures, every hold with its status, every refill made) and
//! indexes the live part of the state:
//!
//! - **open grants** (credits available or held), in burn order: a spend
//!   walks them from the front; a spent-out or expired grant drops out;
//! - **expiring grants** (credits available, an expiry) and **pending
//!   holds**, each by `(expiresAt, id)`: the expire entry due at `now` is a
//!   prefix of each;
//! - **totals per source** of every grant's figures, kept as the wallet
//!   changes, so a balance never visits a closed grant.
//!
//! So an operation costs what is live and what it names (`O(log n)` lookups
//! by id), not the history. [`Wallet::balance`] and [`Wallet::preview`] count
//! the expiry due at `now` as a per-grant adjustment instead of applying it
//! to a copy. An operation applies the due expiry, then builds and applies
//! its own entry; if that fails, the expire entry is taken back (an undo the
//! size of that entry), so a failure changes nothing and nothing is ever
//! copied. The log is read only to answer a retry with its original entry,
//! by the `seq` the state records. `docs/wallet.md` ("State, log and what an
//! operation costs") gives the cost model and how a store would keep this
//! state in tables.
//!
//! # Invariants
//!
//! Each rule has a test of the same name (`src/wallet/tests/`,
//! `tests/wallet_*.rs`); `docs/wallet.md` states them at length.
//!
//! 1. **`credits_are_conserved`**: for every grant,
//!    `amount = available + held + spent + expired`; no operation creates or
//!    destroys a credit, so for the wallet
//!    `granted = available + upcoming + held + spent + expired`.
//! 2. **`no_balance_goes_below_zero`**: every figure is a `u64`, every
//!    change is checked, and the wallet's total granted is at most
//!    2^53 − 1 (`amount_overflow` otherwise), so no sum overflows.
//! 3. **`grant_is_idempotent_on_id`**: the same grant id with the same
//!    fields is a no-op returning the original entry; with other fields it
//!    is `grant_conflict`.
//! 4. **`grant_expiry_is_exclusive`**: a grant is spendable from
//!    `effectiveAt` (inclusive) to `expiresAt` (exclusive).
//! 5. **`burn_order_is_soonest_expiry_then_priority_then_oldest_then_id`**,
//!    unless the policy's `burnOrder` lists sources to spend first
//!    (**`burn_order_policy_puts_listed_sources_first`**).
//! 6. **`preview_changes_nothing_and_matches_hold`**.
//! 7. **`hold_reserves_all_or_nothing`**: a hold takes its whole amount
//!    from specific grants, or fails with `insufficient_credits`
//!    (`requested`, `available`, `shortfall`) and takes nothing.
//! 8. **`hold_resolves_at_most_once`**: settle, release and expiry each
//!    resolve a pending hold; after that, another resolution is
//!    `already_settled`, `already_released` or `hold_expired`.
//! 9. **`settle_cannot_exceed_hold`**: `exceeds_hold`.
//! 10. **`partial_settle_charges_in_allocation_order`**: the charge is
//!     taken from the hold's allocations in order (its burn order), the rest
//!     goes back to the grants it came from.
//! 11. **`retry_returns_the_original_result`**: repeating a grant, hold,
//!     settle, release or refill with the same id and arguments returns the
//!     original entry (`replayed: true`) and changes nothing; the same hold
//!     id with other arguments is `hold_conflict`.
//! 12. **`held_credits_do_not_expire_while_held`**, and
//!     **`expired_grant_returns_credits_as_expired`**: credits a hold gives
//!     back to a grant past its expiry are recorded as expired in the same
//!     entry.
//! 13. **`hold_expires_after_ttl`**: from `createdAt + ttl` on, a pending
//!     hold is expired and released.
//! 14. **`every_operation_expires_what_is_due_first`**: an operation at
//!     `now` first appends the expire entry due at `now`, if any.
//! 15. **`refill_is_idempotent_per_period`**, with its rollover rule
//!     (`none`, `capped`, `full`).
//! 16. **`time_never_goes_backwards`**: an operation or entry dated before
//!     the last entry is refused (`time_before_last_entry`,
//!     `invalid_ledger`).
//! 17. **`failed_operation_changes_nothing`** (also after the expiry due
//!     at its `now` was applied: it is taken back).
//! 18. **`replay_rebuilds_identical_state`**: `from_entries(entries)` equals
//!     the wallet that wrote them; an entry that does not follow from
//!     the ones before is `invalid_ledger`.

// WalletError carries its details (requested, available, shortfall, hold,
// grant, line, path) as typed fields so they serialize as data; that makes it
// 168 bytes. Errors are the cold path, and a flat struct keeps `e.code` and
// `e.shortfall` plain field reads for callers.
#![allow(
    clippy::result_large_err,
    reason = "WalletError keeps its details as typed fields"
)]

mod balance;
mod burn;
mod command;
mod error;
mod expire;
mod grant;
mod hold;
mod index;
mod jsonl;
mod ledger;
mod policy;
mod refill;
mod snapshot;
mod time;

#[cfg(test)]
mod tests;

pub use balance::{Balance, GrantBalance, NextExpiry, SourceBalance};
pub use burn::{Preview, SourceAmount};
pub use command::{Answer, Command};
pub use error::WalletError;
pub use grant::{Grant, GrantSource, GrantState};
pub use hold::{HoldRequest, HoldState, HoldStatus};
pub use jsonl::{LedgerFold, ledger_line, read_ledger};
pub use ledger::{
    Allocation, Entry, ExpireEntry, ExpiredGrant, ExpiredHold, GrantEntry, GrantLine, HoldEntry,
    Metadata, RefillEntry, ReleaseEntry, SettleEntry,
};
pub use policy::{Allowance, Every, Rollover, WalletPolicy};
pub use refill::{Refill, RefillState};
pub use snapshot::{Snapshot, SourceTotals};
pub use time::{MAX_ID_LEN, MAX_TEXT_LEN, MAX_TIME, Millis};

use crate::error::ErrorCode;
use index::Index;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// A credit wallet: its policy, and the state folded from its ledger.
///
/// Two wallets are equal when their policy, grants, holds, refills and
/// entries are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wallet {
    policy: WalletPolicy,
    /// Every grant, by id. Hashed: a lookup by id must not cost more as
    /// the wallet ages (a B-tree of a million holds was a third of an
    /// operation's time, in string comparisons).
    grants: HashMap<String, GrantState>,
    /// Every hold, by id; hashed like `grants`.
    holds: HashMap<String, HoldState>,
    refills: BTreeMap<String, RefillState>,
    /// Sum of every grant's amount; at most 2^53 − 1.
    granted: u64,
    /// The live part, indexed: open grants in burn order, pending holds and
    /// expiring grants by time, totals per source.
    index: Index,
    /// The log: every entry since the wallet was built, in order (all of
    /// them for [`Wallet::from_entries`], none before a [`Snapshot`]'s).
    /// Operations append to it and read from it only to answer a retry with
    /// its original entry (by `seq`).
    entries: Vec<Entry>,
    /// Sequence number of the last entry before `entries` (0 unless the
    /// wallet was built from a [`Snapshot`]).
    base_seq: u64,
    /// Time of that entry.
    base_at: Option<Millis>,
}

/// What a successful operation did.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Receipt {
    /// The operation's entry: the one appended, or on a retry the original.
    pub entry: Entry,
    /// True when the call repeated an earlier one and changed nothing.
    pub replayed: bool,
    /// The expire entry appended just before `entry`, when holds or grants
    /// were due to expire at the operation's `now`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired: Option<Entry>,
}

impl Receipt {
    /// The entries this call appended, in order (none on a retry).
    pub fn appended(&self) -> Vec<&Entry> {
        if self.replayed {
            return Vec::new();
        }
        self.expired.iter().chain([&self.entry]).collect()
    }
}

impl Wallet {
    /// An empty wallet with a policy (checked with
    /// [`WalletPolicy::validate`]).
    pub fn new(policy: WalletPolicy) -> Result<Wallet, WalletError> {
        policy.validate()?;
        Ok(Wallet {
            policy,
            ..Wallet::default()
        })
    }

    /// Rebuilds a wallet by folding `entries` in order ([`Wallet::apply`]).
    /// Errors: `invalid_policy`, or `invalid_ledger` with `line` = the
    /// 1-based position of the first entry that does not follow.
    pub fn from_entries(
        policy: WalletPolicy,
        entries: impl IntoIterator<Item = Entry>,
    ) -> Result<Wallet, WalletError> {
        let mut wallet = Wallet::new(policy)?;
        let entries = entries.into_iter();
        wallet.entries.reserve(entries.size_hint().0);
        for entry in entries {
            wallet.apply(entry)?;
        }
        Ok(wallet)
    }

    /// The policy.
    pub fn policy(&self) -> &WalletPolicy {
        &self.policy
    }

    /// Replaces the policy (a plan change). Entries already written keep
    /// what the old policy decided.
    pub fn set_policy(&mut self, policy: WalletPolicy) -> Result<(), WalletError> {
        policy.validate()?;
        self.policy = policy;
        self.reindex();
        Ok(())
    }

    /// Every entry the wallet holds, in order: the whole ledger for a
    /// wallet folded with [`Wallet::from_entries`]; for one built from a
    /// [`Snapshot`], the entries appended since.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry with sequence number `seq` (from 1), if the wallet holds
    /// it (see [`Wallet::entries`]).
    pub fn entry(&self, seq: u64) -> Option<&Entry> {
        let index = usize::try_from(seq.checked_sub(self.base_seq)?.checked_sub(1)?).ok()?;
        self.entries.get(index)
    }

    /// Time of the last entry, if any.
    pub fn last_at(&self) -> Option<Millis> {
        self.entries.last().map(Entry::at).or(self.base_at)
    }

    /// Sequence number the next entry gets.
    pub fn next_seq(&self) -> u64 {
        // A ledger longer than u64::MAX entries cannot exist in memory.
        u64::try_from(self.entries.len())
            .unwrap_or(u64::MAX)
            .saturating_add(self.base_seq)
            .saturating_add(1)
    }

    /// A grant and where its credits are, by id.
    pub fn grant_state(&self, id: &str) -> Option<&GrantState> {
        self.grants.get(id)
    }

    /// Every grant, by id (sorted on each call: this walks the history).
    pub fn grants(&self) -> impl Iterator<Item = &GrantState> {
        let mut grants: Vec<&GrantState> = self.grants.values().collect();
        grants.sort_unstable_by(|a, b| a.grant.id.cmp(&b.grant.id));
        grants.into_iter()
    }

    /// A hold and its outcome, by id.
    pub fn hold_state(&self, id: &str) -> Option<&HoldState> {
        self.holds.get(id)
    }

    /// Every hold, by id (sorted on each call: this walks the history).
    pub fn holds(&self) -> impl Iterator<Item = &HoldState> {
        let mut holds: Vec<&HoldState> = self.holds.values().collect();
        holds.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        holds.into_iter()
    }

    /// Sum of every grant's amount.
    pub fn granted(&self) -> u64 {
        self.granted
    }

    /// `time_before_last_entry` if `now` is before the last entry.
    pub(crate) fn check_now(&self, now: Millis) -> Result<(), WalletError> {
        match self.last_at() {
            Some(last) if now < last => Err(WalletError::new(
                ErrorCode::TimeBeforeLastEntry,
                format!("now {now} is before the last ledger entry at {last}"),
            )
            .with_path("now")),
            _ => Ok(()),
        }
    }

    /// A receipt repeating the entry `seq` (an idempotent retry).
    pub(crate) fn replay(&self, seq: u64) -> Result<Receipt, WalletError> {
        let entry = self.entry(seq).cloned().ok_or_else(|| {
            WalletError::ledger(format!(
                "entry {seq} is not in this wallet (it was built from a snapshot after it): \
                 answer the retry from the stored ledger"
            ))
        })?;
        Ok(Receipt {
            entry,
            replayed: true,
            expired: None,
        })
    }

    /// Runs one operation at `now`: checks the time, applies the expire
    /// entry due at `now` (if any), then asks `build` for the operation's
    /// entry given the wallet after that expiry and the entry's `seq`, and
    /// applies it. If `build` or `apply` fails, nothing changes — not even
    /// the expiry: the expire entry is taken back (an undo that costs the
    /// entry's size; the wallet is never copied).
    pub(crate) fn commit(
        &mut self,
        now: Millis,
        build: impl FnOnce(&Wallet, u64) -> Result<Entry, WalletError>,
    ) -> Result<Receipt, WalletError> {
        self.check_now(now)?;
        let expired = self.expiry_entry(now)?;
        if let Some(expiry) = &expired {
            self.apply(expiry.clone())?;
        }
        let outcome = build(self, self.next_seq()).and_then(|entry| {
            self.apply(entry.clone())?;
            Ok(entry)
        });
        match (outcome, &expired) {
            (Ok(entry), _) => Ok(Receipt {
                entry,
                replayed: false,
                expired,
            }),
            (Err(error), Some(Entry::Expire(expiry))) => {
                self.unapply_expire(expiry)?;
                Err(error)
            }
            (Err(error), _) => Err(error),
        }
    }
}
