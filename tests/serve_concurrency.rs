//! Concurrency against the real `genprice serve`: per-account operations
//! are serialised, so concurrent charges never spend the same credit, and
//! concurrent retries of one idempotency key make one charge.
#![cfg(all(feature = "server", not(target_arch = "wasm32")))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "serve/harness.rs"]
mod harness;

use harness::{Server, account, client, fingerprint, get, post, post_key};
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;

fn catalog() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/serve/catalog.toml")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_charges_of_7_on_100_credits_fourteen_succeed() {
    let server = Arc::new(Server::start_with("thousand", &catalog(), 1000));
    let http = client();
    account(&http, &server, "u1", "empty").await;
    let granted = post(
        &http,
        &server,
        "/v1/accounts/u1/grants",
        &json!({"id": "hundred", "source": "promo", "amount": 100}),
    )
    .await;
    assert_eq!(granted.status, 201, "{}", granted.text);
    let fp = fingerprint(&http, &server).await;
    let body = Arc::new(json!({"request": {"product": "image/seven"},
        "expect": {"total": 7, "fingerprint": fp}}));
    let mut tasks = Vec::new();
    for _ in 0..1000 {
        let (server, http, body) = (Arc::clone(&server), http.clone(), Arc::clone(&body));
        tasks.push(tokio::spawn(async move {
            post(&http, &server, "/v1/accounts/u1/charges", &body).await
        }));
    }
    let mut statuses = std::collections::BTreeMap::new();
    for task in tasks {
        let answer = task.await.unwrap();
        *statuses.entry(answer.status).or_insert(0) += 1;
        if answer.status == 402 {
            assert_eq!(answer.code(), "insufficient_credits");
            assert!(answer.body["error"]["shortfall"].as_u64().unwrap() > 0);
        }
    }
    assert_eq!(statuses.get(&201), Some(&14), "{statuses:?}");
    assert_eq!(statuses.get(&402), Some(&986), "{statuses:?}");
    let balance = get(&http, &server, "/v1/accounts/u1/balance").await;
    assert_eq!(balance.body["available"], 2, "{}", balance.text);
    assert_eq!(balance.body["held"], 98);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_retries_of_one_key_make_one_charge() {
    let server = Arc::new(Server::start_with("one-key", &catalog(), 1000));
    let http = client();
    account(&http, &server, "u1", "empty").await;
    post(
        &http,
        &server,
        "/v1/accounts/u1/grants",
        &json!({"id": "g", "source": "promo", "amount": 1000}),
    )
    .await;
    let fp = fingerprint(&http, &server).await;
    let body = Arc::new(json!({"request": {"product": "image/seven", "outputs": 2},
        "expect": {"total": 14, "fingerprint": fp}}));
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let (server, http, body) = (Arc::clone(&server), http.clone(), Arc::clone(&body));
        tasks.push(tokio::spawn(async move {
            post_key(&http, &server, "/v1/accounts/u1/charges", &body, "same-key").await
        }));
    }
    let mut ids = std::collections::BTreeSet::new();
    let mut replayed = 0;
    let mut first_body = None;
    for task in tasks {
        let answer = task.await.unwrap();
        assert_eq!(answer.status, 201, "{}", answer.text);
        ids.insert(answer.body["id"].as_str().unwrap().to_string());
        if answer.header("idempotent-replayed") == Some("true") {
            replayed += 1;
        }
        // Every answer is the original, byte for byte.
        match &first_body {
            None => first_body = Some(answer.text.clone()),
            Some(text) => assert_eq!(*text, answer.text),
        }
    }
    assert_eq!(ids.len(), 1);
    assert_eq!(replayed, 199);
    let balance = get(&http, &server, "/v1/accounts/u1/balance").await;
    assert_eq!(balance.body["held"], 14);
}
