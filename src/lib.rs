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
//! * [`wallet`]: the credit wallet — grants, burn order, holds, expiry,
//!   refills — as a ledger of entries folded into state.
//!
//! Nothing here does I/O or reads a clock, except the TOML file helpers
//! behind the default `native` feature.

pub mod catalog;
pub mod error;
pub mod money;
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
