//! # genprice
//!
//! One exact credit cost model for AI-generation studios. The same code
//! prices a generation in the browser (compiled to WebAssembly) and on the
//! server, so the preview on a *Generate* button and the charge are the same
//! number by construction.
//!
//! ```
//! use genprice::{Catalog, Request, quote};
//!
//! let catalog = Catalog::from_toml(include_str!("../pricing.toml"), "pricing.toml")?;
//! let request = Request::from_json_str(
//!     r#"{"product":"video/veo-3","seconds":8,"resolution":"1080p","options":{"audio":"on"}}"#,
//! )?;
//! let q = quote(&catalog, &request)?;
//! println!("{} ({} lines)", q.display, q.lines.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! * [`catalog`]: products, prices, multipliers, limits; validation and the
//!   fingerprint.
//! * [`request`]: the request contract, shared by the CLI, the npm package
//!   and the tests.
//! * [`quote`](mod@quote): the pricing itself.
//! * [`money`]: integer amounts, exact multipliers, rounding.
//! * [`error`]: stable error codes.
//! * [`plan`]: plans at work — entitlements, the upgrade offer, the
//!   insufficient-credits answer.
//! * [`wallet`]: the credit wallet — grants, burn order, holds, expiry,
//!   refills — as a ledger of entries folded into state.
//!
//! Nothing here does I/O or reads a clock, except the TOML file helpers
//! behind the default `native` feature.

pub mod catalog;
pub mod error;
pub mod money;
#[cfg(feature = "plans")]
pub mod plan;
pub mod quote;
pub mod request;
pub mod wallet;

/// The README's Rust example is compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use catalog::{Catalog, CatalogError, CatalogRef, CatalogSpec, Meter, Product, Studio};
pub use error::{ErrorCode, QuoteError};
pub use money::{MAX_AMOUNT, Multiplier, Rounding};
pub use quote::{Factor, Line, Quote, QuoteResult, quote};
pub use request::{Item, ItemSpec, MAX_ITEMS, Request, RequestSpec};
pub use wallet::{Wallet, WalletError, WalletPolicy};

#[cfg(feature = "wasm")]
pub mod wasm;

#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "server")]
pub mod service;
#[cfg(feature = "server")]
pub mod store;

/// A stable insertion sort, for the short lists the engine sorts (products
/// of a catalog, options of a request): a few hundred bytes of wasm where
/// `slice::sort_by` costs kilobytes per element type.
pub(crate) fn sort_small_by<T>(items: &mut [T], mut less: impl FnMut(&T, &T) -> bool) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 {
            match (items.get(j - 1), items.get(j)) {
                (Some(a), Some(b)) if less(b, a) => items.swap(j - 1, j),
                _ => break,
            }
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sort_small_by_is_a_stable_sort() {
        let mut items = [(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e'), (0, 'f')];
        super::sort_small_by(&mut items, |a, b| a.0 < b.0);
        assert_eq!(
            items,
            [(0, 'f'), (1, 'b'), (1, 'e'), (2, 'd'), (3, 'a'), (3, 'c')]
        );
        let mut empty: [u8; 0] = [];
        super::sort_small_by(&mut empty, |a, b| a < b);
    }
}
