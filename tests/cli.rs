//! The `genprice` binary as a user runs it: stdin in, JSON out, exit codes.
#![cfg(all(feature = "native", not(target_arch = "wasm32")))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::Value;
use std::path::PathBuf;
use std::process::Output;

mod common;
use common::cli::genprice;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn stdout_lines(out: &Output) -> Vec<Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn error_code(value: &Value) -> &str {
    value["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("not an error: {value}"))
}

#[test]
fn quote_prices_a_video_as_base_times_seconds_times_resolution() {
    let out = genprice(
        &["quote"],
        br#"{"product":"video/kling-2","seconds":10,"resolution":"1080p"}"#,
    );
    assert_eq!(out.status.code(), Some(0));
    let results = stdout_lines(&out);
    assert_eq!(results.len(), 1);
    let q = &results[0];
    // pricing.toml: kling-2 costs 10 credits a second; 1080p multiplies by 1.5; rounding "up".
    assert_eq!(q["total"], 150);
    let line = &q["lines"][0];
    assert_eq!(line["price"], 10);
    assert_eq!(line["quantity"], 10);
    assert_eq!(line["factors"][0]["name"], "resolution");
    assert_eq!(line["factors"][0]["value"], "1080p");
    assert_eq!(line["factors"][0]["multiplier"], "1.5");
    assert_eq!(line["rounding"], "up");
    assert_eq!(line["exact"], "150");
    assert_eq!(q["display"], "150 credits");
    assert!(
        q["catalog"]["fingerprint"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
}

#[test]
fn quote_reads_json_lines_and_reports_each_line() {
    let input = b"{\"product\":\"image/flux-pro\"}\n\n{\"product\":\"nope/x\"}\nnot json\n{\"product\":\"edit/remove-background\"}\n";
    let out = genprice(&["quote"], input);
    assert_eq!(out.status.code(), Some(1), "one line failed, so exit 1");
    let results = stdout_lines(&out);
    assert_eq!(results.len(), 4, "one result per non-blank line");
    assert_eq!(results[0]["total"], 8);
    assert_eq!(error_code(&results[1]), "unknown_product");
    assert_eq!(results[1]["error"]["path"], "product");
    assert_eq!(error_code(&results[2]), "invalid_json");
    assert_eq!(results[3]["total"], 1);
}

#[test]
fn quote_accepts_one_pretty_printed_request() {
    let input = b"{\n  \"product\": \"video/veo-3\",\n  \"seconds\": 4\n}\n";
    let out = genprice(&["quote"], input);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout_lines(&out)[0]["total"], 160);
}

#[test]
fn resolution_errors_list_the_studio_ladder_order() {
    let out = genprice(
        &["quote"],
        br#"{"product":"video/wan-fast","resolution":"8k"}"#,
    );
    assert_eq!(out.status.code(), Some(1));
    let error = &stdout_lines(&out)[0]["error"];
    assert_eq!(error["code"], "resolution_not_allowed");
    assert_eq!(
        error["message"],
        "video/wan-fast offers resolutions 480p, 720p, 1080p, 4k, not \"8k\""
    );
}

#[test]
fn unknown_names_say_what_was_meant_in_the_message_and_as_data() {
    let out = genprice(
        &["quote"],
        b"{\"product\":\"veo3\"}\n{\"product\":\"image/flux-pro\",\"options\":{\"qualty\":\"high\"}}\n{\"product\":\"nope/x\"}\n",
    );
    assert_eq!(out.status.code(), Some(1));
    let results = stdout_lines(&out);
    assert_eq!(
        results[0]["error"]["suggestions"],
        serde_json::json!(["video/veo-3"])
    );
    assert!(
        results[0]["error"]["message"]
            .as_str()
            .unwrap()
            .ends_with("did you mean \"video/veo-3\"?")
    );
    assert_eq!(results[1]["error"]["code"], "unknown_option");
    assert_eq!(
        results[1]["error"]["suggestions"],
        serde_json::json!(["quality"])
    );
    // Nothing near: no suggestions field at all.
    assert!(results[2]["error"].get("suggestions").is_none());
}

#[test]
fn quote_exits_zero_only_when_every_line_priced() {
    let out = genprice(
        &["quote"],
        b"{\"product\":\"text/draft\"}\n{\"product\":\"text/draft\",\"tokens\":5000}\n",
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout_lines(&out).len(), 2);
}

#[test]
fn hostile_inputs_give_coded_errors_and_exit_one() {
    let ten_mb = "x".repeat(10 * 1024 * 1024);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            br#"{"product":"video/veo-3","seconds":-1}"#.to_vec(),
            "invalid_quantity",
        ),
        (
            br#"{"product":"video/veo-3","seconds":4.5}"#.to_vec(),
            "invalid_quantity",
        ),
        (
            br#"{"product":"video/veo-3","seconds":1e30}"#.to_vec(),
            "invalid_quantity",
        ),
        (
            br#"{"product":"video/veo-3","seconds":1e400}"#.to_vec(),
            "invalid_json",
        ),
        (
            br#"{"product":"video/veo-3","outputs":18446744073709551616}"#.to_vec(),
            "invalid_quantity",
        ),
        (
            br#"{"product":"video/veo-3","extra":true}"#.to_vec(),
            "unknown_field",
        ),
        (
            format!(r#"{{"product":"{ten_mb}"}}"#).into_bytes(),
            "unknown_product",
        ),
        (
            format!(r#"{{"product":"video/veo-3","options":{{"audio":"{ten_mb}"}}}}"#).into_bytes(),
            "invalid_option_value",
        ),
        (
            format!(r#"{{"product":"video/veo-3","{ten_mb}":1}}"#).into_bytes(),
            "unknown_field",
        ),
        ("[".repeat(1_000_000).into_bytes(), "invalid_json"),
        (
            format!("{}{}", "{\"items\":[".repeat(50_000), "]}".repeat(50_000)).into_bytes(),
            "invalid_json",
        ),
        (vec![0xff, 0xfe, b'{', b'}'], "invalid_json"),
        (b"\0\0\0".to_vec(), "invalid_json"),
        (br#""just a string""#.to_vec(), "invalid_request"),
        (br#"{"items":[]}"#.to_vec(), "empty_request"),
    ];
    for (input, code) in cases {
        let out = genprice(&["quote"], &input);
        let shown = String::from_utf8_lossy(&input[..input.len().min(60)]).to_string();
        assert_eq!(out.status.code(), Some(1), "{shown}");
        let results = stdout_lines(&out);
        assert!(!results.is_empty(), "{shown}: no result");
        assert_eq!(error_code(&results[0]), code, "{shown}");
        // Errors never echo a 10 MB input back.
        assert!(
            out.stdout.len() < 4096,
            "{shown}: {} bytes of output",
            out.stdout.len()
        );
    }
}

#[test]
fn a_scene_with_too_many_items_is_refused() {
    let items = vec![r#"{"product":"edit/remove-background"}"#; 10_001].join(",");
    let out = genprice(&["quote"], format!(r#"{{"items":[{items}]}}"#).as_bytes());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(error_code(&stdout_lines(&out)[0]), "too_many_items");
}

#[test]
fn empty_stdin_is_an_error_on_stderr() {
    let out = genprice(&["quote"], b"  \n");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no request"));
}

#[test]
fn check_accepts_the_default_catalog_and_prints_a_summary() {
    let out = genprice(&["check"], b"");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = &stdout_lines(&out)[0];
    assert_eq!(summary["ok"], true);
    assert_eq!(summary["id"], "genprice-studio");
    assert!(summary["products"].as_u64().unwrap() >= 17);
}

fn write_temp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("genprice-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn check_reports_five_mistakes_as_five_located_errors() {
    let good = std::fs::read_to_string(root().join("pricing.toml")).unwrap();
    let bad = good
        .replacen("price = 40\n", "price = -40\n", 1) // negative price (veo-3)
        .replacen(
            "name = \"Kling 2\"\n",
            "name = \"Kling 2\"\ncolour = \"red\"\n",
            1,
        ) // unknown key
        .replacen(
            "default_resolution = \"2k\"",
            "default_resolution = \"8k\"",
            1,
        ) // default not listed
        .replacen("\"60\" = 1.5", "\"60\" = 1.55555", 1) // more than 4 places
        .replacen("id = \"edit/relight\"", "id = \"edit/inpaint\"", 1); // duplicate id
    assert_eq!(
        bad.matches('\n').count(),
        good.matches('\n').count() + 1,
        "all five edits applied"
    );
    let path = write_temp("five.toml", &bad);
    let out = genprice(&["check", path.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let located: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with(path.to_str().unwrap()))
        .collect();
    assert_eq!(located.len(), 5, "{stderr}");
    for line in &located {
        let rest = &line[path.to_str().unwrap().len()..];
        let parts: Vec<&str> = rest.splitn(4, ':').collect();
        assert!(
            parts[1].parse::<usize>().is_ok() && parts[2].parse::<usize>().is_ok(),
            "{line}"
        );
    }
    for needle in [
        "must not be negative",
        "unknown key \"colour\"",
        "\"8k\" is not listed",
        "more than 4 decimal places",
        "duplicate product id",
    ] {
        assert!(stderr.contains(needle), "missing {needle:?} in\n{stderr}");
    }
}

#[test]
fn catalog_prints_canonical_json_that_prices_identically() {
    let out = genprice(&["catalog"], b"");
    assert_eq!(out.status.code(), Some(0));
    let catalog: Value = serde_json::from_slice(&out.stdout).unwrap();
    let check = stdout_lines(&genprice(&["check"], b""))[0].clone();
    assert_eq!(catalog["fingerprint"], check["fingerprint"]);
    assert_eq!(
        catalog["products"][0]["id"], "edit/extend-video",
        "products sorted by id"
    );

    let path = write_temp("catalog.json", &String::from_utf8(out.stdout).unwrap());
    let request = br#"{"items":[{"product":"video/veo-3","options":{"audio":"on"}},{"product":"voice/narrator","characters":999}]}"#;
    let from_json = genprice(&["quote", "--catalog", path.to_str().unwrap()], request);
    let from_toml = genprice(&["quote"], request);
    assert_eq!(from_json.status.code(), Some(0));
    assert_eq!(from_json.stdout, from_toml.stdout);
}

#[test]
fn a_tampered_json_catalog_is_refused() {
    let out = genprice(&["catalog"], b"");
    let text = String::from_utf8(out.stdout)
        .unwrap()
        .replacen("\"price\":40", "\"price\":4", 1);
    let path = write_temp("tampered.json", &text);
    let out = genprice(&["check", path.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("fingerprint_mismatch"));
}

#[test]
fn missing_catalog_file_is_reported() {
    let out = genprice(&["quote", "--catalog", "does/not/exist.toml"], b"{}");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read catalog"));
}

#[test]
fn every_subcommand_has_help_and_bad_usage_exits_two() {
    for args in [
        &["--help"][..],
        &["quote", "--help"],
        &["check", "--help"],
        &["catalog", "--help"],
    ] {
        let out = genprice(args, b"");
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage: genprice"),
            "{args:?}"
        );
    }
    assert_eq!(genprice(&["frobnicate"], b"").status.code(), Some(2));
    assert_eq!(genprice(&["quote", "--nope"], b"").status.code(), Some(2));
}

#[test]
fn readme_main_command_works() {
    // The README's first command pipes this request into `genprice quote`.
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("echo '")
        .expect("README shows an echo '…' | genprice quote command")
        + 6;
    let end = start + readme[start..].find('\'').unwrap();
    let out = genprice(&["quote"], &readme.as_bytes()[start..end]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn check_passes_for_the_four_reference_catalogs() {
    for name in ["prismposter", "preprompt", "aistudios", "imagineart"] {
        let file = format!("examples/{name}.toml");
        let out = genprice(&["check", &file], b"");
        assert!(
            out.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary = &stdout_lines(&out)[0];
        assert_eq!(summary["ok"], true);
        assert_eq!(summary["id"], name);
        assert_eq!(summary["plans"], 4, "{file}: free + three paid or custom");
    }
}

#[test]
fn quote_with_a_plan_and_balance_adds_the_verdict_and_the_shortfall() {
    // wan-fast 5 s at 1080p: 4 × 5 × 1.5 = 30; Free stops at 720p.
    let out = genprice(
        &["quote", "--plan", "free", "--balance", "10"],
        br#"{"product":"video/wan-fast","seconds":5,"resolution":"1080p"}"#,
    );
    assert!(out.status.success());
    let q = &stdout_lines(&out)[0];
    assert_eq!(q["total"], 30);
    assert_eq!(q["entitlement"]["allowed"], false);
    assert_eq!(
        q["entitlement"]["denials"][0]["code"],
        "resolution_not_in_plan"
    );
    assert_eq!(q["entitlement"]["upgrade"]["id"], "pro");
    assert_eq!(q["credits"]["shortfall"], 20);

    let out = genprice(
        &["quote", "--plan", "gold"],
        br#"{"product":"image/flux-schnell"}"#,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(error_code(&stdout_lines(&out)[0]), "unknown_plan");

    // A negative number reaches the same coded checks as any other bad
    // value, not clap's "unexpected argument".
    let out = genprice(
        &["quote", "--balance", "-3"],
        br#"{"product":"image/flux-schnell"}"#,
    );
    assert_eq!(out.status.code(), Some(1), "a negative balance is refused");
    let line = &stdout_lines(&out)[0];
    assert_eq!(error_code(line), "invalid_amount");
    assert_eq!(line["error"]["path"], "balance");
}

#[test]
fn plans_prints_a_table_for_people_and_json_for_machines() {
    let out = genprice(&["plans"], b"");
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.starts_with("PLAN"), "{table}");
    assert!(
        table.contains("Pro (pro)") && table.contains("contact sales"),
        "{table}"
    );

    let out = genprice(&["plans", "--json"], b"");
    assert!(out.status.success());
    let sheets = &stdout_lines(&out)[0];
    let ids: Vec<&str> = sheets
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["free", "pro", "studio", "team", "enterprise"]);
    // Team: 2 seats × 40.00 a month, 2 × 1500 seat credits.
    let team = &sheets[3];
    assert_eq!(team["seats"], 2);
    assert_eq!(team["billing"][0]["price"], 8000);
    assert_eq!(team["billing"][0]["credits"], 3000);
    // Pro packs at 20 % off: small 600 → 480 cents.
    assert_eq!(sheets[1]["packs"][0]["price"], 480);
}

#[test]
fn plans_prices_per_seat_plans_at_the_seats_asked() {
    // Team at 5 seats: 5 × 40.00 a month and 5 × 1500 seat credits; the
    // single-user plans are unchanged.
    let out = genprice(&["plans", "--json", "--seats", "5"], b"");
    assert!(out.status.success());
    let sheets = &stdout_lines(&out)[0];
    let team = &sheets[3];
    assert_eq!(team["id"], "team");
    assert_eq!(team["seats"], 5);
    assert_eq!(team["billing"][0]["price"], 20_000);
    assert_eq!(team["billing"][0]["credits"], 7_500);
    assert_eq!(sheets[1]["seats"], 1);
    let out = genprice(&["plans", "--seats", "5"], b"");
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("×5 seats"), "{table}");

    // Team is sold with 2–50 seats: at 60 it is left out, and said so.
    let out = genprice(&["plans", "--json", "--seats", "60"], b"");
    assert!(out.status.success());
    let ids: Vec<String> = stdout_lines(&out)[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["free", "pro", "studio", "enterprise"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("team left out"), "{stderr}");

    let out = genprice(&["plans", "--seats", "0"], b"");
    assert_eq!(out.status.code(), Some(2), "zero seats is a usage error");
}

#[test]
fn quote_reads_the_balance_from_a_wallet_ledger() {
    let dir = std::env::temp_dir().join(format!("genprice-quote-ledger-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ledger = dir.join("wallet.jsonl");
    let _ = std::fs::remove_file(&ledger);
    let ledger_arg = ledger.to_str().unwrap();
    // 12 top-up credits, granted at t = 1000.
    let out = genprice(
        &[
            "wallet", "grant", "--ledger", ledger_arg, "--now", "1000", "--id", "g1", "--source",
            "topup", "--amount", "12",
        ],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // wan-fast 5 s at 720p = 20: 8 short of the ledger's 12.
    let request = br#"{"product":"video/wan-fast","seconds":5,"resolution":"720p"}"#;
    let out = genprice(
        &[
            "quote", "--plan", "free", "--ledger", ledger_arg, "--now", "2000",
        ],
        request,
    );
    assert!(out.status.success());
    let credits = &stdout_lines(&out)[0]["credits"];
    assert_eq!(
        (credits["balance"].as_u64(), credits["shortfall"].as_u64()),
        (Some(12), Some(8))
    );
    // --balance and --ledger together is a usage error; a missing ledger
    // is an io error, and quoting never creates the file.
    let out = genprice(
        &["quote", "--balance", "1", "--ledger", ledger_arg],
        request,
    );
    assert_eq!(out.status.code(), Some(2));
    let missing = dir.join("missing.jsonl");
    let out = genprice(&["quote", "--ledger", missing.to_str().unwrap()], request);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(error_code(&stdout_lines(&out)[0]), "io");
    assert!(!missing.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
