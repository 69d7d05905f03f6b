//! Replays the shared wallet vectors in `tests/vectors/wallet/*.json`
//! natively (the JavaScript package will replay the same files through the
//! wasm build).
//!
//! A vector is language-neutral JSON:
//!
//! ```json
//! { "name": "…",
//!   "policy": { "burnOrder": […], "allowances": […] },      // optional
//!   "steps": [ { "now": 0, "command": { "op": "grant", … },
//!                "expect": { "ok": { …subset of the answer… } } },
//!              { "now": 5, "command": { "op": "hold", … },
//!                "expect": { "error": { "code": "insufficient_credits", "shortfall": 40 } } } ],
//!   "final": { "now": 100, "balance": { …subset of the balance… } } }
//! ```
//!
//! `command` is a `Command` and the answer an `Answer`, as JSON. Expected
//! values are **subsets**: an object matches if each of its keys matches
//! (extra keys in the answer are fine), an array if it has the same length
//! and each element matches, anything else if equal. Messages are not part of
//! the contract and are never compared. After the last step, the ledger is
//! replayed and must give the same wallet.
#![cfg(all(feature = "native", not(target_arch = "wasm32")))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use genprice::wallet::{Command, Wallet, WalletPolicy};
use serde_json::Value;
use std::path::PathBuf;

fn vector_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/wallet");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// Whether `want` is a subset of `got` (see the file docs); the path of the
/// first difference otherwise.
fn subset(want: &Value, got: &Value, path: &str) -> Result<(), String> {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (key, value) in w {
                let inner = format!("{path}.{key}");
                match g.get(key) {
                    Some(found) => subset(value, found, &inner)?,
                    None => return Err(format!("{inner}: missing")),
                }
            }
            Ok(())
        }
        (Value::Array(w), Value::Array(g)) if w.len() == g.len() => {
            for (i, (a, b)) in w.iter().zip(g).enumerate() {
                subset(a, b, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        _ if want == got => Ok(()),
        _ => Err(format!("{path}: expected {want}, got {got}")),
    }
}

#[test]
fn wallet_vectors_replay_natively() {
    let mut failures = Vec::new();
    let mut steps = 0;
    let files = vector_files();
    assert!(files.len() >= 4, "wallet vectors missing");
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let policy: WalletPolicy = doc
            .get("policy")
            .map(|p| serde_json::from_value(p.clone()).unwrap())
            .unwrap_or_default();
        let mut wallet = Wallet::new(policy.clone()).unwrap();
        for (i, step) in doc["steps"].as_array().unwrap().iter().enumerate() {
            steps += 1;
            let label = format!("{name} step {i}");
            let now = step["now"].as_i64().unwrap();
            let command: Command = serde_json::from_value(step["command"].clone())
                .unwrap_or_else(|e| panic!("{label}: bad command: {e}"));
            let got = match wallet.execute(&command, now) {
                Ok(answer) => serde_json::json!({ "ok": answer }),
                Err(error) => serde_json::json!({ "error": error }),
            };
            if let Err(diff) = subset(&step["expect"], &got, "") {
                failures.push(format!("{label}: {diff}\n  got: {got}"));
            }
        }
        if let Some(last) = doc.get("final") {
            let balance = wallet.balance(last["now"].as_i64().unwrap()).unwrap();
            let got = serde_json::to_value(&balance).unwrap();
            if let Err(diff) = subset(&last["balance"], &got, "balance") {
                failures.push(format!("{name} final: {diff}\n  got: {got}"));
            }
        }
        let again = Wallet::from_entries(policy, wallet.entries().to_vec()).unwrap();
        assert_eq!(again, wallet, "{name}: replay differs");
    }
    println!("{steps} wallet vector steps replayed");
    assert!(
        failures.is_empty(),
        "{} wallet vector checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn subset_matching_is_strict_about_arrays_and_values() {
    let got = serde_json::json!({"a": [1, {"b": 2, "c": 3}], "d": "x"});
    assert!(subset(&serde_json::json!({"a": [1, {"b": 2}]}), &got, "").is_ok());
    assert!(subset(&serde_json::json!({"a": [1]}), &got, "").is_err());
    assert!(subset(&serde_json::json!({"d": "y"}), &got, "").is_err());
    assert!(subset(&serde_json::json!({"e": null}), &got, "").is_err());
}
