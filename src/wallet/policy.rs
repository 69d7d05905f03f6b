//! [`WalletPolicy`]: the rules a studio configures — the order in which
//! sources are spent, and the allowances a refill grants each period with
//! their rollover rule. A plain, validated serde struct (the catalog will
//! carry one per plan).

use super::time::{check_amount, check_id};
use super::{GrantSource, WalletError};
use crate::error::ErrorCode;
use serde::{Deserialize, Serialize};

/// A studio's wallet rules.
///
/// ```json
/// {"burnOrder":["daily","monthly","topup"],
///  "allowances":[
///    {"id":"daily-free","source":"daily","amount":100},
///    {"id":"pro-monthly","source":"monthly","amount":3000,"rollover":{"mode":"none"}},
///    {"id":"team-seat","source":"seat","amount":150,"perSeat":true},
///    {"id":"creator","source":"monthly","amount":1000,"rollover":{"mode":"capped","cap":500}}]}
/// ```
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WalletPolicy {
    /// Sources spent first, in this order; grants of unlisted sources come
    /// after. Within a source (and among unlisted ones) the default burn
    /// order applies. Empty (the default) = the default burn order alone.
    #[serde(default)]
    pub burn_order: Vec<GrantSource>,
    /// What a refill grants, by allowance id.
    #[serde(default)]
    pub allowances: Vec<Allowance>,
}

/// Credits granted every period by a refill (a daily free grant, a monthly
/// or annual allowance, a per-seat allowance, add-on units).
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Allowance {
    /// Id a refill names (no `/`); the period's grant is `id/period`.
    pub id: String,
    /// Source of the granted credits.
    pub source: GrantSource,
    /// Credits per period (per seat when `perSeat`).
    pub amount: u64,
    /// Multiply `amount` by the refill's seat count.
    #[serde(default)]
    pub per_seat: bool,
    /// Priority of the granted credits in the burn order (default 0).
    #[serde(default)]
    pub priority: u32,
    /// What happens to unused credits when the next period is refilled
    /// (default `none`).
    #[serde(default)]
    pub rollover: Rollover,
    /// How often the allowance is refilled. When absent it follows the
    /// source: `signup` once, `daily` every day, `annual` every year,
    /// anything else every month ([`Allowance::period`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<Every>,
}

/// How often an allowance is refilled: what one refill period is.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Every {
    /// Granted once (sign-up credits).
    Once,
    /// Every day; unused credits expire at the day's end unless rolled over.
    Day,
    /// Every month (a billing cycle).
    Month,
    /// Every year, up front.
    Year,
}

impl Every {
    /// Parses a wire name.
    pub fn from_name(name: &str) -> Option<Every> {
        match name {
            "once" => Some(Every::Once),
            "day" => Some(Every::Day),
            "month" => Some(Every::Month),
            "year" => Some(Every::Year),
            _ => None,
        }
    }
}

impl Allowance {
    /// The allowance's refill period: `every`, or the source's usual one.
    pub fn period(&self) -> Every {
        self.every.unwrap_or(match self.source {
            GrantSource::Signup => Every::Once,
            GrantSource::Daily => Every::Day,
            GrantSource::Annual => Every::Year,
            _ => Every::Month,
        })
    }
}

/// What becomes of an allowance's unused credits at the next period.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "camelCase", deny_unknown_fields)]
pub enum Rollover {
    /// No rollover: each period's grant expires at the period's end.
    #[default]
    None,
    /// Unused credits roll over up to `cap`: the grants have no expiry, and
    /// each refill forfeits (records as expired) whatever the allowance's
    /// earlier grants still have available above `cap`.
    Capped {
        /// The most credits carried into a new period.
        cap: u64,
    },
    /// Everything rolls over: the grants have no expiry.
    Full,
}

impl WalletPolicy {
    /// Checks the policy: no source twice in `burnOrder`; allowance ids
    /// valid (no `/`) and unique; amounts and caps at most 2^53 − 1.
    /// Errors are `invalid_policy` with the offending `path`.
    pub fn validate(&self) -> Result<(), WalletError> {
        let invalid = |path: String, message: String| {
            WalletError::new(ErrorCode::InvalidPolicy, message).with_path(path)
        };
        // Linear scans, not sets: a policy lists a handful of entries, and this
        // keeps set code out of the browser build.
        for (i, source) in self.burn_order.iter().enumerate() {
            if self.burn_order.iter().take(i).any(|s| s == source) {
                return Err(invalid(
                    format!("burnOrder[{i}]"),
                    format!("source {source} is listed twice in burnOrder"),
                ));
            }
        }
        for (i, allowance) in self.allowances.iter().enumerate() {
            let path = |field: &str| format!("allowances[{i}].{field}");
            check_id(&allowance.id, "id", false)
                .map_err(|e| invalid(path("id"), format!("allowance {}", e.message)))?;
            if self.allowances.iter().take(i).any(|a| a.id == allowance.id) {
                return Err(invalid(
                    path("id"),
                    format!("allowance id \"{}\" is used twice", allowance.id),
                ));
            }
            check_amount(allowance.amount, "amount")
                .map_err(|e| invalid(path("amount"), e.message))?;
            if let Rollover::Capped { cap } = allowance.rollover {
                check_amount(cap, "cap").map_err(|e| invalid(path("rollover.cap"), e.message))?;
            }
        }
        Ok(())
    }

    /// The allowance with this id.
    pub fn allowance(&self, id: &str) -> Option<&Allowance> {
        self.allowances.iter().find(|a| a.id == id)
    }

    /// Where a source falls in `burnOrder`: its index, or the list's length
    /// for an unlisted source.
    pub fn source_rank(&self, source: GrantSource) -> usize {
        self.burn_order
            .iter()
            .position(|s| *s == source)
            .unwrap_or(self.burn_order.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_reads_its_documented_json() {
        let policy: WalletPolicy = serde_json::from_str(
            r#"{"burnOrder":["daily","monthly","topup"],
                "allowances":[
                  {"id":"daily-free","source":"daily","amount":100},
                  {"id":"team-seat","source":"seat","amount":150,"perSeat":true},
                  {"id":"creator","source":"monthly","amount":1000,"rollover":{"mode":"capped","cap":500}}]}"#,
        )
        .unwrap();
        policy.validate().unwrap();
        assert_eq!(policy.allowances[0].rollover, Rollover::None);
        assert_eq!(policy.allowances[2].rollover, Rollover::Capped { cap: 500 });
        assert_eq!(policy.source_rank(GrantSource::Monthly), 1);
        assert_eq!(policy.source_rank(GrantSource::Promo), 3);
    }

    #[test]
    fn policy_rejects_unknown_fields_duplicates_and_huge_amounts() {
        assert!(serde_json::from_str::<WalletPolicy>(r#"{"burnorder":[]}"#).is_err());
        let twice = WalletPolicy {
            burn_order: vec![GrantSource::Daily, GrantSource::Daily],
            allowances: vec![],
        };
        assert_eq!(
            twice.validate().unwrap_err().path.as_deref(),
            Some("burnOrder[1]")
        );
        let allowance = Allowance {
            id: "a".into(),
            source: GrantSource::Monthly,
            amount: 1,
            per_seat: false,
            priority: 0,
            rollover: Rollover::None,
            every: None,
        };
        let dup = WalletPolicy {
            burn_order: vec![],
            allowances: vec![allowance.clone(), allowance.clone()],
        };
        assert_eq!(dup.validate().unwrap_err().code, ErrorCode::InvalidPolicy);
        let huge = WalletPolicy {
            burn_order: vec![],
            allowances: vec![Allowance {
                rollover: Rollover::Capped { cap: u64::MAX },
                ..allowance.clone()
            }],
        };
        assert_eq!(
            huge.validate().unwrap_err().path.as_deref(),
            Some("allowances[0].rollover.cap")
        );
        let slash = WalletPolicy {
            burn_order: vec![],
            allowances: vec![Allowance {
                id: "a/b".into(),
                ..allowance
            }],
        };
        assert!(slash.validate().is_err());
    }
}
