//! Unit tests of the pricing arithmetic: exact amounts, rounding once,
//! minimums, factors, limits and overflow.

use super::*;
use crate::catalog::tests::sample_spec;
use serde_json::json;

fn catalog() -> Catalog {
    Catalog::new(sample_spec()).unwrap()
}

fn q(v: serde_json::Value) -> Result<Quote, QuoteError> {
    quote(&catalog(), &Request::from_json_value(&v)?)
}

#[test]
fn price_times_seconds_times_resolution_multiplier() {
    let quote = q(json!({"product": "video/clip", "seconds": 10, "resolution": "1080p"})).unwrap();
    assert_eq!(quote.total, 10 * 10 * 3 / 2);
    let line = &quote.lines[0];
    assert_eq!(
        (line.quantity, line.outputs, line.units, line.price),
        (10, 1, 10, 10)
    );
    assert_eq!(line.factors.len(), 1);
    assert_eq!(line.factors[0].multiplier.to_string(), "1.5");
    assert!(!line.factors[0].defaulted);
    assert_eq!(line.exact, "150");
    assert_eq!(quote.display, "150 credits");
}

#[test]
#[cfg(feature = "native")]
fn resolution_not_allowed_lists_the_studio_ladder_order() {
    let catalog = Catalog::from_toml(include_str!("../../pricing.toml"), "pricing.toml").unwrap();
    let request =
        Request::from_json_value(&json!({"product": "video/wan-fast", "resolution": "8k"}));
    let e = quote(&catalog, &request.unwrap()).unwrap_err();
    assert_eq!(e.code, ErrorCode::ResolutionNotAllowed);
    // Not the map's name order (1080p, 480p, 4k, 720p).
    assert_eq!(
        e.message,
        "video/wan-fast offers resolutions 480p, 720p, 1080p, 4k, not \"8k\""
    );
}

#[test]
#[cfg(feature = "native")]
fn unknown_names_suggest_the_nearest_valid_ones() {
    let catalog = Catalog::from_toml(include_str!("../../pricing.toml"), "pricing.toml").unwrap();
    let fail =
        |v: serde_json::Value| quote(&catalog, &Request::from_json_value(&v).unwrap()).unwrap_err();
    let e = fail(json!({"product": "veo3"}));
    assert_eq!(e.code, ErrorCode::UnknownProduct);
    assert_eq!(e.suggestions, ["video/veo-3"]);
    assert_eq!(
        e.message,
        "no product \"veo3\" in catalog \"genprice-studio\"; did you mean \"video/veo-3\"?"
    );
    // In a scene, at the item's path.
    let e = fail(json!({"items": [{"product": "video/veo-3"}, {"product": "image/flux"}]}));
    assert_eq!(e.path.as_deref(), Some("items[1].product"));
    assert_eq!(e.suggestions, ["image/flux-pro", "image/flux-schnell"]);
    assert!(
        e.message
            .ends_with("did you mean \"image/flux-pro\" or \"image/flux-schnell\"?")
    );
    let e = fail(json!({"product": "image/flux-pro", "options": {"qualty": "high"}}));
    assert_eq!(
        (e.code, e.path.as_deref()),
        (ErrorCode::UnknownOption, Some("options.qualty"))
    );
    assert_eq!(e.suggestions, ["quality"]);
    let e = fail(json!({"product": "image/flux-pro", "options": {"quality": "hgh"}}));
    assert_eq!(e.code, ErrorCode::InvalidOptionValue);
    assert_eq!(e.suggestions, ["high"]);
    assert!(
        e.message.ends_with("; did you mean \"high\"?"),
        "{}",
        e.message
    );
    // Nothing near: no suggestions, the message as before, and none on
    // the wire.
    let e = fail(json!({"product": "music/nothing-like-it"}));
    assert!(e.suggestions.is_empty());
    assert!(!e.message.contains("did you mean"));
    assert!(
        serde_json::to_value(&e)
            .unwrap()
            .get("suggestions")
            .is_none()
    );
    let wire = serde_json::to_value(fail(json!({"product": "veo3"}))).unwrap();
    assert_eq!(wire["suggestions"], json!(["video/veo-3"]));
    // A hostile 10 MB id is not compared (and not echoed whole).
    let start = std::time::Instant::now();
    let e = fail(json!({"product": "video/veo-3".repeat(1_000_000)}));
    assert!(e.suggestions.is_empty() && e.message.len() < 200);
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn defaults_fill_missing_settings_and_are_marked() {
    let quote = q(json!({"product": "video/clip"})).unwrap();
    let line = &quote.lines[0];
    assert_eq!(line.quantity, 5);
    assert_eq!(&*line.factors[0].value, "720p");
    assert!(line.factors[0].defaulted);
    assert_eq!(quote.total, 50);
}

#[test]
fn rounding_happens_once_per_line_by_the_catalog_rule() {
    let mut spec = sample_spec();
    spec.products[0].price = 3;
    spec.products[0]
        .resolutions
        .insert("1080p".into(), Multiplier::parse("1.1").unwrap());
    for (rule, expect) in [
        (Rounding::Up, 4),
        (Rounding::Down, 3),
        (Rounding::HalfUp, 3),
        (Rounding::HalfEven, 3),
    ] {
        spec.rounding = rule;
        let c = Catalog::new(spec.clone()).unwrap();
        let r = Request::from_json_value(
            &json!({"product": "video/clip", "seconds": 1, "resolution": "1080p"}),
        )
        .unwrap();
        let quote = quote(&c, &r).unwrap();
        assert_eq!(quote.lines[0].exact, "3.3");
        assert_eq!(quote.total, expect, "{rule}");
    }
}

#[test]
fn minimum_charge_raises_small_lines() {
    let mut spec = sample_spec();
    spec.products[0].minimum = 100;
    let c = Catalog::new(spec).unwrap();
    let r = Request::from_json_value(&json!({"product": "video/clip", "seconds": 1})).unwrap();
    let line = &quote(&c, &r).unwrap().lines[0];
    assert_eq!(
        (line.rounded, line.amount, line.minimum_applied),
        (10, 100, true)
    );
}

#[test]
fn a_free_model_costs_zero() {
    let quote = q(json!({"product": "image/basic", "outputs": 4})).unwrap();
    assert_eq!(quote.total, 0);
    assert_eq!(quote.lines[0].units, 4);
}

#[test]
fn scene_totals_sum_the_lines_and_errors_name_the_item() {
    let quote = q(json!({"items": [{"product": "video/clip", "seconds": 2}, {"product": "video/clip", "seconds": 3}]})).unwrap();
    assert_eq!(quote.total, 50);
    assert_eq!(quote.lines.len(), 2);
    let err =
        q(json!({"items": [{"product": "video/clip"}, {"product": "video/clip", "seconds": 11}]}))
            .unwrap_err();
    assert_eq!(
        (err.code, err.path.as_deref()),
        (ErrorCode::DurationOutOfRange, Some("items[1].seconds"))
    );
}

#[test]
fn request_errors_have_codes_and_paths() {
    let cases = [
        (
            json!({"product": "video/nope"}),
            ErrorCode::UnknownProduct,
            "product",
        ),
        (
            json!({"product": "video/clip", "seconds": 0}),
            ErrorCode::DurationOutOfRange,
            "seconds",
        ),
        (
            json!({"product": "video/clip", "resolution": "4k"}),
            ErrorCode::ResolutionNotAllowed,
            "resolution",
        ),
        (
            json!({"product": "video/clip", "outputs": 3}),
            ErrorCode::TooManyOutputs,
            "outputs",
        ),
        (
            json!({"product": "video/clip", "outputs": 0}),
            ErrorCode::InvalidQuantity,
            "outputs",
        ),
        (
            json!({"product": "video/clip", "tokens": 5}),
            ErrorCode::UnsupportedField,
            "tokens",
        ),
        (
            json!({"product": "image/basic", "resolution": "1k"}),
            ErrorCode::UnsupportedField,
            "resolution",
        ),
        (
            json!({"product": "video/clip", "options": {"fps": "24"}}),
            ErrorCode::UnknownOption,
            "options.fps",
        ),
    ];
    for (request, code, path) in cases {
        let err = q(request.clone()).unwrap_err();
        assert_eq!(
            (err.code, err.path.as_deref()),
            (code, Some(path)),
            "{request}"
        );
    }
}

#[test]
fn overflow_is_an_error_not_a_wrap() {
    let mut spec = sample_spec();
    spec.products[0].price = MAX_AMOUNT;
    spec.products[0].quantity = Some(crate::catalog::QuantityLimits {
        min: 1,
        max: MAX_AMOUNT,
        default: None,
        step: 1,
    });
    let c = Catalog::new(spec).unwrap();
    let r = Request::from_json_value(&json!({"product": "video/clip", "seconds": 2})).unwrap();
    assert_eq!(quote(&c, &r).unwrap_err().code, ErrorCode::AmountOverflow);
    let r = Request::from_json_value(&json!({"items": [{"product": "video/clip", "seconds": 1}, {"product": "video/clip", "seconds": 1}]})).unwrap();
    assert_eq!(quote(&c, &r).unwrap_err().code, ErrorCode::AmountOverflow);
}

#[test]
fn a_stepped_quantity_accepts_only_its_steps() {
    // 5 s or 10 s clips: min 5, max 10, step 5.
    let mut spec = sample_spec();
    spec.products[0].quantity = Some(crate::catalog::QuantityLimits {
        min: 5,
        max: 10,
        default: Some(5),
        step: 5,
    });
    let c = Catalog::new(spec).unwrap();
    let price = |seconds: u64| {
        let r = Request::from_json_value(&json!({"product": "video/clip", "seconds": seconds}))
            .unwrap();
        quote(&c, &r)
    };
    // 10 credits a second at the default 720p (× 1).
    assert_eq!(price(5).unwrap().total, 50);
    assert_eq!(price(10).unwrap().total, 100);
    for off in [6, 7, 9, 4, 15] {
        let e = price(off).unwrap_err();
        assert_eq!(
            (e.code, e.path.as_deref()),
            (ErrorCode::DurationOutOfRange, Some("seconds"))
        );
    }
    assert!(price(7).unwrap_err().message.contains("in steps of 5"));
    // A step the range does not end on, or 0, is a catalog mistake.
    let mut spec = sample_spec();
    spec.products[0].quantity = Some(crate::catalog::QuantityLimits {
        min: 5,
        max: 12,
        default: Some(6),
        step: 5,
    });
    let messages: Vec<String> = Catalog::new(spec)
        .unwrap_err()
        .diagnostics()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
}

#[test]
fn lowest_terms_keeps_the_value() {
    assert_eq!(lowest_terms(60_000_000_000, 8), (600, 0));
    assert_eq!(lowest_terms(599_500_000, 6), (5995, 1));
    assert_eq!(lowest_terms(0, 12), (0, 0));
    assert_eq!(lowest_terms(7, 0), (7, 0));
    assert_eq!(lowest_terms(u128::MAX, 30), (u128::MAX, 30));
    assert_eq!(POW10[38], 10u128.pow(38));
    assert_eq!(POW10[0], 1);
}

#[test]
fn exact_amount_cancels_tens_before_giving_up() {
    let mut spec = sample_spec();
    spec.products[0].price = 1 << 40;
    let product = &spec.products[0];
    let big = Multiplier::parse("1000").unwrap();
    let factors: Vec<Factor> = (0..7)
        .map(|_| Factor {
            name: "x".into(),
            value: "y".into(),
            multiplier: big,
            defaulted: false,
        })
        .collect();
    // 2^40 × 10 × 1000^7 = 2^40 × 10^22 fits once the tens are cancelled.
    let (n, e) = exact_amount(product, 10, &factors).unwrap();
    assert_eq!(
        format_scaled(n, e, 0),
        format!("{}{}", 1u64 << 40, "0".repeat(22))
    );
}
