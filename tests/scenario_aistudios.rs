//! AI Studios (`examples/aistudios.toml`) replayed through the wallet:
//! per-image and per-second prices, a free basic model, Free → Personal
//! with an add-on unit, no rollover at the cycle, a cancellation that keeps
//! the period, and an annual Team plan granted up front.
//!
//! Every expected number is worked out by hand in the comments.
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
use genprice::wallet::{GrantSource, HoldStatus};

const PREMIUM_10S: &str = r#"{"product":"video/premium","seconds":10}"#;
const PREMIUM_5S: &str = r#"{"product":"video/premium","seconds":5}"#;
const BASIC_10S: &str = r#"{"product":"video/basic","seconds":10}"#;
const IMAGE: &str = r#"{"product":"image/ai-image"}"#;

#[test]
fn images_cost_one_credit_video_one_per_second_and_the_basic_model_nothing() {
    let c = catalog("aistudios");
    assert_eq!(price(&c, PREMIUM_10S), 10); // 1 credit × 10 s
    assert_eq!(price(&c, PREMIUM_5S), 5); // 1 credit × 5 s
    assert_eq!(price(&c, r#"{"product":"video/premium"}"#), 5); // default clip: 5 s
    assert_eq!(price(&c, IMAGE), 1); // 1 credit per image
    assert_eq!(price(&c, r#"{"product":"image/ai-image","outputs":4}"#), 4);
    assert_eq!(price(&c, BASIC_10S), 0); // the basic model is free
    // A scene: two 10 s clips, a 5 s clip and 2 images = 10 + 10 + 5 + 2.
    let scene = r#"{"items":[{"product":"video/premium","seconds":10},
        {"product":"video/premium","seconds":10},{"product":"video/premium","seconds":5},
        {"product":"image/ai-image","outputs":2},{"product":"video/basic","seconds":10}]}"#;
    assert_eq!(price(&c, scene), 27);
    // Clips are 5 s or 10 s: 7 s is refused, as are 0 and 15.
    for seconds in [7, 0, 15] {
        let request = format!(r#"{{"product":"video/premium","seconds":{seconds}}}"#);
        let error =
            genprice::quote(&c, &genprice::Request::from_json_str(&request).unwrap()).unwrap_err();
        assert_eq!(
            error.code,
            genprice::ErrorCode::DurationOutOfRange,
            "{seconds} s"
        );
    }
}

#[test]
fn plans_grants_and_add_ons_are_as_published() {
    let c = catalog("aistudios");
    let amount = |id: &str| c.spec().wallet.allowance(id).unwrap().amount;
    assert_eq!(amount("free-monthly"), 16);
    assert_eq!(amount("personal-monthly"), 60);
    assert_eq!(amount("personal-annual"), 720); // 12 × 60, up front
    assert_eq!(amount("team-monthly"), 150); // per seat
    assert_eq!(amount("team-annual"), 1800); // per seat, 12 × 150
    assert!(c.plan("enterprise").unwrap().custom);

    // Add-on units: Personal 60 credits for $10, Team 200 for $30.
    let personal = c.addon("personal-units").unwrap();
    assert_eq!((amount(&personal.allowance), personal.price), (60, 1000));
    let team = c.addon("team-units").unwrap();
    assert_eq!((amount(&team.allowance), team.price), (200, 3000));
    // They need an active subscription: only paid plans may buy them.
    assert!(c.plan("free").unwrap().addons.is_empty());
    assert_eq!(c.plan("personal").unwrap().addons, ["personal-units"]);
    assert_eq!(c.plan("team").unwrap().addons, ["team-units"]);
}

#[test]
fn annual_team_plan_with_three_seats_grants_a_year_up_front() {
    let c = catalog("aistudios");
    let mut w = wallet(&c);
    let year = (day(0), day(365));
    // 1,800 per seat per year × 3 seats = 5,400, all on day 0.
    let r = refill(&mut w, "team-annual", "2026-11-01", year, 3, at(0, 9));
    assert_eq!(r.entry.kind(), "refill");
    assert_eq!(by_source(&w, at(0, 9)), [("annual", 5400)]);
    let b = balance(&w, at(0, 9));
    let next = b.next_expiry.unwrap();
    assert_eq!((next.at, next.amount), (day(365), 5400)); // no rollover

    // Two Team add-on units for November: 2 × 200 = 400, ending with the month.
    refill(
        &mut w,
        "team-addon",
        "2026-11",
        (day(0), day(30)),
        2,
        at(0, 9),
    );
    assert_eq!(by_source(&w, at(0, 9)), [("annual", 5400), ("addon", 400)]);

    // Soonest expiry first: a 10 s clip comes out of the add-on units
    // (ending on day 30), not the year's credits (ending on day 365).
    generate(&mut w, &c, "team-1", PREMIUM_10S, at(1, 9));
    assert_eq!(by_source(&w, at(1, 10)), [("annual", 5400), ("addon", 390)]);

    // On day 30 the 390 unused add-on credits expire; the year's stay.
    assert_eq!(by_source(&w, day(30)), [("annual", 5400), ("addon", 0)]);
    assert_eq!(balance(&w, day(30)).expired, 390);

    // The same team billed monthly: 150 × 3 seats = 450 for the month.
    let mut monthly = wallet(&c);
    refill(
        &mut monthly,
        "team-monthly",
        "2026-11",
        (day(0), day(30)),
        3,
        day(0),
    );
    assert_eq!(by_source(&monthly, day(0)), [("seat", 450)]);
    check_ledger(&w, day(30));
}

#[test]
fn a_personal_subscriber_over_two_cycles() {
    let c = catalog("aistudios");
    let mut w = wallet(&c);

    // Day 0: a new Free user gets November's 16 credits.
    refill(
        &mut w,
        "free-monthly",
        "2026-11",
        (day(0), day(30)),
        1,
        at(0, 9),
    );
    assert_eq!(by_source(&w, at(0, 9)), [("monthly", 16)]);

    // Day 1: a premium 10 s clip: 16 − 10 = 6.
    assert_eq!(generate(&mut w, &c, "gen-1", PREMIUM_10S, at(1, 9)), 10);
    assert_eq!(available(&w, at(1, 10)), 6);

    // Day 2: another 10 s clip is blocked: 10 asked, 6 there, 4 short.
    let e = start(&mut w, &c, "gen-2", PREMIUM_10S, at(2, 9)).unwrap_err();
    assert_eq!(e.code, ErrorCode::InsufficientCredits);
    assert_eq!(
        (e.requested, e.available, e.shortfall),
        (Some(10), Some(6), Some(4))
    );
    assert_eq!(available(&w, at(2, 9)), 6); // the refusal took nothing
    // The upgrade answer: Free allows the clip but has no packs (add-ons
    // need a subscription); the plans whose first cycle covers 10 − 6,
    // cheapest per year first: Personal (annual $288 < 12 × $29 = $348),
    // then Team at 2 seats (annual 2 × $588). Enterprise is by contract.
    let (verdict, credits) = check_on(&c, PREMIUM_10S, "free", 6);
    assert!(verdict.allowed);
    assert!(!credits.enough);
    assert_eq!(
        (credits.balance, credits.estimate, credits.shortfall),
        (6, 10, 4)
    );
    assert!(credits.packs.is_empty());
    assert_eq!(plan_ids(&credits.plans), ["personal", "team"]);
    let personal: Vec<(u64, u64)> = credits.plans[0]
        .billing
        .iter()
        .map(|b| (b.price_per_year, b.credits))
        .collect();
    assert_eq!(personal, [(28800, 720), (34800, 60)]);
    let team = &credits.plans[1];
    assert_eq!((team.seats, team.billing[0].credits), (2, 3600)); // 2 × 1,800

    // The user subscribes to Personal (monthly) on day 2, cycle day 2 → day
    // 32, and buys one add-on unit for the same cycle.
    let cycle1 = (day(2), day(32));
    refill(
        &mut w,
        "personal-monthly",
        "2026-11-02",
        cycle1,
        1,
        at(2, 10),
    );
    refill(&mut w, "personal-addon", "2026-11-02", cycle1, 1, at(2, 10));
    // monthly: 6 (free, to day 30) + 60 (Personal) = 66; addon: 60.
    assert_eq!(by_source(&w, at(2, 10)), [("monthly", 66), ("addon", 60)]);

    // The retried clip: the free credits first (they end sooner), 6, then 4
    // of Personal's. Monthly 66 − 10 = 56.
    let preview = w.preview(10, at(2, 11)).unwrap();
    let drawn: Vec<(&str, u64)> = preview
        .allocations
        .iter()
        .map(|a| (a.grant.as_str(), a.amount))
        .collect();
    assert_eq!(
        drawn,
        [
            ("free-monthly/2026-11", 6),
            ("personal-monthly/2026-11-02", 4)
        ]
    );
    generate(&mut w, &c, "gen-2b", PREMIUM_10S, at(2, 11));
    assert_eq!(by_source(&w, at(2, 12)), [("monthly", 56), ("addon", 60)]);

    // Day 5: 3 images (3 credits) are held, the generation fails, the hold
    // is released: nothing charged, 56 again.
    assert_eq!(
        start(
            &mut w,
            &c,
            "gen-3",
            r#"{"product":"image/ai-image","outputs":3}"#,
            at(5, 9)
        ),
        Ok(3)
    );
    let b = balance(&w, at(5, 9));
    assert_eq!((b.available, b.held), (113, 3)); // 116 − 3 held
    w.release("gen-3", at(5, 9) + 120_000).unwrap();
    assert_eq!(w.hold_state("gen-3").unwrap().status, HoldStatus::Released);
    let b = balance(&w, at(5, 10));
    assert_eq!((b.available, b.held, b.spent), (116, 0, 20)); // spent: 10 + 10

    // Day 6: the basic model holds and charges nothing.
    assert_eq!(generate(&mut w, &c, "gen-4", BASIC_10S, at(6, 9)), 0);
    assert_eq!(available(&w, at(6, 10)), 116);

    // Day 10: six premium 10 s clips = 60: Personal's 56, then 4 add-on
    // credits (same expiry; add-on units have priority 1, so they go last).
    let six = format!(r#"{{"items":[{}]}}"#, [PREMIUM_10S; 6].join(","));
    let p = w.preview(60, at(10, 9)).unwrap();
    let sources: Vec<(GrantSource, u64)> = p.sources.iter().map(|s| (s.source, s.amount)).collect();
    assert_eq!(
        sources,
        [(GrantSource::Monthly, 56), (GrantSource::Addon, 4)]
    );
    assert_eq!(generate(&mut w, &c, "gen-5", &six, at(10, 9)), 60);
    assert_eq!(by_source(&w, at(10, 10)), [("monthly", 0), ("addon", 56)]);

    // Day 31: a 5 s clip from the add-on units: 56 − 5 = 51.
    generate(&mut w, &c, "gen-6", PREMIUM_5S, at(31, 9));
    assert_eq!(by_source(&w, at(31, 10)), [("monthly", 0), ("addon", 51)]);

    // Day 32: the cycle renews. Nothing carries over: the unused 51 add-on
    // credits expire with the cycle; Personal's 60 and the unit's 60 are new.
    let cycle2 = (day(32), day(62));
    refill(
        &mut w,
        "personal-monthly",
        "2026-12-02",
        cycle2,
        1,
        at(32, 9),
    );
    refill(&mut w, "personal-addon", "2026-12-02", cycle2, 1, at(32, 9));
    assert_eq!(by_source(&w, at(32, 9)), [("monthly", 60), ("addon", 60)]);
    assert_eq!(balance(&w, at(32, 9)).expired, 51);

    // Day 33: two 10 s clips = 20 from Personal: 40 left.
    let two = format!(r#"{{"items":[{PREMIUM_10S},{PREMIUM_10S}]}}"#);
    assert_eq!(generate(&mut w, &c, "gen-7", &two, at(33, 9)), 20);

    // Day 40: the user cancels Personal and the add-on. Nothing changes in
    // the wallet: both stay usable to the cycle's end (day 62); there will
    // simply be no refill then.
    assert_eq!(by_source(&w, at(40, 9)), [("monthly", 40), ("addon", 60)]);

    // Day 61, 23:00, still in the paid period: a 10 s clip, 40 − 10 = 30.
    generate(&mut w, &c, "gen-8", PREMIUM_10S, at(61, 23));
    assert_eq!(
        by_source(&w, at(61, 23) + 120_000),
        [("monthly", 30), ("addon", 60)]
    );

    // Day 62: the period ends. The 30 monthly and 60 add-on credits expire
    // (monthly credits never carry over); back on Free, 16 for the new month.
    refill(
        &mut w,
        "free-monthly",
        "2027-01-02",
        (day(62), day(92)),
        1,
        at(62, 9),
    );
    let b = balance(&w, at(62, 9));
    assert_eq!(by_source(&w, at(62, 9)), [("monthly", 16), ("addon", 0)]);
    // granted 16 + 60 + 60 + 60 + 60 + 16 = 272
    // spent   10 + 10 + 0 + 60 + 5 + 20 + 10 = 115
    // expired 51 (day 32) + 30 + 60 (day 62) = 141; 272 − 115 − 141 = 16
    assert_eq!(
        (b.granted, b.spent, b.expired, b.available),
        (272, 115, 141, 16)
    );
    check_ledger(&w, at(62, 9));
}
