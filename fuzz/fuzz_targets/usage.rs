//! The estimator's usage reader.
//!
//! Oracle: no panic, no hang, no memory blow-up; a refusal is one of the
//! reader's codes; an accepted mix passes its own validation, and the
//! estimator over the default catalog answers it or refuses it with a
//! pricing code.
#![no_main]

use genprice::plan::estimate::{Usage, estimate};
use genprice::{Catalog, ErrorCode};
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

fuzz_target!(|data: &[u8]| {
    match Usage::from_json_slice(data) {
        Ok(usage) => {
            usage.validate().expect("a mix that was read is valid");
            if let Err(e) = estimate(catalog(), &usage) {
                assert!(
                    matches!(
                        e.code,
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
                            | ErrorCode::InvalidUsage
                    ),
                    "{e:?}"
                );
            }
        }
        Err(e) => assert!(
            matches!(
                e.code,
                ErrorCode::InvalidJson
                    | ErrorCode::InvalidUsage
                    | ErrorCode::InvalidRequest
                    | ErrorCode::UnknownField
                    | ErrorCode::MissingField
                    | ErrorCode::EmptyRequest
                    | ErrorCode::TooManyItems
                    | ErrorCode::InvalidQuantity
                    | ErrorCode::InvalidOptionValue
                    | ErrorCode::UnknownProduct
                    | ErrorCode::UnsupportedField
            ),
            "{e:?}"
        ),
    }
});
