//! [`Wallet::balance`]: what a sidebar and a credits modal show — totals,
//! a breakdown per source and per grant, and the next expiry.

use super::index::{Figures, slot};
use super::{GrantSource, GrantState, Millis, Wallet, WalletError};
use serde::{Deserialize, Serialize};

/// A wallet's credits at a time. Always
/// `granted = available + upcoming + held + spent + expired`, in total, per
/// source and per grant.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Balance {
    /// The time it is computed at (Unix ms).
    pub at: Millis,
    /// Every credit ever granted.
    pub granted: u64,
    /// Spendable now.
    pub available: u64,
    /// Granted with an effective time still to come.
    pub upcoming: u64,
    /// Reserved by pending holds.
    pub held: u64,
    /// Charged.
    pub spent: u64,
    /// Expired or forfeited.
    pub expired: u64,
    /// The soonest time spendable credits expire, and how many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_expiry: Option<NextExpiry>,
    /// Per source that ever granted anything, in [`GrantSource::ALL`] order.
    pub sources: Vec<SourceBalance>,
    /// Per grant with credits available, upcoming or held, in burn order.
    pub grants: Vec<GrantBalance>,
}

/// The next expiry of spendable credits.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NextExpiry {
    /// When (Unix ms; the credits are usable until 1 ms before).
    pub at: Millis,
    /// Credits that will expire then, unless spent or held before.
    pub amount: u64,
}

/// Credits of one source.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SourceBalance {
    /// The source.
    pub source: GrantSource,
    /// Granted.
    pub granted: u64,
    /// Spendable now.
    pub available: u64,
    /// Not yet effective.
    pub upcoming: u64,
    /// Held.
    pub held: u64,
    /// Spent.
    pub spent: u64,
    /// Expired.
    pub expired: u64,
}

/// Credits of one grant.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GrantBalance {
    /// The grant's id.
    pub id: String,
    /// Its source.
    pub source: GrantSource,
    /// Its priority.
    pub priority: u32,
    /// When it became (or becomes) effective.
    pub effective_at: Millis,
    /// When it expires, if ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Millis>,
    /// Granted.
    pub granted: u64,
    /// Spendable now.
    pub available: u64,
    /// Not yet effective.
    pub upcoming: u64,
    /// Held.
    pub held: u64,
    /// Spent.
    pub spent: u64,
    /// Expired.
    pub expired: u64,
}

impl GrantBalance {
    /// The balance of `g` whose figures at `now` are `f`.
    fn of(g: &GrantState, f: &Figures, now: Millis) -> GrantBalance {
        let upcoming = if g.grant.effective_at > now {
            f.available
        } else {
            0
        };
        GrantBalance {
            id: g.grant.id.clone(),
            source: g.grant.source,
            priority: g.grant.priority,
            effective_at: g.grant.effective_at,
            expires_at: g.grant.expires_at,
            granted: f.granted,
            available: f.available.saturating_sub(upcoming),
            upcoming,
            held: f.held,
            spent: f.spent,
            expired: f.expired,
        }
    }
}

impl SourceBalance {
    fn of(source: GrantSource, f: &Figures) -> SourceBalance {
        SourceBalance {
            source,
            granted: f.granted,
            available: f.available,
            upcoming: 0,
            held: f.held,
            spent: f.spent,
            expired: f.expired,
        }
    }

    /// Replaces a grant's recorded figures (`before`) by its figures at
    /// the balance's time (`after`, split into available and upcoming).
    fn count(&mut self, before: &Figures, after: &GrantBalance) {
        // Every figure of a source includes the grant's recorded one, and
        // the wallet's total granted is at most 2^53 − 1: nothing saturates.
        let swap = |total: u64, old: u64, new: u64| total.saturating_sub(old).saturating_add(new);
        self.available = swap(self.available, before.available, after.available);
        self.upcoming = self.upcoming.saturating_add(after.upcoming);
        self.held = swap(self.held, before.held, after.held);
        self.spent = swap(self.spent, before.spent, after.spent);
        self.expired = swap(self.expired, before.expired, after.expired);
    }
}

impl Wallet {
    /// The balance at `now`, counting as expired what has expired by then
    /// (even if no expire entry records it yet) and as available what
    /// timed-out holds give back. Changes nothing and copies nothing: the
    /// totals per source are kept as the wallet changes, and only the open
    /// grants (credits available or held) are visited.
    ///
    /// Errors: `invalid_time`, `time_before_last_entry`.
    pub fn balance(&self, now: Millis) -> Result<Balance, WalletError> {
        let due = self.due(now)?;
        let mut sources: Vec<SourceBalance> = GrantSource::ALL
            .into_iter()
            .zip(&self.index.sources)
            .map(|(source, f)| SourceBalance::of(source, f))
            .collect();
        let mut grants = Vec::new();
        let mut next_expiry: Option<NextExpiry> = None;
        for state in self.open_grants() {
            let g = GrantBalance::of(state, &due.after(state)?, now);
            if let Some(s) = sources.get_mut(slot(g.source)) {
                s.count(&Figures::of(state), &g);
            }
            if let (Some(at), true) = (g.expires_at, g.available > 0) {
                match &mut next_expiry {
                    Some(next) if next.at == at => {
                        next.amount = next.amount.saturating_add(g.available);
                    }
                    Some(next) if next.at < at => {}
                    _ => {
                        next_expiry = Some(NextExpiry {
                            at,
                            amount: g.available,
                        })
                    }
                }
            }
            if g.available > 0 || g.upcoming > 0 || g.held > 0 {
                grants.push(g);
            }
        }
        // The wallet's total granted is at most 2^53 − 1, so no sum of its
        // parts can overflow: these additions cannot saturate.
        let total = |figure: fn(&SourceBalance) -> u64| {
            sources
                .iter()
                .fold(0u64, |sum, s| sum.saturating_add(figure(s)))
        };
        Ok(Balance {
            at: now,
            granted: total(|s| s.granted),
            available: total(|s| s.available),
            upcoming: total(|s| s.upcoming),
            held: total(|s| s.held),
            spent: total(|s| s.spent),
            expired: total(|s| s.expired),
            next_expiry,
            sources: sources.into_iter().filter(|s| s.granted > 0).collect(),
            grants,
        })
    }
}
