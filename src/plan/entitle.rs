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
    if let Some(tiers) = &limits.tiers
        && !tiers.iter().any(|t| **t == *line.tier)
    {
        deny(
            DenialCode::TierNotInPlan,
            "product",
            line.tier.to_string(),
            list_or_none(tiers),
        );
    }
    if let Some(products) = &limits.products
        && !products.iter().any(|p| **p == *line.product)
    {
        deny(
            DenialCode::ProductNotInPlan,
            "product",
            line.product.to_string(),
            list_or_none(products),
        );
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
    if let Some(max) = limits.max_seconds
        && line.meter == Meter::Second
        && line.quantity > max
    {
        deny(
            DenialCode::DurationNotInPlan,
            "seconds",
            line.quantity.to_string(),
            format!("up to {max}"),
        );
    }
    if let Some(max) = limits.max_outputs
        && line.outputs > max
    {
        deny(
            DenialCode::OutputsNotInPlan,
            "outputs",
            line.outputs.to_string(),
            format!("up to {max}"),
        );
    }
    for factor in &line.factors {
        if let Some(values) = limits.options.get(&*factor.name)
            && !values.iter().any(|v| **v == *factor.value)
        {
            deny(
                DenialCode::OptionNotInPlan,
                &format!("options.{}", factor.name),
                factor.value.to_string(),
                list_or_none(values),
            );
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
/// than `current` that cost something and allow every item, the one with
/// the lowest yearly price at its fewest seats (ties: catalog order); a
/// custom plan only when no priced plan allows it. A free plan is where
/// users start, never what they are offered.
pub fn cheapest_allowing(
    catalog: &Catalog,
    quote: &Quote,
    request: &Request,
    current: Option<&str>,
) -> Option<PlanOffer> {
    let allows = |plan: &&Plan| {
        plan.listed
            && !plan.is_free()
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

// Built from TOML catalogs: native builds only (the wasm lint run compiles
// the tests without the TOML reader).
#[cfg(test)]
#[cfg(feature = "native")]
mod tests {
    use super::*;
    use crate::quote::quote;

    /// Three products, a video ladder and seven plans. Yearly prices at the
    /// plans' fewest seats, worked out by hand:
    ///
    /// | plan       | listed | yearly                                     |
    /// |------------|--------|--------------------------------------------|
    /// | free       | yes    | 0 (no billing)                             |
    /// | hidden     | no     | 100 × 12 = 1,200                           |
    /// | basic      | yes    | 1,000 × 12 = 12,000                        |
    /// | plus       | yes    | 1,000 × 12 = 12,000 (ties basic)           |
    /// | team       | yes    | 900 × 3 seats × 12 = 32,400                |
    /// | pro        | yes    | min(3,000 × 12, 24,000 annual) = 24,000    |
    /// | enterprise | yes    | custom                                     |
    const CATALOG: &str = r#"
id = "t"
version = "1"
rounding = "up"
tiers = ["basic", "pro"]

[[products]]
id = "video/clip"
name = "Clip"
studio = "video"
tier = "basic"
meter = "second"
price = 10
quantity = { min = 1, max = 20, default = 5 }
outputs = { max = 4, default = 1 }
resolutions = { "480p" = 1, "720p" = 2, "1080p" = 3 }
default_resolution = "1080p"
options.fps = { default = "24", values = { "24" = 1, "60" = 2 } }

[[products]]
id = "video/extra"
name = "Extra"
studio = "video"
tier = "basic"
meter = "call"
price = 1

[[products]]
id = "image/art"
name = "Art"
studio = "image"
tier = "pro"
meter = "image"
price = 5
outputs = { max = 4, default = 1 }

[resolutions]
video = ["480p", "720p", "1080p"]

[[plans]]
id = "free"
name = "Free"
limits = { tiers = ["basic"], products = ["video/clip"], max_resolution = { video = "720p" }, max_seconds = 10, max_outputs = 2, options = { fps = ["24"] } }

[[plans]]
id = "hidden"
name = "Hidden"
listed = false
billing = [{ cycle = "monthly", price = 100 }]

[[plans]]
id = "basic"
name = "Basic"
billing = [{ cycle = "monthly", price = 1000 }]
limits = { tiers = ["basic"], max_outputs = 3 }

[[plans]]
id = "plus"
name = "Plus"
billing = [{ cycle = "monthly", price = 1000 }]
limits = { tiers = ["basic"], max_outputs = 3 }

[[plans]]
id = "team"
name = "Team"
seats = { min = 3, max = 10 }
billing = [{ cycle = "monthly", price = 900 }]
limits = { max_outputs = 3 }

[[plans]]
id = "pro"
name = "Pro"
billing = [
  { cycle = "monthly", price = 3000 },
  { cycle = "annual", price = 24000 },
]
limits = { max_outputs = 3 }

[[plans]]
id = "enterprise"
name = "Enterprise"
custom = true
limits = { options = { fps = ["24"] } }
"#;

    fn catalog() -> Catalog {
        Catalog::from_toml(CATALOG, "c.toml").unwrap()
    }

    fn verdict(catalog: &Catalog, plan: &str, request: &str) -> Entitlement {
        let request = Request::from_json_str(request).unwrap();
        let priced = quote(catalog, &request).unwrap();
        entitlement(catalog, catalog.plan(plan).unwrap(), &priced, &request)
    }

    /// `(item, code, path, requested, allowed)` of each denial.
    fn summary(e: &Entitlement) -> Vec<(usize, DenialCode, &str, &str, &str)> {
        e.denials
            .iter()
            .map(|d| {
                (
                    d.item,
                    d.code,
                    d.path.as_str(),
                    d.requested.as_str(),
                    d.allowed.as_str(),
                )
            })
            .collect()
    }

    fn upgrade(e: &Entitlement) -> Option<&str> {
        e.upgrade.as_ref().map(|o| o.id.as_str())
    }

    #[test]
    fn a_request_within_every_limit_is_allowed_without_an_upgrade() {
        let c = catalog();
        // Each value at the free plan's maximum: 720p, 10 s, 2 outputs, 24 fps.
        let e = verdict(
            &c,
            "free",
            r#"{"product":"video/clip","resolution":"720p","seconds":10,"outputs":2,"options":{"fps":"24"}}"#,
        );
        assert!(e.allowed);
        assert_eq!(e.plan, "free");
        assert!(e.denials.is_empty());
        assert_eq!(e.upgrade, None);
        // Below the maximum resolution is allowed too.
        assert!(
            verdict(
                &c,
                "free",
                r#"{"product":"video/clip","resolution":"480p"}"#
            )
            .allowed
        );
    }

    #[test]
    fn a_tier_outside_the_plan_and_a_product_outside_it_are_both_denied() {
        let c = catalog();
        let e = verdict(&c, "free", r#"{"product":"image/art"}"#);
        assert!(!e.allowed);
        assert_eq!(
            summary(&e),
            [
                (0, DenialCode::TierNotInPlan, "product", "pro", "basic"),
                (
                    0,
                    DenialCode::ProductNotInPlan,
                    "product",
                    "image/art",
                    "video/clip"
                ),
            ]
        );
        assert_eq!(
            e.denials[0].message,
            "plan \"Free\" does not allow tier \"pro\" on image/art (allowed: basic)"
        );
        // A product of an allowed tier, not on the plan's product list.
        let e = verdict(&c, "free", r#"{"product":"video/extra"}"#);
        assert_eq!(
            summary(&e),
            [(
                0,
                DenialCode::ProductNotInPlan,
                "product",
                "video/extra",
                "video/clip"
            )]
        );
    }

    #[test]
    fn a_resolution_above_the_ladder_maximum_is_denied_even_by_default() {
        let c = catalog();
        // Video ladder 480p < 720p < 1080p; free allows up to 720p.
        let asked = verdict(
            &c,
            "free",
            r#"{"product":"video/clip","resolution":"1080p"}"#,
        );
        // No resolution given: video/clip defaults to 1080p, still denied,
        // and the path names the field the user would change.
        let defaulted = verdict(&c, "free", r#"{"product":"video/clip"}"#);
        for e in [&asked, &defaulted] {
            assert_eq!(
                summary(e),
                [(
                    0,
                    DenialCode::ResolutionNotInPlan,
                    "resolution",
                    "1080p",
                    "up to 720p"
                )]
            );
        }
        assert_eq!(
            defaulted.denials[0].message,
            "plan \"Free\" does not allow resolution \"1080p\" on video/clip (allowed: up to 720p)"
        );
    }

    #[test]
    fn seconds_outputs_and_option_values_beyond_the_plan_are_denied() {
        let c = catalog();
        let e = verdict(
            &c,
            "free",
            r#"{"product":"video/clip","resolution":"720p","seconds":11,"outputs":3,"options":{"fps":"60"}}"#,
        );
        assert_eq!(
            summary(&e),
            [
                (
                    0,
                    DenialCode::DurationNotInPlan,
                    "seconds",
                    "11",
                    "up to 10"
                ),
                (0, DenialCode::OutputsNotInPlan, "outputs", "3", "up to 2"),
                (0, DenialCode::OptionNotInPlan, "options.fps", "60", "24"),
            ]
        );
        // Codes are snake_case on the wire.
        assert_eq!(
            serde_json::to_value(e.denials[2].code).unwrap(),
            "option_not_in_plan"
        );
    }

    #[test]
    fn scene_denials_carry_the_item_and_its_path() {
        let c = catalog();
        let e = verdict(
            &c,
            "free",
            r#"{"items":[{"product":"video/clip","resolution":"720p"},{"product":"video/clip"},{"product":"image/art"}]}"#,
        );
        assert_eq!(
            summary(&e),
            [
                (
                    1,
                    DenialCode::ResolutionNotInPlan,
                    "items[1].resolution",
                    "1080p",
                    "up to 720p"
                ),
                (
                    2,
                    DenialCode::TierNotInPlan,
                    "items[2].product",
                    "pro",
                    "basic"
                ),
                (
                    2,
                    DenialCode::ProductNotInPlan,
                    "items[2].product",
                    "image/art",
                    "video/clip"
                ),
            ]
        );
    }

    #[test]
    fn the_upgrade_is_the_cheapest_listed_plan_ties_going_to_catalog_order() {
        let c = catalog();
        // 1080p: hidden (1,200) allows it but is unlisted; basic and plus
        // (12,000 each) allow it: basic, first in the catalog.
        let e = verdict(&c, "free", r#"{"product":"video/clip"}"#);
        assert_eq!(upgrade(&e), Some("basic"));
        // A pro-tier product: basic and plus deny the tier; team costs
        // 32,400 a year at its 3 seats (10,800 at one seat would win) and
        // pro 24,000 billed annually (36,000 monthly would lose): pro.
        let e = verdict(&c, "free", r#"{"product":"image/art"}"#);
        assert_eq!(upgrade(&e), Some("pro"));
        let offer = e.upgrade.unwrap();
        assert!(!offer.custom);
        assert_eq!(offer.billing[0].price_per_year, 24000);
    }

    #[test]
    fn the_current_plan_is_never_the_upgrade() {
        let c = catalog();
        let request = Request::from_json_str(r#"{"product":"video/clip"}"#).unwrap();
        let priced = quote(&c, &request).unwrap();
        let id = |o: Option<PlanOffer>| o.map(|o| o.id);
        assert_eq!(
            id(cheapest_allowing(&c, &priced, &request, None)).as_deref(),
            Some("basic")
        );
        // On basic, the next cheapest that allows it: plus.
        assert_eq!(
            id(cheapest_allowing(&c, &priced, &request, Some("basic"))).as_deref(),
            Some("plus")
        );
        // Basic denies the pro tier: the upgrade is pro, not basic itself.
        let e = verdict(&c, "basic", r#"{"product":"image/art"}"#);
        assert_eq!(upgrade(&e), Some("pro"));
    }

    #[test]
    fn a_custom_plan_is_offered_only_when_no_priced_plan_allows_the_request() {
        let c = catalog();
        // 4 outputs: free allows 2, every priced listed plan 3; hidden
        // allows it but is unlisted; enterprise allows it.
        let e = verdict(
            &c,
            "free",
            r#"{"product":"video/clip","resolution":"720p","outputs":4}"#,
        );
        assert_eq!(
            summary(&e),
            [(0, DenialCode::OutputsNotInPlan, "outputs", "4", "up to 2")]
        );
        let offer = e.upgrade.unwrap();
        assert_eq!(offer.id, "enterprise");
        assert!(offer.custom);
        assert!(offer.billing.is_empty());
        // With 60 fps too, enterprise denies it as well: no upgrade.
        let e = verdict(
            &c,
            "free",
            r#"{"product":"video/clip","resolution":"720p","outputs":4,"options":{"fps":"60"}}"#,
        );
        assert!(!e.allowed);
        assert_eq!(e.upgrade, None);
        // And when a priced plan allows it, enterprise is not offered even
        // though it allows it too (1080p: basic).
        assert_eq!(
            upgrade(&verdict(&c, "free", r#"{"product":"video/clip"}"#)),
            Some("basic")
        );
    }
}
