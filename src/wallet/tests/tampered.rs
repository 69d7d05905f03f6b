//! A ledger folds only if every entry follows from the ones before: each
//! way an entry can be tampered with is `invalid_ledger` (found by mutation
//! testing: the property test and the fuzzers fold only ledgers the wallet
//! wrote, so no check of `Wallet::apply` was ever refused).

use super::*;
use serde_json::{Value, json};

/// A ledger with an entry of every kind: grants, a refill, holds settled,
/// released and timed out, an expire of a hold and of a grant, and a second
/// refill that forfeits. Entries by `seq`: 1 grant topup, 2 grant daily,
/// 3 refill pro/m1, 4 hold h1, 5 hold h2, 6 release h2, 7 settle h1,
/// 8 grant short, 9 grant idle, 10 hold h3, 11 expire, 12 refill pro/m2.
fn story() -> (WalletPolicy, Vec<Value>) {
    let policy = WalletPolicy {
        burn_order: vec![],
        allowances: vec![Allowance {
            id: "pro".into(),
            source: GrantSource::Monthly,
            amount: 100,
            per_seat: false,
            priority: 0,
            // Nothing carries over: the second refill forfeits exactly what
            // the first grant has left.
            rollover: Rollover::Capped { cap: 0 },
            every: None,
        }],
    };
    let mut w = Wallet::new(policy.clone()).unwrap();
    give(&mut w, &grant("topup", GrantSource::Topup, 500, None), 0);
    give(
        &mut w,
        &grant("daily", GrantSource::Daily, 100, Some(DAY)),
        0,
    );
    let refill = |period: &str, start: Millis| Refill {
        allowance: "pro".into(),
        period: period.into(),
        start,
        end: start + 30 * DAY,
        seats: 1,
    };
    w.refill(&refill("m1", 0), 1).unwrap();
    w.hold(&hold_request("h1", 150, 1000), 2).unwrap();
    // h2 is held and released while h1 still holds "daily".
    w.hold(&hold_request("h2", 10, 1000), 3).unwrap();
    w.release("h2", 4).unwrap();
    w.settle("h1", 120, 5).unwrap();
    give(&mut w, &grant("short", GrantSource::Promo, 5, Some(DAY)), 5);
    give(
        &mut w,
        &grant("idle", GrantSource::Adjustment, 9, Some(2 * DAY)),
        5,
    );
    // Held from "short", which expires while the hold is out.
    w.hold(&hold_request("h3", 5, 10), 6).unwrap();
    w.expire(2 * DAY + 1).unwrap();
    w.refill(&refill("m2", 30 * DAY), 30 * DAY).unwrap();
    let entries = w
        .entries()
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    (policy, entries)
}

/// Appends `item` to the JSON array `list`.
fn push(list: &mut Value, item: Value) {
    list.as_array_mut().unwrap().push(item);
}

fn fold(policy: &WalletPolicy, entries: &[Value]) -> Result<Wallet, WalletError> {
    let entries: Vec<Entry> = entries
        .iter()
        .map(|v| serde_json::from_value(v.clone()).unwrap())
        .collect();
    Wallet::from_entries(policy.clone(), entries)
}

#[test]
fn the_story_folds_and_has_every_kind_of_entry() {
    let (policy, entries) = story();
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "grant", "grant", "refill", "hold", "hold", "release", "settle", "grant", "grant",
            "hold", "expire", "refill"
        ]
    );
    assert_eq!(entries[10]["holds"][0]["lines"][0]["expired"], 5);
    assert_eq!(
        entries[10]["grants"],
        json!([{"grant": "idle", "amount": 9}])
    );
    assert_eq!(entries[11]["forfeited"][0]["grant"], "pro/m1");
    assert!(fold(&policy, &entries).is_ok());
}

/// Each tampering: the `seq` of the entry changed, what changes, and why
/// the ledger up to it no longer follows.
type Tamper = (usize, fn(&mut Value), &'static str);

const TAMPERS: &[Tamper] = &[
    (
        2,
        |e| e["grant"]["id"] = json!("topup"),
        "a grant id granted twice",
    ),
    (
        2,
        |e| e["grant"]["amount"] = json!(9_007_199_254_740_991_u64),
        "more granted than the wallet holds",
    ),
    (
        4,
        |e| e["expiresAt"] = json!(1003),
        "a hold expiring at other than at + ttl",
    ),
    (
        4,
        |e| {
            e["ttl"] = json!(0);
            e["expiresAt"] = json!(2)
        },
        "a hold with no ttl",
    ),
    (4, |e| e["hold"] = json!(""), "a hold without an id"),
    (5, |e| e["hold"] = json!("h1"), "a hold made twice"),
    (
        4,
        |e| {
            e["allocations"] = json!([
                {"grant": "daily", "amount": 50, "source": "daily"},
                {"grant": "daily", "amount": 50, "source": "daily"},
                {"grant": "pro/m1", "amount": 50, "source": "monthly"},
            ]);
        },
        "an allocation repeating a grant",
    ),
    (
        6,
        |e| e["lines"][0]["grant"] = json!("daily"),
        "a release line naming a grant that holds for another hold",
    ),
    (
        4,
        |e| {
            push(
                &mut e["allocations"],
                json!({"grant": "topup", "amount": 0, "source": "topup"}),
            )
        },
        "an allocation of nothing",
    ),
    (
        4,
        |e| e["allocations"][0]["source"] = json!("monthly"),
        "an allocation naming the wrong source",
    ),
    (
        4,
        |e| e["allocations"][0]["grant"] = json!("nobody"),
        "an allocation from an unknown grant",
    ),
    (
        4,
        |e| {
            e["allocations"][0]["amount"] = json!(101);
            e["amount"] = json!(151)
        },
        "an allocation over what the grant has",
    ),
    (
        4,
        |e| e["amount"] = json!(149),
        "allocations not adding up to the hold",
    ),
    (
        7,
        |e| e["hold"] = json!("h9"),
        "a settle of an unknown hold",
    ),
    (
        7,
        |e| {
            // h2 was released by entry 6.
            e["hold"] = json!("h2");
            e["amount"] = json!(0);
            e["lines"] = json!([{"grant": "pro/m1", "charged": 0, "returned": 10, "expired": 0}]);
        },
        "a hold resolved twice",
    ),
    (
        7,
        |e| e["at"] = json!(1002),
        "a settle after the hold timed out",
    ),
    (
        7,
        |e| e["lines"][0]["grant"] = json!("pro/m1"),
        "a line naming another grant than its allocation",
    ),
    (
        7,
        |e| e["lines"][1]["returned"] = json!(31),
        "a line adding up to more than its allocation",
    ),
    (
        7,
        |e| {
            e["lines"][1]["returned"] = json!(0);
            e["lines"][1]["expired"] = json!(30)
        },
        "credits expired to a grant that has not expired",
    ),
    (
        7,
        |e| e["lines"].as_array_mut().unwrap().truncate(1),
        "fewer lines than allocations",
    ),
    (
        7,
        |e| {
            e["lines"][1]["charged"] = json!(21);
            e["lines"][1]["returned"] = json!(29)
        },
        "charged credits not adding up to the settled amount",
    ),
    (
        6,
        |e| {
            e["lines"][0]["charged"] = json!(1);
            e["lines"][0]["returned"] = json!(9)
        },
        "a release that charges",
    ),
    (
        11,
        |e| {
            e["holds"][0]["lines"][0]["expired"] = json!(0);
            e["holds"][0]["lines"][0]["returned"] = json!(5)
        },
        "credits returned to a grant that has expired",
    ),
    (
        11,
        |e| {
            let h = e["holds"][0].clone();
            push(&mut e["holds"], h)
        },
        "an expire naming a hold twice",
    ),
    (
        11,
        |e| {
            let g = e["grants"][0].clone();
            push(&mut e["grants"], g)
        },
        "an expire naming a grant twice",
    ),
    (
        11,
        |e| push(&mut e["grants"], json!({"grant": "topup", "amount": 500})),
        "an expire of a grant that does not expire",
    ),
    (
        11,
        |e| push(&mut e["grants"], json!({"grant": "short", "amount": 0})),
        "an expire of nothing",
    ),
    (
        11,
        |e| e["grants"][0]["amount"] = json!(8),
        "an expire of less than the grant has",
    ),
    (
        11,
        |e| e["at"] = json!(100),
        "an expire of a hold not yet timed out",
    ),
    (
        12,
        |e| e["period"] = json!("m1"),
        "a refill of a period refilled before",
    ),
    (
        12,
        |e| e["end"] = e["start"].clone(),
        "a refill of an empty period",
    ),
    (
        12,
        |e| e["allowance"] = json!("a/b"),
        "a refill with a slash in its allowance",
    ),
    (
        12,
        |e| {
            let f = json!({"grant": "pro/m1", "amount": 1});
            e["forfeited"] = json!([f.clone(), f])
        },
        "a refill forfeiting a grant twice",
    ),
    (
        12,
        |e| push(&mut e["forfeited"], json!({"grant": "topup", "amount": 0})),
        "a refill forfeiting nothing",
    ),
    (
        12,
        |e| e["forfeited"][0]["amount"] = json!(1000),
        "a refill forfeiting more than the grant has",
    ),
    (
        12,
        |e| e["grant"]["id"] = json!("daily"),
        "a refill whose grant id is taken",
    ),
];

#[test]
fn every_tampered_entry_is_refused() {
    let (policy, entries) = story();
    let mut folded = Vec::new();
    for (seq, tamper, what) in TAMPERS {
        let mut changed = entries.clone();
        tamper(&mut changed[seq - 1]);
        // Up to the tampered entry: the refusal must be its own, not that
        // of a later entry that no longer follows.
        match fold(&policy, &changed[..*seq]) {
            Ok(_) => folded.push(*what),
            Err(e) => assert!(
                matches!(
                    e.code,
                    ErrorCode::InvalidLedger | ErrorCode::InvalidId | ErrorCode::InvalidAmount
                ),
                "{what}: {e}"
            ),
        }
    }
    assert!(folded.is_empty(), "folded although tampered: {folded:?}");
}

/// The story's wallet after its first ten entries (hold h3 pending), as a
/// snapshot in JSON.
fn snapshot_mid_story() -> (WalletPolicy, Value) {
    let (policy, entries) = story();
    let w = fold(&policy, &entries[..10]).unwrap();
    (policy, serde_json::to_value(w.snapshot()).unwrap())
}

/// The snapshot's grant with this id, to tamper with.
fn grant_in<'s>(snapshot: &'s mut Value, id: &str) -> &'s mut Value {
    snapshot["grants"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|g| g["grant"]["id"] == id)
        .unwrap()
}

/// A tampering of a snapshot: what changes, and why it no longer adds up.
type SnapshotTamper = (fn(&mut Value), &'static str);

const SNAPSHOT_TAMPERS: &[SnapshotTamper] = &[
    (
        |s| s["holds"][0]["seq"] = json!(11),
        "a hold after the last entry",
    ),
    (|s| s["holds"][0]["seq"] = json!(0), "a hold without a seq"),
    (
        |s| s["holds"][0]["status"] = json!({"status": "released"}),
        "a hold not pending",
    ),
    (
        |s| s["holds"][0]["allocations"][0]["amount"] = json!(4),
        "a hold's allocations not adding up",
    ),
    (
        |s| s["holds"][0]["allocations"][0]["grant"] = json!("topup"),
        "a hold on another grant than the one holding",
    ),
    (
        |s| {
            let h = s["holds"][0].clone();
            push(&mut s["holds"], h)
        },
        "a hold twice",
    ),
    (
        |s| grant_in(s, "idle")["seq"] = json!(11),
        "a grant after the last entry",
    ),
    (
        |s| {
            let g = grant_in(s, "idle");
            g["available"] = json!(0);
            g["spent"] = json!(9)
        },
        "a closed grant",
    ),
    (
        |s| {
            grant_in(s, "idle")["available"] = json!(10);
            // The source's totals agree, so only the grant's own sum is off.
            assert_eq!(s["sources"][4]["source"], "adjustment");
            s["sources"][4]["available"] = json!(10);
        },
        "a grant not conserving its credits",
    ),
    (
        |s| {
            let g = grant_in(s, "topup");
            g["available"] = json!(499);
            g["held"] = json!(1)
        },
        "credits held by no hold",
    ),
    (
        |s| {
            let g = grant_in(s, "idle").clone();
            push(&mut s["grants"], g)
        },
        "a grant twice",
    ),
    (
        |s| s["granted"] = json!(715),
        "totals per source not adding up to granted",
    ),
    (
        |s| s["sources"][1]["spent"] = json!(19),
        "totals per source not covering the open grants",
    ),
    (
        |s| s["refills"][0]["seq"] = json!(11),
        "a refill after the last entry",
    ),
];

#[test]
fn every_tampered_snapshot_is_refused() {
    let (policy, snapshot) = snapshot_mid_story();
    let read = |s: &Value| {
        Wallet::from_snapshot(policy.clone(), serde_json::from_value(s.clone()).unwrap())
    };
    let again = read(&snapshot).unwrap();
    assert_eq!(serde_json::to_value(again.snapshot()).unwrap(), snapshot);
    // Only the sources ever granted: five of the nine.
    assert_eq!(snapshot["sources"].as_array().unwrap().len(), 5);
    let mut read_anyway = Vec::new();
    for (tamper, what) in SNAPSHOT_TAMPERS {
        let mut changed = snapshot.clone();
        tamper(&mut changed);
        match read(&changed) {
            Ok(_) => read_anyway.push(*what),
            Err(e) => assert_eq!(e.code, ErrorCode::InvalidLedger, "{what}: {e}"),
        }
    }
    assert!(
        read_anyway.is_empty(),
        "read although tampered: {read_anyway:?}"
    );
}

/// The most a wallet may be granted, 2^53 − 1, survives a snapshot.
#[test]
fn a_snapshot_of_the_largest_wallet_is_read() {
    let mut w = Wallet::default();
    give(
        &mut w,
        &grant("all", GrantSource::Topup, crate::MAX_AMOUNT, None),
        0,
    );
    let again = Wallet::from_snapshot(WalletPolicy::default(), w.snapshot()).unwrap();
    assert_eq!(again.granted(), crate::MAX_AMOUNT);
}

/// A snapshot keeps each allowance's latest refill (by start, whatever its
/// period's name sorts as) even when its grant is spent, and no older
/// refill whose grant is closed.
#[test]
fn a_snapshot_keeps_the_latest_refill_of_each_allowance() {
    let policy = WalletPolicy {
        burn_order: vec![],
        allowances: vec![Allowance {
            id: "pro".into(),
            source: GrantSource::Monthly,
            amount: 10,
            per_seat: false,
            priority: 0,
            rollover: Rollover::None,
            every: None,
        }],
    };
    let mut w = Wallet::new(policy.clone()).unwrap();
    // Named so that the latest sorts between the other two.
    for (i, (period, start)) in [("x-1", 0), ("z-2", 30 * DAY), ("y-3", 60 * DAY)]
        .into_iter()
        .enumerate()
    {
        let refill = Refill {
            allowance: "pro".into(),
            period: period.into(),
            start,
            end: start + 30 * DAY,
            seats: 1,
        };
        w.refill(&refill, start).unwrap();
        let id = format!("spend-{i}");
        w.hold(&hold_request(&id, 10, 1000), start + 1).unwrap();
        w.settle(&id, 10, start + 2).unwrap();
    }
    let kept: Vec<String> = w
        .snapshot()
        .refills
        .iter()
        .map(|r| r.period.clone())
        .collect();
    assert_eq!(kept, ["y-3"]);
    // And the rebuilt wallet still knows it was refilled.
    let again = Wallet::from_snapshot(policy, w.snapshot()).unwrap();
    assert!(again.refilled("pro", "y-3"));
}

/// Only the last entry, an expire, can be taken back, and only by itself.
#[test]
fn only_the_last_expire_entry_is_taken_back() {
    let (policy, entries) = story();
    let mut w = fold(&policy, &entries[..11]).unwrap();
    let Some(Entry::Expire(last)) = w.entries().last().cloned() else {
        panic!("the story's 11th entry is an expire");
    };
    let before = w.clone();
    let mut other = last.clone();
    other.at += 1;
    assert_eq!(
        w.unapply_expire(&other).unwrap_err().code,
        ErrorCode::InvalidLedger
    );
    assert_eq!(w, before, "a refused take-back changes nothing");
}

/// A refill without `seats` counts one seat.
#[test]
fn a_refill_without_seats_has_one() {
    let refill: Refill =
        serde_json::from_value(json!({"allowance": "pro", "period": "m1", "start": 0, "end": 10}))
            .unwrap();
    assert_eq!(refill.seats, 1);
}

/// A capped rollover forfeits only what periods that started earlier have
/// left, not a period starting at the same time.
#[test]
fn a_refill_forfeits_only_earlier_periods() {
    let policy = WalletPolicy {
        burn_order: vec![],
        allowances: vec![Allowance {
            id: "pro".into(),
            source: GrantSource::Monthly,
            amount: 100,
            per_seat: false,
            priority: 0,
            rollover: Rollover::Capped { cap: 0 },
            every: None,
        }],
    };
    let mut w = Wallet::new(policy).unwrap();
    let refill = |period: &str, start: Millis| Refill {
        allowance: "pro".into(),
        period: period.into(),
        start,
        end: start + 30 * DAY,
        seats: 1,
    };
    let forfeited = |receipt: Receipt| match receipt.entry {
        Entry::Refill(r) => r.forfeited.len(),
        other => panic!("not a refill: {other:?}"),
    };
    assert_eq!(forfeited(w.refill(&refill("a", 0), 0).unwrap()), 0);
    assert_eq!(forfeited(w.refill(&refill("b", 0), 1).unwrap()), 0);
    assert_eq!(forfeited(w.refill(&refill("c", DAY), DAY).unwrap()), 2);
}
