//! What the derived document cannot say by itself, added to it as JSON:
//! the rules the handlers enforce (unknown fields refused, id patterns,
//! integer ranges), what the catalog in force allows (its plans, packs,
//! products with their resolutions, options and limits, its fingerprint),
//! the error body's codes, the refusal every operation may answer with, the
//! secret key or session token, and the links between operations (an
//! account's id, a charge's id) that a stateful client follows.
//!
//! So a request the document calls valid is one the server reads: it may
//! still be refused by the state of the account (402, 403, 404, 409) or by
//! a rule across fields or products (422: a total that differs, a quantity
//! off its step), but never as malformed (400). `tests/serve_openapi.rs`
//! checks this document; `scripts/schemathesis` attacks the server with it.

use crate::Catalog;
use crate::catalog::{Cycle, Plan, Product};
use crate::service::Code;
use serde_json::{Map, Value, json};

/// Adds the rules to `doc`, the derived document, for `catalog`.
pub fn refine(doc: &mut Value, catalog: &Catalog) {
    let max = json!(crate::MAX_AMOUNT);
    let schemas = at(doc, &["components", "schemas"]);
    *at(schemas, &["ErrorBody", "properties", "code"]) = json!({
        "type": "string",
        "description": "Stable code; the status follows from it (docs/service.md).",
        "enum": Code::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
    });
    for body in [
        "QuoteBody",
        "Expect",
        "ChargeMetadata",
        "CreateCharge",
        "Settle",
        "Release",
        "GrantBody",
        "PackBody",
        "SessionBody",
    ] {
        *at(schemas, &[body, "additionalProperties"]) = json!(false);
    }
    let account_id = json!({"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,64}$"});
    let wallet_id = json!({"type": "string", "minLength": 1, "maxLength": 128,
        "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]+$"});
    let text = json!({"type": ["string", "null"], "maxLength": crate::service::charges::MAX_TEXT});
    let packs: Vec<&str> = catalog.spec().packs.iter().map(|p| p.id.as_str()).collect();
    // One shape per plan: the seats it is sold with, the cycles it is
    // billed by (monthly, the default, only if it is).
    *at(schemas, &["CreateAccount"]) = json!({
        "description": "A new account on one of the catalog's plans.",
        "anyOf": catalog.spec().plans.iter().map(|plan| {
            let monthly = plan.billing.is_empty() || plan.billing(Cycle::Monthly).is_some();
            let mut cycles: Vec<Value> = [Cycle::Monthly, Cycle::Annual]
                .into_iter()
                .filter(|c| plan.billing.is_empty() || plan.billing(*c).is_some())
                .map(|c| json!(c.as_str()))
                .collect();
            let mut required = vec!["id", "plan"];
            if monthly {
                cycles.push(Value::Null);
            } else {
                required.push("cycle");
            }
            json!({"type": "object", "additionalProperties": false, "required": required,
                "properties": {"id": account_id, "plan": {"const": plan.id}, "seats": seats(plan),
                    "cycle": {"enum": cycles}}})
        }).collect::<Vec<_>>(),
    });
    *at(schemas, &["PlanBody"]) = json!({
        "description": "A move to one of the catalog's plans.",
        "anyOf": catalog.spec().plans.iter().map(|plan| json!({
            "type": "object", "additionalProperties": false, "required": ["plan"],
            "properties": {"plan": {"const": plan.id}, "seats": seats(plan)}})).collect::<Vec<_>>(),
    });
    set(
        schemas,
        "PackBody",
        "pack",
        json!({"type": "string", "enum": packs}),
    );
    set(schemas, "PackBody", "paymentId", wallet_id.clone());
    set(schemas, "GrantBody", "id", wallet_id);
    set(
        schemas,
        "GrantBody",
        "amount",
        json!({"type": "integer", "minimum": 0, "maximum": max}),
    );
    let time =
        json!({"type": ["integer", "null"], "minimum": 0, "maximum": crate::wallet::MAX_TIME});
    set(schemas, "GrantBody", "effectiveAt", time.clone());
    set(schemas, "GrantBody", "expiresAt", time);
    set(
        schemas,
        "GrantBody",
        "priority",
        json!({"type": ["integer", "null"], "minimum": 0, "maximum": u32::MAX}),
    );
    set(
        schemas,
        "GrantBody",
        "source",
        json!({"type": "string",
        "enum": crate::wallet::GrantSource::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>()}),
    );
    for (schema, field) in [
        ("ChargeMetadata", "reference"),
        ("ChargeMetadata", "summary"),
        ("Release", "reason"),
    ] {
        set(schemas, schema, field, text.clone());
    }
    set(
        schemas,
        "Settle",
        "amount",
        json!({"type": ["integer", "null"], "minimum": 0, "maximum": max}),
    );
    set(
        schemas,
        "Expect",
        "total",
        json!({"type": "integer", "minimum": 0, "maximum": max}),
    );
    set(
        schemas,
        "Expect",
        "fingerprint",
        json!({"type": "string", "enum": [catalog.fingerprint()]}),
    );
    set(
        schemas,
        "CreateCharge",
        "ttlMs",
        json!({"type": ["integer", "null"], "minimum": 1,
        "maximum": crate::service::charges::MAX_TTL_MS}),
    );
    // 0 is taken as 1 ms.
    set(
        schemas,
        "SessionBody",
        "ttlMs",
        json!({"type": ["integer", "null"], "minimum": 0,
        "maximum": crate::server::auth::MAX_SESSION_MS}),
    );
    let request = json!({"$ref": "#/components/schemas/CatalogRequest"});
    set(schemas, "QuoteBody", "request", request.clone());
    set(schemas, "CreateCharge", "request", request);
    add_request_schemas(schemas, catalog);

    *at(doc, &["components", "securitySchemes"]) = json!({
        "key": {"type": "http", "scheme": "bearer",
            "description": "The secret key (gps_sk_…) or, where it may read, a session token (gps_st_…)"}
    });
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for operation in item.values_mut() {
            refine_operation(path, operation);
        }
    }
}

/// The value at `keys` under `value`, made an object (and the key added)
/// where it is not one: the document is utoipa's, so every step exists,
/// but a change there must not make this panic.
fn at<'a>(value: &'a mut Value, keys: &[&str]) -> &'a mut Value {
    keys.iter().fold(value, |value, key| {
        if !value.is_object() {
            *value = Value::Object(Map::new());
        }
        match value {
            Value::Object(map) => map.entry(*key).or_insert(Value::Null),
            other => other,
        }
    })
}

/// The seats `plan` is sold with (null or absent: its fewest).
fn seats(plan: &Plan) -> Value {
    let (min, max) = plan.seats.as_ref().map_or((1, 1), |r| (r.min, r.max));
    json!({"type": ["integer", "null"], "minimum": min, "maximum": max})
}

/// Sets the schema of `field` in the object schema `schema`.
fn set(schemas: &mut Value, schema: &str, field: &str, value: Value) {
    *at(schemas, &[schema, "properties", field]) = value;
}

/// One operation: the default refusal, the key (not on the public
/// routes), the patterns of its path parameters, and its links.
fn refine_operation(path: &str, operation: &mut Value) {
    *at(operation, &["responses", "default"]) = json!({
        "description": "a refusal: {\"error\":{\"code\",\"message\",\"path\"?,…details}}; the code decides the status",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    });
    if path.starts_with("/v1/accounts") {
        *at(operation, &["security"]) = json!([{"key": []}]);
    }
    // Every field optional: no body at all is `{}`.
    if path.ends_with("/sessions") || path.ends_with("/settle") || path.ends_with("/release") {
        *at(operation, &["requestBody", "required"]) = json!(false);
    }
    if let Some(params) = operation
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
    {
        for param in params {
            let name = param.get("name").and_then(Value::as_str).map(str::to_owned);
            let place = param.get("in").and_then(Value::as_str).map(str::to_owned);
            let (name, place) = (name.as_deref(), place.as_deref());
            if name == Some("id") && place == Some("path") {
                *at(param, &["schema"]) =
                    json!({"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,64}$"});
            }
            if place == Some("query") && name != Some("by") {
                *at(param, &["schema"]) =
                    json!({"type": "integer", "minimum": 0, "maximum": crate::MAX_AMOUNT});
            }
            if place == Some("query") && name == Some("by") {
                *at(param, &["schema"]) =
                    json!({"type": "string", "enum": ["day", "studio", "product"]});
            }
        }
    }
    let account = json!({"id": "$response.body#/id"});
    let links = match path {
        "/v1/accounts" => Some(json!({
            "GetAccount": {"operationId": "get_account", "parameters": account},
            "GetBalance": {"operationId": "balance", "parameters": account},
            "GetLedger": {"operationId": "ledger", "parameters": account},
            "GetUsage": {"operationId": "usage", "parameters": account},
            "Quote": {"operationId": "quote", "parameters": account},
            "CreateCharge": {"operationId": "create_charge", "parameters": account},
            "CreateSession": {"operationId": "create_session", "parameters": account},
            "Grant": {"operationId": "grant", "parameters": account},
            "Pack": {"operationId": "pack", "parameters": account},
            "ChangePlan": {"operationId": "change_plan", "parameters": account},
        })),
        "/v1/accounts/{id}/charges" => {
            let charge = json!({"id": "$request.path.id", "cid": "$response.body#/id"});
            Some(json!({
                "GetCharge": {"operationId": "get_charge", "parameters": charge},
                "Settle": {"operationId": "settle", "parameters": charge},
                "Release": {"operationId": "release", "parameters": charge},
            }))
        }
        _ => None,
    };
    if let (Some(links), Some(created)) = (links, at(operation, &["responses"]).get_mut("201")) {
        *at(created, &["links"]) = links;
    }
    // A quote leads to the charge of what it priced: the server's own total
    // and fingerprint as the client's expectation.
    if path == "/v1/accounts/{id}/quote" {
        *at(operation, &["responses", "200", "links"]) = json!({"Charge": {
            "operationId": "create_charge",
            "parameters": {"id": "$request.path.id"},
            "requestBody": {
                "request": "$request.body#/request",
                "expect": {"total": "$response.body#/total",
                    "fingerprint": "$response.body#/catalog/fingerprint"}
            }
        }});
    }
}

/// `CatalogRequest`: one item or `{items}`, each item one of the catalog's
/// products with the fields, resolutions, options and limits it takes.
fn add_request_schemas(schemas: &mut Value, catalog: &Catalog) {
    let items: Vec<Value> = catalog.products().iter().map(item_schema).collect();
    *at(schemas, &["CatalogItem"]) = json!({
        "description": "One item: a product of the catalog in force with the fields it takes.",
        "anyOf": items,
    });
    let item = json!({"$ref": "#/components/schemas/CatalogItem"});
    *at(schemas, &["CatalogRequest"]) = json!({
        "description": "A request (the request contract of the README): one item, or several.",
        "anyOf": [
            item,
            {"type": "object", "additionalProperties": false, "required": ["items"],
             "properties": {"items": {"type": "array", "minItems": 1,
                "maxItems": crate::MAX_ITEMS, "items": item}}}
        ]
    });
}

fn item_schema(product: &Product) -> Value {
    let mut properties = Map::new();
    let mut required = vec![json!("product")];
    properties.insert("product".into(), json!({"const": &*product.id}));
    properties.insert(
        "outputs".into(),
        json!({"type": ["integer", "null"], "minimum": 1, "maximum": product.outputs.max}),
    );
    if !product.resolutions.is_empty() {
        let mut names: Vec<Value> = product.resolutions.keys().map(|k| json!(&**k)).collect();
        names.push(Value::Null);
        properties.insert("resolution".into(), json!({"enum": names}));
    }
    match (product.meter.quantity_field(), &product.quantity) {
        (Some(field), Some(limits)) => {
            properties.insert(
                field.into(),
                json!({"type": ["integer", "null"], "minimum": limits.min, "maximum": limits.max}),
            );
            if limits.default.is_none() {
                required.push(json!(field));
                // Required, so not null (null is absent).
                properties.insert(
                    field.into(),
                    json!({"type": "integer", "minimum": limits.min, "maximum": limits.max}),
                );
            }
        }
        // Metered without limits: the quantity is read, and priced as 1.
        (Some(field), None) => {
            properties.insert(
                field.into(),
                json!({"type": ["integer", "null"], "minimum": 0, "maximum": crate::MAX_AMOUNT}),
            );
        }
        (None, _) => {}
    }
    let options: Map<String, Value> = product
        .options
        .iter()
        .map(|(name, option)| {
            let mut values: Vec<Value> = option.values.keys().map(|k| json!(&**k)).collect();
            values.push(Value::Null);
            (name.to_string(), json!({"enum": values}))
        })
        .collect();
    properties.insert(
        "options".into(),
        // An option set to null takes its default, and its name is not
        // checked; a product without options takes `{}`.
        json!({"type": ["object", "null"], "additionalProperties": {"type": "null"},
            "properties": options}),
    );
    // Null is absent, for every field of the contract, even one this
    // product does not take.
    for field in crate::request::ITEM_FIELDS {
        properties
            .entry(field)
            .or_insert_with(|| json!({"type": "null"}));
    }
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": required,
        "properties": properties,
    })
}
