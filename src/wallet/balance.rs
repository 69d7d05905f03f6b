//! [`Wallet::balance`]: what a sidebar and a credits modal show — totals,
//! a breakdown per source and per grant, and the next expiry.

use super::burn::burn_cmp;
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
    fn of(g: &GrantState, now: Millis) -> GrantBalance {
        let upcoming = if g.grant.effective_at > now {
            g.available
        } else {
            0
        };
        GrantBalance {
            id: g.grant.id.clone(),
            source: g.grant.source,
            priority: g.grant.priority,
            effective_at: g.grant.effective_at,
            expires_at: g.grant.expires_at,
            granted: g.grant.amount,
            available: g.available - upcoming,
            upcoming,
            held: g.held,
            spent: g.spent,
            expired: g.expired,
        }
    }
}

impl Wallet {
    /// The balance at `now`, counting as expired what has expired by then
    /// (even if no expire entry records it yet) and as available what
    /// timed-out holds give back. Changes nothing.
    ///
    /// Errors: `invalid_time`, `time_before_last_entry`.
    pub fn balance(&self, now: Millis) -> Result<Balance, WalletError> {
        let view = self.view(now)?;
        let mut states: Vec<&GrantState> = view.grants.values().collect();
        states.sort_by(|a, b| burn_cmp(&view.policy, a, b));
        let mut balance = Balance {
            at: now,
            granted: 0,
            available: 0,
            upcoming: 0,
            held: 0,
            spent: 0,
            expired: 0,
            next_expiry: None,
            sources: Vec::new(),
            grants: Vec::new(),
        };
        let mut sources: Vec<SourceBalance> = GrantSource::ALL
            .into_iter()
            .map(|source| SourceBalance {
                source,
                granted: 0,
                available: 0,
                upcoming: 0,
                held: 0,
                spent: 0,
                expired: 0,
            })
            .collect();
        // The wallet's total granted is at most 2^53 − 1, so no sum of its
        // parts can overflow: these additions cannot saturate.
        for state in states {
            let g = GrantBalance::of(state, now);
            balance.granted = balance.granted.saturating_add(g.granted);
            balance.available = balance.available.saturating_add(g.available);
            balance.upcoming = balance.upcoming.saturating_add(g.upcoming);
            balance.held = balance.held.saturating_add(g.held);
            balance.spent = balance.spent.saturating_add(g.spent);
            balance.expired = balance.expired.saturating_add(g.expired);
            if let Some(s) = sources.iter_mut().find(|s| s.source == g.source) {
                s.granted = s.granted.saturating_add(g.granted);
                s.available = s.available.saturating_add(g.available);
                s.upcoming = s.upcoming.saturating_add(g.upcoming);
                s.held = s.held.saturating_add(g.held);
                s.spent = s.spent.saturating_add(g.spent);
                s.expired = s.expired.saturating_add(g.expired);
            }
            if let (Some(at), true) = (g.expires_at, g.available > 0) {
                match &mut balance.next_expiry {
                    Some(next) if next.at == at => {
                        next.amount = next.amount.saturating_add(g.available);
                    }
                    Some(next) if next.at < at => {}
                    _ => {
                        balance.next_expiry = Some(NextExpiry {
                            at,
                            amount: g.available,
                        })
                    }
                }
            }
            if g.available > 0 || g.upcoming > 0 || g.held > 0 {
                balance.grants.push(g);
            }
        }
        balance.sources = sources.into_iter().filter(|s| s.granted > 0).collect();
        Ok(balance)
    }
}
