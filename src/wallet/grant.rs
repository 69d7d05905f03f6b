//! Grants: credits put into the wallet's one shared pool, each with a
//! source, an amount, an effective time, an optional expiry and a priority.

use super::time::{check_amount, check_id, check_time};
use super::{Entry, GrantEntry, Metadata, Millis, Receipt, Wallet, WalletError};
use crate::error::ErrorCode;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a grant's credits come from. Shown per source in a balance, and
/// usable to order spending ([`crate::wallet::WalletPolicy::burn_order`]).
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantSource {
    /// One-time credits on sign-up or email verification.
    Signup,
    /// A daily free allowance.
    Daily,
    /// A monthly plan allowance.
    Monthly,
    /// An annual plan allowance granted up front.
    Annual,
    /// A per-seat allowance of a team plan.
    Seat,
    /// Add-on units bought on top of a plan for a cycle.
    Addon,
    /// A top-up pack.
    Topup,
    /// A promotion or gift.
    Promo,
    /// A manual correction by support.
    Adjustment,
}

/// Written as its wire name ([`GrantSource::as_str`]), so the browser build
/// carries one copy of the names.
impl Serialize for GrantSource {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl GrantSource {
    /// Every source, in declaration order.
    pub const ALL: [GrantSource; 9] = [
        GrantSource::Signup,
        GrantSource::Daily,
        GrantSource::Monthly,
        GrantSource::Annual,
        GrantSource::Seat,
        GrantSource::Addon,
        GrantSource::Topup,
        GrantSource::Promo,
        GrantSource::Adjustment,
    ];

    /// The source's wire name (`"topup"`).
    pub fn as_str(self) -> &'static str {
        match self {
            GrantSource::Signup => "signup",
            GrantSource::Daily => "daily",
            GrantSource::Monthly => "monthly",
            GrantSource::Annual => "annual",
            GrantSource::Seat => "seat",
            GrantSource::Addon => "addon",
            GrantSource::Topup => "topup",
            GrantSource::Promo => "promo",
            GrantSource::Adjustment => "adjustment",
        }
    }

    /// Parses a wire name.
    pub fn from_name(name: &str) -> Option<GrantSource> {
        GrantSource::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for GrantSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Credits granted to the wallet.
///
/// Usable from `effectiveAt` (inclusive) until `expiresAt` (exclusive: a
/// grant expiring at `T` is usable at `T − 1` ms, not at `T`); without
/// `expiresAt` it never expires.
///
/// ```json
/// {"id":"daily/2026-11-22","source":"daily","amount":100,"effectiveAt":1795305600000,
///  "expiresAt":1795392000000,"priority":0}
/// ```
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Grant {
    /// Caller-given id, unique in the wallet; granting is idempotent on it.
    pub id: String,
    /// Where the credits come from.
    pub source: GrantSource,
    /// Credits granted, in smallest units (at most 2^53 − 1).
    pub amount: u64,
    /// When the credits become usable (Unix ms, inclusive).
    pub effective_at: Millis,
    /// When the credits stop being usable (Unix ms, exclusive); absent =
    /// never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Millis>,
    /// Tie-breaker in the burn order: lower numbers are spent first among
    /// grants expiring at the same time. Default 0.
    #[serde(default)]
    pub priority: u32,
}

impl Grant {
    /// Checks the grant's own fields: a valid id, an amount of at most
    /// 2^53 − 1, times in range and an expiry after the effective time.
    pub fn validate(&self) -> Result<(), WalletError> {
        check_id(&self.id, "id", true)?;
        check_amount(self.amount, "amount")?;
        check_time(self.effective_at, "effectiveAt")?;
        if let Some(expires_at) = self.expires_at {
            check_time(expires_at, "expiresAt")?;
            if expires_at <= self.effective_at {
                return Err(WalletError::new(
                    ErrorCode::InvalidTime,
                    format!(
                        "grant expires at {expires_at}, not after it becomes effective at {}",
                        self.effective_at
                    ),
                )
                .with_path("expiresAt")
                .with_grant(&self.id));
            }
        }
        Ok(())
    }

    /// Whether the grant's expiry has been reached at `now` (expiry is
    /// exclusive, so at `expiresAt` itself it has).
    pub fn is_expired_at(&self, now: Millis) -> bool {
        self.expires_at.is_some_and(|t| t <= now)
    }

    /// Whether the grant's credits can be spent at `now`: effective and not
    /// expired.
    pub fn is_usable_at(&self, now: Millis) -> bool {
        self.effective_at <= now && !self.is_expired_at(now)
    }
}

/// A grant and where its credits are now. Always
/// `amount = available + held + spent + expired` (credits are conserved).
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GrantState {
    /// The grant as granted.
    pub grant: Grant,
    /// Credits neither held, spent nor recorded as expired. Not all of them
    /// are spendable at a given time: see [`Wallet::balance`].
    pub available: u64,
    /// Credits reserved by pending holds.
    pub held: u64,
    /// Credits charged by settles.
    pub spent: u64,
    /// Credits recorded as expired (or forfeited at a refill).
    pub expired: u64,
    /// Metadata of the grant entry (empty for refill grants).
    pub metadata: Metadata,
    /// Sequence number of the entry that created the grant.
    pub seq: u64,
}

impl Wallet {
    /// Grants credits. Idempotent on `grant.id`: the same grant and metadata
    /// again returns the original entry (`replayed`) and changes nothing;
    /// the same id with any other field is `grant_conflict`.
    ///
    /// Errors: `invalid_id`, `invalid_amount`, `invalid_time`,
    /// `time_before_last_entry`, `grant_conflict`, `amount_overflow` (the
    /// wallet's total granted would exceed 2^53 − 1).
    pub fn grant(
        &mut self,
        grant: &Grant,
        metadata: &Metadata,
        now: Millis,
    ) -> Result<Receipt, WalletError> {
        grant.validate()?;
        metadata.validate()?;
        check_time(now, "now")?;
        if let Some(existing) = self.grants.get(&grant.id) {
            if existing.grant == *grant && existing.metadata == *metadata {
                return self.replay(existing.seq);
            }
            return Err(WalletError::new(
                ErrorCode::GrantConflict,
                format!(
                    "grant \"{}\" already exists with other fields",
                    grant.id.as_str()
                ),
            )
            .with_grant(&grant.id));
        }
        self.commit(now, |wallet, seq| {
            wallet.check_room_for(grant.amount)?;
            Ok(Entry::Grant(GrantEntry {
                seq,
                at: now,
                grant: grant.clone(),
                metadata: metadata.clone(),
            }))
        })
    }

    /// Checks `amount` more credits keep the wallet's total granted at most
    /// 2^53 − 1, so no sum of its amounts can overflow.
    pub(crate) fn check_room_for(&self, amount: u64) -> Result<(), WalletError> {
        match self.granted.checked_add(amount) {
            Some(total) if total <= crate::MAX_AMOUNT => Ok(()),
            _ => Err(WalletError::new(
                ErrorCode::AmountOverflow,
                format!(
                    "granting {amount} more would take the wallet's total granted above 2^53 − 1"
                ),
            )),
        }
    }
}
