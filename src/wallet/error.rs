//! [`WalletError`]: what a wallet operation or a ledger replay returns when
//! it refuses. A stable [`ErrorCode`], a message for people, and the figures
//! a caller needs to act (the shortfall of an `insufficient_credits`, the
//! line of a corrupt ledger entry) as data, not only in the message.

use crate::error::ErrorCode;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A refused wallet operation or an invalid ledger.
///
/// Serializes as a flat camelCase object; absent details are left out:
///
/// ```json
/// {"code":"insufficient_credits","message":"…","requested":100,"available":60,"shortfall":40}
/// ```
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WalletError {
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// Human-readable explanation. Not stable: match on `code`.
    pub message: String,
    /// Credits asked for (`insufficient_credits`, `exceeds_hold`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested: Option<u64>,
    /// Credits that could be used (`insufficient_credits`: spendable now;
    /// `exceeds_hold`: held by the hold).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available: Option<u64>,
    /// `requested − available` when positive (`insufficient_credits`,
    /// `exceeds_hold`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shortfall: Option<u64>,
    /// The hold concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<String>,
    /// The grant concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant: Option<String>,
    /// The 1-based position of the offending ledger entry (`invalid_ledger`),
    /// or its line in a JSON Lines file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The offending field, if one field is to blame (`expiresAt`, `ttl`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl WalletError {
    /// An error with a code, a message and no details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        WalletError {
            code,
            message: message.into(),
            requested: None,
            available: None,
            shortfall: None,
            hold: None,
            grant: None,
            line: None,
            path: None,
        }
    }

    /// `insufficient_credits`: `requested` credits asked for, `available`
    /// spendable; the shortfall is their difference.
    pub fn insufficient(requested: u64, available: u64) -> Self {
        let shortfall = requested.saturating_sub(available);
        WalletError {
            requested: Some(requested),
            available: Some(available),
            shortfall: Some(shortfall),
            ..WalletError::new(
                ErrorCode::InsufficientCredits,
                format!("{requested} credits requested, {available} available: {shortfall} short"),
            )
        }
    }

    /// `invalid_ledger` with a message.
    pub fn ledger(message: impl Into<String>) -> Self {
        WalletError::new(ErrorCode::InvalidLedger, message)
    }

    /// The same error, naming the hold concerned.
    pub fn with_hold(mut self, hold: impl Into<String>) -> Self {
        self.hold = Some(hold.into());
        self
    }

    /// The same error, naming the grant concerned.
    pub fn with_grant(mut self, grant: impl Into<String>) -> Self {
        self.grant = Some(grant.into());
        self
    }

    /// The same error, at a ledger position or file line.
    pub fn with_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }

    /// The same error, blaming the field at `path`.
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }
}

impl fmt::Display for WalletError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(line) = self.line {
            write!(f, " (entry {line})")?;
        }
        Ok(())
    }
}

impl std::error::Error for WalletError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insufficient_credits_carries_its_figures_as_data() {
        let e = WalletError::insufficient(100, 60);
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "insufficient_credits");
        assert_eq!(json["requested"], 100);
        assert_eq!(json["available"], 60);
        assert_eq!(json["shortfall"], 40);
        assert!(json.get("hold").is_none(), "absent details are left out");
    }

    #[test]
    fn display_shows_code_message_and_line() {
        let e = WalletError::ledger("bad").with_line(3);
        assert_eq!(e.to_string(), "invalid_ledger: bad (entry 3)");
    }
}
