//! Errors as values: every failure has a stable machine-readable [`ErrorCode`],
//! a human message and, where it helps, the path of the offending field.
//!
//! Codes are part of the public contract: the CLI prints them, the npm package
//! throws `Error` objects carrying them, and tests match on them. A code is
//! never renamed; new codes may be added.

pub mod suggest;

use serde::{Deserialize, Serialize};
use std::fmt;

/// Stable error codes. Serialized in `snake_case` (`unknown_product`, …).
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The input text is not valid JSON (or is nested too deeply).
    InvalidJson,
    /// The request has the wrong shape: not an object, `items` not a list,
    /// a field of the wrong type.
    InvalidRequest,
    /// A field the request contract does not know.
    UnknownField,
    /// A required field is absent (for example `seconds` for a video model
    /// that has no default duration).
    MissingField,
    /// A known field that does not apply to this product's meter (for example
    /// `seconds` on an image model).
    UnsupportedField,
    /// `items` is an empty list.
    EmptyRequest,
    /// More items in one request than [`crate::MAX_ITEMS`].
    TooManyItems,
    /// No product with this id in the catalog.
    UnknownProduct,
    /// The product has no option with this name.
    UnknownOption,
    /// The option exists but this value is not one of its values.
    InvalidOptionValue,
    /// A quantity that is not a non-negative integer no larger than 2^53 − 1,
    /// or an output count of zero.
    InvalidQuantity,
    /// The resolution is not offered by this product.
    ResolutionNotAllowed,
    /// More outputs than the product allows.
    TooManyOutputs,
    /// `seconds` outside the product's minimum and maximum.
    DurationOutOfRange,
    /// A metered quantity other than seconds (characters, tokens, megapixels)
    /// outside the product's limits.
    QuantityOutOfRange,
    /// An amount or an intermediate product does not fit: the total would
    /// exceed 2^53 − 1 smallest units, or exact arithmetic would overflow.
    AmountOverflow,
    /// The catalog is invalid; see its diagnostics.
    InvalidCatalog,
    /// The catalog's stated fingerprint does not match its content.
    FingerprintMismatch,
    /// Reading a file or standard input failed.
    Io,
    /// A wallet cannot cover a spend or hold: fewer credits are available
    /// than requested. Carries `requested`, `available` and `shortfall`.
    InsufficientCredits,
    /// A grant id is already used by a grant with different fields.
    GrantConflict,
    /// A hold id is already used by a hold with a different amount, ttl or
    /// metadata.
    HoldConflict,
    /// A refill for this allowance and period was already made with a
    /// different start, end or seat count.
    RefillConflict,
    /// No hold with this id in the wallet.
    UnknownHold,
    /// A settle asked to charge more than the hold holds.
    ExceedsHold,
    /// The hold was already settled (with another amount, or a release
    /// came after the settle).
    AlreadySettled,
    /// The hold was already released.
    AlreadyReleased,
    /// The hold passed its ttl and was (or is now) expired and released.
    HoldExpired,
    /// The wallet policy has no allowance with this id.
    UnknownAllowance,
    /// A wallet amount above 2^53 − 1 smallest units.
    InvalidAmount,
    /// A time outside 0 … 2^53 − 1 milliseconds, an expiry not after its
    /// start, or a ttl that is not positive.
    InvalidTime,
    /// An operation dated before the wallet's last ledger entry: wallet time
    /// never goes backwards.
    TimeBeforeLastEntry,
    /// An empty, too long or malformed grant, hold, allowance or period id.
    InvalidId,
    /// A wallet policy that breaks its rules (duplicate allowance ids or
    /// burn-order sources, amounts too large).
    InvalidPolicy,
    /// A ledger entry that is malformed or does not follow from the entries
    /// before it (wrong sequence number, unknown grant, credits that do not
    /// add up).
    InvalidLedger,
    /// The ledger file's last line was cut short (a crash in the middle of
    /// an append). Carries `line`. It is reported, never dropped or
    /// repaired: a person decides what the cut entry was.
    LedgerTorn,
    /// A ledger file larger than the reader's limit (`genprice wallet
    /// --max-ledger-bytes`). The wallet the CLI folds keeps every entry in
    /// memory, so the limit bounds its memory; a ledger that outgrows it
    /// belongs in `genprice serve`'s store.
    LedgerTooLarge,
    /// No plan with this id in the catalog.
    UnknownPlan,
    /// A usage mix for the estimator with the wrong shape: not a list of
    /// `{request, per, count, workdays?}`, an unknown `per`, workdays
    /// outside 1 … 31, a buffer outside 0 … 1000 percent.
    InvalidUsage,
    /// No pack with this id in the catalog.
    UnknownPack,
    /// The plan may not buy this pack (packs only for paid subscribers).
    PackNotInPlan,
}

impl ErrorCode {
    /// The code as it appears on the wire, e.g. `"unknown_product"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::UnknownField => "unknown_field",
            ErrorCode::MissingField => "missing_field",
            ErrorCode::UnsupportedField => "unsupported_field",
            ErrorCode::EmptyRequest => "empty_request",
            ErrorCode::TooManyItems => "too_many_items",
            ErrorCode::UnknownProduct => "unknown_product",
            ErrorCode::UnknownOption => "unknown_option",
            ErrorCode::InvalidOptionValue => "invalid_option_value",
            ErrorCode::InvalidQuantity => "invalid_quantity",
            ErrorCode::ResolutionNotAllowed => "resolution_not_allowed",
            ErrorCode::TooManyOutputs => "too_many_outputs",
            ErrorCode::DurationOutOfRange => "duration_out_of_range",
            ErrorCode::QuantityOutOfRange => "quantity_out_of_range",
            ErrorCode::AmountOverflow => "amount_overflow",
            ErrorCode::InvalidCatalog => "invalid_catalog",
            ErrorCode::FingerprintMismatch => "fingerprint_mismatch",
            ErrorCode::Io => "io",
            ErrorCode::InsufficientCredits => "insufficient_credits",
            ErrorCode::GrantConflict => "grant_conflict",
            ErrorCode::HoldConflict => "hold_conflict",
            ErrorCode::RefillConflict => "refill_conflict",
            ErrorCode::UnknownHold => "unknown_hold",
            ErrorCode::ExceedsHold => "exceeds_hold",
            ErrorCode::AlreadySettled => "already_settled",
            ErrorCode::AlreadyReleased => "already_released",
            ErrorCode::HoldExpired => "hold_expired",
            ErrorCode::UnknownAllowance => "unknown_allowance",
            ErrorCode::InvalidAmount => "invalid_amount",
            ErrorCode::InvalidTime => "invalid_time",
            ErrorCode::TimeBeforeLastEntry => "time_before_last_entry",
            ErrorCode::InvalidId => "invalid_id",
            ErrorCode::InvalidPolicy => "invalid_policy",
            ErrorCode::InvalidLedger => "invalid_ledger",
            ErrorCode::UnknownPlan => "unknown_plan",
            ErrorCode::InvalidUsage => "invalid_usage",
            ErrorCode::UnknownPack => "unknown_pack",
            ErrorCode::PackNotInPlan => "pack_not_in_plan",
            ErrorCode::LedgerTorn => "ledger_torn",
            ErrorCode::LedgerTooLarge => "ledger_too_large",
        }
    }
}

/// Written as its wire name, from [`ErrorCode::as_str`]: one copy of the
/// names in the browser build instead of a second, derived one.
impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error from building or pricing a request: a stable `code`, a message
/// for people, and the path of the offending field (`items[1].seconds`,
/// `options.quality`) when one field is to blame.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteError {
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// Human-readable explanation. Not stable: match on `code`.
    pub message: String,
    /// Path of the offending field in the request, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub path: Option<String>,
    /// For a name that was not found (`unknown_product`, `unknown_option`,
    /// `invalid_option_value`): the nearest valid names, closest first, at
    /// most 3 (how they are found: the `genprice::error::suggest` module).
    /// Absent when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub suggestions: Vec<String>,
}

impl QuoteError {
    /// An error with a code and message and no path.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        QuoteError {
            code,
            message: message.into(),
            path: None,
            suggestions: Vec::new(),
        }
    }

    /// An error blaming the field at `path`.
    pub fn at(code: ErrorCode, path: impl Into<String>, message: impl Into<String>) -> Self {
        QuoteError {
            code,
            message: message.into(),
            path: Some(path.into()),
            suggestions: Vec::new(),
        }
    }

    /// Adds the `nearest` names ([`suggest`]) as `suggestions`, and to
    /// the message: `…; did you mean "image/flux-pro" or "image/flux-schnell"?`.
    pub(crate) fn suggesting(mut self, nearest: suggest::Nearest<'_>) -> Self {
        self.suggestions = nearest.names();
        for (i, name) in self.suggestions.iter().enumerate() {
            self.message
                .push_str(if i == 0 { "; did you mean " } else { " or " });
            self.message.push_str(&echo(name));
        }
        if !self.suggestions.is_empty() {
            self.message.push('?');
        }
        self
    }
}

impl fmt::Display for QuoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(p) => write!(f, "{}: {} (at {})", self.code, self.message, p),
            None => write!(f, "{}: {}", self.code, self.message),
        }
    }
}

impl std::error::Error for QuoteError {}

/// Longest piece of user-supplied text echoed back in a message or path.
const ECHO_MAX: usize = 64;

/// Shortens user-supplied text before echoing it in a message, so a 10 MB
/// product id does not come back as a 10 MB error.
pub(crate) fn echo(text: &str) -> String {
    let mut out = quoted(head(text));
    if text.len() > ECHO_MAX {
        out.push_str(&format!("… ({} bytes)", text.len()));
    }
    out
}

/// `text` in double quotes with `"`, `\\` and control characters escaped.
/// (Not `{:?}`: its Unicode tables would add kilobytes to the browser build.)
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `a, b, c`: the names of a listing in a message. (One loop, not
/// `[T]::join`, whose copies per element type cost the browser build a
/// kilobyte each.)
pub(crate) fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for name in names {
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(name);
    }
    out
}

/// A user-supplied key as it appears in an error path: whole when short,
/// else its first 64 bytes and `…`.
pub(crate) fn path_key(text: &str) -> String {
    if text.len() <= ECHO_MAX {
        text.to_string()
    } else {
        format!("{}…", head(text))
    }
}

fn head(text: &str) -> &str {
    let mut end = ECHO_MAX.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default()
}

/// The keys of a map, comma-separated, for messages that list the choices.
pub(crate) fn list_keys<K: AsRef<str>, V>(map: &std::collections::BTreeMap<K, V>) -> String {
    let mut out = String::new();
    for (i, key) in map.keys().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(key.as_ref());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_as_their_wire_names() {
        for code in [
            ErrorCode::UnknownProduct,
            ErrorCode::AmountOverflow,
            ErrorCode::DurationOutOfRange,
            ErrorCode::InvalidJson,
            ErrorCode::InsufficientCredits,
            ErrorCode::TimeBeforeLastEntry,
            ErrorCode::InvalidLedger,
        ] {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn echo_truncates_long_text_on_a_char_boundary() {
        let long = "é".repeat(100);
        let shown = echo(&long);
        assert!(shown.len() < 100, "{shown}");
        assert!(shown.ends_with("(200 bytes)"));
        assert_eq!(echo("veo"), "\"veo\"");
        assert_eq!(echo("a\"b\\c\n\u{7}"), r#""a\"b\\c\n\u{7}""#);
        assert_eq!(path_key("fps"), "fps");
        assert_eq!(path_key(&"k".repeat(1000)), format!("{}…", "k".repeat(64)));
    }

    #[test]
    fn error_display_includes_code_and_path() {
        let e = QuoteError::at(ErrorCode::UnknownField, "items[0].foo", "unknown field");
        assert_eq!(
            e.to_string(),
            "unknown_field: unknown field (at items[0].foo)"
        );
    }
}
