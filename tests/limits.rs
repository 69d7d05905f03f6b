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
