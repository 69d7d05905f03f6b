//! Who may call `genprice serve` (issue 10), against the spawned binary:
//! the secret key may do everything; a session token reads its own
//! account and quotes for it, gets 404 for every path of another account
//! and 403 for every write; nothing works without a valid, unexpired
//! bearer; a client's number is never what is charged.
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

use calls::{call, charge, charge_of, eventually, give, refused, session, test_catalog};
use harness::{KEY, Server, account, client, fingerprint, get, post};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

/// Every account route, as (method, path, body) for account `a` and
/// charge `c`.
fn routes(a: &str, c: &str, fp: &str) -> Vec<(Method, String, Option<Value>)> {
    let charge = charge_of(json!({"product": "image/seven"}), 7, fp);
    vec![
        (Method::GET, format!("/v1/accounts/{a}"), None),
        (Method::GET, format!("/v1/accounts/{a}/balance"), None),
        (Method::GET, format!("/v1/accounts/{a}/ledger"), None),
        (
            Method::GET,
            format!("/v1/accounts/{a}/usage?by=studio"),
            None,
        ),
        (Method::GET, format!("/v1/accounts/{a}/charges/{c}"), None),
        (
            Method::POST,
            format!("/v1/accounts/{a}/quote"),
            Some(json!({"request": {"product": "image/seven"}})),
        ),
        (
            Method::POST,
            format!("/v1/accounts/{a}/charges"),
            Some(charge),
        ),
        (
            Method::POST,
            format!("/v1/accounts/{a}/charges/{c}/settle"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/v1/accounts/{a}/charges/{c}/release"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/v1/accounts/{a}/grants"),
            Some(json!({"id": "free-money", "source": "promo", "amount": 1000})),
        ),
        (
            Method::POST,
            format!("/v1/accounts/{a}/packs"),
            Some(json!({"pack": "small", "paymentId": "pay_forged"})),
        ),
        (
            Method::POST,
            format!("/v1/accounts/{a}/plan"),
            Some(json!({"plan": "basic"})),
        ),
        (
            Method::POST,
            format!("/v1/accounts/{a}/sessions"),
            Some(json!({})),
        ),
    ]
}

fn is_read(method: &Method, path: &str) -> bool {
    *method == Method::GET || path.ends_with("/quote")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_valid_bearer_every_account_route_is_401() {
    let server = Server::start_with("auth-401", &test_catalog(), 1000);
    let http = client();
    account(&http, &server, "u1", "pro").await;
    let fp = fingerprint(&http, &server).await;
    let mut all = routes("u1", "ch_x", &fp);
    all.push((
        Method::POST,
        "/v1/accounts".to_string(),
        Some(json!({"id": "u2", "plan": "pro"})),
    ));
    let wrong_bearers = [
        None,
        Some("gps_sk_test_secreT"),
        Some("gps_sk_"),
        Some("gps_st_bm9wZQ.bm9wZQ"),
        Some(""),
    ];
    for (method, path, body) in &all {
        for token in wrong_bearers {
            let answer = call(&http, &server, method.clone(), path, token, body.as_ref()).await;
            refused(&answer, 401, "unauthorized", None);
        }
        // Not a bearer scheme at all.
        let basic = http
            .request(method.clone(), server.url(path))
            .header("authorization", format!("Basic {KEY}"))
            .send()
            .await
            .unwrap();
        assert_eq!(basic.status().as_u16(), 401, "{method} {path}");
    }
    // Nothing was created, granted or charged.
    let missing = get(&http, &server, "/v1/accounts/u2").await;
    refused(&missing, 404, "unknown_account", None);
    let balance = get(&http, &server, "/v1/accounts/u1/balance").await;
    assert_eq!(
        (
            balance.body["available"].as_u64(),
            balance.body["held"].as_u64()
        ),
        (Some(70), Some(0))
    );
    // The unauthenticated routes stay open.
    for path in ["/healthz", "/v1/catalog", "/v1/openapi.json"] {
        let answer = call(&http, &server, Method::GET, path, None, None).await;
        assert_eq!(answer.status, 200, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_reads_its_account_and_quotes_and_never_writes() {
    let server = Server::start_with("auth-session", &test_catalog(), 1000);
    let http = client();
    account(&http, &server, "mine", "pro").await;
    account(&http, &server, "theirs", "pro").await;
    let fp = fingerprint(&http, &server).await;
    let my_charge = charge(
        &http,
        &server,
        "mine",
        &charge_of(json!({"product": "image/seven"}), 7, &fp),
    )
    .await;
    let their_charge = charge(
        &http,
        &server,
        "theirs",
        &charge_of(json!({"product": "image/seven"}), 7, &fp),
    )
    .await;
    let token = session(&http, &server, "mine", None).await;
    let before_mine = get(&http, &server, "/v1/accounts/mine/ledger").await;
    let before_theirs = get(&http, &server, "/v1/accounts/theirs/ledger").await;

    // Its own account: every read and the quote answer as for the secret
    // key; every write is 403.
    let mine = my_charge["id"].as_str().unwrap();
    for (method, path, body) in routes("mine", mine, &fp) {
        let answer = call(
            &http,
            &server,
            method.clone(),
            &path,
            Some(&token),
            body.as_ref(),
        )
        .await;
        if is_read(&method, &path) {
            assert_eq!(answer.status, 200, "{method} {path}: {}", answer.text);
            let backend = call(
                &http,
                &server,
                method.clone(),
                &path,
                Some(KEY),
                body.as_ref(),
            )
            .await;
            if !path.ends_with("/quote")
                && !path.ends_with("/balance")
                && path != "/v1/accounts/mine"
            {
                assert_eq!(answer.body, backend.body, "{method} {path}");
            }
        } else {
            refused(&answer, 403, "forbidden", None);
        }
    }

    // Another account: every path is 404, as for an account that does not
    // exist — existing or not, readable or not.
    let theirs = their_charge["id"].as_str().unwrap();
    for account in ["theirs", "ghost"] {
        for (method, path, body) in routes(account, theirs, &fp) {
            let answer = call(
                &http,
                &server,
                method.clone(),
                &path,
                Some(&token),
                body.as_ref(),
            )
            .await;
            refused(&answer, 404, "unknown_account", None);
        }
    }

    // Nor may it create accounts.
    let create = call(
        &http,
        &server,
        Method::POST,
        "/v1/accounts",
        Some(&token),
        Some(&json!({"id": "new", "plan": "pro"})),
    )
    .await;
    refused(&create, 403, "forbidden", None);

    // Nothing changed on either account, and both charges are pending.
    let after_mine = get(&http, &server, "/v1/accounts/mine/ledger").await;
    let after_theirs = get(&http, &server, "/v1/accounts/theirs/ledger").await;
    assert_eq!(after_mine.body, before_mine.body);
    assert_eq!(after_theirs.body, before_theirs.body);
    for (account, id) in [("mine", mine), ("theirs", theirs)] {
        let got = get(
            &http,
            &server,
            &format!("/v1/accounts/{account}/charges/{id}"),
        )
        .await;
        assert_eq!(got.body["status"], "pending", "{account}");
    }
    let missing = get(&http, &server, "/v1/accounts/new").await;
    refused(&missing, 404, "unknown_account", None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_expire_and_cannot_be_forged() {
    let server = Server::start_with("auth-expiry", &test_catalog(), 1000);
    let http = client();
    account(&http, &server, "u1", "pro").await;
    account(&http, &server, "u2", "pro").await;

    let short = session(&http, &server, "u1", Some(100)).await;
    let read = call(
        &http,
        &server,
        Method::GET,
        "/v1/accounts/u1/balance",
        Some(&short),
        None,
    )
    .await;
    assert_eq!(read.status, 200, "{}", read.text);
    eventually(Duration::from_secs(5), "the session to expire", || {
        let (http, server, short) = (&http, &server, &short);
        async move {
            let answer = call(
                http,
                server,
                Method::GET,
                "/v1/accounts/u1/balance",
                Some(short),
                None,
            )
            .await;
            (answer.status == 401).then_some(answer)
        }
    })
    .await;

    // A token for u1 rewritten to name u2 fails its signature.
    let token = session(&http, &server, "u1", None).await;
    let (payload, mac) = token.trim_start_matches("gps_st_").split_once('.').unwrap();
    let plain = base64_decode(payload);
    let forged_payload = plain.replacen("u1|", "u2|", 1);
    assert_ne!(forged_payload, plain);
    let forged = format!("gps_st_{}.{mac}", base64_encode(forged_payload.as_bytes()));
    let answer = call(
        &http,
        &server,
        Method::GET,
        "/v1/accounts/u2/balance",
        Some(&forged),
        None,
    )
    .await;
    refused(&answer, 401, "unauthorized", None);

    // Session lifetimes are bounded; sessions only for known accounts.
    let long = post(
        &http,
        &server,
        "/v1/accounts/u1/sessions",
        &json!({"ttlMs": 86_400_001}),
    )
    .await;
    refused(&long, 400, "invalid_amount", Some("ttlMs"));
    let ghost = post(&http, &server, "/v1/accounts/ghost/sessions", &json!({})).await;
    refused(&ghost, 404, "unknown_account", None);
    let typo = post(
        &http,
        &server,
        "/v1/accounts/u1/sessions",
        &json!({"ttl": 5}),
    )
    .await;
    refused(&typo, 400, "unknown_field", Some("ttl"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_client_total_is_never_charged() {
    let server = Server::start_with("auth-forged", &test_catalog(), 1000);
    let http = client();
    account(&http, &server, "u1", "empty").await;
    give(&http, &server, "u1", "g", 100).await;
    let fp = fingerprint(&http, &server).await;
    let four = json!({"product": "image/seven", "outputs": 4});
    let before = get(&http, &server, "/v1/accounts/u1/balance").await;
    for forged in [0, 1, 7, 27, 29] {
        let answer = post(
            &http,
            &server,
            "/v1/accounts/u1/charges",
            &charge_of(four.clone(), forged, &fp),
        )
        .await;
        let error = refused(&answer, 409, "price_changed", Some("expect.total"));
        assert_eq!(error["quote"]["total"], 28);
    }
    let after = get(&http, &server, "/v1/accounts/u1/balance").await;
    assert_eq!(after.body["available"], before.body["available"]);
    assert_eq!(after.body["held"], 0);
    // The server's own price is what is held.
    let held = charge(&http, &server, "u1", &charge_of(four, 28, &fp)).await;
    assert_eq!(held["amount"], 28);
    let settled = post(
        &http,
        &server,
        &format!(
            "/v1/accounts/u1/charges/{}/settle",
            held["id"].as_str().unwrap()
        ),
        &json!({"amount": 28}),
    )
    .await;
    assert_eq!(settled.body["settledAmount"], 28);
    let after = get(&http, &server, "/v1/accounts/u1/balance").await;
    assert_eq!(
        (
            after.body["available"].as_u64(),
            after.body["spent"].as_u64()
        ),
        (Some(72), Some(28))
    );
}

fn base64_decode(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes() {
        let v = u32::try_from(ALPHABET.iter().position(|a| *a == c).unwrap()).unwrap();
        bits = (bits << 6) | v;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push(u8::try_from((bits >> count) & 0xff).unwrap());
        }
    }
    String::from_utf8(out).unwrap()
}

fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(
                ALPHABET[usize::try_from((n >> (18 - 6 * i)) & 63).unwrap()],
            ));
        }
    }
    out
}
