//! The burn order — which grants a spend draws from — and [`Wallet::preview`].
//!
//! Default order among the grants spendable at `now`: soonest expiry first
//! (never-expiring last), then lower priority number, then oldest effective
//! time, then id. A policy's `burnOrder` puts its listed sources first, in
//! its order, and keeps the default order within each source.

use super::expire::Due;
use super::{Allocation, GrantSource, GrantState, Millis, Wallet, WalletError};
use serde::{Deserialize, Serialize};

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

impl Wallet {
    /// The grants with credits spendable at `now`, in burn order, with
    /// what each can spend once `due` is counted. Walks the open grants
    /// (those with credits available or held), never a closed one.
    pub(crate) fn burn_sequence(
        &self,
        now: Millis,
        due: &Due,
    ) -> Result<Vec<(&GrantState, u64)>, WalletError> {
        let mut sequence = Vec::new();
        for g in self.open_grants() {
            if !g.grant.is_usable_at(now) {
                continue;
            }
            let available = due.after(g)?.available;
            if available > 0 {
                sequence.push((g, available));
            }
        }
        Ok(sequence)
    }

    /// Credits spendable at `now`, counting `due`.
    pub(crate) fn spendable(&self, now: Millis, due: &Due) -> Result<u64, WalletError> {
        Ok(self
            .burn_sequence(now, due)?
            .iter()
            .fold(0u64, |sum, (_, available)| sum.saturating_add(*available)))
    }

    /// Draws `amount` in burn order at `now`, counting `due`, or
    /// `insufficient_credits`.
    pub(crate) fn allocate(
        &self,
        amount: u64,
        now: Millis,
        due: &Due,
    ) -> Result<Vec<Allocation>, WalletError> {
        let mut allocations = Vec::new();
        let mut left = amount;
        let mut total = 0u64;
        for (g, available) in self.burn_sequence(now, due)? {
            if left == 0 {
                break;
            }
            // Complete whenever it is read: an error walks every grant.
            total = total.saturating_add(available);
            let take = left.min(available);
            left -= take;
            allocations.push(Allocation {
                grant: g.grant.id.clone(),
                source: g.grant.source,
                amount: take,
            });
        }
        if left > 0 {
            return Err(WalletError::insufficient(amount, total));
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
        let due = self.due(now)?;
        let allocations = self.allocate(amount, now, &due)?;
        let before = self.spendable(now, &due)?;
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
