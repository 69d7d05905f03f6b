//! Estimation: the credits a usage mix needs each month, and the cheapest
//! plan (with packs or add-ons) that covers them and allows every item,
//! counting the credits each option would let expire unused.
//!
//! ```
//! use genprice::Catalog;
//! use genprice::plan::estimate::{Usage, estimate};
//! use serde_json::json;
//!
//! let catalog = Catalog::from_toml(include_str!("../../pricing.toml"), "pricing.toml")?;
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
//! [`Request::from_json_value`] reads a request: unknown fields are
//! `unknown_field`, an absent `usage`, `request`, `per` or `count` is
//! `missing_field`, every other bad shape or value is `invalid_usage`, more
//! than [`MAX_ITEMS`] lines or request items in all is `too_many_items`, and
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
//!   the billing option ([`allowances`], [`seat_amount`]); sign-up (`once`)
//!   allowances are not counted.
//!   * Daily allowances, in grant order, each D a day: the active days A are
//!     the largest `workdays` when every line is per day with `workdays`,
//!     else 30 (and never more than 30, [`DAYS_PER_MONTH`]); the need per
//!     active day is ⌈need / A⌉. Each daily allowance is used
//!     min(D, need per day still open) × A, capped at the need still open;
//!     its waste is D × 30 − used.
//!   * Then the monthly and annual allowances (an annual one counts
//!     amount / 12 a month, rounded down), those without rollover first
//!     (they expire), then in grant order: each is used min(need still open,
//!     amount); its waste is amount − used without rollover, else 0 (the
//!     rest carries over).
//! * **Extras**: what is still open is covered by one kind of extra the
//!   plan may buy every month: an add-on (units = ⌈open / credits per
//!   unit⌉, cost a month = units × price, waste = units × credits − open,
//!   or 0 when its allowance rolls over), or a pack bought every month
//!   (quantity = ⌈open / credits⌉, cost a month = quantity × the plan's pack
//!   price, waste 0 for packs that never expire since the rest carries,
//!   quantity × credits − open for `cycle_end` ones). The cheapest a month
//!   wins; ties: less waste, then add-ons before packs, each in the plan's
//!   order. A plan that can buy neither while need is open does not cover.
//! * **Money**: price per year = billing price × seats (per-seat plans) ×
//!   (12 / months of the cycle) + extras a month × 12; price per month =
//!   ⌈price per year / 12⌉. An extra that would bring the price per year
//!   above 2^53 − 1 minor units is not offered; an option whose price or
//!   credits per month are already above 2^53 − 1 is skipped.
//! * **Recommendation**: among the options that are allowed and cover the
//!   need, the lowest price per year; ties: fewer wasted credits, then
//!   option order. When none: the first listed custom plan that allows
//!   every line (contact sales); else no recommendation, with a reason.

use super::entitle::{Denial, denials};
use super::offer::{DAYS_PER_MONTH, allowances, seat_amount};
use crate::catalog::{Billing, Catalog, CatalogRef, Cycle, PackExpiry, Plan};
use crate::error::{ErrorCode, QuoteError, echo, path_key};
use crate::money::{MAX_AMOUNT, format_amount};
use crate::quote::{Quote, quote};
use crate::request::{MAX_ITEMS, Request, RequestSpec};
use crate::wallet::{Allowance, Every, Rollover};
use serde::Serialize;
use serde_json::{Map, Number, Value};
use std::sync::Arc;

/// Buffer added to the credits per month when the usage names none, in
/// percent.
pub const DEFAULT_BUFFER_PERCENT: u64 = 25;

/// Largest buffer, in percent.
pub const MAX_BUFFER_PERCENT: u64 = 1000;

/// Most workdays a month.
pub const MAX_WORKDAYS: u64 = 31;

/// Weeks a year, for lines counted per week.
const WEEKS_PER_YEAR: u128 = 52;

/// The fields of the object form.
pub const USAGE_FIELDS: [&str; 3] = ["usage", "bufferPercent", "seats"];

/// The fields of one usage line.
pub const LINE_FIELDS: [&str; 4] = ["request", "per", "count", "workdays"];

/// How often a usage line's count happens.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Per {
    /// Every day (or every workday, with `workdays`).
    Day,
    /// Every week.
    Week,
    /// Every month.
    Month,
}

impl Per {
    /// The wire name (`"day"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Per::Day => "day",
            Per::Week => "week",
            Per::Month => "month",
        }
    }

    /// Parses a wire name.
    pub fn from_name(name: &str) -> Option<Per> {
        match name {
            "day" => Some(Per::Day),
            "week" => Some(Per::Week),
            "month" => Some(Per::Month),
            _ => None,
        }
    }
}

/// One line of a usage mix: a request made `count` times `per` day, week
/// or month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageLine {
    /// What is generated each time.
    pub request: Request,
    /// How often `count` happens.
    pub per: Per,
    /// How many times per `per`, 0 to 2^53 − 1.
    pub count: u64,
    /// Days a month the line happens, 1 to 31; only with [`Per::Day`]
    /// (`None`: 30).
    pub workdays: Option<u64>,
}

impl UsageLine {
    /// Times a month the request is made (see the module docs).
    pub fn items_per_month(&self) -> u128 {
        let count = u128::from(self.count);
        match self.per {
            Per::Day => count.saturating_mul(u128::from(self.workdays.unwrap_or(DAYS_PER_MONTH))),
            Per::Week => count.saturating_mul(WEEKS_PER_YEAR).div_ceil(12),
            Per::Month => count,
        }
    }
}

/// A usage mix to size a plan for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    /// The lines, at most [`MAX_ITEMS`] (and as many request items in all).
    pub lines: Vec<UsageLine>,
    /// Safety margin on top of the credits per month, 0 to 1000 percent.
    pub buffer_percent: u64,
    /// Seats wanted on a per-seat plan (at least its minimum is priced).
    pub seats: u64,
}

/// The wire shape of a usage mix, for generated TypeScript types; the
/// parser is [`Usage::from_json_value`], and a test keeps them in step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[serde(untagged)]
pub enum UsageSpec {
    /// The object form, with settings.
    Mix(UsageMixSpec),
    /// A bare list of lines.
    Lines(Vec<UsageLineSpec>),
}

/// The object form of a usage mix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct UsageMixSpec {
    /// The lines.
    pub usage: Vec<UsageLineSpec>,
    /// Buffer in percent, 0 to 1000 (default 25).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buffer_percent: Option<u64>,
    /// Seats wanted on a per-seat plan (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seats: Option<u64>,
}

/// One line of the wire shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
pub struct UsageLineSpec {
    /// The request, as the request contract writes it.
    pub request: RequestSpec,
    /// `day`, `week` or `month`.
    pub per: Per,
    /// Times per `per`.
    pub count: u64,
    /// Days a month, 1 to 31, only with `per` = `day`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workdays: Option<u64>,
}

impl Usage {
    /// A mix of `lines` with the default buffer (25 %) and one seat.
    pub fn new(lines: Vec<UsageLine>) -> Usage {
        Usage {
            lines,
            buffer_percent: DEFAULT_BUFFER_PERCENT,
            seats: 1,
        }
    }

    /// Reads a usage mix from a JSON value. See the module docs for the
    /// shape and the errors.
    pub fn from_json_value(value: &Value) -> Result<Usage, QuoteError> {
        let usage = match value {
            Value::Array(list) => Usage::new(read_lines(list)?),
            Value::Object(map) => read_mix(map)?,
            other => {
                return Err(QuoteError::new(
                    ErrorCode::InvalidUsage,
                    format!(
                        "usage must be a list of lines or an object with `usage`, found {}",
                        kind(other)
                    ),
                ));
            }
        };
        usage.validate()?;
        Ok(usage)
    }

    /// Checks what the type cannot: the ranges of the module docs. Paths
    /// as [`Usage::from_json_value`] gives them.
    pub fn validate(&self) -> Result<(), QuoteError> {
        if self.lines.len() > MAX_ITEMS {
            return Err(QuoteError::at(
                ErrorCode::TooManyItems,
                "usage",
                format!(
                    "{} usage lines is more than the limit of {MAX_ITEMS}",
                    self.lines.len()
                ),
            ));
        }
        let mut items: usize = 0;
        for (i, line) in self.lines.iter().enumerate() {
            items = items.saturating_add(line.request.items.len());
            if items > MAX_ITEMS {
                return Err(QuoteError::at(
                    ErrorCode::TooManyItems,
                    format!("usage[{i}].request"),
                    format!("the usage has more than {MAX_ITEMS} request items in all"),
                ));
            }
            if line.count > MAX_AMOUNT {
                return Err(invalid(
                    format!("usage[{i}].count"),
                    format!("count must be from 0 to {MAX_AMOUNT}"),
                ));
            }
            if let Some(days) = line.workdays {
                if line.per != Per::Day {
                    return Err(invalid(
                        format!("usage[{i}].workdays"),
                        format!(
                            "workdays applies only to per \"day\", not per {}",
                            echo(line.per.as_str())
                        ),
                    ));
                }
                if !(1..=MAX_WORKDAYS).contains(&days) {
                    return Err(invalid(
                        format!("usage[{i}].workdays"),
                        format!("workdays must be from 1 to {MAX_WORKDAYS}, found {days}"),
                    ));
                }
            }
        }
        if self.buffer_percent > MAX_BUFFER_PERCENT {
            return Err(invalid(
                "bufferPercent".into(),
                format!(
                    "bufferPercent must be from 0 to {MAX_BUFFER_PERCENT}, found {}",
                    self.buffer_percent
                ),
            ));
        }
        if !(1..=MAX_AMOUNT).contains(&self.seats) {
            return Err(invalid(
                "seats".into(),
                format!("seats must be from 1 to {MAX_AMOUNT}, found {}", self.seats),
            ));
        }
        Ok(())
    }

    /// Days a month the daily allowances can be spent on: the largest
    /// `workdays` when every line is per day with `workdays`, else 30;
    /// never more than 30.
    pub fn active_days(&self) -> u64 {
        let mut largest: Option<u64> = None;
        for line in &self.lines {
            match (line.per, line.workdays) {
                (Per::Day, Some(days)) => largest = Some(largest.unwrap_or(0).max(days)),
                _ => return DAYS_PER_MONTH,
            }
        }
        largest.map_or(DAYS_PER_MONTH, |d| d.clamp(1, DAYS_PER_MONTH))
    }
}

fn invalid(path: String, message: String) -> QuoteError {
    QuoteError::at(ErrorCode::InvalidUsage, path, message)
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The smallest unknown key of `map`, as an `unknown_field` error.
fn reject_unknown(
    map: &Map<String, Value>,
    known: &[&str],
    prefix: &str,
) -> Result<(), QuoteError> {
    let unknown = map
        .keys()
        .map(String::as_str)
        .filter(|k| !known.contains(k))
        .min();
    match unknown {
        Some(key) => Err(QuoteError::at(
            ErrorCode::UnknownField,
            format!("{prefix}{}", path_key(key)),
            format!(
                "unknown field {} (expected one of: {})",
                echo(key),
                known.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

fn read_mix(map: &Map<String, Value>) -> Result<Usage, QuoteError> {
    reject_unknown(map, &USAGE_FIELDS, "")?;
    let field = |name: &str| map.get(name).filter(|v| !v.is_null());
    let lines = match field("usage") {
        Some(Value::Array(list)) => read_lines(list)?,
        Some(other) => {
            return Err(invalid(
                "usage".into(),
                format!("usage must be a list of lines, found {}", kind(other)),
            ));
        }
        None => {
            return Err(QuoteError::at(
                ErrorCode::MissingField,
                "usage",
                "usage is required",
            ));
        }
    };
    let buffer_percent = match field("bufferPercent") {
        Some(v) => read_integer(v, "bufferPercent", 0, MAX_BUFFER_PERCENT)?,
        None => DEFAULT_BUFFER_PERCENT,
    };
    let seats = match field("seats") {
        Some(v) => read_integer(v, "seats", 1, MAX_AMOUNT)?,
        None => 1,
    };
    Ok(Usage {
        lines,
        buffer_percent,
        seats,
    })
}

fn read_lines(list: &[Value]) -> Result<Vec<UsageLine>, QuoteError> {
    if list.len() > MAX_ITEMS {
        return Err(QuoteError::at(
            ErrorCode::TooManyItems,
            "usage",
            format!(
                "{} usage lines is more than the limit of {MAX_ITEMS}",
                list.len()
            ),
        ));
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, entry) in list.iter().enumerate() {
        let Value::Object(map) = entry else {
            return Err(invalid(
                format!("usage[{i}]"),
                format!(
                    "each usage line must be an object with request, per and count, found {}",
                    kind(entry)
                ),
            ));
        };
        out.push(read_line(map, i)?);
    }
    Ok(out)
}

fn read_line(map: &Map<String, Value>, i: usize) -> Result<UsageLine, QuoteError> {
    let prefix = format!("usage[{i}].");
    reject_unknown(map, &LINE_FIELDS, &prefix)?;
    let field = |name: &str| map.get(name).filter(|v| !v.is_null());
    let required = |name: &str| {
        field(name).ok_or_else(|| {
            QuoteError::at(
                ErrorCode::MissingField,
                format!("{prefix}{name}"),
                format!("{name} is required"),
            )
        })
    };
    let request = Request::from_json_value(required("request")?)
        .map_err(|e| within(e, &format!("{prefix}request")))?;
    let per = match required("per")? {
        Value::String(name) => Per::from_name(name).ok_or_else(|| {
            invalid(
                format!("{prefix}per"),
                format!(
                    "per must be \"day\", \"week\" or \"month\", found {}",
                    echo(name)
                ),
            )
        })?,
        other => {
            return Err(invalid(
                format!("{prefix}per"),
                format!(
                    "per must be \"day\", \"week\" or \"month\", found {}",
                    kind(other)
                ),
            ));
        }
    };
    let count = read_integer(required("count")?, &format!("{prefix}count"), 0, MAX_AMOUNT)?;
    let workdays = field("workdays")
        .map(|v| read_integer(v, &format!("{prefix}workdays"), 1, MAX_WORKDAYS))
        .transpose()?;
    if workdays.is_some() && per != Per::Day {
        return Err(invalid(
            format!("{prefix}workdays"),
            format!(
                "workdays applies only to per \"day\", not per {}",
                echo(per.as_str())
            ),
        ));
    }
    Ok(UsageLine {
        request,
        per,
        count,
        workdays,
    })
}

/// `error` from a nested value, its path prefixed with `prefix`.
fn within(mut error: QuoteError, prefix: &str) -> QuoteError {
    error.path = Some(match error.path.take() {
        Some(path) if !path.is_empty() => format!("{prefix}.{path}"),
        _ => prefix.to_string(),
    });
    error
}

/// An integer from `min` to `max` (at most 2^53 − 1), written as an integer
/// or as a number with a zero fraction. Messages echo integers, never
/// floats.
fn read_integer(value: &Value, path: &str, min: u64, max: u64) -> Result<u64, QuoteError> {
    let name = path.rsplit('.').next().unwrap_or(path);
    let range = || format!("{name} must be an integer from {min} to {max}");
    let Value::Number(n) = value else {
        return Err(invalid(
            path.into(),
            format!("{}, found {}", range(), kind(value)),
        ));
    };
    match whole(n) {
        Whole::Unsigned(v) if (min..=max).contains(&v) => Ok(v),
        Whole::Unsigned(v) => Err(invalid(path.into(), format!("{}, found {v}", range()))),
        Whole::Negative(v) => Err(invalid(path.into(), format!("{}, found {v}", range()))),
        Whole::Other => Err(invalid(path.into(), range())),
    }
}

enum Whole {
    Unsigned(u64),
    Negative(i64),
    /// A fraction, or out of the integers every front end holds exactly.
    Other,
}

fn whole(n: &Number) -> Whole {
    if let Some(u) = n.as_u64() {
        return if u <= MAX_AMOUNT {
            Whole::Unsigned(u)
        } else {
            Whole::Other
        };
    }
    if let Some(i) = n.as_i64() {
        return if i.unsigned_abs() <= MAX_AMOUNT {
            Whole::Negative(i)
        } else {
            Whole::Other
        };
    }
    match n.as_f64() {
        // A whole, non-negative number no larger than 2^53 − 1: the cast is
        // exact (`-0.0` is 0).
        Some(f) if f.fract() == 0.0 && f >= 0.0 && f <= MAX_AMOUNT as f64 => {
            Whole::Unsigned(f as u64)
        }
        _ => Whole::Other,
    }
}

/// A usage mix sized: the credits it needs, every option, and the pick.
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
    /// Days a month daily allowances can be spent on (see the module docs).
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

/// A plan's denial of one usage line.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageDenial {
    /// Index of the usage line.
    pub usage: usize,
    /// The denial; its `item` is the request's item, its `path` starts with
    /// `usage[i].request.`.
    #[serde(flatten)]
    pub denial: Denial,
}

/// One plan at one billing option, sized for the need.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EstimateOption {
    /// Plan id.
    pub plan: String,
    /// Display name.
    pub name: String,
    /// Billing cycle (`monthly` for a plan without billing).
    pub cycle: Cycle,
    /// Seats priced.
    pub seats: u64,
    /// Whether the plan allows every usage line.
    pub allowed: bool,
    /// What it denies, by usage line.
    pub denials: Vec<UsageDenial>,
    /// Whether grants and extras cover the credits needed.
    pub covers: bool,
    /// Credits per month the plan's grants provide (daily × 30, monthly,
    /// annual ÷ 12).
    pub credits_provided: u64,
    /// Of those, the credits the need uses.
    pub usable_credits: u64,
    /// Credits per month that expire unused: the grants' and the extras'.
    pub wasted_credits: u64,
    /// Credits needed that neither grants nor extras cover (0 when
    /// `covers`).
    pub uncovered_credits: u64,
    /// How each grant is used.
    pub grants: Vec<GrantUse>,
    /// What is bought on top every month (at most one kind).
    pub extras: Vec<Extra>,
    /// ⌈pricePerYear / 12⌉, minor units.
    pub price_per_month: u64,
    /// Billing and extras for a year, minor units.
    pub price_per_year: u64,
    /// Currency of the prices.
    pub currency: String,
}

/// How one allowance of a plan is used in a month.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantUse {
    /// The allowance id.
    pub allowance: String,
    /// How often it is granted.
    pub every: Every,
    /// Credits it grants a month (daily × 30, annual ÷ 12), seats applied.
    pub credits_per_month: u64,
    /// Credits of it the need uses.
    pub usable: u64,
    /// Credits of it that expire unused (0 when it rolls over).
    pub wasted: u64,
}

/// What an extra is.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtraKind {
    /// Add-on units, renewed every month.
    Addon,
    /// Top-up packs, bought every month.
    Pack,
}

/// Packs or add-on units bought every month on top of a plan.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Extra {
    /// Pack or add-on.
    pub kind: ExtraKind,
    /// Its id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Packs or units a month.
    pub quantity: u64,
    /// Credits one brings.
    pub credits: u64,
    /// Price of one for this plan, minor units.
    pub price: u64,
    /// `quantity × price`, minor units a month.
    pub cost_per_month: u64,
    /// Credits a month of it that expire unused.
    pub wasted: u64,
}

/// The recommended plan, and why.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Recommendation {
    /// Plan id.
    pub plan: String,
    /// Display name.
    pub name: String,
    /// A custom plan: priced by contract, contact sales. Prices, cycle and
    /// credits are then `null`.
    pub custom: bool,
    /// Index in `options` (`null` for a custom plan).
    pub option: Option<usize>,
    /// Billing cycle.
    pub cycle: Option<Cycle>,
    /// Seats priced.
    pub seats: u64,
    /// Minor units a month.
    pub price_per_month: Option<u64>,
    /// Minor units a year.
    pub price_per_year: Option<u64>,
    /// Currency of the prices.
    pub currency: String,
    /// Credits needed a month, buffer included.
    pub credits_needed: u64,
    /// Credits per month the plan's grants provide.
    pub credits_provided: Option<u64>,
    /// Credits per month that expire unused.
    pub wasted_credits: Option<u64>,
    /// Packs or add-ons bought every month.
    pub extras: Vec<Extra>,
    /// For people. Not stable.
    pub why: String,
}

/// `value` when it is at most 2^53 − 1.
fn fit(value: u128) -> Option<u64> {
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

    let mut options = Vec::new();
    for plan in spec.plans.iter().filter(|p| p.listed && !p.custom) {
        let seats = match &plan.seats {
            Some(range) => {
                let seats = plan.default_seats().max(usage.seats);
                if seats > range.max {
                    continue;
                }
                seats
            }
            None => 1,
        };
        let found = plan_denials(plan);
        let billings: Vec<Option<&Billing>> = if plan.billing.is_empty() {
            vec![None]
        } else {
            plan.billing.iter().map(Some).collect()
        };
        for billing in billings {
            let sizing = Sizing {
                catalog,
                plan,
                billing,
                seats,
                need,
                active_days,
            };
            if let Some(option) = sizing.option(&found, &currency) {
                options.push(option);
            }
        }
    }

    let mut best: Option<(usize, &EstimateOption)> = None;
    let mut fitting = 0usize;
    for (i, option) in options.iter().enumerate() {
        if !(option.allowed && option.covers) {
            continue;
        }
        fitting += 1;
        let better = best.is_none_or(|(_, b)| {
            (option.price_per_year, option.wasted_credits) < (b.price_per_year, b.wasted_credits)
        });
        if better {
            best = Some((i, option));
        }
    }
    let unit = Unit {
        name: &spec.unit,
        decimals: spec.decimals,
    };
    let mut reason = None;
    let recommendation = match best {
        Some((index, option)) => Some(recommend(
            index,
            option,
            fitting,
            need,
            credits_per_month,
            usage.buffer_percent,
            &unit,
        )),
        None => {
            let custom = spec
                .plans
                .iter()
                .filter(|p| p.listed && p.custom)
                .find(|p| plan_denials(p).is_empty());
            match custom {
                Some(plan) => Some(Recommendation {
                    plan: plan.id.clone(),
                    name: plan.name.clone(),
                    custom: true,
                    option: None,
                    cycle: None,
                    seats: match &plan.seats {
                        Some(_) => plan.default_seats().max(usage.seats),
                        None => 1,
                    },
                    price_per_month: None,
                    price_per_year: None,
                    currency: currency.clone(),
                    credits_needed: need,
                    credits_provided: None,
                    wasted_credits: None,
                    extras: Vec::new(),
                    why: format!(
                        "No listed plan both allows every line and covers the {} needed a month; {} allows every line: its price and credits are by contract, contact sales.",
                        unit.show(need),
                        plan.name
                    ),
                }),
                None => {
                    reason = Some(if options.iter().any(|o| o.allowed) {
                        format!(
                            "no plan that allows every line can cover the {} needed a month",
                            unit.show(need)
                        )
                    } else {
                        "no plan allows every line of the usage (see each option's denials)".into()
                    });
                    None
                }
            }
        }
    };

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

/// Credits for people: `390 credits`.
struct Unit<'a> {
    name: &'a str,
    decimals: u8,
}

impl Unit<'_> {
    fn show(&self, amount: u64) -> String {
        format!("{} {}", format_amount(amount, self.decimals), self.name)
    }
}

/// Minor units as people read them, with the currency's own decimals.
fn money(minor: u64, currency: &str) -> String {
    crate::catalog::format_money(minor, currency)
}

fn recommend(
    index: usize,
    option: &EstimateOption,
    fitting: usize,
    need: u64,
    credits_per_month: u64,
    buffer: u64,
    unit: &Unit<'_>,
) -> Recommendation {
    let billed = match (option.price_per_year, option.cycle) {
        (0, _) => "costs nothing".to_string(),
        (_, Cycle::Monthly) => format!(
            "billed monthly at {} a month",
            money(option.price_per_month, &option.currency)
        ),
        (_, Cycle::Annual) => format!(
            "billed annually at {} a year ({} a month)",
            money(option.price_per_year, &option.currency),
            money(option.price_per_month, &option.currency)
        ),
    };
    let seats = if option.seats > 1 {
        format!(" for {} seats", option.seats)
    } else {
        String::new()
    };
    let among = if fitting == 1 {
        "the only option".to_string()
    } else {
        format!("the cheapest of the {fitting} options")
    };
    let used = if option.usable_credits == option.credits_provided {
        "all used".to_string()
    } else {
        format!("{} of them used", unit.show(option.usable_credits))
    };
    let mut why = format!(
        "{} ({}){seats} {billed}: {among} that allow every line and cover the {} needed a month ({} plus {buffer} %). Its grants provide {} a month, {used}",
        option.name,
        option.plan,
        unit.show(need),
        unit.show(credits_per_month),
        unit.show(option.credits_provided),
    );
    for extra in &option.extras {
        let what = match (extra.kind, extra.quantity) {
            (ExtraKind::Addon, 1) => "unit of add-on",
            (ExtraKind::Addon, _) => "units of add-on",
            (ExtraKind::Pack, 1) => "pack",
            (ExtraKind::Pack, _) => "packs",
        };
        why.push_str(&format!(
            "; {} {what} {} cover the remaining {} for {} a month",
            extra.quantity,
            echo(&extra.name),
            unit.show(need.saturating_sub(option.usable_credits)),
            money(extra.cost_per_month, &option.currency)
        ));
    }
    if option.wasted_credits == 0 {
        why.push_str("; nothing would expire unused.");
    } else {
        why.push_str(&format!(
            "; {} a month would expire unused.",
            unit.show(option.wasted_credits)
        ));
    }
    Recommendation {
        plan: option.plan.clone(),
        name: option.name.clone(),
        custom: false,
        option: Some(index),
        cycle: Some(option.cycle),
        seats: option.seats,
        price_per_month: Some(option.price_per_month),
        price_per_year: Some(option.price_per_year),
        currency: option.currency.clone(),
        credits_needed: need,
        credits_provided: Some(option.credits_provided),
        wasted_credits: Some(option.wasted_credits),
        extras: option.extras.clone(),
        why,
    }
}

/// One plan at one billing option, to size.
struct Sizing<'a> {
    catalog: &'a Catalog,
    plan: &'a Plan,
    billing: Option<&'a Billing>,
    seats: u64,
    need: u64,
    active_days: u64,
}

/// An extra priced, before the cheapest is picked.
struct Candidate {
    extra: Extra,
    cost: u128,
    wasted: u128,
}

impl Sizing<'_> {
    /// The option, or `None` when its amounts pass 2^53 − 1.
    fn option(&self, found: &[UsageDenial], currency: &str) -> Option<EstimateOption> {
        let plan = self.plan;
        let cycle = self.billing.map_or(Cycle::Monthly, |b| b.cycle);
        let base_year = self.billing.map_or(0u128, |b| {
            u128::from(b.price)
                .saturating_mul(u128::from(self.seats))
                .saturating_mul(u128::from(12 / b.cycle.months()))
        });
        fit(base_year)?;
        let (grants, open) = self.grants()?;
        let provided: u128 = grants.iter().map(|g| u128::from(g.credits_per_month)).sum();
        let credits_provided = fit(provided)?;
        let grants_wasted: u128 = grants.iter().map(|g| u128::from(g.wasted)).sum();
        let usable = u128::from(self.need).saturating_sub(open);
        let chosen = if open > 0 {
            self.cheapest_extra(open, base_year, grants_wasted)
        } else {
            None
        };
        let covers = open == 0 || chosen.is_some();
        let (extra_cost, extra_wasted) = chosen.as_ref().map_or((0, 0), |c| (c.cost, c.wasted));
        let price_per_year = base_year.saturating_add(extra_cost.saturating_mul(12));
        Some(EstimateOption {
            plan: plan.id.clone(),
            name: plan.name.clone(),
            cycle,
            seats: self.seats,
            allowed: found.is_empty(),
            denials: found.to_vec(),
            covers,
            credits_provided,
            usable_credits: fit(usable)?,
            wasted_credits: fit(grants_wasted.saturating_add(extra_wasted))?,
            uncovered_credits: if covers { 0 } else { fit(open)? },
            grants,
            extras: chosen.map(|c| c.extra).into_iter().collect(),
            price_per_month: fit(price_per_year.div_ceil(12))?,
            price_per_year: fit(price_per_year)?,
            currency: currency.to_string(),
        })
    }

    /// How each allowance is used, and the need still open after them.
    fn grants(&self) -> Option<(Vec<GrantUse>, u128)> {
        let days = u128::from(self.active_days.clamp(1, DAYS_PER_MONTH));
        let mut open = u128::from(self.need);
        let mut day_open = open.div_ceil(days);
        let mut out = Vec::new();
        let granted: Vec<&Allowance> = allowances(self.catalog, self.plan, self.billing).collect();
        for allowance in granted.iter().filter(|a| a.period() == Every::Day) {
            let daily = u128::from(seat_amount(allowance, self.seats));
            let per_day = daily.min(day_open);
            day_open = day_open.saturating_sub(per_day);
            let month = daily.saturating_mul(u128::from(DAYS_PER_MONTH));
            let usable = per_day.saturating_mul(days).min(open);
            open = open.saturating_sub(usable);
            out.push(GrantUse {
                allowance: allowance.id.clone(),
                every: Every::Day,
                credits_per_month: fit(month)?,
                usable: fit(usable)?,
                wasted: fit(month.saturating_sub(usable))?,
            });
        }
        let mut periodic: Vec<&Allowance> = granted
            .iter()
            .copied()
            .filter(|a| matches!(a.period(), Every::Month | Every::Year))
            .collect();
        let expires = |a: &&Allowance| a.rollover == Rollover::None;
        crate::sort_small_by(&mut periodic, |a, b| expires(a) && !expires(b));
        for allowance in periodic {
            let amount = u128::from(seat_amount(allowance, self.seats));
            let month = match allowance.period() {
                Every::Year => amount / 12,
                _ => amount,
            };
            let usable = month.min(open);
            open = open.saturating_sub(usable);
            out.push(GrantUse {
                allowance: allowance.id.clone(),
                every: allowance.period(),
                credits_per_month: fit(month)?,
                usable: fit(usable)?,
                wasted: if expires(&allowance) {
                    fit(month.saturating_sub(usable))?
                } else {
                    0
                },
            });
        }
        Some((out, open))
    }

    /// The cheapest add-on or pack covering `open` credits a month (ties:
    /// less waste, then add-ons before packs in the plan's order), among
    /// those that keep every amount within 2^53 − 1.
    fn cheapest_extra(&self, open: u128, base_year: u128, wasted: u128) -> Option<Candidate> {
        let catalog = self.catalog;
        let plan = self.plan;
        let mut candidates = Vec::new();
        for addon in plan.addons.iter().filter_map(|id| catalog.addon(id)) {
            let Some(allowance) = catalog.spec().wallet.allowance(&addon.allowance) else {
                continue;
            };
            let carries = allowance.rollover != Rollover::None;
            candidates.push(price_extra(
                ExtraKind::Addon,
                &addon.id,
                &addon.name,
                allowance.amount,
                addon.price,
                carries,
                open,
            ));
        }
        for pack in plan.packs.iter().filter_map(|id| catalog.pack(id)) {
            candidates.push(price_extra(
                ExtraKind::Pack,
                &pack.id,
                &pack.name,
                pack.credits,
                plan.pack_price(pack),
                pack.expires == PackExpiry::Never,
                open,
            ));
        }
        let mut best: Option<Candidate> = None;
        for candidate in candidates.into_iter().flatten() {
            let year = base_year.saturating_add(candidate.cost.saturating_mul(12));
            if fit(year).is_none() || fit(wasted.saturating_add(candidate.wasted)).is_none() {
                continue;
            }
            let better = best
                .as_ref()
                .is_none_or(|b| (candidate.cost, candidate.wasted) < (b.cost, b.wasted));
            if better {
                best = Some(candidate);
            }
        }
        best
    }
}

/// `open` credits covered by extras of `credits` each at `price`; `None`
/// for an extra that grants nothing or whose amounts pass 2^53 − 1.
fn price_extra(
    kind: ExtraKind,
    id: &str,
    name: &str,
    credits: u64,
    price: u64,
    carries: bool,
    open: u128,
) -> Option<Candidate> {
    if credits == 0 {
        return None;
    }
    let each = u128::from(credits);
    let quantity = open.div_ceil(each);
    let cost = quantity.saturating_mul(u128::from(price));
    let wasted = if carries {
        0
    } else {
        quantity.saturating_mul(each).saturating_sub(open)
    };
    Some(Candidate {
        extra: Extra {
            kind,
            id: id.to_string(),
            name: name.to_string(),
            quantity: fit(quantity)?,
            credits,
            price,
            cost_per_month: fit(cost)?,
            wasted: fit(wasted)?,
        },
        cost,
        wasted,
    })
}

#[cfg(test)]
#[cfg(feature = "native")]
mod tests {
    use super::*;
    use crate::request::ItemSpec;
    use serde_json::json;

    fn studio() -> Catalog {
        Catalog::from_toml(include_str!("../../pricing.toml"), "pricing.toml").unwrap()
    }

    fn run(catalog: &Catalog, usage: Value) -> Estimate {
        estimate(catalog, &Usage::from_json_value(&usage).unwrap()).unwrap()
    }

    fn option<'a>(e: &'a Estimate, plan: &str, cycle: Cycle) -> &'a EstimateOption {
        e.options
            .iter()
            .find(|o| o.plan == plan && o.cycle == cycle)
            .unwrap()
    }

    fn error(usage: Value) -> (ErrorCode, Option<String>) {
        let e = Usage::from_json_value(&usage)
            .and_then(|u| estimate(&studio(), &u))
            .unwrap_err();
        (e.code, e.path)
    }

    fn schnell(per_day: u64) -> Value {
        json!({"request": {"product": "image/flux-schnell"}, "per": "day", "count": per_day})
    }

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
        // Studio's monthly credits roll over (capped): only the daily waste.
        assert_eq!(option(&e, "studio", Cycle::Monthly).wasted_credits, 2610);
        let team = option(&e, "team", Cycle::Monthly);
        assert_eq!((team.seats, team.price_per_year), (2, 96_000)); // 4000 × 2 × 12
        let r = e.recommendation.unwrap();
        assert_eq!((r.plan.as_str(), r.option), ("free", Some(0)));
        assert_eq!((r.price_per_month, r.wasted_credits), (Some(0), Some(2610)));
        assert!(r.why.contains("390 credits needed"), "{}", r.why);
    }

    #[test]
    fn the_annual_pro_plan_beats_the_monthly_one_and_studio() {
        // 60 × 2 = 120 credits a day, 30 days: 3600 a month, need 4500,
        // 150 a day. Free: 3000 daily used, 1500 open and nothing to buy.
        // Pro: 3000 daily + 1500 of 2000 monthly (500 expire); monthly
        // 2000 × 12 = 24000 a year, annual 20000 (24000 / 12 = 2000 a month).
        // Studio covers too, for 72000. Team (2 seats, no daily credits):
        // 3000 seat credits + one 2500 pack at 2000 (20 % off) a month:
        // 96000 + 24000 = 120000.
        let e = run(&studio(), json!([schnell(60)]));
        assert_eq!((e.credits_per_month, e.credits_needed), (3600, 4500));
        let free = option(&e, "free", Cycle::Monthly);
        assert!(!free.covers);
        assert_eq!(free.uncovered_credits, 1500);
        let annual = option(&e, "pro", Cycle::Annual);
        assert_eq!(
            (annual.credits_provided, annual.usable_credits),
            (5000, 4500)
        );
        assert_eq!(
            (annual.wasted_credits, annual.price_per_year),
            (500, 20_000)
        );
        assert_eq!(annual.price_per_month, 1667); // ⌈20000 / 12⌉
        assert_eq!(option(&e, "pro", Cycle::Monthly).price_per_year, 24_000);
        assert_eq!(option(&e, "studio", Cycle::Monthly).wasted_credits, 0);
        let team = option(&e, "team", Cycle::Monthly);
        assert_eq!(team.extras.len(), 1);
        assert_eq!(
            (team.extras[0].id.as_str(), team.extras[0].quantity),
            ("large", 1)
        );
        assert_eq!(team.extras[0].cost_per_month, 2000);
        assert_eq!(team.price_per_year, 120_000);
        let r = e.recommendation.unwrap();
        assert_eq!((r.plan.as_str(), r.cycle), ("pro", Some(Cycle::Annual)));
        assert_eq!(r.price_per_month, Some(1667));
        assert!(r.why.contains("billed annually"), "{}", r.why);
    }

    #[test]
    fn packs_top_up_a_plan_when_cheaper_than_add_ons() {
        // 100 × 2 = 200 a day: 6000 a month, need 7500 (250 a day). Pro:
        // 3000 daily + 2000 monthly, 2500 open. Add-on: 3 × 1000 for 3000
        // (500 expire); small packs: 5 × 480 = 2400; one large pack: 2000,
        // nothing wasted (packs never expire). Pro annual + large:
        // 20000 + 2000 × 12 = 44000 a year, less than Studio's 72000.
        let e = run(&studio(), json!({"usage": [schnell(100)]}));
        assert_eq!(e.credits_needed, 7500);
        let annual = option(&e, "pro", Cycle::Annual);
        assert_eq!(annual.extras[0].kind, ExtraKind::Pack);
        assert_eq!(annual.extras[0].id, "large");
        assert_eq!((annual.price_per_year, annual.wasted_credits), (44_000, 0));
        let r = e.recommendation.unwrap();
        assert_eq!(r.plan, "pro");
        assert_eq!(r.price_per_month, Some(3667)); // ⌈44000 / 12⌉
        assert_eq!(r.extras.len(), 1);
        assert!(
            r.why
                .contains("1 pack \"2,500 credits\" cover the remaining 2500 credits"),
            "{}",
            r.why
        );
    }

    #[test]
    fn plans_that_deny_a_line_are_not_recommended() {
        // veo-3 (ultra) 8 s at 720p: 40 × 8 = 320; 10 a month → 3200, need
        // 4000, 134 a day. Free and Pro deny the ultra tier (Free also the
        // 8 s). Studio: 3000 daily + 1000 of its monthly credits, 72000 a
        // year; Team: 3000 seat credits + a large pack, 120000.
        let e = run(
            &studio(),
            json!([{"request": {"product": "video/veo-3"}, "per": "month", "count": 10}]),
        );
        assert_eq!(e.credits_needed, 4000);
        let free = option(&e, "free", Cycle::Monthly);
        let codes: Vec<_> = free.denials.iter().map(|d| d.denial.code).collect();
        assert_eq!(
            codes,
            [
                crate::plan::DenialCode::TierNotInPlan,
                crate::plan::DenialCode::DurationNotInPlan
            ]
        );
        assert_eq!(free.denials[1].denial.path, "usage[0].request.seconds");
        assert_eq!(free.denials[1].usage, 0);
        assert!(!option(&e, "pro", Cycle::Annual).allowed);
        let r = e.recommendation.unwrap();
        assert_eq!((r.plan.as_str(), r.price_per_month), ("studio", Some(6000)));
        assert_eq!(r.wasted_credits, Some(0));
    }

    #[test]
    fn workdays_leave_daily_credits_unused() {
        // 80 × 2 = 160 a day on 20 workdays: 3200, need 4000, 200 per
        // active day. Free: 100 × 20 = 2000 used, 1000 expire, 2000 open.
        // Pro annual: the same daily use, and 2000 a month of its annual
        // credits: covered, 1000 wasted.
        let e = run(
            &studio(),
            json!([{"request": {"product": "image/flux-schnell"}, "per": "day", "count": 80, "workdays": 20}]),
        );
        assert_eq!((e.active_days, e.credits_needed), (20, 4000));
        let free = option(&e, "free", Cycle::Monthly);
        assert_eq!(
            (
                free.usable_credits,
                free.wasted_credits,
                free.uncovered_credits
            ),
            (2000, 1000, 2000)
        );
        let r = e.recommendation.unwrap();
        assert_eq!((r.plan.as_str(), r.wasted_credits), ("pro", Some(1000)));
        assert_eq!(r.cycle, Some(Cycle::Annual));
    }

    #[test]
    fn seats_price_per_seat_plans_and_skip_those_too_small() {
        let e = run(&studio(), json!({"usage": [schnell(1)], "seats": 5}));
        let team = option(&e, "team", Cycle::Monthly);
        // 4000 × 5 × 12; 1500 × 5 seat credits.
        assert_eq!((team.seats, team.price_per_year), (5, 240_000));
        assert_eq!(team.credits_provided, 7500);
        assert_eq!(option(&e, "pro", Cycle::Monthly).seats, 1);
        let e = run(&studio(), json!({"usage": [schnell(1)], "seats": 51}));
        assert!(e.options.iter().all(|o| o.plan != "team"));
    }

    const SMALL: &str = r#"
id = "small"
version = "1"
unit = "credits"
decimals = 0
rounding = "up"
tiers = ["basic", "pro"]
currency = "USD"

[[products]]
id = "image/a"
name = "A"
studio = "image"
tier = "basic"
meter = "image"
price = 1

[[products]]
id = "image/b"
name = "B"
studio = "image"
tier = "pro"
meter = "image"
price = 5

[wallet]
[[wallet.allowances]]
id = "m"
source = "monthly"
amount = 100

[[wallet.allowances]]
id = "y"
source = "annual"
amount = 1000
rollover = { mode = "full" }

[[plans]]
id = "basic"
name = "Basic"
billing = [{ cycle = "monthly", price = 500, grants = ["m"] }, { cycle = "annual", price = 5000, grants = ["y"] }]
packs = ["burst"]
limits = { tiers = ["basic"] }

[[plans]]
id = "enterprise"
name = "Enterprise"
custom = true

[[packs]]
id = "burst"
name = "Burst"
credits = 30
price = 100
expires = "cycle_end"
"#;

    #[test]
    fn annual_grants_count_a_twelfth_and_cycle_end_packs_waste() {
        let catalog = Catalog::from_toml(SMALL, "small.toml").unwrap();
        // 150 a month with 0 % buffer. Monthly: 100 granted, 50 open, two
        // 30-credit packs (10 expire), 500 + 2 × 100 = 700 a month.
        // Annual: 1000 / 12 = 83 a month (rounded down, rolls over: no
        // waste), 67 open → 3 packs, 23 expire; 5000 + 300 × 12 = 8600 a
        // year, more than the monthly 700 × 12 = 8400: monthly wins.
        let e = run(
            &catalog,
            json!({"usage": [{"request": {"product": "image/a"}, "per": "month", "count": 150}], "bufferPercent": 0}),
        );
        let monthly = option(&e, "basic", Cycle::Monthly);
        assert_eq!((monthly.wasted_credits, monthly.price_per_year), (10, 8400));
        let annual = option(&e, "basic", Cycle::Annual);
        assert_eq!(annual.credits_provided, 83);
        assert_eq!(annual.extras[0].quantity, 3);
        assert_eq!((annual.wasted_credits, annual.price_per_year), (23, 8600));
        let r = e.recommendation.unwrap();
        assert_eq!(r.cycle, Some(Cycle::Monthly));
    }

    #[test]
    fn a_custom_plan_is_recommended_when_no_priced_one_allows_the_mix() {
        let catalog = Catalog::from_toml(SMALL, "small.toml").unwrap();
        let usage = json!([{"request": {"product": "image/b"}, "per": "month", "count": 1}]);
        let e = run(&catalog, usage.clone());
        assert!(e.options.iter().all(|o| !o.allowed));
        let r = e.recommendation.unwrap();
        assert!(r.custom);
        assert_eq!((r.plan.as_str(), r.price_per_month), ("enterprise", None));
        let unlisted = SMALL.replace("custom = true", "custom = true\nlisted = false");
        let catalog = Catalog::from_toml(&unlisted, "small.toml").unwrap();
        let e = run(&catalog, usage);
        assert_eq!(e.recommendation, None);
        assert!(e.reason.unwrap().contains("no plan allows"));
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

    #[test]
    fn parse_errors_have_codes_and_paths() {
        let at = |code, path: &str| (code, Some(path.to_string()));
        assert_eq!(error(json!(3)), (ErrorCode::InvalidUsage, None));
        assert_eq!(error(json!({})), at(ErrorCode::MissingField, "usage"));
        assert_eq!(
            error(json!({"usage": [], "buffer": 3})),
            at(ErrorCode::UnknownField, "buffer")
        );
        assert_eq!(
            error(json!({"usage": {}})),
            at(ErrorCode::InvalidUsage, "usage")
        );
        assert_eq!(error(json!([1])), at(ErrorCode::InvalidUsage, "usage[0]"));
        let line = |extra: Value| {
            let mut l = schnell(1);
            for (k, v) in extra.as_object().unwrap() {
                l[k] = v.clone();
            }
            json!([schnell(1), l])
        };
        assert_eq!(
            error(line(json!({"often": 1}))),
            at(ErrorCode::UnknownField, "usage[1].often")
        );
        for bad in [
            json!(-1),
            json!(1.5),
            json!("3"),
            json!(9_007_199_254_740_992u64),
        ] {
            assert_eq!(
                error(line(json!({ "count": bad }))),
                at(ErrorCode::InvalidUsage, "usage[1].count")
            );
        }
        let whole = Usage::from_json_value(&line(json!({"count": 3.0}))).unwrap();
        assert_eq!(whole.lines[1].count, 3);
        assert_eq!(
            error(line(json!({"per": "year"}))),
            at(ErrorCode::InvalidUsage, "usage[1].per")
        );
        for bad in [0, 32] {
            assert_eq!(
                error(line(json!({ "workdays": bad }))),
                at(ErrorCode::InvalidUsage, "usage[1].workdays")
            );
        }
        assert_eq!(
            error(line(json!({"per": "week", "workdays": 5}))),
            at(ErrorCode::InvalidUsage, "usage[1].workdays")
        );
        assert_eq!(
            error(json!([{"per": "day", "count": 1}])),
            at(ErrorCode::MissingField, "usage[0].request")
        );
        assert_eq!(
            error(line(
                json!({"request": {"product": "image/flux-schnell", "seconds": 3}})
            )),
            at(ErrorCode::UnsupportedField, "usage[1].request.seconds")
        );
        assert_eq!(
            error(line(json!({"request": {"items": [{"product": "nope/x"}]}}))),
            at(
                ErrorCode::UnknownProduct,
                "usage[1].request.items[0].product"
            )
        );
        assert_eq!(
            error(line(json!({"request": 7}))),
            at(ErrorCode::InvalidRequest, "usage[1].request")
        );
        assert_eq!(
            error(json!({"usage": [], "bufferPercent": 1001})),
            at(ErrorCode::InvalidUsage, "bufferPercent")
        );
        assert_eq!(
            error(json!({"usage": [], "seats": 0})),
            at(ErrorCode::InvalidUsage, "seats")
        );
    }

    #[test]
    fn the_wire_spec_reads_back() {
        let spec = UsageSpec::Mix(UsageMixSpec {
            usage: vec![UsageLineSpec {
                request: RequestSpec::Item(ItemSpec {
                    product: "image/flux-schnell".into(),
                    outputs: Some(2),
                    ..ItemSpec::default()
                }),
                per: Per::Day,
                count: 4,
                workdays: Some(20),
            }],
            buffer_percent: Some(30),
            seats: Some(3),
        });
        let usage = Usage::from_json_value(&serde_json::to_value(&spec).unwrap()).unwrap();
        assert_eq!((usage.buffer_percent, usage.seats), (30, 3));
        assert_eq!(usage.lines[0].workdays, Some(20));
        assert_eq!(usage.lines[0].request.items[0].outputs, Some(2));
        for per in [Per::Day, Per::Week, Per::Month] {
            assert_eq!(Per::from_name(per.as_str()), Some(per));
        }
    }
}
