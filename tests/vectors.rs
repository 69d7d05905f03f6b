//! Replays the shared test vectors in `tests/vectors/*.json` natively.
//!
//! Each vector file names a catalog in its canonical JSON form (which the JS
//! side loads as is) and the TOML source it must be the canonical output of.
//! Each case is a request and either a hand-computed `total` plus the golden
//! `quote`, or an expected `error` (`code` and `path`; messages are not part
//! of the contract).
//!
//! `tests/vectors/plans/*.json` add quote options (`plan`, `balance`) and an
//! `expect` block worked out by hand (allowed, denials, upgrade, shortfall,
//! packs, plans) beside the golden `quote`; `tests/vectors/estimates/*.json`
//! hold usage mixes with hand-worked credits and recommendation beside the
//! golden `estimate`. The npm full engine replays both, and checks them
//! against the CLI (`tests/js/plans.test.mjs`).
//!
//! `UPDATE_VECTORS=1 cargo test --test vectors` rewrites the catalog JSON and
//! the golden `quote`s and `estimate`s from the current code. It never
//! touches `total`, `expect` or `error`, so a regenerated golden file still
//! has to agree with the figures worked out by hand.
#![cfg(all(feature = "native", not(target_arch = "wasm32")))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use genprice::plan::{Estimate, PlanQuote, QuoteOptions, Usage, estimate, quote_for};
use genprice::{Catalog, Request, quote};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn vector_files() -> Vec<PathBuf> {
    let dir = root().join("tests/vectors");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no vector files in {}", dir.display());
    files
}

fn updating() -> bool {
    std::env::var_os("UPDATE_VECTORS").is_some()
}

/// Loads the vector file's catalog, checking the committed JSON is exactly
/// the canonical output of its TOML source.
fn load_catalog(doc: &Value, dir: &Path) -> Catalog {
    let json_path = dir.join(doc["catalog"].as_str().unwrap());
    let source = root().join(doc["catalogSource"].as_str().unwrap());
    let text = std::fs::read_to_string(&source).unwrap();
    let canonical = Catalog::from_toml(&text, &source.display().to_string())
        .unwrap()
        .to_canonical_json()
        .unwrap();
    if updating() {
        // Write and rename, so a test replaying another file that shares
        // this catalog never reads it half written.
        let tmp = json_path.with_extension(format!("json.{:?}.tmp", std::thread::current().id()));
        std::fs::write(&tmp, format!("{canonical}\n")).unwrap();
        std::fs::rename(&tmp, &json_path).unwrap();
    }
    let committed = std::fs::read_to_string(&json_path).unwrap();
    assert_eq!(
        committed.trim_end(),
        canonical,
        "{} is not the canonical form of {}; run UPDATE_VECTORS=1 cargo test --test vectors",
        json_path.display(),
        source.display()
    );
    Catalog::from_json_str(&committed).unwrap()
}

#[test]
fn shared_vectors_replay_natively() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for file in vector_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut doc: Value = serde_json::from_str(&text).unwrap();
        let catalog = load_catalog(&doc, file.parent().unwrap());
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        for case in doc["cases"].as_array_mut().unwrap() {
            checked += 1;
            let label = format!("{name}: {}", case["name"].as_str().unwrap_or("?"));
            let result =
                Request::from_json_value(&case["request"]).and_then(|r| quote(&catalog, &r));
            match (result, case.get("total").and_then(Value::as_u64)) {
                (Ok(q), Some(total)) => {
                    if q.total != total {
                        failures.push(format!(
                            "{label}: total {} but worked out by hand {total}",
                            q.total
                        ));
                    }
                    let got = serde_json::to_value(&q).unwrap();
                    if updating() {
                        case["quote"] = got;
                    } else if case.get("quote") != Some(&got) {
                        failures.push(format!("{label}: quote differs from golden\n  got: {got}"));
                    }
                }
                (Ok(q), None) => failures.push(format!(
                    "{label}: priced {} but an error was expected",
                    q.total
                )),
                (Err(e), Some(_)) => failures.push(format!("{label}: expected a quote, got {e}")),
                (Err(e), None) => {
                    let want = &case["error"];
                    let code = want["code"].as_str().unwrap();
                    let path = want.get("path").and_then(Value::as_str);
                    if e.code.as_str() != code || e.path.as_deref() != path {
                        failures.push(format!("{label}: expected {code} at {path:?}, got {e}"));
                    }
                }
            }
        }
        if updating() {
            let mut out = serde_json::to_string_pretty(&doc).unwrap();
            out.push('\n');
            std::fs::write(&file, out).unwrap();
        }
    }
    println!("{checked} vector cases replayed");
    assert!(checked >= 60, "only {checked} vector cases");
    assert!(
        failures.is_empty(),
        "{} of {checked} vector cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The hand-checkable facts of a quote, in the shape `expect` uses; only
/// the keys `expect` states are compared.
fn facts(q: &PlanQuote) -> Value {
    let mut out = json!({ "total": q.total });
    if let Some(e) = &q.entitlement {
        out["allowed"] = json!(e.allowed);
        out["denials"] = e.denials.iter().map(|d| json!([d.code, d.path])).collect();
        out["upgrade"] = json!(e.upgrade.as_ref().map(|u| u.id.clone()));
    }
    if let Some(c) = &q.credits {
        out["enough"] = json!(c.enough);
        out["shortfall"] = json!(c.shortfall);
        out["packs"] = c
            .packs
            .iter()
            .map(|p| json!([p.id, p.quantity, p.total]))
            .collect();
        out["plans"] = c.plans.iter().map(|p| json!(p.id)).collect();
    }
    out
}

/// The hand-checkable facts of an estimate, in the shape `expect` uses.
fn estimate_facts(e: &Estimate) -> Value {
    let r = e.recommendation.as_ref();
    json!({
        "creditsPerMonth": e.credits_per_month,
        "creditsNeeded": e.credits_needed,
        "recommended": r.map(|r| r.plan.clone()),
        "pricePerMonth": r.map(|r| r.price_per_month),
        "wastedCredits": r.map(|r| r.wasted_credits),
    })
}

/// Replays every `tests/vectors/SUBDIR/*.json`: each case's answer from
/// `run` (hand-checkable facts, golden value) is checked key by key
/// against its `expect` and whole against its golden `golden_key`, or its
/// error against `error` (code and path). Returns how many cases ran.
fn replay_expectations(
    subdir: &str,
    golden_key: &str,
    run: impl Fn(&Catalog, &Value) -> Result<(Value, Value), genprice::QuoteError>,
) -> usize {
    let dir = root().join("tests/vectors").join(subdir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut checked = 0;
    for file in &files {
        let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let catalog = load_catalog(&doc, &dir);
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        for case in doc["cases"].as_array_mut().unwrap() {
            checked += 1;
            let label = format!("{name}: {}", case["name"].as_str().unwrap_or("?"));
            match (run(&catalog, case), case.get("expect").cloned()) {
                (Ok((got, golden)), Some(expect)) => {
                    for (key, want) in expect.as_object().unwrap() {
                        if got.get(key) != Some(want) {
                            failures.push(format!(
                                "{label}: {key} is {} but worked out by hand {want}",
                                got.get(key).unwrap_or(&Value::Null)
                            ));
                        }
                    }
                    if updating() {
                        case[golden_key] = golden;
                    } else if case.get(golden_key) != Some(&golden) {
                        failures.push(format!(
                            "{label}: {golden_key} differs from golden\n  got: {golden}"
                        ));
                    }
                }
                (Ok(_), None) => {
                    failures.push(format!("{label}: answered, but an error was expected"))
                }
                (Err(e), Some(_)) => failures.push(format!("{label}: expected an answer, got {e}")),
                (Err(e), None) => {
                    let code = case["error"]["code"].as_str().unwrap();
                    let path = case["error"].get("path").and_then(Value::as_str);
                    if e.code.as_str() != code || e.path.as_deref() != path {
                        failures.push(format!("{label}: expected {code} at {path:?}, got {e}"));
                    }
                }
            }
        }
        if updating() {
            let mut out = serde_json::to_string_pretty(&doc).unwrap();
            out.push('\n');
            std::fs::write(file, out).unwrap();
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} {subdir} vector cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    checked
}

#[test]
fn estimate_vectors_replay_natively() {
    let checked = replay_expectations("estimates", "estimate", |catalog, case| {
        let e = estimate(catalog, &Usage::from_json_value(&case["usage"])?)?;
        Ok((estimate_facts(&e), serde_json::to_value(&e).unwrap()))
    });
    assert!(checked >= 6, "only {checked} estimate vector cases");
}

#[test]
fn plan_vectors_replay_natively() {
    let checked = replay_expectations("plans", "quote", |catalog, case| {
        let request = Request::from_json_value(&case["request"])?;
        let options = QuoteOptions::from_json_value(&case["options"])?;
        let q = quote_for(catalog, &request, &options)?;
        Ok((facts(&q), serde_json::to_value(&q).unwrap()))
    });
    println!("{checked} plan vector cases replayed");
    assert!(checked >= 15, "only {checked} plan vector cases");
}
