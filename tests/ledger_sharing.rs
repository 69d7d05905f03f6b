//! Two `genprice wallet` processes on one ledger file take turns: the
//! exclusive lock spans each run's read and its synced append, so no entry
//! is lost, duplicated or written out of order.
#![cfg(all(feature = "native", not(target_arch = "wasm32")))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const HOLDS_PER_PROCESS: usize = 500;

fn wallet(ledger: &Path, args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_genprice"))
        .arg("wallet")
        .arg("--ledger")
        .arg(ledger)
        .args(["--now", "1000"])
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{args:?}: {text}");
    serde_json::from_str(&text).unwrap()
}

#[test]
fn two_processes_append_500_holds_each_and_every_entry_survives_in_order() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ledger-sharing");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let ledger = dir.join("wallet.jsonl");
    wallet(
        &ledger,
        &[
            "grant", "--id", "pool", "--source", "promo", "--amount", "5000",
        ],
    );

    let writers: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|name| {
            let ledger = ledger.clone();
            std::thread::spawn(move || {
                for i in 0..HOLDS_PER_PROCESS {
                    let id = format!("{name}-{i}");
                    let receipt = wallet(
                        &ledger,
                        &["hold", "--id", &id, "--amount", "3", "--ttl", "3600000"],
                    );
                    assert_eq!(receipt["entry"]["hold"], id.as_str());
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }

    let text = std::fs::read_to_string(&ledger).unwrap();
    let entries: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 1 + 2 * HOLDS_PER_PROCESS);
    for (i, entry) in entries.iter().enumerate() {
        assert_eq!(entry["seq"], i as u64 + 1, "in order, no gap: {entry}");
    }
    for name in ["a", "b"] {
        // Each process's holds appear in the order it made them.
        let mine: Vec<&str> = entries
            .iter()
            .filter_map(|e| e["hold"].as_str())
            .filter(|h| h.starts_with(name))
            .collect();
        let expected: Vec<String> = (0..HOLDS_PER_PROCESS)
            .map(|i| format!("{name}-{i}"))
            .collect();
        assert_eq!(mine, expected);
    }
    // Conservation: 5000 granted = 2000 available + 3000 held.
    let balance = wallet(&ledger, &["balance"]);
    assert_eq!(
        balance["available"],
        5000 - 3 * 2 * HOLDS_PER_PROCESS as u64
    );
    assert_eq!(balance["held"], 3 * 2 * HOLDS_PER_PROCESS as u64);
    assert_eq!(balance["granted"], 5000, "{balance}");
}
