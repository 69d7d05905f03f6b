//! One test per named invariant of the wallet (see the module docs).

use super::*;

const DAY: Millis = 86_400_000;

fn grant(id: &str, source: GrantSource, amount: u64, expires_at: Option<Millis>) -> Grant {
    Grant {
        id: id.into(),
        source,
        amount,
        effective_at: 0,
        expires_at,
        priority: 0,
    }
}

fn give(wallet: &mut Wallet, g: &Grant, now: Millis) -> Receipt {
    wallet.grant(g, &Metadata::default(), now).unwrap()
}

fn hold_request(id: &str, amount: u64, ttl: Millis) -> HoldRequest {
    HoldRequest {
        id: id.into(),
        amount,
        ttl,
        metadata: Metadata {
            studio: Some("image".into()),
            product: Some("image/flux-pro".into()),
            ..Metadata::default()
        },
    }
}

/// daily 100 (expires day 1), monthly 300 (expires day 30), topup 500 (never).
fn three_balances() -> Wallet {
    let mut w = Wallet::default();
    give(&mut w, &grant("topup", GrantSource::Topup, 500, None), 0);
    give(
        &mut w,
        &grant("monthly", GrantSource::Monthly, 300, Some(30 * DAY)),
        0,
    );
    give(
        &mut w,
        &grant("daily", GrantSource::Daily, 100, Some(DAY)),
        0,
    );
    w
}

fn allocation_of(receipt: &Receipt) -> Vec<(String, u64)> {
    match &receipt.entry {
        Entry::Hold(h) => h
            .allocations
            .iter()
            .map(|a| (a.grant.clone(), a.amount))
            .collect(),
        other => panic!("not a hold: {other:?}"),
    }
}

fn lines_of(receipt: &Receipt) -> Vec<GrantLine> {
    match &receipt.entry {
        Entry::Settle(e) => e.lines.clone(),
        Entry::Release(e) => e.lines.clone(),
        other => panic!("not a resolution: {other:?}"),
    }
}

fn assert_conserved(w: &Wallet) {
    for g in w.grants() {
        assert_eq!(
            g.grant.amount,
            g.available + g.held + g.spent + g.expired,
            "{g:?}"
        );
    }
    let held: u64 = w
        .holds()
        .filter(|h| h.status == HoldStatus::Pending)
        .map(|h| h.amount)
        .sum();
    assert_eq!(held, w.grants().map(|g| g.held).sum::<u64>());
    assert_eq!(w.index, w.rebuilt_index().unwrap(), "indexes out of step");
}

fn assert_replays(w: &Wallet) {
    let again = Wallet::from_entries(w.policy().clone(), w.entries().to_vec()).unwrap();
    assert_eq!(&again, w);
}

#[test]
fn credits_are_conserved() {
    let mut w = three_balances();
    w.hold(&hold_request("a", 250, 1000), 10).unwrap();
    w.hold(&hold_request("b", 100, 1000), 10).unwrap();
    w.settle("a", 200, 20).unwrap();
    w.release("b", 30).unwrap();
    w.hold(&hold_request("c", 400, 1000), DAY - 1).unwrap();
    w.expire(DAY + 5000).unwrap();
    assert_conserved(&w);
    let b = w.balance(DAY + 5000).unwrap();
    assert_eq!(b.granted, 900);
    assert_eq!(
        b.granted,
        b.available + b.upcoming + b.held + b.spent + b.expired
    );
    for s in &b.sources {
        assert_eq!(
            s.granted,
            s.available + s.upcoming + s.held + s.spent + s.expired
        );
    }
    assert_eq!(b.spent, 200);
}

#[test]
fn no_balance_goes_below_zero() {
    let mut w = Wallet::default();
    give(
        &mut w,
        &grant("big", GrantSource::Topup, crate::MAX_AMOUNT, None),
        0,
    );
    let e = w
        .grant(
            &grant("one-more", GrantSource::Promo, 1, None),
            &Metadata::default(),
            0,
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::AmountOverflow);
    let e = w
        .grant(
            &grant("huge", GrantSource::Promo, crate::MAX_AMOUNT + 1, None),
            &Metadata::default(),
            0,
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidAmount);
    let e = w
        .hold(&hold_request("h", crate::MAX_AMOUNT + 1, 10), 0)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidAmount);
    w.hold(&hold_request("h", crate::MAX_AMOUNT, 10), 0)
        .unwrap();
    let e = w.hold(&hold_request("h2", 1, 10), 0).unwrap_err();
    assert_eq!(e.code, ErrorCode::InsufficientCredits);
    assert_conserved(&w);
}

#[test]
fn grant_is_idempotent_on_id() {
    let mut w = Wallet::default();
    let g = grant("pack", GrantSource::Topup, 500, None);
    let first = give(&mut w, &g, 0);
    let again = give(&mut w, &g, 50);
    assert!(again.replayed);
    assert_eq!(again.entry, first.entry);
    assert_eq!(w.entries().len(), 1);
    let e = w
        .grant(
            &Grant {
                amount: 501,
                ..g.clone()
            },
            &Metadata::default(),
            60,
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::GrantConflict);
    assert_eq!(e.grant.as_deref(), Some("pack"));
}

#[test]
fn grant_expiry_is_exclusive() {
    let mut w = Wallet::default();
    give(
        &mut w,
        &Grant {
            effective_at: 100,
            ..grant("d", GrantSource::Daily, 10, Some(200))
        },
        0,
    );
    assert_eq!(w.balance(99).unwrap().available, 0, "not yet effective");
    assert_eq!(w.balance(99).unwrap().upcoming, 10);
    assert_eq!(
        w.balance(100).unwrap().available,
        10,
        "effective is inclusive"
    );
    assert_eq!(w.balance(199).unwrap().available, 10, "usable at T − 1");
    let at_expiry = w.balance(200).unwrap();
    assert_eq!(at_expiry.available, 0, "not usable at T");
    assert_eq!(at_expiry.expired, 10);
    assert_eq!(
        w.hold(&hold_request("h", 1, 10), 200).unwrap_err().code,
        ErrorCode::InsufficientCredits
    );
    let e = w
        .grant(
            &grant("bad", GrantSource::Daily, 1, Some(0)),
            &Metadata::default(),
            0,
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidTime);
}

#[test]
fn burn_order_is_soonest_expiry_then_priority_then_oldest_then_id() {
    let mut w = Wallet::default();
    let g = |id: &str, expires: Option<Millis>, priority: u32, effective: Millis| Grant {
        priority,
        effective_at: effective,
        ..grant(id, GrantSource::Promo, 10, expires)
    };
    for x in [
        g("never", None, 0, 0),
        g("late", Some(500), 0, 0),
        g("soon-p1", Some(100), 1, 0),
        g("soon-p0-new", Some(100), 0, 5),
        g("soon-p0-old-b", Some(100), 0, 1),
        g("soon-p0-old-a", Some(100), 0, 1),
    ] {
        give(&mut w, &x, 10);
    }
    let p = w.preview(60, 10).unwrap();
    let order: Vec<&str> = p.allocations.iter().map(|a| a.grant.as_str()).collect();
    assert_eq!(
        order,
        [
            "soon-p0-old-a",
            "soon-p0-old-b",
            "soon-p0-new",
            "soon-p1",
            "late",
            "never"
        ]
    );
}

#[test]
fn burn_order_policy_puts_listed_sources_first() {
    let policy = WalletPolicy {
        burn_order: vec![GrantSource::Daily, GrantSource::Monthly, GrantSource::Topup],
        allowances: vec![],
    };
    let mut w = Wallet::new(policy).unwrap();
    give(&mut w, &grant("topup", GrantSource::Topup, 50, Some(10)), 0);
    give(
        &mut w,
        &grant("monthly", GrantSource::Monthly, 50, Some(30 * DAY)),
        0,
    );
    give(
        &mut w,
        &grant("daily", GrantSource::Daily, 50, Some(DAY)),
        0,
    );
    give(&mut w, &grant("promo", GrantSource::Promo, 50, Some(5)), 0);
    let p = w.preview(200, 1).unwrap();
    let order: Vec<&str> = p.allocations.iter().map(|a| a.grant.as_str()).collect();
    assert_eq!(order, ["daily", "monthly", "topup", "promo"]);
}

#[test]
fn preview_changes_nothing_and_matches_hold() {
    let mut w = three_balances();
    let before = w.clone();
    let p = w.preview(160, 10).unwrap();
    assert_eq!(w, before);
    assert_eq!(p.available_before, 900);
    assert_eq!(p.available_after, 740);
    assert_eq!(
        p.sources,
        [
            SourceAmount {
                source: GrantSource::Daily,
                amount: 100
            },
            SourceAmount {
                source: GrantSource::Monthly,
                amount: 60
            },
        ]
    );
    let r = w.hold(&hold_request("h", 160, 1000), 10).unwrap();
    match r.entry {
        Entry::Hold(h) => assert_eq!(h.allocations, p.allocations),
        other => panic!("{other:?}"),
    }
    let e = w.preview(10_000, 10).unwrap_err();
    assert_eq!(
        (e.requested, e.available, e.shortfall),
        (Some(10_000), Some(740), Some(9_260))
    );
}

#[test]
fn hold_reserves_all_or_nothing() {
    let mut w = three_balances();
    let before = w.clone();
    let e = w.hold(&hold_request("h", 901, 1000), 10).unwrap_err();
    assert_eq!(e.code, ErrorCode::InsufficientCredits);
    assert_eq!(
        (e.requested, e.available, e.shortfall),
        (Some(901), Some(900), Some(1))
    );
    assert_eq!(w, before, "nothing reserved");
    let r = w.hold(&hold_request("h", 450, 1000), 10).unwrap();
    assert_eq!(
        allocation_of(&r),
        [
            ("daily".into(), 100),
            ("monthly".into(), 300),
            ("topup".into(), 50)
        ]
    );
    let b = w.balance(10).unwrap();
    assert_eq!((b.available, b.held), (450, 450));
}

#[test]
fn hold_resolves_at_most_once() {
    let mut w = three_balances();
    for id in ["s", "r", "x"] {
        w.hold(&hold_request(id, 10, 1000), 0).unwrap();
    }
    w.settle("s", 10, 1).unwrap();
    w.release("r", 1).unwrap();
    w.expire(1000).unwrap();
    let code = |r: Result<Receipt, WalletError>| r.unwrap_err().code;
    assert_eq!(code(w.settle("s", 5, 1000)), ErrorCode::AlreadySettled);
    assert_eq!(code(w.release("s", 1000)), ErrorCode::AlreadySettled);
    assert_eq!(code(w.settle("r", 10, 1000)), ErrorCode::AlreadyReleased);
    assert_eq!(code(w.settle("x", 10, 1000)), ErrorCode::HoldExpired);
    assert_eq!(code(w.release("x", 1000)), ErrorCode::HoldExpired);
    assert_eq!(code(w.settle("nope", 1, 1000)), ErrorCode::UnknownHold);
    assert_conserved(&w);
}

#[test]
fn settle_cannot_exceed_hold() {
    let mut w = three_balances();
    w.hold(&hold_request("h", 40, 1000), 0).unwrap();
    let e = w.settle("h", 41, 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::ExceedsHold);
    assert_eq!(
        (e.requested, e.available, e.shortfall),
        (Some(41), Some(40), Some(1))
    );
    let e = w.settle("h", 100, 1).unwrap_err();
    assert_eq!(e.shortfall, Some(60), "100 asked of 40 held");
    assert_eq!(w.hold_state("h").unwrap().status, HoldStatus::Pending);
}

#[test]
fn partial_settle_charges_in_allocation_order() {
    let mut w = three_balances();
    // 4 images at 40 each: 100 daily + 60 monthly.
    w.hold(&hold_request("gen", 160, 1000), 0).unwrap();
    // 3 of 4 produced: 120 charged, from daily first, 40 monthly back.
    let r = w.settle("gen", 120, 10).unwrap();
    assert_eq!(
        lines_of(&r),
        [
            GrantLine {
                grant: "daily".into(),
                charged: 100,
                returned: 0,
                expired: 0
            },
            GrantLine {
                grant: "monthly".into(),
                charged: 20,
                returned: 40,
                expired: 0
            },
        ]
    );
    let b = w.balance(10).unwrap();
    assert_eq!((b.available, b.held, b.spent), (780, 0, 120));
    assert_eq!(w.grant_state("monthly").unwrap().available, 280);
}

#[test]
fn retry_returns_the_original_result() {
    let mut w = three_balances();
    let h = hold_request("h", 50, 1000);
    let first = w.hold(&h, 5).unwrap();
    let settle = w.settle("h", 30, 6).unwrap();
    let entries = w.entries().len();
    let again = w.hold(&h, 7).unwrap();
    assert!(again.replayed);
    assert_eq!(again.entry, first.entry, "even after it settled");
    let again = w.settle("h", 30, 8).unwrap();
    assert!(again.replayed && again.appended().is_empty());
    assert_eq!(again.entry, settle.entry);
    assert_eq!(w.entries().len(), entries);

    w.hold(&hold_request("r", 5, 1000), 9).unwrap();
    let release = w.release("r", 10).unwrap();
    assert_eq!(w.release("r", 11).unwrap().entry, release.entry);
}

#[test]
fn hold_id_with_other_arguments_conflicts() {
    let mut w = three_balances();
    w.hold(&hold_request("h", 50, 1000), 0).unwrap();
    for other in [
        hold_request("h", 51, 1000),
        hold_request("h", 50, 999),
        HoldRequest {
            metadata: Metadata::default(),
            ..hold_request("h", 50, 1000)
        },
    ] {
        let e = w.hold(&other, 1).unwrap_err();
        assert_eq!(e.code, ErrorCode::HoldConflict);
        assert_eq!(e.hold.as_deref(), Some("h"));
    }
}

// Invariants 12–18: expiry, refills, time, failure and replay.
mod over_time;
mod tampered;

/// Found by mutation testing: metadata texts are checked, each field at
/// most 1024 bytes (exactly 1024 is allowed), on holds and on grants.
#[test]
fn metadata_texts_are_at_most_1024_bytes() {
    let mut w = three_balances();
    let with = |field: &str, text: String| {
        let mut m = Metadata::default();
        match field {
            "studio" => m.studio = Some(text),
            "product" => m.product = Some(text),
            "summary" => m.summary = Some(text),
            _ => m.reference = Some(text),
        }
        m
    };
    for (i, field) in ["studio", "product", "summary", "reference"]
        .iter()
        .enumerate()
    {
        let long = HoldRequest {
            metadata: with(field, "x".repeat(MAX_TEXT_LEN + 1)),
            ..hold_request(&format!("long-{i}"), 1, 1000)
        };
        let e = w.hold(&long, 1).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest, "{field}");
        assert_eq!(
            e.path.as_deref(),
            Some(format!("metadata.{field}").as_str())
        );
        let exact = HoldRequest {
            metadata: with(field, "x".repeat(MAX_TEXT_LEN)),
            ..hold_request(&format!("exact-{i}"), 1, 1000)
        };
        assert!(w.hold(&exact, 1).is_ok(), "{field} of exactly 1024 bytes");
    }
    let g = grant("promo", GrantSource::Promo, 5, None);
    let e = w
        .grant(&g, &with("summary", "x".repeat(MAX_TEXT_LEN + 1)), 1)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);
}

/// Found by mutation testing (the property test compares the figures, not
/// these): a balance's `nextExpiry` is the soonest expiry of credits still
/// available, summed over the grants that expire then, whichever order the
/// grants are visited in; its `grants` list only grants with credits
/// available, upcoming or held; its `sources` only sources ever granted.
#[test]
fn balance_lists_the_next_expiry_and_only_live_grants_and_sources() {
    // The listed sources first, so grants are visited out of expiry order.
    let policy = WalletPolicy {
        burn_order: vec![
            GrantSource::Daily,
            GrantSource::Monthly,
            GrantSource::Topup,
            GrantSource::Promo,
        ],
        allowances: vec![],
    };
    let mut w = Wallet::new(policy).unwrap();
    let at = |id: &str, source, amount, effective_at, expires_at| Grant {
        id: id.into(),
        source,
        amount,
        effective_at,
        expires_at: Some(expires_at),
        priority: 0,
    };
    // Held in full: nothing of it is available to expire.
    give(&mut w, &at("held", GrantSource::Seat, 40, 0, DAY / 2), 0);
    w.hold(&hold_request("job", 40, DAY), 1).unwrap();
    give(&mut w, &at("late", GrantSource::Daily, 30, 0, 3 * DAY), 2);
    give(&mut w, &at("a", GrantSource::Monthly, 100, 0, 2 * DAY), 2);
    give(&mut w, &at("b", GrantSource::Topup, 50, 0, 2 * DAY), 2);
    give(&mut w, &at("after", GrantSource::Promo, 10, 0, 4 * DAY), 2);
    // Expired by the balance's time, with no expire entry yet.
    give(&mut w, &at("gone", GrantSource::Signup, 20, 0, 5), 2);
    // Not effective yet: upcoming, not available.
    give(
        &mut w,
        &at("future", GrantSource::Adjustment, 25, 20, DAY),
        2,
    );

    let b = w.balance(10).unwrap();
    assert_eq!(
        b.next_expiry,
        Some(NextExpiry {
            at: 2 * DAY,
            amount: 150
        })
    );
    let mut listed: Vec<&str> = b.grants.iter().map(|g| g.id.as_str()).collect();
    listed.sort_unstable();
    assert_eq!(listed, ["a", "after", "b", "future", "held", "late"]);
    let mut sources: Vec<&str> = b.sources.iter().map(|s| s.source.as_str()).collect();
    sources.sort_unstable();
    assert_eq!(
        sources,
        [
            "adjustment",
            "daily",
            "monthly",
            "promo",
            "seat",
            "signup",
            "topup"
        ]
    );
    // Once the soonest expire, the next one is the next expiry.
    let b = w.balance(2 * DAY).unwrap();
    assert_eq!(
        b.next_expiry,
        Some(NextExpiry {
            at: 3 * DAY,
            amount: 30
        })
    );
}
