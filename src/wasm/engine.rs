//! `Engine`: a validated catalog, ready to price requests from JavaScript.

#[cfg(feature = "plans")]
use super::convert::millis;
use super::convert::{catalog_error, error, json_value, to_js};
use super::pricer::Pricer;
use crate::catalog::Catalog;
use crate::error::ErrorCode;
#[cfg(feature = "plans")]
use crate::plan::{
    ChangeRequest, QuoteOptions, Usage, change_plan, estimate, pack_grant, plan_sheets, quote_for,
};
use crate::quote::{QuoteResult, quote, total};
use crate::request::Request;
use wasm_bindgen::prelude::*;

/// Prices generation requests with one catalog.
///
/// ```js
/// import { createEngine } from "genprice";
/// const engine = createEngine();               // or new Engine(catalogObject)
/// const q = engine.quote({ product: "video/veo-3", seconds: 8, resolution: "1080p" });
/// button.textContent = `Generate · ${q.display}`;
/// ```
#[wasm_bindgen]
pub struct Engine {
    catalog: Catalog,
}

#[wasm_bindgen]
impl Engine {
    /// Loads a catalog from its canonical JSON object (the output of
    /// `genprice catalog`). Validates it and checks its `fingerprint`; throws
    /// an `Error` with `code` `invalid_catalog` or `fingerprint_mismatch`
    /// and a `diagnostics` list.
    ///
    /// The catalog this module was built with (what `createEngine()`
    /// passes) is only read: the build validated and fingerprinted it and
    /// compiled in the hash of its canonical text, and an object whose
    /// canonical text has that hash is that catalog. Any other object, an
    /// edited bundle included (with or without its fingerprint), is checked
    /// in full.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "Catalog")] catalog: &JsValue,
    ) -> Result<Engine, JsValue> {
        super::install_panic_hook();
        let value =
            json_value(catalog).map_err(|e| error(ErrorCode::InvalidCatalog, &e.message, None))?;
        let catalog = match BUNDLED {
            Some(hash) => Catalog::from_json_value_known(value, hash),
            None => Catalog::from_json_value(value),
        }
        .map_err(|e| catalog_error(&e))?;
        Ok(Engine { catalog })
    }

    /// Prices one request (a single item or `{ items: [...] }`). Throws an
    /// `Error` with `code` and `path` when it cannot be priced. (The full
    /// engine in `genprice/wallet` also takes `{ plan, balance }`.)
    #[cfg(not(feature = "plans"))]
    #[wasm_bindgen(unchecked_return_type = "Quote")]
    pub fn quote(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RequestSpec")] request: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let request = Request::from_json_value(&json_value(request)?)?;
        to_js(&quote(&self.catalog, &request)?)
    }

    /// Prices one request (a single item or `{ items: [...] }`). Throws an
    /// `Error` with `code` and `path` when it cannot be priced.
    ///
    /// With `options.plan`, the quote carries `entitlement`: whether the plan
    /// allows it, the denials per item, and the cheapest plan that would.
    /// With `options.balance` (the wallet's available credits) it carries
    /// `credits`: enough or the shortfall, with the packs and plans that
    /// cover it. Unknown plan: `unknown_plan`.
    ///
    /// ```js
    /// const q = engine.quote(request, { plan: "free", balance: wallet.balance(Date.now()).available });
    /// if (!q.entitlement.allowed) showUpgrade(q.entitlement.upgrade);
    /// else if (!q.credits.enough) showTopUp(q.credits.packs, q.credits.plans);
    /// ```
    #[cfg(feature = "plans")]
    #[wasm_bindgen(unchecked_return_type = "PlanQuote")]
    pub fn quote(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RequestSpec")] request: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "QuoteOptions | undefined")] options: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let request = Request::from_json_value(&json_value(request)?)?;
        if options.is_undefined() {
            return to_js(&quote(&self.catalog, &request)?);
        }
        let options = QuoteOptions::from_json_value(&json_value(options)?)?;
        to_js(&quote_for(&self.catalog, &request, &options)?)
    }

    /// Every plan of the catalog as a pricing page lists it: prices in
    /// minor units, credits per cycle and per month, limits, packs and
    /// add-ons (what `genprice plans --json` prints).
    #[cfg(feature = "plans")]
    #[wasm_bindgen(unchecked_return_type = "PlanSheet[]")]
    pub fn plans(&self) -> Result<JsValue, JsValue> {
        to_js(&plan_sheets(&self.catalog))
    }

    /// Sizes a plan for a usage mix: `[{ request, per: "day" | "week" |
    /// "month", count, workdays? }]`, or `{ usage, bufferPercent?, seats? }`.
    /// Returns the credits a month (exactly: items × cost), the need with
    /// the buffer (default 25 %), every plan option with the credits it
    /// provides, uses and wastes and its money per month, and the
    /// recommendation — what `genprice estimate` prints. Throws an `Error`
    /// with `code` and `path` for a malformed mix.
    ///
    /// ```js
    /// const e = engine.estimate([{ request: { product: "image/flux-pro" }, per: "day", count: 20, workdays: 22 }]);
    /// console.log(e.recommendation.plan, e.recommendation.why);
    /// ```
    #[cfg(feature = "plans")]
    #[wasm_bindgen(unchecked_return_type = "Estimate")]
    pub fn estimate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "UsageSpec")] usage: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let usage = Usage::from_json_value(&json_value(usage)?)?;
        to_js(&estimate(&self.catalog, &usage)?)
    }

    /// The top-up grant for buying `pack` on `plan` (pass it to
    /// `wallet.execute({ op: "grant", grant })`): source `topup`, the pack's
    /// credits, effective `now`, expiring at `cycleEnd` when the pack's
    /// credits expire with the cycle. Throws `pack_not_in_plan` when the
    /// plan may not buy it, `unknown_plan`, `unknown_pack`, `invalid_time`.
    #[cfg(feature = "plans")]
    #[wasm_bindgen(js_name = packGrant, unchecked_return_type = "Grant")]
    pub fn pack_grant(
        &self,
        plan: &str,
        pack: &str,
        purchase: &str,
        now: f64,
        #[wasm_bindgen(js_name = cycleEnd)] cycle_end: Option<f64>,
    ) -> Result<JsValue, JsValue> {
        let now = millis(now, "now")?;
        let cycle_end = cycle_end.map(|t| millis(t, "cycleEnd")).transpose()?;
        to_js(&pack_grant(
            &self.catalog,
            plan,
            pack,
            purchase,
            now,
            cycle_end,
        )?)
    }

    /// Sizes a plan change `{ from, to, cycle: "monthly" | "annual",
    /// seats?, start, end, now }` (Unix ms): an upgrade takes effect now
    /// with pro-rated credits (rounded down) and price (rounded up);
    /// anything else at the next cycle. Throws `unknown_plan`,
    /// `invalid_time`, `invalid_request`, `amount_overflow`.
    #[cfg(feature = "plans")]
    #[wasm_bindgen(js_name = changePlan, unchecked_return_type = "PlanChange")]
    pub fn change_plan(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ChangeRequest")] change: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let change: ChangeRequest = serde_json::from_value(json_value(change)?).map_err(|e| {
            error(
                ErrorCode::InvalidRequest,
                &format!("plan change: {e}"),
                None,
            )
        })?;
        to_js(&change_plan(&self.catalog, &change)?)
    }

    /// Prices one request like `quote` and returns only its total (a
    /// number of smallest units), with the same errors: the fast path of a
    /// preview that shows a number.
    ///
    /// ```js
    /// button.dataset.total = engine.total({ product: "image/flux-pro", outputs: 4 });
    /// ```
    pub fn total(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RequestSpec")] request: &JsValue,
    ) -> Result<f64, JsValue> {
        let request = Request::from_json_value(&json_value(request)?)?;
        // At most 2^53 − 1: exact as a number.
        Ok(total(&self.catalog, &request)? as f64)
    }

    /// Totals of many independent requests, in order: each a number, or
    /// `{ error: { code, message, path } }` where `quoteMany` has an error.
    /// Throws only when `requests` is not an array.
    #[wasm_bindgen(unchecked_return_type = "TotalResult[]")]
    pub fn totals(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RequestSpec[]")] requests: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let mut results: Vec<QuoteResult<u64>> = Vec::new();
        for_each_request(requests, "totals", &mut |request| {
            results.push(request.and_then(|r| total(&self.catalog, &r)).into());
        })?;
        to_js(&results)
    }

    /// A pricer for one product with `base`'s resolution and options
    /// fixed: `pricer.total(quantity, outputs)` is exactly `quote({ ...base,
    /// [field]: quantity, outputs }).total` (see `Pricer`). Throws what
    /// `quote(base)` throws for a malformed `base`, `unknown_product`, and
    /// `invalid_request` for a scene (`{ items }`).
    ///
    /// ```js
    /// const pricer = engine.pricer({ product: "video/veo-3", resolution: "1080p" });
    /// const credits = pricer.total(8, 2); // 8 seconds, 2 outputs
    /// ```
    pub fn pricer(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ItemSpec")] base: &JsValue,
    ) -> Result<Pricer, JsValue> {
        let request = Request::from_json_value(&json_value(base)?)?;
        match request.items.as_slice() {
            [item] if !request.scene => {
                Ok(Pricer::new(crate::quote::Pricer::new(&self.catalog, item)?))
            }
            _ => Err(error(
                ErrorCode::InvalidRequest,
                "a pricer prices one item: pass { product, ... }, not { items }",
                None,
            )),
        }
    }

    /// Prices many independent requests. Never throws for a bad request:
    /// each result is a quote or `{ error: { code, message, path } }`, in
    /// order, exactly as `genprice quote` prints them. Throws only when
    /// `requests` is not an array.
    #[wasm_bindgen(js_name = quoteMany, unchecked_return_type = "QuoteResult[]")]
    pub fn quote_many(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RequestSpec[]")] requests: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let mut results: Vec<QuoteResult> = Vec::new();
        for_each_request(requests, "quoteMany", &mut |request| {
            results.push(request.and_then(|r| quote(&self.catalog, &r)).into());
        })?;
        to_js(&results)
    }

    /// The catalog as a plain object: id, version, fingerprint, unit,
    /// decimals, rounding, tiers, and every product with its studio, tier,
    /// meter, price, limits, resolutions and options (for building controls).
    #[wasm_bindgen(unchecked_return_type = "Catalog")]
    pub fn catalog(&self) -> Result<JsValue, JsValue> {
        let text = self
            .catalog
            .to_canonical_json()
            .map_err(|e| catalog_error(&e))?;
        js_sys::JSON::parse(&text)
    }

    /// The catalog's fingerprint, `sha256:<hex>`.
    #[wasm_bindgen(getter)]
    pub fn fingerprint(&self) -> String {
        self.catalog.fingerprint().to_string()
    }
}

/// The FNV-1a hash of the canonical JSON text of the catalog this module
/// was built with, which the build validated and fingerprinted
/// (`GENPRICE_BUNDLED_CATALOG_FNV`, decimal, set by scripts/build-pkg.sh);
/// `None` in other builds, which check every catalog in full.
const BUNDLED: Option<u64> = match option_env!("GENPRICE_BUNDLED_CATALOG_FNV") {
    Some(hash) => match u64::from_str_radix(hash, 10) {
        Ok(hash) => Some(hash),
        Err(_) => None,
    },
    None => None,
};

/// Calls `each` with every request of the array `requests`, read, in
/// order (a request that cannot be read gives its error). Throws
/// `invalid_request` when `requests` is not an array (`what` names the
/// method). A callback, not an iterator, so `quoteMany` and `totals` share
/// one copy of the loop in the wasm.
fn for_each_request(
    requests: &JsValue,
    what: &str,
    each: &mut dyn FnMut(Result<Request, crate::error::QuoteError>),
) -> Result<(), JsValue> {
    if !js_sys::Array::is_array(requests) {
        return Err(error(
            ErrorCode::InvalidRequest,
            &format!("{what} takes an array of requests"),
            None,
        ));
    }
    let array: &js_sys::Array = requests.unchecked_ref();
    for item in array.iter() {
        each(json_value(&item).and_then(|v| Request::from_json_value(&v)));
    }
    Ok(())
}
