//! Reading the commercial sections of a catalog: `currency`, the
//! per-studio resolution ladders, `[[plans]]`, `[[packs]]` and
//! `[[addons]]`. Same rules as the rest of the reader: every mistake is
//! reported with its path, and a wrong value gets a neutral stand-in so
//! reading goes on.

use super::{Entry, Kind, Loader, Tree, describe, index, join};
use crate::catalog::{Addon, Billing, Cycle, Limits, Pack, PackExpiry, Plan, Seats, Studio};
use std::collections::BTreeMap;
use std::ops::Range;

const STUDIOS: &str = "image, video, music, voice, text or edit";

impl<T: Tree> Loader<T> {
    /// Each table of the array at `name` (an array of tables in TOML),
    /// read by `read`. Absent: empty.
    pub(super) fn tables<R>(
        &mut self,
        root: &[Entry<'_, T>],
        span: &Range<usize>,
        name: &'static str,
        mut read: impl FnMut(&mut Self, &[Entry<'_, T>], Range<usize>, &str) -> R,
    ) -> Vec<R> {
        let mut out = Vec::new();
        let Some(value) = self.defaulted(root, span, "", name) else {
            return out;
        };
        match value.kind() {
            Kind::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let path = index(name, i);
                    self.record(&path, item.span());
                    if let Some((table, item_span)) = self.table(Some(item), &path) {
                        out.push(read(self, &table, item_span, &path));
                    }
                }
            }
            other => {
                let expected = if T::JSON {
                    "an array of objects".to_string()
                } else {
                    format!("an array of tables ([[{name}]])")
                };
                self.error(
                    value.span(),
                    name,
                    format!("expected {expected}, found {}", describe(&other)),
                );
            }
        }
        out
    }

    /// A required string field.
    fn text(
        &mut self,
        t: &[Entry<'_, T>],
        span: &Range<usize>,
        path: &str,
        name: &'static str,
    ) -> String {
        let value = self.required(t, span, path, name);
        self.string(value, &join(path, Self::key(name)))
            .unwrap_or_default()
    }

    /// A non-negative integer field, `default` when TOML leaves it out.
    fn uint_or(
        &mut self,
        t: &[Entry<'_, T>],
        span: &Range<usize>,
        path: &str,
        name: &'static str,
        default: u64,
    ) -> u64 {
        let value = self.defaulted(t, span, path, name);
        match value {
            Some(_) => self
                .uint(value, &join(path, Self::key(name)))
                .unwrap_or(default),
            None => default,
        }
    }

    /// A boolean field, `default` when TOML leaves it out.
    fn bool_or(
        &mut self,
        t: &[Entry<'_, T>],
        span: &Range<usize>,
        path: &str,
        name: &'static str,
        default: bool,
    ) -> bool {
        let field = join(path, Self::key(name));
        match self
            .defaulted(t, span, path, name)
            .map(|v| (v.span(), v.kind()))
        {
            None => default,
            Some((_, Kind::Bool(b))) => b,
            Some((s, other)) => {
                self.error(
                    s,
                    &field,
                    format!("expected a boolean, found {}", describe(&other)),
                );
                default
            }
        }
    }

    /// A list of strings, empty when TOML leaves it out.
    fn list_or_empty(
        &mut self,
        t: &[Entry<'_, T>],
        span: &Range<usize>,
        path: &str,
        name: &'static str,
    ) -> Vec<String> {
        let value = self.defaulted(t, span, path, name);
        self.string_list(value, &join(path, Self::key(name)))
    }

    /// The per-studio resolution ladders: `{ video = ["480p", "720p"] }`.
    pub(super) fn ladders(&mut self, value: Option<&T>) -> BTreeMap<Studio, Vec<String>> {
        let mut out = BTreeMap::new();
        let Some((t, _)) = self.table(value, "resolutions") else {
            return out;
        };
        for entry in &t {
            let path = join("resolutions", entry.key);
            self.record(&path, entry.value.span());
            let names = self.string_list(Some(entry.value), &path);
            match Studio::from_name(entry.key) {
                Some(studio) => {
                    out.insert(studio, names);
                }
                None => self.error(
                    entry.key_span.clone(),
                    &path,
                    format!(
                        "unknown studio {} (expected {STUDIOS})",
                        crate::error::echo(entry.key)
                    ),
                ),
            }
        }
        out
    }

    /// One `[[plans]]` table.
    pub(super) fn plan(&mut self, t: &[Entry<'_, T>], span: Range<usize>, path: &str) -> Plan {
        const KEYS: &[&str] = &[
            "id",
            "name",
            "billing",
            "grants",
            "seats",
            "packs",
            "pack_discount",
            "addons",
            "limits",
            "custom",
            "listed",
        ];
        self.check_keys(t, path, KEYS);
        let id = self.text(t, &span, path, "id");
        let name = self.text(t, &span, path, "name");
        let billing_path = join(path, "billing");
        let mut billing = Vec::new();
        if let Some(value) = self.defaulted(t, &span, path, "billing") {
            match value.kind() {
                Kind::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let bp = index(&billing_path, i);
                        self.record(&bp, item.span());
                        if let Some((b, b_span)) = self.table(Some(item), &bp) {
                            billing.push(self.billing(&b, b_span, &bp));
                        }
                    }
                }
                other => self.error(
                    value.span(),
                    &billing_path,
                    format!(
                        "expected an array of billing options, found {}",
                        describe(&other)
                    ),
                ),
            }
        }
        let grants = self.list_or_empty(t, &span, path, "grants");
        let seats_path = join(path, "seats");
        let seats_value = self.get(t, path, "seats");
        let seats = match self.table(seats_value, &seats_path) {
            Some((s, s_span)) => {
                self.check_keys(&s, &seats_path, &["min", "max"]);
                let min = self.uint_or(&s, &s_span, &seats_path, "min", 1);
                let max = self.required(&s, &s_span, &seats_path, "max");
                let max = self.uint(max, &join(&seats_path, "max")).unwrap_or(min);
                Some(Seats { min, max })
            }
            None => None,
        };
        let packs = self.list_or_empty(t, &span, path, "packs");
        let pack_discount = self.uint_or(t, &span, path, "pack_discount", 0);
        let addons = self.list_or_empty(t, &span, path, "addons");
        let limits_path = join(path, "limits");
        let limits_value = self.defaulted(t, &span, path, "limits");
        let limits = match self.table(limits_value, &limits_path) {
            Some((l, l_span)) => self.limits(&l, l_span, &limits_path),
            None => Limits::default(),
        };
        let custom = self.bool_or(t, &span, path, "custom", false);
        let listed = self.bool_or(t, &span, path, "listed", true);
        Plan {
            id,
            name,
            billing,
            grants,
            seats,
            packs,
            pack_discount,
            addons,
            limits,
            custom,
            listed,
        }
    }

    fn billing(&mut self, t: &[Entry<'_, T>], span: Range<usize>, path: &str) -> Billing {
        self.check_keys(t, path, &["cycle", "price", "grants"]);
        let cycle = self.required(t, &span, path, "cycle");
        let cycle = self.named(
            cycle,
            &join(path, "cycle"),
            Cycle::from_name,
            "unknown cycle",
            "monthly or annual",
        );
        let price = self.required(t, &span, path, "price");
        let price = self.uint(price, &join(path, "price")).unwrap_or(0);
        let grants = self.list_or_empty(t, &span, path, "grants");
        Billing {
            cycle: cycle.unwrap_or(Cycle::Monthly),
            price,
            grants,
        }
    }

    fn limits(&mut self, t: &[Entry<'_, T>], span: Range<usize>, path: &str) -> Limits {
        self.check_keys(
            t,
            path,
            &[
                "tiers",
                "products",
                "max_resolution",
                "max_seconds",
                "max_outputs",
                "options",
            ],
        );
        let tiers = self.get(t, path, "tiers");
        let tiers = tiers.map(|v| self.string_list(Some(v), &join(path, "tiers")));
        let products = self.get(t, path, "products");
        let products = products.map(|v| self.string_list(Some(v), &join(path, "products")));
        let mut max_resolution = BTreeMap::new();
        let mr_path = join(path, Self::key("max_resolution"));
        let mr_value = self.defaulted(t, &span, path, "max_resolution");
        if let Some((m, _)) = self.table(mr_value, &mr_path) {
            for entry in &m {
                let ep = join(&mr_path, entry.key);
                self.record(&ep, entry.value.span());
                let name = self.string(Some(entry.value), &ep);
                match (Studio::from_name(entry.key), name) {
                    (Some(studio), Some(name)) => {
                        max_resolution.insert(studio, name);
                    }
                    (None, _) => self.error(
                        entry.key_span.clone(),
                        &ep,
                        format!(
                            "unknown studio {} (expected {STUDIOS})",
                            crate::error::echo(entry.key)
                        ),
                    ),
                    _ => {}
                }
            }
        }
        let max_seconds = self.get(t, path, "max_seconds");
        let max_seconds = self.uint(max_seconds, &join(path, Self::key("max_seconds")));
        let max_outputs = self.get(t, path, "max_outputs");
        let max_outputs = self.uint(max_outputs, &join(path, Self::key("max_outputs")));
        let mut options = BTreeMap::new();
        let op_path = join(path, "options");
        let op_value = self.defaulted(t, &span, path, "options");
        if let Some((o, _)) = self.table(op_value, &op_path) {
            for entry in &o {
                let ep = join(&op_path, entry.key);
                self.record(&ep, entry.value.span());
                let values = self.string_list(Some(entry.value), &ep);
                options.insert(entry.key.to_string(), values);
            }
        }
        Limits {
            tiers,
            products,
            max_resolution,
            max_seconds,
            max_outputs,
            options,
        }
    }

    /// One `[[packs]]` table.
    pub(super) fn pack(&mut self, t: &[Entry<'_, T>], span: Range<usize>, path: &str) -> Pack {
        self.check_keys(t, path, &["id", "name", "credits", "price", "expires"]);
        let id = self.text(t, &span, path, "id");
        let name = self.text(t, &span, path, "name");
        let credits = self.required(t, &span, path, "credits");
        let credits = self.uint(credits, &join(path, "credits")).unwrap_or(0);
        let price = self.required(t, &span, path, "price");
        let price = self.uint(price, &join(path, "price")).unwrap_or(0);
        let expires = match self.defaulted(t, &span, path, "expires") {
            None => None,
            some => self.named(
                some,
                &join(path, "expires"),
                PackExpiry::from_name,
                "unknown expiry",
                "never or cycle_end",
            ),
        };
        Pack {
            id,
            name,
            credits,
            price,
            expires: expires.unwrap_or(PackExpiry::Never),
        }
    }

    /// One `[[addons]]` table.
    pub(super) fn addon(&mut self, t: &[Entry<'_, T>], span: Range<usize>, path: &str) -> Addon {
        self.check_keys(t, path, &["id", "name", "allowance", "price"]);
        let id = self.text(t, &span, path, "id");
        let name = self.text(t, &span, path, "name");
        let allowance = self.text(t, &span, path, "allowance");
        let price = self.required(t, &span, path, "price");
        let price = self.uint(price, &join(path, "price")).unwrap_or(0);
        Addon {
            id,
            name,
            allowance,
            price,
        }
    }
}

// Built from TOML catalogs: native builds only (the wasm lint run compiles
// the tests without the TOML reader).
#[cfg(test)]
#[cfg(feature = "native")]
mod tests {
    use crate::catalog::{
        Addon, Billing, Catalog, Cycle, Limits, Pack, PackExpiry, Plan, Seats, Studio,
    };
    use serde_json::{Value, json};
    use std::collections::BTreeMap;

    const PRICING: &str = include_str!("../../../pricing.toml");

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
        serde_json::from_str(&catalog.to_canonical_json()).unwrap()
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
        let text = from_toml.to_canonical_json();
        let from_json = Catalog::from_json_str(&text).unwrap();
        assert_eq!(from_json.fingerprint(), from_toml.fingerprint());
        assert_eq!(from_json.spec(), from_toml.spec());
        assert_eq!(from_json.to_canonical_json(), text);
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
                "plans[2].packDiscount: pack_discount is a percentage, 0 … 100, found 150",
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
}
