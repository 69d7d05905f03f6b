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

/// Issue 9, item 4: a quote of exactly one credit says "1 credit".
#[test]
fn a_quote_of_one_credit_says_credit() {
    let mut spec = sample_spec();
    spec.unit_singular = Some("credit".into());
    spec.products[0].price = 1;
    let c = Catalog::new(spec).unwrap();
    let one = |seconds: u64| {
        let r = Request::from_json_value(&json!({"product": "video/clip", "seconds": seconds}))
            .unwrap();
        quote(&c, &r).unwrap()
    };
    assert_eq!(
        (one(1).display, one(1).unit),
        ("1 credit".into(), "credits".into())
    );
    assert_eq!(one(2).display, "2 credits");
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
    // A hostile 10 MB id is not compared (and not echoed whole). (Its cost
    // is bounded by the length cap tested in src/error/suggest.rs, not by
    // a timer here.)
    let e = fail(json!({"product": "video/veo-3".repeat(1_000_000)}));
    assert!(e.suggestions.is_empty() && e.message.len() < 200);
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

/// A line already at the minimum is not raised, and says so: the minimum
/// applies only below it.
#[test]
fn a_line_exactly_at_the_minimum_is_not_marked_raised() {
    let mut spec = sample_spec();
    spec.products[0].minimum = 100;
    let c = Catalog::new(spec).unwrap();
    let line = |seconds: u64| {
        let r = Request::from_json_value(&json!({"product": "video/clip", "seconds": seconds}))
            .unwrap();
        quote(&c, &r).unwrap().lines.remove(0)
    };
    let at = line(10);
    assert_eq!(
        (at.rounded, at.amount, at.minimum_applied),
        (100, 100, false)
    );
    let below = line(9);
    assert_eq!(
        (below.rounded, below.amount, below.minimum_applied),
        (90, 100, true)
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

/// Steps count from the range's minimum, not from zero: 1 to 10 in steps
/// of 3 is 1, 4, 7 and 10.
#[test]
fn steps_count_from_the_minimum() {
    let mut spec = sample_spec();
    spec.products[0].quantity = Some(crate::catalog::QuantityLimits {
        min: 1,
        max: 10,
        default: Some(1),
        step: 3,
    });
    let c = Catalog::new(spec).unwrap();
    let price = |seconds: u64| {
        let r = Request::from_json_value(&json!({"product": "video/clip", "seconds": seconds}))
            .unwrap();
        quote(&c, &r).map(|q| q.total)
    };
    for on in [1, 4, 7, 10] {
        assert_eq!(price(on), Ok(10 * on), "{on} s is on a step");
    }
    for off in [2, 3, 5, 6, 8, 9] {
        assert_eq!(
            price(off).unwrap_err().code,
            ErrorCode::DurationOutOfRange,
            "{off} s"
        );
    }
}

/// A range without steps (step 1) says nothing of steps when refused.
#[test]
fn an_unstepped_range_is_refused_without_mentioning_steps() {
    let catalog = catalog();
    let refuse = |seconds: u64| {
        let r = Request::from_json_value(&json!({"product": "video/clip", "seconds": seconds}))
            .unwrap();
        quote(&catalog, &r).unwrap_err()
    };
    for (seconds, asked) in [(11, "11"), (0, "0")] {
        let e = refuse(seconds);
        assert_eq!(e.code, ErrorCode::DurationOutOfRange);
        assert_eq!(
            e.message,
            format!("video/clip takes seconds from 1 to 10, asked for {asked}")
        );
    }
}

#[test]
fn the_power_of_ten_table_is_exact() {
    assert_eq!(POW10[38], 10u128.pow(38));
    assert_eq!(POW10[0], 1);
}

fn factor(value: &str) -> Factor {
    Factor {
        name: "x".into(),
        value: "y".into(),
        multiplier: Multiplier::parse(value).unwrap(),
        defaulted: false,
    }
}

#[test]
fn exact_amount_is_in_lowest_terms_across_factors() {
    let spec = sample_spec();
    let product = &spec.products[0]; // price 10, per 1
    // 10 × 3 × 0.0002 × 0.0005 = 3 × 10^-6: the 2 and the 5 of two
    // different multipliers cancel a ten together.
    let factors = [factor("0.0002"), factor("0.0005")];
    assert_eq!(exact_amount(product, 3, &factors), Some((3, 6)));
    // 10 × 4 × 1.5 = 60, exponent 0.
    assert_eq!(exact_amount(product, 4, &[factor("1.5")]), Some((60, 0)));
    // Zero anywhere is zero, in lowest terms.
    assert_eq!(
        exact_amount(product, 4, &[factor("1000"), factor("0")]),
        Some((0, 0))
    );
    assert_eq!(exact_amount(product, 0, &[factor("1.5")]), Some((0, 0)));
}

#[test]
fn exact_amount_refuses_only_what_does_not_fit() {
    let mut spec = sample_spec();
    spec.products[0].price = 7;
    let product = &spec.products[0];
    // 7 × 0.0001^10 = 7 × 10^-40: 40 places, more than 38.
    let tiny: Vec<Factor> = (0..10).map(|_| factor("0.0001")).collect();
    assert_eq!(exact_amount(product, 1, &tiny), None);
    // 7 × 0.0001^9 = 7 × 10^-36 fits.
    assert_eq!(exact_amount(product, 1, &tiny[..9]), Some((7, 36)));
    // 7 × 0.0001^9 ÷ 100 = 7 × 10^-38: exactly 38 places still fits.
    spec.products[0].per = 100;
    let per_hundred = &spec.products[0];
    assert_eq!(exact_amount(per_hundred, 1, &tiny[..9]), Some((7, 38)));
    assert_eq!(exact_amount(per_hundred, 10, &tiny[..9]), Some((7, 37)));
    // Zero is zero in lowest terms however many places the factors add:
    // a free product, or no units, is never refused for its places.
    spec.products[0].per = 1;
    spec.products[0].price = 0;
    assert_eq!(exact_amount(&spec.products[0], 1, &tiny), Some((0, 0)));
    spec.products[0].price = 7;
    assert_eq!(exact_amount(&spec.products[0], 0, &tiny), Some((0, 0)));
    let product = &spec.products[0];
    // 7 × 3^81 is above 2^128 (3^81 ≈ 4.4 × 10^38), whatever cancels.
    let threes: Vec<Factor> = (0..81).map(|_| factor("3")).collect();
    assert_eq!(exact_amount(product, 1, &threes), None);
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

/// Issue 9, item 6: price 2^53 − 1 per second, 2^53 − 1 seconds, a ×1000
/// resolution and a ×0 option is exactly 0; it used to be
/// `amount_overflow` when the option sorted after the resolution, and
/// priced when renamed to sort first. The order of options is irrelevant.
#[test]
fn a_zero_option_prices_a_huge_line_at_zero_whatever_its_name() {
    for name in ["aa", "zz"] {
        let mut spec = sample_spec();
        let product = &mut spec.products[0];
        product.price = MAX_AMOUNT;
        product.quantity = Some(crate::catalog::QuantityLimits {
            min: 1,
            max: MAX_AMOUNT,
            default: None,
            step: 1,
        });
        product
            .resolutions
            .insert("8k".into(), Multiplier::parse("1000").unwrap());
        product.options.insert(
            name.into(),
            crate::catalog::ProductOption {
                default: "off".into(),
                values: [("off".into(), Multiplier::parse("0").unwrap())].into(),
            },
        );
        let c = Catalog::new(spec).unwrap();
        let r = Request::from_json_value(
            &json!({"product": "video/clip", "seconds": MAX_AMOUNT, "resolution": "8k"}),
        )
        .unwrap();
        let q = quote(&c, &r).unwrap_or_else(|e| panic!("option {name}: {e}"));
        assert_eq!((q.total, q.lines[0].exact.as_str()), (0, "0"), "{name}");
    }
}
