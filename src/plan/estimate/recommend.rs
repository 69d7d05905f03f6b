//! The recommendation: among the options that allow every line and cover
//! the need, the cheapest a year (ties: less waste, then option order);
//! else the first listed custom plan that allows every line; else none,
//! with the reason. `why` says it in words.

use super::sizing::{EstimateOption, Extra, ExtraKind, UsageDenial};
use super::{Unit, Usage};
use crate::catalog::{Catalog, Cycle, Plan};
use crate::error::echo;
use crate::money::format_amount;
use serde::Serialize;

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
    /// Credits per month the option brings, grants and extras: always
    /// `creditsNeeded + carriedCredits + wastedCredits` (the option covers
    /// the need).
    pub credits_provided: Option<u64>,
    /// Credits per month left over that stay for the next month.
    pub carried_credits: Option<u64>,
    /// Credits per month left over that expire unused.
    pub wasted_credits: Option<u64>,
    /// Packs or add-ons bought every month.
    pub extras: Vec<Extra>,
    /// For people. Not stable.
    pub why: String,
}

/// The recommendation among `options` for `usage`, or `None` and the
/// reason there is none. `plan_denials` says what a plan denies.
pub(super) fn recommendation(
    catalog: &Catalog,
    usage: &Usage,
    options: &[EstimateOption],
    need: u64,
    credits_per_month: u64,
    unit: &Unit<'_>,
    plan_denials: &dyn Fn(&Plan) -> Vec<UsageDenial>,
) -> (Option<Recommendation>, Option<String>) {
    let spec = catalog.spec();
    let currency = &spec.currency;
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
    let mut reason = None;
    let recommendation = match best {
        Some((index, option)) => Some(recommend(
            index,
            option,
            fitting,
            need,
            credits_per_month,
            usage.buffer_percent,
            unit,
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
                    carried_credits: None,
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
    (recommendation, reason)
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
    let granted: u64 = option.grants.iter().map(|g| g.credits_per_month).sum();
    let mut why = format!(
        "{} ({}){seats} {billed}: {among} that allow every line and cover the {} needed a month ({} plus {buffer} %). Its grants provide {} a month",
        option.name,
        option.plan,
        unit.show(need),
        unit.show(credits_per_month),
        unit.show(granted),
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
            unit.show(extra.usable),
            money(extra.cost_per_month, &option.currency)
        ));
    }
    // provided = used + carried + wasted, said in that order.
    why.push_str(&format!(
        ". Of the {} provided, {} are used",
        unit.show(option.credits_provided),
        format_amount(option.usable_credits, unit.0.decimals)
    ));
    if option.carried_credits > 0 {
        why.push_str(&format!(
            ", {} carry over",
            format_amount(option.carried_credits, unit.0.decimals)
        ));
    }
    if option.wasted_credits == 0 {
        why.push_str(" and nothing would expire unused.");
    } else {
        why.push_str(&format!(
            " and {} would expire unused.",
            format_amount(option.wasted_credits, unit.0.decimals)
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
        carried_credits: Some(option.carried_credits),
        wasted_credits: Some(option.wasted_credits),
        extras: option.extras.clone(),
        why,
    }
}

#[cfg(test)]
#[cfg(feature = "native")]
mod tests {
    use super::super::fixtures::*;
    use super::super::*;
    use crate::catalog::Cycle;
    use serde_json::json;

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
}
