//! Pricing: [`quote`] turns a [`Request`] into a [`Quote`] with one explained
//! line per item.
//!
//! For each item the exact amount is
//!
//! ```text
//! price × quantity × outputs × Π multipliers ÷ per
//! ```
//!
//! where `quantity` is the metered field (seconds, characters, tokens,
//! megapixels; 1 for per-image and per-call products) and the multipliers
//! are the resolution's and each option's (defaults included). The exact
//! value is a rational with a power-of-ten denominator, kept in 128-bit
//! integers; it is rounded **once**, by the catalog's rule, and then raised to
//! the product's minimum charge if below it. The total is the checked sum of
//! the lines. Every amount is at most 2^53 − 1; anything larger is
//! `amount_overflow`, and so is an exact amount that cannot be written as
//! `n / 10^e` with `n < 2^128` and `e ≤ 38` once every common factor of ten
//! is cancelled (whatever the order of the options, and however large the
//! intermediate products would have been).

use crate::catalog::{Catalog, CatalogRef, Meter, Product, Studio};
use crate::error::suggest::Nearest;
use crate::error::{ErrorCode, QuoteError, echo, list_keys, path_key};
use crate::money::{MAX_AMOUNT, MULTIPLIER_PLACES, Multiplier, Rounding, format_scaled};
use crate::request::{Item, Request};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, LazyLock};

/// The outcome of pricing one request, as the CLI prints it and
/// `engine.quoteMany` returns it: the answer itself, or `{"error": {...}}`.
/// The answer is a [`Quote`], or whatever wraps one with more to say (the
/// plan module's quote with a plan's answers); it is written unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
// tsify drops a type parameter's default, which `QuoteResult[]` needs: the
// TypeScript is stated here, the same union the derive writes, with `Q = Quote`.
#[cfg_attr(
    feature = "wasm",
    tsify(type = "Q | { error: QuoteError }", type_params = "Q = Quote")
)]
#[serde(untagged)]
pub enum QuoteResult<Q = Quote> {
    /// The request priced.
    Priced(Box<Q>),
    /// The request could not be priced.
    Failed {
        /// Why.
        error: QuoteError,
    },
}

impl<Q> From<Result<Q, QuoteError>> for QuoteResult<Q> {
    fn from(result: Result<Q, QuoteError>) -> QuoteResult<Q> {
        match result {
            Ok(answer) => QuoteResult::Priced(Box::new(answer)),
            Err(error) => QuoteResult::Failed { error },
        }
    }
}

/// A priced request. It knows nothing of plans: the plan module wraps it
/// with a plan's verdict and a balance's answer.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    /// Sum of the lines' amounts, in smallest units.
    pub total: u64,
    /// The catalog's unit name (`credits`), its plural.
    pub unit: String,
    /// Decimal places of the unit.
    pub decimals: u8,
    /// The total for people: `"600 credits"`, `"12.50 credits"`, and
    /// `"1 credit"` when the catalog names the singular.
    pub display: String,
    /// The catalog this was priced with.
    #[cfg_attr(feature = "wasm", tsify(type = "CatalogRef"))]
    pub catalog: Arc<CatalogRef>,
    /// One line per request item, in request order.
    pub lines: Vec<Line>,
}

/// How one item was priced.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Line {
    /// Product id.
    #[cfg_attr(feature = "wasm", tsify(type = "string"))]
    pub product: Arc<str>,
    /// The product's studio.
    pub studio: Studio,
    /// The product's tier.
    #[cfg_attr(feature = "wasm", tsify(type = "string"))]
    pub tier: Arc<str>,
    /// What the price is per.
    pub meter: Meter,
    /// The metered quantity (seconds, characters …); 1 for per-image and
    /// per-call products.
    pub quantity: u64,
    /// Number of outputs.
    pub outputs: u64,
    /// `quantity × outputs`: the count the price applies to.
    pub units: u64,
    /// Price in smallest units for `per` units.
    pub price: u64,
    /// How many units `price` buys.
    pub per: u64,
    /// The multipliers applied: resolution first, then options by name.
    pub factors: Vec<Factor>,
    /// The exact amount before rounding, in smallest units, as a decimal
    /// string (`"599.5"`).
    pub exact: String,
    /// The rounding rule applied to `exact`.
    pub rounding: Rounding,
    /// `exact` rounded by `rounding`.
    pub rounded: u64,
    /// The product's minimum charge.
    pub minimum: u64,
    /// Whether the minimum raised the amount.
    pub minimum_applied: bool,
    /// What this line costs: `max(rounded, minimum)`.
    pub amount: u64,
}

/// One multiplier applied to a line.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Factor {
    /// `resolution`, or the option's name.
    #[cfg_attr(feature = "wasm", tsify(type = "string"))]
    pub name: Arc<str>,
    /// The chosen value (`1080p`, `high`).
    #[cfg_attr(feature = "wasm", tsify(type = "string"))]
    pub value: Arc<str>,
    /// Its multiplier.
    #[cfg_attr(feature = "wasm", tsify(type = "Multiplier"))]
    pub multiplier: Multiplier,
    /// Whether the value came from the product's default.
    pub defaulted: bool,
}

/// Prices `request` with `catalog`. Pure and deterministic: the same inputs
/// always give the same quote. Errors carry the path of the offending field.
///
/// ```
/// use genprice::{Catalog, Request, quote};
/// let catalog = Catalog::from_toml(include_str!("../pricing.toml"), "pricing.toml").unwrap();
/// let request = Request::from_json_str(r#"{"product":"video/veo-3","seconds":8,"resolution":"1080p"}"#).unwrap();
/// let q = quote(&catalog, &request).unwrap();
/// assert_eq!(q.lines.len(), 1);
/// assert_eq!(q.total, q.lines[0].amount);
/// ```
pub fn quote(catalog: &Catalog, request: &Request) -> Result<Quote, QuoteError> {
    let spec = catalog.spec();
    let mut lines = Vec::with_capacity(request.items.len());
    let mut total: u64 = 0;
    for (index, item) in request.items.iter().enumerate() {
        let line = price_item(catalog, item, request, index)?;
        total = add_to_total(total, line.amount)?;
        lines.push(line);
    }
    Ok(Quote {
        total,
        unit: spec.unit.clone(),
        decimals: spec.decimals,
        display: spec.show_amount(total),
        catalog: catalog.reference(),
        lines,
    })
}

/// Prices `request` like [`quote`] and returns only its total: exactly
/// `quote(catalog, request)?.total`, with the same errors, without writing
/// the lines' explanations (the fast path of a live preview).
pub fn total(catalog: &Catalog, request: &Request) -> Result<u64, QuoteError> {
    let mut total: u64 = 0;
    for (index, item) in request.items.iter().enumerate() {
        let path = |field: &str| format!("{}{field}", request.prefix(index));
        let (_, _, _, amount) = item_amount(catalog, item, &path)?;
        total = add_to_total(total, amount.amount)?;
    }
    Ok(total)
}

/// `total + amount`, or `amount_overflow` past 2^53 − 1.
fn add_to_total(total: u64, amount: u64) -> Result<u64, QuoteError> {
    total
        .checked_add(amount)
        .filter(|t| *t <= MAX_AMOUNT)
        .ok_or_else(|| QuoteError::new(ErrorCode::AmountOverflow, "the total exceeds 2^53 - 1"))
}

/// Prices item `index` of `request` as one line; error paths carry the
/// item's prefix (`items[3].`) when the request is a scene. The checks run
/// in one order (product, quantity, outputs, resolution and options, then
/// the arithmetic), which [`total`] and [`Pricer`] repeat.
fn price_item(
    catalog: &Catalog,
    item: &Item,
    request: &Request,
    index: usize,
) -> Result<Line, QuoteError> {
    let path = |field: &str| format!("{}{field}", request.prefix(index));
    let (product, quantity, factors, amount) = item_amount(catalog, item, &path)?;
    let rounding = catalog.spec().rounding;
    Ok(Line {
        product: Arc::clone(&product.id),
        studio: product.studio,
        tier: Arc::clone(&product.tier),
        meter: product.meter,
        quantity,
        outputs: amount.outputs,
        units: amount.units,
        price: product.price,
        per: product.per,
        factors,
        exact: format_scaled(amount.numerator, amount.exponent, 0),
        rounding,
        rounded: amount.rounded,
        minimum: product.minimum,
        minimum_applied: amount.rounded < product.minimum,
        amount: amount.amount,
    })
}

/// What [`quote`] and [`total`] both need of one item: its product,
/// metered quantity, factors and amount, after every check in order.
fn item_amount<'c>(
    catalog: &'c Catalog,
    item: &Item,
    path: &dyn Fn(&str) -> String,
) -> Result<(&'c Product, u64, Vec<Factor>, Amount), QuoteError> {
    let product = find_product(catalog, item, path)?;
    let quantity = metered_quantity(product, item, path)?;
    let outputs = item.outputs.unwrap_or(product.outputs.default);
    let factors = factors(catalog, product, item, path);
    let amount = amount(
        catalog.spec().rounding,
        product,
        quantity,
        outputs,
        factors.as_deref(),
        path,
    )?;
    Ok((product, quantity, factors?, amount))
}

/// The item's product, or `unknown_product` with the nearest names.
fn find_product<'c>(
    catalog: &'c Catalog,
    item: &Item,
    path: &dyn Fn(&str) -> String,
) -> Result<&'c Product, QuoteError> {
    catalog.product(&item.product).ok_or_else(|| {
        let mut near = Nearest::new(&item.product);
        for product in catalog.products() {
            near.offer(&product.id);
        }
        QuoteError::at(
            ErrorCode::UnknownProduct,
            path("product"),
            format!(
                "no product {} in catalog {}",
                echo(&item.product),
                echo(catalog.id())
            ),
        )
        .suggesting(near)
    })
}

/// `invalid_quantity` for no outputs, `too_many_outputs` above the product's maximum.
fn check_outputs(
    product: &Product,
    outputs: u64,
    path: &dyn Fn(&str) -> String,
) -> Result<(), QuoteError> {
    if outputs == 0 {
        return Err(QuoteError::at(
            ErrorCode::InvalidQuantity,
            path("outputs"),
            "outputs must be at least 1",
        ));
    }
    if outputs > product.outputs.max {
        return Err(QuoteError::at(
            ErrorCode::TooManyOutputs,
            path("outputs"),
            format!(
                "{} allows at most {} outputs, asked for {outputs}",
                product.id, product.outputs.max
            ),
        ));
    }
    Ok(())
}

/// The numbers of one line: its units, exact amount, rounded amount and
/// what it costs after the minimum.
struct Amount {
    outputs: u64,
    units: u64,
    numerator: u128,
    exponent: u32,
    rounded: u64,
    amount: u64,
}

/// `quantity × outputs` priced with `factors`, rounded once by `rounding`,
/// then raised to the product's minimum; `amount_overflow` past 2^53 − 1.
/// Checks `outputs` first, then whether the factors could be found.
fn amount(
    rounding: Rounding,
    product: &Product,
    quantity: u64,
    outputs: u64,
    factors: Result<&[Factor], &QuoteError>,
    path: &dyn Fn(&str) -> String,
) -> Result<Amount, QuoteError> {
    check_outputs(product, outputs, path)?;
    let factors = factors.map_err(Clone::clone)?;
    let units = quantity
        .checked_mul(outputs)
        .filter(|u| *u <= MAX_AMOUNT)
        .ok_or_else(|| {
            QuoteError::at(
                ErrorCode::AmountOverflow,
                path("outputs"),
                "quantity × outputs exceeds 2^53 - 1",
            )
        })?;
    let (numerator, exponent) =
        exact_amount(product, units, factors).ok_or_else(|| overflow(path, product))?;
    let denominator = POW10
        .get(exponent as usize)
        .copied()
        .ok_or_else(|| overflow(path, product))?;
    let rounded = rounding
        .apply(numerator, denominator)
        .and_then(|r| u64::try_from(r).ok())
        .filter(|r| *r <= MAX_AMOUNT)
        .ok_or_else(|| overflow(path, product))?;
    Ok(Amount {
        outputs,
        units,
        numerator,
        exponent,
        rounded,
        amount: rounded.max(product.minimum),
    })
}

fn overflow(path: &dyn Fn(&str) -> String, product: &Product) -> QuoteError {
    QuoteError::at(
        ErrorCode::AmountOverflow,
        path("product"),
        format!(
            "the amount for {} exceeds 2^53 - 1 smallest units",
            product.id
        ),
    )
}

/// The metered quantity, after rejecting quantity fields that do not apply
/// and checking the product's limits.
fn metered_quantity(
    product: &Product,
    item: &Item,
    path: &dyn Fn(&str) -> String,
) -> Result<u64, QuoteError> {
    stray_quantities(product, item, path)?;
    let given = product
        .meter
        .quantity_field()
        .and_then(|name| item.quantity_field(name));
    check_quantity(product, given, path)
}

/// `unsupported_field` for the first quantity field that does not apply
/// to the product's meter.
fn stray_quantities(
    product: &Product,
    item: &Item,
    path: &dyn Fn(&str) -> String,
) -> Result<(), QuoteError> {
    let field = product.meter.quantity_field();
    for name in ["seconds", "characters", "tokens", "megapixels"] {
        if item.quantity_field(name).is_some() && field != Some(name) {
            return Err(QuoteError::at(
                ErrorCode::UnsupportedField,
                path(name),
                format!(
                    "{name} does not apply to {}, which is priced per {}",
                    product.id,
                    product.meter.as_str()
                ),
            ));
        }
    }
    Ok(())
}

/// The metered quantity: `given` (the request's value of the meter's
/// field) or the product's default, within its limits and steps; 1 for a
/// product without a metered quantity.
fn check_quantity(
    product: &Product,
    given: Option<u64>,
    path: &dyn Fn(&str) -> String,
) -> Result<u64, QuoteError> {
    let (Some(name), Some(limits)) = (product.meter.quantity_field(), &product.quantity) else {
        return Ok(1);
    };
    let value = given.or(limits.default).ok_or_else(|| {
        QuoteError::at(
            ErrorCode::MissingField,
            path(name),
            format!("{} needs {name}", product.id),
        )
    })?;
    let off_step =
        limits.step > 1 && value >= limits.min && (value - limits.min) % limits.step != 0;
    if value < limits.min || value > limits.max || off_step {
        let code = if product.meter == Meter::Second {
            ErrorCode::DurationOutOfRange
        } else {
            ErrorCode::QuantityOutOfRange
        };
        let mut message = format!(
            "{} takes {name} from {} to {}",
            product.id, limits.min, limits.max
        );
        if limits.step > 1 {
            message.push_str(&format!(" in steps of {}", limits.step));
        }
        message.push_str(&format!(", asked for {value}"));
        return Err(QuoteError::at(code, path(name), message));
    }
    Ok(value)
}

/// The name of the resolution factor, shared by every line.
static RESOLUTION: LazyLock<Arc<str>> = LazyLock::new(|| Arc::from("resolution"));

/// The resolution factor (if the product has resolutions) followed by one
/// factor per product option, in option-name order.
fn factors(
    catalog: &Catalog,
    product: &Product,
    item: &Item,
    path: &dyn Fn(&str) -> String,
) -> Result<Vec<Factor>, QuoteError> {
    let mut out = Vec::with_capacity(1 + product.options.len());
    match (&product.default_resolution, &item.resolution) {
        (None, Some(_)) => {
            return Err(QuoteError::at(
                ErrorCode::UnsupportedField,
                path("resolution"),
                format!("{} has no resolution setting", product.id),
            ));
        }
        (None, None) => {}
        (Some(default), chosen) => {
            let value = chosen.as_deref().unwrap_or(default);
            let (value, multiplier) =
                product.resolutions.get_key_value(value).ok_or_else(|| {
                    QuoteError::at(
                        ErrorCode::ResolutionNotAllowed,
                        path("resolution"),
                        format!(
                            "{} offers resolutions {}, not {}",
                            product.id,
                            catalog.spec().list_resolutions(product),
                            echo(value)
                        ),
                    )
                })?;
            out.push(Factor {
                name: Arc::clone(&RESOLUTION),
                value: Arc::clone(value),
                multiplier: *multiplier,
                defaulted: chosen.is_none(),
            });
        }
    }
    for (name, _) in &item.options {
        if !product.options.contains_key(name.as_str()) {
            let mut near = Nearest::new(name);
            for known in product.options.keys() {
                near.offer(known);
            }
            return Err(QuoteError::at(
                ErrorCode::UnknownOption,
                path(&format!("options.{}", path_key(name))),
                format!(
                    "{} has no option {} (options: {})",
                    product.id,
                    echo(name),
                    list_keys(&product.options)
                ),
            )
            .suggesting(near));
        }
    }
    for (name, option) in &product.options {
        let chosen = item
            .options
            .binary_search_by(|(n, _)| n.as_str().cmp(&**name))
            .ok()
            .and_then(|i| item.options.get(i))
            .map(|(_, v)| v.as_str());
        let value = chosen.unwrap_or(&option.default);
        let (value, multiplier) = option.values.get_key_value(value).ok_or_else(|| {
            let mut near = Nearest::new(value);
            for known in option.values.keys() {
                near.offer(known);
            }
            QuoteError::at(
                ErrorCode::InvalidOptionValue,
                path(&format!("options.{name}")),
                format!(
                    "option {name} of {} takes {}, not {}",
                    product.id,
                    list_keys(&option.values),
                    echo(value)
                ),
            )
            .suggesting(near)
        })?;
        out.push(Factor {
            name: Arc::clone(name),
            value: Arc::clone(value),
            multiplier: *multiplier,
            defaulted: chosen.is_none(),
        });
    }
    Ok(out)
}

/// `10^0 ..= 10^38`, every power of ten a `u128` holds.
// Evaluated at compile time: an index out of range would fail the build, not panic.
#[allow(clippy::indexing_slicing)]
const POW10: [u128; 39] = {
    let mut table = [1u128; 39];
    let mut i = 1;
    while i < 39 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// The exact amount `price × units × Π multipliers ÷ per` in lowest terms,
/// as `(numerator, exponent)` meaning `numerator / 10^exponent`, with no
/// factor of ten left to cancel (`exponent` is 0 or `numerator` is not a
/// multiple of 10).
///
/// It is `None` exactly when that lowest-terms form does not fit: the
/// numerator is 2^128 or more, or the exponent is above 38 (more than 38
/// decimal places). The outcome depends only on the value, never on the
/// order of the factors: each term is split into `rest × 2^a × 5^b`, the
/// twos and fives are counted, the common tens cancelled against the
/// denominator, and only then is the numerator multiplied out (a few
/// multiplications by 2 and 5: loops are smaller in wasm than `pow`). Any
/// zero term makes the amount 0, whatever the others are.
fn exact_amount(product: &Product, units: u64, factors: &[Factor]) -> Option<(u128, u32)> {
    let zero = |m: &Factor| m.multiplier.ten_thousandths() == 0;
    if product.price == 0 || units == 0 || factors.iter().any(zero) {
        return Some((0, 0));
    }
    let mut exponent = product.per.checked_ilog10()?;
    let mut split = Split {
        rest: 1,
        twos: 0,
        fives: 0,
    };
    split.take(product.price)?;
    split.take(units)?;
    for factor in factors {
        // Each multiplier is ten-thousandths: four more decimal places.
        exponent = exponent.checked_add(MULTIPLIER_PLACES)?;
        split.take(factor.multiplier.ten_thousandths())?;
    }
    let tens = split.twos.min(split.fives).min(exponent);
    exponent -= tens;
    if exponent > 38 {
        return None;
    }
    let mut numerator = split.rest;
    for _ in tens..split.fives {
        numerator = numerator.checked_mul(5)?;
    }
    for _ in tens..split.twos {
        numerator = numerator.checked_mul(2)?;
    }
    Some((numerator, exponent))
}

/// A product of non-zero terms as `rest × 2^twos × 5^fives`, `rest` prime
/// to 10.
struct Split {
    rest: u128,
    twos: u32,
    fives: u32,
}

impl Split {
    /// Multiplies in a non-zero `term`. `None` when `rest` overflows: it
    /// only grows, so the numerator would too.
    fn take(&mut self, mut term: u64) -> Option<()> {
        while term.is_multiple_of(2) && term != 0 {
            term /= 2;
            self.twos = self.twos.checked_add(1)?;
        }
        while term.is_multiple_of(5) && term != 0 {
            term /= 5;
            self.fives = self.fives.checked_add(1)?;
        }
        self.rest = self.rest.checked_mul(u128::from(term))?;
        Some(())
    }
}

mod pricer;
pub use pricer::Pricer;

#[cfg(test)]
mod tests;
