//! Entitlements: what a plan lets its users generate. [`denials`] checks a
//! priced quote's lines against a plan's [`Limits`](crate::catalog::Limits);
//! [`cheapest_allowing`] finds the plan an upgrade modal should offer.
//!
//! The check reads the quote's lines, not the request, so it sees exactly
//! what was priced: the defaulted resolution, the default option values.

use super::offer::{PlanOffer, plan_offer, yearly_price};
use crate::catalog::{Catalog, Meter, Plan};
use crate::error::echo;
use crate::quote::{Line, Quote};
use crate::request::Request;
use serde::{Deserialize, Serialize};

/// Why a plan does not allow an item. Serialized in `snake_case`
/// (`resolution_not_in_plan`); stable like error codes.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DenialCode {
    /// The product's tier is not among the plan's tiers.
    TierNotInPlan,
    /// The product is not among the plan's products.
    ProductNotInPlan,
    /// The resolution is above the plan's highest for the studio.
    ResolutionNotInPlan,
    /// More seconds than the plan's longest duration.
    DurationNotInPlan,
    /// More outputs than the plan allows in one item.
    OutputsNotInPlan,
    /// An option value the plan does not allow.
    OptionNotInPlan,
}

/// One thing a plan does not allow, on one item.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Denial {
    /// Index of the item in the request (0 for a single-item request).
    pub item: usize,
    /// Machine-readable reason.
    pub code: DenialCode,
    /// Path of the field in the request (`items[1].resolution`), also when
    /// the value came from a default.
    pub path: String,
    /// What the item asks for (`"4k"`, `"10"`, `"pro"`).
    pub requested: String,
    /// What the plan allows (`"up to 1080p"`, `"basic, standard"`).
    pub allowed: String,
    /// For people. Not stable: match on `code`.
    pub message: String,
}

/// A quote's verdict under a plan: allowed, or denied with the reasons and
/// the cheapest plan that would allow the whole request.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entitlement {
    /// The plan checked.
    pub plan: String,
    /// Whether the plan allows every item.
    pub allowed: bool,
    /// Every denial, by item then by check.
    pub denials: Vec<Denial>,
    /// When denied: the cheapest listed plan that allows the whole request
    /// (a custom plan only when no priced one does); `None` when allowed or
    /// when no plan allows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<PlanOffer>,
}

/// Every denial of `plan` for the lines of `quote`, in item order.
pub fn denials(catalog: &Catalog, plan: &Plan, quote: &Quote, request: &Request) -> Vec<Denial> {
    let mut out = Vec::new();
    for (item, line) in quote.lines.iter().enumerate() {
        check_line(catalog, plan, line, item, &request.prefix(item), &mut out);
    }
    out
}

fn check_line(
    catalog: &Catalog,
    plan: &Plan,
    line: &Line,
    item: usize,
    prefix: &str,
    out: &mut Vec<Denial>,
) {
    let limits = &plan.limits;
    let mut deny = |code: DenialCode, field: &str, requested: String, allowed: String| {
        let what = match code {
            DenialCode::TierNotInPlan => "tier",
            DenialCode::ProductNotInPlan => "product",
            DenialCode::ResolutionNotInPlan => "resolution",
            DenialCode::DurationNotInPlan => "seconds",
            DenialCode::OutputsNotInPlan => "outputs",
            DenialCode::OptionNotInPlan => field,
        };
        let message = format!(
            "plan {} does not allow {what} {} on {} (allowed: {allowed})",
            echo(&plan.name),
            echo(&requested),
            line.product
        );
        out.push(Denial {
            item,
            code,
            path: format!("{prefix}{field}"),
            requested,
            allowed,
            message,
        });
    };
    if let Some(tiers) = &limits.tiers {
        if !tiers.iter().any(|t| **t == *line.tier) {
            deny(
                DenialCode::TierNotInPlan,
                "product",
                line.tier.to_string(),
                list_or_none(tiers),
            );
        }
    }
    if let Some(products) = &limits.products {
        if !products.iter().any(|p| **p == *line.product) {
            deny(
                DenialCode::ProductNotInPlan,
                "product",
                line.product.to_string(),
                list_or_none(products),
            );
        }
    }
    if let (Some(max), Some(ladder)) = (
        limits.max_resolution.get(&line.studio),
        catalog.spec().resolutions.get(&line.studio),
    ) {
        let rank = |name: &str| ladder.iter().position(|n| n == name);
        if let Some(factor) = line.factors.iter().find(|f| &*f.name == "resolution") {
            let above = match (rank(&factor.value), rank(max)) {
                (Some(asked), Some(top)) => asked > top,
                // Validation puts every resolution of the studio on its ladder.
                _ => true,
            };
            if above {
                deny(
                    DenialCode::ResolutionNotInPlan,
                    "resolution",
                    factor.value.to_string(),
                    format!("up to {max}"),
                );
            }
        }
    }
    if let Some(max) = limits.max_seconds {
        if line.meter == Meter::Second && line.quantity > max {
            deny(
                DenialCode::DurationNotInPlan,
                "seconds",
                line.quantity.to_string(),
                format!("up to {max}"),
            );
        }
    }
    if let Some(max) = limits.max_outputs {
        if line.outputs > max {
            deny(
                DenialCode::OutputsNotInPlan,
                "outputs",
                line.outputs.to_string(),
                format!("up to {max}"),
            );
        }
    }
    for factor in &line.factors {
        if let Some(values) = limits.options.get(&*factor.name) {
            if !values.iter().any(|v| **v == *factor.value) {
                deny(
                    DenialCode::OptionNotInPlan,
                    &format!("options.{}", factor.name),
                    factor.value.to_string(),
                    list_or_none(values),
                );
            }
        }
    }
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        return "none".into();
    }
    items.join(", ")
}

/// The plan an upgrade modal offers for `quote`: among listed plans other
/// than `current` that allow every item, the one with the lowest yearly
/// price at its fewest seats (ties: catalog order); a custom plan only when
/// no priced plan allows it.
pub fn cheapest_allowing(
    catalog: &Catalog,
    quote: &Quote,
    request: &Request,
    current: Option<&str>,
) -> Option<PlanOffer> {
    let allows = |plan: &&Plan| {
        plan.listed
            && Some(plan.id.as_str()) != current
            && denials(catalog, plan, quote, request).is_empty()
    };
    let mut best: Option<(&Plan, u64)> = None;
    for plan in catalog
        .spec()
        .plans
        .iter()
        .filter(|p| !p.custom)
        .filter(allows)
    {
        let price = yearly_price(plan);
        if best.is_none_or(|(_, b)| price < b) {
            best = Some((plan, price));
        }
    }
    let chosen = best.map(|(plan, _)| plan).or_else(|| {
        catalog
            .spec()
            .plans
            .iter()
            .filter(|p| p.custom)
            .find(allows)
    })?;
    Some(plan_offer(catalog, chosen))
}

/// The entitlement of `quote` under `plan`.
pub fn entitlement(
    catalog: &Catalog,
    plan: &Plan,
    quote: &Quote,
    request: &Request,
) -> Entitlement {
    let found = denials(catalog, plan, quote, request);
    let allowed = found.is_empty();
    Entitlement {
        plan: plan.id.clone(),
        allowed,
        upgrade: if allowed {
            None
        } else {
            cheapest_allowing(catalog, quote, request, Some(&plan.id))
        },
        denials: found,
    }
}
