//! The exact amount of a line, checked against a big-integer computation
//! (issue 9, item 6): extreme prices, quantities and multipliers, in any
//! option order. A line is `amount_overflow` exactly when its value does not
//! fit: the lowest-terms form `n / 10^e` has `n ≥ 2^128` or `e > 38`, or
//! the rounded amount is above 2^53 − 1. Otherwise it is priced, with the
//! declared rounding applied once to the exact value.
#![cfg(all(feature = "native", not(target_arch = "wasm32")))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use genprice::catalog::{OutputLimits, ProductOption, QuantityLimits};
use genprice::{
    Catalog, CatalogSpec, ErrorCode, MAX_AMOUNT, Meter, Multiplier, Product, Request, Rounding,
    Studio, WalletPolicy, quote,
};
use num_bigint::BigUint;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::json;
use std::collections::BTreeMap;

/// Amounts at and near the edges, and anything in between.
fn amount() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1),
        Just(MAX_AMOUNT),
        Just(MAX_AMOUNT - 1),
        Just(1 << 52),
        Just(5u64.pow(22)),
        Just(10u64.pow(15)),
        0u64..1_000,
        0..=MAX_AMOUNT,
    ]
}

/// Multipliers (in ten-thousandths) at and near the edges: 0, 0.0001, a
/// lone 2 or 5, 1, 1000, and anything in between.
fn multiplier() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1),
        Just(2),
        Just(5),
        Just(25),
        Just(16),
        Just(10_000),
        Just(15_000),
        Just(9_999_999),
        Just(10_000_000),
        0u64..=10_000_000,
    ]
}

/// One priced line: price, `per` exponent, seconds, outputs, resolution
/// multiplier, option multipliers, rounding.
#[derive(Debug, Clone)]
struct Case {
    price: u64,
    per_exp: u32,
    seconds: u64,
    outputs: u64,
    resolution: u64,
    options: Vec<u64>,
    rounding: Rounding,
}

fn case() -> impl Strategy<Value = Case> {
    (
        amount(),
        0u32..=6,
        amount(),
        prop_oneof![Just(1u64), 1u64..=1_000],
        multiplier(),
        proptest::collection::vec(multiplier(), 0..8),
        proptest::sample::select(Rounding::ALL.to_vec()),
    )
        .prop_map(
            |(price, per_exp, seconds, outputs, resolution, options, rounding)| Case {
                price,
                per_exp,
                seconds,
                outputs,
                resolution,
                options,
                rounding,
            },
        )
}

fn m(ten_thousandths: u64) -> Multiplier {
    Multiplier::from_ten_thousandths(ten_thousandths).unwrap()
}

/// A one-product catalog for `case`. Option `i` is named so that the
/// options sort in the given order, or in the reverse order.
fn catalog(case: &Case, reversed: bool) -> Catalog {
    let count = case.options.len();
    let options: BTreeMap<_, _> = case
        .options
        .iter()
        .enumerate()
        .map(|(i, &value)| {
            let rank = if reversed { count - i } else { i };
            let option = ProductOption {
                default: "v".into(),
                values: [("v".into(), m(value))].into(),
            };
            (format!("o{rank:02}").into(), option)
        })
        .collect();
    let spec = CatalogSpec {
        id: "exact".into(),
        version: "1".into(),
        unit: "credits".into(),
        unit_singular: None,
        decimals: 2,
        rounding: case.rounding,
        tiers: vec!["pro".into()],
        products: vec![Product {
            id: "video/x".into(),
            name: "X".into(),
            studio: Studio::Video,
            tier: "pro".into(),
            meter: Meter::Second,
            price: case.price,
            per: 10u64.pow(case.per_exp),
            minimum: 0,
            quantity: Some(QuantityLimits {
                min: 0,
                max: MAX_AMOUNT,
                default: None,
                step: 1,
            }),
            outputs: OutputLimits {
                max: 1_000,
                default: 1,
            },
            resolutions: [("r".into(), m(case.resolution))].into(),
            default_resolution: Some("r".into()),
            options,
        }],
        wallet: WalletPolicy::default(),
        currency: "USD".into(),
        resolutions: BTreeMap::new(),
        plans: vec![],
        packs: vec![],
        addons: vec![],
    };
    Catalog::new(spec).unwrap()
}

/// What the line must be: `(amount, exact text)`, or the error code.
fn expected(case: &Case) -> Result<(u64, String), ErrorCode> {
    let units = u128::from(case.seconds) * u128::from(case.outputs);
    if units > u128::from(MAX_AMOUNT) {
        return Err(ErrorCode::AmountOverflow);
    }
    let mut numerator = BigUint::from(case.price) * BigUint::from(units as u64);
    numerator *= BigUint::from(case.resolution);
    for &option in &case.options {
        numerator *= BigUint::from(option);
    }
    let mut exponent = case.per_exp + 4 * (1 + case.options.len() as u32);
    let ten = BigUint::from(10u32);
    let zero = BigUint::from(0u32);
    if numerator == zero {
        exponent = 0;
    }
    while exponent > 0 && (&numerator % &ten) == zero {
        numerator /= &ten;
        exponent -= 1;
    }
    if numerator.bits() > 128 || exponent > 38 {
        return Err(ErrorCode::AmountOverflow);
    }
    let denominator = ten.pow(exponent);
    let quotient = &numerator / &denominator;
    let twice_remainder = (&numerator % &denominator) * 2u32;
    let exact = twice_remainder == zero;
    let odd = (&quotient % 2u32) == BigUint::from(1u32);
    let bump = match case.rounding {
        Rounding::Up => !exact,
        Rounding::Down => false,
        Rounding::HalfUp => twice_remainder >= denominator,
        Rounding::HalfEven => {
            twice_remainder > denominator || (twice_remainder == denominator && odd)
        }
    };
    let rounded = if bump { quotient + 1u32 } else { quotient };
    let Ok(amount) = u64::try_from(rounded) else {
        return Err(ErrorCode::AmountOverflow);
    };
    if amount > MAX_AMOUNT {
        return Err(ErrorCode::AmountOverflow);
    }
    // The exact value as a decimal: the digits with a point `exponent`
    // places from the right.
    let digits = numerator.to_string();
    let exponent = exponent as usize;
    let text = if exponent == 0 {
        digits
    } else {
        let padded = format!("{digits:0>width$}", width = exponent + 1);
        let (int, frac) = padded.split_at(padded.len() - exponent);
        format!("{int}.{frac}")
    };
    Ok((amount, text))
}

fn priced(case: &Case, reversed: bool) -> Result<(u64, String), ErrorCode> {
    let request = Request::from_json_value(&json!({
        "product": "video/x",
        "seconds": case.seconds,
        "outputs": case.outputs,
    }))
    .unwrap();
    quote(&catalog(case, reversed), &request)
        .map(|q| (q.total, q.lines[0].exact.clone()))
        .map_err(|e| e.code)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2_000,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/exact_amount.proptest-regressions",
        ))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn exact_amounts_agree_with_big_integers_in_any_option_order(case in case()) {
        let want = expected(&case);
        prop_assert_eq!(priced(&case, false), want.clone());
        prop_assert_eq!(priced(&case, true), want);
    }
}

/// The catalog of issue 9: price 2^53 − 1 per second, 2^53 − 1 seconds, a
/// ×1000 resolution and a ×0 option is exactly 0, in either order.
#[test]
fn a_zero_option_after_a_huge_product_is_zero() {
    let case = Case {
        price: MAX_AMOUNT,
        per_exp: 0,
        seconds: MAX_AMOUNT,
        outputs: 1,
        resolution: 10_000_000,
        options: vec![0],
        rounding: Rounding::Up,
    };
    assert_eq!(expected(&case), Ok((0, "0".to_string())));
    assert_eq!(priced(&case, false), Ok((0, "0".to_string())));
    assert_eq!(priced(&case, true), Ok((0, "0".to_string())));
}
