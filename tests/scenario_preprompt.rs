//! PrePrompt (`examples/preprompt.toml`) replayed through the wallet:
//! 200 credits once on email verification, tiers that gate resolution,
//! clip length and variants, never-expiring packs for subscribers only,
//! holds released on failure or timeout, a pro-rated upgrade, and a
//! cancellation after which the balance stays but nothing refills.
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
use genprice::wallet::{Grant, GrantSource, HoldStatus, Metadata};

const CLIP: &str = r#"{"product":"video/clip"}"#; // 5 s at 720p
const CLIP_8S_1080: &str = r#"{"product":"video/clip","seconds":8,"resolution":"1080p"}"#;
const CLIP_8S_1080_X2: &str =
    r#"{"product":"video/clip","seconds":8,"resolution":"1080p","outputs":2}"#;
const CLIP_4K: &str = r#"{"product":"video/clip","resolution":"4k"}"#;
const SKETCH: &str = r#"{"product":"image/sketch"}"#;
const SKETCH_X2: &str = r#"{"product":"image/sketch","outputs":2}"#;
const SKETCH_2K_X4: &str = r#"{"product":"image/sketch","resolution":"2k","outputs":4}"#;
const RENDER_4K: &str = r#"{"product":"image/render","resolution":"4k"}"#;
const CINEMA: &str = r#"{"product":"video/cinema"}"#; // 8 s at 1080p
const ENHANCE: &str = r#"{"product":"text/prompt-enhance"}"#;

/// The denial codes of `json` on `plan`, and the upgrade offered.
fn denied(c: &genprice::Catalog, json: &str, plan: &str) -> (Vec<DenialCode>, String) {
    let (verdict, _) = check_on(c, json, plan, 0);
    assert!(!verdict.allowed, "{json} on {plan}");
    let codes = verdict.denials.iter().map(|d| d.code).collect();
    (codes, verdict.upgrade.unwrap().id)
}

#[test]
fn prices_scale_with_resolution_length_and_variants() {
    let c = catalog("preprompt");
    assert_eq!(price(&c, CLIP), 20); // 4 × 5 s × 1 (720p)
    assert_eq!(price(&c, CLIP_8S_1080), 64); // 4 × 8 s × 2 (1080p)
    assert_eq!(price(&c, CLIP_8S_1080_X2), 128); // × 2 variants
    assert_eq!(price(&c, CLIP_4K), 80); // 4 × 5 s × 4 (4k)
    assert_eq!(price(&c, SKETCH), 2);
    assert_eq!(price(&c, SKETCH_2K_X4), 16); // 2 × 4 × 2 (2k)
    assert_eq!(price(&c, RENDER_4K), 18); // 6 × 3 (4k)
    assert_eq!(price(&c, CINEMA), 144); // 12 × 8 s × 1.5 (1080p)
    assert_eq!(price(&c, ENHANCE), 1);
}

#[test]
fn tiers_gate_resolution_clip_length_and_variants() {
    let c = catalog("preprompt");
    use DenialCode::*;
    // Free: up to 720p, 5 s, 1 variant, standard models.
    assert_eq!(
        denied(&c, CLIP_8S_1080, "free"),
        (
            vec![ResolutionNotInPlan, DurationNotInPlan],
            "studio".into()
        )
    );
    assert_eq!(
        denied(&c, SKETCH_X2, "free"),
        (vec![OutputsNotInPlan], "studio".into())
    );
    assert_eq!(
        denied(&c, RENDER_4K, "free"),
        (
            vec![TierNotInPlan, ResolutionNotInPlan],
            "studio-pro".into()
        )
    );
    // Studio: 1080p, 8 s, 2 variants, still standard models.
    assert!(check_on(&c, CLIP_8S_1080_X2, "studio", 0).0.allowed);
    assert_eq!(
        denied(&c, RENDER_4K, "studio"),
        (
            vec![TierNotInPlan, ResolutionNotInPlan],
            "studio-pro".into()
        )
    );
    // Only Studio+ makes 4k video.
    assert_eq!(
        denied(&c, CLIP_4K, "studio-pro"),
        (vec![ResolutionNotInPlan], "studio-plus".into())
    );
    assert!(check_on(&c, CLIP_4K, "studio-plus", 0).0.allowed);
    // Packs are for paid subscribers only, and never expire.
    assert!(c.plan("free").unwrap().packs.is_empty());
    for paid in ["studio", "studio-pro", "studio-plus"] {
        assert_eq!(c.plan(paid).unwrap().packs, ["pack-500", "pack-2000"]);
    }
}

#[test]
fn two_cycles_from_verification_to_cancellation() {
    let c = catalog("preprompt");
    let mut w = wallet(&c);

    // Day 0: the email is verified: 200 credits, once, never expiring.
    let verified = (at(0, 10), at(0, 10) + DAY); // the end is unused: full rollover
    refill(&mut w, "email-verified", "verified", verified, 1, at(0, 10));
    assert_eq!(by_source(&w, at(0, 10)), [("signup", 200)]);
    assert_eq!(balance(&w, at(0, 10)).next_expiry, None);

    // A 5 s clip (20), a sketch (2), a prompt enhance (1): 200 − 23 = 177.
    generate(&mut w, &c, "p1", CLIP, at(0, 11));
    generate(&mut w, &c, "p2", SKETCH, at(0, 12));
    generate(&mut w, &c, "p3", ENHANCE, at(0, 13));
    assert_eq!(by_source(&w, at(0, 14)), [("signup", 177)]);

    // Day 1: the user subscribes to Studio: 1,000 for the cycle day 1 → 31.
    refill(
        &mut w,
        "studio-monthly",
        "2026-11-02",
        (day(1), day(31)),
        1,
        at(1, 9),
    );
    assert_eq!(
        by_source(&w, at(1, 9)),
        [("signup", 177), ("monthly", 1000)]
    );
    // An 8 s 1080p clip (64) now allowed; the subscription's credits go first.
    generate(&mut w, &c, "p4", CLIP_8S_1080, at(1, 10));
    assert_eq!(
        by_source(&w, at(1, 11)),
        [("signup", 177), ("monthly", 936)]
    );

    // Day 2: two variants (128) are held and the generation fails: released.
    assert_eq!(start(&mut w, &c, "p5", CLIP_8S_1080_X2, at(2, 9)), Ok(128));
    assert_eq!(balance(&w, at(2, 9)).held, 128);
    w.release("p5", at(2, 9) + 60_000).unwrap();
    assert_eq!(w.hold_state("p5").unwrap().status, HoldStatus::Released);

    // Day 3: a generation whose worker never answers: 64 held, and back
    // on their own once the hold's 10 minutes are up.
    start(&mut w, &c, "p6", CLIP_8S_1080, at(3, 9)).unwrap();
    assert_eq!(balance(&w, at(3, 9) + 60_000).available, 1049); // 1,113 − 64
    assert_eq!(balance(&w, at(3, 9) + TTL).available, 1113);

    // The user buys a 500-credit pack (Studio may; it never expires). On
    // the free tier the same purchase is refused.
    let grant =
        genprice::plan::pack_grant(&c, "studio", "pack-500", "pack/1", at(3, 10), None).unwrap();
    assert_eq!((grant.amount, grant.expires_at), (500, None));
    let refused =
        genprice::plan::pack_grant(&c, "free", "pack-500", "pack/0", at(3, 10), None).unwrap_err();
    assert_eq!(refused.code, genprice::ErrorCode::PackNotInPlan);
    buy_pack(&mut w, &c, "pack/1", "pack-500", None, at(3, 10));
    assert_eq!(w.hold_state("p6").unwrap().status, HoldStatus::Expired);
    assert_eq!(
        by_source(&w, at(3, 10)),
        [("signup", 177), ("monthly", 936), ("topup", 500)]
    );

    // Day 10: thirteen 2-variant clips (13 × 128 = 1,664) are blocked:
    // 1,613 there, 51 short. The answer gives the balance, the estimate,
    // the packs Studio may buy (one 500 pack for $6 covers it) and the
    // higher tiers whose credits would.
    let thirteen = format!(r#"{{"items":[{}]}}"#, [CLIP_8S_1080_X2; 13].join(","));
    let e = start(&mut w, &c, "p7", &thirteen, at(10, 9)).unwrap_err();
    assert_eq!(e.code, ErrorCode::InsufficientCredits);
    assert_eq!(
        (e.requested, e.available, e.shortfall),
        (Some(1664), Some(1613), Some(51))
    );
    let (verdict, credits) = check_on(&c, &thirteen, "studio", 1613);
    assert!(verdict.allowed);
    assert_eq!(
        (credits.balance, credits.estimate, credits.shortfall),
        (1613, 1664, 51)
    );
    assert_eq!(
        pack_totals(&credits.packs),
        [("pack-500", 1, 600), ("pack-2000", 1, 2000)]
    );
    assert_eq!(plan_ids(&credits.plans), ["studio-pro", "studio-plus"]);

    // Six of them instead (768), from the subscription: 936 − 768 = 168.
    let six = format!(r#"{{"items":[{}]}}"#, [CLIP_8S_1080_X2; 6].join(","));
    assert_eq!(generate(&mut w, &c, "p8", &six, at(10, 10)), 768);
    assert_eq!(
        by_source(&w, at(10, 11)),
        [("signup", 177), ("monthly", 168), ("topup", 500)]
    );

    // Day 16, 00:00: upgrade to Studio Pro, pro-rated: 15 of the cycle's
    // 30 days are left, so (3,000 − 1,000) × 15 / 30 = 1,000 credits now
    // and (30.00 − 10.00) × 15 / 30 = 10.00 to charge. 168 + 1,000 = 1,168.
    let change = genprice::plan::change_plan(
        &c,
        &genprice::plan::ChangeRequest {
            from: "studio".into(),
            to: "studio-pro".into(),
            cycle: genprice::catalog::Cycle::Monthly,
            seats: 0,
            start: day(1),
            end: day(31),
            now: day(16),
        },
    )
    .unwrap();
    assert_eq!(change.effective, genprice::plan::Effective::Now);
    assert_eq!((change.credits, change.price), (1000, 1000));
    // Granted like Studio Pro's own monthly allowance, which rolls over in
    // full: no expiry.
    assert_eq!(
        c.spec()
            .wallet
            .allowance("studio-pro-monthly")
            .unwrap()
            .rollover,
        genprice::wallet::Rollover::Full
    );
    let prorated = Grant {
        id: "studio-pro-upgrade/2026-11-17".into(),
        source: GrantSource::Monthly,
        amount: change.credits,
        effective_at: day(16),
        expires_at: None,
        priority: 0,
    };
    w.grant(&prorated, &Metadata::default(), day(16)).unwrap();
    // A downgrade back to Studio would wait for the next cycle.
    let back = genprice::plan::change_plan(
        &c,
        &genprice::plan::ChangeRequest {
            from: "studio-pro".into(),
            to: "studio".into(),
            cycle: genprice::catalog::Cycle::Monthly,
            seats: 0,
            start: day(1),
            end: day(31),
            now: day(16),
        },
    )
    .unwrap();
    assert_eq!(
        (back.effective, back.credits),
        (genprice::plan::Effective::NextCycle, 0)
    );
    assert_eq!(by_source(&w, at(16, 9))[1], ("monthly", 1168));
    // Studio Pro makes 4k renders: 18, 1,168 − 18 = 1,150.
    assert!(check_on(&c, RENDER_4K, "studio-pro", 1168).0.allowed);
    generate(&mut w, &c, "p9", RENDER_4K, at(16, 10));

    // Day 20: 4 variants at 2k (16) held; 3 of 4 come out: 12 charged.
    start(&mut w, &c, "p10", SKETCH_2K_X4, at(20, 9)).unwrap();
    w.settle("p10", 12, at(20, 9) + 60_000).unwrap();
    assert_eq!(by_source(&w, at(20, 10))[1], ("monthly", 1138)); // 1,150 − 12

    // Day 31: the next cycle at the new tier: 3,000 more, and nothing
    // expires (the balance carries over).
    refill(
        &mut w,
        "studio-pro-monthly",
        "2026-12-02",
        (day(31), day(61)),
        1,
        at(31, 9),
    );
    assert_eq!(
        by_source(&w, at(31, 9)),
        [("signup", 177), ("monthly", 4138), ("topup", 500)]
    );
    assert_eq!(balance(&w, at(31, 9)).expired, 0);

    // Day 35: an 8 s cinema clip (144), oldest subscription credits first.
    generate(&mut w, &c, "p11", CINEMA, at(35, 9));

    // Day 40: the user cancels. Day 61 brings no refill; the balance stays,
    // and the user is back on the free plan's limits.
    let b = balance(&w, at(70, 9));
    assert_eq!(
        by_source(&w, at(70, 9)),
        [("signup", 177), ("monthly", 3994), ("topup", 500)]
    );
    assert_eq!(
        denied(&c, CLIP_8S_1080, "free").0,
        [
            DenialCode::ResolutionNotInPlan,
            DenialCode::DurationNotInPlan
        ]
    );
    // Free credits never refill: verifying again is the same refill, replayed.
    let again = refill(&mut w, "email-verified", "verified", verified, 1, at(70, 9));
    assert!(again.replayed);
    // granted 200 + 1,000 + 500 + 1,000 + 3,000 = 5,700
    // spent 20 + 2 + 1 + 64 + 768 + 18 + 12 + 144 = 1,029; 5,700 − 1,029 = 4,671
    assert_eq!(
        (b.granted, b.spent, b.expired, b.available),
        (5700, 1029, 0, 4671)
    );
    check_ledger(&w, at(70, 9));
}
