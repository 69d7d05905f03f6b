//! The binding layer, compiled to wasm32 and run under Node by
//! `wasm-bindgen-test-runner`:
//! `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner cargo test --target wasm32-unknown-unknown --no-default-features --features wasm --test wasm`.
//! Natively this file compiles to nothing.
#![cfg(all(target_arch = "wasm32", feature = "wasm"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use genprice::wasm::Engine;
use js_sys::{JSON, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const STUDIO: &str = include_str!("vectors/catalogs/studio.json");

fn js(text: &str) -> JsValue {
    JSON::parse(text).unwrap()
}

fn engine() -> Engine {
    Engine::new(&js(STUDIO)).unwrap()
}

/// `engine.quote(request)` in either build: the full engine (feature
/// `plans`) also takes quote options, left undefined here.
trait Price {
    fn price(&self, request: &JsValue) -> Result<JsValue, JsValue>;
}

impl Price for Engine {
    fn price(&self, request: &JsValue) -> Result<JsValue, JsValue> {
        #[cfg(feature = "plans")]
        return self.quote(request, &JsValue::UNDEFINED);
        #[cfg(not(feature = "plans"))]
        return self.quote(request);
    }
}

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &key.into()).unwrap()
}

#[wasm_bindgen_test]
fn quote_returns_a_plain_object_with_integer_amounts() {
    let quote = engine()
        .price(&js(
            r#"{"product":"video/kling-2","seconds":10,"resolution":"1080p"}"#,
        ))
        .unwrap();
    assert_eq!(get(&quote, "total").as_f64(), Some(150.0));
    assert_eq!(
        get(&quote, "display").as_string().as_deref(),
        Some("150 credits")
    );
    let lines = get(&quote, "lines");
    assert!(js_sys::Array::is_array(&lines));
    let factor = get(
        &js_sys::Array::from(&get(&js_sys::Array::from(&lines).get(0), "factors")).get(0),
        "multiplier",
    );
    assert_eq!(
        factor.as_string().as_deref(),
        Some("1.5"),
        "multipliers cross as strings"
    );
    // A plain object, not a Map.
    assert!(!get(&quote, "catalog").is_instance_of::<js_sys::Map>());
}

#[wasm_bindgen_test]
fn errors_are_error_objects_with_code_and_path() {
    let err = engine()
        .price(&js(
            r#"{"items":[{"product":"video/veo-3"},{"product":"video/veo-3","seconds":99}]}"#,
        ))
        .expect_err("out of range");
    assert!(err.is_instance_of::<js_sys::Error>());
    assert_eq!(
        get(&err, "code").as_string().as_deref(),
        Some("duration_out_of_range")
    );
    assert_eq!(
        get(&err, "path").as_string().as_deref(),
        Some("items[1].seconds")
    );
}

#[wasm_bindgen_test]
fn unknown_names_carry_their_suggestions_to_javascript() {
    let err = engine()
        .price(&js(r#"{"product":"veo3"}"#))
        .expect_err("unknown product");
    let suggestions = get(&err, "suggestions");
    assert!(js_sys::Array::is_array(&suggestions));
    let names: Vec<Option<String>> = js_sys::Array::from(&suggestions)
        .iter()
        .map(|s| s.as_string())
        .collect();
    assert_eq!(names, [Some("video/veo-3".to_string())]);
    assert!(
        get(&err, "message")
            .as_string()
            .unwrap()
            .ends_with("did you mean \"video/veo-3\"?")
    );
    // None near: no property at all.
    let err = engine().price(&js(r#"{"product":"nope/x"}"#)).unwrap_err();
    assert!(get(&err, "suggestions").is_undefined());
    // As data in quoteMany's results too.
    let results = engine().quote_many(&js(r#"[{"product":"veo3"}]"#)).unwrap();
    let error = get(&js_sys::Array::from(&results).get(0), "error");
    assert_eq!(
        js_sys::Array::from(&get(&error, "suggestions"))
            .get(0)
            .as_string()
            .as_deref(),
        Some("video/veo-3")
    );
}

#[wasm_bindgen_test]
fn undefined_fields_count_as_absent() {
    let request = js(r#"{"product":"video/veo-3"}"#);
    Reflect::set(&request, &"seconds".into(), &JsValue::UNDEFINED).unwrap();
    let quote = engine().price(&request).unwrap();
    assert_eq!(get(&quote, "total").as_f64(), Some(320.0));
}

#[wasm_bindgen_test]
fn non_json_values_are_refused_with_a_code() {
    let engine = engine();
    let map: JsValue = js_sys::Map::new().into();
    for bad in [
        JsValue::from_f64(f64::NAN),
        JsValue::from_f64(f64::INFINITY),
        js_sys::Symbol::for_("x").into(),
        map,
        JsValue::UNDEFINED,
    ] {
        let request = js(r#"{"product":"video/veo-3"}"#);
        Reflect::set(&request, &"seconds".into(), &bad).unwrap();
        let result = engine.price(&request);
        if bad.is_undefined() {
            assert!(result.is_ok());
        } else {
            let err = result.err().unwrap();
            assert_eq!(
                get(&err, "code").as_string().as_deref(),
                Some("invalid_request")
            );
        }
    }
}

fn nested(depth: usize) -> JsValue {
    let mut text = String::from(r#"{"product":"video/veo-3","options":{"audio":"#);
    text.push_str(&"[".repeat(depth));
    text.push_str(&"]".repeat(depth));
    text.push_str("}}");
    js(&text)
}

#[wasm_bindgen_test]
fn deep_nesting_is_refused_as_natively_not_a_stack_overflow() {
    // 127 levels of nesting are fine, as for serde_json natively: the error
    // is then about the option's value, not the nesting.
    let err = engine().price(&nested(125)).err().unwrap();
    assert_eq!(
        get(&err, "code").as_string().as_deref(),
        Some("invalid_option_value")
    );
    // Past serde_json's recursion limit of 128: the same code as the CLI,
    // however deep.
    for depth in [126, 200, 200_000] {
        let err = engine().price(&nested(depth)).err().unwrap();
        assert_eq!(
            get(&err, "code").as_string().as_deref(),
            Some("invalid_json"),
            "{depth}"
        );
    }
    // And the engine still works afterwards.
    assert!(engine().price(&js(r#"{"product":"video/veo-3"}"#)).is_ok());
}

#[wasm_bindgen_test]
fn class_instances_bigints_and_functions_are_refused() {
    let engine = engine();
    let date: JsValue = js_sys::Date::new_0().into();
    let function: JsValue = js_sys::Function::new_no_args("").into();
    for bad in [date, function, JsValue::bigint_from_str("1")] {
        let request = js(r#"{"product":"video/veo-3"}"#);
        Reflect::set(&request, &"seconds".into(), &bad).unwrap();
        let err = engine.price(&request).err().unwrap();
        assert_eq!(
            get(&err, "code").as_string().as_deref(),
            Some("invalid_request")
        );
    }
    // An object without a prototype is a plain object.
    let request: js_sys::Object = js_sys::Object::create(JsValue::NULL.unchecked_ref());
    Reflect::set(&request, &"product".into(), &"video/veo-3".into()).unwrap();
    assert!(engine.price(&request).is_ok());
}

#[wasm_bindgen_test]
fn quote_many_returns_results_in_order_and_never_throws_for_a_request() {
    let requests = js(r#"[{"product":"image/flux-pro"},{"product":"nope/x"},42]"#);
    let results: Vec<JsValue> = js_sys::Array::from(&engine().quote_many(&requests).unwrap())
        .iter()
        .collect();
    assert_eq!(get(&results[0], "total").as_f64(), Some(8.0));
    assert_eq!(
        get(&get(&results[1], "error"), "code")
            .as_string()
            .as_deref(),
        Some("unknown_product")
    );
    assert_eq!(
        get(&get(&results[2], "error"), "code")
            .as_string()
            .as_deref(),
        Some("invalid_request")
    );
}

#[wasm_bindgen_test]
fn a_tampered_catalog_is_refused_with_diagnostics() {
    let tampered = STUDIO.replacen("\"price\":40", "\"price\":4", 1);
    let err = Engine::new(&js(&tampered)).err().unwrap();
    assert_eq!(
        get(&err, "code").as_string().as_deref(),
        Some("fingerprint_mismatch")
    );
    assert!(js_sys::Array::is_array(&get(&err, "diagnostics")));
}

#[wasm_bindgen_test]
fn catalog_round_trips_with_its_fingerprint() {
    let engine = engine();
    let catalog = engine.catalog().unwrap();
    assert_eq!(
        get(&catalog, "fingerprint").as_string(),
        Some(engine.fingerprint())
    );
    let again = Engine::new(&catalog).unwrap();
    assert_eq!(again.fingerprint(), engine.fingerprint());
}

#[cfg(feature = "plans")]
#[wasm_bindgen_test]
fn full_engine_quotes_with_a_plan_and_a_balance() {
    // wan-fast 5 s at 1080p = 30 credits; Free stops at 720p; 10 credits
    // leave 20 short.
    let q = engine()
        .quote(
            &js(r#"{"product":"video/wan-fast","seconds":5,"resolution":"1080p"}"#),
            &js(r#"{"plan":"free","balance":10}"#),
        )
        .unwrap();
    let verdict = get(&q, "entitlement");
    assert_eq!(get(&verdict, "allowed"), JsValue::FALSE);
    let denial = Reflect::get_u32(&get(&verdict, "denials"), 0).unwrap();
    assert_eq!(get(&denial, "code"), "resolution_not_in_plan");
    assert_eq!(get(&get(&verdict, "upgrade"), "id"), "pro");
    assert_eq!(get(&get(&q, "credits"), "shortfall"), 20);
    let err = engine()
        .quote(
            &js(r#"{"product":"image/flux-schnell"}"#),
            &js(r#"{"plan":"gold"}"#),
        )
        .err()
        .unwrap();
    assert_eq!(get(&err, "code"), "unknown_plan");
    assert!(err.is_instance_of::<js_sys::Error>());
}

#[cfg(feature = "plans")]
#[wasm_bindgen_test]
fn full_engine_estimates_and_lists_plans() {
    // 60 FLUX Schnell a day: 60 × 30 × 2 = 3600 credits a month.
    let e = engine()
        .estimate(&js(
            r#"[{"request":{"product":"image/flux-schnell"},"per":"day","count":60}]"#,
        ))
        .unwrap();
    assert_eq!(get(&e, "creditsPerMonth"), 3600);
    assert_eq!(get(&e, "creditsNeeded"), 4500);
    assert_eq!(get(&get(&e, "recommendation"), "plan"), "pro");
    let plans: js_sys::Array = engine().plans().unwrap().dyn_into().unwrap();
    assert_eq!(plans.length(), 5);
    let err = engine()
        .estimate(&js(r#"[{"per":"day","count":1}]"#))
        .err()
        .unwrap();
    assert_eq!(get(&err, "code"), "missing_field");
}

/// The studio catalog with `edit` applied to its JSON object.
fn studio_with(edit: impl FnOnce(&mut serde_json::Value)) -> JsValue {
    let mut value: serde_json::Value = serde_json::from_str(STUDIO).unwrap();
    edit(&mut value);
    js(&value.to_string())
}

#[cfg(not(feature = "plans"))]
#[wasm_bindgen_test]
fn the_slim_engine_takes_plans_only_under_their_fingerprint() {
    // It cannot check plans, so it takes them only as the fingerprint
    // proves a checking build wrote them.
    let unproven = studio_with(|c| {
        c.as_object_mut().unwrap().remove("fingerprint");
    });
    let err = Engine::new(&unproven).err().unwrap();
    assert_eq!(get(&err, "code"), "invalid_catalog");
    // A section that is not exactly what was fingerprinted (a null written
    // out by the canonical form, removed) is a mismatch, never a second
    // fingerprint for the same catalog.
    let altered = studio_with(|c| {
        c["plans"][0].as_object_mut().unwrap().remove("seats");
    });
    let err = Engine::new(&altered).err().unwrap();
    assert_eq!(get(&err, "code"), "fingerprint_mismatch");
    // Without commercial sections no fingerprint is needed.
    let bare = studio_with(|c| {
        let c = c.as_object_mut().unwrap();
        c.remove("fingerprint");
        c.insert("plans".into(), serde_json::json!([]));
        c.insert("packs".into(), serde_json::json!([]));
        c.insert("addons".into(), serde_json::json!([]));
        c.insert("resolutions".into(), serde_json::json!({}));
    });
    assert!(Engine::new(&bare).is_ok());
}

#[cfg(feature = "plans")]
#[wasm_bindgen_test]
fn the_full_engine_checks_plans_and_fingerprints_them_canonically() {
    // Reading null and absent alike, it gives the altered catalog the
    // canonical fingerprint: the one the slim engine proves against.
    let fingerprint = engine().fingerprint();
    let altered = studio_with(|c| {
        let c = c.as_object_mut().unwrap();
        c.remove("fingerprint");
        c.get_mut("plans").unwrap()[0]
            .as_object_mut()
            .unwrap()
            .remove("seats");
    });
    assert_eq!(Engine::new(&altered).unwrap().fingerprint(), fingerprint);
    let broken = studio_with(|c| {
        c["plans"][0]["packDiscount"] = serde_json::json!(150);
    });
    let err = Engine::new(&broken).err().unwrap();
    assert_eq!(get(&err, "code"), "invalid_catalog");
}

#[wasm_bindgen_test]
fn the_numeric_fast_path_gives_the_quote_total_and_its_errors() {
    let engine = engine();
    let request = js(r#"{"product":"video/kling-2","seconds":10,"resolution":"1080p"}"#);
    let quoted = get(&engine.price(&request).unwrap(), "total").as_f64();
    assert_eq!(Some(engine.total(&request).unwrap()), quoted);
    let pricer = engine
        .pricer(&js(r#"{"product":"video/kling-2","resolution":"1080p"}"#))
        .unwrap();
    assert_eq!(Some(pricer.total(Some(10.0), None).unwrap()), quoted);
    assert_eq!(pricer.fingerprint(), engine.fingerprint());
    let error = pricer.total(Some(2.5), Some(1.0)).unwrap_err();
    assert_eq!(
        get(&error, "code").as_string().as_deref(),
        Some("invalid_quantity")
    );
    assert_eq!(get(&error, "path").as_string().as_deref(), Some("seconds"));
    let totals = engine
        .totals(&js(
            r#"[{"product":"video/kling-2","seconds":10,"resolution":"1080p"},{"product":"nope"}]"#,
        ))
        .unwrap();
    let totals: &js_sys::Array = totals.unchecked_ref();
    assert_eq!(totals.get(0).as_f64(), quoted);
    let failed = get(&totals.get(1), "error");
    assert_eq!(
        get(&failed, "code").as_string().as_deref(),
        Some("unknown_product")
    );
}
