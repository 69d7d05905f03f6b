//! Estimation: the credits a usage mix needs each month, and the cheapest
//! plan (with packs or add-ons) that covers them and allows every item,
//! counting the credits each option would let expire unused.
//!
//! ```
//! use genprice::Catalog;
//! use genprice::plan::estimate::{Usage, estimate};
//! use serde_json::json;
//!
//! let catalog = Catalog::from_toml(include_str!("../../../pricing.toml"), "pricing.toml")?;
//! let usage = Usage::from_json_value(&json!({
//!     "usage": [
//!         {"request": {"product": "image/flux-schnell"}, "per": "day", "count": 3, "workdays": 22},
//!         {"request": {"product": "video/wan-fast", "seconds": 5}, "per": "week", "count": 2}
//!     ],
//!     "bufferPercent": 25
//! }))?;
//! let e = estimate(&catalog, &usage)?;
//! assert_eq!(e.credits_per_month, 312);      // 66 × 2 + 9 × 20
//! assert_eq!(e.credits_needed, 390);         // 312 + 25 %
//! assert_eq!(e.recommendation.unwrap().plan, "free"); // 13 a day of 100 free daily credits
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Input
//!
//! A bare list of lines, or an object with the lines and settings:
//!
//! ```json
//! [{ "request": {"product": "image/flux-schnell"}, "per": "day", "count": 3, "workdays": 22 }]
//! { "usage": [ … ], "bufferPercent": 25, "seats": 1 }
//! ```
//!
//! [`Usage::from_json_value`] reads it as strictly as
//! [`Request::from_json_value`](crate::Request::from_json_value) reads a request: unknown fields are
//! `unknown_field`, an absent `usage`, `request`, `per` or `count` is
//! `missing_field`, every other bad shape or value is `invalid_usage`, more
//! than [`MAX_ITEMS`](crate::MAX_ITEMS) lines or request items in all is `too_many_items`, and
//! a request's own errors keep their code with the path prefixed
//! (`usage[2].request.seconds`). Paths start with `usage[i]` also for the
//! bare list. `null` counts as absent. `count` is an integer from 0 to
//! 2^53 − 1, `workdays` from 1 to 31 and only with `per` = `"day"`,
//! `bufferPercent` from 0 to 1000 (default 25), `seats` from 1 to 2^53 − 1
//! (default 1). An integer may be written with a zero fraction (`3.0`).
//!
//! # Rules
//!
//! * **Items per month** of a line: per `day` → count × (workdays or 30);
//!   per `week` → ⌈count × 52 / 12⌉; per `month` → count.
//! * **Credits per item** = the request's quote total ([`crate::quote()`]);
//!   credits per month of a line = items per month × credits per item;
//!   **credits per month** = the sum over the lines, exactly.
//! * **Credits needed** = ⌈credits per month × (100 + buffer) / 100⌉.
//!   Any of these above 2^53 − 1 is `amount_overflow`.
//! * **Options**: every plan that is listed and not custom, in catalog
//!   order, × each of its billing options in catalog order (a plan without
//!   billing is one free option at price 0, cycle `monthly`). Seats =
//!   max(the plan's minimum, the usage's `seats`) for a per-seat plan, else
//!   1; a plan whose maximum is below that is skipped.
//! * **Allowed** = the plan denies nothing on any line
//!   ([`denials`] of each line's quote; lines with count 0
//!   are checked too). Each denial names its line (`usage`) and has its
//!   path prefixed `usage[i].request.`.
//! * **Coverage of one month**, from the allowances the plan grants under
//!   the billing option ([`allowances`](super::offer::allowances), [`seat_amount`](super::offer::seat_amount)); sign-up (`once`)
//!   allowances are not counted.
//!   * Daily allowances, in grant order, each D a day: the active days A are
//!     the largest `workdays` when every line is per day with `workdays`,
//!     else 30 (and never more than 30, [`DAYS_PER_MONTH`](super::offer::DAYS_PER_MONTH)); the need per
//!     active day is ⌈need / A⌉. Each daily allowance provides D × A (the
//!     other days' credits cannot meet this need: they are neither provided
//!     nor wasted), is used min(D, need per day still open) × A, capped at
//!     the need still open, and wastes D × A − used.
//!   * Then the monthly and annual allowances (an annual one counts
//!     amount / 12 a month, rounded down), those without rollover first
//!     (they expire), then in grant order: each provides that amount, is
//!     used min(need still open, amount), and the rest is wasted without
//!     rollover, else carried (it stays for the next month).
//! * **Extras**: what is still open is covered by one kind of extra the
//!   plan may buy every month: an add-on (units = ⌈open / credits per
//!   unit⌉, cost a month = units × price) or a pack bought every month
//!   (quantity = ⌈open / credits⌉, cost a month = quantity × the plan's pack
//!   price). It provides quantity × credits, is used for all that is open,
//!   and the rest is carried (packs that never expire, add-ons whose
//!   allowance rolls over) or wasted (`cycle_end` packs, other add-ons).
//!   The cheapest a month wins; ties: less waste, then add-ons before
//!   packs, each in the plan's order. A plan that can buy neither while
//!   need is open does not cover.
//! * **Figures that add up**, per option, each checkable by hand from its
//!   `grants` and `extras` rows:
//!   * each row: `creditsPerMonth = usable + carried + wasted`;
//!   * `creditsProvided`, `usableCredits`, `carriedCredits` and
//!     `wastedCredits` are the sums of those columns over the rows, so
//!     `creditsProvided = usableCredits + carriedCredits + wastedCredits`;
//!   * `usableCredits + uncoveredCredits = creditsNeeded`, and
//!     `uncoveredCredits = 0` exactly when the option `covers`.
//! * **Money**: price per year = billing price × seats (per-seat plans) ×
//!   (12 / months of the cycle) + extras a month × 12; price per month =
//!   ⌈price per year / 12⌉. An extra that would bring the price per year
//!   above 2^53 − 1 minor units is not offered; an option whose price or
//!   credits per month are already above 2^53 − 1 is skipped.
//! * **Recommendation**: among the options that are allowed and cover the
//!   need, the lowest price per year; ties: fewer wasted credits, then
//!   option order. When none: the first listed custom plan that allows
//!   every line (contact sales); else no recommendation, with a reason.

//!
//! # Stages
//!
//! One file per stage, each with its tests:
//!
//! * `usage.rs`: reading the usage mix (and its types);
//! * `sizing.rs`: every plan × billing option sized for the need;
//! * `recommend.rs`: the pick among the options, and why;
//! * this file: pricing the lines and putting the stages together.

mod recommend;
mod sizing;
mod usage;

#[cfg(test)]
#[cfg(feature = "native")]
mod fixtures;

pub use recommend::Recommendation;
pub use sizing::{EstimateOption, Extra, ExtraKind, GrantUse, UsageDenial};
pub use usage::{
    DEFAULT_BUFFER_PERCENT, LINE_FIELDS, MAX_BUFFER_PERCENT, MAX_WORKDAYS, Per, USAGE_FIELDS,
    Usage, UsageLine, UsageLineSpec, UsageMixSpec, UsageSpec,
};

use super::entitle::denials;
use crate::catalog::{Catalog, CatalogRef, Plan};
use crate::error::{ErrorCode, QuoteError};
use crate::money::MAX_AMOUNT;
use crate::quote::{Quote, quote};
use serde::Serialize;
use std::sync::Arc;
use usage::within;

/// A usage mix sized: the credits it needs, every option, and the pick.
///
/// The arithmetic, checkable by hand (the [module docs](self) give every
/// rule):
///
/// * `creditsPerMonth` = Σ over `lines` of `itemsPerMonth ×
///   creditsPerItem`; `creditsNeeded` = ⌈creditsPerMonth × (100 +
///   bufferPercent) / 100⌉.
/// * For each option, every grant and extra row has `creditsPerMonth =
///   usable + carried + wasted`, where a daily grant counts its daily
///   amount × `activeDays` (only the days the usage is spent on), a monthly
///   one its amount, an annual one amount ÷ 12 (rounded down), an extra
///   quantity × credits. The option's `creditsProvided`, `usableCredits`,
///   `carriedCredits` and `wastedCredits` are the column sums, so
///   `creditsProvided = usableCredits + carriedCredits + wastedCredits`,
///   and `usableCredits + uncoveredCredits = creditsNeeded`.
///
/// Example (the default catalog, 60 images a day at 2 credits, 30 days:
/// 3600 a month, need 4500): Team at 2 seats gets 2 × 1500 seat credits,
/// all used, and one 2500-credit pack that never expires for the 1500
/// left: provided 3000 + 2500 = 5500 = 4500 used + 1000 carried + 0
/// wasted.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Estimate {
    /// One per usage line, in order.
    pub lines: Vec<EstimateLine>,
    /// Sum of the lines' credits per month, smallest units.
    pub credits_per_month: u64,
    /// The buffer applied, percent.
    pub buffer_percent: u64,
    /// ⌈creditsPerMonth × (100 + bufferPercent) / 100⌉.
    pub credits_needed: u64,
    /// Seats asked for (per-seat plans price at least their minimum).
    pub seats: u64,
    /// Days a month daily allowances can be spent on (see the module docs):
    /// a daily grant provides its amount × this many days.
    pub active_days: u64,
    /// The catalog's unit name (`credits`).
    pub unit: String,
    /// Decimal places of the unit.
    pub decimals: u8,
    /// Currency of the prices.
    pub currency: String,
    /// The catalog this was priced with.
    #[cfg_attr(feature = "wasm", tsify(type = "CatalogRef"))]
    pub catalog: Arc<CatalogRef>,
    /// Every listed, priced plan × billing option, in catalog order.
    pub options: Vec<EstimateOption>,
    /// The pick, or `null` (then `reason` says why).
    pub recommendation: Option<Recommendation>,
    /// Why there is no recommendation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One usage line, priced.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EstimateLine {
    /// Index of the line in the usage.
    pub usage: usize,
    /// The request's product id; a scene's ids joined by `" + "`.
    pub product: String,
    /// How often `count` happens.
    pub per: Per,
    /// Times per `per`.
    pub count: u64,
    /// Days a month, for a per-day line that names them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workdays: Option<u64>,
    /// Times a month.
    pub items_per_month: u64,
    /// The request's quote total.
    pub credits_per_item: u64,
    /// `itemsPerMonth × creditsPerItem`.
    pub credits_per_month: u64,
}

/// `value` when it is at most 2^53 − 1.
pub(super) fn fit(value: u128) -> Option<u64> {
    u64::try_from(value).ok().filter(|v| *v <= MAX_AMOUNT)
}

/// Sizes `usage` against every plan of `catalog`. See the module docs for
/// the rules. Errors: a line's quote error (path `usage[i].request.…`),
/// `amount_overflow` when credits pass 2^53 − 1, and [`Usage::validate`]'s.
pub fn estimate(catalog: &Catalog, usage: &Usage) -> Result<Estimate, QuoteError> {
    usage.validate()?;
    let spec = catalog.spec();
    let mut lines = Vec::with_capacity(usage.lines.len());
    let mut quotes: Vec<Quote> = Vec::with_capacity(usage.lines.len());
    let mut total: u128 = 0;
    for (i, line) in usage.lines.iter().enumerate() {
        let priced =
            quote(catalog, &line.request).map_err(|e| within(e, &format!("usage[{i}].request")))?;
        let items = line.items_per_month();
        let credits = items.saturating_mul(u128::from(priced.total));
        let (Some(items_per_month), Some(credits_per_month)) = (fit(items), fit(credits)) else {
            return Err(QuoteError::at(
                ErrorCode::AmountOverflow,
                format!("usage[{i}].count"),
                format!("usage line {i} needs more than {MAX_AMOUNT} credits a month"),
            ));
        };
        total = total.saturating_add(credits);
        lines.push(EstimateLine {
            usage: i,
            product: products(&priced),
            per: line.per,
            count: line.count,
            workdays: line.workdays,
            items_per_month,
            credits_per_item: priced.total,
            credits_per_month,
        });
        quotes.push(priced);
    }
    let overflow = || {
        QuoteError::new(
            ErrorCode::AmountOverflow,
            format!("the usage needs more than {MAX_AMOUNT} credits a month"),
        )
    };
    let credits_per_month = fit(total).ok_or_else(overflow)?;
    let need = fit(total
        .saturating_mul(u128::from(100 + usage.buffer_percent))
        .div_ceil(100))
    .ok_or_else(overflow)?;
    let active_days = usage.active_days();
    let currency = spec.currency.clone();

    let plan_denials = |plan: &Plan| -> Vec<UsageDenial> {
        let mut out = Vec::new();
        for (i, (line, priced)) in usage.lines.iter().zip(&quotes).enumerate() {
            for mut denial in denials(catalog, plan, priced, &line.request) {
                denial.path = format!("usage[{i}].request.{}", denial.path);
                out.push(UsageDenial { usage: i, denial });
            }
        }
        out
    };

    let options = sizing::options(
        catalog,
        usage.seats,
        need,
        active_days,
        &currency,
        &plan_denials,
    );
    let unit = Unit(spec);
    let (recommendation, reason) = recommend::recommendation(
        catalog,
        usage,
        &options,
        need,
        credits_per_month,
        &unit,
        &plan_denials,
    );

    Ok(Estimate {
        lines,
        credits_per_month,
        buffer_percent: usage.buffer_percent,
        credits_needed: need,
        seats: usage.seats,
        active_days,
        unit: spec.unit.clone(),
        decimals: spec.decimals,
        currency,
        catalog: catalog.reference(),
        options,
        recommendation,
        reason,
    })
}

/// A request's products: the id, or a scene's ids joined by `" + "`.
fn products(priced: &Quote) -> String {
    let mut out = String::new();
    for (i, line) in priced.lines.iter().enumerate() {
        if i > 0 {
            out.push_str(" + ");
        }
        out.push_str(&line.product);
    }
    out
}

/// Credits for people: `390 credits`, `1 credit`, as quotes show them.
pub(super) struct Unit<'a>(pub(super) &'a crate::catalog::CatalogSpec);

impl Unit<'_> {
    pub(super) fn show(&self, amount: u64) -> String {
        self.0.show_amount(amount)
    }
}

#[cfg(test)]
#[cfg(feature = "native")]
mod tests {
    use super::fixtures::*;
    use super::*;
    use crate::catalog::Cycle;
    use serde_json::json;

    #[test]
    fn a_light_mix_fits_the_free_daily_credits() {
        // flux-schnell 1k: 2 credits; 3 a day on 22 workdays = 66 items → 132.
        // wan-fast 5 s at 720p: 4 × 5 × 1 = 20 credits; 2 a week =
        // ⌈2 × 52 / 12⌉ = ⌈8.67⌉ = 9 items → 180. 132 + 180 = 312 a month;
        // with 25 %: ⌈312 × 125 / 100⌉ = 390.
        let e = run(
            &studio(),
            json!([
                {"request": {"product": "image/flux-schnell"}, "per": "day", "count": 3, "workdays": 22},
                {"request": {"product": "video/wan-fast", "seconds": 5, "resolution": "720p"}, "per": "week", "count": 2}
            ]),
        );
        assert_eq!(
            (e.lines[0].items_per_month, e.lines[0].credits_per_item),
            (66, 2)
        );
        assert_eq!(
            (e.lines[1].items_per_month, e.lines[1].credits_per_item),
            (9, 20)
        );
        assert_eq!((e.credits_per_month, e.credits_needed), (312, 390));
        // A weekly line: the daily credits are spendable all 30 days, and the
        // need per day is ⌈390 / 30⌉ = 13 of Free's 100: 390 used, 3000 − 390
        // = 2610 expire. Free costs nothing, allows standard image and 5 s
        // 720p video, and wins.
        assert_eq!(e.active_days, 30);
        let free = option(&e, "free", Cycle::Monthly);
        assert!(free.allowed && free.covers);
        assert_eq!(
            (
                free.credits_provided,
                free.usable_credits,
                free.wasted_credits
            ),
            (3000, 390, 2610)
        );
        // Pro monthly also lets its 2000 monthly credits expire: 4610 wasted.
        assert_eq!(option(&e, "pro", Cycle::Monthly).wasted_credits, 4610);
        // Studio's monthly credits roll over (capped): only the daily waste;
        // its 6000 monthly credits, unused, carry over. 3000 + 6000 = 9000
        // provided = 390 used + 6000 carried + 2610 wasted.
        let studio_plan = option(&e, "studio", Cycle::Monthly);
        assert_eq!(
            (
                studio_plan.credits_provided,
                studio_plan.usable_credits,
                studio_plan.carried_credits,
                studio_plan.wasted_credits
            ),
            (9000, 390, 6000, 2610)
        );
        let team = option(&e, "team", Cycle::Monthly);
        assert_eq!((team.seats, team.price_per_year), (2, 96_000)); // 4000 × 2 × 12
        let r = e.recommendation.unwrap();
        assert_eq!((r.plan.as_str(), r.option), ("free", Some(0)));
        assert_eq!((r.price_per_month, r.wasted_credits), (Some(0), Some(2610)));
        assert!(r.why.contains("390 credits needed"), "{}", r.why);
    }

    #[test]
    fn arithmetic_is_exact_and_overflow_is_an_error() {
        let catalog = studio();
        // ⌈1 × 52 / 12⌉ = 5; 2 credits × 5 = 10; buffer 1000 %: 110.
        let e = run(
            &catalog,
            json!({"usage": [{"request": {"product": "image/flux-schnell"}, "per": "week", "count": 1}], "bufferPercent": 1000}),
        );
        assert_eq!((e.credits_per_month, e.credits_needed), (10, 110));
        let e = run(&catalog, json!([]));
        assert_eq!(
            (e.credits_needed, e.recommendation.unwrap().plan.as_str()),
            (0, "free")
        );
        assert_eq!(
            error(
                json!([{"request": {"product": "image/flux-schnell"}, "per": "day", "count": 9_007_199_254_740_991u64}])
            ),
            (ErrorCode::AmountOverflow, Some("usage[0].count".into()))
        );
    }
}
