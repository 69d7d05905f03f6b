//! Wallet time: Unix milliseconds passed in by the caller, never read from
//! a clock. Ids: the short texts that name grants, holds, allowances and
//! periods.

use super::WalletError;
use crate::error::{ErrorCode, echo};

/// A point in time as Unix milliseconds (also used for durations such as a
/// hold's ttl). An `i64` so it is a plain JavaScript number; wallet times
/// must lie in `0 ..= MAX_TIME`.
pub type Millis = i64;

/// The latest time a wallet accepts: 2^53 − 1 ms (the largest integer a
/// JavaScript number holds exactly; about 285,000 years after 1970).
pub const MAX_TIME: Millis = (1 << 53) - 1;

/// Longest id, in bytes.
pub const MAX_ID_LEN: usize = 128;

/// Longest metadata text, in bytes.
pub const MAX_TEXT_LEN: usize = 1024;

/// Checks a time lies in `0 ..= MAX_TIME`; `what` names the field.
pub(crate) fn check_time(time: Millis, what: &str) -> Result<(), WalletError> {
    if (0..=MAX_TIME).contains(&time) {
        Ok(())
    } else {
        Err(WalletError::new(
            ErrorCode::InvalidTime,
            format!("{what} {time} is not a time in 0 … 2^53 − 1 ms"),
        )
        .with_path(what))
    }
}

/// Checks an id: 1 … [`MAX_ID_LEN`] bytes, no control characters, and no
/// `/` when `slash_allowed` is false (allowance and period ids, which are
/// joined by `/` into refill grant ids).
pub(crate) fn check_id(id: &str, what: &str, slash_allowed: bool) -> Result<(), WalletError> {
    let fault = if id.is_empty() {
        Some("is empty")
    } else if id.len() > MAX_ID_LEN {
        Some("is longer than 128 bytes")
    } else if id.chars().any(char::is_control) {
        Some("contains a control character")
    } else if !slash_allowed && id.contains('/') {
        Some("contains '/'")
    } else {
        None
    };
    match fault {
        None => Ok(()),
        Some(fault) => Err(WalletError::new(
            ErrorCode::InvalidId,
            format!("{what} {} {fault}", echo(id)),
        )
        .with_path(what)),
    }
}

/// Checks an amount is at most [`crate::MAX_AMOUNT`].
pub(crate) fn check_amount(amount: u64, what: &str) -> Result<(), WalletError> {
    if amount <= crate::MAX_AMOUNT {
        Ok(())
    } else {
        Err(WalletError::new(
            ErrorCode::InvalidAmount,
            format!("{what} {amount} is above 2^53 − 1"),
        )
        .with_path(what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_must_fit_a_javascript_number() {
        // 2^53 − 1, written out: the bound is a number, not only a name.
        assert_eq!(MAX_TIME, 9_007_199_254_740_991);
        assert!(check_time(0, "now").is_ok());
        assert!(check_time(MAX_TIME, "now").is_ok());
        assert_eq!(
            check_time(-1, "now").unwrap_err().code,
            ErrorCode::InvalidTime
        );
        assert_eq!(
            check_time(MAX_TIME + 1, "now").unwrap_err().code,
            ErrorCode::InvalidTime
        );
    }

    #[test]
    fn ids_are_short_printable_texts() {
        assert!(check_id("daily/2026-11-22", "grant", true).is_ok());
        assert!(check_id("daily/2026-11-22", "period", false).is_err());
        assert!(check_id("", "grant", true).is_err());
        assert!(check_id(&"x".repeat(129), "grant", true).is_err());
        // Exactly the longest id is allowed.
        assert!(check_id(&"x".repeat(MAX_ID_LEN), "grant", true).is_ok());
        assert_eq!(MAX_ID_LEN, 128);
        assert!(check_id("a\nb", "grant", true).is_err());
    }
}
