//! Sizing the plan options: every listed plan × billing option, with the
//! seats it prices, how its grants cover the need month by month, the
//! cheapest extra (add-on or pack) for what they leave open, and its price
//! per year and per month (the rules are in the [estimator's docs](super)).

use super::fit;
use crate::catalog::{Billing, Catalog, Cycle, PackExpiry, Plan};
use crate::plan::entitle::Denial;
use crate::plan::offer::{DAYS_PER_MONTH, allowances, seat_amount};
use crate::wallet::{Allowance, Every, Rollover};
use serde::Serialize;

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
    /// Credits per month the option brings: the sum of `creditsPerMonth`
    /// over `grants` (daily × `activeDays`, monthly, annual ÷ 12) and
    /// `extras` (quantity × credits). Always `usableCredits +
    /// carriedCredits + wastedCredits`.
    pub credits_provided: u64,
    /// Of those, the credits the need uses: `creditsNeeded −
    /// uncoveredCredits` (all of the need when `covers`).
    pub usable_credits: u64,
    /// Of those, the credits left over that stay for the next month: the
    /// rest of grants that roll over and of packs that never expire.
    pub carried_credits: u64,
    /// Of those, the credits left over that expire unused.
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
    /// Credits it grants in the usage's month, seats applied: a daily one
    /// × `activeDays`, a monthly one as is, an annual one ÷ 12 (rounded
    /// down). Always `usable + carried + wasted`.
    pub credits_per_month: u64,
    /// Credits of it the need uses.
    pub usable: u64,
    /// Credits of it left over that roll over to the next month.
    pub carried: u64,
    /// Credits of it left over that expire unused.
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
    /// `quantity × credits`: credits it brings a month. Always `usable +
    /// carried + wasted`.
    pub credits_per_month: u64,
    /// Credits of it the need uses: what the grants leave open.
    pub usable: u64,
    /// Credits of it left over that stay (packs that never expire, add-ons
    /// whose allowance rolls over).
    pub carried: u64,
    /// Credits of it left over that expire unused.
    pub wasted: u64,
}

/// Every listed, non-custom plan of `catalog` × each of its billing
/// options (one free option for a plan without billing), in catalog order,
/// sized for `need` credits a month; `plan_denials` says what each plan
/// denies. A per-seat plan whose maximum is below the seats asked for is
/// skipped, as is an option whose amounts pass 2^53 − 1.
pub(super) fn options(
    catalog: &Catalog,
    seats_asked: u64,
    need: u64,
    active_days: u64,
    currency: &str,
    plan_denials: &dyn Fn(&Plan) -> Vec<UsageDenial>,
) -> Vec<EstimateOption> {
    let mut options = Vec::new();
    for plan in catalog
        .spec()
        .plans
        .iter()
        .filter(|p| p.listed && !p.custom)
    {
        let seats = match &plan.seats {
            Some(range) => {
                let seats = plan.default_seats().max(seats_asked);
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
            if let Some(option) = sizing.option(&found, currency) {
                options.push(option);
            }
        }
    }
    options
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
        let sum =
            |f: fn(&GrantUse) -> u64| -> u128 { grants.iter().map(|g| u128::from(f(g))).sum() };
        let grants_wasted = sum(|g| g.wasted);
        let chosen = if open > 0 {
            self.cheapest_extra(open, base_year, grants_wasted)
        } else {
            None
        };
        let covers = open == 0 || chosen.is_some();
        let uncovered = if covers { 0 } else { open };
        let extra = chosen.as_ref().map(|c| &c.extra);
        let extra_sum = |f: fn(&Extra) -> u64| -> u128 { extra.map_or(0, |x| u128::from(f(x))) };
        let extra_cost = chosen.as_ref().map_or(0, |c| c.cost);
        let price_per_year = base_year.saturating_add(extra_cost.saturating_mul(12));
        Some(EstimateOption {
            plan: plan.id.clone(),
            name: plan.name.clone(),
            cycle,
            seats: self.seats,
            allowed: found.is_empty(),
            denials: found.to_vec(),
            covers,
            credits_provided: fit(
                sum(|g| g.credits_per_month).saturating_add(extra_sum(|x| x.credits_per_month))
            )?,
            usable_credits: fit(u128::from(self.need).saturating_sub(uncovered))?,
            carried_credits: fit(sum(|g| g.carried).saturating_add(extra_sum(|x| x.carried)))?,
            wasted_credits: fit(grants_wasted.saturating_add(extra_sum(|x| x.wasted)))?,
            uncovered_credits: fit(uncovered)?,
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
            // Only the active days' credits can meet the need: the others'
            // are outside the usage's month, neither provided nor wasted.
            let month = daily.saturating_mul(days);
            let usable = per_day.saturating_mul(days).min(open);
            open = open.saturating_sub(usable);
            out.push(GrantUse {
                allowance: allowance.id.clone(),
                every: Every::Day,
                credits_per_month: fit(month)?,
                usable: fit(usable)?,
                carried: 0,
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
            let rest = fit(month.saturating_sub(usable))?;
            let (carried, wasted) = if expires(&allowance) {
                (0, rest)
            } else {
                (rest, 0)
            };
            out.push(GrantUse {
                allowance: allowance.id.clone(),
                every: allowance.period(),
                credits_per_month: fit(month)?,
                usable: fit(usable)?,
                carried,
                wasted,
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
    let brought = quantity.saturating_mul(each);
    let rest = fit(brought.saturating_sub(open))?;
    let (carried, wasted) = if carries { (rest, 0) } else { (0, rest) };
    Some(Candidate {
        extra: Extra {
            kind,
            id: id.to_string(),
            name: name.to_string(),
            quantity: fit(quantity)?,
            credits,
            price,
            cost_per_month: fit(cost)?,
            credits_per_month: fit(brought)?,
            usable: fit(open)?,
            carried,
            wasted,
        },
        cost,
        wasted: u128::from(wasted),
    })
}

#[cfg(test)]
#[cfg(feature = "native")]
mod tests {
    use super::super::fixtures::*;
    use super::super::{Estimate, Usage, estimate};
    use super::*;
    use serde_json::{Value, json};

    /// provided = used + carried + wasted, for the option and for each of
    /// its grants and extras; the option's figures are their sums; used =
    /// needed − uncovered.
    fn assert_adds_up(e: &Estimate, label: &str) {
        for o in &e.options {
            let at = format!("{label}: {} {:?}", o.plan, o.cycle);
            assert_eq!(
                o.credits_provided,
                o.usable_credits + o.carried_credits + o.wasted_credits,
                "{at}"
            );
            assert_eq!(
                o.usable_credits + o.uncovered_credits,
                e.credits_needed,
                "{at}"
            );
            assert_eq!(o.covers, o.uncovered_credits == 0, "{at}");
            let rows = o
                .grants
                .iter()
                .map(|g| (g.credits_per_month, g.usable, g.carried, g.wasted))
                .chain(
                    o.extras
                        .iter()
                        .map(|x| (x.credits_per_month, x.usable, x.carried, x.wasted)),
                );
            let mut sums = (0, 0, 0, 0);
            for (provided, usable, carried, wasted) in rows {
                assert_eq!(provided, usable + carried + wasted, "{at}");
                sums = (
                    sums.0 + provided,
                    sums.1 + usable,
                    sums.2 + carried,
                    sums.3 + wasted,
                );
            }
            assert_eq!(
                sums,
                (
                    o.credits_provided,
                    o.usable_credits,
                    o.carried_credits,
                    o.wasted_credits
                ),
                "{at}"
            );
            for x in &o.extras {
                assert_eq!(x.credits_per_month, x.quantity * x.credits, "{at}");
            }
            for g in o.grants.iter().filter(|g| g.every == Every::Day) {
                assert_eq!(g.credits_per_month % e.active_days, 0, "{at}");
            }
        }
        if let Some(r) = e.recommendation.as_ref().filter(|r| !r.custom) {
            let (Some(provided), Some(carried), Some(wasted)) =
                (r.credits_provided, r.carried_credits, r.wasted_credits)
            else {
                panic!("{label}: a priced recommendation without figures");
            };
            assert_eq!(provided, r.credits_needed + carried + wasted, "{label}");
        }
    }

    #[test]
    fn provided_is_used_plus_carried_plus_wasted_on_every_reference_option() {
        let mut checked = 0;
        for (name, catalog) in reference_catalogs() {
            let requests = default_requests(&catalog);
            let mut mixes = Vec::new();
            for request in &requests {
                for count in [1, 7, 60, 400, 5000] {
                    mixes.push(
                        json!([{"request": request, "per": "day", "count": count, "workdays": 21}]),
                    );
                    mixes.push(json!([{"request": request, "per": "week", "count": count}]));
                    mixes.push(json!({"usage": [{"request": request, "per": "month", "count": count}], "seats": 3}));
                }
            }
            let all: Vec<Value> = requests
                .iter()
                .map(|r| json!({"request": r, "per": "day", "count": 2, "workdays": 12}))
                .collect();
            mixes.push(json!(all));
            mixes.push(json!({"usage": all, "bufferPercent": 0}));
            mixes.push(json!([]));
            for mix in mixes {
                let Ok(usage) = Usage::from_json_value(&mix) else {
                    continue;
                };
                // A product that prices nothing at its defaults is skipped.
                let Ok(e) = estimate(&catalog, &usage) else {
                    continue;
                };
                assert_adds_up(&e, &format!("{name} {mix}"));
                checked += e.options.len();
            }
        }
        assert!(checked > 1000, "only {checked} options checked");
    }

    #[test]
    fn a_hand_worked_option_adds_up() {
        // 60 schnell a day × 2 credits × 30 days = 3600, + 25 % = 4500.
        let e = run(&studio(), json!([schnell(60)]));
        assert_eq!((e.active_days, e.credits_needed), (30, 4500));
        // Studio: free-daily 100 × 30 = 3000, need 150 a day → all 3000
        // used; studio-monthly 6000 covers the 1500 left and carries 4500
        // (it rolls over). 9000 provided = 4500 used + 4500 carried + 0.
        let studio_plan = option(&e, "studio", Cycle::Monthly);
        assert_eq!(
            (
                studio_plan.credits_provided,
                studio_plan.usable_credits,
                studio_plan.carried_credits,
                studio_plan.wasted_credits
            ),
            (9000, 4500, 4500, 0)
        );
        // Team, 2 seats: 2 × 1500 = 3000 seat credits, all used, 1500 open:
        // one large pack (2500 credits, never expires) covers it and 1000
        // carry. 5500 provided = 4500 used + 1000 carried + 0 wasted.
        let team = option(&e, "team", Cycle::Monthly);
        assert_eq!(team.grants[0].credits_per_month, 3000);
        let pack = &team.extras[0];
        assert_eq!(
            (
                pack.credits_per_month,
                pack.usable,
                pack.carried,
                pack.wasted
            ),
            (2500, 1500, 1000, 0)
        );
        assert_eq!(
            (
                team.credits_provided,
                team.usable_credits,
                team.carried_credits,
                team.wasted_credits
            ),
            (5500, 4500, 1000, 0)
        );
        // Pro monthly: 3000 daily used, pro-monthly 2000 covers 1500 and
        // 500 expire: 5000 = 4500 + 0 + 500.
        let pro = option(&e, "pro", Cycle::Monthly);
        assert_eq!(
            (
                pro.credits_provided,
                pro.usable_credits,
                pro.carried_credits,
                pro.wasted_credits
            ),
            (5000, 4500, 0, 500)
        );
        assert_adds_up(&e, "schnell(60)");
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
    fn daily_credits_count_on_the_workdays_only() {
        // 80 × 2 = 160 a day on 20 workdays: 3200, need 4000, 200 per
        // active day. Free's 100 a day on those 20 days: 2000 provided and
        // all used, 2000 open. The credits of the 10 other days cannot meet
        // this need: they are neither provided nor wasted (they used to be
        // counted over 30 days: 3000 provided, 1000 "wasted").
        let e = run(
            &studio(),
            json!([{"request": {"product": "image/flux-schnell"}, "per": "day", "count": 80, "workdays": 20}]),
        );
        assert_eq!((e.active_days, e.credits_needed), (20, 4000));
        let free = option(&e, "free", Cycle::Monthly);
        assert_eq!(
            (
                free.credits_provided,
                free.usable_credits,
                free.wasted_credits,
                free.uncovered_credits
            ),
            (2000, 2000, 0, 2000)
        );
        assert_eq!(free.grants[0].credits_per_month, 2000);
        // Pro annual: the same 2000 daily, and 24000 / 12 = 2000 a month of
        // its annual credits: 4000 provided, all used, nothing wasted (it
        // used to say 1000 wasted).
        let annual = option(&e, "pro", Cycle::Annual);
        assert_eq!(
            (
                annual.credits_provided,
                annual.usable_credits,
                annual.carried_credits,
                annual.wasted_credits
            ),
            (4000, 4000, 0, 0)
        );
        let r = e.recommendation.unwrap();
        assert_eq!((r.plan.as_str(), r.wasted_credits), ("pro", Some(0)));
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
        // 83 granted + 3 × 30 bought = 173 = 150 used + 23 wasted.
        assert_eq!(annual.credits_provided, 173);
        assert_eq!(annual.grants[0].credits_per_month, 83);
        assert_eq!(annual.extras[0].quantity, 3);
        assert_eq!(
            (annual.extras[0].credits_per_month, annual.extras[0].usable),
            (90, 67)
        );
        assert_eq!((annual.wasted_credits, annual.price_per_year), (23, 8600));
        let r = e.recommendation.unwrap();
        assert_eq!(r.cycle, Some(Cycle::Monthly));
    }
}
