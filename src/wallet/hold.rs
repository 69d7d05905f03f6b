//! Holds, two-phase like TigerBeetle's pending transfers: [`Wallet::hold`]
//! reserves credits from specific grants when a generation starts,
//! [`Wallet::settle`] charges all or part of them when it succeeds, and
//! [`Wallet::release`] gives them back when it fails. A hold past its ttl is
//! expired and released ([`Wallet::expire`]).

use super::time::{check_amount, check_id, check_time};
use super::{
    Allocation, Entry, GrantLine, HoldEntry, Metadata, Millis, Receipt, ReleaseEntry, SettleEntry,
    Wallet, WalletError,
};
use crate::error::ErrorCode;
use serde::{Deserialize, Serialize};

/// A request to hold credits.
///
/// ```json
/// {"id":"gen-81f2","amount":96,"ttl":600000,"metadata":{"studio":"image","product":"image/flux-pro"}}
/// ```
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HoldRequest {
    /// Caller-given id; holding is idempotent on it.
    pub id: String,
    /// Credits to reserve (the quote's total).
    pub amount: u64,
    /// How long the hold lasts, in ms (positive): from `now + ttl` on it
    /// is expired.
    pub ttl: Millis,
    /// Studio, product and request summary, for history.
    #[serde(default)]
    pub metadata: Metadata,
}

/// Where a hold stands.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "camelCase", deny_unknown_fields)]
pub enum HoldStatus {
    /// Credits reserved, not yet resolved.
    Pending,
    /// Charged `charged` credits; the rest went back.
    Settled {
        /// Credits charged.
        charged: u64,
    },
    /// Released: nothing charged.
    Released,
    /// Expired after its ttl: released, nothing charged.
    Expired,
}

/// A hold and its outcome.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HoldState {
    /// The hold's id.
    pub id: String,
    /// Credits reserved.
    pub amount: u64,
    /// Requested ttl (ms).
    pub ttl: Millis,
    /// When it was made.
    pub created_at: Millis,
    /// `createdAt + ttl`: from then on it is expired.
    pub expires_at: Millis,
    /// Where the credits came from, in burn order.
    pub allocations: Vec<Allocation>,
    /// The caller's metadata.
    pub metadata: Metadata,
    /// Pending, settled, released or expired.
    pub status: HoldStatus,
    /// Sequence number of the hold entry.
    pub seq: u64,
    /// Sequence number of the entry that resolved it.
    pub resolved_seq: Option<u64>,
}

impl Wallet {
    /// Reserves `request.amount` credits from specific grants in burn order
    /// (the same allocation [`Wallet::preview`] shows), or fails with
    /// `insufficient_credits` and reserves nothing.
    ///
    /// Idempotent on the hold id: the same amount, ttl and metadata again
    /// returns the original entry, whatever happened to the hold since;
    /// anything else is `hold_conflict`.
    ///
    /// Errors: `invalid_id`, `invalid_amount`, `invalid_time`,
    /// `time_before_last_entry`, `hold_conflict`, `insufficient_credits`.
    pub fn hold(&mut self, request: &HoldRequest, now: Millis) -> Result<Receipt, WalletError> {
        check_id(&request.id, "id", true)?;
        check_amount(request.amount, "amount")?;
        request.metadata.validate()?;
        check_time(now, "now")?;
        if let Some(existing) = self.holds.get(&request.id) {
            if existing.amount == request.amount
                && existing.ttl == request.ttl
                && existing.metadata == request.metadata
            {
                return self.replay(existing.seq);
            }
            return Err(WalletError::new(
                ErrorCode::HoldConflict,
                format!(
                    "hold \"{}\" already exists with another amount, ttl or metadata",
                    request.id
                ),
            )
            .with_hold(&request.id));
        }
        let expires_at = match now.checked_add(request.ttl) {
            Some(t) if request.ttl > 0 && check_time(t, "expiresAt").is_ok() => t,
            _ => {
                return Err(WalletError::new(
                    ErrorCode::InvalidTime,
                    format!(
                        "ttl {} must be positive and end before 2^53 ms",
                        request.ttl
                    ),
                )
                .with_path("ttl"));
            }
        };
        self.commit(now, |wallet, seq| {
            let allocations = wallet.allocate(request.amount, now, &wallet.due(now)?)?;
            Ok(Entry::Hold(HoldEntry {
                seq,
                at: now,
                hold: request.id.clone(),
                amount: request.amount,
                ttl: request.ttl,
                expires_at,
                allocations,
                metadata: request.metadata.clone(),
            }))
        })
    }

    /// Charges `amount` of hold `id` (all of it, or part: 3 of 4 images)
    /// and returns the rest to the grants it came from.
    ///
    /// The charge is taken from the hold's allocations in their order (the
    /// burn order when the hold was made, so the soonest-expiring credits
    /// are kept as charged); the remainder goes back, to `available` when
    /// its grant is still unexpired and to `expired` when it is not.
    ///
    /// Resolves at most once: settling again with the same amount returns
    /// the original entry; otherwise a settled hold is `already_settled`, a
    /// released one `already_released`, an expired one `hold_expired`.
    ///
    /// Errors also: `unknown_hold`, `exceeds_hold` (with `requested` and
    /// `available` = the held amount), `invalid_amount`, `invalid_time`,
    /// `time_before_last_entry`.
    pub fn settle(&mut self, id: &str, amount: u64, now: Millis) -> Result<Receipt, WalletError> {
        check_amount(amount, "amount")?;
        check_time(now, "now")?;
        let hold = self.known_hold(id)?;
        if let HoldStatus::Settled { charged } = hold.status
            && charged == amount
        {
            return self.replay_resolution(id);
        }
        self.check_resolvable(id)?;
        self.commit(now, |wallet, seq| {
            wallet.check_resolvable(id)?;
            let hold = wallet.known_hold(id)?;
            if amount > hold.amount {
                return Err(WalletError {
                    requested: Some(amount),
                    available: Some(hold.amount),
                    shortfall: Some(amount - hold.amount),
                    ..WalletError::new(
                        ErrorCode::ExceedsHold,
                        format!(
                            "cannot settle {amount} of hold \"{id}\", which holds {}",
                            hold.amount
                        ),
                    )
                    .with_hold(id)
                });
            }
            Ok(Entry::Settle(SettleEntry {
                seq,
                at: now,
                hold: id.to_string(),
                amount,
                lines: wallet.resolution_lines(id, amount, now)?,
                metadata: hold.metadata.clone(),
            }))
        })
    }

    /// Releases hold `id`: returns every credit to the grants it came from
    /// (to `expired` for a grant whose expiry has passed).
    ///
    /// Resolves at most once: releasing again returns the original entry; a
    /// settled hold is `already_settled`, an expired one `hold_expired`.
    ///
    /// Errors also: `unknown_hold`, `invalid_time`, `time_before_last_entry`.
    pub fn release(&mut self, id: &str, now: Millis) -> Result<Receipt, WalletError> {
        check_time(now, "now")?;
        if self.known_hold(id)?.status == HoldStatus::Released {
            return self.replay_resolution(id);
        }
        self.check_resolvable(id)?;
        self.commit(now, |wallet, seq| {
            wallet.check_resolvable(id)?;
            let hold = wallet.known_hold(id)?;
            Ok(Entry::Release(ReleaseEntry {
                seq,
                at: now,
                hold: id.to_string(),
                lines: wallet.resolution_lines(id, 0, now)?,
                metadata: hold.metadata.clone(),
            }))
        })
    }

    fn known_hold(&self, id: &str) -> Result<&HoldState, WalletError> {
        self.holds.get(id).ok_or_else(|| {
            WalletError::new(ErrorCode::UnknownHold, format!("no hold \"{id}\"")).with_hold(id)
        })
    }

    /// `already_settled`, `already_released` or `hold_expired` unless the
    /// hold is pending.
    fn check_resolvable(&self, id: &str) -> Result<(), WalletError> {
        let (code, what) = match self.known_hold(id)?.status {
            HoldStatus::Pending => return Ok(()),
            HoldStatus::Settled { .. } => (ErrorCode::AlreadySettled, "settled"),
            HoldStatus::Released => (ErrorCode::AlreadyReleased, "released"),
            HoldStatus::Expired => (ErrorCode::HoldExpired, "expired"),
        };
        Err(WalletError::new(code, format!("hold \"{id}\" was already {what}")).with_hold(id))
    }

    /// The original entry that resolved hold `id`.
    fn replay_resolution(&self, id: &str) -> Result<Receipt, WalletError> {
        match self.known_hold(id)?.resolved_seq {
            Some(seq) => self.replay(seq),
            None => Err(WalletError::ledger(format!(
                "hold \"{id}\" has no resolution"
            ))),
        }
    }

    /// The lines resolving hold `id` at `now` with `charge` credits charged:
    /// the charge from the allocations in order, the rest back to each
    /// grant (as expired if the grant has expired at `now`).
    pub(crate) fn resolution_lines(
        &self,
        id: &str,
        charge: u64,
        now: Millis,
    ) -> Result<Vec<GrantLine>, WalletError> {
        let hold = self.known_hold(id)?;
        let mut left = charge;
        let mut lines = Vec::with_capacity(hold.allocations.len());
        for a in &hold.allocations {
            let charged = left.min(a.amount);
            left -= charged;
            let back = a.amount - charged;
            let expired = self
                .grants
                .get(&a.grant)
                .is_none_or(|g| g.grant.is_expired_at(now));
            lines.push(GrantLine {
                grant: a.grant.clone(),
                charged,
                returned: if expired { 0 } else { back },
                expired: if expired { back } else { 0 },
            });
        }
        Ok(lines)
    }
}
