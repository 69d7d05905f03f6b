//! The ledger: every change to a wallet is an append-only [`Entry`], and a
//! wallet's state is the fold of its entries ([`Wallet::from_entries`]).
//!
//! Entries are facts, not commands: a hold entry records the grants it took
//! credits from, so replaying a ledger needs neither the policy nor the
//! burn order that decided it. The fold re-checks every fact (sequence,
//! time order, known ids, amounts that add up, nothing below zero) and
//! rejects a ledger that does not follow with `invalid_ledger`.

use super::time::{MAX_TEXT_LEN, check_id, check_time};
use super::{
    Grant, GrantSource, GrantState, HoldState, HoldStatus, Millis, RefillState, Wallet, WalletError,
};
use crate::error::ErrorCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// What a Credits page groups history by. Every field is optional free
/// text (at most 1024 bytes each).
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Metadata {
    /// The studio that spent the credits (`image`, `video` …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub studio: Option<String>,
    /// The product (`video/veo-3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// A short summary of the request (`8 s 1080p with audio`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The caller's own reference: a request, order or ticket id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl Metadata {
    /// Checks every text is at most 1024 bytes.
    pub fn validate(&self) -> Result<(), WalletError> {
        for (name, text) in [
            ("studio", &self.studio),
            ("product", &self.product),
            ("summary", &self.summary),
            ("reference", &self.reference),
        ] {
            if text.as_ref().is_some_and(|t| t.len() > MAX_TEXT_LEN) {
                return Err(WalletError::new(
                    ErrorCode::InvalidRequest,
                    format!("metadata {name} is longer than {MAX_TEXT_LEN} bytes"),
                )
                .with_path(format!("metadata.{name}")));
            }
        }
        Ok(())
    }
}

/// Credits a hold took from one grant.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Allocation {
    /// The grant.
    pub grant: String,
    /// The grant's source (for "40 daily + 60 monthly").
    pub source: GrantSource,
    /// Credits taken (positive).
    pub amount: u64,
}

/// What became of one allocation of a hold when it resolved:
/// `charged + returned + expired` is the allocation's amount.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GrantLine {
    /// The grant the credits were held from.
    pub grant: String,
    /// Credits spent.
    pub charged: u64,
    /// Credits given back to the grant's available balance.
    pub returned: u64,
    /// Credits given back to a grant whose expiry had passed, and so
    /// recorded as expired at once.
    pub expired: u64,
}

/// Credits of one grant recorded as expired (or forfeited by a refill).
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExpiredGrant {
    /// The grant.
    pub grant: String,
    /// Credits that left its available balance (positive).
    pub amount: u64,
}

/// A hold released by expiry, and where its credits went.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExpiredHold {
    /// The hold.
    pub hold: String,
    /// One line per allocation, in allocation order; nothing is charged.
    pub lines: Vec<GrantLine>,
}

/// A grant was made.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GrantEntry {
    /// Position in the ledger, from 1.
    pub seq: u64,
    /// When (Unix ms).
    pub at: Millis,
    /// The grant.
    pub grant: Grant,
    /// The caller's metadata.
    #[serde(default)]
    pub metadata: Metadata,
}

/// Credits were reserved for a generation.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HoldEntry {
    /// Position in the ledger, from 1.
    pub seq: u64,
    /// When (Unix ms).
    pub at: Millis,
    /// The hold's caller-given id.
    pub hold: String,
    /// Credits reserved.
    pub amount: u64,
    /// How long the hold lasts (ms).
    pub ttl: Millis,
    /// `at + ttl`: from this time on the hold is expired.
    pub expires_at: Millis,
    /// Where the credits came from, in burn order.
    pub allocations: Vec<Allocation>,
    /// Studio, product, request summary.
    #[serde(default)]
    pub metadata: Metadata,
}

/// A hold was charged, fully or in part; the rest went back.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettleEntry {
    /// Position in the ledger, from 1.
    pub seq: u64,
    /// When (Unix ms).
    pub at: Millis,
    /// The hold.
    pub hold: String,
    /// Credits charged (at most the hold's amount).
    pub amount: u64,
    /// One line per allocation of the hold, in allocation order.
    pub lines: Vec<GrantLine>,
    /// The hold's metadata, copied so history can group spend without
    /// looking the hold up.
    #[serde(default)]
    pub metadata: Metadata,
}

/// A hold was released: nothing charged, everything went back.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReleaseEntry {
    /// Position in the ledger, from 1.
    pub seq: u64,
    /// When (Unix ms).
    pub at: Millis,
    /// The hold.
    pub hold: String,
    /// One line per allocation of the hold, in allocation order.
    pub lines: Vec<GrantLine>,
    /// The hold's metadata.
    #[serde(default)]
    pub metadata: Metadata,
}

/// Holds past their ttl were released and grants past their expiry lost
/// their available credits.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExpireEntry {
    /// Position in the ledger, from 1.
    pub seq: u64,
    /// When (Unix ms).
    pub at: Millis,
    /// Holds released by expiry, applied first.
    pub holds: Vec<ExpiredHold>,
    /// Grants whose available credits expired, applied after the holds.
    pub grants: Vec<ExpiredGrant>,
}

/// An allowance was refilled for a period.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefillEntry {
    /// Position in the ledger, from 1.
    pub seq: u64,
    /// When (Unix ms).
    pub at: Millis,
    /// The allowance's id in the policy.
    pub allowance: String,
    /// The period's caller-given key (`2026-11`).
    pub period: String,
    /// Period start (Unix ms): the grant's effective time.
    pub start: Millis,
    /// Period end (Unix ms, exclusive).
    pub end: Millis,
    /// Seats the allowance was multiplied by (1 unless per seat).
    pub seats: u64,
    /// Earlier credits of the allowance forfeited by its rollover rule,
    /// applied first.
    pub forfeited: Vec<ExpiredGrant>,
    /// The period's grant, id `allowance/period`.
    pub grant: Grant,
}

/// One ledger entry. On the wire an object whose `type` says which:
/// `grant`, `hold`, `settle`, `release`, `expire` or `refill`; each has a
/// `seq` (1, 2, 3 … with no gaps) and an `at` time (never decreasing).
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Entry {
    /// See [`GrantEntry`].
    Grant(GrantEntry),
    /// See [`HoldEntry`].
    Hold(HoldEntry),
    /// See [`SettleEntry`].
    Settle(SettleEntry),
    /// See [`ReleaseEntry`].
    Release(ReleaseEntry),
    /// See [`ExpireEntry`].
    Expire(ExpireEntry),
    /// See [`RefillEntry`].
    Refill(RefillEntry),
}

impl Entry {
    /// Position in the ledger, from 1.
    pub fn seq(&self) -> u64 {
        match self {
            Entry::Grant(e) => e.seq,
            Entry::Hold(e) => e.seq,
            Entry::Settle(e) => e.seq,
            Entry::Release(e) => e.seq,
            Entry::Expire(e) => e.seq,
            Entry::Refill(e) => e.seq,
        }
    }

    /// When the entry was made (Unix ms).
    pub fn at(&self) -> Millis {
        match self {
            Entry::Grant(e) => e.at,
            Entry::Hold(e) => e.at,
            Entry::Settle(e) => e.at,
            Entry::Release(e) => e.at,
            Entry::Expire(e) => e.at,
            Entry::Refill(e) => e.at,
        }
    }

    /// The entry's `type` on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            Entry::Grant(_) => "grant",
            Entry::Hold(_) => "hold",
            Entry::Settle(_) => "settle",
            Entry::Release(_) => "release",
            Entry::Expire(_) => "expire",
            Entry::Refill(_) => "refill",
        }
    }
}

/// How a hold is being resolved, for the shared checks of settle, release
/// and expire lines.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Resolution {
    Settle(u64),
    Release,
    Expire,
}

pub(crate) fn bad(message: impl Into<String>) -> WalletError {
    WalletError::ledger(message)
}

fn add(a: u64, b: u64) -> Result<u64, WalletError> {
    a.checked_add(b)
        .filter(|sum| *sum <= crate::MAX_AMOUNT)
        .ok_or_else(|| bad("credits add up to more than 2^53 − 1"))
}

fn sub(a: u64, b: u64) -> Result<u64, WalletError> {
    a.checked_sub(b)
        .ok_or_else(|| bad("credits would go below zero"))
}

impl Wallet {
    /// Folds one entry into the wallet: checks that it follows from the
    /// entries before it, then applies it. An entry that does not follow is
    /// `invalid_ledger` (with `line` = its `seq`) and changes nothing.
    pub fn apply(&mut self, entry: Entry) -> Result<(), WalletError> {
        let line = entry.seq();
        self.check_entry(&entry).map_err(|e| e.with_line(line))?;
        self.mutate(&entry).map_err(|e| e.with_line(line))?;
        self.entries.push(entry);
        Ok(())
    }

    /// Every check of [`Wallet::apply`], without changing anything.
    fn check_entry(&self, entry: &Entry) -> Result<(), WalletError> {
        let expected = self.next_seq();
        if entry.seq() != expected {
            return Err(bad(format!(
                "entry has seq {}, expected {expected}",
                entry.seq()
            )));
        }
        check_time(entry.at(), "at")?;
        if let Some(last) = self.last_at()
            && entry.at() < last
        {
            return Err(bad(format!(
                "entry at {} is before the previous entry at {last}",
                entry.at()
            )));
        }
        match entry {
            Entry::Grant(e) => self.check_new_grant(&e.grant),
            Entry::Hold(e) => self.check_hold(e),
            Entry::Settle(e) => {
                self.check_resolution(&e.hold, &e.lines, e.at, Resolution::Settle(e.amount))
            }
            Entry::Release(e) => {
                self.check_resolution(&e.hold, &e.lines, e.at, Resolution::Release)
            }
            Entry::Expire(e) => self.check_expire(e),
            Entry::Refill(e) => self.check_refill(e),
        }
    }

    fn check_new_grant(&self, grant: &Grant) -> Result<(), WalletError> {
        grant.validate()?;
        if self.grants.contains_key(&grant.id) {
            return Err(
                bad(format!("grant \"{}\" is granted twice", grant.id)).with_grant(&grant.id)
            );
        }
        self.check_room_for(grant.amount)
            .map_err(|e| bad(e.message).with_grant(&grant.id))
    }

    fn recorded_grant(&self, id: &str) -> Result<&GrantState, WalletError> {
        self.grants
            .get(id)
            .ok_or_else(|| bad(format!("unknown grant \"{id}\"")).with_grant(id))
    }

    fn check_hold(&self, e: &HoldEntry) -> Result<(), WalletError> {
        check_id(&e.hold, "hold", true)?;
        if self.holds.contains_key(&e.hold) {
            return Err(bad(format!("hold \"{}\" is made twice", e.hold)).with_hold(&e.hold));
        }
        if e.ttl <= 0 || e.at.checked_add(e.ttl) != Some(e.expires_at) {
            return Err(
                bad("hold expiresAt is not at + ttl with a positive ttl").with_hold(&e.hold)
            );
        }
        check_time(e.expires_at, "expiresAt")?;
        let mut seen = BTreeSet::new();
        let mut total = 0u64;
        for a in &e.allocations {
            let state = self.recorded_grant(&a.grant)?;
            if !seen.insert(a.grant.as_str()) || a.amount == 0 || a.source != state.grant.source {
                return Err(bad(
                    "hold allocation repeats a grant, is zero or names the wrong source",
                )
                .with_grant(&a.grant));
            }
            if a.amount > state.available {
                return Err(bad(format!(
                    "hold takes {} from grant \"{}\", which has {} available",
                    a.amount, a.grant, state.available
                ))
                .with_grant(&a.grant));
            }
            total = add(total, a.amount)?;
        }
        if total != e.amount {
            return Err(bad("hold allocations do not add up to its amount").with_hold(&e.hold));
        }
        Ok(())
    }

    /// Checks the lines resolving hold `id` at `at`: one per allocation, in
    /// order, each adding up; credits go back as `returned` to a grant that
    /// has not expired at `at` and as `expired` to one that has.
    fn check_resolution(
        &self,
        id: &str,
        lines: &[GrantLine],
        at: Millis,
        how: Resolution,
    ) -> Result<(), WalletError> {
        let hold: &HoldState = self
            .holds
            .get(id)
            .ok_or_else(|| bad(format!("unknown hold \"{id}\"")).with_hold(id))?;
        if hold.status != HoldStatus::Pending {
            return Err(bad(format!("hold \"{id}\" is resolved twice")).with_hold(id));
        }
        let timed_out = at >= hold.expires_at;
        if timed_out != (how == Resolution::Expire) {
            return Err(bad(format!(
                "hold \"{id}\" expires at {}, so at {at} it can only be {}",
                hold.expires_at,
                if timed_out {
                    "expired"
                } else {
                    "settled or released"
                }
            ))
            .with_hold(id));
        }
        if lines.len() != hold.allocations.len() {
            return Err(bad("resolution lines do not match the hold's allocations").with_hold(id));
        }
        let mut charged = 0u64;
        for (line, allocation) in lines.iter().zip(&hold.allocations) {
            let back = add(line.returned, line.expired)?;
            if line.grant != allocation.grant || add(line.charged, back)? != allocation.amount {
                return Err(bad("resolution lines do not match the hold's allocations")
                    .with_hold(id)
                    .with_grant(&line.grant));
            }
            let grant = self.recorded_grant(&line.grant)?;
            let expired = grant.grant.is_expired_at(at);
            if (expired && line.returned > 0) || (!expired && line.expired > 0) {
                return Err(bad(format!(
                    "credits returned to grant \"{}\" must be {} at {at}",
                    line.grant,
                    if expired { "expired" } else { "returned" }
                ))
                .with_hold(id)
                .with_grant(&line.grant));
            }
            charged = add(charged, line.charged)?;
        }
        let expected = match how {
            Resolution::Settle(amount) => amount,
            Resolution::Release | Resolution::Expire => 0,
        };
        if charged != expected {
            return Err(bad("charged credits do not add up to the settled amount").with_hold(id));
        }
        Ok(())
    }

    fn check_expire(&self, e: &ExpireEntry) -> Result<(), WalletError> {
        let mut holds = BTreeSet::new();
        for h in &e.holds {
            if !holds.insert(h.hold.as_str()) {
                return Err(bad("expire entry names a hold twice").with_hold(&h.hold));
            }
            self.check_resolution(&h.hold, &h.lines, e.at, Resolution::Expire)?;
        }
        // Credits a hold returns to an expired grant are recorded as expired
        // in its line, never added back to `available`: the grant lines
        // below see the available amounts as they are now.
        let mut grants = BTreeSet::new();
        for g in &e.grants {
            let state = self.recorded_grant(&g.grant)?;
            if !grants.insert(g.grant.as_str())
                || !state.grant.is_expired_at(e.at)
                || g.amount == 0
                || g.amount != state.available
            {
                return Err(bad(format!(
                    "grant \"{}\" cannot expire {} at {}",
                    g.grant, g.amount, e.at
                ))
                .with_grant(&g.grant));
            }
        }
        Ok(())
    }

    fn check_refill(&self, e: &RefillEntry) -> Result<(), WalletError> {
        check_id(&e.allowance, "allowance", false)?;
        check_id(&e.period, "period", false)?;
        check_time(e.start, "start")?;
        check_time(e.end, "end")?;
        let key = refill_key(&e.allowance, &e.period);
        if self.refills.contains_key(&key) || e.start >= e.end {
            return Err(bad(format!(
                "refill \"{key}\" is repeated or its period is empty"
            )));
        }
        let mut seen = BTreeSet::new();
        for f in &e.forfeited {
            let state = self.recorded_grant(&f.grant)?;
            if !seen.insert(f.grant.as_str()) || f.amount == 0 || f.amount > state.available {
                return Err(bad(format!(
                    "refill cannot forfeit {} of grant \"{}\"",
                    f.amount, f.grant
                ))
                .with_grant(&f.grant));
            }
        }
        // Forfeiting never frees room: the total granted counts every grant.
        self.check_new_grant(&e.grant)
    }

    /// Applies a checked entry. Every step was checked by `check_entry`, so
    /// the checked arithmetic here does not fail.
    fn mutate(&mut self, entry: &Entry) -> Result<(), WalletError> {
        match entry {
            Entry::Grant(e) => self.insert_grant(&e.grant, &e.metadata, e.seq),
            Entry::Hold(e) => {
                for a in &e.allocations {
                    self.change_grant(&a.grant, |g| {
                        g.available = sub(g.available, a.amount)?;
                        g.held = add(g.held, a.amount)?;
                        Ok(())
                    })?;
                }
                let hold = HoldState {
                    id: e.hold.clone(),
                    amount: e.amount,
                    ttl: e.ttl,
                    created_at: e.at,
                    expires_at: e.expires_at,
                    allocations: e.allocations.clone(),
                    metadata: e.metadata.clone(),
                    status: HoldStatus::Pending,
                    seq: e.seq,
                    resolved_seq: None,
                };
                self.index.track_hold(&hold);
                self.holds.insert(e.hold.clone(), hold);
                Ok(())
            }
            Entry::Settle(e) => self.resolve(
                &e.hold,
                &e.lines,
                HoldStatus::Settled { charged: e.amount },
                e.seq,
            ),
            Entry::Release(e) => self.resolve(&e.hold, &e.lines, HoldStatus::Released, e.seq),
            Entry::Expire(e) => {
                for h in &e.holds {
                    self.resolve(&h.hold, &h.lines, HoldStatus::Expired, e.seq)?;
                }
                for g in &e.grants {
                    self.forfeit(g)?;
                }
                Ok(())
            }
            Entry::Refill(e) => {
                for f in &e.forfeited {
                    self.forfeit(f)?;
                }
                self.insert_grant(&e.grant, &Metadata::default(), e.seq)?;
                self.refills.insert(
                    refill_key(&e.allowance, &e.period),
                    RefillState {
                        allowance: e.allowance.clone(),
                        period: e.period.clone(),
                        start: e.start,
                        end: e.end,
                        seats: e.seats,
                        grant: e.grant.id.clone(),
                        seq: e.seq,
                    },
                );
                Ok(())
            }
        }
    }

    fn insert_grant(
        &mut self,
        grant: &Grant,
        metadata: &Metadata,
        seq: u64,
    ) -> Result<(), WalletError> {
        self.granted = add(self.granted, grant.amount)?;
        self.track_new_grant(GrantState {
            grant: grant.clone(),
            available: grant.amount,
            held: 0,
            spent: 0,
            expired: 0,
            metadata: metadata.clone(),
            seq,
        })
    }

    fn forfeit(&mut self, f: &ExpiredGrant) -> Result<(), WalletError> {
        self.change_grant(&f.grant, |g| {
            g.available = sub(g.available, f.amount)?;
            g.expired = add(g.expired, f.amount)?;
            Ok(())
        })
    }

    fn resolve(
        &mut self,
        id: &str,
        lines: &[GrantLine],
        status: HoldStatus,
        seq: u64,
    ) -> Result<(), WalletError> {
        for line in lines {
            self.change_grant(&line.grant, |g| {
                let held = add(add(line.charged, line.returned)?, line.expired)?;
                g.held = sub(g.held, held)?;
                g.spent = add(g.spent, line.charged)?;
                g.available = add(g.available, line.returned)?;
                g.expired = add(g.expired, line.expired)?;
                Ok(())
            })?;
        }
        let hold = self
            .holds
            .get_mut(id)
            .ok_or_else(|| bad(format!("unknown hold \"{id}\"")))?;
        hold.status = status;
        hold.resolved_seq = (status != HoldStatus::Pending).then_some(seq);
        self.index.track_hold(hold);
        Ok(())
    }

    /// Takes back the last entry, an expire entry just applied: the undo of
    /// an operation that failed after expiring what was due. Costs the size
    /// of the entry, not of the wallet.
    pub(crate) fn unapply_expire(&mut self, e: &ExpireEntry) -> Result<(), WalletError> {
        match self.entries.last() {
            Some(Entry::Expire(last)) if last == e => {}
            _ => return Err(bad("only the last expire entry can be taken back")),
        }
        for g in e.grants.iter().rev() {
            self.change_grant(&g.grant, |f| {
                f.expired = sub(f.expired, g.amount)?;
                f.available = add(f.available, g.amount)?;
                Ok(())
            })?;
        }
        for h in e.holds.iter().rev() {
            for line in h.lines.iter().rev() {
                self.change_grant(&line.grant, |g| {
                    let held = add(add(line.charged, line.returned)?, line.expired)?;
                    g.held = add(g.held, held)?;
                    g.spent = sub(g.spent, line.charged)?;
                    g.available = sub(g.available, line.returned)?;
                    g.expired = sub(g.expired, line.expired)?;
                    Ok(())
                })?;
            }
            let hold = self
                .holds
                .get_mut(&h.hold)
                .ok_or_else(|| bad(format!("unknown hold \"{}\"", h.hold)))?;
            hold.status = HoldStatus::Pending;
            hold.resolved_seq = None;
            self.index.track_hold(hold);
        }
        self.entries.pop();
        Ok(())
    }
}

/// The key of a refill, and the id of the grant it creates:
/// `allowance/period`.
pub(crate) fn refill_key(allowance: &str, period: &str) -> String {
    format!("{allowance}/{period}")
}
