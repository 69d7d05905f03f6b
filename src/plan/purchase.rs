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
use super::offer::{allowances, yearly_price};
use crate::catalog::{Catalog, Cycle, PackExpiry, Plan};
use crate::error::{ErrorCode, QuoteError, echo};
use crate::wallet::{Every, Grant, GrantSource, MAX_TIME, Millis};
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

/// A plan change to size: from one plan to another at `now`, inside a
/// billing cycle that runs from `start` (inclusive) to `end` (exclusive).
///
/// ```json
/// {"from":"studio","to":"studio-pro","cycle":"monthly","start":0,"end":2592000000,"now":1296000000}
/// ```
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangeRequest {
    /// The plan left.
    pub from: String,
    /// The plan taken.
    pub to: String,
    /// How the cycle is billed (both plans are priced by this cycle).
    pub cycle: Cycle,
    /// Seats on a per-seat plan (default and at least the plan's minimum;
    /// ignored for a single-user plan).
    #[serde(default)]
    pub seats: u64,
    /// Cycle start, Unix ms.
    pub start: Millis,
    /// Cycle end, Unix ms (exclusive).
    pub end: Millis,
    /// When the change is made, Unix ms.
    pub now: Millis,
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
    /// plans' allowances that refill with the cycle (monthly ones for a
    /// monthly cycle, yearly ones for an annual cycle, at the seats given)
    /// × remaining ÷ cycle length, rounded down (0 when not effective
    /// now). Grant them like the new plan's cycle allowance: expiring at
    /// the cycle's end unless it rolls over.
    pub credits: u64,
    /// Money to charge now: the difference of the two prices (at the seats
    /// given) × remaining ÷ cycle length, in minor units rounded up (0 when
    /// not effective now).
    pub price: u64,
    /// Milliseconds left in the cycle at the change.
    pub remaining: Millis,
    /// The cycle's length in milliseconds.
    pub cycle_length: Millis,
}

/// The price and the cycle-refilled credits of `plan` billed by `cycle`
/// at `seats` (a plan without billing, free, is 0 and its own cycle
/// allowances).
fn cycle_terms(
    catalog: &Catalog,
    plan: &Plan,
    cycle: Cycle,
    seats: u64,
) -> Result<(u64, u64), QuoteError> {
    let billing = if plan.billing.is_empty() {
        None
    } else {
        Some(plan.billing(cycle).ok_or_else(|| {
            QuoteError::at(
                ErrorCode::InvalidRequest,
                "cycle",
                format!("plan {} is not billed {}", echo(&plan.name), cycle.as_str()),
            )
        })?)
    };
    let seats = match &plan.seats {
        None => 1,
        Some(bounds) => {
            let seats = seats.max(bounds.min);
            if seats > bounds.max {
                return Err(QuoteError::at(
                    ErrorCode::InvalidRequest,
                    "seats",
                    format!("plan {} has at most {} seats", echo(&plan.name), bounds.max),
                ));
            }
            seats
        }
    };
    let period = match cycle {
        Cycle::Monthly => Every::Month,
        Cycle::Annual => Every::Year,
    };
    let overflow = || {
        QuoteError::new(
            ErrorCode::AmountOverflow,
            "the plan change's amounts exceed 2^53 − 1",
        )
    };
    let mut credits: u64 = 0;
    for allowance in allowances(catalog, plan, billing).filter(|a| a.period() == period) {
        let amount = if allowance.per_seat {
            allowance.amount.checked_mul(seats).ok_or_else(overflow)?
        } else {
            allowance.amount
        };
        credits = credits
            .checked_add(amount)
            .filter(|c| *c <= crate::MAX_AMOUNT)
            .ok_or_else(overflow)?;
    }
    let price_seats = if plan.seats.is_some() { seats } else { 1 };
    let price = billing
        .map_or(Some(0), |b| b.price.checked_mul(price_seats))
        .filter(|p| *p <= crate::MAX_AMOUNT)
        .ok_or_else(overflow)?;
    Ok((price, credits))
}

/// Sizes a plan change: an upgrade (the new plan costs more per year)
/// takes effect now and is pro-rated; anything else takes effect at the
/// next cycle, with nothing now.
///
/// Errors: `unknown_plan`; `invalid_time` unless
/// `0 ≤ start ≤ now < end ≤ 2^53 − 1`; `invalid_request` when a paid plan
/// has no billing for `cycle` or the seats exceed a plan's maximum;
/// `amount_overflow`.
pub fn change_plan(catalog: &Catalog, change: &ChangeRequest) -> Result<PlanChange, QuoteError> {
    let old = find_plan(catalog, &change.from)?;
    let new = find_plan(catalog, &change.to)?;
    let (start, end, now) = (change.start, change.end, change.now);
    if !(0 <= start && start <= now && now < end && end <= MAX_TIME) {
        return Err(QuoteError::at(
            ErrorCode::InvalidTime,
            "now",
            format!(
                "the change at {now} is not inside the cycle {start} … {end} (times are 0 … 2^53 − 1 ms)"
            ),
        ));
    }
    // 0 ≤ start ≤ now < end ≤ 2^53 − 1: both differences are positive and exact.
    let remaining = end - now;
    let cycle_length = end - start;
    let upgrade = yearly_price(new) > yearly_price(old);
    let mut out = PlanChange {
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
        let (old_price, old_credits) = cycle_terms(catalog, old, change.cycle, change.seats)?;
        let (new_price, new_credits) = cycle_terms(catalog, new, change.cycle, change.seats)?;
        let share = |amount: u64, round_up: bool| -> u64 {
            let scaled = u128::from(amount) * u128::from(remaining.unsigned_abs());
            let length = u128::from(cycle_length.unsigned_abs()).max(1);
            let value = if round_up {
                scaled.div_ceil(length)
            } else {
                scaled / length
            };
            // At most `amount`, which is at most 2^53 − 1.
            u64::try_from(value).unwrap_or(amount)
        };
        out.credits = share(new_credits.saturating_sub(old_credits), false);
        out.price = share(new_price.saturating_sub(old_price), true);
    }
    Ok(out)
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

    fn req(from: &str, to: &str, start: Millis, end: Millis, now: Millis) -> ChangeRequest {
        ChangeRequest {
            from: from.into(),
            to: to.into(),
            cycle: Cycle::Monthly,
            seats: 0,
            start,
            end,
            now,
        }
    }

    #[test]
    fn an_upgrade_mid_cycle_is_pro_rated_and_a_downgrade_waits() {
        let c = preprompt();
        // Studio (10.00, 1,000 a month) → Studio Pro (30.00, 3,000) with 15
        // of 30 days left: (3000 − 1000) × 15/30 = 1000 credits, (3000 −
        // 1000) × 15/30 = 1000 cents.
        let up = change_plan(&c, &req("studio", "studio-pro", 0, 30 * DAY, 15 * DAY)).unwrap();
        assert_eq!(up.effective, Effective::Now);
        assert_eq!((up.credits, up.price), (1000, 1000));
        // With 10 of 30 days left: 2000 × 1/3 = 666.67 → 666 credits
        // (down), 666.67 → 667 cents (up).
        let up = change_plan(&c, &req("studio", "studio-pro", 0, 30 * DAY, 20 * DAY)).unwrap();
        assert_eq!((up.credits, up.price), (666, 667));
        // Free → Studio on the first day: the whole 1,000 and 10.00 (free's
        // sign-up credits refill once, not with the cycle).
        let up = change_plan(&c, &req("free", "studio", 0, 30 * DAY, 0)).unwrap();
        assert_eq!((up.credits, up.price), (1000, 1000));
        // Down: next cycle, nothing now.
        let down = change_plan(&c, &req("studio-plus", "studio", 0, 30 * DAY, DAY)).unwrap();
        assert_eq!(down.effective, Effective::NextCycle);
        assert_eq!((down.credits, down.price), (0, 0));
    }

    #[test]
    fn bad_times_cycles_and_seats_are_errors_not_panics() {
        let c = preprompt();
        for (start, end, now) in [
            (0, DAY, DAY),           // now at the end
            (DAY, 2 * DAY, 0),       // now before the start
            (i64::MIN, i64::MAX, 0), // would overflow end − now
            (-DAY, DAY, 0),          // negative time
            (0, MAX_TIME + 1, 0),    // beyond 2^53 − 1
        ] {
            let e = change_plan(&c, &req("studio", "studio-pro", start, end, now)).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidTime, "{start} {end} {now}");
        }
        let annual = ChangeRequest {
            cycle: Cycle::Annual,
            ..req("studio", "studio-pro", 0, DAY, 0)
        };
        let e = change_plan(&c, &annual).unwrap_err();
        assert_eq!(
            (e.code, e.path.as_deref()),
            (ErrorCode::InvalidRequest, Some("cycle"))
        );
    }

    #[test]
    fn seats_price_and_grant_a_per_seat_upgrade() {
        // AI Studios: Personal (29.00, 60 a month) → Team (59.00 and 150 a
        // month per seat, 2 seats at least). At 4 seats with half the
        // cycle left: (4 × 150 − 60) × 1/2 = 270 credits and
        // (4 × 5900 − 2900) × 1/2 = 10,350 cents.
        let c = Catalog::from_toml(
            include_str!("../../examples/aistudios.toml"),
            "aistudios.toml",
        )
        .unwrap();
        let four = ChangeRequest {
            seats: 4,
            ..req("personal", "team", 0, 30 * DAY, 15 * DAY)
        };
        let up = change_plan(&c, &four).unwrap();
        assert_eq!((up.credits, up.price), (270, 10_350));
        // The default is the plan's minimum, 2 seats: (300 − 60) / 2 = 120
        // credits, (11,800 − 2,900) / 2 = 4,450 cents.
        let up = change_plan(&c, &req("personal", "team", 0, 30 * DAY, 15 * DAY)).unwrap();
        assert_eq!((up.credits, up.price), (120, 4_450));
        let too_many = ChangeRequest {
            seats: 1_000_000,
            ..req("personal", "team", 0, 30 * DAY, 15 * DAY)
        };
        assert_eq!(
            change_plan(&c, &too_many).unwrap_err().path.as_deref(),
            Some("seats")
        );
    }
}
