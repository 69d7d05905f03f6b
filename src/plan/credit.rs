//! The insufficient-credits answer: for a priced quote and the credits a
//! wallet has available, whether they cover it, and if not the shortfall
//! with what would fix it — the packs the plan may buy, and the plans whose
//! grants would cover it.

use super::entitle::denials;
use super::offer::{
    PackOffer, PlanOffer, allowances, pack_offer, plan_offer, seat_amount, yearly_price,
};
use crate::catalog::{Catalog, Plan};
use crate::quote::Quote;
use crate::request::Request;
use crate::wallet::Every;
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
    /// shortfall; cheapest total first. Empty without a plan, when the plan
    /// may buy none (a free plan), or when it does not allow the request.
    pub packs: Vec<PackOffer>,
    /// When short: listed paid plans, dearer per year than the current
    /// one (an upgrade, never a switch down or to a free plan), that allow
    /// the request and whose added credits at the start of a cycle (the
    /// allowances the current plan does not already grant), with the
    /// balance, cover the estimate; only the billing options that do,
    /// cheapest per year first. None for a user on a custom plan.
    pub plans: Vec<PlanOffer>,
}

/// Checks `balance` against `quote` (priced from `request`) for a user on
/// `plan` (`None`: no plan known, so no packs).
///
/// A plan covers the shortfall when the credits it *adds* at the start of
/// a cycle — its allowances the current plan does not already grant (the
/// same daily allowance is already in the balance) — cover the estimate
/// with the balance. Packs are offered only when the current plan allows
/// the request (credits do not lift a denial). A user on a custom plan
/// (enterprise, by contract) is offered packs but no plans.
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
        if let Some(plan) = plan
            && denials(catalog, plan, quote, request).is_empty()
        {
            for id in &plan.packs {
                if let Some(offer) = catalog
                    .pack(id)
                    .and_then(|pack| pack_offer(catalog, plan, pack, shortfall))
                {
                    packs.push(offer);
                }
            }
            crate::sort_small_by(&mut packs, |a: &PackOffer, b: &PackOffer| a.total < b.total);
        }
        if !plan.is_some_and(|p| p.custom) {
            plans = covering_plans(catalog, quote, request, plan, balance);
        }
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

/// Listed paid plans dearer than `current` that allow the request and
/// whose added credits cover the estimate with `balance`; only their
/// covering billing options; cheapest per year first.
fn covering_plans(
    catalog: &Catalog,
    quote: &Quote,
    request: &Request,
    current: Option<&Plan>,
    balance: u64,
) -> Vec<PlanOffer> {
    let floor = current.map(yearly_price);
    let already = |id: &str| {
        current.is_some_and(|p| {
            p.grants.iter().any(|g| g == id)
                || p.billing.iter().any(|b| b.grants.iter().any(|g| g == id))
        })
    };
    let mut plans = Vec::new();
    for candidate in &catalog.spec().plans {
        if !candidate.listed
            || candidate.custom
            || candidate.is_free()
            || current.is_some_and(|c| c.id == candidate.id)
            || floor.is_some_and(|f| yearly_price(candidate) <= f)
            || !denials(catalog, candidate, quote, request).is_empty()
        {
            continue;
        }
        let seats = candidate.default_seats();
        let mut offer = plan_offer(catalog, candidate);
        offer.billing.retain(|b| {
            let added = allowances(catalog, candidate, candidate.billing(b.cycle))
                .filter(|a| a.period() != Every::Once && !already(&a.id))
                .fold(0u64, |sum, a| sum.saturating_add(seat_amount(a, seats)));
            added.saturating_add(balance) >= quote.total
        });
        if !offer.billing.is_empty() {
            plans.push(offer);
        }
    }
    let cheapest = |o: &PlanOffer| o.billing.first().map_or(u64::MAX, |b| b.price_per_year);
    crate::sort_small_by(&mut plans, |a, b| cheapest(a) < cheapest(b));
    plans
}

// Built from TOML catalogs: native builds only (the wasm lint run compiles
// the tests without the TOML reader).
#[cfg(test)]
#[cfg(feature = "native")]
mod tests {
    use super::*;
    use crate::catalog::Cycle;
    use crate::quote::quote;

    /// A per-second product at 10 credits a second (so 40 s cost 400), a
    /// pro-tier image at 50, three packs and six plans.
    ///
    /// Lite pays 85 % of pack prices (pack_discount 15), rounded half up:
    /// small 199 × 0.85 = 169.15 → 169, big 1,500 × 0.85 = 1,275,
    /// odd 570 × 0.85 = 484.5 → 485.
    ///
    /// Credits at the start of a cycle (sign-up credits not counted) and
    /// price per year:
    ///
    /// | plan  | option  | credits | per year          |
    /// |-------|---------|---------|-------------------|
    /// | free  | (none)  | 10      | 0                 |
    /// | lite  | monthly | 10+300  | 500 × 12 = 6,000  |
    /// | pro   | monthly | 800     | 2,000 × 12 = 24,000 |
    /// | pro   | annual  | 12,000  | 18,000            |
    /// | mid   | monthly | 600     | 1,000 × 12 = 12,000 |
    ///
    /// ghost (unlisted) and corp (custom) would cover anything for 1 cent.
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
quantity = { min = 1, max = 200, default = 10 }

[[products]]
id = "image/art"
name = "Art"
studio = "image"
tier = "pro"
meter = "image"
price = 50

[wallet]
[[wallet.allowances]]
id = "hello"
source = "signup"
amount = 1000

[[wallet.allowances]]
id = "daily"
source = "daily"
amount = 10

[[wallet.allowances]]
id = "lite-monthly"
source = "monthly"
amount = 300

[[wallet.allowances]]
id = "mid-monthly"
source = "monthly"
amount = 600

[[wallet.allowances]]
id = "pro-monthly"
source = "monthly"
amount = 800

[[wallet.allowances]]
id = "pro-annual"
source = "annual"
amount = 12000

[[plans]]
id = "free"
name = "Free"
grants = ["hello", "daily"]
limits = { tiers = ["basic"] }

[[plans]]
id = "lite"
name = "Lite"
grants = ["daily"]
billing = [{ cycle = "monthly", price = 500, grants = ["lite-monthly"] }]
packs = ["small", "big", "odd"]
pack_discount = 15
limits = { tiers = ["basic"] }

[[plans]]
id = "pro"
name = "Pro"
billing = [
  { cycle = "monthly", price = 2000, grants = ["pro-monthly"] },
  { cycle = "annual", price = 18000, grants = ["pro-annual"] },
]
packs = ["big"]
pack_discount = 10

[[plans]]
id = "mid"
name = "Mid"
billing = [{ cycle = "monthly", price = 1000, grants = ["mid-monthly"] }]
limits = { tiers = ["basic"] }

[[plans]]
id = "ghost"
name = "Ghost"
listed = false
billing = [{ cycle = "monthly", price = 1, grants = ["pro-annual"] }]

[[plans]]
id = "corp"
name = "Corp"
custom = true
billing = [{ cycle = "monthly", price = 1, grants = ["pro-annual"] }]

[[packs]]
id = "small"
name = "Small"
credits = 100
price = 199

[[packs]]
id = "big"
name = "Big"
credits = 1000
price = 1500

[[packs]]
id = "odd"
name = "Odd"
credits = 300
price = 570
"#;

    fn check(plan: Option<&str>, balance: u64, request: &str) -> CreditCheck {
        check_in(CATALOG, plan, balance, request)
    }

    fn check_in(text: &str, plan: Option<&str>, balance: u64, request: &str) -> CreditCheck {
        let catalog = Catalog::from_toml(text, "c.toml").unwrap();
        let request = Request::from_json_str(request).unwrap();
        let priced = quote(&catalog, &request).unwrap();
        let plan = plan.map(|id| catalog.plan(id).unwrap());
        credit_check(&catalog, &priced, &request, plan, balance)
    }

    /// `(id, price, quantity, total)` of each pack offered.
    fn packs(c: &CreditCheck) -> Vec<(&str, u64, u64, u64)> {
        c.packs
            .iter()
            .map(|p| (p.id.as_str(), p.price, p.quantity, p.total))
            .collect()
    }

    /// Each plan offered with `(cycle, price per year, credits)` of each
    /// billing option kept.
    type Options = Vec<(Cycle, u64, u64)>;

    fn plans(c: &CreditCheck) -> Vec<(&str, Options)> {
        c.plans
            .iter()
            .map(|p| {
                let billing = p
                    .billing
                    .iter()
                    .map(|b| (b.cycle, b.price_per_year, b.credits))
                    .collect();
                (p.id.as_str(), billing)
            })
            .collect()
    }

    const FORTY_SECONDS: &str = r#"{"product":"video/clip","seconds":40}"#;

    #[test]
    fn enough_credits_leave_no_shortfall_and_offer_nothing() {
        // 40 s × 10 = 400 credits, exactly the balance.
        for balance in [400, 401] {
            let c = check(Some("lite"), balance, FORTY_SECONDS);
            assert!(c.enough);
            assert_eq!((c.balance, c.estimate, c.shortfall), (balance, 400, 0));
            assert!(c.packs.is_empty() && c.plans.is_empty());
        }
    }

    #[test]
    fn packs_cover_the_shortfall_at_the_plans_discount_cheapest_total_first() {
        // 400 − 50 = 350 short.
        let c = check(Some("lite"), 50, FORTY_SECONDS);
        assert!(!c.enough);
        assert_eq!(c.shortfall, 350);
        assert_eq!(
            packs(&c),
            [
                // ⌈350 / 100⌉ = 4 × 169 = 676
                ("small", 169, 4, 676),
                // ⌈350 / 300⌉ = 2 × 485 (484.5 rounded half up) = 970
                ("odd", 485, 2, 970),
                // ⌈350 / 1000⌉ = 1 × 1,275
                ("big", 1275, 1, 1275),
            ]
        );
        assert_eq!(c.packs[0].credits, 100);
        assert_eq!(c.packs[0].currency, "USD");

        // 100 s: 1,000 − 50 = 950 short; the order changes with the totals.
        let c = check(
            Some("lite"),
            50,
            r#"{"product":"video/clip","seconds":100}"#,
        );
        assert_eq!(c.shortfall, 950);
        assert_eq!(
            packs(&c),
            [
                ("big", 1275, 1, 1275),   // ⌈950 / 1000⌉ = 1
                ("small", 169, 10, 1690), // ⌈950 / 100⌉ = 10
                ("odd", 485, 4, 1940),    // ⌈950 / 300⌉ = 4
            ]
        );
        // Pro buys only `big`, at 90 %: 1,350.
        let c = check(Some("pro"), 50, r#"{"product":"video/clip","seconds":100}"#);
        assert_eq!(packs(&c), [("big", 1350, 1, 1350)]);
    }

    #[test]
    fn a_plan_without_packs_and_no_plan_at_all_offer_no_packs() {
        // Free: 5 s = 50 credits, none available.
        let c = check(Some("free"), 0, r#"{"product":"video/clip","seconds":5}"#);
        assert_eq!(c.shortfall, 50);
        assert!(c.packs.is_empty());
        // Every listed priced plan other than free covers 50:
        // lite 310, mid 600, pro 800 / 12,000.
        assert_eq!(
            plans(&c),
            [
                ("lite", vec![(Cycle::Monthly, 6000, 310)]),
                ("mid", vec![(Cycle::Monthly, 12000, 600)]),
                (
                    "pro",
                    vec![(Cycle::Annual, 18000, 12000), (Cycle::Monthly, 24000, 800)]
                ),
            ]
        );
        // No plan known: no packs, and still no free plan, though its 10
        // daily credits + 45 = 55 would cover 50: a free plan is never
        // offered as the way out of a shortfall.
        let c = check(None, 45, r#"{"product":"video/clip","seconds":5}"#);
        assert!(c.packs.is_empty());
        let ids: Vec<&str> = c.plans.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["lite", "mid", "pro"]);
    }

    #[test]
    fn plans_are_offered_with_the_billing_options_that_cover_cheapest_first() {
        // 350 short on lite: free 10 + 50 < 400; mid 600 + 50 and both pro
        // options cover. Mid (12,000 a year) before pro (18,000), though
        // pro comes first in the catalog; ghost and corp never.
        let c = check(Some("lite"), 50, FORTY_SECONDS);
        assert_eq!(
            plans(&c),
            [
                ("mid", vec![(Cycle::Monthly, 12000, 600)]),
                (
                    "pro",
                    vec![(Cycle::Annual, 18000, 12000), (Cycle::Monthly, 24000, 800)]
                ),
            ]
        );
        // 950 short: mid 650 < 1,000 and pro monthly 850 < 1,000 drop out;
        // only pro billed annually is left.
        let c = check(
            Some("lite"),
            50,
            r#"{"product":"video/clip","seconds":100}"#,
        );
        assert_eq!(plans(&c), [("pro", vec![(Cycle::Annual, 18000, 12000)])]);
    }

    #[test]
    fn plans_that_do_not_allow_the_request_are_not_offered() {
        // The pro-tier image (50 credits): lite itself denies it, so no
        // pack is offered (credits would not lift the denial).
        let c = check(Some("lite"), 0, r#"{"product":"image/art"}"#);
        assert_eq!(c.shortfall, 50);
        assert!(packs(&c).is_empty());
        // Free and mid (600 ≥ 50) deny the pro tier: only pro is offered.
        let ids: Vec<&str> = c.plans.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["pro"]);
    }

    #[test]
    fn the_current_plan_is_not_offered() {
        // On mid, 40 s with nothing available: 600 would cover 400, but mid
        // is the current plan; lite's 310 does not.
        let c = check(Some("mid"), 0, FORTY_SECONDS);
        let ids: Vec<&str> = c.plans.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["pro"]);
        // Mid buys no packs.
        assert!(c.packs.is_empty());
    }

    #[test]
    fn a_shortfall_is_never_answered_with_a_cheaper_plan() {
        // On mid (12,000 a year), 350 short: lite (6,000 a year) would
        // cover nothing more anyway, and a switch down is not an upgrade;
        // only pro, dearer per year, is offered.
        let c = check(Some("mid"), 50, FORTY_SECONDS);
        let ids: Vec<&str> = c.plans.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["pro"]);
    }

    // Found by mutation testing (scripts/mutants): the tests above passed
    // with `||` and `&&` swapped in the filters below, and with `<=` for
    // `<` in the two sorts.

    #[test]
    fn a_cheaper_plan_is_not_offered_even_when_it_would_cover() {
        // On pro (18,000 a year at best), 400 short: mid's 600 would cover
        // it, but mid is cheaper (12,000 a year): not an upgrade.
        let c = check(Some("pro"), 0, FORTY_SECONDS);
        assert_eq!(c.shortfall, 400);
        assert!(c.plans.is_empty(), "{:?}", plans(&c));
    }

    #[test]
    fn without_a_plan_unlisted_and_custom_plans_are_still_not_offered() {
        // No current plan: no yearly floor hides ghost (unlisted) and corp
        // (custom), which would cover anything for 1 cent.
        let c = check(None, 50, FORTY_SECONDS);
        let ids: Vec<&str> = c.plans.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["mid", "pro"]);
    }

    #[test]
    fn an_allowance_the_current_plan_already_grants_adds_nothing() {
        // Mid also grants `daily`, which lite (the current plan) grants
        // already: moving adds mid's 600, not 610. 100 s cost 1,000; with
        // 395 available, 995 does not cover it, so only pro is offered.
        let text = CATALOG.replace(
            "id = \"mid\"\nname = \"Mid\"\n",
            "id = \"mid\"\nname = \"Mid\"\ngrants = [\"daily\"]\n",
        );
        assert_ne!(text, CATALOG);
        let hundred = r#"{"product":"video/clip","seconds":100}"#;
        let c = check_in(&text, Some("lite"), 395, hundred);
        let ids: Vec<&str> = c.plans.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["pro"]);
        // With 405, 600 + 405 covers it.
        let c = check_in(&text, Some("lite"), 405, hundred);
        assert_eq!(plans(&c)[0], ("mid", vec![(Cycle::Monthly, 12000, 610)]));
    }

    #[test]
    fn offers_of_the_same_price_keep_the_catalogs_order() {
        // Three packs at one price (odd, and two copies listed after it)
        // and three plans at one yearly price (mid and two copies after it).
        let mut text = CATALOG.replace(
            "packs = [\"small\", \"big\", \"odd\"]",
            "packs = [\"small\", \"big\", \"odd\", \"odd2\", \"odd3\"]",
        );
        for copy in ["2", "3"] {
            text.push_str(&format!(
                "\n[[packs]]\nid = \"odd{copy}\"\nname = \"Odd\"\ncredits = 300\nprice = 570\n\
                 \n[[plans]]\nid = \"mid{copy}\"\nname = \"Mid\"\n\
                 billing = [{{ cycle = \"monthly\", price = 1000, grants = [\"mid-monthly\"] }}]\n\
                 limits = {{ tiers = [\"basic\"] }}\n"
            ));
        }
        let c = check_in(&text, Some("lite"), 50, FORTY_SECONDS);
        let packs: Vec<&str> = c.packs.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(packs, ["small", "odd", "odd2", "odd3", "big"]);
        let ids: Vec<&str> = c.plans.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["mid", "mid2", "mid3", "pro"]);
    }
}
