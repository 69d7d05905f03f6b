//! The plan sections read from TOML and JSON: defaults, every mistake with
//! its path, and the round trip through the canonical JSON form.

use crate::catalog::{
    Addon, Billing, Catalog, Cycle, Limits, Pack, PackExpiry, Plan, Seats, Studio,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const PRICING: &str = include_str!("../../../../pricing.toml");

/// One product, a video ladder, three allowances; the sections under
/// test are appended.
const BASE: &str = r#"
id = "t"
version = "1"
rounding = "up"
tiers = ["basic", "pro"]

[[products]]
id = "video/clip"
name = "Clip"
studio = "video"
tier = "basic"
meter = "second"
price = 10
quantity = { min = 1, max = 10, default = 5 }
resolutions = { "720p" = 1, "1080p" = 2 }
default_resolution = "720p"
options.fps = { default = "24", values = { "24" = 1, "60" = 2 } }

[resolutions]
video = ["720p", "1080p"]

[wallet]
[[wallet.allowances]]
id = "daily"
source = "daily"
amount = 10

[[wallet.allowances]]
id = "monthly"
source = "monthly"
amount = 100

[[wallet.allowances]]
id = "extra"
source = "addon"
amount = 50
per_seat = true
"#;

/// Messages without their `FILE:LINE:COL: ` (located by the tests of
/// `toml_source`).
fn toml_errors(text: &str) -> Vec<String> {
    match Catalog::from_toml(text, "c.toml") {
        Ok(_) => Vec::new(),
        Err(e) => e.diagnostics().iter().map(|d| d.message.clone()).collect(),
    }
}

fn json_errors(value: Value) -> Vec<String> {
    match Catalog::from_json_value(value) {
        Ok(_) => Vec::new(),
        Err(e) => e.diagnostics().iter().map(ToString::to_string).collect(),
    }
}

fn pricing_json() -> Value {
    let catalog = Catalog::from_toml(PRICING, "pricing.toml").unwrap();
    serde_json::from_str(&catalog.to_canonical_json().unwrap()).unwrap()
}

#[test]
fn toml_plans_packs_and_addons_are_read_with_their_defaults() {
    let text = format!(
        r#"currency = "EUR"
{BASE}
[[plans]]
id = "free"
name = "Free"

[[plans]]
id = "team"
name = "Team"
grants = ["daily"]
billing = [
  {{ cycle = "monthly", price = 1200, grants = ["monthly"] }},
  {{ cycle = "annual", price = 12000 }},
]
seats = {{ max = 9 }}
packs = ["small"]
pack_discount = 10
addons = ["more"]
limits = {{ tiers = ["basic"], products = ["video/clip"], max_resolution = {{ video = "720p" }}, max_seconds = 8, max_outputs = 2, options = {{ fps = ["24"] }} }}
custom = true
listed = false

[[packs]]
id = "small"
name = "Small"
credits = 100
price = 500

[[packs]]
id = "monthly-pack"
name = "Until the cycle ends"
credits = 300
price = 900
expires = "cycle_end"

[[addons]]
id = "more"
name = "More"
allowance = "extra"
price = 300
"#
    );
    let catalog = Catalog::from_toml(&text, "c.toml").unwrap();
    let spec = catalog.spec();
    assert_eq!(spec.currency, "EUR");
    assert_eq!(
        spec.resolutions,
        BTreeMap::from([(Studio::Video, vec!["720p".to_string(), "1080p".into()])])
    );
    // Everything left out takes its default: no billing, no grants,
    // single-user, no packs, 0 % off, no limits, not custom, listed.
    assert_eq!(
        spec.plans[0],
        Plan {
            id: "free".into(),
            name: "Free".into(),
            billing: vec![],
            grants: vec![],
            seats: None,
            packs: vec![],
            pack_discount: 0,
            addons: vec![],
            limits: Limits::default(),
            custom: false,
            listed: true,
        }
    );
    assert_eq!(
        spec.plans[1],
        Plan {
            id: "team".into(),
            name: "Team".into(),
            billing: vec![
                Billing {
                    cycle: Cycle::Monthly,
                    price: 1200,
                    grants: vec!["monthly".into()],
                },
                Billing {
                    cycle: Cycle::Annual,
                    price: 12000,
                    grants: vec![],
                },
            ],
            grants: vec!["daily".into()],
            // `min` left out: 1.
            seats: Some(Seats { min: 1, max: 9 }),
            packs: vec!["small".into()],
            pack_discount: 10,
            addons: vec!["more".into()],
            limits: Limits {
                tiers: Some(vec!["basic".into()]),
                products: Some(vec!["video/clip".into()]),
                max_resolution: BTreeMap::from([(Studio::Video, "720p".to_string())]),
                max_seconds: Some(8),
                max_outputs: Some(2),
                options: BTreeMap::from([("fps".to_string(), vec!["24".to_string()])]),
            },
            custom: true,
            listed: false,
        }
    );
    assert_eq!(
        spec.packs,
        [
            Pack {
                id: "small".into(),
                name: "Small".into(),
                credits: 100,
                price: 500,
                // `expires` left out: never.
                expires: PackExpiry::Never,
            },
            Pack {
                id: "monthly-pack".into(),
                name: "Until the cycle ends".into(),
                credits: 300,
                price: 900,
                expires: PackExpiry::CycleEnd,
            },
        ]
    );
    assert_eq!(
        spec.addons,
        [Addon {
            id: "more".into(),
            name: "More".into(),
            allowance: "extra".into(),
            price: 300,
        }]
    );
}

#[test]
fn a_catalog_without_commercial_sections_has_none() {
    let catalog = Catalog::from_toml(BASE, "c.toml").unwrap();
    let spec = catalog.spec();
    // `currency` defaults to USD.
    assert_eq!(spec.currency, "USD");
    assert!(spec.plans.is_empty() && spec.packs.is_empty() && spec.addons.is_empty());
}

#[test]
fn toml_structural_mistakes_are_each_reported() {
    let text = format!(
        r#"{BASE}
[[plans]]
id = "a"
name = "A"
billing = "monthly"
custom = "yes"
seats = 3

[[plans]]
id = "b"
name = "B"
billing = [{{ cycle = "weekly", price = 1, every = 2 }}]
limits = {{ max_resolution = {{ film = "4k" }}, max_seconds = 1.5, colour = 1 }}

[[packs]]
name = "No id"
credits = 1
price = 1
expires = "tomorrow"

[[addons]]
id = "x"
name = "X"
allowance = "extra"
price = "free"
"#
    );
    // TOML diagnostics come in source order.
    assert_eq!(
        toml_errors(&text),
        [
            "plans[0].billing: expected an array of billing options, found string",
            "plans[0].custom: expected a boolean, found string",
            "plans[0].seats: expected a table, found integer",
            "plans[1].billing[0].cycle: unknown cycle \"weekly\" (expected monthly or annual)",
            "unknown key \"every\" in plans[1].billing[0] (expected one of: cycle, price, grants)",
            "plans[1].limits.max_resolution.film: unknown studio \"film\" (expected image, video, music, voice, text or edit)",
            "plans[1].limits.max_seconds: expected a non-negative integer, found float",
            "unknown key \"colour\" in plans[1].limits (expected one of: tiers, products, max_resolution, max_seconds, max_outputs, options)",
            "missing key `id` in packs[0]",
            "packs[0].expires: unknown expiry \"tomorrow\" (expected never or cycle_end)",
            "addons[0].price: expected a non-negative integer, found string",
        ]
    );
}

#[test]
fn plans_that_are_not_an_array_of_tables_are_refused() {
    let found = toml_errors(&format!("plans = 3\n{BASE}"));
    assert_eq!(
        found,
        ["plans: expected an array of tables ([[plans]]), found integer"]
    );
    let found = toml_errors(&BASE.replace("video = [\"720p\"", "film = [\"720p\""));
    // The ladder names an unknown studio, so the video products'
    // resolutions are on no ladder: nothing is checked against it.
    assert_eq!(
        found,
        [
            "resolutions.film: unknown studio \"film\" (expected image, video, music, voice, text or edit)"
        ]
    );
}

#[test]
fn pricing_toml_round_trips_through_canonical_json() {
    let from_toml = Catalog::from_toml(PRICING, "pricing.toml").unwrap();
    let text = from_toml.to_canonical_json().unwrap();
    let from_json = Catalog::from_json_str(&text).unwrap();
    assert_eq!(from_json.fingerprint(), from_toml.fingerprint());
    assert_eq!(from_json.spec(), from_toml.spec());
    assert_eq!(from_json.to_canonical_json().unwrap(), text);
    // The commercial sections made the trip: five plans, two packs,
    // one add-on, three ladders.
    let spec = from_json.spec();
    assert_eq!(
        (
            spec.plans.len(),
            spec.packs.len(),
            spec.addons.len(),
            spec.resolutions.len()
        ),
        (5, 2, 1, 3)
    );
}

#[test]
fn json_writes_every_field_in_camel_case() {
    let doc = pricing_json();
    let pro = &doc["plans"][1];
    assert_eq!(pro["id"], "pro");
    assert_eq!(pro["packDiscount"], 20);
    assert_eq!(pro["limits"]["maxResolution"], json!({ "video": "1080p" }));
    // Absent limits are written as null, and null reads back as absent.
    assert_eq!(pro["limits"]["maxSeconds"], Value::Null);
    assert_eq!(pro["seats"], Value::Null);
    assert_eq!(doc["plans"][4]["custom"], true);
}

#[test]
fn json_mistakes_are_reported_with_camel_case_paths() {
    let mut doc = pricing_json();
    // plans: 0 free, 1 pro, 2 studio, 3 team, 4 enterprise.
    let free = doc["plans"][0].as_object_mut().unwrap();
    free.insert("pack_discount".into(), json!(5));
    free.remove("listed");
    doc["plans"][0]["limits"]["maxSeconds"] = json!("5");
    doc["plans"][1]["packDiscount"] = json!(-1);
    doc["plans"][1]["limits"]["maxResolution"]["video"] = json!("8k");
    doc["plans"][2]["packDiscount"] = json!(150);
    doc["plans"][3]["seats"]["max"] = json!(1);
    doc["packs"][0]["expires"] = json!("soon");
    assert_eq!(
        json_errors(doc),
        [
            // What the reader finds, in reading order …
            "unknown key \"pack_discount\" in plans[0] (expected one of: id, name, billing, grants, seats, packs, packDiscount, addons, limits, custom, listed)",
            "plans[0].limits.maxSeconds: expected a non-negative integer, found string",
            "missing key `listed` in plans[0]",
            "plans[1].packDiscount: must not be negative, found -1",
            "packs[0].expires: unknown expiry \"soon\" (expected never or cycle_end)",
            // … then the semantic checks, plan by plan.
            "plans[1].limits.maxResolution.video: resolution \"8k\" is not on the video ladder",
            "plans[2].packDiscount: the pack discount is a percentage, 0 … 100, found 150",
            "plans[3].seats: seats must satisfy 1 ≤ min ≤ max ≤ 2^53 − 1, found min 2 and max 1",
        ]
    );
}

#[test]
fn json_requires_the_fields_toml_may_leave_out() {
    let mut doc = pricing_json();
    doc["plans"][0].as_object_mut().unwrap().remove("billing");
    doc["packs"][1].as_object_mut().unwrap().remove("expires");
    doc.as_object_mut().unwrap().remove("currency");
    assert_eq!(
        json_errors(doc),
        [
            "missing key `currency` at the top level",
            "missing key `billing` in plans[0]",
            "missing key `expires` in packs[1]",
        ]
    );
}
