//! Unit tests of the request reader (kept beside it, in their own file).

use super::*;
use serde_json::json;

fn parse(v: Value) -> Result<Request, QuoteError> {
    Request::from_json_value(&v)
}

fn code(v: Value) -> (ErrorCode, Option<String>) {
    let e = parse(v).unwrap_err();
    (e.code, e.path)
}

/// Found by schemathesis: without serde_json's exact float parsing, a
/// large whole number written with ".0" was read as its neighbour with
/// a fraction, and refused as "must be a whole number".
#[cfg(feature = "native")]
#[test]
fn a_large_whole_number_written_with_a_fraction_is_read_exactly() {
    for (text, want) in [
        ("3891400044470890.0", 3_891_400_044_470_890),
        ("9007199254740991.0", MAX_AMOUNT),
        ("4503599627370497.0", 4_503_599_627_370_497),
    ] {
        let request =
            Request::from_json_str(&format!(r#"{{"product":"a/b","seconds":{text}}}"#)).unwrap();
        assert_eq!(request.items[0].seconds, Some(want), "{text}");
    }
    let e = Request::from_json_str(r#"{"product":"a/b","seconds":9007199254740992.0}"#);
    assert_eq!(e.unwrap_err().code, ErrorCode::InvalidQuantity);
}

#[test]
fn the_spec_type_and_the_parser_agree_on_fields() {
    let full = ItemSpec {
        product: "a/b".into(),
        outputs: Some(1),
        resolution: Some("1k".into()),
        seconds: Some(1),
        characters: Some(1),
        tokens: Some(1),
        megapixels: Some(1),
        options: [("q".to_string(), "x".to_string())].into(),
    };
    let value = serde_json::to_value(&full).unwrap();
    let keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut fields = ITEM_FIELDS.to_vec();
    fields.sort_unstable();
    assert_eq!(keys, fields);
    let scene = serde_json::to_value(RequestSpec::Scene { items: vec![full] }).unwrap();
    let parsed = Request::from_json_value(&scene).unwrap();
    assert!(parsed.scene);
    assert_eq!(
        parsed.items[0].options,
        [("q".to_string(), "x".to_string())]
    );
}

#[test]
fn single_item_request() {
    let r = parse(
        json!({"product": "video/veo-3", "seconds": 8, "resolution": "1080p",
        "outputs": 2, "options": {"audio": "on", "fps": 24, "hdr": true}}),
    )
    .unwrap();
    assert!(!r.scene);
    let item = &r.items[0];
    assert_eq!(item.seconds, Some(8));
    assert_eq!(item.outputs, Some(2));
    assert_eq!(item.resolution.as_deref(), Some("1080p"));
    assert_eq!(
        item.options,
        [
            ("audio".into(), "on".into()),
            ("fps".into(), "24".into()),
            ("hdr".into(), "true".into())
        ]
    );
}

#[test]
fn scene_request() {
    let r =
        parse(json!({"items": [{"product": "a/b", "outputs": 2}, {"product": "c/d"}]})).unwrap();
    assert!(r.scene);
    assert_eq!(r.items.len(), 2);
    assert_eq!(r.prefix(1), "items[1].");
}

#[test]
fn unknown_fields_are_rejected_with_their_path() {
    assert_eq!(
        code(json!({"product": "a/b", "zeta": 1, "colour": 2})),
        (ErrorCode::UnknownField, Some("colour".into()))
    );
    assert_eq!(
        code(json!({"items": [{"product": "a/b"}, {"product": "a/b", "x": 1}]})),
        (ErrorCode::UnknownField, Some("items[1].x".into()))
    );
    assert_eq!(
        code(json!({"items": [{"product": "a/b"}], "product": "a/b"})),
        (ErrorCode::UnknownField, Some("product".into()))
    );
}

#[test]
fn quantities_must_be_exact_non_negative_integers() {
    for bad in [
        json!(-1),
        json!(1.5),
        json!(1e30),
        json!("10"),
        json!([1]),
        json!(9007199254740992u64),
    ] {
        assert_eq!(
            code(json!({"product": "a/b", "seconds": bad})),
            (ErrorCode::InvalidQuantity, Some("seconds".into())),
            "{bad}"
        );
    }
    for (good, expect) in [
        (json!(10), 10),
        (json!(10.0), 10),
        (json!(1e1), 10),
        (json!(0), 0),
    ] {
        let r = parse(json!({"product": "a/b", "seconds": good})).unwrap();
        assert_eq!(r.items[0].seconds, Some(expect));
    }
}

#[test]
fn messages_echo_safe_integers_but_never_floats() {
    let message = |v: Value| parse(v).unwrap_err().message;
    assert_eq!(
        message(json!({"product": "a/b", "seconds": 4.5})),
        "seconds must be a whole number"
    );
    assert_eq!(
        message(json!({"product": "a/b", "seconds": -3})),
        "seconds must not be negative, found -3"
    );
    assert_eq!(
        message(json!({"product": "a/b", "seconds": 9_007_199_254_740_992u64})),
        "seconds is larger than 2^53 - 1"
    );
    // Integers JavaScript cannot hold exactly are not option texts.
    assert_eq!(
        code(json!({"product": "a/b", "options": {"seed": 1u64 << 60}})),
        (ErrorCode::InvalidOptionValue, Some("options.seed".into()))
    );
    let r = parse(json!({"product": "a/b", "options": {"fps": 24, "n": -2}})).unwrap();
    assert_eq!(
        r.items[0].options,
        [("fps".into(), "24".into()), ("n".into(), "-2".into())]
    );
}

#[test]
fn null_means_absent() {
    let r = parse(json!({"product": "a/b", "seconds": null, "options": null, "resolution": null}))
        .unwrap();
    assert_eq!(r.items[0], Item::new("a/b"));
}

/// Issue 9, item 6: `items: null` was `unknown_field` and an option set
/// to null was `invalid_option_value`; null is absent everywhere.
#[test]
fn null_is_absent_for_every_field() {
    let r = parse(json!({"product": "a/b", "items": null})).unwrap();
    assert!(!r.scene);
    assert_eq!(r.items, [Item::new("a/b")]);
    let r = parse(json!({"product": "a/b", "options": {"quality": null, "fps": 24}})).unwrap();
    assert_eq!(r.items[0].options, [("fps".into(), "24".into())]);
    let r = parse(
        json!({"items": [{"product": "a/b", "outputs": null}], "product": null,
                         "seconds": null}),
    )
    .unwrap();
    assert!(r.scene);
    assert_eq!(r.items, [Item::new("a/b")]);
    // A name the contract does not know is still reported, null or not.
    assert_eq!(
        code(json!({"product": "a/b", "secnds": null})),
        (ErrorCode::UnknownField, Some("secnds".into()))
    );
    assert_eq!(
        code(json!({"items": [{"product": "a/b"}], "zeta": null})),
        (ErrorCode::UnknownField, Some("zeta".into()))
    );
    // An item of a scene is not a request: `items` in it is unknown.
    assert_eq!(
        code(json!({"items": [{"product": "a/b", "items": null}]})),
        (ErrorCode::UnknownField, Some("items[0].items".into()))
    );
    // A scene with a non-null item field beside `items` is still refused.
    assert_eq!(
        code(json!({"items": [{"product": "a/b"}], "product": "a/b"})),
        (ErrorCode::UnknownField, Some("product".into()))
    );
}

#[test]
fn shape_errors() {
    assert_eq!(code(json!([1])).0, ErrorCode::InvalidRequest);
    assert_eq!(code(json!({"items": {}})).0, ErrorCode::InvalidRequest);
    assert_eq!(code(json!({"items": []})).0, ErrorCode::EmptyRequest);
    assert_eq!(
        code(json!({"items": [1]})),
        (ErrorCode::InvalidRequest, Some("items[0]".into()))
    );
    assert_eq!(
        code(json!({})),
        (ErrorCode::MissingField, Some("product".into()))
    );
    assert_eq!(code(json!({"product": 3})).0, ErrorCode::InvalidRequest);
    assert_eq!(
        code(json!({"product": "a/b", "options": {"q": 1.5}})),
        (ErrorCode::InvalidOptionValue, Some("options.q".into()))
    );
    let many: Vec<Value> = (0..=MAX_ITEMS).map(|_| json!({"product": "a/b"})).collect();
    assert_eq!(code(json!({ "items": many })).0, ErrorCode::TooManyItems);
}

/// Issue 9, item 5: the CLI's request-stream splitter is the library's.
#[test]
fn a_stream_is_one_json_value_or_json_lines() {
    let pretty = b"{\n  \"items\": [\n    {\"product\": \"a/b\"}\n  ]\n}\n";
    let one = split_requests(pretty);
    assert_eq!(one.len(), 1);
    assert!(parse(one[0].clone().unwrap()).unwrap().scene);
    let lines = split_requests(b"{\"product\":\"a/b\"}\r\n  \n{\"product\":\"c/d\"}\n{\n");
    let codes: Vec<_> = lines
        .iter()
        .map(|r| r.as_ref().map_err(|e| e.code))
        .collect();
    assert_eq!(
        codes,
        [
            Ok(&json!({"product": "a/b"})),
            Ok(&json!({"product": "c/d"})),
            Err(ErrorCode::InvalidJson)
        ]
    );
    assert!(split_requests(b"").is_empty());
    assert!(split_requests(b" \n\t\n").is_empty());
    let bad = split_requests(b"{\"product\": \"\xff\"}");
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].as_ref().unwrap_err().code, ErrorCode::InvalidJson);
}

#[test]
fn malformed_and_deep_json_is_invalid_json() {
    assert_eq!(
        Request::from_json_str("{").unwrap_err().code,
        ErrorCode::InvalidJson
    );
    let deep = "[".repeat(100_000);
    assert_eq!(
        Request::from_json_str(&deep).unwrap_err().code,
        ErrorCode::InvalidJson
    );
}
