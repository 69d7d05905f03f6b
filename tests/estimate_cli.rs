//! `genprice estimate` as a user runs it: a usage mix on stdin, one JSON
//! line out, exit codes.
#![cfg(all(feature = "native", not(target_arch = "wasm32")))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::{Value, json};
use std::process::Output;

mod common;
use common::cli::genprice;

/// The one JSON line on stdout.
fn answer(out: &Output) -> Value {
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    serde_json::from_str(lines[0]).unwrap()
}

fn mix() -> Value {
    json!([
        {"request": {"product": "image/flux-schnell"}, "per": "day", "count": 3, "workdays": 22},
        {"request": {"product": "video/wan-fast", "seconds": 5, "resolution": "720p"}, "per": "week", "count": 2}
    ])
}

#[test]
fn estimate_prints_the_need_the_options_and_the_pick() {
    let out = genprice(&["estimate"], mix().to_string().as_bytes());
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let e = answer(&out);
    // 66 × 2 + ⌈2 × 52 / 12⌉ × 20 = 132 + 180 = 312; + 25 % = 390.
    assert_eq!(e["creditsPerMonth"], 312);
    assert_eq!(e["bufferPercent"], 25);
    assert_eq!(e["creditsNeeded"], 390);
    assert_eq!(e["lines"][1]["itemsPerMonth"], 9);
    assert_eq!(e["lines"][1]["creditsPerItem"], 20);
    let plans: Vec<(&str, &str)> = e["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["plan"].as_str().unwrap(), o["cycle"].as_str().unwrap()))
        .collect();
    assert_eq!(
        plans,
        [
            ("free", "monthly"),
            ("pro", "monthly"),
            ("pro", "annual"),
            ("studio", "monthly"),
            ("team", "monthly")
        ]
    );
    let r = &e["recommendation"];
    assert_eq!(r["plan"], "free");
    assert_eq!(r["pricePerMonth"], 0);
    assert_eq!(r["wastedCredits"], 3000 - 390);
    assert!(r["why"].as_str().unwrap().contains("390 credits"));
    assert!(e.get("reason").is_none());
}

#[test]
fn provided_counts_packs_and_workdays_and_adds_up() {
    // 100 FLUX Schnell a day on 20 workdays: 100 × 20 × 2 = 4000, need
    // 5000, 250 a day. Free's daily credits count over the 20 workdays
    // (2000, not 3000); Team's pack is part of what it provides.
    let input = json!([{"request": {"product": "image/flux-schnell"}, "per": "day", "count": 100, "workdays": 20}]);
    let e = answer(&genprice(&["estimate"], input.to_string().as_bytes()));
    assert_eq!(
        (e["activeDays"].clone(), e["creditsNeeded"].clone()),
        (json!(20), json!(5000))
    );
    for o in e["options"].as_array().unwrap() {
        let n = |key: &str| o[key].as_u64().unwrap();
        assert_eq!(
            n("creditsProvided"),
            n("usableCredits") + n("carriedCredits") + n("wastedCredits"),
            "{o}"
        );
        assert_eq!(n("usableCredits") + n("uncoveredCredits"), 5000, "{o}");
    }
    let option = |plan: &str| {
        e["options"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["plan"] == plan)
            .unwrap()
            .clone()
    };
    let free = option("free");
    assert_eq!(free["grants"][0]["creditsPerMonth"], 2000);
    assert_eq!(free["uncoveredCredits"], 3000);
    // Team, 2 seats: 3000 seat credits + one 2500 pack = 5500 provided,
    // 5000 used, 500 carried (packs never expire).
    let team = option("team");
    assert_eq!(team["extras"][0]["quantity"], 1);
    assert_eq!(
        (
            team["creditsProvided"].clone(),
            team["carriedCredits"].clone()
        ),
        (json!(5500), json!(500))
    );
}

#[test]
fn a_usage_line_with_a_mistyped_product_gets_suggestions() {
    let input = json!([{"request": {"product": "video/veo3"}, "per": "week", "count": 1}]);
    let out = genprice(&["estimate"], input.to_string().as_bytes());
    assert_eq!(out.status.code(), Some(1));
    let error = &answer(&out)["error"];
    assert_eq!(error["code"], "unknown_product");
    assert_eq!(error["path"], "usage[0].request.product");
    assert_eq!(error["suggestions"], json!(["video/veo-3"]));
}

#[test]
fn buffer_flag_overrides_the_input() {
    let input = json!({"usage": mix(), "bufferPercent": 50});
    let e = answer(&genprice(&["estimate"], input.to_string().as_bytes()));
    assert_eq!(e["creditsNeeded"], 468); // 312 × 1.5
    let e = answer(&genprice(
        &["estimate", "--buffer", "0"],
        input.to_string().as_bytes(),
    ));
    assert_eq!(
        (e["bufferPercent"].clone(), e["creditsNeeded"].clone()),
        (json!(0), json!(312))
    );
}

#[test]
fn a_json_catalog_gives_the_same_estimate() {
    let input =
        json!({"usage": [{"request": {"product": "video/veo-3"}, "per": "month", "count": 10}]});
    let toml = answer(&genprice(&["estimate"], input.to_string().as_bytes()));
    let json_catalog = answer(&genprice(
        &[
            "estimate",
            "--catalog",
            "tests/vectors/catalogs/studio.json",
        ],
        input.to_string().as_bytes(),
    ));
    assert_eq!(toml["recommendation"], json_catalog["recommendation"]);
    assert_eq!(toml["recommendation"]["plan"], "studio");
}

#[test]
fn errors_are_json_on_stdout_with_exit_1() {
    let bad = json!({"usage": [{"request": {"product": "video/veo-3", "seconds": 99}, "per": "week", "count": 1}]});
    let out = genprice(&["estimate"], bad.to_string().as_bytes());
    assert_eq!(out.status.code(), Some(1));
    let e = answer(&out);
    assert_eq!(e["error"]["code"], "duration_out_of_range");
    assert_eq!(e["error"]["path"], "usage[0].request.seconds");
    assert!(String::from_utf8_lossy(&out.stderr).contains("duration_out_of_range"));

    let out = genprice(
        &["estimate"],
        br#"[{"request":{"product":"image/flux-pro"},"per":"week","count":1,"workdays":5}]"#,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(answer(&out)["error"]["code"], "invalid_usage");
    assert_eq!(answer(&out)["error"]["path"], "usage[0].workdays");

    for input in [&b"{"[..], b"", b"   \n"] {
        let out = genprice(&["estimate"], input);
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(answer(&out)["error"]["code"], "invalid_json");
    }
}

#[test]
fn a_buffer_out_of_range_is_invalid_usage_like_the_inputs_buffer() {
    // --buffer -1 reaches the same coded check as 1001 and as the input's
    // bufferPercent, not clap's "unexpected argument".
    for buffer in ["1001", "-1"] {
        let out = genprice(
            &["estimate", "--buffer", buffer],
            mix().to_string().as_bytes(),
        );
        assert_eq!(out.status.code(), Some(1), "--buffer {buffer}");
        let error = &answer(&out)["error"];
        assert_eq!(error["code"], "invalid_usage", "--buffer {buffer}: {error}");
        assert_eq!(error["path"], "bufferPercent", "--buffer {buffer}: {error}");
    }
}

#[test]
fn usage_errors_exit_2_and_a_bad_catalog_exits_1() {
    for args in [&["estimate", "--bogus"][..], &["estimate", "--buffer", "x"]] {
        let out = genprice(args, mix().to_string().as_bytes());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
    }
    let out = genprice(
        &["estimate", "--catalog", "no/such/catalog.toml"],
        mix().to_string().as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1));
}
