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

#[test]
fn held_credits_do_not_expire_while_held() {
    let mut w = three_balances();
    w.hold(&hold_request("h", 60, 10 * DAY), DAY - 10).unwrap();
    let e = w.expire(DAY).unwrap().unwrap();
    match e {
        Entry::Expire(e) => assert_eq!(
            e.grants,
            [ExpiredGrant {
                grant: "daily".into(),
                amount: 40
            }]
        ),
        other => panic!("{other:?}"),
    }
    let daily = w.grant_state("daily").unwrap();
    assert_eq!((daily.available, daily.held, daily.expired), (0, 60, 40));
    // Settling after the grant expired still charges the held credits.
    w.settle("h", 60, DAY + 1).unwrap();
    assert_eq!(w.grant_state("daily").unwrap().spent, 60);
    assert_conserved(&w);
}

#[test]
fn expired_grant_returns_credits_as_expired() {
    let mut w = three_balances();
    w.hold(&hold_request("h", 150, 10 * DAY), DAY - 10).unwrap();
    w.hold(&hold_request("p", 100, 10 * DAY), DAY - 10).unwrap();
    let r = w.release("h", DAY + 1).unwrap();
    assert_eq!(
        lines_of(&r),
        [
            GrantLine {
                grant: "daily".into(),
                charged: 0,
                returned: 0,
                expired: 100
            },
            GrantLine {
                grant: "monthly".into(),
                charged: 0,
                returned: 50,
                expired: 0
            },
        ]
    );
    // The same rule for a partial settle: the uncharged rest expires.
    let r = w.settle("p", 30, DAY + 2).unwrap();
    assert_eq!(
        lines_of(&r),
        [GrantLine {
            grant: "monthly".into(),
            charged: 30,
            returned: 70,
            expired: 0
        }]
    );
    let daily = w.grant_state("daily").unwrap();
    assert_eq!((daily.available, daily.held, daily.expired), (0, 0, 100));
    assert_conserved(&w);
    assert_replays(&w);
}

#[test]
fn hold_expires_after_ttl() {
    let mut w = three_balances();
    w.hold(&hold_request("h", 100, 50), 10).unwrap();
    assert_eq!(
        w.balance(59).unwrap().held,
        100,
        "pending at created + ttl − 1"
    );
    let b = w.balance(60).unwrap();
    assert_eq!((b.held, b.available), (0, 900), "released at created + ttl");
    let e = w.expire(60).unwrap().unwrap();
    match &e {
        Entry::Expire(x) => assert_eq!(x.holds.len(), 1),
        other => panic!("{other:?}"),
    }
    assert_eq!(w.hold_state("h").unwrap().status, HoldStatus::Expired);
    assert_eq!(w.expire(61).unwrap(), None, "nothing more is due");
}

#[test]
fn every_operation_expires_what_is_due_first() {
    let mut w = three_balances();
    w.hold(&hold_request("h", 900, 50), 10).unwrap();
    // At 60 the hold has timed out: the new hold can use its credits.
    let r = w.hold(&hold_request("k", 900, 50), 60).unwrap();
    let expired = r.expired.clone().unwrap();
    assert_eq!(expired.kind(), "expire");
    assert_eq!(r.appended().len(), 2);
    assert_eq!(expired.seq() + 1, r.entry.seq());
    // A settle of the timed-out hold is refused, and records nothing.
    let before = w.clone();
    assert_eq!(
        w.settle("k", 900, 110).unwrap_err().code,
        ErrorCode::HoldExpired
    );
    assert_eq!(w, before);
}

#[test]
fn refill_is_idempotent_per_period() {
    let policy = WalletPolicy {
        burn_order: vec![],
        allowances: vec![
            Allowance {
                id: "pro".into(),
                source: GrantSource::Monthly,
                amount: 3000,
                per_seat: false,
                priority: 0,
                rollover: Rollover::None,
                every: None,
            },
            Allowance {
                id: "team".into(),
                source: GrantSource::Seat,
                amount: 150,
                per_seat: true,
                priority: 0,
                rollover: Rollover::None,
                every: None,
            },
        ],
    };
    let mut w = Wallet::new(policy).unwrap();
    let nov = Refill {
        allowance: "pro".into(),
        period: "2026-11".into(),
        start: 0,
        end: 30 * DAY,
        seats: 1,
    };
    let first = w.refill(&nov, 0).unwrap();
    let again = w.refill(&nov, 5).unwrap();
    assert!(again.replayed);
    assert_eq!(again.entry, first.entry);
    let e = w
        .refill(
            &Refill {
                end: 31 * DAY,
                ..nov.clone()
            },
            6,
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::RefillConflict);
    let team = Refill {
        allowance: "team".into(),
        seats: 4,
        ..nov.clone()
    };
    w.refill(&team, 7).unwrap();
    assert_eq!(w.grant_state("team/2026-11").unwrap().grant.amount, 600);
    let e = w
        .refill(
            &Refill {
                allowance: "gold".into(),
                ..nov
            },
            8,
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::UnknownAllowance);
    // No rollover: November's allowance expires at the end of November.
    assert_eq!(w.balance(30 * DAY).unwrap().available, 0);
    assert_replays(&w);
}

#[test]
fn rollover_rules_carry_credits_by_mode() {
    let allowance = |id: &str, rollover| Allowance {
        id: id.into(),
        source: GrantSource::Monthly,
        amount: 100,
        per_seat: false,
        priority: 0,
        rollover,
        every: None,
    };
    let policy = WalletPolicy {
        burn_order: vec![],
        allowances: vec![
            allowance("none", Rollover::None),
            allowance("capped", Rollover::Capped { cap: 30 }),
            allowance("full", Rollover::Full),
        ],
    };
    let mut w = Wallet::new(policy).unwrap();
    for (period, start) in [("m1", 0), ("m2", 30 * DAY)] {
        for id in ["none", "capped", "full"] {
            let r = Refill {
                allowance: id.into(),
                period: period.into(),
                start,
                end: start + 30 * DAY,
                seats: 1,
            };
            w.refill(&r, start).unwrap();
        }
    }
    let b = w.balance(30 * DAY).unwrap();
    let available = |id: &str| {
        b.grants
            .iter()
            .find(|g| g.id == id)
            .map_or(0, |g| g.available)
    };
    assert_eq!(available("none/m1"), 0, "none: expired at period end");
    assert_eq!(available("capped/m1"), 30, "capped: 70 forfeited");
    assert_eq!(available("full/m1"), 100, "full: all carried");
    assert_eq!(b.available, 100 + 130 + 200);
    assert_eq!(b.expired, 100 + 70);
    assert_conserved(&w);
}

#[test]
fn time_never_goes_backwards() {
    let mut w = three_balances();
    w.hold(&hold_request("h", 10, 1000), 100).unwrap();
    let e = w.hold(&hold_request("k", 10, 1000), 99).unwrap_err();
    assert_eq!(e.code, ErrorCode::TimeBeforeLastEntry);
    assert_eq!(
        w.balance(99).unwrap_err().code,
        ErrorCode::TimeBeforeLastEntry
    );
    assert!(
        w.hold(&hold_request("k", 10, 1000), 100).is_ok(),
        "equal times are fine"
    );
    // A retry dated before the last entry still gets its original answer.
    assert!(w.hold(&hold_request("h", 10, 1000), 1).unwrap().replayed);
    let mut entries = w.entries().to_vec();
    entries.swap(3, 4);
    let e = Wallet::from_entries(WalletPolicy::default(), entries).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidLedger);
}

#[test]
fn failed_operation_changes_nothing() {
    let mut w = three_balances();
    w.hold(&hold_request("h", 10, 1000), 5).unwrap();
    let before = w.clone();
    let failures = [
        w.hold(&hold_request("big", 10_000, 1000), 2000).map(|_| ()),
        w.settle("h", 11, 2000).map(|_| ()),
        w.settle("nope", 1, 2000).map(|_| ()),
        w.grant(
            &grant("daily", GrantSource::Daily, 1, None),
            &Metadata::default(),
            2000,
        )
        .map(|_| ()),
        w.hold(&hold_request("neg", 1, 0), 2000).map(|_| ()),
        w.refill(
            &Refill {
                allowance: "x".into(),
                period: "p".into(),
                start: 0,
                end: 1,
                seats: 1,
            },
            2000,
        )
        .map(|_| ()),
    ];
    assert!(failures.iter().all(Result::is_err));
    assert_eq!(w, before);
    // Refused after the expiry due at its time (hold "h" and grant "daily")
    // was applied: that expiry is taken back too, indexes included.
    let balance = w.balance(2 * DAY).unwrap();
    assert!(
        w.hold(&hold_request("huge", 10_000, 1000), 2 * DAY)
            .is_err()
    );
    assert_eq!(w, before);
    assert_eq!(w.balance(2 * DAY).unwrap(), balance);
    assert_conserved(&w);
}

#[test]
fn burn_order_policy_change_reorders_the_open_grants() {
    let mut w = three_balances();
    assert_eq!(w.preview(10, 5).unwrap().allocations[0].grant, "daily");
    let policy = WalletPolicy {
        burn_order: vec![GrantSource::Topup],
        ..WalletPolicy::default()
    };
    w.set_policy(policy).unwrap();
    assert_conserved(&w);
    assert_eq!(w.preview(10, 5).unwrap().allocations[0].grant, "topup");
}

#[test]
fn replay_rebuilds_identical_state() {
    let mut w = three_balances();
    w.hold(&hold_request("a", 250, 1000), 10).unwrap();
    w.settle("a", 100, 20).unwrap();
    w.hold(&hold_request("b", 50, 100), 30).unwrap();
    w.expire(DAY).unwrap();
    assert_replays(&w);
    // Entries survive JSON Lines.
    let lines: Vec<String> = w
        .entries()
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    let parsed: Vec<Entry> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        Wallet::from_entries(WalletPolicy::default(), parsed).unwrap(),
        w
    );
    // A tampered entry does not follow.
    let mut entries = w.entries().to_vec();
    if let Some(Entry::Settle(s)) = entries.get_mut(4) {
        s.amount += 1;
    }
    let e = Wallet::from_entries(WalletPolicy::default(), entries).unwrap_err();
    assert_eq!((e.code, e.line), (ErrorCode::InvalidLedger, Some(5)));
}

#[test]
fn once_allowance_is_granted_for_one_period_only() {
    let policy = WalletPolicy {
        burn_order: vec![],
        allowances: vec![Allowance {
            id: "welcome".into(),
            source: GrantSource::Signup,
            amount: 200,
            per_seat: false,
            priority: 0,
            rollover: Rollover::Full,
            every: None, // signup: once
        }],
    };
    let mut w = Wallet::new(policy).unwrap();
    let first = Refill {
        allowance: "welcome".into(),
        period: "verified".into(),
        start: 0,
        end: DAY,
        seats: 1,
    };
    w.refill(&first, 0).unwrap();
    // The same period again is a retry: replayed, nothing granted.
    assert!(w.refill(&first, DAY).unwrap().replayed);
    // Another period of a once allowance is refused and changes nothing.
    let again = Refill {
        period: "verified-again".into(),
        start: DAY,
        end: 2 * DAY,
        ..first.clone()
    };
    let before = w.clone();
    let err = w.refill(&again, 2 * DAY).unwrap_err();
    assert_eq!(err.code, ErrorCode::RefillConflict);
    assert_eq!(w, before);
    assert_eq!(w.balance(2 * DAY).unwrap().available, 200);
}
