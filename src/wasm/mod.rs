//! The WebAssembly boundary (feature `wasm`): converts JavaScript values to
//! the core's types and back, and nothing else. No pricing happens here.
//!
//! * [`Engine`]: `new Engine(catalog)`, `engine.quote(request, options?)`
//!   (with a plan's entitlement and a balance's shortfall),
//!   `engine.quoteMany(requests)`, `engine.plans()`, `engine.catalog()`,
//!   `engine.fingerprint`; the numeric fast path `engine.total(request)`,
//!   `engine.totals(requests)` and [`Pricer`] (`engine.pricer(base)`).
//! * Data crosses as plain JSON-compatible objects with camelCase fields
//!   (never `Map`s); amounts are integers no larger than 2^53 − 1.
//! * Misuse throws a real `Error` with `.code` (and `.path`), the same codes
//!   as the native library and CLI. A panic never reaches JavaScript as a
//!   panic: the core denies `unwrap`/`panic`/indexing, and debug builds install
//!   a hook that logs any panic to the console before the trap.

mod convert;
mod engine;
mod pricer;
#[cfg(feature = "wallet-wasm")]
mod wallet;

pub use engine::Engine;
pub use pricer::Pricer;
#[cfg(feature = "wallet-wasm")]
pub use wallet::WalletHandle;

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** An exact decimal multiplier with at most 4 places, as a string: "1.5". */
export type Multiplier = string;
/** A time: whole Unix milliseconds (`Date.now()`). */
export type Millis = number;
/** What `engine.totals` gives for one request: its total, or why it has none. */
export type TotalResult = number | { error: QuoteError };
"#;

/// Types only the full engine (with plans) takes.
#[cfg(feature = "plans")]
#[wasm_bindgen(typescript_custom_section)]
const TS_PLAN_TYPES: &'static str = r#"
/** What `engine.quote(request, options)` checks besides the price. */
export interface QuoteOptions {
  /** The user's plan id: adds `entitlement` (allowed, denials, upgrade). */
  plan?: string | null;
  /** Credits available in the user's wallet: adds `credits` (shortfall, packs, plans). */
  balance?: number | null;
}
/**
 * In the full engine a `Quote` may carry the plan's answers, as a
 * `PlanQuote` (what `engine.quote(request, options)` returns) does, so
 * code typed with `Quote` reads them too.
 */
export interface Quote extends Partial<Pick<PlanQuote, "entitlement" | "credits">> {}
"#;

/// Logs panics to the console in debug builds (release builds abort with a
/// trap and stay small).
fn install_panic_hook() {
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
}
