//! Offers: a plan or a pack as an upgrade modal or a pricing page shows it —
//! the money it costs and the credits it brings.

use crate::catalog::{Billing, Catalog, Cycle, Pack, Plan};
use crate::wallet::{Allowance, Every};
use serde::{Deserialize, Serialize};

/// Days in the month the planner sizes with: daily allowances count 30
/// times a month.
pub const DAYS_PER_MONTH: u64 = 30;

/// A plan offered to a user.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanOffer {
    /// Plan id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Priced by contract: `billing` is empty; contact sales.
    pub custom: bool,
    /// Seats the prices are for (the plan's minimum; 1 for a single-user plan).
    pub seats: u64,
    /// Currency of the prices.
    pub currency: String,
    /// Each way to pay, cheapest per year first.
    pub billing: Vec<BillingOffer>,
}

/// One way to pay for an offered plan.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BillingOffer {
    /// Monthly or annual.
    pub cycle: Cycle,
    /// Price per cycle for all the seats, in minor units.
    pub price: u64,
    /// Price per year (12 monthly cycles, or one annual), in minor units.
    pub price_per_year: u64,
    /// Credits the plan grants as the cycle starts: a day's daily
    /// allowance, a month's monthly one, a year's annual one up front
    /// (sign-up credits are not counted).
    pub credits: u64,
    /// Credits per month on average: daily × 30, monthly × 1, yearly ÷ 12
    /// (rounded down).
    pub credits_per_month: u64,
}

/// A pack offered to cover a shortfall.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackOffer {
    /// Pack id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Credits one pack grants.
    pub credits: u64,
    /// Price of one pack for this plan (discount applied), minor units.
    pub price: u64,
    /// Packs needed to cover the shortfall.
    pub quantity: u64,
    /// `quantity × price`.
    pub total: u64,
    /// Currency of the prices.
    pub currency: String,
}

/// The allowances `plan` grants under `billing` (its own, then the
/// billing option's), skipping ids the catalog does not define.
pub fn allowances<'a>(
    catalog: &'a Catalog,
    plan: &'a Plan,
    billing: Option<&'a Billing>,
) -> impl Iterator<Item = &'a Allowance> + 'a {
    plan.grants
        .iter()
        .chain(billing.into_iter().flat_map(|b| b.grants.iter()))
        .filter_map(|id| catalog.spec().wallet.allowance(id))
}

/// An allowance's amount for `seats` seats.
pub fn seat_amount(allowance: &Allowance, seats: u64) -> u64 {
    if allowance.per_seat {
        allowance.amount.saturating_mul(seats)
    } else {
        allowance.amount
    }
}

/// What one billing option of `plan` costs and grants, for `seats` seats
/// (a single-user plan is priced and granted for one, whatever `seats`).
pub fn billing_offer(
    catalog: &Catalog,
    plan: &Plan,
    billing: &Billing,
    seats: u64,
) -> BillingOffer {
    // One seat count for the price and the per-seat allowances alike.
    let seats = if plan.seats.is_some() { seats } else { 1 };
    let price = billing.price.saturating_mul(seats);
    let mut credits: u64 = 0;
    let mut per_month: u64 = 0;
    for allowance in allowances(catalog, plan, Some(billing)) {
        let amount = seat_amount(allowance, seats);
        let monthly = match allowance.period() {
            Every::Once => continue,
            Every::Day => amount.saturating_mul(DAYS_PER_MONTH),
            Every::Month => amount,
            Every::Year => amount / 12,
        };
        credits = credits.saturating_add(amount);
        per_month = per_month.saturating_add(monthly);
    }
    BillingOffer {
        cycle: billing.cycle,
        price,
        price_per_year: price.saturating_mul(12 / billing.cycle.months()),
        credits,
        credits_per_month: per_month,
    }
}

/// `plan` as an offer at its default seats, billing options cheapest per
/// year first. A free plan (no billing) shows one monthly option at 0.
pub fn plan_offer(catalog: &Catalog, plan: &Plan) -> PlanOffer {
    plan_offer_at(catalog, plan, plan.default_seats())
}

/// [`plan_offer`] at `seats` seats: a per-seat plan's prices and per-seat
/// allowances scale with them; a single-user plan is always one seat.
/// Whether `seats` is within the plan's seat range is the caller's check
/// ([`Plan::seats`]).
pub fn plan_offer_at(catalog: &Catalog, plan: &Plan, seats: u64) -> PlanOffer {
    let seats = if plan.seats.is_some() { seats } else { 1 };
    let free = Billing {
        cycle: Cycle::Monthly,
        price: 0,
        grants: Vec::new(),
    };
    let mut billing: Vec<BillingOffer> = if plan.billing.is_empty() && !plan.custom {
        vec![billing_offer(catalog, plan, &free, seats)]
    } else {
        plan.billing
            .iter()
            .map(|b| billing_offer(catalog, plan, b, seats))
            .collect()
    };
    crate::sort_small_by(&mut billing, |a, b| a.price_per_year < b.price_per_year);
    PlanOffer {
        id: plan.id.clone(),
        name: plan.name.clone(),
        custom: plan.custom,
        seats,
        currency: catalog.spec().currency.clone(),
        billing,
    }
}

/// The lowest price per year of `plan` at its default seats (0 for a plan
/// without billing).
pub fn yearly_price(plan: &Plan) -> u64 {
    let seats = if plan.seats.is_some() {
        plan.default_seats()
    } else {
        1
    };
    plan.billing
        .iter()
        .map(|b| {
            b.price
                .saturating_mul(seats)
                .saturating_mul(12 / b.cycle.months())
        })
        .min()
        .unwrap_or(0)
}

/// `pack` offered to `plan` to cover `shortfall` credits (at least one
/// pack); `None` when the total would pass 2^53 − 1.
pub fn pack_offer(
    catalog: &Catalog,
    plan: &Plan,
    pack: &Pack,
    shortfall: u64,
) -> Option<PackOffer> {
    let price = plan.pack_price(pack);
    let quantity = shortfall.div_ceil(pack.credits.max(1)).max(1);
    let total = quantity
        .checked_mul(price)
        .filter(|t| *t <= crate::MAX_AMOUNT)?;
    Some(PackOffer {
        id: pack.id.clone(),
        name: pack.name.clone(),
        credits: pack.credits,
        price,
        quantity,
        total,
        currency: catalog.spec().currency.clone(),
    })
}

/// A plan as a pricing page lists it: its offer, what it allows, and what
/// its users may buy on top.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanSheet {
    /// Prices and credits at the plan's default seats.
    #[serde(flatten)]
    pub offer: PlanOffer,
    /// Whether the plan is offered to users.
    pub listed: bool,
    /// Seat bounds of a per-seat plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seat_range: Option<crate::catalog::Seats>,
    /// What it allows.
    #[cfg_attr(feature = "wasm", tsify(type = "Limits"))]
    pub limits: crate::catalog::Limits,
    /// Packs its users may buy, at this plan's price (quantity 1).
    pub packs: Vec<PackOffer>,
    /// Add-ons its users may buy: credits per unit per month, price per unit.
    pub addons: Vec<AddonOffer>,
}

/// An add-on as a plan's users may buy it.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddonOffer {
    /// Add-on id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Credits one unit grants per cycle.
    pub credits: u64,
    /// Price of one unit per month, minor units.
    pub price: u64,
}

/// Every plan of the catalog, in catalog order, as a pricing page lists it
/// (each at its fewest seats).
pub fn plan_sheets(catalog: &Catalog) -> Vec<PlanSheet> {
    catalog
        .spec()
        .plans
        .iter()
        .map(|plan| plan_sheet(catalog, plan, plan.default_seats()))
        .collect()
}

/// One plan as a pricing page lists it, at `seats` seats (see
/// [`plan_offer_at`]).
pub fn plan_sheet(catalog: &Catalog, plan: &Plan, seats: u64) -> PlanSheet {
    PlanSheet {
        offer: plan_offer_at(catalog, plan, seats),
        listed: plan.listed,
        seat_range: plan.seats.clone(),
        limits: plan.limits.clone(),
        packs: plan
            .packs
            .iter()
            .filter_map(|id| catalog.pack(id))
            .filter_map(|pack| pack_offer(catalog, plan, pack, 0))
            .collect(),
        addons: plan
            .addons
            .iter()
            .filter_map(|id| catalog.addon(id))
            .map(|addon| AddonOffer {
                id: addon.id.clone(),
                name: addon.name.clone(),
                credits: catalog
                    .spec()
                    .wallet
                    .allowance(&addon.allowance)
                    .map_or(0, |a| a.amount),
                price: addon.price,
            })
            .collect(),
    }
}

// Built from TOML catalogs: native builds only (the wasm lint run compiles
// the tests without the TOML reader).
#[cfg(test)]
#[cfg(feature = "native")]
mod tests {
    use super::*;

    /// Prices in cents; credits by hand:
    ///
    /// solo (one user), grants hello (sign-up, not counted) + daily 20:
    /// * monthly 1,500: credits 20 + 1,000 = 1,020; a month 20 × 30 + 1,000
    ///   = 1,600; a year 1,500 × 12 = 18,000.
    /// * annual 15,000: credits 20 + 13,000 = 13,020; a month 600 + 13,000
    ///   ÷ 12 (1,083.33 → 1,083) = 1,683; a year 15,000.
    ///
    /// crew (3 to 10 seats, priced at 3), seat 400 per seat, shared 250 not:
    /// * monthly 1,200 × 3 = 3,600: credits 400 × 3 + 250 = 1,450 (also a
    ///   month); a year 3,600 × 12 = 43,200.
    /// * annual 12,000 × 3 = 36,000: credits 1,200 (also a month); a year
    ///   36,000.
    ///
    /// pair (one user) grants the per-seat allowance: one seat's worth.
    const CATALOG: &str = r#"
id = "t"
version = "1"
rounding = "up"
tiers = ["basic"]
currency = "EUR"

[[products]]
id = "image/art"
name = "Art"
studio = "image"
tier = "basic"
meter = "image"
price = 5

[wallet]
[[wallet.allowances]]
id = "hello"
source = "signup"
amount = 700

[[wallet.allowances]]
id = "daily"
source = "daily"
amount = 20

[[wallet.allowances]]
id = "solo-monthly"
source = "monthly"
amount = 1000

[[wallet.allowances]]
id = "solo-annual"
source = "annual"
amount = 13000

[[wallet.allowances]]
id = "seat"
source = "seat"
amount = 400
per_seat = true

[[wallet.allowances]]
id = "shared"
source = "monthly"
amount = 250

[[wallet.allowances]]
id = "extra"
source = "addon"
amount = 500
per_seat = true

[[plans]]
id = "solo"
name = "Solo"
grants = ["hello", "daily"]
billing = [
  { cycle = "monthly", price = 1500, grants = ["solo-monthly"] },
  { cycle = "annual", price = 15000, grants = ["solo-annual"] },
]
packs = ["pack"]
pack_discount = 25
addons = ["more"]

[[plans]]
id = "crew"
name = "Crew"
seats = { min = 3, max = 10 }
grants = ["hello"]
billing = [
  { cycle = "monthly", price = 1200, grants = ["seat", "shared"] },
  { cycle = "annual", price = 12000, grants = ["seat"] },
]
packs = ["pack"]

[[plans]]
id = "free"
name = "Free"
grants = ["hello", "daily"]

[[plans]]
id = "pair"
name = "Pair"
billing = [{ cycle = "monthly", price = 700, grants = ["seat"] }]

[[plans]]
id = "deal"
name = "Deal"
custom = true
listed = false

[[packs]]
id = "pack"
name = "Pack"
credits = 250
price = 999

[[addons]]
id = "more"
name = "More"
allowance = "extra"
price = 800
"#;

    fn catalog() -> Catalog {
        Catalog::from_toml(CATALOG, "c.toml").unwrap()
    }

    /// `(cycle, price, price per year, credits, credits per month)`.
    fn rows(offer: &PlanOffer) -> Vec<(Cycle, u64, u64, u64, u64)> {
        offer
            .billing
            .iter()
            .map(|b| {
                (
                    b.cycle,
                    b.price,
                    b.price_per_year,
                    b.credits,
                    b.credits_per_month,
                )
            })
            .collect()
    }

    #[test]
    fn a_single_user_plan_counts_daily_monthly_and_yearly_credits_but_not_sign_up() {
        let c = catalog();
        let offer = plan_offer(&c, c.plan("solo").unwrap());
        assert_eq!((offer.seats, offer.custom), (1, false));
        assert_eq!(offer.currency, "EUR");
        // Cheapest per year first: annual 15,000 before monthly 18,000.
        assert_eq!(
            rows(&offer),
            [
                (Cycle::Annual, 15000, 15000, 13020, 1683),
                (Cycle::Monthly, 1500, 18000, 1020, 1600),
            ]
        );
        assert_eq!(yearly_price(c.plan("solo").unwrap()), 15000);
    }

    #[test]
    fn a_per_seat_plan_is_priced_and_granted_at_its_fewest_seats() {
        let c = catalog();
        let crew = c.plan("crew").unwrap();
        let offer = plan_offer(&c, crew);
        assert_eq!(offer.seats, 3);
        assert_eq!(
            rows(&offer),
            [
                (Cycle::Annual, 36000, 36000, 1200, 1200),
                (Cycle::Monthly, 3600, 43200, 1450, 1450),
            ]
        );
        assert_eq!(yearly_price(crew), 36000);
        // At 5 seats: 1,200 × 5 = 6,000 a month; 400 × 5 + 250 = 2,250.
        let five = billing_offer(&c, crew, &crew.billing[0], 5);
        assert_eq!(
            (five.price, five.price_per_year, five.credits),
            (6000, 72000, 2250)
        );
    }

    #[test]
    fn a_single_user_plan_ignores_a_seat_count() {
        let c = catalog();
        let pair = c.plan("pair").unwrap();
        // One user: the price and the per-seat allowance count one seat
        // whatever seat count is asked for: 700 and 400.
        let offer = billing_offer(&c, pair, &pair.billing[0], 4);
        assert_eq!(
            (offer.price, offer.credits, offer.credits_per_month),
            (700, 400, 400)
        );
        assert_eq!(offer, billing_offer(&c, pair, &pair.billing[0], 1));
    }

    #[test]
    fn a_free_plan_shows_one_monthly_option_at_zero_and_a_custom_plan_none() {
        let c = catalog();
        let free = plan_offer(&c, c.plan("free").unwrap());
        // Daily 20: 20 at the start, 20 × 30 = 600 a month; hello not counted.
        assert_eq!(rows(&free), [(Cycle::Monthly, 0, 0, 20, 600)]);
        assert_eq!(yearly_price(c.plan("free").unwrap()), 0);
        let deal = plan_offer(&c, c.plan("deal").unwrap());
        assert!(deal.custom);
        assert!(deal.billing.is_empty());
        assert_eq!(deal.seats, 1);
    }

    #[test]
    fn a_pack_is_discounted_half_up_and_bought_often_enough_to_cover() {
        let c = catalog();
        let solo = c.plan("solo").unwrap();
        let pack = c.pack("pack").unwrap();
        // 999 × 75 % = 749.25 → 749.
        let rows: Vec<(u64, u64, u64)> = [0, 1, 250, 251, 1000]
            .into_iter()
            .map(|short| {
                let o = pack_offer(&c, solo, pack, short).unwrap();
                (o.price, o.quantity, o.total)
            })
            .collect();
        assert_eq!(
            rows,
            [
                (749, 1, 749),  // nothing short: one pack, as a sheet lists it
                (749, 1, 749),  // ⌈1 / 250⌉
                (749, 1, 749),  // ⌈250 / 250⌉
                (749, 2, 1498), // ⌈251 / 250⌉
                (749, 4, 2996), // ⌈1000 / 250⌉
            ]
        );
        // Crew has no discount: list price.
        assert_eq!(
            pack_offer(&c, c.plan("crew").unwrap(), pack, 1)
                .unwrap()
                .price,
            999
        );
    }

    #[test]
    fn plan_sheets_list_every_plan_with_its_packs_and_add_ons() {
        let c = catalog();
        let sheets = plan_sheets(&c);
        let ids: Vec<(&str, bool)> = sheets
            .iter()
            .map(|s| (s.offer.id.as_str(), s.listed))
            .collect();
        assert_eq!(
            ids,
            [
                ("solo", true),
                ("crew", true),
                ("free", true),
                ("pair", true),
                ("deal", false)
            ]
        );
        let solo = &sheets[0];
        assert_eq!(solo.seat_range, None);
        let packs: Vec<(&str, u64, u64)> = solo
            .packs
            .iter()
            .map(|p| (p.id.as_str(), p.price, p.quantity))
            .collect();
        assert_eq!(packs, [("pack", 749, 1)]);
        assert_eq!(
            solo.addons,
            [AddonOffer {
                id: "more".into(),
                name: "More".into(),
                credits: 500,
                price: 800,
            }]
        );
        assert_eq!(
            sheets[1].seat_range,
            Some(crate::catalog::Seats { min: 3, max: 10 })
        );
        assert!(sheets[1].addons.is_empty());
    }

    #[test]
    fn offers_are_camel_case_json_and_a_sheet_flattens_its_offer() {
        let c = catalog();
        let sheets = plan_sheets(&c);
        let solo = serde_json::to_value(&sheets[0]).unwrap();
        assert_eq!(
            solo["billing"][0],
            serde_json::json!({
                "cycle": "annual",
                "price": 15000,
                "pricePerYear": 15000,
                "credits": 13020,
                "creditsPerMonth": 1683
            })
        );
        assert_eq!(solo["id"], "solo");
        assert_eq!(solo["currency"], "EUR");
        assert!(solo.get("seatRange").is_none());
        let crew = serde_json::to_value(&sheets[1]).unwrap();
        assert_eq!(
            crew["seatRange"],
            serde_json::json!({ "min": 3, "max": 10 })
        );
        assert_eq!(crew["seats"], 3);
    }
}
