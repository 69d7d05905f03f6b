//! Calls the endpoint and auth suites share, on top of the harness:
//! requests under any bearer, the refusal check (status, `code`, `path`),
//! and the small setups (an account with counted credits, a session, a
//! charge body priced from the published fingerprint).
//!
//! Included next to the harness with `#[path = "serve/calls.rs"] mod calls;`.
#![allow(dead_code)]

use crate::harness::{Answer, KEY, Server, post, send};
use reqwest::Method;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The service tests' catalog (`tests/serve/catalog.toml`).
pub fn test_catalog() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/serve/catalog.toml")
}

/// Any method on `path`, under `token` (None: no Authorization), with an
/// optional JSON body.
pub async fn call(
    http: &reqwest::Client,
    server: &Server,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Answer {
    send(http, method, &server.url(path), token, body, None)
        .await
        .unwrap()
}

/// Asserts a refusal: its status, its `code`, and its `path` (None: the
/// error names no path). Returns the error object for further checks.
#[track_caller]
pub fn refused(answer: &Answer, status: u16, code: &str, path: Option<&str>) -> Value {
    assert_eq!(
        (answer.status, answer.code()),
        (status, code),
        "{}",
        answer.text
    );
    let error = answer.body["error"].clone();
    assert_eq!(error["path"].as_str(), path, "{}", answer.text);
    assert!(error["message"].is_string(), "{}", answer.text);
    assert_eq!(
        answer.header("content-type"),
        Some("application/json"),
        "{}",
        answer.text
    );
    error
}

/// Gives `account` a promo grant of `amount` (id `grant`); panics unless 201.
pub async fn give(
    http: &reqwest::Client,
    server: &Server,
    account: &str,
    grant: &str,
    amount: u64,
) -> Value {
    let answer = post(
        http,
        server,
        &format!("/v1/accounts/{account}/grants"),
        &json!({"id": grant, "source": "promo", "amount": amount}),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.body
}

/// A charge body for `request`, expecting `total` under `fingerprint`.
pub fn charge_of(request: Value, total: u64, fingerprint: &str) -> Value {
    json!({"request": request, "expect": {"total": total, "fingerprint": fingerprint}})
}

/// Creates a charge with the secret key; panics unless 201.
pub async fn charge(http: &reqwest::Client, server: &Server, account: &str, body: &Value) -> Value {
    let answer = post(
        http,
        server,
        &format!("/v1/accounts/{account}/charges"),
        body,
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.body
}

/// A session token for `account` (with `ttlMs` when given).
pub async fn session(
    http: &reqwest::Client,
    server: &Server,
    account: &str,
    ttl_ms: Option<u64>,
) -> String {
    let body = match ttl_ms {
        Some(ms) => json!({"ttlMs": ms}),
        None => json!({}),
    };
    let answer = send(
        http,
        Method::POST,
        &server.url(&format!("/v1/accounts/{account}/sessions")),
        Some(KEY),
        Some(&body),
        None,
    )
    .await
    .unwrap();
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert_eq!(answer.body["account"], account);
    answer.body["token"].as_str().unwrap().to_string()
}

/// Polls `check` every 20 ms until it answers `Some`, for at most `limit`.
pub async fn eventually<T, F, Fut>(limit: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
