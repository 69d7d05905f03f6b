//! The OpenAPI document against the spawned `genprice serve`, and the
//! defects schemathesis found with it (`scripts/schemathesis`), each kept
//! here as a regression test: a cursor past 2^63 was a 500; a whole number
//! written `1246.0` was refused though the document calls it an integer,
//! and `3891400044470890.0` was misread (serde_json's inexact float parsing).
#![cfg(all(feature = "server", not(target_arch = "wasm32")))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "serve/harness.rs"]
mod harness;

#[path = "serve/calls.rs"]
mod calls;

use calls::{call, charge, charge_of, refused};
use harness::{KEY, Server, account, client, fingerprint, get, post};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_states_the_rules_the_handlers_enforce() {
    let server = Server::start("openapi-doc");
    let http = client();
    let doc = get(&http, &server, "/v1/openapi.json").await.body;
    let fp = fingerprint(&http, &server).await;

    // Every operation may refuse, with the error body; the private ones
    // name the key.
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 16, "{}", paths.len());
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            assert_eq!(
                op["responses"]["default"]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/Error",
                "{method} {path}"
            );
            assert_eq!(
                op.get("security").is_some(),
                path.starts_with("/v1/accounts"),
                "{method} {path}"
            );
        }
    }
    // The error codes are listed, and include the service's own.
    let codes = doc["components"]["schemas"]["ErrorBody"]["properties"]["code"]["enum"]
        .as_array()
        .unwrap();
    for code in [
        "insufficient_credits",
        "catalog_changed",
        "unknown_account",
        "internal",
    ] {
        assert!(codes.contains(&json!(code)), "{code}");
    }
    // What the catalog in force allows: its plans, its fingerprint, its products.
    let plans: Vec<&Value> = doc["components"]["schemas"]["CreateAccount"]["anyOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|shape| &shape["properties"]["plan"]["const"])
        .collect();
    assert!(
        plans.contains(&&json!("free")) && plans.contains(&&json!("pro")),
        "{plans:?}"
    );
    let fingerprints = &doc["components"]["schemas"]["Expect"]["properties"]["fingerprint"]["enum"];
    assert_eq!(fingerprints, &json!([fp]));
    let items = doc["components"]["schemas"]["CatalogItem"]["anyOf"]
        .as_array()
        .unwrap();
    let veo = items
        .iter()
        .find(|i| i["properties"]["product"]["const"] == "video/veo-3")
        .expect("a schema for video/veo-3");
    assert_eq!(veo["additionalProperties"], json!(false));
    assert!(veo["properties"]["seconds"]["maximum"].is_u64());
    // Links: a new account's id, a new charge's id.
    let account_links = &paths["/v1/accounts"]["post"]["responses"]["201"]["links"];
    assert_eq!(
        account_links["CreateCharge"]["parameters"]["id"],
        "$response.body#/id"
    );
    let charge_links = &paths["/v1/accounts/{id}/charges"]["post"]["responses"]["201"]["links"];
    assert_eq!(
        charge_links["Settle"]["parameters"]["cid"],
        "$response.body#/id"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_number_past_two_to_the_53_is_refused_not_a_500() {
    let server = Server::start("openapi-cursor");
    let http = client();
    account(&http, &server, "u1", "pro").await;
    for query in [
        "ledger?after=10000000000000000001",
        "ledger?after=9007199254740992",
        "ledger?limit=18446744073709551616",
        "usage?to=9007199254740992",
    ] {
        let path = format!("/v1/accounts/u1/{query}");
        let answer = call(&http, &server, Method::GET, &path, Some(KEY), None).await;
        let name = query.split(['?', '=']).nth(1).unwrap();
        refused(&answer, 400, "invalid_request", Some(name));
    }
    let top = get(
        &http,
        &server,
        "/v1/accounts/u1/ledger?after=9007199254740991",
    )
    .await;
    assert_eq!(
        (top.status, &top.body["entries"]),
        (200, &json!([])),
        "{}",
        top.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_number_written_with_a_fraction_is_that_integer() {
    let server = Server::start("openapi-floats");
    let http = client();
    account(&http, &server, "u1", "pro").await;
    let fp = fingerprint(&http, &server).await;
    let request = json!({"product": "image/flux-pro"});
    let priced = post(
        &http,
        &server,
        "/v1/accounts/u1/quote",
        &json!({"request": request}),
    )
    .await;
    let total = priced.body["total"].as_u64().unwrap();
    let mut body = charge_of(request, total, &fp);
    body["ttlMs"] = json!(60000.0);
    body["expect"]["total"] = json!(total as f64);
    let held = charge(&http, &server, "u1", &body).await;
    let id = held["id"].as_str().unwrap();
    let path = format!("/v1/accounts/u1/charges/{id}/settle");
    let half = post(
        &http,
        &server,
        &path,
        &json!({"amount": (total / 2) as f64}),
    )
    .await;
    assert_eq!(half.status, 200, "{}", half.text);
    assert_eq!(
        half.body["settledAmount"],
        json!(total / 2),
        "{}",
        half.text
    );
    // A large one is read exactly (serde_json's float_roundtrip): the
    // total differs from the price, so 409, not a 400.
    let mut body = charge_of(json!({"product": "image/flux-pro"}), 0, &fp);
    body["expect"] = json!({"total": 3_891_400_044_470_890.0_f64, "fingerprint": fp});
    let big = post(&http, &server, "/v1/accounts/u1/charges", &body).await;
    let error = refused(&big, 409, "price_changed", Some("expect.total"));
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("3891400044470890"),
        "{error}"
    );
    // A fraction is still refused, with its code.
    let session = post(
        &http,
        &server,
        "/v1/accounts/u1/sessions",
        &json!({"ttlMs": 1.5}),
    )
    .await;
    refused(&session, 400, "invalid_amount", Some("ttlMs"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generic_view_is_the_api_without_the_catalog() {
    let server = Server::start("openapi-generic");
    let http = client();
    let fp = fingerprint(&http, &server).await;
    let served = get(&http, &server, "/v1/openapi.json").await;
    let catalog = get(&http, &server, "/v1/openapi.json?view=catalog").await;
    let generic = get(&http, &server, "/v1/openapi.json?view=generic").await;
    assert_eq!(
        (served.status, catalog.status, generic.status),
        (200, 200, 200)
    );
    assert_eq!(served.body, catalog.body, "catalog is the default view");
    // The catalog's fingerprint and plans are in the served document only.
    assert!(served.text.contains(&fp), "{}", served.text);
    assert!(!generic.text.contains(&fp));
    let schemas = &generic.body["components"]["schemas"];
    assert!(schemas["CreateAccount"]["anyOf"].is_null());
    assert_eq!(
        schemas["CreateAccount"]["properties"]["plan"]["type"],
        "string"
    );
    assert_eq!(generic.body["paths"], {
        let mut paths = generic.body["paths"].clone();
        paths
            .as_object_mut()
            .unwrap()
            .retain(|p, _| served.body["paths"].get(p).is_some());
        paths
    });
    for query in ["view=other", "views=generic"] {
        let answer = call(
            &http,
            &server,
            Method::GET,
            &format!("/v1/openapi.json?{query}"),
            None,
            None,
        )
        .await;
        assert_eq!(answer.status, 400, "{}", answer.text);
        assert!(
            answer.body["error"]["code"] == "invalid_request"
                || answer.body["error"]["code"] == "unknown_field",
            "{}",
            answer.text
        );
    }
}
