//! The wallet's indexes: the live part of its state, kept in step with
//! every change so that no operation scans the wallet's history.
//!
//! - `open`: grants with credits available or held, in burn order. A grant
//!   whose credits are all spent or expired drops out; spending walks this
//!   set from the front.
//! - `expiring`: grants with credits available and an expiry, by expiry
//!   time: the grants an expire entry is due to forfeit are a prefix.
//! - `pending`: pending holds by expiry time: the holds an expire entry is
//!   due to release are a prefix.
//! - `sources`: the recorded figures of every grant ever made, summed per
//!   source, so a balance adds up totals without visiting closed grants.
//!
//! Each index is a function of the grants, the holds and the policy's burn
//! order, so two wallets with equal state have equal indexes.

use super::WalletPolicy;
use super::ledger::bad;
use super::{GrantSource, GrantState, HoldState, HoldStatus, Millis, Wallet, WalletError};
use std::collections::BTreeSet;

/// A grant's place in the burn order: compared field by field, the policy's
/// source rank first and the id last (ids are unique, so `source` never
/// decides).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct BurnKey {
    rank: usize,
    never_expires: bool,
    expires_at: Millis,
    priority: u32,
    effective_at: Millis,
    pub(crate) id: String,
    source: GrantSource,
}

impl BurnKey {
    /// The key of `g` under `policy`.
    pub(crate) fn of(policy: &WalletPolicy, g: &GrantState) -> BurnKey {
        let grant = &g.grant;
        BurnKey {
            rank: policy.source_rank(grant.source),
            never_expires: grant.expires_at.is_none(),
            expires_at: grant.expires_at.unwrap_or(0),
            priority: grant.priority,
            effective_at: grant.effective_at,
            id: grant.id.clone(),
            source: grant.source,
        }
    }
}

/// A grant's (or a source's) credits as recorded, before anything due at a
/// later time is counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Figures {
    pub granted: u64,
    pub available: u64,
    pub held: u64,
    pub spent: u64,
    pub expired: u64,
}

impl Figures {
    pub(crate) fn of(g: &GrantState) -> Figures {
        Figures {
            granted: g.grant.amount,
            available: g.available,
            held: g.held,
            spent: g.spent,
            expired: g.expired,
        }
    }

    pub(crate) fn is_open(&self) -> bool {
        self.available > 0 || self.held > 0
    }

    /// `self − before + after`, field by field, checked.
    fn moved(self, before: &Figures, after: &Figures) -> Result<Figures, WalletError> {
        let step = |total: u64, old: u64, new: u64| {
            total
                .checked_sub(old)
                .and_then(|t| t.checked_add(new))
                .filter(|t| *t <= crate::MAX_AMOUNT)
                .ok_or_else(|| bad("a source's credits would leave 0 … 2^53 − 1"))
        };
        Ok(Figures {
            granted: step(self.granted, before.granted, after.granted)?,
            available: step(self.available, before.available, after.available)?,
            held: step(self.held, before.held, after.held)?,
            spent: step(self.spent, before.spent, after.spent)?,
            expired: step(self.expired, before.expired, after.expired)?,
        })
    }
}

/// The indexes of one wallet (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Index {
    pub open: BTreeSet<BurnKey>,
    pub expiring: BTreeSet<(Millis, String)>,
    pub pending: BTreeSet<(Millis, String)>,
    pub sources: [Figures; GrantSource::ALL.len()],
}

/// The slot of `source` in [`Index::sources`] ([`GrantSource::ALL`] order).
pub(crate) fn slot(source: GrantSource) -> usize {
    source as usize
}

impl Index {
    /// Records that a grant went from `before` to `after` (`before` is all
    /// zero for a new grant).
    fn track(
        &mut self,
        policy: &WalletPolicy,
        g: &GrantState,
        before: &Figures,
        after: &Figures,
    ) -> Result<(), WalletError> {
        let totals = self
            .sources
            .get_mut(slot(g.grant.source))
            .ok_or_else(|| bad("unknown source"))?;
        *totals = totals.moved(before, after)?;
        if before.is_open() != after.is_open() {
            let key = BurnKey::of(policy, g);
            if after.is_open() {
                self.open.insert(key);
            } else {
                self.open.remove(&key);
            }
        }
        if let Some(at) = g.grant.expires_at
            && (before.available > 0) != (after.available > 0)
        {
            let key = (at, g.grant.id.clone());
            if after.available > 0 {
                self.expiring.insert(key);
            } else {
                self.expiring.remove(&key);
            }
        }
        Ok(())
    }

    /// Tracks a hold's status: pending holds are indexed by expiry.
    pub(crate) fn track_hold(&mut self, hold: &HoldState) {
        let key = (hold.expires_at, hold.id.clone());
        if hold.status == HoldStatus::Pending {
            self.pending.insert(key);
        } else {
            self.pending.remove(&key);
        }
    }

    /// Re-sorts `open` after the policy's burn order changed.
    pub(crate) fn reorder(&mut self, policy: &WalletPolicy) {
        self.open = std::mem::take(&mut self.open)
            .into_iter()
            .map(|key| BurnKey {
                rank: policy.source_rank(key.source),
                ..key
            })
            .collect();
    }

    /// The pending holds whose ttl has run out at `now`, by id.
    pub(crate) fn holds_due(&self, now: Millis) -> Vec<&str> {
        let mut due: Vec<&str> = self
            .pending
            .iter()
            .take_while(|(at, _)| *at <= now)
            .map(|(_, id)| id.as_str())
            .collect();
        due.sort_unstable();
        due
    }

    /// The grants with credits available whose expiry has passed at `now`,
    /// by id.
    pub(crate) fn grants_due(&self, now: Millis) -> Vec<&str> {
        let mut due: Vec<&str> = self
            .expiring
            .iter()
            .take_while(|(at, _)| *at <= now)
            .map(|(_, id)| id.as_str())
            .collect();
        due.sort_unstable();
        due
    }
}

impl Wallet {
    /// Adds a new grant to the state and the indexes.
    pub(crate) fn track_new_grant(&mut self, g: GrantState) -> Result<(), WalletError> {
        self.index
            .track(&self.policy, &g, &Figures::default(), &Figures::of(&g))?;
        self.grants.insert(g.grant.id.clone(), g);
        Ok(())
    }

    /// Changes grant `id`'s figures with `change`, keeping the indexes in
    /// step. On error nothing changes.
    pub(crate) fn change_grant(
        &mut self,
        id: &str,
        change: impl FnOnce(&mut Figures) -> Result<(), WalletError>,
    ) -> Result<(), WalletError> {
        let g = self
            .grants
            .get_mut(id)
            .ok_or_else(|| bad(format!("unknown grant \"{id}\"")))?;
        let before = Figures::of(g);
        let mut after = before;
        change(&mut after)?;
        if after.granted != before.granted {
            return Err(bad("a grant's amount never changes"));
        }
        self.index.track(&self.policy, g, &before, &after)?;
        g.available = after.available;
        g.held = after.held;
        g.spent = after.spent;
        g.expired = after.expired;
        Ok(())
    }

    /// The grants with credits available or held, in burn order.
    pub(crate) fn open_grants(&self) -> impl Iterator<Item = &GrantState> {
        self.index
            .open
            .iter()
            .filter_map(|key| self.grants.get(&key.id))
    }

    /// The indexes built from scratch from the grants and holds: what the
    /// kept ones must equal (checked by the invariant tests).
    #[cfg(test)]
    pub(crate) fn rebuilt_index(&self) -> Result<Index, WalletError> {
        let mut index = Index::default();
        for g in self.grants.values() {
            index.track(&self.policy, g, &Figures::default(), &Figures::of(g))?;
        }
        for h in self.holds.values() {
            index.track_hold(h);
        }
        Ok(index)
    }

    /// Replaces the policy's burn order in the indexes.
    pub(crate) fn reindex(&mut self) {
        self.index.reorder(&self.policy);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_the_order_of_all_sources() {
        for (i, source) in GrantSource::ALL.into_iter().enumerate() {
            assert_eq!(slot(source), i);
        }
    }
}
