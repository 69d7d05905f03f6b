//! The insufficient-credits answer: for a priced quote and the credits a
//! wallet has available, whether they cover it, and if not the shortfall
//! with what would fix it — the packs the plan may buy, and the plans whose
//! grants would cover it.

use super::entitle::denials;
use super::offer::{PackOffer, PlanOffer, pack_offer, plan_offer};
use crate::catalog::{Catalog, Plan};
use crate::quote::Quote;
use crate::request::Request;
use serde::{Deserialize, Serialize};

/// What an upgrade modal shows when credits run short.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreditCheck {
    /// Whether `balance` covers `estimate`.
    pub enough: bool,
    /// Credits available now (the wallet's `available`), smallest units.
    pub balance: u64,
    /// The quote's total.
    pub estimate: u64,
    /// `estimate − balance`, or 0 when enough.
    pub shortfall: u64,
    /// When short: each pack the plan may buy, with how many cover the
    /// shortfall; cheapest total first. Empty without a plan, or when the
    /// plan may buy none (a free plan).
    pub packs: Vec<PackOffer>,
    /// When short: listed plans other than the current one that allow the
    /// request and whose credits at the start of a cycle, added to the
    /// balance, cover the estimate; only the billing options that do,
    /// cheapest per year first.
    pub plans: Vec<PlanOffer>,
}

/// Checks `balance` against `quote` (priced from `request`) for a user on
/// `plan` (`None`: no plan known, so no packs).
pub fn credit_check(
    catalog: &Catalog,
    quote: &Quote,
    request: &Request,
    plan: Option<&Plan>,
    balance: u64,
) -> CreditCheck {
    let estimate = quote.total;
    let shortfall = estimate.saturating_sub(balance);
    let mut packs = Vec::new();
    let mut plans = Vec::new();
    if shortfall > 0 {
        if let Some(plan) = plan {
            for id in &plan.packs {
                if let Some(pack) = catalog.pack(id) {
                    packs.push(pack_offer(catalog, plan, pack, shortfall));
                }
            }
            crate::sort_small_by(&mut packs, |a: &PackOffer, b: &PackOffer| a.total < b.total);
        }
        let current = plan.map(|p| p.id.as_str());
        for candidate in &catalog.spec().plans {
            if !candidate.listed || candidate.custom || Some(candidate.id.as_str()) == current {
                continue;
            }
            if !denials(catalog, candidate, quote, request).is_empty() {
                continue;
            }
            let mut offer = plan_offer(catalog, candidate);
            offer
                .billing
                .retain(|b| b.credits.saturating_add(balance) >= estimate);
            if !offer.billing.is_empty() {
                plans.push(offer);
            }
        }
        let cheapest = |o: &PlanOffer| o.billing.first().map_or(u64::MAX, |b| b.price_per_year);
        crate::sort_small_by(&mut plans, |a, b| cheapest(a) < cheapest(b));
    }
    CreditCheck {
        enough: shortfall == 0,
        balance,
        estimate,
        shortfall,
        packs,
        plans,
    }
}
