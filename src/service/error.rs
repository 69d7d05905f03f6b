//! The service's errors: every refusal has a stable `code`, and the code
//! alone decides the HTTP status, in [`Code::status`] — one table, never an
//! `if` in a handler.
//!
//! The wire form is `{"error":{"code","message","path"?,…details}}`, where
//! the details are the refusal's data (the fresh quote of a
//! `catalog_changed`, the shortfall and offers of an `insufficient_credits`,
//! the denials and upgrade of a `not_entitled`).

use crate::error::{ErrorCode, QuoteError};
use crate::store::StoreError;
use crate::wallet::WalletError;
use serde_json::{Map, Value, json};
use std::fmt;

/// A stable error code of the service: the core's codes, and those only
/// the service has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// A code of the core (pricing, plans, wallet).
    Core(ErrorCode),
    /// The client priced with another catalog: the body has the fresh
    /// quote and fingerprint.
    CatalogChanged,
    /// The client's total differs from the server's under the same
    /// catalog: the body has the server's quote.
    PriceChanged,
    /// The account's plan does not allow the request: denials and upgrade.
    NotEntitled,
    /// The same idempotency key with another request.
    IdempotencyConflict,
    /// No account with this id (or not one the caller may see).
    UnknownAccount,
    /// No charge with this id on the account.
    UnknownCharge,
    /// An account with this id already exists.
    AccountExists,
    /// No or a wrong secret key or session token.
    Unauthorized,
    /// A session token may not do this (writes need the secret key).
    Forbidden,
    /// No such route.
    NotFound,
    /// The route exists, not with this method.
    MethodNotAllowed,
    /// The body is over the limit (1 MiB).
    PayloadTooLarge,
    /// The body is not `application/json`.
    UnsupportedMediaType,
    /// The client was too slow sending its request.
    RequestTimeout,
    /// The store failed; nothing was recorded.
    Internal,
    /// The service is shutting down or its store stopped.
    Unavailable,
}

impl Code {
    /// Every code, the core's included: the error body's `code` is one of
    /// these (the OpenAPI document lists them).
    pub const ALL: [Code; 57] = {
        use ErrorCode as E;
        [
            Code::Core(E::InvalidJson),
            Code::Core(E::InvalidRequest),
            Code::Core(E::UnknownField),
            Code::Core(E::MissingField),
            Code::Core(E::UnsupportedField),
            Code::Core(E::EmptyRequest),
            Code::Core(E::TooManyItems),
            Code::Core(E::UnknownProduct),
            Code::Core(E::UnknownOption),
            Code::Core(E::InvalidOptionValue),
            Code::Core(E::InvalidQuantity),
            Code::Core(E::ResolutionNotAllowed),
            Code::Core(E::TooManyOutputs),
            Code::Core(E::DurationOutOfRange),
            Code::Core(E::QuantityOutOfRange),
            Code::Core(E::AmountOverflow),
            Code::Core(E::InvalidCatalog),
            Code::Core(E::FingerprintMismatch),
            Code::Core(E::Io),
            Code::Core(E::InsufficientCredits),
            Code::Core(E::GrantConflict),
            Code::Core(E::HoldConflict),
            Code::Core(E::RefillConflict),
            Code::Core(E::UnknownHold),
            Code::Core(E::ExceedsHold),
            Code::Core(E::AlreadySettled),
            Code::Core(E::AlreadyReleased),
            Code::Core(E::HoldExpired),
            Code::Core(E::UnknownAllowance),
            Code::Core(E::InvalidAmount),
            Code::Core(E::InvalidTime),
            Code::Core(E::TimeBeforeLastEntry),
            Code::Core(E::InvalidId),
            Code::Core(E::InvalidPolicy),
            Code::Core(E::InvalidLedger),
            Code::Core(E::LedgerTorn),
            Code::Core(E::LedgerTooLarge),
            Code::Core(E::UnknownPlan),
            Code::Core(E::InvalidUsage),
            Code::Core(E::UnknownPack),
            Code::Core(E::PackNotInPlan),
            Code::CatalogChanged,
            Code::PriceChanged,
            Code::NotEntitled,
            Code::IdempotencyConflict,
            Code::UnknownAccount,
            Code::UnknownCharge,
            Code::AccountExists,
            Code::Unauthorized,
            Code::Forbidden,
            Code::NotFound,
            Code::MethodNotAllowed,
            Code::PayloadTooLarge,
            Code::UnsupportedMediaType,
            Code::RequestTimeout,
            Code::Internal,
            Code::Unavailable,
        ]
    };

    /// The code on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Core(code) => code.as_str(),
            Code::CatalogChanged => "catalog_changed",
            Code::PriceChanged => "price_changed",
            Code::NotEntitled => "not_entitled",
            Code::IdempotencyConflict => "idempotency_conflict",
            Code::UnknownAccount => "unknown_account",
            Code::UnknownCharge => "unknown_charge",
            Code::AccountExists => "account_exists",
            Code::Unauthorized => "unauthorized",
            Code::Forbidden => "forbidden",
            Code::NotFound => "not_found",
            Code::MethodNotAllowed => "method_not_allowed",
            Code::PayloadTooLarge => "payload_too_large",
            Code::UnsupportedMediaType => "unsupported_media_type",
            Code::RequestTimeout => "request_timeout",
            Code::Internal => "internal",
            Code::Unavailable => "unavailable",
        }
    }

    /// The HTTP status of a refusal with this code: the one table.
    pub fn status(self) -> u16 {
        use ErrorCode as E;
        match self {
            Code::Core(code) => match code {
                // The request is malformed: 400.
                E::InvalidJson
                | E::InvalidRequest
                | E::UnknownField
                | E::MissingField
                | E::UnsupportedField
                | E::EmptyRequest
                | E::TooManyItems
                | E::InvalidQuantity
                | E::InvalidAmount
                | E::InvalidTime
                | E::InvalidId
                | E::InvalidUsage => 400,
                // Well-formed, but the catalog or the plan says no: 422.
                E::UnknownProduct
                | E::UnknownOption
                | E::InvalidOptionValue
                | E::ResolutionNotAllowed
                | E::TooManyOutputs
                | E::DurationOutOfRange
                | E::QuantityOutOfRange
                | E::AmountOverflow
                | E::UnknownPlan
                | E::UnknownPack
                | E::UnknownAllowance
                | E::ExceedsHold => 422,
                E::PackNotInPlan => 403,
                E::InsufficientCredits => 402,
                // The state moved on: 409.
                E::GrantConflict
                | E::HoldConflict
                | E::RefillConflict
                | E::AlreadySettled
                | E::AlreadyReleased
                | E::HoldExpired
                | E::TimeBeforeLastEntry => 409,
                E::UnknownHold => 404,
                // The server's own data is wrong: 500.
                E::InvalidCatalog
                | E::FingerprintMismatch
                | E::Io
                | E::InvalidPolicy
                | E::InvalidLedger
                | E::LedgerTorn
                | E::LedgerTooLarge => 500,
            },
            Code::CatalogChanged | Code::PriceChanged | Code::AccountExists => 409,
            Code::NotEntitled | Code::Forbidden => 403,
            Code::IdempotencyConflict => 422,
            Code::UnknownAccount | Code::UnknownCharge | Code::NotFound => 404,
            Code::Unauthorized => 401,
            Code::MethodNotAllowed => 405,
            Code::PayloadTooLarge => 413,
            Code::UnsupportedMediaType => 415,
            Code::RequestTimeout => 408,
            Code::Internal => 500,
            Code::Unavailable => 503,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refusal: code, message, the offending field's path, and data.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceError {
    /// Stable code.
    pub code: Code,
    /// For people; not stable.
    pub message: String,
    /// The offending field, when one is to blame (`request.items[1].seconds`).
    pub path: Option<String>,
    /// The refusal's data, merged into the error object.
    pub details: Map<String, Value>,
}

impl ServiceError {
    /// An error with a code and a message.
    pub fn new(code: Code, message: impl Into<String>) -> ServiceError {
        ServiceError {
            code,
            message: message.into(),
            path: None,
            details: Map::new(),
        }
    }

    /// The same error blaming `path`.
    pub fn at(mut self, path: impl Into<String>) -> ServiceError {
        self.path = Some(path.into());
        self
    }

    /// The same error with a detail field.
    pub fn with(mut self, key: &str, value: Value) -> ServiceError {
        self.details.insert(key.to_string(), value);
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// The body: `{"error":{"code","message","path"?,…details}}`.
    pub fn body(&self) -> Value {
        let mut error = Map::new();
        error.insert("code".into(), json!(self.code.as_str()));
        error.insert("message".into(), json!(self.message));
        if let Some(path) = &self.path {
            error.insert("path".into(), json!(path));
        }
        for (k, v) in &self.details {
            error.insert(k.clone(), v.clone());
        }
        json!({ "error": error })
    }

    /// A core pricing error, its path under `prefix` (`request`). An error
    /// the core blames on no field (a list for a request, a scene whose sum
    /// overflows) blames the whole `prefix`.
    pub fn from_quote(e: QuoteError, prefix: &str) -> ServiceError {
        let path = match e.path {
            Some(p) => Some(join(prefix, &p)),
            None if prefix.is_empty() => None,
            None => Some(prefix.to_string()),
        };
        ServiceError {
            code: Code::Core(e.code),
            message: e.message,
            path,
            details: Map::new(),
        }
    }
}

/// `prefix.path`, or `prefix[0]` style paths joined without a dot.
fn join(prefix: &str, path: &str) -> String {
    if prefix.is_empty() {
        path.to_string()
    } else if path.starts_with('[') {
        format!("{prefix}{path}")
    } else {
        format!("{prefix}.{path}")
    }
}

impl From<WalletError> for ServiceError {
    fn from(e: WalletError) -> ServiceError {
        let mut error = ServiceError::new(Code::Core(e.code), e.message.clone());
        error.path = e.path.clone();
        for (key, value) in [
            ("requested", e.requested),
            ("available", e.available),
            ("shortfall", e.shortfall),
        ] {
            if let Some(v) = value {
                error = error.with(key, json!(v));
            }
        }
        error
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> ServiceError {
        ServiceError::new(Code::Internal, e.message)
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ServiceError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_code_once() {
        // Every wire name the core's and the service's `as_str` know.
        let sources = [include_str!("../error.rs"), include_str!("error.rs")];
        let mut names: Vec<&str> = sources
            .iter()
            .flat_map(|text| text.lines())
            .filter(|line| {
                line.contains("=> \"") && line.trim_start().starts_with("ErrorCode::")
                    || line.trim_start().starts_with("Code::") && line.contains("=> \"")
            })
            .filter_map(|line| line.split('"').nth(1))
            .collect();
        names.sort_unstable();
        names.dedup();
        let mut listed: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        listed.sort_unstable();
        let before = listed.len();
        listed.dedup();
        assert_eq!(before, listed.len(), "a code is listed twice");
        assert_eq!(listed, names);
    }

    #[test]
    fn the_status_follows_the_code() {
        let cases = [
            (Code::Core(ErrorCode::InsufficientCredits), 402),
            (Code::Core(ErrorCode::UnknownProduct), 422),
            (Code::Core(ErrorCode::UnknownField), 400),
            (Code::Core(ErrorCode::AlreadySettled), 409),
            (Code::CatalogChanged, 409),
            (Code::PriceChanged, 409),
            (Code::NotEntitled, 403),
            (Code::IdempotencyConflict, 422),
            (Code::PayloadTooLarge, 413),
            (Code::UnsupportedMediaType, 415),
            (Code::UnknownAccount, 404),
        ];
        for (code, status) in cases {
            assert_eq!(code.status(), status, "{code}");
        }
    }

    #[test]
    fn the_body_carries_code_message_path_and_details() {
        let e = ServiceError::from_quote(
            QuoteError::at(ErrorCode::UnknownField, "items[0].sconds", "unknown field"),
            "request",
        )
        .with("hint", json!("seconds"));
        assert_eq!(
            e.body(),
            json!({"error": {"code": "unknown_field", "message": "unknown field",
                "path": "request.items[0].sconds", "hint": "seconds"}})
        );
        let whole = ServiceError::from_quote(
            QuoteError::new(ErrorCode::InvalidRequest, "a list"),
            "request",
        );
        assert_eq!(whole.path.as_deref(), Some("request"));
        let bare = ServiceError::from_quote(QuoteError::new(ErrorCode::UnknownPlan, "x"), "");
        assert_eq!(bare.path, None);
    }
}
