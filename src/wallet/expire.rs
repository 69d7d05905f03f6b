//! Expiry: [`Wallet::expire`] releases holds past their ttl and records the
//! available credits of grants past their expiry as expired.
//!
//! Every other operation first does the same at its `now` (appending the
//! expire entry before its own, see [`Receipt::expired`]), and balances and
//! previews count it without applying it (`Due`), so a wallet never spends a
//! credit that has expired nor misses one that a timed-out hold gave back.

#[cfg(doc)]
use super::Receipt;
use super::index::Figures;
use super::ledger::bad;
use super::{
    Entry, ExpireEntry, ExpiredGrant, ExpiredHold, GrantState, Millis, Wallet, WalletError,
};
use std::collections::BTreeMap;

impl Wallet {
    /// Expires, at `now`, every pending hold whose ttl has run out (it is
    /// released: credits go back to their grants, or to `expired` for a
    /// grant past its expiry) and every grant past its expiry that still has
    /// available credits. Appends one expire entry and returns it, or
    /// returns `None` and changes nothing when nothing is due.
    ///
    /// Held credits are not expired while held: a grant past its expiry
    /// keeps its held credits until their hold resolves.
    ///
    /// Errors: `invalid_time`, `time_before_last_entry`.
    pub fn expire(&mut self, now: Millis) -> Result<Option<Entry>, WalletError> {
        super::time::check_time(now, "now")?;
        self.check_now(now)?;
        match self.expiry_entry(now)? {
            Some(entry) => {
                self.apply(entry.clone())?;
                Ok(Some(entry))
            }
            None => Ok(None),
        }
    }

    /// The expire entry due at `now`, if anything is due. Reads the
    /// prefixes of the expiry indexes: costs what is due, not the history.
    pub(crate) fn expiry_entry(&self, now: Millis) -> Result<Option<Entry>, WalletError> {
        Ok(self.expiry_due(now)?.map(Entry::Expire))
    }

    fn expiry_due(&self, now: Millis) -> Result<Option<ExpireEntry>, WalletError> {
        let mut holds = Vec::new();
        for id in self.index.holds_due(now) {
            holds.push(ExpiredHold {
                hold: id.to_string(),
                lines: self.resolution_lines(id, 0, now)?,
            });
        }
        let mut grants = Vec::new();
        for id in self.index.grants_due(now) {
            let g = self
                .grants
                .get(id)
                .ok_or_else(|| bad(format!("unknown grant \"{id}\"")))?;
            grants.push(ExpiredGrant {
                grant: g.grant.id.clone(),
                amount: g.available,
            });
        }
        if holds.is_empty() && grants.is_empty() {
            return Ok(None);
        }
        Ok(Some(ExpireEntry {
            seq: self.next_seq(),
            at: now,
            holds,
            grants,
        }))
    }

    /// What the expiry due at `now` would move, grant by grant, without
    /// applying it: balances and previews count it, so they see the wallet
    /// as it is at `now` without copying it. Checks `now` first.
    pub(crate) fn due(&self, now: Millis) -> Result<Due, WalletError> {
        super::time::check_time(now, "now")?;
        self.check_now(now)?;
        let mut due = Due::default();
        if let Some(e) = self.expiry_due(now)? {
            for line in e.holds.iter().flat_map(|h| &h.lines) {
                let m = due.moves.entry(line.grant.clone()).or_default();
                m.released = add(m.released, add(line.returned, line.expired)?)?;
                m.returned = add(m.returned, line.returned)?;
                m.expired = add(m.expired, line.expired)?;
            }
            for g in &e.grants {
                let m = due.moves.entry(g.grant.clone()).or_default();
                m.forfeited = add(m.forfeited, g.amount)?;
            }
        }
        Ok(due)
    }
}

/// Per grant, what an expiry due at some time would move (see
/// [`Wallet::due`]); empty when nothing is due.
#[derive(Debug, Default)]
pub(crate) struct Due {
    moves: BTreeMap<String, Move>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Move {
    /// Held credits given back by timed-out holds.
    released: u64,
    /// … of which back to `available`.
    returned: u64,
    /// … of which to `expired` (the grant has expired).
    expired: u64,
    /// Available credits of an expired grant, forfeited.
    forfeited: u64,
}

impl Due {
    /// The figures of `g` once the due expiry has been applied.
    pub(crate) fn after(&self, g: &GrantState) -> Result<Figures, WalletError> {
        let f = Figures::of(g);
        let Some(m) = self.moves.get(&g.grant.id) else {
            return Ok(f);
        };
        Ok(Figures {
            granted: f.granted,
            available: sub(add(f.available, m.returned)?, m.forfeited)?,
            held: sub(f.held, m.released)?,
            spent: f.spent,
            expired: add(add(f.expired, m.expired)?, m.forfeited)?,
        })
    }
}

fn add(a: u64, b: u64) -> Result<u64, WalletError> {
    a.checked_add(b)
        .ok_or_else(|| bad("credits add up to more than 2^64"))
}

fn sub(a: u64, b: u64) -> Result<u64, WalletError> {
    a.checked_sub(b)
        .ok_or_else(|| bad("credits would go below zero"))
}
