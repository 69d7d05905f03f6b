//! Hostile sizes against the library and the CLI (issue 14): each gets a
//! coded error or is served within bounded memory. The limits are stated
//! in the README ("Limits").
#![cfg(all(feature = "native", not(target_arch = "wasm32")))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use genprice::{Catalog, ErrorCode, MAX_ITEMS, Request, quote};
use serde_json::{Value, json};

const HEAD: &str = "id = \"x\"\nversion = \"1\"\nunit = \"credits\"\ndecimals = 0\n\
                    rounding = \"up\"\ntiers = [\"basic\"]\n";

/// A catalog with one image product that has `options` options of two
/// values each, the second multiplying by `multiplier`.
fn wide_catalog(options: usize, multiplier: &str) -> Catalog {
    let mut text = format!(
        "{HEAD}[[products]]\nid = \"image/wide\"\nname = \"Wide\"\nstudio = \"image\"\n\
         tier = \"basic\"\nmeter = \"image\"\nprice = 10\noutputs = {{ max = 4, default = 1 }}\n"
    );
    for k in 0..options {
        text.push_str(&format!(
            "[products.options.o{k}]\ndefault = \"a\"\nvalues = {{ a = 1, b = {multiplier} }}\n"
        ));
    }
    Catalog::from_toml(&text, "wide.toml").unwrap()
}

fn scene(items: usize, options: usize) -> Value {
    let chosen: serde_json::Map<String, Value> = (0..options)
        .map(|k| (format!("o{k}"), json!("b")))
        .collect();
    let item = json!({"product": "image/wide", "outputs": 4, "options": chosen});
    json!({"items": vec![item; items]})
}

#[test]
fn a_deeply_nested_catalog_is_refused_with_a_code_not_a_stack_overflow() {
    let depth = 100_000;
    let toml = format!("{HEAD}nest = {}{}\n", "[".repeat(depth), "]".repeat(depth));
    let e = Catalog::from_toml(&toml, "deep.toml").unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidCatalog);
    assert!(e.to_string().contains("recurse"), "{e}");
    let inline = format!(
        "{HEAD}nest = {}1{}\n",
        "{a=".repeat(depth),
        "}".repeat(depth)
    );
    assert_eq!(
        Catalog::from_toml(&inline, "deep.toml").unwrap_err().code(),
        ErrorCode::InvalidCatalog
    );
    let json = format!("{{\"id\":{}{}}}", "[".repeat(depth), "]".repeat(depth));
    let e = Catalog::from_json_str(&json).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidCatalog);
    assert!(e.to_string().contains("recursion limit"), "{e}");
}

#[test]
fn a_deeply_nested_request_is_invalid_json() {
    let depth = 100_000;
    let text = format!("{{\"items\":{}{}}}", "[".repeat(depth), "]".repeat(depth));
    assert_eq!(
        Request::from_json_str(&text).unwrap_err().code,
        ErrorCode::InvalidJson
    );
}

#[test]
fn a_huge_catalog_is_read_and_its_duplicates_found() {
    let mut text = HEAD.to_string();
    for i in 0..20_000 {
        let id = if i == 19_999 { 3 } else { i };
        text.push_str(&format!(
            "[[products]]\nid = \"image/p{id}\"\nname = \"P\"\nstudio = \"image\"\n\
             tier = \"basic\"\nmeter = \"image\"\nprice = {i}\n"
        ));
    }
    let e = Catalog::from_toml(&text, "huge.toml").unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidCatalog);
    assert!(
        e.to_string()
            .contains("duplicate product id \"image/p3\" (first at products[3])"),
        "{e}"
    );
}

#[test]
fn a_scene_of_ten_thousand_items_with_a_hundred_options_each_is_priced() {
    let catalog = wide_catalog(100, "1");
    let request = Request::from_json_value(&scene(MAX_ITEMS, 100)).unwrap();
    let priced = quote(&catalog, &request).unwrap();
    assert_eq!(priced.lines.len(), MAX_ITEMS);
    assert!(priced.lines.iter().all(|l| l.factors.len() == 100));
    assert_eq!(priced.total, 10 * 4 * MAX_ITEMS as u64);
    // One item more is refused before anything is priced.
    let e = Request::from_json_value(&scene(MAX_ITEMS + 1, 1)).unwrap_err();
    assert_eq!(e.code, ErrorCode::TooManyItems);
}

#[test]
fn a_hundred_fractional_multipliers_overflow_exact_arithmetic_with_a_code() {
    // 1.0001^100 is about 1.01, but exactly it has 400 decimal places: more
    // than exact (u128) arithmetic holds. Refused, never rounded early.
    let catalog = wide_catalog(100, "1.0001");
    let request = Request::from_json_value(&scene(1, 100)).unwrap();
    let e = quote(&catalog, &request).unwrap_err();
    assert_eq!(e.code, ErrorCode::AmountOverflow);
    // Nine such options (36 decimal places) still price exactly.
    let catalog = wide_catalog(9, "1.0001");
    let priced = quote(&catalog, &Request::from_json_value(&scene(1, 9)).unwrap()).unwrap();
    assert_eq!(priced.total, 41);
}

/// Writes a ledger of `entries` entries (one grant, then holds of 1 each
/// settled in full, the shape of a busy account's history) and the default
/// policy beside it; returns the ledger's path, the policy's path and the
/// credits left.
fn long_ledger(name: &str, entries: usize) -> (std::path::PathBuf, std::path::PathBuf, u64) {
    use genprice::wallet::{Grant, GrantSource, HoldRequest, Metadata, Wallet, ledger_line};
    use std::io::Write;
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("limits-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("policy.json");
    std::fs::write(
        &policy,
        serde_json::to_string(&genprice::wallet::WalletPolicy::default()).unwrap(),
    )
    .unwrap();
    let path = dir.join("wallet.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut wallet = Wallet::default();
    let granted = 10_000_000;
    let grant = Grant {
        id: "bulk".into(),
        source: GrantSource::Topup,
        amount: granted,
        effective_at: 0,
        expires_at: None,
        priority: 0,
    };
    let receipt = wallet.grant(&grant, &Metadata::default(), 0).unwrap();
    out.write_all(ledger_line(&receipt.entry).unwrap().as_bytes())
        .unwrap();
    let pairs = (entries - 1) / 2;
    for i in 0..pairs {
        let now = i64::try_from(i).unwrap() + 1;
        let hold = HoldRequest {
            id: format!("job-{i}"),
            amount: 1,
            ttl: 60_000,
            metadata: Metadata::default(),
        };
        let held = wallet.hold(&hold, now).unwrap();
        out.write_all(ledger_line(&held.entry).unwrap().as_bytes())
            .unwrap();
        let settled = wallet.settle(&hold.id, 1, now).unwrap();
        out.write_all(ledger_line(&settled.entry).unwrap().as_bytes())
            .unwrap();
    }
    out.flush().unwrap();
    (path, policy, granted - u64::try_from(pairs).unwrap())
}

/// The CLI's `wallet balance` on `ledger`: its exit code, its JSON line and
/// the largest resident set seen while it ran (polled every 20 ms), in MB.
fn balance_of(
    ledger: &std::path::Path,
    policy: &std::path::Path,
    extra: &[&str],
) -> (i32, Value, u64) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_genprice"))
        .args(["wallet", "balance", "--now", "100000000", "--ledger"])
        .arg(ledger)
        .arg("--policy")
        .arg(policy)
        .args(extra)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    while child.try_wait().unwrap().is_none() {
        if let Ok(text) = std::fs::read_to_string(&status) {
            let rss = text
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse().ok())
                .unwrap_or(0);
            peak_kb = peak_kb.max(rss);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let line: Value = serde_json::from_slice(&out.stdout).unwrap();
    (out.status.code().unwrap(), line, peak_kb / 1024)
}

/// A ledger of a million entries is read a line at a time, never whole,
/// and its balance is right; a ledger over `--max-ledger-bytes` is
/// `ledger_too_large` before it is read.
#[test]
fn a_ledger_of_a_million_entries_is_folded_and_one_over_the_limit_refused() {
    let (ledger, policy, left) = long_ledger("million", 1_000_000);
    let size = std::fs::metadata(&ledger).unwrap().len();
    let (code, line, peak_mb) = balance_of(&ledger, &policy, &[]);
    assert_eq!(code, 0, "{line}");
    assert_eq!(line["available"], left, "{line}");
    assert_eq!(line["spent"], 499_999, "{line}");
    eprintln!(
        "1,000,000 entries, {} MB of ledger: peak RSS {peak_mb} MB",
        size >> 20
    );
    // The file is never held whole: the wallet's entries dominate, about
    // 700 bytes each in memory (the debug build), under a gigabyte.
    // The poll must have seen the folded wallet (a peak of 0 would make
    // the upper bound vacuous).
    assert!((100..1024).contains(&peak_mb), "peak RSS {peak_mb} MB");

    let limit = (size - 1).to_string();
    let (code, line, _) = balance_of(&ledger, &policy, &["--max-ledger-bytes", &limit]);
    assert_eq!(code, 1, "{line}");
    assert_eq!(line["error"]["code"], "ledger_too_large", "{line}");
    let message = line["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&size.to_string()) && message.contains("--max-ledger-bytes"),
        "{message}"
    );
    // The limit is inclusive: a small ledger exactly at it is read.
    let (small, policy, left) = long_ledger("at-limit", 11);
    let size = std::fs::metadata(&small).unwrap().len().to_string();
    let (code, line, _) = balance_of(&small, &policy, &["--max-ledger-bytes", &size]);
    assert_eq!((code, &line["available"]), (0, &json!(left)), "{line}");
}
