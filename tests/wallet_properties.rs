//! Model-based property tests of the wallet (proptest).
//!
//! Random sequences of grant / hold / settle / release / expire / refill /
//! preview / balance and exact retries, at random times (mostly increasing,
//! sometimes equal, now and then earlier), are run against the wallet and
//! against a small reference model written separately (`wallet_model/`: vectors and
//! linear scans, no ledger). After every step the test checks that both gave
//! the same answer and hold the same figures, and the invariants: credits
//! are conserved, nothing goes below zero, a hold never resolves twice, a
//! failed operation and a retry change nothing, a preview matches the hold
//! that follows, and the new entries folded into a replica give the same
//! wallet. At the end of each case the whole ledger is replayed from JSON.
//!
//! CI runs 1,000 cases (over 100 k operations); `GENPRICE_LONG=1` runs
//! 10,000 (over 1 M), best in release:
//! `GENPRICE_LONG=1 cargo test --release --test wallet_properties -- --nocapture`.
//!
//! A failure prints the minimal failing sequence, and proptest saves its
//! seed in `tests/wallet_properties.proptest-regressions`, replayed first on
//! the next run.
#![cfg(all(feature = "native", not(target_arch = "wasm32")))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod wallet_model;

use genprice::wallet::{GrantSource, Millis};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestRunner};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::time::Instant;
use wallet_model::{ALLOWANCES, Id, Op, TAGS, run_case};

/// Cases in CI: at least 100 k operations.
const CASES: u32 = 1000;
/// Cases in the long mode (`GENPRICE_LONG=1`): at least 1 M operations.
const LONG_CASES: u32 = 10_000;
const MIN_OPS: usize = 100;
const MAX_OPS: usize = 130;

fn id() -> impl Strategy<Value = Id> {
    prop_oneof![4 => Just(Id::Fresh), 1 => (0..4usize).prop_map(Id::Recent)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (
            id(),
            0..GrantSource::ALL.len(),
            0..1000u64,
            0..2000i64,
            prop::bool::weighted(0.1),
            prop::option::weighted(0.7, 1..6000i64),
            0..3u32,
        )
            .prop_map(|(id, source, amount, back, future, life, priority)| Op::Grant {
                id,
                source,
                amount,
                back,
                future,
                life,
                priority,
            }),
        6 => (
            id(),
            0..500u64,
            prop_oneof![1 => 1..300i64, 4 => 300..20_000i64],
            0..TAGS.len(),
        )
            .prop_map(|(id, amount, ttl, tag)| Op::Hold { id, amount, ttl, tag }),
        4 => (0..4usize, prop_oneof![1 => Just(100u64), 3 => 0..=110u64])
            .prop_map(|(back, percent)| Op::Settle { back, percent }),
        2 => (0..4usize).prop_map(|back| Op::Release { back }),
        1 => Just(Op::Expire),
        2 => (0..ALLOWANCES.len(), 0..8i64, 0..4u64)
            .prop_map(|(allowance, period, seats)| Op::Refill { allowance, period, seats }),
        1 => (0..800u64).prop_map(|amount| Op::Preview { amount }),
        1 => Just(Op::Balance),
        2 => Just(Op::Retry),
    ]
}

/// Time steps: mostly forward, sometimes equal, now and then backwards.
fn step() -> impl Strategy<Value = (Millis, Op)> {
    let dt = prop_oneof![
        3 => Just(0i64),
        10 => 1..100i64,
        3 => 100..1500i64,
        1 => -300..0i64,
    ];
    (dt, op())
}

/// The long mode: `GENPRICE_LONG=1 cargo test --release --test
/// wallet_properties -- --nocapture` runs ten times the cases.
fn long_mode() -> bool {
    std::env::var("GENPRICE_LONG").is_ok_and(|v| !v.is_empty() && v != "0")
}

#[test]
fn wallet_matches_reference_model() {
    let (cases, least) = if long_mode() {
        (LONG_CASES, 1_000_000)
    } else {
        (CASES, 100_000)
    };
    let config = Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/wallet_properties.proptest-regressions",
        ))),
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let ops = Cell::new(0u64);
    let outcomes = RefCell::new(BTreeMap::new());
    let started = Instant::now();
    let strategy = (
        any::<bool>(),
        0..5000i64,
        prop::collection::vec(step(), MIN_OPS..=MAX_OPS),
    );
    let result = runner.run(&strategy, |(ordered, start, steps)| {
        run_case(ordered, start, &steps, &ops, &outcomes).map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    println!(
        "wallet model test: {} operations in {cases} cases, {:.1?}",
        ops.get(),
        started.elapsed()
    );
    for (outcome, n) in outcomes.borrow().iter() {
        println!("  {n:>6}  {outcome}");
    }
    assert!(ops.get() >= least, "only {} operations", ops.get());
}
