//! The request decoder, from text and from a JSON value, then the quote.
//!
//! Oracle: no panic, no hang, no memory blow-up; reading text and reading
//! the value parsed from the same text agree (the same request, or the same
//! code); a refusal carries a request code, a quote's refusal a pricing
//! code; a quote's total is at most 2^53 − 1 and is the sum of its lines.
#![no_main]

use genprice::{Catalog, ErrorCode, MAX_AMOUNT, Request, quote, request::split_requests};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// The repository's default catalog, read once.
fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        Catalog::from_toml(include_str!("../../pricing.toml"), "pricing.toml")
            .expect("the default catalog is valid")
    })
}

/// Codes the request reader may give.
fn is_request_code(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::InvalidJson
            | ErrorCode::InvalidRequest
            | ErrorCode::UnknownField
            | ErrorCode::MissingField
            | ErrorCode::EmptyRequest
            | ErrorCode::TooManyItems
            | ErrorCode::InvalidQuantity
            | ErrorCode::InvalidOptionValue
    )
}

/// Codes pricing a well-formed request may give.
fn is_pricing_code(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::UnknownProduct
            | ErrorCode::UnknownOption
            | ErrorCode::InvalidOptionValue
            | ErrorCode::InvalidQuantity
            | ErrorCode::UnsupportedField
            | ErrorCode::MissingField
            | ErrorCode::ResolutionNotAllowed
            | ErrorCode::TooManyOutputs
            | ErrorCode::DurationOutOfRange
            | ErrorCode::QuantityOutOfRange
            | ErrorCode::AmountOverflow
    )
}

fuzz_target!(|data: &[u8]| {
    for value in split_requests(data) {
        let request = match value {
            Ok(value) => Request::from_json_value(&value),
            Err(e) => {
                assert_eq!(e.code, ErrorCode::InvalidJson, "{e:?}");
                continue;
            }
        };
        match request {
            Ok(request) => match quote(catalog(), &request) {
                Ok(q) => {
                    assert!(q.total <= MAX_AMOUNT);
                    let sum = q
                        .lines
                        .iter()
                        .try_fold(0u64, |s, l| s.checked_add(l.amount));
                    assert_eq!(sum, Some(q.total), "lines do not add up to the total");
                }
                Err(e) => assert!(is_pricing_code(e.code), "{e:?}"),
            },
            Err(e) => assert!(is_request_code(e.code), "{e:?}"),
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let from_text = Request::from_json_str(text);
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
            let from_value = Request::from_json_value(&value);
            match (&from_text, &from_value) {
                (Ok(a), Ok(b)) => assert_eq!(a, b),
                (Err(a), Err(b)) => assert_eq!(a.code, b.code),
                _ => panic!("text {from_text:?} but value {from_value:?}"),
            }
        } else if let Err(e) = &from_text {
            assert_eq!(e.code, ErrorCode::InvalidJson, "{e:?}");
        } else {
            panic!("text that is not JSON was read as a request");
        }
    }
});
