//! Plans at work: what a plan allows ([`entitle`]), what to offer when
//! credits run short ([`credit`]), the offers themselves ([`offer`]), the
//! plan to pick for a usage mix ([`estimate`](mod@estimate)), and packs
//! bought and plans changed as wallet grants ([`purchase`]).
//!
//! [`quote_for`] is the one call a *Generate* button needs: the price,
//! the plan's verdict with the cheapest plan that would allow the request,
//! and, given the wallet's available credits, the shortfall with the packs
//! and plans that would cover it.
//!
//! ```
//! use genprice::{Catalog, Request};
//! use genprice::plan::{QuoteOptions, quote_for};
//!
//! let catalog = Catalog::from_toml(include_str!("../../pricing.toml"), "pricing.toml")?;
//! let request = Request::from_json_str(r#"{"product":"video/veo-3","seconds":8,"resolution":"4k"}"#)?;
//! let options = QuoteOptions { plan: Some("free".into()), balance: Some(100) };
//! let q = quote_for(&catalog, &request, &options)?;
//! let verdict = q.entitlement.as_ref().unwrap();
//! assert!(!verdict.allowed);                       // free plans make no 4k video
//! assert!(verdict.upgrade.is_some());              // … but a paid plan does
//! assert!(q.credits.as_ref().unwrap().shortfall > 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod credit;
pub mod entitle;
pub mod estimate;
pub mod offer;
pub mod purchase;

pub use credit::{CreditCheck, credit_check};
pub use entitle::{Denial, DenialCode, Entitlement, cheapest_allowing, denials, entitlement};
pub use estimate::{
    Estimate, EstimateLine, EstimateOption, Extra, ExtraKind, GrantUse, Per, Recommendation, Usage,
    UsageDenial, UsageLine, UsageSpec, estimate,
};
pub use offer::{
    AddonOffer, BillingOffer, PackOffer, PlanOffer, PlanSheet, plan_offer_at, plan_sheet,
    plan_sheets,
};
pub use purchase::{ChangeRequest, Effective, PlanChange, change_plan, pack_grant};

use crate::catalog::{Catalog, Plan};
use crate::error::{ErrorCode, QuoteError, echo};
use crate::quote::{Quote, quote};
use crate::request::Request;
use serde::{Deserialize, Serialize};
use std::ops::Deref;

/// A quote with a plan's answers: what [`quote_for`] returns.
///
/// The price itself ([`Quote`]) knows nothing of plans; this wraps it. On
/// the wire it is one object: the quote's fields, then `entitlement` and
/// `credits`, each only when asked for — the same JSON, key for key and in
/// the same order, as a quote that carried them. It derefs to the
/// [`Quote`], so `q.total` and `q.lines` read as before.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanQuote {
    /// The price.
    #[serde(flatten)]
    pub quote: Quote,
    /// The plan's verdict, when a plan was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entitlement: Option<Entitlement>,
    /// Whether the given balance covers the total, and what would fix it
    /// when it does not, when a balance was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits: Option<CreditCheck>,
}

impl Deref for PlanQuote {
    type Target = Quote;

    fn deref(&self) -> &Quote {
        &self.quote
    }
}

impl From<Quote> for PlanQuote {
    /// The quote with no plan answers.
    fn from(quote: Quote) -> PlanQuote {
        PlanQuote {
            quote,
            entitlement: None,
            credits: None,
        }
    }
}

/// What to check a quote against, besides pricing it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuoteOptions {
    /// The user's plan: adds `entitlement` to the answer.
    pub plan: Option<String>,
    /// The wallet's available credits: adds `credits` to the answer.
    pub balance: Option<u64>,
}

impl QuoteOptions {
    /// Reads `{ "plan"?: string, "balance"?: integer }` (what
    /// `engine.quote(request, options)` takes); `null` or an absent field
    /// means none. Other fields are `unknown_field`; a plan that is not a
    /// string is `invalid_request`, a balance that is not a non-negative
    /// integer `invalid_amount` (as is one above 2^53 − 1, in
    /// [`quote_for`]), each with the field's path.
    pub fn from_json_value(value: &serde_json::Value) -> Result<QuoteOptions, QuoteError> {
        use serde_json::Value;
        let map = match value {
            Value::Null => return Ok(QuoteOptions::default()),
            Value::Object(map) => map,
            _ => {
                return Err(QuoteError::new(
                    ErrorCode::InvalidRequest,
                    "quote options must be an object like { plan: \"pro\", balance: 120 }",
                ));
            }
        };
        let mut options = QuoteOptions::default();
        for (key, field) in map {
            match (key.as_str(), field) {
                (_, Value::Null) if key == "plan" || key == "balance" => {}
                ("plan", Value::String(id)) => options.plan = Some(id.clone()),
                ("balance", Value::Number(n))
                    if n.as_u64().is_some_and(|b| b <= crate::MAX_AMOUNT) =>
                {
                    options.balance = n.as_u64();
                }
                ("plan", _) => {
                    return Err(QuoteError::at(
                        ErrorCode::InvalidRequest,
                        "plan",
                        "plan must be a plan id (a string)",
                    ));
                }
                ("balance", _) => {
                    return Err(QuoteError::at(
                        ErrorCode::InvalidAmount,
                        "balance",
                        "balance must be an integer of credits in 0 … 2^53 − 1",
                    ));
                }
                (other, _) => {
                    return Err(QuoteError::at(
                        ErrorCode::UnknownField,
                        crate::error::path_key(other),
                        format!(
                            "unknown quote option {} (expected plan, balance)",
                            echo(other)
                        ),
                    ));
                }
            }
        }
        Ok(options)
    }
}

/// The plan with id `id`, or `unknown_plan` (path `plan`).
pub fn find_plan<'a>(catalog: &'a Catalog, id: &str) -> Result<&'a Plan, QuoteError> {
    catalog.plan(id).ok_or_else(|| {
        QuoteError::at(
            ErrorCode::UnknownPlan,
            "plan",
            format!("no plan {} in catalog {}", echo(id), echo(catalog.id())),
        )
    })
}

/// Prices `request` and, per `options`, checks it against a plan and a
/// balance. Without options this is exactly [`quote`] (with no plan
/// answers). Errors are
/// [`quote`]'s, plus `unknown_plan` and `invalid_amount` (a balance above
/// 2^53 − 1).
pub fn quote_for(
    catalog: &Catalog,
    request: &Request,
    options: &QuoteOptions,
) -> Result<PlanQuote, QuoteError> {
    let plan = match &options.plan {
        Some(id) => Some(find_plan(catalog, id)?),
        None => None,
    };
    if let Some(balance) = options.balance
        && balance > crate::MAX_AMOUNT
    {
        return Err(QuoteError::at(
            ErrorCode::InvalidAmount,
            "balance",
            "balance must be an integer of credits in 0 … 2^53 − 1",
        ));
    }
    let priced = quote(catalog, request)?;
    let entitlement = plan.map(|plan| entitlement(catalog, plan, &priced, request));
    let credits = options
        .balance
        .map(|balance| credit_check(catalog, &priced, request, plan, balance));
    Ok(PlanQuote {
        quote: priced,
        entitlement,
        credits,
    })
}
