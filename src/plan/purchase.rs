//! Purchases and plan changes, turned into what the wallet records: a pack
//! bought becomes a top-up [`Grant`] (refused when the plan may not buy
//! it, expiring at the cycle's end when the pack says so); an upgrade in
//! the middle of a cycle becomes a pro-rated [`PlanChange`] (the extra
//! credits for the rest of the cycle, and the price difference to charge),
//! while a downgrade waits for the next cycle.
//!
//! Integers throughout: pro-rated credits round down (never grant more
//! than the cycle's share), the pro-rated price rounds up to a minor unit.

use super::find_plan;
use super::offer::{seat_amount, yearly_price};
use crate::catalog::{Catalog, Cycle, PackExpiry, Plan};
use crate::error::{ErrorCode, QuoteError, echo};
use crate::wallet::{Grant, GrantSource, Millis};
use serde::{Deserialize, Serialize};

/// The top-up grant for buying `pack` on `plan`, with the caller's
/// purchase id (the wallet's idempotency key), effective at `now`.
/// `cycle_end` (Unix ms) is when the plan's current cycle ends: required
/// for a pack whose credits expire with the cycle.
///
/// Errors: `unknown_plan`, `unknown_pack`, `pack_not_in_plan` (the plan
/// may not buy it: packs only for paid subscribers), `invalid_time` (a
/// cycle-end pack without a `cycle_end` after `now`).
pub fn pack_grant(
    catalog: &Catalog,
    plan: &str,
    pack: &str,
    purchase: &str,
    now: Millis,
    cycle_end: Option<Millis>,
) -> Result<Grant, QuoteError> {
    let plan = find_plan(catalog, plan)?;
    let found = catalog.pack(pack).ok_or_else(|| {
        QuoteError::at(
            ErrorCode::UnknownPack,
            "pack",
            format!("no pack {} in catalog {}", echo(pack), echo(catalog.id())),
        )
    })?;
    if !plan.packs.iter().any(|p| p == pack) {
        return Err(QuoteError::at(
            ErrorCode::PackNotInPlan,
            "pack",
            format!(
                "plan {} may not buy pack {} (it may buy: {})",
                echo(&plan.name),
                echo(pack),
                if plan.packs.is_empty() {
                    "none".to_string()
                } else {
                    plan.packs.join(", ")
                }
            ),
        ));
    }
    let expires_at = match found.expires {
        PackExpiry::Never => None,
        PackExpiry::CycleEnd => match cycle_end {
            Some(end) if end > now => Some(end),
            _ => {
                return Err(QuoteError::at(
                    ErrorCode::InvalidTime,
                    "cycleEnd",
                    format!(
                        "pack {} expires with the cycle: give the cycle's end, after now ({now})",
                        echo(pack)
                    ),
                ));
            }
        },
    };
    Ok(Grant {
        id: purchase.to_string(),
        source: GrantSource::Topup,
        amount: found.credits,
        effective_at: now,
        expires_at,
        priority: 0,
    })
}

/// When a plan change takes effect.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effective {
    /// At once (an upgrade), pro-rated for the rest of the cycle.
    Now,
    /// At the start of the next cycle (a downgrade or a sideways move).
    NextCycle,
}

/// What changing plans in the middle of a cycle grants and costs.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanChange {
    /// The plan left.
    pub from: String,
    /// The plan taken.
    pub to: String,
    /// Now (an upgrade: the new plan costs more per year) or next cycle.
    pub effective: Effective,
    /// Extra credits for the rest of this cycle: the difference of the two
    /// plans' cycle allowances × remaining ÷ cycle length, rounded down
    /// (0 when not effective now). Grant them with source `monthly` or
    /// `annual`, expiring at the cycle's end.
    pub credits: u64,
    /// Money to charge now: the difference of the two prices × remaining ÷
    /// cycle length, in minor units rounded up (0 when not effective now).
    pub price: u64,
    /// Milliseconds left in the cycle at the change.
    pub remaining: Millis,
    /// The cycle's length in milliseconds.
    pub cycle_length: Millis,
}

/// The price (for the plan's default seats) and the cycle allowances of
/// `plan` billed by `cycle`; a plan without billing (free) is 0 and none.
fn cycle_terms(catalog: &Catalog, plan: &Plan, cycle: Cycle) -> Result<(u64, u64), QuoteError> {
    if plan.billing.is_empty() {
        return Ok((0, 0));
    }
    let billing = plan.billing(cycle).ok_or_else(|| {
        QuoteError::at(
            ErrorCode::InvalidRequest,
            "cycle",
            format!("plan {} is not billed {}", echo(&plan.name), cycle.as_str()),
        )
    })?;
    let seats = plan.default_seats();
    let price_seats = if plan.seats.is_some() { seats } else { 1 };
    let credits = billing
        .grants
        .iter()
        .filter_map(|id| catalog.spec().wallet.allowance(id))
        .fold(0u64, |sum, a| sum.saturating_add(seat_amount(a, seats)));
    Ok((billing.price.saturating_mul(price_seats), credits))
}

/// Changing from plan `from` to plan `to` at `now`, in a cycle billed by
/// `cycle` that runs from `start` (inclusive) to `end` (exclusive). An
/// upgrade (the new plan costs more per year) takes effect now and is
/// pro-rated; anything else takes effect at the next cycle.
///
/// Errors: `unknown_plan`; `invalid_time` unless `start ≤ now < end`;
/// `invalid_request` when a paid plan has no billing for `cycle`.
pub fn change_plan(
    catalog: &Catalog,
    from: &str,
    to: &str,
    cycle: Cycle,
    start: Millis,
    end: Millis,
    now: Millis,
) -> Result<PlanChange, QuoteError> {
    let old = find_plan(catalog, from)?;
    let new = find_plan(catalog, to)?;
    if !(start <= now && now < end) {
        return Err(QuoteError::at(
            ErrorCode::InvalidTime,
            "now",
            format!("the change at {now} is not inside the cycle {start} … {end}"),
        ));
    }
    let remaining = end - now;
    let cycle_length = end - start;
    let upgrade = yearly_price(new) > yearly_price(old);
    let mut change = PlanChange {
        from: old.id.clone(),
        to: new.id.clone(),
        effective: if upgrade {
            Effective::Now
        } else {
            Effective::NextCycle
        },
        credits: 0,
        price: 0,
        remaining,
        cycle_length,
    };
    if upgrade {
        let (old_price, old_credits) = cycle_terms(catalog, old, cycle)?;
        let (new_price, new_credits) = cycle_terms(catalog, new, cycle)?;
        let share = |amount: u64, round_up: bool| -> u64 {
            let scaled = u128::from(amount) * u128::from(remaining.unsigned_abs());
            let length = u128::from(cycle_length.unsigned_abs()).max(1);
            let value = if round_up {
                scaled.div_ceil(length)
            } else {
                scaled / length
            };
            u64::try_from(value).unwrap_or(u64::MAX)
        };
        change.credits = share(new_credits.saturating_sub(old_credits), false);
        change.price = share(new_price.saturating_sub(old_price), true);
    }
    Ok(change)
}

#[cfg(test)]
#[cfg(feature = "native")]
mod tests {
    use super::*;

    const DAY: Millis = 86_400_000;

    fn preprompt() -> Catalog {
        Catalog::from_toml(
            include_str!("../../examples/preprompt.toml"),
            "preprompt.toml",
        )
        .unwrap()
    }

    #[test]
    fn a_pack_is_a_top_up_grant_only_for_plans_that_may_buy_it() {
        let c = preprompt();
        // Studio may buy pack-500 (500 credits, never expires).
        let g = pack_grant(&c, "studio", "pack-500", "order-1", 5 * DAY, None).unwrap();
        assert_eq!(
            (
                g.id.as_str(),
                g.source,
                g.amount,
                g.effective_at,
                g.expires_at
            ),
            ("order-1", GrantSource::Topup, 500, 5 * DAY, None)
        );
        // Free may buy none: packs are for paid subscribers.
        let e = pack_grant(&c, "free", "pack-500", "order-2", 0, None).unwrap_err();
        assert_eq!(
            (e.code, e.path.as_deref()),
            (ErrorCode::PackNotInPlan, Some("pack"))
        );
        let e = pack_grant(&c, "studio", "pack-9", "order-3", 0, None).unwrap_err();
        assert_eq!(e.code, ErrorCode::UnknownPack);
        let e = pack_grant(&c, "gold", "pack-500", "order-4", 0, None).unwrap_err();
        assert_eq!(e.code, ErrorCode::UnknownPlan);
    }

    #[test]
    fn a_cycle_end_pack_expires_with_the_cycle() {
        let c = Catalog::from_toml(
            &format!(
                "{}\n[[packs]]\nid = \"month\"\nname = \"M\"\ncredits = 100\nprice = 100\nexpires = \"cycle_end\"\n",
                include_str!("../../examples/preprompt.toml")
                    .replace("packs = [\"pack-500\", \"pack-2000\"]", "packs = [\"pack-500\", \"pack-2000\", \"month\"]")
            ),
            "p.toml",
        )
        .unwrap();
        let g = pack_grant(&c, "studio", "month", "o", DAY, Some(30 * DAY)).unwrap();
        assert_eq!(g.expires_at, Some(30 * DAY));
        let e = pack_grant(&c, "studio", "month", "o", DAY, None).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidTime);
        let e = pack_grant(&c, "studio", "month", "o", 30 * DAY, Some(30 * DAY)).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidTime);
    }

    #[test]
    fn an_upgrade_mid_cycle_is_pro_rated_and_a_downgrade_waits() {
        let c = preprompt();
        // Studio (10.00, 1,000 a month) → Studio Pro (30.00, 3,000) with 15
        // of 30 days left: (3000 − 1000) × 15/30 = 1000 credits, (3000 −
        // 1000) × 15/30 = 1000 cents.
        let up = change_plan(
            &c,
            "studio",
            "studio-pro",
            Cycle::Monthly,
            0,
            30 * DAY,
            15 * DAY,
        )
        .unwrap();
        assert_eq!(up.effective, Effective::Now);
        assert_eq!((up.credits, up.price), (1000, 1000));
        // With 10 of 30 days left: 2000 × 1/3 = 666.67 → 666 credits
        // (down), 666.67 → 667 cents (up).
        let up = change_plan(
            &c,
            "studio",
            "studio-pro",
            Cycle::Monthly,
            0,
            30 * DAY,
            20 * DAY,
        )
        .unwrap();
        assert_eq!((up.credits, up.price), (666, 667));
        // Free → Studio on the first day: the whole 1,000 and 10.00.
        let up = change_plan(&c, "free", "studio", Cycle::Monthly, 0, 30 * DAY, 0).unwrap();
        assert_eq!((up.credits, up.price), (1000, 1000));
        // Down: next cycle, nothing now.
        let down = change_plan(
            &c,
            "studio-plus",
            "studio",
            Cycle::Monthly,
            0,
            30 * DAY,
            DAY,
        )
        .unwrap();
        assert_eq!(down.effective, Effective::NextCycle);
        assert_eq!((down.credits, down.price), (0, 0));
        // Outside the cycle, or a cycle the plan is not billed by.
        let e = change_plan(&c, "studio", "studio-pro", Cycle::Monthly, 0, DAY, DAY).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidTime);
        let e = change_plan(&c, "studio", "studio-pro", Cycle::Annual, 0, DAY, 0).unwrap_err();
        assert_eq!(
            (e.code, e.path.as_deref()),
            (ErrorCode::InvalidRequest, Some("cycle"))
        );
    }
}
