//! The burn order — which grants a spend draws from — and [`Wallet::preview`].
//!
//! Default order among the grants spendable at `now`: soonest expiry first
//! (never-expiring last), then lower priority number, then oldest effective
//! time, then id. A policy's `burnOrder` puts its listed sources first, in
//! its order, and keeps the default order within each source.

use super::{Allocation, GrantSource, GrantState, Millis, Wallet, WalletError, WalletPolicy};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// What a spend of `amount` would draw, without changing anything: "this
/// will use 40 daily + 60 monthly credits, leaving 312".
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Preview {
    /// Credits asked for.
    pub amount: u64,
    /// Per grant, in burn order.
    pub allocations: Vec<Allocation>,
    /// Per source, in the order first drawn.
    pub sources: Vec<SourceAmount>,
    /// Credits spendable at `now` before the spend.
    pub available_before: u64,
    /// Credits spendable at `now` after it.
    pub available_after: u64,
}

/// Credits of one source.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SourceAmount {
    /// The source.
    pub source: GrantSource,
    /// Credits.
    pub amount: u64,
}

/// Compares two grants by the policy's burn order: first drawn first.
pub(crate) fn burn_cmp(policy: &WalletPolicy, a: &GrantState, b: &GrantState) -> Ordering {
    let key = |g: &GrantState| {
        let grant = &g.grant;
        (
            policy.source_rank(grant.source),
            grant.expires_at.is_none(),
            grant.expires_at.unwrap_or(0),
            grant.priority,
            grant.effective_at,
        )
    };
    key(a)
        .cmp(&key(b))
        .then_with(|| a.grant.id.cmp(&b.grant.id))
}

impl Wallet {
    /// The grants with credits spendable at `now`, in burn order.
    pub(crate) fn burn_sequence(&self, now: Millis) -> Vec<&GrantState> {
        let mut grants: Vec<&GrantState> = self
            .grants
            .values()
            .filter(|g| g.available > 0 && g.grant.is_usable_at(now))
            .collect();
        grants.sort_by(|a, b| burn_cmp(&self.policy, a, b));
        grants
    }

    /// Credits spendable at `now` (as recorded: call on a swept view).
    pub(crate) fn spendable(&self, now: Millis) -> u64 {
        self.burn_sequence(now)
            .iter()
            .fold(0u64, |sum, g| sum.saturating_add(g.available))
    }

    /// Draws `amount` in burn order, or `insufficient_credits`.
    pub(crate) fn allocate(
        &self,
        amount: u64,
        now: Millis,
    ) -> Result<Vec<Allocation>, WalletError> {
        let mut allocations = Vec::new();
        let mut left = amount;
        for g in self.burn_sequence(now) {
            if left == 0 {
                break;
            }
            let take = left.min(g.available);
            left -= take;
            allocations.push(Allocation {
                grant: g.grant.id.clone(),
                source: g.grant.source,
                amount: take,
            });
        }
        if left > 0 {
            return Err(WalletError::insufficient(amount, self.spendable(now)));
        }
        Ok(allocations)
    }

    /// What spending `amount` at `now` would draw, grant by grant and
    /// source by source, and what would be left — exactly what
    /// [`Wallet::hold`] would reserve at the same `now`. Changes nothing.
    ///
    /// Errors: `insufficient_credits` (with `requested`, `available`,
    /// `shortfall`), `invalid_amount`, `invalid_time`,
    /// `time_before_last_entry`.
    pub fn preview(&self, amount: u64, now: Millis) -> Result<Preview, WalletError> {
        super::time::check_amount(amount, "amount")?;
        let view = self.view(now)?;
        let allocations = view.allocate(amount, now)?;
        let before = view.spendable(now);
        let mut sources: Vec<SourceAmount> = Vec::new();
        for a in &allocations {
            match sources.iter_mut().find(|s| s.source == a.source) {
                Some(s) => s.amount = s.amount.saturating_add(a.amount),
                None => sources.push(SourceAmount {
                    source: a.source,
                    amount: a.amount,
                }),
            }
        }
        Ok(Preview {
            amount,
            allocations,
            sources,
            available_before: before,
            available_after: before.saturating_sub(amount),
        })
    }
}
