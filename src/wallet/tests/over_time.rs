//! The wallet invariants that play out over time (12–18): expiry of holds
//! and grants, refills and rollover, time order, failed operations, replay.

use super::*;

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
                ..nov.clone()
            },
            8,
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::UnknownAllowance);
    // The refusal names what the policy does have.
    let known: Vec<&str> = w
        .policy()
        .allowances
        .iter()
        .map(|a| a.id.as_str())
        .collect();
    assert!(
        e.message.contains(&format!("it has {}", known.join(", "))),
        "{}",
        e.message
    );
    let mut empty = Wallet::default();
    let e = empty
        .refill(
            &Refill {
                allowance: "gold".into(),
                ..nov.clone()
            },
            0,
        )
        .unwrap_err();
    assert!(e.message.contains("no allowances at all"), "{}", e.message);
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
