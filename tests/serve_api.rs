//! Every endpoint of `genprice serve`, its errors and its limits, against
//! the spawned binary (issue 10): each refusal is checked by status, stable
//! `code` and `path`, never by message.
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

use calls::{call, charge, charge_of, eventually, give, refused, test_catalog};
use harness::{KEY, Server, account, client, fingerprint, get, post, post_key, pricing_toml};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn balance_of(answer: &harness::Answer) -> (u64, u64) {
    (
        answer.body["available"].as_u64().unwrap(),
        answer.body["held"].as_u64().unwrap(),
    )
}

/// A grant's available credits in a balance.
fn grant_available(balance: &Value, grant: &str) -> u64 {
    balance["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == grant)
        .map_or(0, |g| g["available"].as_u64().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_openapi_catalog_and_unknown_routes() {
    let server = Server::start_with("api-basics", &test_catalog(), 1000);
    let http = client();

    let health = call(&http, &server, Method::GET, "/healthz", None, None).await;
    assert_eq!((health.status, &health.body), (200, &json!({"ok": true})));

    // The OpenAPI 3.1 document lists every route of the API.
    let doc = call(&http, &server, Method::GET, "/v1/openapi.json", None, None).await;
    assert_eq!(doc.status, 200, "{}", doc.text);
    assert!(
        doc.body["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc.body["openapi"]
    );
    let listed: BTreeSet<&str> = doc.body["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let routes = [
        "/healthz",
        "/v1/openapi.json",
        "/v1/catalog",
        "/v1/accounts",
        "/v1/accounts/{id}",
        "/v1/accounts/{id}/sessions",
        "/v1/accounts/{id}/quote",
        "/v1/accounts/{id}/charges",
        "/v1/accounts/{id}/charges/{cid}",
        "/v1/accounts/{id}/charges/{cid}/settle",
        "/v1/accounts/{id}/charges/{cid}/release",
        "/v1/accounts/{id}/balance",
        "/v1/accounts/{id}/ledger",
        "/v1/accounts/{id}/usage",
        "/v1/accounts/{id}/grants",
        "/v1/accounts/{id}/packs",
        "/v1/accounts/{id}/plan",
    ];
    for route in routes {
        assert!(listed.contains(route), "{route} missing from {listed:?}");
    }
    assert_eq!(listed.len(), routes.len(), "{listed:?}");

    // The catalog: no auth, ETag is the fingerprint, If-None-Match → 304.
    let catalog = call(&http, &server, Method::GET, "/v1/catalog", None, None).await;
    assert_eq!(catalog.status, 200);
    let fp = catalog.body["fingerprint"].as_str().unwrap();
    assert_eq!(catalog.header("etag"), Some(format!("\"{fp}\"").as_str()));
    let cached = http
        .get(server.url("/v1/catalog"))
        .header("if-none-match", format!("\"{fp}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status().as_u16(), 304);
    let stale = http
        .get(server.url("/v1/catalog"))
        .header("if-none-match", "\"sha256:old\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status().as_u16(), 200);

    // An unknown route and a wrong method answer the JSON error shape.
    let nowhere = get(&http, &server, "/v1/nowhere").await;
    refused(&nowhere, 404, "not_found", None);
    let wrong = call(
        &http,
        &server,
        Method::DELETE,
        "/v1/accounts",
        Some(KEY),
        None,
    )
    .await;
    refused(&wrong, 405, "method_not_allowed", None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_are_created_once_read_back_and_validated() {
    let server = Server::start_with("api-accounts", &test_catalog(), 1000);
    let http = client();

    let created = account(&http, &server, "u1", "basic").await;
    assert_eq!(created["id"], "u1");
    assert_eq!(created["plan"], "basic");
    assert_eq!(created["seats"], 1);
    assert_eq!(created["cycle"], "monthly");
    // Sign-up (50) and today's daily allowance (20), granted at creation.
    assert_eq!(created["balance"]["available"], 70, "{created}");
    assert!(created["periodEnd"].as_i64().unwrap() > created["periodStart"].as_i64().unwrap());

    let read = get(&http, &server, "/v1/accounts/u1").await;
    assert_eq!(read.status, 200, "{}", read.text);
    for field in ["id", "plan", "seats", "cycle", "periodStart", "periodEnd"] {
        assert_eq!(read.body[field], created[field], "{field}");
    }
    assert_eq!(read.body["balance"]["available"], 70);

    let again = post(
        &http,
        &server,
        "/v1/accounts",
        &json!({"id": "u1", "plan": "pro"}),
    )
    .await;
    refused(&again, 409, "account_exists", Some("id"));

    let cases = [
        (
            json!({"id": "u2", "plan": "gold"}),
            422,
            "unknown_plan",
            "plan",
        ),
        (json!({"id": "u2"}), 400, "missing_field", "plan"),
        (json!({"plan": "basic"}), 400, "missing_field", "id"),
        (
            json!({"id": "a b", "plan": "basic"}),
            400,
            "invalid_id",
            "id",
        ),
        (
            json!({"id": "u2", "plan": "basic", "seats": 3}),
            400,
            "invalid_quantity",
            "seats",
        ),
        (
            json!({"id": "u2", "plan": "basic", "seats": -1}),
            400,
            "invalid_amount",
            "seats",
        ),
        (
            json!({"id": "u2", "plan": "basic", "cycle": "weekly"}),
            400,
            "invalid_request",
            "cycle",
        ),
        // Pro is billed monthly only.
        (
            json!({"id": "u2", "plan": "pro", "cycle": "annual"}),
            400,
            "invalid_request",
            "cycle",
        ),
        (
            json!({"id": "u2", "plan": "basic", "colour": "red"}),
            400,
            "unknown_field",
            "colour",
        ),
    ];
    for (body, status, code, path) in cases {
        let answer = post(&http, &server, "/v1/accounts", &body).await;
        refused(&answer, status, code, Some(path));
    }
    // None of them made an account.
    let missing = get(&http, &server, "/v1/accounts/u2").await;
    refused(&missing, 404, "unknown_account", None);

    let annual_ok = post(
        &http,
        &server,
        "/v1/accounts",
        &json!({"id": "u3", "plan": "basic", "cycle": "annual", "seats": 1}),
    )
    .await;
    assert_eq!(annual_ok.status, 201, "{}", annual_ok.text);
    assert_eq!(annual_ok.body["cycle"], "annual");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quote_carries_the_accounts_entitlement_and_credits() {
    let server = Server::start_with("api-quote", &test_catalog(), 1000);
    let http = client();
    account(&http, &server, "u1", "basic").await;
    let fp = fingerprint(&http, &server).await;

    let allowed = post(
        &http,
        &server,
        "/v1/accounts/u1/quote",
        &json!({"request": {"product": "image/seven", "outputs": 2}}),
    )
    .await;
    assert_eq!(allowed.status, 200, "{}", allowed.text);
    assert_eq!(allowed.body["total"], 14);
    assert_eq!(allowed.body["catalog"]["fingerprint"], fp.as_str());
    assert_eq!(allowed.body["entitlement"]["allowed"], true);
    assert_eq!(allowed.body["entitlement"]["plan"], "basic");
    assert_eq!(allowed.body["credits"]["balance"], 70);
    assert_eq!(allowed.body["credits"]["enough"], true);

    // Basic may not use the pro tier: the quote says so, with the upgrade.
    let denied = post(
        &http,
        &server,
        "/v1/accounts/u1/quote",
        &json!({"request": {"product": "video/clip", "seconds": 20, "resolution": "1080p"}}),
    )
    .await;
    assert_eq!(denied.status, 200, "{}", denied.text);
    assert_eq!(denied.body["total"], 120);
    assert_eq!(denied.body["entitlement"]["allowed"], false);
    assert_eq!(
        denied.body["entitlement"]["denials"][0]["code"],
        "tier_not_in_plan"
    );
    assert_eq!(denied.body["entitlement"]["upgrade"]["id"], "pro");
    assert_eq!(denied.body["credits"]["enough"], false);
    assert_eq!(denied.body["credits"]["shortfall"], 50);

    let bad = [
        (json!({}), 400, "missing_field", "request"),
        (
            json!({"request": {"product": "image/seven"}, "x": 1}),
            400,
            "unknown_field",
            "x",
        ),
        (
            json!({"request": {"product": "image/seven", "outputs": 5}}),
            422,
            "too_many_outputs",
            "request.outputs",
        ),
    ];
    for (body, status, code, path) in bad {
        let answer = post(&http, &server, "/v1/accounts/u1/quote", &body).await;
        refused(&answer, status, code, Some(path));
    }
    let nobody = post(
        &http,
        &server,
        "/v1/accounts/nobody/quote",
        &json!({"request": {"product": "image/seven"}}),
    )
    .await;
    refused(&nobody, 404, "unknown_account", None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charges_settle_in_full_or_in_part_release_to_their_grants_and_resolve_once() {
    let server = Server::start_with("api-charges", &test_catalog(), 1000);
    let http = client();
    account(&http, &server, "u1", "empty").await;
    // Two grants: `soon` (10, expiring first) burns before `later` (100).
    let far = 4_000_000_000_000_i64;
    let soon = post(
        &http,
        &server,
        "/v1/accounts/u1/grants",
        &json!({"id": "soon", "source": "promo", "amount": 10, "expiresAt": far}),
    )
    .await;
    assert_eq!(soon.status, 201, "{}", soon.text);
    give(&http, &server, "u1", "later", 100).await;
    let fp = fingerprint(&http, &server).await;
    let four = charge_of(json!({"product": "image/seven", "outputs": 4}), 28, &fp);

    // Create: pending, the amount held from the grants in burn order.
    let created = charge(&http, &server, "u1", &four).await;
    let id = created["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("ch_"), "{id}");
    assert_eq!(created["status"], "pending");
    assert_eq!(created["amount"], 28);
    assert_eq!(created["quote"]["total"], 28);
    assert!(created["expiresAt"].as_i64().unwrap() > created["createdAt"].as_i64().unwrap());
    assert_eq!(
        created["allocations"],
        json!([{"grant": "soon", "source": "promo", "amount": 10},
               {"grant": "later", "source": "promo", "amount": 18}])
    );
    let balance = get(&http, &server, "/v1/accounts/u1/balance").await;
    assert_eq!(balance_of(&balance), (82, 28));
    let got = get(&http, &server, &format!("/v1/accounts/u1/charges/{id}")).await;
    assert_eq!((got.status, &got.body), (200, &created));

    // Release: every credit back to the grant it came from.
    let released = post(
        &http,
        &server,
        &format!("/v1/accounts/u1/charges/{id}/release"),
        &json!({"reason": "the model failed"}),
    )
    .await;
    assert_eq!(released.status, 200, "{}", released.text);
    assert_eq!(released.body["status"], "released");
    assert_eq!(released.body["reason"], "the model failed");
    let balance = get(&http, &server, "/v1/accounts/u1/balance").await;
    assert_eq!(balance_of(&balance), (110, 0));
    assert_eq!(grant_available(&balance.body, "soon"), 10);
    assert_eq!(grant_available(&balance.body, "later"), 100);
    // Releasing again answers as the first time; settling it is refused.
    let again = post(
        &http,
        &server,
        &format!("/v1/accounts/u1/charges/{id}/release"),
        &json!({"reason": "the model failed"}),
    )
    .await;
    assert_eq!((again.status, &again.body), (200, &released.body));
    let late = post(
        &http,
        &server,
        &format!("/v1/accounts/u1/charges/{id}/settle"),
        &json!({}),
    )
    .await;
    let error = refused(&late, 409, "already_released", None);
    assert_eq!(error["charge"]["status"], "released");

    // Settle in full (an empty body settles all that is held).
    let full = charge(&http, &server, "u1", &four).await;
    let full_id = full["id"].as_str().unwrap();
    let settled = call(
        &http,
        &server,
        Method::POST,
        &format!("/v1/accounts/u1/charges/{full_id}/settle"),
        Some(KEY),
        None,
    )
    .await;
    assert_eq!(settled.status, 200, "{}", settled.text);
    assert_eq!(settled.body["status"], "settled");
    assert_eq!(settled.body["settledAmount"], 28);
    let balance = get(&http, &server, "/v1/accounts/u1/balance").await;
    assert_eq!(balance_of(&balance), (82, 0));
    assert_eq!(balance.body["spent"], 28);
    // The same settle again answers as the first time; another amount,
    // or a release, is refused.
    let same = post(
        &http,
        &server,
        &format!("/v1/accounts/u1/charges/{full_id}/settle"),
        &json!({"amount": 28}),
    )
    .await;
    assert_eq!((same.status, &same.body), (200, &settled.body));
    let other = post(
        &http,
        &server,
        &format!("/v1/accounts/u1/charges/{full_id}/settle"),
        &json!({"amount": 7}),
    )
    .await;
    refused(&other, 409, "already_settled", None);
    let undo = post(
        &http,
        &server,
        &format!("/v1/accounts/u1/charges/{full_id}/release"),
        &json!({}),
    )
    .await;
    refused(&undo, 409, "already_settled", None);

    // Partial output: 3 of 4 images settle 21 of the 28 held; the other 7
    // go back.
    let part = charge(&http, &server, "u1", &four).await;
    let part_id = part["id"].as_str().unwrap();
    let over = post(
        &http,
        &server,
        &format!("/v1/accounts/u1/charges/{part_id}/settle"),
        &json!({"amount": 29}),
    )
    .await;
    refused(&over, 422, "exceeds_hold", Some("amount"));
    let three = post(
        &http,
        &server,
        &format!("/v1/accounts/u1/charges/{part_id}/settle"),
        &json!({"amount": 21}),
    )
    .await;
    assert_eq!(three.status, 200, "{}", three.text);
    assert_eq!(three.body["settledAmount"], 21);
    let balance = get(&http, &server, "/v1/accounts/u1/balance").await;
    assert_eq!(balance_of(&balance), (61, 0));
    assert_eq!(balance.body["spent"], 49);
    let read = get(
        &http,
        &server,
        &format!("/v1/accounts/u1/charges/{part_id}"),
    )
    .await;
    assert_eq!(read.body, three.body);

    // Unknown charges and accounts; malformed resolutions.
    let unknown = get(&http, &server, "/v1/accounts/u1/charges/ch_nope").await;
    refused(&unknown, 404, "unknown_charge", None);
    let unknown = post(
        &http,
        &server,
        "/v1/accounts/u1/charges/ch_nope/settle",
        &json!({}),
    )
    .await;
    refused(&unknown, 404, "unknown_charge", None);
    let nobody = get(&http, &server, &format!("/v1/accounts/u9/charges/{id}")).await;
    refused(&nobody, 404, "unknown_account", None);
    let typo = post(
        &http,
        &server,
        &format!("/v1/accounts/u1/charges/{part_id}/settle"),
        &json!({"amonut": 1}),
    )
    .await;
    refused(&typo, 400, "unknown_field", Some("amonut"));

    // A malformed charge names the field.
    let cases = [
        (
            json!({"request": {"product": "image/seven"}}),
            400,
            "missing_field",
            "expect",
        ),
        (
            json!({"request": {"product": "image/seven"}, "expect": {"total": 7}}),
            400,
            "missing_field",
            "expect.fingerprint",
        ),
        (
            json!({"request": {"product": "image/seven"}, "expect": {"total": 7, "fingerprint": fp}, "ttlMs": 0}),
            400,
            "invalid_time",
            "ttlMs",
        ),
        (
            json!({"request": {"product": "image/seven", "sconds": 1}, "expect": {"total": 7, "fingerprint": fp}}),
            400,
            "unknown_field",
            "request.sconds",
        ),
    ];
    for (body, status, code, path) in cases {
        let answer = post(&http, &server, "/v1/accounts/u1/charges", &body).await;
        refused(&answer, status, code, Some(path));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charging_rules_refuse_with_their_data() {
    let server = Server::start_with("api-rules", &test_catalog(), 1000);
    let http = client();
    account(&http, &server, "basic1", "basic").await;
    account(&http, &server, "pro1", "pro").await;
    let fp = fingerprint(&http, &server).await;
    let before = get(&http, &server, "/v1/accounts/pro1/balance").await;

    // A stale fingerprint: catalog_changed, with the fresh quote and fingerprint.
    let stale = post(
        &http,
        &server,
        "/v1/accounts/pro1/charges",
        &charge_of(json!({"product": "image/seven"}), 7, "sha256:stale"),
    )
    .await;
    let error = refused(&stale, 409, "catalog_changed", Some("expect.fingerprint"));
    assert_eq!(error["fingerprint"], fp.as_str());
    assert_eq!(error["quote"]["total"], 7);
    assert_eq!(error["quote"]["catalog"]["fingerprint"], fp.as_str());

    // Another total under the same catalog: price_changed, with the quote.
    let other = post(
        &http,
        &server,
        "/v1/accounts/pro1/charges",
        &charge_of(json!({"product": "image/seven", "outputs": 2}), 13, &fp),
    )
    .await;
    let error = refused(&other, 409, "price_changed", Some("expect.total"));
    assert_eq!(error["quote"]["total"], 14);

    // The plan forbids it: not_entitled, with the denials and the upgrade.
    let clip = json!({"product": "video/clip", "seconds": 4});
    let denied = post(
        &http,
        &server,
        "/v1/accounts/basic1/charges",
        &charge_of(clip.clone(), 12, &fp),
    )
    .await;
    let error = refused(&denied, 403, "not_entitled", None);
    assert_eq!(error["denials"][0]["code"], "tier_not_in_plan");
    assert_eq!(error["denials"][0]["path"], "product");
    assert_eq!(error["upgrade"]["id"], "pro");

    // Short: insufficient_credits with balance, estimate, shortfall, packs
    // and plans (pro has 70; 20 s at 1080p is 120).
    let big = json!({"product": "video/clip", "seconds": 20, "resolution": "1080p"});
    let short = post(
        &http,
        &server,
        "/v1/accounts/pro1/charges",
        &charge_of(big, 120, &fp),
    )
    .await;
    let error = refused(&short, 402, "insufficient_credits", None);
    assert_eq!(error["balance"], 70, "{error}");
    assert_eq!(error["estimate"], 120);
    assert_eq!(error["shortfall"], 50);
    assert_eq!(error["enough"], false);
    assert_eq!(error["packs"][0]["id"], "small", "{error}");
    assert!(error["plans"].is_array(), "{error}");

    // No refusal held anything.
    let after = get(&http, &server, "/v1/accounts/pro1/balance").await;
    assert_eq!(balance_of(&after), balance_of(&before));
    assert_eq!(balance_of(&after), (70, 0));
    let ledger = get(&http, &server, "/v1/accounts/pro1/ledger").await;
    assert!(
        ledger.body["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["type"] != "hold"),
        "{}",
        ledger.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweeper_expires_a_pending_charge_and_its_credits_return() {
    let server = Server::start_with("api-sweep", &test_catalog(), 50);
    let http = client();
    account(&http, &server, "u1", "empty").await;
    give(&http, &server, "u1", "g", 30).await;
    let fp = fingerprint(&http, &server).await;
    let mut body = charge_of(json!({"product": "image/seven", "outputs": 2}), 14, &fp);
    body["ttlMs"] = json!(150);
    let created = charge(&http, &server, "u1", &body).await;
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(
        created["expiresAt"],
        created["createdAt"].as_i64().unwrap() + 150
    );

    // The ledger is read without expiring anything: an expire entry there
    // is the sweeper's.
    let entry = eventually(Duration::from_secs(5), "the sweeper's expire entry", || {
        let (http, server) = (&http, &server);
        async move {
            let ledger = get(http, server, "/v1/accounts/u1/ledger").await;
            ledger.body["entries"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["type"] == "expire")
                .cloned()
        }
    })
    .await;
    assert_eq!(entry["holds"][0]["hold"], id.as_str(), "{entry}");
    let got = get(&http, &server, &format!("/v1/accounts/u1/charges/{id}")).await;
    assert_eq!(got.body["status"], "expired", "{}", got.text);
    let balance = get(&http, &server, "/v1/accounts/u1/balance").await;
    assert_eq!(balance_of(&balance), (30, 0));
    assert_eq!(grant_available(&balance.body, "g"), 30);
    // An expired charge is no longer settled or released.
    let settle = post(
        &http,
        &server,
        &format!("/v1/accounts/u1/charges/{id}/settle"),
        &json!({}),
    )
    .await;
    refused(&settle, 409, "hold_expired", None);
    let release = post(
        &http,
        &server,
        &format!("/v1/accounts/u1/charges/{id}/release"),
        &json!({}),
    )
    .await;
    refused(&release, 409, "hold_expired", None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charge_past_its_ttl_is_expired_lazily_when_read() {
    // The sweeper runs hourly here: only the read expires the charge.
    let server = Server::start_with("api-lazy", &test_catalog(), 3_600_000);
    let http = client();
    account(&http, &server, "u1", "empty").await;
    give(&http, &server, "u1", "g", 30).await;
    let fp = fingerprint(&http, &server).await;
    let mut body = charge_of(json!({"product": "image/seven"}), 7, &fp);
    body["ttlMs"] = json!(60);
    let created = charge(&http, &server, "u1", &body).await;
    let id = created["id"].as_str().unwrap().to_string();
    let due = created["expiresAt"].as_i64().unwrap();
    while now_ms() <= due {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let got = get(&http, &server, &format!("/v1/accounts/u1/charges/{id}")).await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.body["status"], "expired");
    assert!(got.body["expiredAt"].as_i64().unwrap() >= due);
    let balance = get(&http, &server, "/v1/accounts/u1/balance").await;
    assert_eq!(balance_of(&balance), (30, 0));
}

fn now_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balance_ledger_pages_and_usage_groups() {
    let server = Server::start_with("api-ledger", &test_catalog(), 1000);
    let http = client();
    account(&http, &server, "u1", "empty").await;
    give(&http, &server, "u1", "g", 200).await;
    let fp = fingerprint(&http, &server).await;
    let requests = [
        (json!({"product": "image/seven", "outputs": 4}), 28),
        (json!({"product": "video/clip"}), 23),
        (json!({"product": "image/seven"}), 7),
        (json!({"product": "text/free"}), 0),
    ];
    for (request, total) in requests {
        let created = charge(&http, &server, "u1", &charge_of(request, total, &fp)).await;
        let settled = post(
            &http,
            &server,
            &format!(
                "/v1/accounts/u1/charges/{}/settle",
                created["id"].as_str().unwrap()
            ),
            &json!({}),
        )
        .await;
        assert_eq!(settled.status, 200, "{}", settled.text);
    }
    let pending = charge(
        &http,
        &server,
        "u1",
        &charge_of(json!({"product": "image/seven"}), 7, &fp),
    )
    .await;

    // Balance: available, held, by source, next expiry.
    let balance = get(&http, &server, "/v1/accounts/u1/balance").await;
    assert_eq!(balance.status, 200);
    assert_eq!(balance_of(&balance), (200 - 58 - 7, 7));
    assert_eq!(balance.body["spent"], 58);
    assert_eq!(balance.body["sources"][0]["source"], "promo");
    assert_eq!(balance.body["sources"][0]["held"], 7);
    // The promo never expires: no next expiry.
    assert!(balance.body.get("nextExpiry").is_none(), "{}", balance.text);
    let expiring = post(
        &http,
        &server,
        "/v1/accounts/u1/grants",
        &json!({"id": "brief", "source": "promo", "amount": 5, "expiresAt": 4_000_000_000_000_i64}),
    )
    .await;
    assert_eq!(expiring.status, 201, "{}", expiring.text);
    let balance = get(&http, &server, "/v1/accounts/u1/balance").await;
    assert_eq!(
        balance.body["nextExpiry"],
        json!({"at": 4_000_000_000_000_i64, "amount": 5})
    );

    // The ledger, page by page: every entry once, in order.
    let whole = get(&http, &server, "/v1/accounts/u1/ledger?limit=1000").await;
    let all: Vec<u64> = whole.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert!(all.len() >= 11, "{all:?}");
    assert_eq!(whole.body["next"], Value::Null);
    let mut paged = Vec::new();
    let mut after = 0;
    loop {
        let page = get(
            &http,
            &server,
            &format!("/v1/accounts/u1/ledger?after={after}&limit=3"),
        )
        .await;
        assert_eq!(page.status, 200, "{}", page.text);
        let entries = page.body["entries"].as_array().unwrap();
        assert!(entries.len() <= 3);
        paged.extend(entries.iter().map(|e| e["seq"].as_u64().unwrap()));
        match page.body["next"].as_u64() {
            Some(next) => {
                assert_eq!(Some(next), paged.last().copied());
                after = next;
            }
            None => break,
        }
    }
    assert_eq!(paged, all);
    let tail = get(
        &http,
        &server,
        &format!("/v1/accounts/u1/ledger?after={}", all[4]),
    )
    .await;
    let tail: Vec<u64> = tail.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(tail, all[5..]);
    let bad = get(&http, &server, "/v1/accounts/u1/ledger?limit=ten").await;
    refused(&bad, 400, "invalid_request", Some("limit"));
    let bad = get(&http, &server, "/v1/accounts/u1/ledger?page=2").await;
    refused(&bad, 400, "unknown_field", Some("page"));
    let nobody = get(&http, &server, "/v1/accounts/u9/ledger").await;
    refused(&nobody, 404, "unknown_account", None);

    // Usage: only settled credits, grouped (the pending charge is not spent).
    let by_studio = get(&http, &server, "/v1/accounts/u1/usage?by=studio").await;
    assert_eq!(by_studio.status, 200, "{}", by_studio.text);
    assert_eq!(by_studio.body["total"], 58);
    assert_eq!(
        by_studio.body["groups"],
        json!([{"key": "image", "credits": 35}, {"key": "video", "credits": 23}])
    );
    let by_product = get(&http, &server, "/v1/accounts/u1/usage?by=product").await;
    assert_eq!(
        by_product.body["groups"],
        json!([{"key": "image/seven", "credits": 35}, {"key": "video/clip", "credits": 23}])
    );
    let by_day = get(&http, &server, "/v1/accounts/u1/usage?by=day").await;
    let groups = by_day.body["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{}", by_day.text);
    assert_eq!(groups[0]["credits"], 58);
    assert_eq!(groups[0]["key"].as_str().unwrap().len(), 10, "a date");
    // A window before any spending is empty.
    let before = get(&http, &server, "/v1/accounts/u1/usage?from=0&to=1000").await;
    assert_eq!(before.body["total"], 0);
    assert_eq!(before.body["groups"], json!([]));
    let bad = get(&http, &server, "/v1/accounts/u1/usage?by=week").await;
    refused(&bad, 400, "invalid_request", Some("by"));
    assert_eq!(pending["status"], "pending");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grants_and_packs_are_credited_once() {
    let server = Server::start_with("api-grants", &test_catalog(), 1000);
    let http = client();
    account(&http, &server, "u1", "empty").await;
    account(&http, &server, "p1", "pro").await;

    let grant = json!({"id": "refund-7", "source": "adjustment", "amount": 25,
        "metadata": {"summary": "refund", "reference": "ticket-7"}});
    let first = post(&http, &server, "/v1/accounts/u1/grants", &grant).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.body["replayed"], false);
    assert_eq!(first.body["balance"]["available"], 25);
    // The same grant again, later: the same entry, nothing added (its
    // effective time was the server's now, not part of the request).
    tokio::time::sleep(Duration::from_millis(3)).await;
    let again = post(&http, &server, "/v1/accounts/u1/grants", &grant).await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body["replayed"], true);
    assert_eq!(again.body["entry"], first.body["entry"]);
    // Another grant under its id: grant_conflict.
    let mut other = grant.clone();
    other["amount"] = json!(26);
    let conflict = post(&http, &server, "/v1/accounts/u1/grants", &other).await;
    refused(&conflict, 409, "grant_conflict", Some("id"));
    let balance = get(&http, &server, "/v1/accounts/u1/balance").await;
    assert_eq!(balance_of(&balance), (25, 0));
    let bad = [
        (
            json!({"id": "x", "source": "gift", "amount": 1}),
            400,
            "invalid_request",
            "source",
        ),
        (
            json!({"id": "x", "source": "promo"}),
            400,
            "missing_field",
            "amount",
        ),
        (
            json!({"source": "promo", "amount": 1}),
            400,
            "missing_field",
            "id",
        ),
        (
            json!({"id": "x", "source": "promo", "amount": 1.5}),
            400,
            "invalid_amount",
            "amount",
        ),
    ];
    for (body, status, code, path) in bad {
        let answer = post(&http, &server, "/v1/accounts/u1/grants", &body).await;
        refused(&answer, status, code, Some(path));
    }

    // A pack: its payment id is credited once.
    let buy = json!({"pack": "small", "paymentId": "pay_123"});
    let bought = post(&http, &server, "/v1/accounts/p1/packs", &buy).await;
    assert_eq!(bought.status, 201, "{}", bought.text);
    assert_eq!(bought.body["balance"]["available"], 170);
    tokio::time::sleep(Duration::from_millis(3)).await;
    let twice = post(&http, &server, "/v1/accounts/p1/packs", &buy).await;
    assert_eq!(twice.status, 200, "{}", twice.text);
    assert_eq!(twice.body["entry"], bought.body["entry"]);
    let balance = get(&http, &server, "/v1/accounts/p1/balance").await;
    assert_eq!(balance.body["available"], 170);
    // A plan without packs may not buy one; an unknown pack is named.
    let no_packs = post(
        &http,
        &server,
        "/v1/accounts/u1/packs",
        &json!({"pack": "small", "paymentId": "pay_9"}),
    )
    .await;
    refused(&no_packs, 403, "pack_not_in_plan", Some("pack"));
    let unknown = post(
        &http,
        &server,
        "/v1/accounts/p1/packs",
        &json!({"pack": "huge", "paymentId": "pay_10"}),
    )
    .await;
    refused(&unknown, 422, "unknown_pack", Some("pack"));
    let nobody = post(&http, &server, "/v1/accounts/u9/packs", &buy).await;
    refused(&nobody, 404, "unknown_account", None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_upgrade_applies_now_pro_rated_and_a_downgrade_at_the_next_cycle() {
    let server = Server::start_with("api-plan", &pricing_toml(), 1000);
    let http = client();
    let created = account(&http, &server, "u1", "free").await;
    let before = created["balance"]["available"].as_u64().unwrap();

    let up = post(
        &http,
        &server,
        "/v1/accounts/u1/plan",
        &json!({"plan": "pro"}),
    )
    .await;
    assert_eq!(up.status, 200, "{}", up.text);
    assert_eq!(up.body["change"]["effective"], "now", "{}", up.text);
    let credits = up.body["change"]["credits"].as_u64().unwrap();
    assert!(credits > 0, "{}", up.text);
    assert_eq!(up.body["account"]["plan"], "pro");
    assert_eq!(
        up.body["account"]["balance"]["available"].as_u64().unwrap(),
        before + credits
    );
    let read = get(&http, &server, "/v1/accounts/u1").await;
    assert_eq!(read.body["plan"], "pro");

    let down = post(
        &http,
        &server,
        "/v1/accounts/u1/plan",
        &json!({"plan": "free"}),
    )
    .await;
    assert_eq!(down.status, 200, "{}", down.text);
    assert_eq!(
        down.body["change"]["effective"], "next_cycle",
        "{}",
        down.text
    );
    assert_eq!(down.body["account"]["plan"], "pro");
    assert_eq!(down.body["account"]["pendingPlan"]["plan"], "free");
    assert_eq!(
        down.body["account"]["pendingPlan"]["at"],
        down.body["account"]["periodEnd"]
    );
    let read = get(&http, &server, "/v1/accounts/u1").await;
    assert_eq!(read.body["plan"], "pro");
    assert_eq!(read.body["pendingPlan"]["plan"], "free");

    let bad = post(
        &http,
        &server,
        "/v1/accounts/u1/plan",
        &json!({"plan": "gold"}),
    )
    .await;
    refused(&bad, 422, "unknown_plan", Some("plan"));
    let bad = post(&http, &server, "/v1/accounts/u1/plan", &json!({})).await;
    refused(&bad, 400, "missing_field", Some("plan"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_replay_the_first_answer_even_after_a_restart() {
    let mut server = Server::start_with("api-idem", &test_catalog(), 1000);
    let http = client();
    account(&http, &server, "u1", "empty").await;
    give(&http, &server, "u1", "g", 10).await;
    let fp = fingerprint(&http, &server).await;
    let body = charge_of(json!({"product": "image/seven"}), 7, &fp);
    let path = "/v1/accounts/u1/charges";

    let first = post_key(&http, &server, path, &body, "k-1").await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.header("idempotent-replayed"), None);
    let again = post_key(&http, &server, path, &body, "k-1").await;
    assert_eq!((again.status, &again.text), (201, &first.text));
    assert_eq!(again.header("idempotent-replayed"), Some("true"));

    // Another body under the key: idempotency_conflict, nothing charged.
    let other = charge_of(json!({"product": "image/seven", "outputs": 2}), 14, &fp);
    let conflict = post_key(&http, &server, path, &other, "k-1").await;
    refused(&conflict, 422, "idempotency_conflict", None);
    // The key on another endpoint is another request too.
    let elsewhere = post_key(
        &http,
        &server,
        "/v1/accounts/u1/grants",
        &json!({"id": "k", "source": "promo", "amount": 1}),
        "k-1",
    )
    .await;
    refused(&elsewhere, 422, "idempotency_conflict", None);

    // A refusal is replayed as well: 402 stays 402 after credits arrive.
    let short = post_key(&http, &server, path, &body, "k-short").await;
    refused(&short, 402, "insufficient_credits", None);
    give(&http, &server, "u1", "more", 100).await;
    let replayed = post_key(&http, &server, path, &body, "k-short").await;
    assert_eq!((replayed.status, &replayed.text), (402, &short.text));
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));

    // A resolution replays too.
    let id = first.body["id"].as_str().unwrap();
    let settle = format!("/v1/accounts/u1/charges/{id}/settle");
    let settled = post_key(&http, &server, &settle, &json!({}), "k-settle").await;
    assert_eq!(settled.status, 200, "{}", settled.text);

    // After a restart (kill -9), the same keys answer the same.
    server.restart();
    for (path, body, key, want) in [
        (path, &body, "k-1", &first),
        (path, &body, "k-short", &short),
        (settle.as_str(), &json!({}), "k-settle", &settled),
    ] {
        let answer = post_key(&http, &server, path, body, key).await;
        assert_eq!(
            (answer.status, &answer.text),
            (want.status, &want.text),
            "{key}"
        );
        assert_eq!(answer.header("idempotent-replayed"), Some("true"), "{key}");
    }
    let conflict = post_key(&http, &server, path, &other, "k-1").await;
    refused(&conflict, 422, "idempotency_conflict", None);
    // One charge was made in all: 7 spent of 110.
    let balance = get(&http, &server, "/v1/accounts/u1/balance").await;
    assert_eq!(balance_of(&balance), (103, 0));
    assert_eq!(balance.body["spent"], 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_are_limited_in_size_type_and_syntax() {
    let server = Server::start_with("api-limits", &test_catalog(), 1000);
    let http = client();
    account(&http, &server, "u1", "empty").await;
    let url = server.url("/v1/accounts/u1/quote");
    let raw = |content_type: Option<&'static str>, body: Vec<u8>| {
        let mut request = http.post(&url).bearer_auth(KEY).body(body);
        if let Some(t) = content_type {
            request = request.header("content-type", t);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
            (status, body)
        }
    };
    let code = |body: &Value| body["error"]["code"].as_str().unwrap_or("").to_string();

    // Over 1 MiB: 413, even when it is valid JSON.
    let mut big = br#"{"request":{"product":"image/seven"},"pad":""#.to_vec();
    big.resize((1 << 20) + 1, b' ');
    let (status, body) = raw(Some("application/json"), big).await;
    assert_eq!((status, code(&body).as_str()), (413, "payload_too_large"));
    // Exactly 1 MiB is read (and judged on its content).
    let mut edge = br#"{"request":{"product":"image/seven"}}"#.to_vec();
    edge.resize(1 << 20, b' ');
    let (status, body) = raw(Some("application/json"), edge).await;
    assert_eq!(status, 200, "{body}");

    let json_text = br#"{"request":{"product":"image/seven"}}"#.to_vec();
    let (status, body) = raw(Some("text/plain"), json_text.clone()).await;
    assert_eq!(
        (status, code(&body).as_str()),
        (415, "unsupported_media_type")
    );
    let (status, body) = raw(None, json_text.clone()).await;
    assert_eq!(
        (status, code(&body).as_str()),
        (415, "unsupported_media_type")
    );
    let (status, _) = raw(Some("application/json; charset=utf-8"), json_text).await;
    assert_eq!(status, 200);
    let (status, body) = raw(Some("application/json"), b"{\"request\": ".to_vec()).await;
    assert_eq!((status, code(&body).as_str()), (400, "invalid_json"));
    let (status, body) = raw(Some("application/json"), b"[1,".to_vec()).await;
    assert_eq!((status, code(&body).as_str()), (400, "invalid_json"));
    let (status, body) = raw(Some("application/json"), b"\"a\"".to_vec()).await;
    assert_eq!(
        (status, code(&body).as_str()),
        (400, "invalid_request"),
        "{body}"
    );
}

/// Sends `head` (and `body`, if any) on a raw connection, then waits; the
/// server must answer or close within `within` of the start. Returns what
/// it sent back and how long it took.
fn stall(base: &str, head: &str, body: &[u8], within: Duration) -> (String, Duration) {
    let addr = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(within)).unwrap();
    let start = Instant::now();
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("the server neither answered nor closed in {within:?}: {e}"),
        }
    }
    (String::from_utf8_lossy(&got).into_owned(), start.elapsed())
}

#[test]
fn a_slow_client_times_out() {
    // The header read and the body both time out after 10 s; both are
    // checked at once, so this test takes about 10 s.
    let server = Server::start_with("api-slow", &test_catalog(), 1000);
    let limit = Duration::from_secs(14);
    let base = server.base.clone();
    let headers = std::thread::spawn(move || {
        stall(
            &base,
            "POST /v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Type: appl",
            b"",
            limit,
        )
    });
    let head = format!(
        "POST /v1/accounts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    );
    let (answer, took) = stall(&server.base, &head, br#"{"id": "slow", "#, limit);
    assert!(took >= Duration::from_secs(9), "{took:?}: {answer}");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    let (answer, took) = headers.join().unwrap();
    assert!(took >= Duration::from_secs(9), "{took:?}: {answer}");
    // hyper closes the connection, with a 408 or without an answer.
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
}

/// `edge.toml` of the vectors with one plan added, so an account can exist
/// on it (the plan changes the fingerprint, not a price).
fn edge_with_a_plan(dir: &std::path::Path) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut text = std::fs::read_to_string(root.join("tests/vectors/catalogs/edge.toml")).unwrap();
    text.push_str("\n[[plans]]\nid = \"open\"\nname = \"Open\"\n");
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("edge-with-plan.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_quote_vector_gives_the_same_coded_error_over_http() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let edge_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("serve-api-vectors-src");
    let servers = [
        (
            "quotes-studio.json",
            pricing_toml(),
            "pro",
            "api-vectors-studio",
        ),
        (
            "quotes-edge.json",
            edge_with_a_plan(&edge_dir),
            "open",
            "api-vectors-edge",
        ),
    ];
    let http = client();
    let mut checked = 0;
    let mut failures = Vec::new();
    for (file, catalog, plan, name) in servers {
        let server = Server::start_with(name, &catalog, 1000);
        account(&http, &server, "v1", plan).await;
        let doc: Value = serde_json::from_str(
            &std::fs::read_to_string(root.join("tests/vectors").join(file)).unwrap(),
        )
        .unwrap();
        for case in doc["cases"].as_array().unwrap() {
            let Some(want) = case.get("error") else {
                continue;
            };
            checked += 1;
            let label = format!("{file}: {}", case["name"].as_str().unwrap_or("?"));
            let code = want["code"].as_str().unwrap();
            // The path under the body's `request` field (the whole request
            // when the core names no field).
            let path = match want.get("path").and_then(Value::as_str) {
                None => "request".to_string(),
                Some(p) if p.starts_with('[') => format!("request{p}"),
                Some(p) => format!("request.{p}"),
            };
            let body = json!({"request": case["request"]});
            for route in ["/v1/accounts/v1/quote", "/v1/accounts/v1/charges"] {
                let mut body = body.clone();
                if route.ends_with("charges") {
                    body["expect"] = json!({"total": 1, "fingerprint": "f"});
                }
                let answer = post(&http, &server, route, &body).await;
                let got = (
                    answer.code().to_string(),
                    answer.body["error"]["path"].as_str().map(str::to_string),
                );
                let status_ok = answer.status >= 400 && answer.status < 500;
                if got != (code.to_string(), Some(path.clone())) || !status_ok {
                    failures.push(format!(
                        "{label} on {route}: expected {code} at {path}, got {} {}",
                        answer.status, answer.text
                    ));
                }
            }
        }
    }
    assert!(checked >= 25, "only {checked} error vectors");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_catalog_and_an_invalid_one_is_refused() {
    let mut server = Server::start_with("api-reload", &test_catalog(), 1000);
    let http = client();
    account(&http, &server, "u1", "empty").await;
    give(&http, &server, "u1", "g", 100).await;
    let old = fingerprint(&http, &server).await;
    let kept = charge(
        &http,
        &server,
        "u1",
        &charge_of(json!({"product": "image/seven"}), 7, &old),
    )
    .await;
    let settled = post(
        &http,
        &server,
        &format!(
            "/v1/accounts/u1/charges/{}/settle",
            kept["id"].as_str().unwrap()
        ),
        &json!({"amount": 5}),
    )
    .await;
    assert_eq!(settled.status, 200, "{}", settled.text);

    // Seven becomes eight; SIGHUP puts it in force.
    let text = std::fs::read_to_string(&server.catalog).unwrap();
    let edited = text.replacen("price = 7\n", "price = 8\n", 1);
    assert_ne!(edited, text);
    std::fs::write(&server.catalog, &edited).unwrap();
    server.signal("HUP");
    let new = eventually(Duration::from_secs(5), "the reload", || {
        let (http, server, old) = (&http, &server, &old);
        async move {
            let fp = fingerprint(http, server).await;
            (fp != *old).then_some(fp)
        }
    })
    .await;
    let stale = post(
        &http,
        &server,
        "/v1/accounts/u1/charges",
        &charge_of(json!({"product": "image/seven"}), 7, &old),
    )
    .await;
    let error = refused(&stale, 409, "catalog_changed", Some("expect.fingerprint"));
    assert_eq!(error["fingerprint"], new.as_str());
    assert_eq!(error["quote"]["total"], 8);
    let fresh = charge(
        &http,
        &server,
        "u1",
        &charge_of(json!({"product": "image/seven"}), 8, &new),
    )
    .await;

    // An invalid catalog is refused: the last good one keeps serving, and
    // the log says why.
    std::fs::write(&server.catalog, "id = \"broken\"\n[[products]]\nid = 3\n").unwrap();
    server.signal("HUP");
    eventually(Duration::from_secs(5), "the refusal in the log", || {
        let server = &server;
        async move { server.log().contains("reload refused").then_some(()) }
    })
    .await;
    let log = server.log();
    assert!(log.contains("catalog"), "{log}");
    assert_eq!(fingerprint(&http, &server).await, new);
    let still = post(
        &http,
        &server,
        "/v1/accounts/u1/quote",
        &json!({"request": {"product": "image/seven"}}),
    )
    .await;
    assert_eq!(still.body["total"], 8, "{}", still.text);

    // SIGTERM: a clean exit; a restart on the same database sees every
    // committed charge.
    std::fs::write(&server.catalog, &edited).unwrap();
    let status = server.stop();
    assert!(status.success(), "{status:?}\n{}", server.log());
    server.restart();
    let kept_again = get(
        &http,
        &server,
        &format!("/v1/accounts/u1/charges/{}", kept["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(kept_again.body, settled.body);
    let fresh_again = get(
        &http,
        &server,
        &format!("/v1/accounts/u1/charges/{}", fresh["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(fresh_again.body, fresh);
    let balance = get(&http, &server, "/v1/accounts/u1/balance").await;
    assert_eq!(balance_of(&balance), (100 - 5 - 8, 8));
}
