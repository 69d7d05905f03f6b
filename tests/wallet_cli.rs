//! `genprice wallet` as a user runs it: a ledger file, one operation per
//! call, JSON on stdout, exit codes.
#![cfg(all(feature = "native", not(target_arch = "wasm32")))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh directory under the target dir for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("wallet_cli-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn genprice(ledger: &Path, now: i64, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_genprice"))
        .arg("wallet")
        .arg("--ledger")
        .arg(ledger)
        .arg("--now")
        .arg(now.to_string())
        .args(args)
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("panicked"),
        "genprice panicked: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn json(out: &Output) -> Value {
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(text.lines().count(), 1, "one JSON line: {text}");
    serde_json::from_str(&text).unwrap()
}

fn ok(ledger: &Path, now: i64, args: &[&str]) -> Value {
    let out = genprice(ledger, now, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    json(&out)
}

fn refused(ledger: &Path, now: i64, args: &[&str]) -> Value {
    let out = genprice(ledger, now, args);
    assert_eq!(out.status.code(), Some(1), "{args:?}");
    json(&out)["error"].clone()
}

fn ledger_lines(ledger: &Path) -> Vec<Value> {
    std::fs::read_to_string(ledger)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn wallet_cli_runs_a_hold_settle_session_and_appends_entries() {
    let ledger = scratch("session").join("wallet.jsonl");
    assert!(!ledger.exists());
    let g = ok(
        &ledger,
        0,
        &[
            "grant",
            "--id",
            "daily/1",
            "--source",
            "daily",
            "--amount",
            "100",
            "--expires",
            "86400000",
        ],
    );
    assert_eq!(g["type"], "receipt");
    assert_eq!(g["entry"]["type"], "grant");
    assert_eq!(g["balance"]["available"], 100);
    ok(
        &ledger,
        0,
        &[
            "grant",
            "--id",
            "pack",
            "--source",
            "topup",
            "--amount",
            "500",
            "--effective",
            "0",
        ],
    );

    let p = ok(&ledger, 1000, &["preview", "--amount", "160"]);
    assert_eq!(p["availableAfter"], 440);
    assert_eq!(p["sources"][0]["source"], "daily");
    assert_eq!(ledger_lines(&ledger).len(), 2, "preview appends nothing");

    let h = ok(
        &ledger,
        1000,
        &[
            "hold",
            "--id",
            "gen-1",
            "--amount",
            "160",
            "--ttl",
            "600000",
            "--studio",
            "image",
            "--product",
            "image/flux-pro",
        ],
    );
    assert_eq!(h["entry"]["allocations"], p["allocations"]);
    let s = ok(
        &ledger,
        5000,
        &["settle", "--id", "gen-1", "--amount", "120"],
    );
    assert_eq!(s["entry"]["lines"][1]["returned"], 40);
    assert_eq!(s["entry"]["metadata"]["product"], "image/flux-pro");
    assert_eq!(s["balance"]["spent"], 120);

    let b = ok(&ledger, 6000, &["balance"]);
    assert_eq!(b["type"], "balance");
    assert_eq!(b["available"], 480);

    let lines = ledger_lines(&ledger);
    let kinds: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["grant", "grant", "hold", "settle"]);
    let seqs: Vec<u64> = lines.iter().map(|l| l["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, [1, 2, 3, 4]);
}

#[test]
fn wallet_cli_retries_are_idempotent_and_conflicts_are_errors() {
    let ledger = scratch("retry").join("wallet.jsonl");
    let grant = [
        "grant",
        "--id",
        "pack",
        "--source",
        "topup",
        "--amount",
        "50",
        "--effective",
        "0",
    ];
    ok(&ledger, 0, &grant);
    let again = ok(&ledger, 10, &grant);
    assert_eq!(again["replayed"], true);
    let e = refused(
        &ledger,
        10,
        &[
            "grant",
            "--id",
            "pack",
            "--source",
            "topup",
            "--amount",
            "51",
            "--effective",
            "0",
        ],
    );
    assert_eq!(e["code"], "grant_conflict");
    ok(
        &ledger,
        20,
        &["hold", "--id", "h", "--amount", "30", "--ttl", "1000"],
    );
    ok(&ledger, 30, &["release", "--id", "h"]);
    assert_eq!(ok(&ledger, 40, &["release", "--id", "h"])["replayed"], true);
    assert_eq!(
        refused(&ledger, 40, &["settle", "--id", "h", "--amount", "1"])["code"],
        "already_released"
    );
    assert_eq!(ledger_lines(&ledger).len(), 3);
}

#[test]
fn wallet_cli_refusals_carry_code_and_figures() {
    let ledger = scratch("refusals").join("wallet.jsonl");
    ok(
        &ledger,
        0,
        &[
            "grant", "--id", "pack", "--source", "topup", "--amount", "50",
        ],
    );
    let e = refused(
        &ledger,
        1,
        &["hold", "--id", "h", "--amount", "80", "--ttl", "1000"],
    );
    assert_eq!(e["code"], "insufficient_credits");
    assert_eq!(
        (
            e["requested"].as_u64(),
            e["available"].as_u64(),
            e["shortfall"].as_u64()
        ),
        (Some(80), Some(50), Some(30))
    );
    assert_eq!(
        refused(&ledger, 1, &["settle", "--id", "nope", "--amount", "1"])["code"],
        "unknown_hold"
    );
    ok(
        &ledger,
        5,
        &["hold", "--id", "h", "--amount", "10", "--ttl", "1000"],
    );
    assert_eq!(
        refused(&ledger, 4, &["balance"])["code"],
        "time_before_last_entry"
    );
    let e = refused(&ledger, 6, &["settle", "--id", "h", "--amount", "11"]);
    assert_eq!(
        (e["code"].as_str(), e["available"].as_u64()),
        (Some("exceeds_hold"), Some(10))
    );
    assert_eq!(
        refused(&ledger, 2000, &["release", "--id", "h"])["code"],
        "hold_expired"
    );
    let e = refused(
        &ledger,
        2000,
        &[
            "refill",
            "--allowance",
            "pro",
            "--period",
            "p1",
            "--start",
            "0",
            "--end",
            "10",
        ],
    );
    assert_eq!(e["code"], "unknown_allowance");
}

#[test]
fn wallet_cli_refills_from_a_policy_file() {
    let dir = scratch("refill");
    let ledger = dir.join("wallet.jsonl");
    let policy = dir.join("policy.json");
    std::fs::write(
        &policy,
        r#"{"allowances":[{"id":"team","source":"seat","amount":150,"perSeat":true}]}"#,
    )
    .unwrap();
    let policy = policy.to_str().unwrap();
    let args = [
        "--policy",
        policy,
        "refill",
        "--allowance",
        "team",
        "--period",
        "2026-11",
        "--start",
        "0",
        "--end",
        "1000",
        "--seats",
        "3",
    ];
    let r = ok(&ledger, 0, &args);
    assert_eq!(r["entry"]["grant"]["amount"], 450);
    assert_eq!(r["entry"]["grant"]["id"], "team/2026-11");
    assert_eq!(ok(&ledger, 1, &args)["replayed"], true);
    let e = expire_at(&ledger, 1000);
    assert_eq!(e["entry"]["grants"][0]["amount"], 450);
    assert_eq!(e["balance"]["expired"], 450);
}

#[test]
fn wallet_cli_takes_the_policy_from_the_catalog() {
    let dir = scratch("catalog-policy");
    let ledger = dir.join("wallet.jsonl");
    let catalog = concat!(env!("CARGO_MANIFEST_DIR"), "/pricing.toml");
    // pricing.toml: team-seat grants 1500 credits per seat; burn order puts
    // daily credits before top-ups.
    let refill = [
        "--catalog",
        catalog,
        "refill",
        "--allowance",
        "team-seat",
        "--period",
        "2026-11",
        "--start",
        "0",
        "--end",
        "1000",
        "--seats",
        "2",
    ];
    assert_eq!(ok(&ledger, 0, &refill)["entry"]["grant"]["amount"], 3000);
    let daily = [
        "--catalog",
        catalog,
        "refill",
        "--allowance",
        "free-daily",
        "--period",
        "d1",
        "--start",
        "0",
        "--end",
        "1000",
    ];
    ok(&ledger, 0, &daily);
    let preview = ok(
        &ledger,
        1,
        &["--catalog", catalog, "preview", "--amount", "150"],
    );
    assert_eq!(preview["allocations"][0]["source"], "daily", "{preview}");
    assert_eq!(preview["allocations"][0]["amount"], 100);
    let err = refused(
        &ledger,
        1,
        &[
            "--catalog",
            catalog,
            "refill",
            "--allowance",
            "nope",
            "--period",
            "x",
            "--start",
            "0",
            "--end",
            "5",
        ],
    );
    assert_eq!(err["code"], "unknown_allowance");
}

fn expire_at(ledger: &Path, now: i64) -> Value {
    ok(ledger, now, &["expire"])
}

#[test]
fn wallet_cli_reports_a_corrupt_ledger_line() {
    let ledger = scratch("corrupt").join("wallet.jsonl");
    ok(
        &ledger,
        0,
        &[
            "grant", "--id", "pack", "--source", "topup", "--amount", "50",
        ],
    );
    let mut text = std::fs::read_to_string(&ledger).unwrap();
    text.push_str("\n{\"type\":\"grant\",\"seq\":2\n");
    std::fs::write(&ledger, text).unwrap();
    let e = refused(&ledger, 1, &["balance"]);
    assert_eq!(e["code"], "invalid_ledger");
    assert_eq!(e["line"], 3, "blank line 2 is skipped, line 3 is bad");

    // An entry that parses but does not follow is also reported by line.
    let ledger = scratch("tampered").join("wallet.jsonl");
    ok(
        &ledger,
        0,
        &[
            "grant", "--id", "pack", "--source", "topup", "--amount", "50",
        ],
    );
    ok(
        &ledger,
        1,
        &["hold", "--id", "h", "--amount", "30", "--ttl", "1000"],
    );
    let text =
        std::fs::read_to_string(&ledger)
            .unwrap()
            .replacen("\"amount\":30", "\"amount\":31", 1);
    std::fs::write(&ledger, text).unwrap();
    let e = refused(&ledger, 2, &["balance"]);
    assert_eq!(
        (e["code"].as_str(), e["line"].as_u64()),
        (Some("invalid_ledger"), Some(2))
    );
}

#[test]
fn wallet_cli_usage_errors_exit_2_and_help_works() {
    let out = Command::new(env!("CARGO_BIN_EXE_genprice"))
        .args(["wallet", "balance"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "--ledger is required");
    for args in [
        vec!["wallet", "--help"],
        vec!["wallet", "grant", "--help"],
        vec!["wallet", "hold", "--help"],
        vec!["wallet", "settle", "--help"],
        vec!["wallet", "release", "--help"],
        vec!["wallet", "expire", "--help"],
        vec!["wallet", "refill", "--help"],
        vec!["wallet", "balance", "--help"],
        vec!["wallet", "preview", "--help"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_genprice"))
            .args(&args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{args:?}"
        );
    }
    let ledger = scratch("usage").join("wallet.jsonl");
    let out = genprice(
        &ledger,
        0,
        &["grant", "--id", "x", "--source", "gold", "--amount", "1"],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "unknown source is a usage error"
    );
}

#[test]
fn wallet_cli_negative_numbers_get_coded_errors_like_now() {
    let ledger = scratch("negative").join("wallet.jsonl");
    ok(
        &ledger,
        0,
        &["grant", "--id", "g", "--source", "promo", "--amount", "10"],
    );
    let cases: [(&[&str], &str, &str); 6] = [
        (
            &["hold", "--id", "h", "--amount", "5", "--ttl", "-5"],
            "invalid_time",
            "ttl",
        ),
        (
            &["hold", "--id", "h", "--amount", "-5", "--ttl", "5"],
            "invalid_amount",
            "amount",
        ),
        (
            &["settle", "--id", "h", "--amount", "-1"],
            "invalid_amount",
            "amount",
        ),
        (&["preview", "--amount", "-1"], "invalid_amount", "amount"),
        (
            &[
                "grant",
                "--id",
                "p",
                "--source",
                "promo",
                "--amount",
                "1",
                "--priority",
                "-2",
            ],
            "invalid_request",
            "priority",
        ),
        (
            &[
                "grant",
                "--id",
                "e",
                "--source",
                "promo",
                "--amount",
                "1",
                "--expires",
                "-9",
            ],
            "invalid_time",
            "",
        ),
    ];
    for (args, code, path) in cases {
        let error = refused(&ledger, 1, args);
        assert_eq!(error["code"], code, "{args:?}: {error}");
        if !path.is_empty() {
            assert_eq!(error["path"], path, "{args:?}: {error}");
        }
    }
    // --now itself, as before.
    let error = refused(&ledger, -1, &["balance"]);
    assert_eq!(error["code"], "invalid_time");
    // Nothing refused was written.
    assert_eq!(ledger_lines(&ledger).len(), 1);
}

#[test]
fn wallet_cli_help_keeps_the_ledger_options_apart_and_says_defaults_once() {
    let out = Command::new(env!("CARGO_BIN_EXE_genprice"))
        .args(["wallet", "grant", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    let (own, shared) = help
        .split_once("Ledger options:")
        .unwrap_or_else(|| panic!("no Ledger options heading: {help}"));
    assert!(
        own.contains("--priority") && !own.contains("--ledger"),
        "{help}"
    );
    assert!(
        shared.contains("--ledger") && shared.contains("--catalog"),
        "{help}"
    );
    let priority = help
        .lines()
        .skip_while(|l| !l.contains("--priority"))
        .take(3);
    assert_eq!(
        priority.collect::<String>().matches("default").count(),
        1,
        "{help}"
    );
}

#[test]
fn wallet_cli_takes_the_policy_from_pricing_toml_by_default_or_says_how() {
    // From the repository root: ./pricing.toml's [wallet] knows free-daily.
    let ledger = scratch("default-policy").join("wallet.jsonl");
    let receipt = ok(
        &ledger,
        0,
        &[
            "refill",
            "--allowance",
            "free-daily",
            "--period",
            "d1",
            "--start",
            "0",
            "--end",
            "86400000",
        ],
    );
    assert_eq!(receipt["entry"]["grant"]["amount"], 100, "{receipt}");

    // Elsewhere, with no pricing.toml and no --policy: a clear, coded error.
    let dir = scratch("no-policy");
    let out = Command::new(env!("CARGO_BIN_EXE_genprice"))
        .current_dir(&dir)
        .args(["wallet", "--ledger", "w.jsonl", "--now", "0", "balance"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let error = json(&out)["error"].clone();
    assert_eq!(error["code"], "io");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("pricing.toml") && message.contains("--policy"),
        "{message}"
    );
}

#[test]
fn wallet_cli_reports_a_torn_last_line_and_leaves_it_alone() {
    let ledger = scratch("torn").join("wallet.jsonl");
    ok(
        &ledger,
        0,
        &["grant", "--id", "g", "--source", "promo", "--amount", "10"],
    );
    ok(
        &ledger,
        1,
        &["hold", "--id", "h", "--amount", "4", "--ttl", "1000"],
    );
    let whole = std::fs::read(&ledger).unwrap();
    // A crash in the middle of appending the second line.
    let torn = &whole[..whole.len() - 20];
    std::fs::write(&ledger, torn).unwrap();
    for args in [&["balance"][..], &["release", "--id", "h"]] {
        let error = refused(&ledger, 2, args);
        assert_eq!(error["code"], "ledger_torn", "{error}");
        assert_eq!(error["line"], 2, "{error}");
    }
    assert_eq!(
        std::fs::read(&ledger).unwrap(),
        torn,
        "never repaired or dropped"
    );
}
