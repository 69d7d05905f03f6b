//! ImagineArt (`examples/imagineart.toml`) replayed through the wallet:
//! three balances (100 free credits a day, a monthly subscription
//! allocation without rollover, never-expiring top-ups) spent in that
//! order; a subscription that ends while top-up credits remain.
//!
//! Daily refills are made when the user shows up that day (a server would
//! refill lazily on the first request of the day). Every expected number is
//! worked out by hand in the comments.
#![cfg(all(feature = "native", not(target_arch = "wasm32")))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use genprice::ErrorCode;
use genprice::plan::DenialCode;
use genprice::wallet::{GrantSource, HoldStatus, Wallet};

const IMAGINE_4: &str = r#"{"product":"image/imagine-1","outputs":4}"#;
const ULTRA: &str = r#"{"product":"image/imagen-ultra"}"#;
const ULTRA_2: &str = r#"{"product":"image/imagen-ultra","outputs":2}"#;
const KLING_5S: &str = r#"{"product":"video/kling-master"}"#;
const KLING_10S: &str = r#"{"product":"video/kling-master","seconds":10}"#;
const MOTION_5S: &str = r#"{"product":"video/imagine-motion","seconds":5}"#;
const MOTION_10S: &str = r#"{"product":"video/imagine-motion","seconds":10}"#;

/// The day's 100 free credits, valid that day only.
fn daily(w: &mut Wallet, n: i64, period: &str) {
    refill(w, "free-daily", period, (day(n), day(n + 1)), 1, at(n, 8));
}

#[test]
fn cost_depends_on_tool_model_settings_and_results() {
    let c = catalog("imagineart");
    assert_eq!(price(&c, ULTRA), 24); // a model at 24 credits per image
    assert_eq!(price(&c, ULTRA_2), 48); // 2 results × 24
    assert_eq!(price(&c, KLING_5S), 210); // a video model at 210 per video (5 s × 42)
    assert_eq!(price(&c, KLING_10S), 420); // 10 s × 42
    assert_eq!(price(&c, IMAGINE_4), 16); // 4 results × 4
    // quality hd ×2: 4 × 4 × 2 = 32
    let hd = r#"{"product":"image/imagine-1","outputs":4,"options":{"quality":"hd"}}"#;
    assert_eq!(price(&c, hd), 32);
    assert_eq!(price(&c, MOTION_5S), 50); // 5 s × 10
    assert_eq!(
        price(&c, r#"{"product":"edit/upscale","options":{"scale":"4x"}}"#),
        4
    ); // 2 × 2
    assert_eq!(price(&c, r#"{"product":"edit/background-remover"}"#), 1);
}

#[test]
fn pro_models_and_top_ups_need_a_subscription() {
    let c = catalog("imagineart");
    let free = c.plan("free").unwrap();
    assert_eq!(
        free.limits.tiers.as_deref(),
        Some(&["standard".to_string()][..])
    );
    assert!(free.packs.is_empty()); // top-ups only with a subscription
    for paid in ["basic", "standard", "professional"] {
        let plan = c.plan(paid).unwrap();
        assert_eq!(plan.limits.tiers, None, "{paid} allows every tier");
        assert_eq!(plan.packs, ["topup-1000", "topup-5000"]);
        assert_eq!(
            plan.grants,
            ["free-daily"],
            "{paid} keeps the daily credits"
        );
    }
    assert_eq!(c.spec().wallet.allowance("free-daily").unwrap().amount, 100);
    assert_eq!(
        c.spec().wallet.burn_order,
        [GrantSource::Daily, GrantSource::Monthly, GrantSource::Topup]
    );
}

#[test]
fn a_month_with_three_balances() {
    let c = catalog("imagineart");
    let mut w = wallet(&c);

    // Day 0 (free plan): 100 free credits.
    daily(&mut w, 0, "2026-11-01");
    assert_eq!(generate(&mut w, &c, "g1", IMAGINE_4, at(0, 10)), 16); // 100 − 16 = 84
    assert_eq!(generate(&mut w, &c, "g2", MOTION_5S, at(0, 12)), 50); // 84 − 50 = 34
    assert_eq!(by_source(&w, at(0, 12) + 120_000), [("daily", 34)]);

    // A Pro model is denied on the free plan although 34 ≥ 24 credits are
    // there; the cheapest plan that allows it is Basic ($9 a month).
    let (verdict, credits) = check_on(&c, ULTRA, "free", 34);
    assert!(!verdict.allowed);
    assert_eq!(verdict.denials.len(), 1);
    assert_eq!(verdict.denials[0].code, DenialCode::TierNotInPlan);
    assert_eq!(verdict.denials[0].requested, "pro");
    assert_eq!(verdict.upgrade.as_ref().unwrap().id, "basic");
    assert!(credits.enough);

    // A second 5 s video is blocked: 50 asked, 34 there, 16 short.
    let e = start(&mut w, &c, "g3", MOTION_5S, at(0, 13)).unwrap_err();
    assert_eq!(e.code, ErrorCode::InsufficientCredits);
    assert_eq!(
        (e.requested, e.available, e.shortfall),
        (Some(50), Some(34), Some(16))
    );
    // The answer: no top-ups on the free plan; every paid plan covers it,
    // cheapest first.
    let (verdict, credits) = check_on(&c, MOTION_5S, "free", 34);
    assert!(verdict.allowed);
    assert_eq!((credits.enough, credits.shortfall), (false, 16));
    assert!(credits.packs.is_empty());
    assert_eq!(
        plan_ids(&credits.plans),
        ["basic", "standard", "professional"]
    );
    // Basic at the start of a cycle: a day's 100 + the month's 1,000.
    assert_eq!(credits.plans[0].billing[0].credits, 1100);

    // Day 1: yesterday's 34 are gone (no rollover of daily credits), 100 new.
    daily(&mut w, 1, "2026-11-02");
    assert_eq!(by_source(&w, at(1, 8)), [("daily", 100)]);
    assert_eq!(balance(&w, at(1, 8)).expired, 34);

    // The user subscribes to Standard: 3,000 credits for the cycle day 1 →
    // day 31, and buys a 1,000-credit top-up, which never expires.
    refill(
        &mut w,
        "standard-monthly",
        "2026-11-02",
        (day(1), day(31)),
        1,
        at(1, 9),
    );
    assert_eq!(
        buy_pack(&mut w, &c, "topup/1", "topup-1000", None, at(1, 10)),
        1000
    );
    assert_eq!(
        by_source(&w, at(1, 10)),
        [("daily", 100), ("monthly", 3000), ("topup", 1000)]
    );

    // A 210-credit video: free daily first (100), then subscription (110).
    let p = w.preview(210, at(1, 11)).unwrap();
    let sources: Vec<(GrantSource, u64)> = p.sources.iter().map(|s| (s.source, s.amount)).collect();
    assert_eq!(
        sources,
        [(GrantSource::Daily, 100), (GrantSource::Monthly, 110)]
    );
    assert_eq!(generate(&mut w, &c, "g4", KLING_5S, at(1, 11)), 210);
    assert_eq!(
        by_source(&w, at(1, 12)),
        [("daily", 0), ("monthly", 2890), ("topup", 1000)]
    );

    // Two Pro images (48) fail: the hold is released, nothing is charged.
    assert_eq!(start(&mut w, &c, "g5", ULTRA_2, at(1, 13)), Ok(48));
    assert_eq!(balance(&w, at(1, 13)).held, 48);
    w.release("g5", at(1, 13) + 30_000).unwrap();
    assert_eq!(w.hold_state("g5").unwrap().status, HoldStatus::Released);
    assert_eq!(available(&w, at(1, 14)), 3890); // 2,890 + 1,000

    // One Pro image succeeds: 2,890 − 24 = 2,866.
    generate(&mut w, &c, "g6", ULTRA, at(1, 14));

    // Day 2: a 10 s video (420): the day's 100, then 320 of the
    // subscription: 2,866 − 320 = 2,546.
    daily(&mut w, 2, "2026-11-03");
    generate(&mut w, &c, "g7", KLING_10S, at(2, 9));
    assert_eq!(
        by_source(&w, at(2, 10)),
        [("daily", 0), ("monthly", 2546), ("topup", 1000)]
    );

    // Day 20: six 10 s videos (6 × 420 = 2,520): 100 daily, 2,420 of the
    // subscription: 2,546 − 2,420 = 126 left; the top-up untouched.
    daily(&mut w, 20, "2026-11-21");
    let six = format!(r#"{{"items":[{}]}}"#, [KLING_10S; 6].join(","));
    assert_eq!(generate(&mut w, &c, "g8", &six, at(20, 9)), 2520);
    assert_eq!(
        by_source(&w, at(20, 10)),
        [("daily", 0), ("monthly", 126), ("topup", 1000)]
    );

    // Three more 10 s videos (1,260) would be 134 short of 126 + 1,000: the
    // Standard subscriber is offered top-ups (one pack of 1,000 for $10, or
    // one of 5,000 for $45) and the upgrades that cover it: Professional
    // only. Basic would cover too (a fresh cycle's 1,100 + 1,126 ≥ 1,260)
    // but is cheaper than Standard: a switch down, not an upgrade.
    let three = format!(r#"{{"items":[{}]}}"#, [KLING_10S; 3].join(","));
    let (verdict, credits) = check_on(&c, &three, "standard", 1126);
    assert!(verdict.allowed);
    assert_eq!((credits.estimate, credits.shortfall), (1260, 134));
    assert_eq!(
        pack_totals(&credits.packs),
        [("topup-1000", 1, 1000), ("topup-5000", 1, 4500)]
    );
    assert_eq!(plan_ids(&credits.plans), ["professional"]);

    // Day 25: the user cancels; the subscription runs to day 31 and is not
    // renewed (no refill). Day 31: the unused 126 do not roll over; the
    // top-up stays. Back on the free plan, the daily credits continue.
    daily(&mut w, 31, "2026-12-02");
    assert_eq!(
        by_source(&w, at(31, 8)),
        [("daily", 100), ("monthly", 0), ("topup", 1000)]
    );
    assert_eq!(balance(&w, at(31, 8)).expired, 160); // 34 + 126

    // Top-up credits stay spendable on what the free plan allows: a 10 s
    // video (100) from the day's credits, then a 5 s one (50) from the top-up.
    // A Pro model is denied again, top-up credits or not.
    let (verdict, credits) = check_on(&c, ULTRA, "free", 1100);
    assert_eq!(verdict.denials[0].code, DenialCode::TierNotInPlan);
    assert_eq!(verdict.upgrade.as_ref().unwrap().id, "basic");
    assert!(credits.enough);
    generate(&mut w, &c, "g9", MOTION_10S, at(31, 9));
    generate(&mut w, &c, "g10", MOTION_5S, at(31, 10));
    assert_eq!(
        by_source(&w, at(31, 11)),
        [("daily", 0), ("monthly", 0), ("topup", 950)]
    );
    let b = balance(&w, at(31, 11));
    // granted: 5 days × 100 + 3,000 + 1,000 = 4,500
    // spent: 16 + 50 + 210 + 24 + 420 + 2,520 + 100 + 50 = 3,390
    // expired: 160; available: 4,500 − 3,390 − 160 = 950
    assert_eq!(
        (b.granted, b.spent, b.expired, b.available),
        (4500, 3390, 160, 950)
    );
    assert_eq!(b.next_expiry, None); // top-ups never expire
    check_ledger(&w, at(31, 11));
}
