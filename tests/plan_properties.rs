//! Property tests of the plan answers (proptest), over `pricing.toml` and
//! the four reference catalogs: random valid requests, every plan, random
//! balances.
//!
//! * `plan_answers_never_change_the_price`: a quote with a plan and a
//!   balance has exactly the lines and total of the plain quote.
//! * `an_offered_upgrade_allows_the_request`: denied → the upgrade (if any)
//!   is listed, not free, not the current plan, and allows every item;
//!   allowed → no denials and no upgrade.
//! * `the_credits_answer_adds_up`: shortfall = max(0, total − balance);
//!   enough ⇔ no shortfall; every pack offered is one the plan may buy, and
//!   its quantity is the fewest packs that cover the shortfall; every plan
//!   offered allows the request, is dearer per year than the current plan,
//!   and each of its billing options covers the estimate with the balance.
#![cfg(all(feature = "native", not(target_arch = "wasm32")))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use genprice::plan::{QuoteOptions, denials, quote_for};
use genprice::{Catalog, Meter, Request, quote};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::sync::LazyLock;

static CATALOGS: LazyLock<Vec<Catalog>> = LazyLock::new(|| {
    [
        "pricing.toml",
        "examples/prismposter.toml",
        "examples/preprompt.toml",
        "examples/aistudios.toml",
        "examples/imagineart.toml",
    ]
    .iter()
    .map(|f| {
        Catalog::from_toml(
            &std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(f))
                .unwrap(),
            f,
        )
        .unwrap()
    })
    .collect()
});

/// A valid item of `catalog`, built from seeds: product, quantity, outputs,
/// resolution and option values all within the product's own limits.
fn item(catalog: &Catalog, seeds: &[u64; 6]) -> Value {
    let products = catalog.products();
    let p = &products[(seeds[0] as usize) % products.len()];
    let mut req = Map::new();
    req.insert("product".into(), json!(p.id.as_ref()));
    if let (Some(q), Some(field)) = (&p.quantity, p.meter.quantity_field()) {
        let steps = ((q.max - q.min) / q.step).min(50) + 1;
        req.insert(field.into(), json!(q.min + q.step * (seeds[1] % steps)));
    }
    if p.meter == Meter::Image || p.outputs.max > 1 {
        req.insert("outputs".into(), json!(1 + seeds[2] % p.outputs.max));
    }
    if !p.resolutions.is_empty() {
        let names: Vec<_> = p.resolutions.keys().collect();
        req.insert(
            "resolution".into(),
            json!(names[(seeds[3] as usize) % names.len()].as_ref()),
        );
    }
    if !p.options.is_empty() {
        let mut options = Map::new();
        for (k, (name, option)) in p.options.iter().enumerate() {
            let values: Vec<_> = option.values.keys().collect();
            let pick = (seeds[4] >> (k * 3)) as usize % values.len();
            options.insert(name.to_string(), json!(values[pick].as_ref()));
        }
        req.insert("options".into(), Value::Object(options));
    }
    Value::Object(req)
}

fn yearly(catalog: &Catalog, plan: &str) -> u64 {
    let p = catalog.plan(plan).unwrap();
    let seats = if p.seats.is_some() {
        p.default_seats()
    } else {
        1
    };
    p.billing
        .iter()
        .map(|b| b.price * seats * (12 / b.cycle.months()))
        .min()
        .unwrap_or(0)
}

fn case() -> impl Strategy<Value = (usize, Vec<[u64; 6]>, usize, u64)> {
    (
        0usize..5,
        prop::collection::vec(any::<[u64; 6]>(), 1..4),
        0usize..8,
        prop_oneof![Just(0u64), 0u64..50, 0u64..5_000, 0u64..100_000],
    )
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 1500,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn plan_answers_never_change_the_price((c, seeds, plan, balance) in case()) {
        let catalog = &CATALOGS[c];
        let items: Vec<Value> = seeds.iter().map(|s| item(catalog, s)).collect();
        let request = Request::from_json_value(&json!({ "items": items })).unwrap();
        let plain = quote(catalog, &request).unwrap();
        let plans = &catalog.spec().plans;
        let options = QuoteOptions { plan: Some(plans[plan % plans.len()].id.clone()), balance: Some(balance) };
        let full = quote_for(catalog, &request, &options).unwrap();
        prop_assert_eq!(full.total, plain.total);
        prop_assert_eq!(&full.lines, &plain.lines);
    }

    #[test]
    fn an_offered_upgrade_allows_the_request((c, seeds, plan, _b) in case()) {
        let catalog = &CATALOGS[c];
        let items: Vec<Value> = seeds.iter().map(|s| item(catalog, s)).collect();
        let request = Request::from_json_value(&json!({ "items": items })).unwrap();
        let plans = &catalog.spec().plans;
        let current = &plans[plan % plans.len()];
        let options = QuoteOptions { plan: Some(current.id.clone()), balance: None };
        let q = quote_for(catalog, &request, &options).unwrap();
        let verdict = q.entitlement.clone().unwrap();
        prop_assert_eq!(verdict.allowed, verdict.denials.is_empty());
        if verdict.allowed {
            prop_assert!(verdict.upgrade.is_none());
        }
        if let Some(offer) = &verdict.upgrade {
            let up = catalog.plan(&offer.id).unwrap();
            prop_assert!(up.listed && !up.is_free() && up.id != current.id);
            prop_assert!(denials(catalog, up, &q, &request).is_empty());
            let again = quote_for(catalog, &request, &QuoteOptions { plan: Some(up.id.clone()), balance: None }).unwrap();
            prop_assert!(again.entitlement.unwrap().allowed);
        }
    }

    #[test]
    fn the_credits_answer_adds_up((c, seeds, plan, balance) in case()) {
        let catalog = &CATALOGS[c];
        let items: Vec<Value> = seeds.iter().map(|s| item(catalog, s)).collect();
        let request = Request::from_json_value(&json!({ "items": items })).unwrap();
        let plans = &catalog.spec().plans;
        let current = &plans[plan % plans.len()];
        let options = QuoteOptions { plan: Some(current.id.clone()), balance: Some(balance) };
        let q = quote_for(catalog, &request, &options).unwrap();
        let credits = q.credits.clone().unwrap();
        prop_assert_eq!(credits.shortfall, q.total.saturating_sub(balance));
        prop_assert_eq!(credits.enough, credits.shortfall == 0);
        if credits.enough {
            prop_assert!(credits.packs.is_empty() && credits.plans.is_empty());
        }
        for pack in &credits.packs {
            prop_assert!(current.packs.contains(&pack.id));
            prop_assert!(pack.quantity * pack.credits >= credits.shortfall);
            prop_assert!((pack.quantity - 1) * pack.credits < credits.shortfall);
            prop_assert_eq!(pack.total, pack.quantity * pack.price);
        }
        for offer in &credits.plans {
            let p = catalog.plan(&offer.id).unwrap();
            prop_assert!(p.listed && !p.custom && !p.is_free() && p.id != current.id);
            prop_assert!(yearly(catalog, &p.id) > yearly(catalog, &current.id));
            prop_assert!(denials(catalog, p, &q, &request).is_empty());
            prop_assert!(!offer.billing.is_empty());
            for b in &offer.billing {
                prop_assert!(b.credits + balance >= q.total);
            }
        }
    }
}

/// The generator reaches the interesting answers, so the properties above
/// are not vacuous: denials with and without an upgrade, shortfalls with
/// packs and with plans offered.
#[test]
fn the_generated_cases_reach_denials_upgrades_packs_and_plans() {
    let (mut denied, mut upgraded, mut with_packs, mut with_plans, mut total) = (0, 0, 0, 0, 0);
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        state >> 11
    };
    for c in 0..CATALOGS.len() {
        let catalog = &CATALOGS[c];
        for plan in &catalog.spec().plans {
            for _ in 0..60 {
                let seeds = [next(), next(), next(), next(), next(), next()];
                let request = Request::from_json_value(&item(catalog, &seeds)).unwrap();
                let balance = next() % 200;
                let options = QuoteOptions {
                    plan: Some(plan.id.clone()),
                    balance: Some(balance),
                };
                let q = quote_for(catalog, &request, &options).unwrap();
                let verdict = q.entitlement.unwrap();
                let credits = q.credits.unwrap();
                total += 1;
                denied += usize::from(!verdict.allowed);
                upgraded += usize::from(verdict.upgrade.is_some());
                with_packs += usize::from(!credits.packs.is_empty());
                with_plans += usize::from(!credits.plans.is_empty());
            }
        }
    }
    println!(
        "{total} cases: {denied} denied, {upgraded} upgrades, {with_packs} with packs, {with_plans} with plans"
    );
    assert!(
        denied * 10 > total && upgraded * 20 > total,
        "{denied} denied, {upgraded} upgrades of {total}"
    );
    assert!(
        with_packs * 20 > total && with_plans * 20 > total,
        "{with_packs} packs, {with_plans} plans of {total}"
    );
}
