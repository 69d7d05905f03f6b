//! The wallet ledger reader (JSON Lines).
//!
//! Oracle: no panic, no hang, no memory blow-up; a refusal is
//! `invalid_ledger` or `ledger_torn` with its line number; an accepted
//! ledger adds up (conservation per grant) and, written back line by line,
//! reads as the same wallet.
#![no_main]

use genprice::ErrorCode;
use genprice::wallet::{Allowance, GrantSource, Rollover, WalletPolicy, ledger_line, read_ledger};
use libfuzzer_sys::fuzz_target;

/// A policy with allowances, so refill entries can be valid.
fn policy() -> WalletPolicy {
    let allowance = |id: &str, source, rollover| Allowance {
        id: id.into(),
        source,
        amount: 100,
        per_seat: id == "seat",
        priority: 0,
        rollover,
        every: None,
    };
    WalletPolicy {
        burn_order: vec![GrantSource::Daily, GrantSource::Monthly],
        allowances: vec![
            allowance("daily", GrantSource::Daily, Rollover::None),
            allowance("seat", GrantSource::Seat, Rollover::None),
            allowance("capped", GrantSource::Monthly, Rollover::Capped { cap: 50 }),
            allowance("full", GrantSource::Annual, Rollover::Full),
        ],
    }
}

fuzz_target!(|data: &[u8]| {
    match read_ledger(policy(), data) {
        Ok(wallet) => {
            for g in wallet.grants() {
                let parts = [g.available, g.held, g.spent, g.expired]
                    .iter()
                    .try_fold(0u64, |s, x| s.checked_add(*x));
                assert_eq!(parts, Some(g.grant.amount), "credits not conserved");
            }
            let mut text = String::new();
            for entry in wallet.entries() {
                text.push_str(&ledger_line(entry).expect("an entry writes"));
            }
            let again = read_ledger(policy(), text.as_bytes()).expect("a written ledger reads");
            assert_eq!(again, wallet);
        }
        Err(e) => {
            assert!(
                matches!(e.code, ErrorCode::InvalidLedger | ErrorCode::LedgerTorn),
                "{e:?}"
            );
            assert!(e.line.is_some(), "a ledger error names its line: {e:?}");
        }
    }
});
