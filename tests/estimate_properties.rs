//! Property tests of the estimator (proptest): credits grow with counts,
//! the buffer never lowers the need, the recommendation covers the need
//! and is allowed, and no usage (however large or malformed) panics.
#![cfg(all(feature = "native", not(target_arch = "wasm32")))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use genprice::plan::estimate::{Estimate, Usage, estimate};
use genprice::{Catalog, ErrorCode, MAX_AMOUNT};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{Value, json};
use std::sync::LazyLock;

static CATALOG: LazyLock<Catalog> =
    LazyLock::new(|| Catalog::from_toml(include_str!("../pricing.toml"), "pricing.toml").unwrap());

/// Requests that price with pricing.toml, from free to the dearest, some
/// denied by some plans.
fn request() -> impl Strategy<Value = Value> {
    proptest::sample::select(vec![
        json!({"product": "image/sdxl-lite"}),
        json!({"product": "image/flux-schnell"}),
        json!({"product": "image/flux-schnell", "outputs": 4, "resolution": "2k"}),
        json!({"product": "image/flux-pro", "resolution": "4k", "options": {"quality": "high"}}),
        json!({"product": "image/imagen-ultra", "outputs": 2}),
        json!({"product": "video/wan-fast", "seconds": 5}),
        json!({"product": "video/wan-fast", "seconds": 10, "resolution": "1080p"}),
        json!({"product": "video/kling-2", "seconds": 10, "options": {"fps": 60}}),
        json!({"product": "video/veo-3", "resolution": "4k", "options": {"audio": "on"}}),
        json!({"product": "music/lyria-2", "seconds": 60}),
        json!({"product": "voice/narrator", "characters": 800}),
        json!({"product": "text/draft", "tokens": 1200}),
        json!({"product": "edit/upscale", "megapixels": 8}),
        json!({"items": [{"product": "image/flux-pro", "outputs": 2}, {"product": "video/veo-3", "seconds": 5}]}),
    ])
}

fn count() -> impl Strategy<Value = u64> {
    prop_oneof![
        10 => 0u64..50,
        4 => 0u64..100_000,
        1 => 0u64..=MAX_AMOUNT,
        1 => Just(MAX_AMOUNT),
    ]
}

fn line() -> impl Strategy<Value = Value> {
    (
        request(),
        prop_oneof![Just("day"), Just("week"), Just("month")],
        count(),
        proptest::option::of(1u64..=31),
    )
        .prop_map(|(request, per, count, workdays)| {
            let mut line = json!({"request": request, "per": per, "count": count});
            if per == "day"
                && let Some(days) = workdays
            {
                line["workdays"] = json!(days);
            }
            line
        })
}

fn mix() -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(line(), 0..5),
        proptest::option::of(0u64..=1000),
        proptest::option::of(1u64..=60),
    )
        .prop_map(|(lines, buffer, seats)| {
            let mut mix = json!({ "usage": lines });
            if let Some(b) = buffer {
                mix["bufferPercent"] = json!(b);
            }
            if let Some(s) = seats {
                mix["seats"] = json!(s);
            }
            mix
        })
}

fn run(mix: &Value) -> Result<Estimate, ErrorCode> {
    let usage = Usage::from_json_value(mix).map_err(|e| e.code)?;
    estimate(&CATALOG, &usage).map_err(|e| e.code)
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/estimate_properties.proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

/// Hostile JSON: any shape, with the estimator's field names.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        proptest::sample::select(vec!["day", "week", "month", "year", "image/flux-schnell"])
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                proptest::sample::select(vec![
                    "usage",
                    "bufferPercent",
                    "seats",
                    "request",
                    "per",
                    "count",
                    "workdays",
                    "product",
                    "items",
                    "other",
                ])
                .prop_map(String::from),
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn the_need_is_the_exact_sum_plus_the_buffer(mix in mix()) {
        match run(&mix) {
            Ok(e) => {
                let sum: u64 = e.lines.iter().map(|l| l.credits_per_month).sum();
                prop_assert_eq!(e.credits_per_month, sum);
                for l in &e.lines {
                    prop_assert_eq!(l.credits_per_month, l.items_per_month * l.credits_per_item);
                }
                let need = (u128::from(e.credits_per_month) * u128::from(100 + e.buffer_percent))
                    .div_ceil(100);
                prop_assert_eq!(u128::from(e.credits_needed), need);
                prop_assert!(e.credits_needed >= e.credits_per_month);
                prop_assert!(e.credits_needed <= MAX_AMOUNT);
            }
            // Only huge counts fail: every request here prices.
            Err(code) => prop_assert_eq!(code, ErrorCode::AmountOverflow),
        }
    }

    #[test]
    fn the_recommendation_is_allowed_covers_and_is_cheapest(mix in mix()) {
        let Ok(e) = run(&mix) else { return Ok(()) };
        for o in &e.options {
            let extra: u64 = o.extras.iter().map(|x| x.quantity * x.credits).sum();
            if o.covers {
                prop_assert_eq!(o.uncovered_credits, 0);
                prop_assert_eq!(o.usable_credits, e.credits_needed);
            } else {
                prop_assert_eq!(o.usable_credits + o.uncovered_credits, e.credits_needed);
            }
            prop_assert!(o.usable_credits <= o.credits_provided);
            // What is provided (grants and extras) is used, carried or wasted.
            prop_assert_eq!(
                o.credits_provided,
                o.usable_credits + o.carried_credits + o.wasted_credits
            );
            let granted: u64 = o.grants.iter().map(|g| g.credits_per_month).sum();
            prop_assert_eq!(o.credits_provided, granted + extra);
            prop_assert_eq!(o.allowed, o.denials.is_empty());
            prop_assert_eq!(o.price_per_month, o.price_per_year.div_ceil(12));
        }
        match &e.recommendation {
            Some(r) if !r.custom => {
                let o = &e.options[r.option.unwrap()];
                prop_assert!(o.allowed && o.covers);
                prop_assert_eq!(Some(o.price_per_year), r.price_per_year);
                for other in e.options.iter().filter(|o| o.allowed && o.covers) {
                    prop_assert!(o.price_per_year <= other.price_per_year);
                }
            }
            Some(_) => prop_assert!(!e.options.iter().any(|o| o.allowed && o.covers)),
            None => {
                prop_assert!(e.reason.is_some());
                prop_assert!(!e.options.iter().any(|o| o.allowed && o.covers));
            }
        }
    }

    #[test]
    fn credits_grow_with_the_count(mix in mix(), index in any::<prop::sample::Index>(), more in 0u64..1000) {
        let lines = mix["usage"].as_array().unwrap();
        if lines.is_empty() {
            return Ok(());
        }
        let i = index.index(lines.len());
        let mut bigger = mix.clone();
        let count = bigger["usage"][i]["count"].as_u64().unwrap();
        bigger["usage"][i]["count"] = json!(count.saturating_add(more).min(MAX_AMOUNT));
        match (run(&mix), run(&bigger)) {
            (Ok(a), Ok(b)) => {
                prop_assert!(b.credits_per_month >= a.credits_per_month);
                prop_assert!(b.credits_needed >= a.credits_needed);
                prop_assert!(b.lines[i].items_per_month >= a.lines[i].items_per_month);
            }
            (Ok(_), Err(code)) | (Err(code), Err(_)) => {
                prop_assert_eq!(code, ErrorCode::AmountOverflow);
            }
            (Err(code), Ok(_)) => prop_assert!(false, "smaller count failed with {:?}", code),
        }
    }

    #[test]
    fn hostile_usage_never_panics(value in any_json()) {
        let _ = run(&value);
        let _ = run(&json!({ "usage": [value.clone()] }));
        let _ = run(&json!([{ "request": value, "per": "day", "count": 1 }]));
    }
}
