//! Billing periods in UTC, with integer civil-calendar arithmetic (no
//! clock, no floating point): the day containing an instant, and the
//! month or year cycle of an account anchored at its creation — a cycle
//! that starts on the 31st ends on the last day of a shorter month.

use crate::wallet::Millis;

/// Milliseconds in a day.
pub const DAY: Millis = 86_400_000;

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number (days since 1970-01-01).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

/// `YYYY-MM-DD` of the day containing `at`.
pub fn date(at: Millis) -> String {
    let (y, m, d) = civil_from_days(at.div_euclid(DAY));
    format!("{y:04}-{m:02}-{d:02}")
}

/// The UTC day containing `at`: `[start, end)`.
pub fn day_of(at: Millis) -> (Millis, Millis) {
    let start = at.div_euclid(DAY) * DAY;
    (start, start + DAY)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    let next = if month == 12 {
        days_from_civil(year + 1, 1, 1)
    } else {
        days_from_civil(year, month + 1, 1)
    };
    u32::try_from(next - days_from_civil(year, month, 1)).unwrap_or(28)
}

/// `anchor` moved `months` calendar months later, the day of the month
/// clamped to the target month's length, the time of day kept.
pub fn add_months(anchor: Millis, months: i64) -> Millis {
    let days = anchor.div_euclid(DAY);
    let time = anchor.rem_euclid(DAY);
    let (y, m, d) = civil_from_days(days);
    let index = y * 12 + i64::from(m) - 1 + months;
    let year = index.div_euclid(12);
    let month = u32::try_from(index.rem_euclid(12) + 1).unwrap_or(1);
    let day = d.min(days_in_month(year, month));
    days_from_civil(year, month, day) * DAY + time
}

/// The cycle of `months` months (1 or 12), anchored at `anchor`, that
/// contains `now`: its number (0 for the first) and `[start, end)`. Before
/// the anchor it is cycle 0.
pub fn cycle_of(anchor: Millis, months: i64, now: Millis) -> (i64, Millis, Millis) {
    if now < anchor {
        return (0, anchor, add_months(anchor, months));
    }
    // An estimate from the average month, corrected by at most a step.
    let mut k = (now - anchor) / (DAY * 30 * months.max(1));
    while k > 0 && add_months(anchor, k * months) > now {
        k -= 1;
    }
    while add_months(anchor, (k + 1) * months) <= now {
        k += 1;
    }
    (
        k,
        add_months(anchor, k * months),
        add_months(anchor, (k + 1) * months),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip_and_match_known_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2026, 11, 1) * DAY, 1_793_491_200_000);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for days in [-800_000, -1, 0, 59, 60, 11_016, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(date(1_793_491_200_000 + 5 * DAY + 3), "2026-11-06");
    }

    #[test]
    fn months_clamp_to_the_shorter_month_and_keep_the_time() {
        let jan31 = days_from_civil(2027, 1, 31) * DAY + 3_600_000;
        assert_eq!(
            add_months(jan31, 1),
            days_from_civil(2027, 2, 28) * DAY + 3_600_000
        );
        assert_eq!(
            add_months(jan31, 13),
            days_from_civil(2028, 2, 29) * DAY + 3_600_000
        );
        assert_eq!(
            add_months(jan31, 12),
            days_from_civil(2028, 1, 31) * DAY + 3_600_000
        );
    }

    #[test]
    fn the_cycle_containing_now_is_found_at_its_edges() {
        let anchor = days_from_civil(2026, 1, 31) * DAY;
        let (k, start, end) = cycle_of(anchor, 1, anchor);
        assert_eq!(
            (k, start, end),
            (0, anchor, days_from_civil(2026, 2, 28) * DAY)
        );
        let (k, start, _) = cycle_of(anchor, 1, end);
        assert_eq!((k, start), (1, end));
        let (k, _, end) = cycle_of(anchor, 1, end - 1);
        assert_eq!((k, end), (0, days_from_civil(2026, 2, 28) * DAY));
        let later = days_from_civil(2029, 7, 4) * DAY;
        let (k, start, end) = cycle_of(anchor, 1, later);
        assert!(start <= later && later < end, "{k}");
        assert_eq!(k, 41);
        let (k, start, end) = cycle_of(anchor, 12, later);
        assert_eq!(k, 3);
        assert!(start <= later && later < end);
    }
}
