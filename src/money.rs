//! Exact money: integer amounts, exact decimal multipliers, one rounding rule.
//!
//! * An **amount** is a `u64` count of the catalog's smallest unit (with
//!   `decimals = 2`, 1 credit = 100 units). Every amount the engine produces is
//!   at most [`MAX_AMOUNT`] = 2^53 − 1, so it survives a trip through a
//!   JavaScript number unchanged.
//! * A **multiplier** is an exact decimal with at most four places
//!   ([`Multiplier`]), stored as an integer count of ten-thousandths.
//! * **Rounding** happens once per quote line, by the catalog's declared
//!   [`Rounding`] rule, on the exact rational amount. No `f64` is involved.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The largest amount the engine will produce: 2^53 − 1, the largest integer
/// a JavaScript number holds exactly.
pub const MAX_AMOUNT: u64 = (1 << 53) - 1;

/// Decimal places a multiplier may have.
pub const MULTIPLIER_PLACES: u32 = 4;

/// `10^MULTIPLIER_PLACES`: the scale of [`Multiplier`]'s integer form.
pub const MULTIPLIER_SCALE: u64 = 10_000;

/// The largest multiplier a catalog may declare (1000×).
pub const MAX_MULTIPLIER: u64 = 1_000 * MULTIPLIER_SCALE;

/// An exact, non-negative decimal multiplier with at most four decimal
/// places, such as `1.5` or `0.0125`. Stored as ten-thousandths.
///
/// On the wire it is a decimal **string** (`"1.5"`), never a float, so the
/// browser and the server read the same value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Multiplier(u64);

/// Why a decimal text is not a valid [`Multiplier`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MultiplierError {
    /// Not a plain decimal like `1.25` (signs, exponents, `inf`, `nan`,
    /// underscores, empty text).
    NotDecimal,
    /// More than four decimal places.
    TooManyPlaces,
    /// Negative.
    Negative,
    /// Larger than 1000.
    TooLarge,
}

impl fmt::Display for MultiplierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MultiplierError::NotDecimal => "is not an exact decimal (write it like 1.25)",
            MultiplierError::TooManyPlaces => "has more than 4 decimal places",
            MultiplierError::Negative => "is negative",
            MultiplierError::TooLarge => "is larger than 1000",
        })
    }
}

impl Multiplier {
    /// The multiplier 1.
    pub const ONE: Multiplier = Multiplier(MULTIPLIER_SCALE);

    /// A multiplier from its count of ten-thousandths (`15_000` is 1.5).
    /// Returns `None` above [`MAX_MULTIPLIER`].
    pub fn from_ten_thousandths(value: u64) -> Option<Multiplier> {
        (value <= MAX_MULTIPLIER).then_some(Multiplier(value))
    }

    /// The multiplier as a count of ten-thousandths.
    pub fn ten_thousandths(self) -> u64 {
        self.0
    }

    /// Parses a plain decimal: digits, optionally a point and 1–4 digits.
    /// `"1"`, `"1.5"`, `"0.0125"` are accepted; `"-1"`, `"1e2"`, `"1.23456"`,
    /// `".5"`, `"1."` and `"1_000"` are not.
    pub fn parse(text: &str) -> Result<Multiplier, MultiplierError> {
        let body = match text.strip_prefix('-') {
            Some(rest)
                if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit() || b == b'.') =>
            {
                return Err(MultiplierError::Negative);
            }
            Some(_) => return Err(MultiplierError::NotDecimal),
            None => text.strip_prefix('+').unwrap_or(text),
        };
        let (int, frac) = match body.split_once('.') {
            Some((i, f)) => (i, f),
            None => (body, ""),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(int) || (body.contains('.') && !digits(frac)) {
            return Err(MultiplierError::NotDecimal);
        }
        let frac = frac.trim_end_matches('0');
        if frac.len() > MULTIPLIER_PLACES as usize {
            return Err(MultiplierError::TooManyPlaces);
        }
        let int = int.trim_start_matches('0');
        if int.len() > 4 {
            return Err(MultiplierError::TooLarge);
        }
        let int_value: u64 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| MultiplierError::NotDecimal)?
        };
        let mut frac_value: u64 = 0;
        for (i, b) in frac.bytes().enumerate() {
            let place = MULTIPLIER_PLACES - 1 - i as u32;
            frac_value += u64::from(b - b'0') * 10u64.pow(place);
        }
        let value = int_value * MULTIPLIER_SCALE + frac_value;
        Multiplier::from_ten_thousandths(value).ok_or(MultiplierError::TooLarge)
    }
}

impl fmt::Display for Multiplier {
    /// Canonical text: no trailing zeros, no trailing point (`1.5`, `2`, `0.0125`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let int = self.0 / MULTIPLIER_SCALE;
        let frac = self.0 % MULTIPLIER_SCALE;
        if frac == 0 {
            return write!(f, "{int}");
        }
        let frac = format!("{frac:04}");
        write!(f, "{int}.{}", frac.trim_end_matches('0'))
    }
}

impl Serialize for Multiplier {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Multiplier {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Multiplier::parse(&text).map_err(|e| {
            serde::de::Error::custom(format!("multiplier {} {e}", crate::error::echo(&text)))
        })
    }
}

/// The one rounding rule a catalog declares, applied once per quote line to
/// the exact amount.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// Towards +∞ (ceiling): 4.01 → 5. A studio never undercharges.
    Up,
    /// Towards zero (floor): 4.99 → 4. A studio never overcharges.
    Down,
    /// To nearest, halves away from zero: 4.5 → 5.
    HalfUp,
    /// To nearest, halves to the even neighbour (banker's): 4.5 → 4, 5.5 → 6.
    HalfEven,
}

/// Written as its wire name ([`Rounding::as_str`]), so the browser build
/// carries one copy of the names.
impl Serialize for Rounding {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl Rounding {
    /// All rules, in declaration order.
    pub const ALL: [Rounding; 4] = [
        Rounding::Up,
        Rounding::Down,
        Rounding::HalfUp,
        Rounding::HalfEven,
    ];

    /// The rule's wire name (`"half_even"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Rounding::Up => "up",
            Rounding::Down => "down",
            Rounding::HalfUp => "half_up",
            Rounding::HalfEven => "half_even",
        }
    }

    /// Parses a wire name.
    pub fn from_name(name: &str) -> Option<Rounding> {
        Rounding::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// Rounds the exact non-negative rational `numerator / denominator` to an
    /// integer by this rule. Returns `None` when `denominator` is zero.
    pub fn apply(self, numerator: u128, denominator: u128) -> Option<u128> {
        if denominator == 0 {
            return None;
        }
        // 128-bit division is several times slower than 64-bit; most amounts fit.
        let (quotient, remainder) = match (u64::try_from(numerator), u64::try_from(denominator)) {
            (Ok(n), Ok(d)) => (u128::from(n / d), u128::from(n % d)),
            _ => (numerator / denominator, numerator % denominator),
        };
        if remainder == 0 {
            return Some(quotient);
        }
        // remainder < denominator, so denominator − remainder cannot underflow.
        let above_half = remainder > denominator - remainder;
        let exactly_half = remainder == denominator - remainder;
        let bump = match self {
            Rounding::Up => true,
            Rounding::Down => false,
            Rounding::HalfUp => above_half || exactly_half,
            Rounding::HalfEven => above_half || (exactly_half && quotient % 2 == 1),
        };
        if bump {
            quotient.checked_add(1)
        } else {
            Some(quotient)
        }
    }
}

impl fmt::Display for Rounding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Formats an amount of smallest units with `decimals` places: 1234 with 2
/// decimals is `"12.34"`; with 0 decimals it is `"1234"`.
pub fn format_amount(amount: u64, decimals: u8) -> String {
    format_scaled(u128::from(amount), u32::from(decimals), u32::from(decimals))
}

/// Formats `value / 10^scale` exactly, showing at least `min_places`
/// decimals and trimming further trailing zeros.
/// `value` in decimal digits, by repeated division: the rare amounts above
/// 2^64 only, without core's `u128` formatting (1.5 KB of the browser
/// build for this one use).
fn decimal(mut value: u128) -> String {
    let mut digits = Vec::new();
    loop {
        digits.push(b'0' + u8::try_from(value % 10).unwrap_or(0));
        value /= 10;
        if value == 0 {
            break;
        }
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

pub(crate) fn format_scaled(value: u128, scale: u32, min_places: u32) -> String {
    let mut text = match u64::try_from(value) {
        Ok(small) => small.to_string(),
        Err(_) => decimal(value),
    };
    let scale = scale as usize;
    if scale == 0 {
        return text;
    }
    if text.len() <= scale {
        let zeros = scale + 1 - text.len();
        text.insert_str(0, &"0".repeat(zeros));
    }
    let point = text.len() - scale;
    let keep = point + (min_places as usize).min(scale);
    let trimmed = text.trim_end_matches('0').len().max(keep);
    text.truncate(trimmed);
    if text.len() > point {
        text.insert(point, '.');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiplier_parses_exact_decimals() {
        assert_eq!(Multiplier::parse("1").unwrap().ten_thousandths(), 10_000);
        assert_eq!(Multiplier::parse("1.5").unwrap().ten_thousandths(), 15_000);
        assert_eq!(Multiplier::parse("0.0125").unwrap().ten_thousandths(), 125);
        assert_eq!(
            Multiplier::parse("2.50000").unwrap().ten_thousandths(),
            25_000
        );
        assert_eq!(Multiplier::parse("0").unwrap().ten_thousandths(), 0);
        assert_eq!(
            Multiplier::parse("1000").unwrap().ten_thousandths(),
            MAX_MULTIPLIER
        );
        assert_eq!(Multiplier::parse("+3").unwrap().ten_thousandths(), 30_000);
    }

    #[test]
    fn multiplier_rejects_inexact_or_malformed_text() {
        use MultiplierError::*;
        for (text, err) in [
            ("1.23456", TooManyPlaces),
            ("-1", Negative),
            ("-0.5", Negative),
            ("1e2", NotDecimal),
            ("inf", NotDecimal),
            ("nan", NotDecimal),
            (".5", NotDecimal),
            ("1.", NotDecimal),
            ("1_000", NotDecimal),
            ("", NotDecimal),
            // Found by mutation testing: a lone or non-numeric "-" is
            // not a negative number.
            ("-", NotDecimal),
            ("-x", NotDecimal),
            ("-1e2", NotDecimal),
            ("1000.0001", TooLarge),
            ("99999999999999999999999", TooLarge),
        ] {
            assert_eq!(Multiplier::parse(text), Err(err), "{text}");
        }
    }

    /// Found by mutation testing: a remainder below half that divides the
    /// denominator (3 of 9) is not a half; the rule names display as
    /// written in catalogs.
    #[test]
    fn rounding_tells_a_third_from_a_half_and_displays_its_name() {
        assert_eq!(Rounding::HalfUp.apply(3, 9), Some(0));
        assert_eq!(Rounding::HalfEven.apply(12, 9), Some(1));
        assert_eq!(Rounding::HalfUp.apply(1, 2), Some(1));
        assert_eq!(Rounding::HalfEven.apply(1, 2), Some(0));
        assert_eq!(Rounding::HalfEven.to_string(), "half_even");
        assert_eq!(Rounding::Up.to_string(), "up");
    }

    #[test]
    fn multiplier_displays_canonically() {
        for (text, canon) in [
            ("1.50", "1.5"),
            ("2.0", "2"),
            ("0.0125", "0.0125"),
            ("007", "7"),
        ] {
            assert_eq!(Multiplier::parse(text).unwrap().to_string(), canon);
        }
    }

    #[test]
    fn rounding_rules_on_halves_and_non_halves() {
        // 9/2 = 4.5, 11/2 = 5.5, 401/100 = 4.01, 499/100 = 4.99
        let cases = [
            (Rounding::Up, [5u128, 6, 5, 5]),
            (Rounding::Down, [4, 5, 4, 4]),
            (Rounding::HalfUp, [5, 6, 4, 5]),
            (Rounding::HalfEven, [4, 6, 4, 5]),
        ];
        for (rule, expect) in cases {
            let got = [
                rule.apply(9, 2).unwrap(),
                rule.apply(11, 2).unwrap(),
                rule.apply(401, 100).unwrap(),
                rule.apply(499, 100).unwrap(),
            ];
            assert_eq!(got, expect, "{rule}");
            assert_eq!(
                rule.apply(8, 2),
                Some(4),
                "exact values are untouched by {rule}"
            );
            assert_eq!(rule.apply(1, 0), None);
        }
    }

    /// Found by mutation testing: every tenth from 0.1 to 0.9 rounds by
    /// the half rules to the nearer integer (0.4 is below half although
    /// 4 × 4 > 10).
    #[test]
    fn rounding_by_halves_over_every_tenth() {
        // 0.1 … 0.9 by half_up, 0.1 … 0.9 by half_even, 1.1 … 1.9 by half_even.
        let half_up = [0u128, 0, 0, 0, 1, 1, 1, 1, 1];
        let half_even = [0u128, 0, 0, 0, 0, 1, 1, 1, 1];
        let half_even_above_one = [1u128, 1, 1, 1, 2, 2, 2, 2, 2];
        for (i, tenths) in (1..10u128).enumerate() {
            assert_eq!(
                Rounding::HalfUp.apply(tenths, 10),
                Some(half_up[i]),
                "{tenths}/10"
            );
            assert_eq!(
                Rounding::HalfEven.apply(tenths, 10),
                Some(half_even[i]),
                "{tenths}/10"
            );
            assert_eq!(
                Rounding::HalfEven.apply(10 + tenths, 10),
                Some(half_even_above_one[i]),
                "1{tenths}/10"
            );
        }
    }

    #[test]
    fn rounding_handles_extreme_values() {
        assert_eq!(Rounding::HalfUp.apply(u128::MAX, u128::MAX), Some(1));
        assert_eq!(Rounding::Up.apply(u128::MAX, 2), Some(u128::MAX / 2 + 1));
    }

    #[test]
    fn amounts_format_with_decimals() {
        assert_eq!(format_amount(1234, 2), "12.34");
        assert_eq!(format_amount(5, 2), "0.05");
        assert_eq!(format_amount(1234, 0), "1234");
        assert_eq!(format_scaled(15, 1, 0), "1.5");
        assert_eq!(format_scaled(150, 2, 0), "1.5");
        assert_eq!(format_scaled(100, 2, 0), "1");
        assert_eq!(format_scaled(0, 3, 0), "0");
        assert_eq!(format_scaled(0, 2, 2), "0.00");
        assert_eq!(format_scaled(5, 40, 0), format!("0.{}5", "0".repeat(39)));
        assert_eq!(format_scaled(u128::MAX, 0, 0), u128::MAX.to_string());
        assert_eq!(format_scaled(1200, 2, 1), "12.0");
    }
}
