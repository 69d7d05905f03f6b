//! Refills: [`Wallet::refill`] grants an allowance of the policy for one
//! billing period (a day's free credits, a month's allowance, a year's up
//! front, per seat × seats), applying its rollover rule. Idempotent per
//! allowance and period.

use super::ledger::refill_key;
use super::time::{check_id, check_time};
use super::{
    Entry, Every, ExpiredGrant, Grant, Millis, Receipt, RefillEntry, Rollover, Wallet, WalletError,
};
use crate::error::ErrorCode;
use serde::{Deserialize, Serialize};

/// A request to refill one allowance for one period.
///
/// ```json
/// {"allowance":"pro-monthly","period":"2026-11","start":1793491200000,"end":1796083200000}
/// ```
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Refill {
    /// The allowance's id in the wallet's policy.
    pub allowance: String,
    /// The period's key, unique per allowance (`2026-11`, `2026-11-22`); no `/`.
    pub period: String,
    /// Period start (Unix ms): the grant's effective time.
    pub start: Millis,
    /// Period end (Unix ms, exclusive): the grant's expiry when the
    /// allowance does not roll over.
    pub end: Millis,
    /// Seats, for a per-seat allowance (default 1; ignored otherwise).
    #[serde(default = "one")]
    pub seats: u64,
}

fn one() -> u64 {
    1
}

/// A refill already made, by `allowance/period`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefillState {
    /// The allowance refilled.
    pub allowance: String,
    /// The period key (`2026-11`).
    pub period: String,
    /// Period start, Unix ms.
    pub start: Millis,
    /// Period end, Unix ms, exclusive.
    pub end: Millis,
    /// Seats counted.
    pub seats: u64,
    /// The grant it made (`allowance/period`).
    pub grant: String,
    /// Sequence number of the refill entry.
    pub seq: u64,
}

impl Wallet {
    /// Grants the policy's allowance `refill.allowance` for the period: one
    /// grant `allowance/period` of `amount` (× `seats` when per seat),
    /// effective at `start`, expiring at `end` when the allowance does not
    /// roll over and never otherwise. With a `capped` rollover, the
    /// allowance's earlier grants are first cut down so that what they
    /// still have available is at most the cap; the excess is forfeited
    /// (recorded as expired in the refill entry).
    ///
    /// A refill for a period already refilled returns the original entry
    /// (`replayed`); with another start, end or seat count it is
    /// `refill_conflict`. An allowance refilled `once` (sign-up credits)
    /// is granted for one period only: another period is `refill_conflict`.
    ///
    /// Errors also: `unknown_allowance`, `invalid_id`, `invalid_time`,
    /// `time_before_last_entry`, `grant_conflict` (a grant already has the
    /// id `allowance/period`), `amount_overflow`.
    pub fn refill(&mut self, refill: &Refill, now: Millis) -> Result<Receipt, WalletError> {
        check_id(&refill.allowance, "allowance", false)?;
        check_id(&refill.period, "period", false)?;
        check_time(refill.start, "start")?;
        check_time(refill.end, "end")?;
        check_time(now, "now")?;
        if refill.end <= refill.start {
            return Err(WalletError::new(
                ErrorCode::InvalidTime,
                format!(
                    "period ends at {}, not after it starts at {}",
                    refill.end, refill.start
                ),
            )
            .with_path("end"));
        }
        let key = refill_key(&refill.allowance, &refill.period);
        if let Some(done) = self.refills.get(&key) {
            if done.start == refill.start
                && done.end == refill.end
                && done.seats == effective_seats(self, refill)
            {
                return self.replay(done.seq);
            }
            return Err(WalletError::new(
                ErrorCode::RefillConflict,
                format!("refill \"{key}\" was already made with another start, end or seat count"),
            ));
        }
        let allowance = self
            .policy
            .allowance(&refill.allowance)
            .ok_or_else(|| {
                let known: Vec<&str> = self
                    .policy
                    .allowances
                    .iter()
                    .map(|a| a.id.as_str())
                    .collect();
                let has = if known.is_empty() {
                    "it has no allowances at all (is it the policy you meant?)".to_string()
                } else {
                    format!("it has {}", known.join(", "))
                };
                WalletError::new(
                    ErrorCode::UnknownAllowance,
                    format!(
                        "the policy has no allowance {}: {has}",
                        crate::error::echo(&refill.allowance)
                    ),
                )
                .with_path("allowance")
            })?
            .clone();
        if allowance.period() == Every::Once {
            // Refill keys are `allowance/period` and an allowance has no
            // `/`: its refills are one range of the map.
            let prefix = format!("{}/", refill.allowance);
            if let Some(done) = self
                .refills
                .range(prefix..)
                .next()
                .map(|(_, r)| r)
                .filter(|r| r.allowance == refill.allowance)
            {
                return Err(WalletError::new(
                    ErrorCode::RefillConflict,
                    format!(
                        "allowance \"{}\" is granted once, and was granted for period \"{}\"",
                        refill.allowance, done.period
                    ),
                ));
            }
        }
        let seats = effective_seats(self, refill);
        let amount = allowance
            .amount
            .checked_mul(seats)
            .filter(|a| *a <= crate::MAX_AMOUNT)
            .ok_or_else(|| {
                WalletError::new(
                    ErrorCode::AmountOverflow,
                    format!("{} × {seats} seats is above 2^53 − 1", allowance.amount),
                )
            })?;
        self.commit(now, |wallet, seq| {
            if wallet.grants.contains_key(&key) {
                return Err(WalletError::new(
                    ErrorCode::GrantConflict,
                    format!("a grant \"{key}\" already exists"),
                )
                .with_grant(&key));
            }
            wallet.check_room_for(amount)?;
            let forfeited = match allowance.rollover {
                Rollover::Capped { cap } => wallet.over_cap(&refill.allowance, refill.start, cap),
                Rollover::None | Rollover::Full => Vec::new(),
            };
            Ok(Entry::Refill(RefillEntry {
                seq,
                at: now,
                allowance: refill.allowance.clone(),
                period: refill.period.clone(),
                start: refill.start,
                end: refill.end,
                seats,
                forfeited,
                grant: Grant {
                    id: key.clone(),
                    source: allowance.source,
                    amount,
                    effective_at: refill.start,
                    expires_at: match allowance.rollover {
                        Rollover::None => Some(refill.end),
                        Rollover::Capped { .. } | Rollover::Full => None,
                    },
                    priority: allowance.priority,
                },
            }))
        })
    }

    /// What the allowance's grants from periods starting before `start`
    /// have available above `cap`, to forfeit oldest first. Only open
    /// grants can have credits available, so only they are visited (a
    /// refill's grant id is its refill key).
    fn over_cap(&self, allowance: &str, start: Millis, cap: u64) -> Vec<ExpiredGrant> {
        let mut earlier: Vec<(Millis, &str, u64)> = self
            .open_grants()
            .filter(|g| g.available > 0)
            .filter_map(|g| {
                let r = self.refills.get(&g.grant.id)?;
                (r.allowance == allowance && r.start < start).then_some((
                    r.start,
                    r.grant.as_str(),
                    g.available,
                ))
            })
            .collect();
        earlier.sort();
        let total = earlier.iter().fold(0u64, |sum, e| sum.saturating_add(e.2));
        let mut excess = total.saturating_sub(cap);
        let mut forfeited = Vec::new();
        for (_, grant, available) in earlier {
            if excess == 0 {
                break;
            }
            let amount = excess.min(available);
            excess -= amount;
            forfeited.push(ExpiredGrant {
                grant: grant.to_string(),
                amount,
            });
        }
        forfeited
    }
}

/// Seats a refill counts: its seat count for a per-seat allowance, else 1
/// (also when the policy no longer has the allowance, for retries).
fn effective_seats(wallet: &Wallet, refill: &Refill) -> u64 {
    match wallet.policy.allowance(&refill.allowance) {
        Some(a) if !a.per_seat => 1,
        _ => refill.seats,
    }
}
