//! PrismPoster (`examples/prismposter.toml`) replayed through the wallet:
//! one pool for storyboards, posters, video, music and Magic Edit; trial
//! credits at sign-up; a pack bought at list price, then at the paid plan's
//! discount; a monthly allotment; a failed run not charged; a cancellation
//! that keeps access to the period end, then a read-only account.
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
use genprice::plan::DenialCode;
use genprice::wallet::HoldStatus;

const STORYBOARD: &str = r#"{"product":"text/storyboard"}"#;
const STORYBOARD_12: &str = r#"{"product":"text/storyboard","options":{"scenes":"12"}}"#;
const POSTER: &str = r#"{"product":"image/poster"}"#;
const POSTER_X2: &str = r#"{"product":"image/poster","outputs":2}"#;
const POSTER_X4: &str = r#"{"product":"image/poster","outputs":4}"#;
const POSTER_2K: &str = r#"{"product":"image/poster","resolution":"2k"}"#;
const VIDEO: &str = r#"{"product":"video/motion"}"#; // 5 s at 720p
const VIDEO_10S_1080: &str = r#"{"product":"video/motion","seconds":10,"resolution":"1080p"}"#;
const VIDEO_4K: &str = r#"{"product":"video/motion","resolution":"4k"}"#;
const MUSIC: &str = r#"{"product":"music/soundtrack"}"#; // 30 s
const ERASE: &str = r#"{"product":"edit/magic-erase"}"#;
const EXPAND: &str = r#"{"product":"edit/magic-expand"}"#;

#[test]
fn text_is_cheapest_video_most_and_edits_are_per_operation() {
    let c = catalog("prismposter");
    let (text, image, music, video) = (
        price(&c, STORYBOARD),
        price(&c, POSTER),
        price(&c, MUSIC),
        price(&c, VIDEO),
    );
    assert_eq!((text, image, music, video), (1, 4, 15, 50));
    assert!(text < image && image < video && music < video);
    // Video scales with length and resolution: 10 × 10 s × 1.5, 10 × 15 s × 3.
    assert_eq!(price(&c, VIDEO_10S_1080), 150);
    let longest = r#"{"product":"video/motion","seconds":15,"resolution":"4k"}"#;
    assert_eq!(price(&c, longest), 450);
    // Images by resolution: 4 × 2 (2k), 4 × 4 (4k).
    assert_eq!(price(&c, POSTER_2K), 8);
    assert_eq!(
        price(&c, r#"{"product":"image/poster","resolution":"4k"}"#),
        16
    );
    // Music: 5 per 10 s, rounded up: 45 s = 22.5 → 23; 10 s = 5.
    assert_eq!(
        price(&c, r#"{"product":"music/soundtrack","seconds":45}"#),
        23
    );
    assert_eq!(
        price(&c, r#"{"product":"music/soundtrack","seconds":10}"#),
        5
    );
    assert_eq!(price(&c, STORYBOARD_12), 2);
    // Magic Edit: one price per operation, whatever the image.
    assert_eq!(price(&c, ERASE), 2);
    assert_eq!(price(&c, EXPAND), 3);
    assert_eq!(price(&c, r#"{"product":"edit/magic-replace"}"#), 3);
    let upscale_4x = r#"{"product":"edit/magic-upscale","options":{"scale":"4x"}}"#;
    assert_eq!(price(&c, upscale_4x), 4);
    // One pool: a scene mixing every studio is one quote, one hold.
    let scene = format!(r#"{{"items":[{STORYBOARD},{POSTER},{VIDEO},{MUSIC},{ERASE}]}}"#);
    assert_eq!(price(&c, &scene), 1 + 4 + 50 + 15 + 2);
}

#[test]
fn packs_are_discounted_for_paid_plans() {
    let c = catalog("prismposter");
    let small = c.pack("pack-300").unwrap();
    let large = c.pack("pack-1000").unwrap();
    let prices = |plan: &str| {
        let plan = c.plan(plan).unwrap();
        (plan.pack_price(small), plan.pack_price(large))
    };
    assert_eq!(prices("free"), (500, 1500)); // list price
    assert_eq!(prices("creator"), (400, 1200)); // 20 % off
    assert_eq!(prices("studio"), (350, 1050)); // 30 % off
}

#[test]
fn a_month_from_trial_to_read_only() {
    let c = catalog("prismposter");
    let mut w = wallet(&c);

    // Day 0: sign-up, 50 trial credits that do not expire.
    refill(
        &mut w,
        "trial",
        "signup",
        (at(0, 9), at(0, 9) + DAY),
        1,
        at(0, 9),
    );
    assert_eq!(by_source(&w, at(0, 9)), [("signup", 50)]);
    // One pool across studios: 1 + 8 + 2 + 15 = 26, 50 − 26 = 24.
    generate(&mut w, &c, "storyboard-1", STORYBOARD, at(0, 10));
    generate(&mut w, &c, "poster-1", POSTER_X2, at(0, 11));
    generate(&mut w, &c, "erase-1", ERASE, at(0, 12));
    generate(&mut w, &c, "music-1", MUSIC, at(0, 13));
    assert_eq!(available(&w, at(0, 14)), 24);

    // Day 1: the trial makes no video and no 2k poster; Creator does.
    let (verdict, _) = check_on(&c, VIDEO, "free", 24);
    assert_eq!(verdict.denials[0].code, DenialCode::TierNotInPlan);
    assert_eq!(verdict.upgrade.unwrap().id, "creator");
    let (verdict, _) = check_on(&c, POSTER_2K, "free", 24);
    assert_eq!(verdict.denials[0].code, DenialCode::ResolutionNotInPlan);
    assert_eq!(verdict.upgrade.unwrap().id, "creator");

    // 16 + 2 + 3 = 21 more: 24 − 21 = 3 left.
    generate(&mut w, &c, "poster-2", POSTER_X4, at(1, 9));
    generate(&mut w, &c, "storyboard-2", STORYBOARD_12, at(1, 10));
    generate(&mut w, &c, "expand-1", EXPAND, at(1, 11));
    assert_eq!(available(&w, at(1, 12)), 3);

    // A poster (4) is blocked: 1 short. The trial may buy packs at list
    // price, or subscribe.
    let e = start(&mut w, &c, "poster-3", POSTER, at(1, 12)).unwrap_err();
    assert_eq!(e.code, ErrorCode::InsufficientCredits);
    assert_eq!(
        (e.requested, e.available, e.shortfall),
        (Some(4), Some(3), Some(1))
    );
    let (verdict, credits) = check_on(&c, POSTER, "free", 3);
    assert!(verdict.allowed);
    assert_eq!(credits.shortfall, 1);
    assert_eq!(
        pack_totals(&credits.packs),
        [("pack-300", 1, 500), ("pack-1000", 1, 1500)]
    );
    assert_eq!(plan_ids(&credits.plans), ["creator", "studio"]);

    // The user buys 300 credits ($5). The poster: 3 trial + 1 pack credit.
    buy_pack(&mut w, &c, "pack/1", "pack-300", None, at(1, 13));
    generate(&mut w, &c, "poster-3", POSTER, at(1, 14));
    assert_eq!(by_source(&w, at(1, 15)), [("signup", 0), ("topup", 299)]);

    // Day 2: Creator, monthly: 500 for the cycle day 2 → day 32.
    refill(
        &mut w,
        "creator-monthly",
        "2026-11-03",
        (day(2), day(32)),
        1,
        at(2, 9),
    );
    // The allotment goes before the pack: a 5 s video, 500 − 50 = 450.
    generate(&mut w, &c, "video-1", VIDEO, at(2, 10));
    assert_eq!(
        by_source(&w, at(2, 11)),
        [("signup", 0), ("monthly", 450), ("topup", 299)]
    );
    // A 10 s 1080p video (150) fails: not charged.
    assert_eq!(
        start(&mut w, &c, "video-2", VIDEO_10S_1080, at(2, 12)),
        Ok(150)
    );
    w.release("video-2", at(2, 12) + 5 * 60_000).unwrap();
    assert_eq!(available(&w, at(2, 13)), 749); // 450 + 299
    // Creator stops at 1080p; 4k video needs Studio.
    let (verdict, _) = check_on(&c, VIDEO_4K, "creator", 749);
    assert_eq!(verdict.denials[0].code, DenialCode::ResolutionNotInPlan);
    assert_eq!(verdict.upgrade.unwrap().id, "studio");

    // Day 10: the 10 s 1080p video again, and it works: 450 − 150 = 300.
    generate(&mut w, &c, "video-3", VIDEO_10S_1080, at(10, 9));

    // The history shows which runs were charged: every run but video-2.
    let charged: Vec<(&str, u64)> = w
        .holds()
        .filter_map(|h| match h.status {
            HoldStatus::Settled { charged } => Some((h.id.as_str(), charged)),
            _ => None,
        })
        .filter(|(id, _)| id.starts_with("video"))
        .collect();
    assert_eq!(charged, [("video-1", 50), ("video-3", 150)]);
    assert_eq!(
        w.hold_state("video-2").unwrap().status,
        HoldStatus::Released
    );

    // Day 20: the user cancels. Access continues to the period end (day
    // 32): on day 31 another 150 video, 300 − 150 = 150.
    assert!(check_on(&c, VIDEO_10S_1080, "creator", 599).0.allowed);
    generate(&mut w, &c, "video-4", VIDEO_10S_1080, at(31, 9));
    assert_eq!(
        by_source(&w, at(31, 10)),
        [("signup", 0), ("monthly", 150), ("topup", 299)]
    );

    // Day 32: the period ends without a refill; the 150 left of the
    // allotment expire. The account is read-only: the pack's 299 credits
    // stay, but no generation is allowed, not even a storyboard.
    let b = balance(&w, day(32));
    assert_eq!(
        by_source(&w, day(32)),
        [("signup", 0), ("monthly", 0), ("topup", 299)]
    );
    // granted 50 + 300 + 500 = 850; spent 26 + 21 + 4 + 50 + 150 + 150 = 401;
    // expired 150; 850 − 401 − 150 = 299.
    assert_eq!(
        (b.granted, b.spent, b.expired, b.available),
        (850, 401, 150, 299)
    );
    let (verdict, _) = check_on(&c, STORYBOARD, "read-only", 299);
    assert!(!verdict.allowed);
    assert_eq!(verdict.denials[0].code, DenialCode::TierNotInPlan);
    assert_eq!(verdict.denials[0].allowed, "none");
    let (verdict, _) = check_on(&c, VIDEO, "read-only", 299);
    assert_eq!(verdict.upgrade.unwrap().id, "creator"); // resubscribe
    check_ledger(&w, day(32));
}
