//! What the estimator's unit tests share: the studio catalog, a small
//! catalog with an annual grant, a cycle-end pack and a custom plan, and
//! shortcuts to run an estimate and find an option.

use super::{Estimate, EstimateOption, Usage, estimate};
use crate::catalog::{Catalog, Cycle};
use crate::error::ErrorCode;
use serde_json::{Value, json};

pub(super) fn studio() -> Catalog {
    Catalog::from_toml(include_str!("../../../pricing.toml"), "pricing.toml").unwrap()
}

/// The default catalog and every reference catalog under `examples/`.
pub(super) fn reference_catalogs() -> Vec<(&'static str, Catalog)> {
    [
        ("pricing.toml", include_str!("../../../pricing.toml")),
        (
            "aistudios.toml",
            include_str!("../../../examples/aistudios.toml"),
        ),
        (
            "imagineart.toml",
            include_str!("../../../examples/imagineart.toml"),
        ),
        (
            "preprompt.toml",
            include_str!("../../../examples/preprompt.toml"),
        ),
        (
            "prismposter.toml",
            include_str!("../../../examples/prismposter.toml"),
        ),
    ]
    .into_iter()
    .map(|(name, text)| (name, Catalog::from_toml(text, name).unwrap()))
    .collect()
}

/// A request for each product of `catalog` at its defaults (the metered
/// quantity at its default, else its minimum).
pub(super) fn default_requests(catalog: &Catalog) -> Vec<Value> {
    let mut out = Vec::new();
    for product in &catalog.spec().products {
        let mut request = json!({"product": &*product.id});
        if let (Some(field), Some(q)) = (product.meter.quantity_field(), &product.quantity) {
            request[field] = json!(q.default.unwrap_or(q.min));
        }
        out.push(request);
    }
    out
}

pub(super) fn run(catalog: &Catalog, usage: Value) -> Estimate {
    estimate(catalog, &Usage::from_json_value(&usage).unwrap()).unwrap()
}

pub(super) fn option<'a>(e: &'a Estimate, plan: &str, cycle: Cycle) -> &'a EstimateOption {
    e.options
        .iter()
        .find(|o| o.plan == plan && o.cycle == cycle)
        .unwrap()
}

pub(super) fn error(usage: Value) -> (ErrorCode, Option<String>) {
    let e = Usage::from_json_value(&usage)
        .and_then(|u| estimate(&studio(), &u))
        .unwrap_err();
    (e.code, e.path)
}

pub(super) fn schnell(per_day: u64) -> Value {
    json!({"request": {"product": "image/flux-schnell"}, "per": "day", "count": per_day})
}

pub(super) const SMALL: &str = r#"
id = "small"
version = "1"
unit = "credits"
decimals = 0
rounding = "up"
tiers = ["basic", "pro"]
currency = "USD"

[[products]]
id = "image/a"
name = "A"
studio = "image"
tier = "basic"
meter = "image"
price = 1

[[products]]
id = "image/b"
name = "B"
studio = "image"
tier = "pro"
meter = "image"
price = 5

[wallet]
[[wallet.allowances]]
id = "m"
source = "monthly"
amount = 100

[[wallet.allowances]]
id = "y"
source = "annual"
amount = 1000
rollover = { mode = "full" }

[[plans]]
id = "basic"
name = "Basic"
billing = [{ cycle = "monthly", price = 500, grants = ["m"] }, { cycle = "annual", price = 5000, grants = ["y"] }]
packs = ["burst"]
limits = { tiers = ["basic"] }

[[plans]]
id = "enterprise"
name = "Enterprise"
custom = true

[[packs]]
id = "burst"
name = "Burst"
credits = 30
price = 100
expires = "cycle_end"
"#;
