//! `Pricer`: one product with its resolution and options fixed, priced for
//! the numbers a slider moves (see [`crate::quote::Pricer`]).

use super::convert::json_number;
use crate::error::QuoteError;
use crate::money::MAX_AMOUNT;
use crate::request::read_quantity;
use wasm_bindgen::prelude::*;

/// Prices one product, with its resolution and options fixed, for any
/// quantity and output count: what `engine.quote({ ...base, [field]:
/// quantity, outputs }).total` answers, errors included (`field` is the
/// product's metered field: `seconds`, `characters`, `tokens` or
/// `megapixels`). Made by `engine.pricer(base)`.
///
/// A pricer keeps its own copy of the product: it goes on pricing with the
/// catalog it was made with, whatever engine is used later. Compare its
/// `fingerprint` with the catalog the server prices with (a server refuses
/// a stale `expect.fingerprint` with a fresh quote).
///
/// ```js
/// const pricer = engine.pricer({ product: "video/veo-3", resolution: "1080p", options: { audio: "on" } });
/// slider.oninput = () => (cost.textContent = pricer.total(+slider.value, 1));
/// ```
#[wasm_bindgen]
pub struct Pricer {
    core: crate::quote::Pricer,
}

impl Pricer {
    pub(crate) fn new(core: crate::quote::Pricer) -> Pricer {
        Pricer { core }
    }
}

/// A number the caller passed for request field `name`, read as the request
/// reader reads that field (so a bad number gets `quote`'s error).
fn whole(value: f64, name: &str) -> Result<u64, QuoteError> {
    if value.fract() == 0.0 && (0.0..=MAX_AMOUNT as f64).contains(&value) {
        // Whole and within 0..=2^53 − 1: the cast is exact.
        return Ok(value as u64);
    }
    read_quantity(&json_number(value, name)?, name)
}

#[wasm_bindgen]
impl Pricer {
    /// The total for `quantity` of the product's meter (seconds,
    /// characters …; `null` or `undefined` for the product's default) and
    /// `outputs` (default 1), exactly `quote(...).total`. A per-image or
    /// per-call product has a quantity of 1: pass 1, `null` or nothing.
    /// Throws the `Error` `quote` would throw (`code`, `path`, message).
    pub fn total(&self, quantity: Option<f64>, outputs: Option<f64>) -> Result<f64, JsValue> {
        let field = self.core.product().meter.quantity_field();
        let outputs = outputs.unwrap_or(1.0);
        let (quantity, outputs) = match field {
            // In the request, the quantity comes before `outputs`, which the
            // reader reads first.
            Some(name) => {
                if let Some(q) = quantity {
                    json_number(q, name)?;
                }
                let outputs = whole(outputs, "outputs")?;
                (quantity.map(|q| whole(q, name)).transpose()?, outputs)
            }
            // Anything but 1 is refused by the core (`unsupported_field`).
            None => (
                quantity.map(|q| u64::from(q == 1.0)),
                whole(outputs, "outputs")?,
            ),
        };
        Ok(self.core.total(quantity, Some(outputs))? as f64)
    }

    /// The fingerprint of the catalog this pricer was made with, `sha256:<hex>`.
    #[wasm_bindgen(getter)]
    pub fn fingerprint(&self) -> String {
        self.core.catalog().fingerprint.clone()
    }
}
