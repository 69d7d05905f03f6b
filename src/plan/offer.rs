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

/// What one billing option of `plan` costs and grants, for `seats` seats.
pub fn billing_offer(
    catalog: &Catalog,
    plan: &Plan,
    billing: &Billing,
    seats: u64,
) -> BillingOffer {
    let per_seat = if plan.seats.is_some() { seats } else { 1 };
    let price = billing.price.saturating_mul(per_seat);
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
    let seats = plan.default_seats();
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

/// `pack` offered to `plan` to cover `shortfall` credits.
pub fn pack_offer(catalog: &Catalog, plan: &Plan, pack: &Pack, shortfall: u64) -> PackOffer {
    let price = plan.pack_price(pack);
    let quantity = shortfall.div_ceil(pack.credits.max(1)).max(1);
    PackOffer {
        id: pack.id.clone(),
        name: pack.name.clone(),
        credits: pack.credits,
        price,
        quantity,
        total: quantity.saturating_mul(price),
        currency: catalog.spec().currency.clone(),
    }
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

/// Every plan of the catalog, in catalog order, as a pricing page lists it.
pub fn plan_sheets(catalog: &Catalog) -> Vec<PlanSheet> {
    catalog
        .spec()
        .plans
        .iter()
        .map(|plan| PlanSheet {
            offer: plan_offer(catalog, plan),
            listed: plan.listed,
            seat_range: plan.seats.clone(),
            limits: plan.limits.clone(),
            packs: plan
                .packs
                .iter()
                .filter_map(|id| catalog.pack(id))
                .map(|pack| pack_offer(catalog, plan, pack, 0))
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
        })
        .collect()
}
