//! The plan's allowances, refilled when due: before any operation on an
//! account, each allowance its plan grants (under the account's billing
//! cycle) is refilled for the period containing `now`, at most once per
//! period (the wallet's refills are idempotent per period).
//!
//! Periods: a daily allowance refills each UTC day (`2026-11-26`); a
//! monthly one each billing month and a yearly one each billing year,
//! anchored at the account's creation (a cycle starting on the 31st ends
//! on the last day of a shorter month), keyed by the cycle's start date; a
//! `once` allowance (sign-up credits) once, at creation, for a period that
//! is the first billing cycle (so without rollover its credits last that
//! cycle, and with `rollover = full` forever). Only the current
//! period is granted: credits of a period nobody used the account in would
//! have expired unused (or, with rollover, the next refill carries them).
//!
//! A plan change waiting for the next cycle takes effect here, when its
//! time has come, before the refills.

use super::calendar::{cycle_of, date, day_of};
use super::{Loaded, Stop};
use crate::catalog::{Catalog, Cycle};
use crate::plan::offer::allowances;
use crate::store::StoreError;
use crate::wallet::{Every, Millis, Refill};

/// The billing cycle `[start, end)` of an account at `now`.
pub fn billing_cycle(created_at: Millis, cycle: Cycle, now: Millis) -> (Millis, Millis) {
    let months = match cycle {
        Cycle::Monthly => 1,
        Cycle::Annual => 12,
    };
    let (_, start, end) = cycle_of(created_at, months, now);
    (start, end)
}

/// The refill of an allowance refilled `every` for the period containing
/// `now`, on an account created at `created_at` and billed by `cycle`. A
/// `once` allowance's one period is the account's first billing cycle: its
/// credits last that cycle without rollover, forever with it.
pub fn period(
    every: Every,
    cycle: Cycle,
    created_at: Millis,
    now: Millis,
) -> (String, Millis, Millis) {
    match every {
        Every::Once => {
            let (_, end) = billing_cycle(created_at, cycle, created_at);
            ("once".into(), created_at, end)
        }
        Every::Day => {
            let (start, end) = day_of(now);
            (date(start), start, end)
        }
        Every::Month | Every::Year => {
            let months = if every == Every::Month { 1 } else { 12 };
            let (_, start, end) = cycle_of(created_at, months, now);
            (date(start), start, end)
        }
    }
}

/// Applies a due plan change and the refills due at `now`.
pub fn apply_due(loaded: &mut Loaded, catalog: &Catalog, now: Millis) -> Result<(), Stop> {
    if let (Some(plan), Some(at)) = (&loaded.row.pending_plan, loaded.row.pending_at)
        && at <= now
    {
        loaded.row.plan = plan.clone();
        loaded.row.seats = loaded.row.pending_seats.unwrap_or(loaded.row.seats);
        loaded.row.plan_since = at;
        loaded.row.pending_plan = None;
        loaded.row.pending_at = None;
        loaded.row.pending_seats = None;
    }
    let Some(plan) = catalog.plan(&loaded.row.plan) else {
        // The plan left the catalog (a reload): nothing refills.
        return Ok(());
    };
    let cycle = Cycle::from_name(&loaded.row.cycle).unwrap_or(Cycle::Monthly);
    let since = loaded.row.plan_since;
    let from_creation = since <= loaded.row.created_at;
    let due: Vec<Refill> = allowances(catalog, plan, plan.billing(cycle))
        .filter_map(|allowance| {
            let (key, start, end) = period(allowance.period(), cycle, loaded.row.created_at, now);
            // A plan taken after the account was created refills from its
            // first whole period on: the period it started in was
            // pro-rated by the change.
            (from_creation || start >= since).then_some((allowance, key, start, end))
        })
        .map(|(allowance, key, start, end)| Refill {
            allowance: allowance.id.clone(),
            period: key,
            start,
            end,
            seats: loaded.row.seats,
        })
        .collect();
    for refill in due {
        if loaded.wallet.refilled(&refill.allowance, &refill.period) {
            continue;
        }
        loaded.wallet.refill(&refill, now).map_err(|e| {
            Stop::Fail(StoreError::new(format!(
                "account {}: refilling {} for {}: {e}",
                loaded.row.id, refill.allowance, refill.period
            )))
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::calendar::{DAY, days_from_civil};

    #[test]
    fn periods_follow_the_day_the_cycle_and_creation() {
        let created = days_from_civil(2026, 1, 31) * DAY + 5_000;
        let now = days_from_civil(2026, 3, 10) * DAY + 7;
        assert_eq!(
            period(Every::Day, Cycle::Monthly, created, now),
            ("2026-03-10".to_string(), now - 7, now - 7 + DAY)
        );
        let (key, start, end) = period(Every::Month, Cycle::Monthly, created, now);
        assert_eq!(key, "2026-02-28");
        assert_eq!(start, days_from_civil(2026, 2, 28) * DAY + 5_000);
        assert_eq!(end, days_from_civil(2026, 3, 31) * DAY + 5_000);
        let (key, _, _) = period(Every::Year, Cycle::Monthly, created, now);
        assert_eq!(key, "2026-01-31");
        // Sign-up credits: one period, the first billing cycle.
        let (key, start, end) = period(Every::Once, Cycle::Monthly, created, now);
        assert_eq!((key.as_str(), start), ("once", created));
        assert_eq!(end, days_from_civil(2026, 2, 28) * DAY + 5_000);
        let (_, _, end) = period(Every::Once, Cycle::Annual, created, now);
        assert_eq!(end, days_from_civil(2027, 1, 31) * DAY + 5_000);
        assert_eq!(
            billing_cycle(created, Cycle::Annual, now),
            (created, days_from_civil(2027, 1, 31) * DAY + 5_000)
        );
    }
}
