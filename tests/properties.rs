//! Property tests of the pricing invariants (proptest). A failure prints the
//! minimal failing input and proptest saves its seed under
//! `tests/properties.proptest-regressions` so it replays first next time.
#![cfg(all(feature = "native", not(target_arch = "wasm32")))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use genprice::{Catalog, ErrorCode, MAX_AMOUNT, Meter, Product, Request, quote};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{Map, Value, json};
use std::sync::LazyLock;
use toml::de::{DeTable, DeValue};

static CATALOG: LazyLock<Catalog> =
    LazyLock::new(|| Catalog::from_toml(include_str!("../pricing.toml"), "pricing.toml").unwrap());
static EDGE: LazyLock<Catalog> = LazyLock::new(|| {
    Catalog::from_toml(include_str!("vectors/catalogs/edge.toml"), "edge.toml").unwrap()
});

fn product_ids() -> Vec<String> {
    CATALOG
        .products()
        .iter()
        .chain(EDGE.products())
        .map(|p| p.id.to_string())
        .collect()
}

/// Numbers a hostile client might send: valid, negative, fractional, huge.
fn any_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0u64..20).prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        Just(json!(1e30)),
        Just(json!(9007199254740991u64)),
        Just(json!(9007199254740992u64)),
        Just(json!(-0.0)),
        Just(json!(10.0)),
    ]
}

fn any_string() -> impl Strategy<Value = String> {
    let ids = product_ids();
    prop_oneof![
        proptest::sample::select(ids),
        proptest::sample::select(vec![
            "1080p", "4k", "480p", "720p", "1k", "2k", "uhd", "sd", "hd", "on", "off", "high",
            "60", "24", "4x",
        ])
        .prop_map(String::from),
        ".{0,12}",
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any_number(),
        any_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(any_key(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn any_key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(vec![
            "product", "outputs", "resolution", "seconds", "characters", "tokens", "megapixels", "options",
            "items", "audio", "quality", "fps", "scale", "emotion", "style",
        ])
        .prop_map(String::from),
        1 => "[a-z]{1,8}",
    ]
}

/// A request-shaped object with arbitrary field values.
fn request_like() -> impl Strategy<Value = Value> {
    let item = (
        any_string(),
        prop::collection::btree_map(any_key(), prop_oneof![any_number(), any_json()], 0..5),
    )
        .prop_map(|(product, fields)| {
            let mut map: Map<String, Value> = fields.into_iter().collect();
            map.insert("product".into(), Value::String(product));
            Value::Object(map)
        })
        .boxed();
    prop_oneof![
        4 => item.clone(),
        1 => prop::collection::vec(item, 0..5).prop_map(|items| json!({ "items": items })),
        1 => any_json(),
    ]
}

/// A valid request for a random product, built from the catalog's own
/// limits: (product, metered quantity, outputs, resolution, options).
type ValidItem = (Product, u64, u64, Option<String>, Vec<(String, String)>);

fn valid_item() -> impl Strategy<Value = ValidItem> {
    valid_item_where(|_| true, 0, 0)
}

/// Like [`valid_item`], restricted to products matching `keep`, with the
/// quantity at most `max - quantity_headroom` and outputs at most
/// `max - outputs_headroom` (so a test can add one and stay valid).
fn valid_item_where(
    keep: fn(&Product) -> bool,
    quantity_headroom: u64,
    outputs_headroom: u64,
) -> impl Strategy<Value = ValidItem> {
    let products: Vec<Product> = CATALOG
        .products()
        .iter()
        .filter(|p| keep(p))
        .cloned()
        .collect();
    assert!(!products.is_empty(), "no product matches the filter");
    proptest::sample::select(products).prop_flat_map(move |p| {
        let (min, max) = p.quantity.as_ref().map_or((1, 1), |q| (q.min, q.max));
        let resolutions: Vec<Option<String>> = if p.resolutions.is_empty() {
            vec![None]
        } else {
            p.resolutions.keys().map(|k| Some(k.to_string())).collect()
        };
        let options: Vec<_> = p
            .options
            .iter()
            .map(|(name, o)| {
                let values: Vec<String> = o.values.keys().map(|v| v.to_string()).collect();
                let name = name.to_string();
                proptest::sample::select(values).prop_map(move |v| (name.clone(), v))
            })
            .collect();
        (
            Just(p.clone()),
            min..=max - quantity_headroom,
            1..=p.outputs.max - outputs_headroom,
            proptest::sample::select(resolutions),
            options,
        )
    })
}

fn item_json(
    p: &Product,
    quantity: u64,
    outputs: u64,
    resolution: &Option<String>,
    options: &[(String, String)],
) -> Value {
    let mut map = Map::new();
    map.insert("product".into(), json!(p.id.to_string()));
    map.insert("outputs".into(), json!(outputs));
    if let Some(field) = p.meter.quantity_field() {
        map.insert(field.into(), json!(quantity));
    }
    if let Some(r) = resolution {
        map.insert("resolution".into(), json!(r));
    }
    let opts: Map<String, Value> = options.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    map.insert("options".into(), Value::Object(opts));
    Value::Object(map)
}

fn total(value: &Value) -> Result<u64, ErrorCode> {
    let request = Request::from_json_value(value).map_err(|e| e.code)?;
    quote(&CATALOG, &request)
        .map(|q| q.total)
        .map_err(|e| e.code)
}

/// `cases` cases per property; failing seeds are saved next to this file.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/properties.proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(3000))]

    #[test]
    fn pricing_never_panics_and_totals_add_up(request in request_like()) {
        for catalog in [&*CATALOG, &*EDGE] {
            if let Ok(parsed) = Request::from_json_value(&request)
                && let Ok(q) = quote(catalog, &parsed) {
                    prop_assert!(q.total <= MAX_AMOUNT);
                    prop_assert_eq!(q.total, q.lines.iter().map(|l| l.amount).sum::<u64>());
                    prop_assert_eq!(q.lines.len(), parsed.items.len());
                    for line in &q.lines {
                        prop_assert!(line.amount >= line.minimum);
                        prop_assert_eq!(line.units, line.quantity * line.outputs);
                    }
                }
        }
    }

    #[test]
    fn the_same_request_always_gives_the_same_quote((p, n, outputs, res, opts) in valid_item()) {
        let value = item_json(&p, n, outputs, &res, &opts);
        let first = quote(&CATALOG, &Request::from_json_value(&value).unwrap()).unwrap();
        let again = quote(&CATALOG, &Request::from_json_value(&value).unwrap()).unwrap();
        // Through JSON text and back, as the CLI and the browser see it.
        let reparsed: Value = serde_json::from_str(&value.to_string()).unwrap();
        let third = quote(&CATALOG, &Request::from_json_value(&reparsed).unwrap()).unwrap();
        prop_assert_eq!(&first, &again);
        prop_assert_eq!(&first, &third);
    }

    #[test]
    fn more_seconds_never_cost_less(
        (p, n, outputs, res, opts) in valid_item_where(|p| p.quantity.as_ref().is_some_and(|q| q.min < q.max), 1, 0)
    ) {
        let less = total(&item_json(&p, n, outputs, &res, &opts)).unwrap();
        let more = total(&item_json(&p, n + 1, outputs, &res, &opts)).unwrap();
        prop_assert!(more >= less, "{} {}: {} -> {} units cost {} -> {}", p.id, p.meter.as_str(), n, n + 1, less, more);
    }

    #[test]
    fn more_outputs_never_cost_less(
        (p, n, outputs, res, opts) in valid_item_where(|p| p.outputs.max > 1, 0, 1)
    ) {
        let less = total(&item_json(&p, n, outputs, &res, &opts)).unwrap();
        let more = total(&item_json(&p, n, outputs + 1, &res, &opts)).unwrap();
        prop_assert!(more >= less);
    }

    #[test]
    fn a_higher_multiplier_resolution_never_costs_less(
        (p, n, outputs, _res, opts) in valid_item_where(|p| p.resolutions.len() > 1, 0, 0)
    ) {
        let mut by_multiplier: Vec<(_, _)> = p.resolutions.iter().map(|(k, m)| (*m, k.to_string())).collect();
        by_multiplier.sort();
        let totals: Vec<u64> = by_multiplier
            .iter()
            .map(|(_, r)| total(&item_json(&p, n, outputs, &Some(r.clone()), &opts)).unwrap())
            .collect();
        prop_assert!(totals.windows(2).all(|w| w[0] <= w[1]), "{}: {:?} -> {:?}", p.id, by_multiplier, totals);
    }

    #[test]
    fn seconds_are_metered_only_where_they_apply((p, n, outputs, res, opts) in valid_item()) {
        let mut value = item_json(&p, n, outputs, &res, &opts);
        value["seconds"] = json!(5);
        let result = total(&value);
        if p.meter == Meter::Second {
            prop_assert!(result.is_ok() || result == Err(ErrorCode::DurationOutOfRange));
        } else {
            prop_assert_eq!(result, Err(ErrorCode::UnsupportedField));
        }
    }
}

proptest! {
    // Each case re-parses the whole catalog, so fewer cases.
    #![proptest_config(config(300))]

    #[test]
    fn fingerprint_ignores_key_order_and_whitespace(seed in any::<u64>()) {
        let text = include_str!("../pricing.toml");
        let shuffled = reformat(text, seed);
        let catalog = Catalog::from_toml(&shuffled, "shuffled.toml")
            .map_err(|e| TestCaseError::fail(format!("{e}\n{shuffled}")))?;
        prop_assert_eq!(catalog.fingerprint(), CATALOG.fingerprint());
        prop_assert_eq!(catalog.to_canonical_json().unwrap(), CATALOG.to_canonical_json().unwrap());
    }
}

/// Re-emits a TOML document with every table's keys in a seeded random
/// order, random spacing and blank lines, and inline tables written either
/// inline or as dotted keys. Values keep their source text.
fn reformat(text: &str, seed: u64) -> String {
    let doc = DeTable::parse(text).unwrap();
    let mut rng = Lcg(seed | 1);
    let mut out = String::from("# reformatted\n");
    let mut keys: Vec<_> = doc.get_ref().iter().collect();
    rng.shuffle(&mut keys);
    let mut arrays = Vec::new();
    for (key, value) in keys {
        match value.get_ref() {
            DeValue::Array(items) if items.iter().all(|i| i.get_ref().is_table()) => {
                arrays.push((key, items))
            }
            v => out.push_str(&format!(
                "{}{}={}{}\n",
                key.get_ref(),
                rng.space(),
                rng.space(),
                emit(v, &mut rng)
            )),
        }
    }
    for (key, items) in arrays {
        for item in items.iter() {
            out.push_str(&format!("\n{}[[{}]]\n", rng.blank(), key.get_ref()));
            let DeValue::Table(t) = item.get_ref() else {
                unreachable!()
            };
            let mut fields: Vec<_> = t.iter().collect();
            rng.shuffle(&mut fields);
            for (k, v) in fields {
                match v.get_ref() {
                    DeValue::Table(inner) if rng.next().is_multiple_of(2) => {
                        let mut sub: Vec<_> = inner.iter().collect();
                        rng.shuffle(&mut sub);
                        for (sk, sv) in sub {
                            out.push_str(&format!(
                                "{}.\"{}\" = {}\n",
                                k.get_ref(),
                                sk.get_ref(),
                                emit(sv.get_ref(), &mut rng)
                            ));
                        }
                    }
                    other => out.push_str(&format!(
                        "{}{}= {}\n",
                        k.get_ref(),
                        rng.space(),
                        emit(other, &mut rng)
                    )),
                }
            }
        }
    }
    out
}

fn emit(value: &DeValue<'_>, rng: &mut Lcg) -> String {
    match value {
        DeValue::String(s) => serde_json::to_string(s.as_ref()).unwrap(),
        DeValue::Integer(i) => i.to_string(),
        DeValue::Float(f) => f.to_string(),
        DeValue::Boolean(b) => b.to_string(),
        DeValue::Datetime(d) => d.to_string(),
        DeValue::Array(items) => {
            let parts: Vec<String> = items.iter().map(|i| emit(i.get_ref(), rng)).collect();
            format!(
                "[{}{}]",
                rng.space(),
                parts.join(&format!(",{}", rng.space()))
            )
        }
        DeValue::Table(t) => {
            let mut fields: Vec<_> = t.iter().collect();
            rng.shuffle(&mut fields);
            let parts: Vec<String> = fields
                .into_iter()
                .map(|(k, v)| {
                    format!(
                        "\"{}\"{}={}{}",
                        k.get_ref(),
                        rng.space(),
                        rng.space(),
                        emit(v.get_ref(), rng)
                    )
                })
                .collect();
            format!("{{{}{}{}}}", rng.space(), parts.join(", "), rng.space())
        }
    }
}

/// A tiny deterministic generator so a failing seed reproduces the text.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
    fn space(&mut self) -> &'static str {
        ["", " ", "  ", "\t"][(self.next() % 4) as usize]
    }
    fn blank(&mut self) -> &'static str {
        ["", "\n", "# comment\n"][(self.next() % 3) as usize]
    }
}
