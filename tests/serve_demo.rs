//! `genprice serve --demo` (issue 12, first step), against the spawned
//! binary: the studio page and the package served as files, demo accounts
//! on a free and a paid plan, the page's session minted by `/demo/session`
//! and a generation "run" by `/demo/generate` through the real charge,
//! settle and release; the `/demo/…` routes absent without `--demo`.
//!
//! Nothing here needs `pkg/` built (the Rust tests run before the build):
//! the `.wasm` check skips with a message when `pkg/web/` is missing, and
//! `tests/js/serve-demo.test.mjs` checks the built package through the
//! server after the build.
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

use calls::{call, charge_of, eventually, refused};
use harness::{DEMO_DELAY_MS, DemoDb, Server, client, fingerprint, get, pkg_dir, post};
use reqwest::Method;
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// A GET without a key; the answer and its content type.
async fn fetch(http: &reqwest::Client, server: &Server, path: &str) -> (u16, String, String) {
    let answer = call(http, server, Method::GET, path, None, None).await;
    let kind = answer.header("content-type").unwrap_or("").to_string();
    (answer.status, kind, answer.text)
}

/// A POST to a demo route (no key: the server is the page's backend).
async fn demo(
    http: &reqwest::Client,
    server: &Server,
    path: &str,
    body: &Value,
) -> harness::Answer {
    call(http, server, Method::POST, path, None, Some(body)).await
}

/// Sends `path` as written (no client normalises its `..`); the status
/// line and the whole answer.
fn raw_get(server: &Server, path: &str) -> String {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    let _ = stream.read_to_string(&mut text);
    text
}

#[tokio::test]
async fn demo_serves_the_page_and_the_package() {
    let server = Server::start_demo("demo-files", DemoDb::Given);
    let http = client();

    let (status, kind, page) = fetch(&http, &server, "/").await;
    assert_eq!(status, 200, "{page}");
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(page.contains("studio.js"), "{page}");
    let (status, kind, _) = fetch(&http, &server, "/studio.js").await;
    assert_eq!(
        (status, kind.starts_with("text/javascript")),
        (200, true),
        "{kind}"
    );
    let (status, kind, _) = fetch(&http, &server, "/studio.css").await;
    assert_eq!(
        (status, kind.starts_with("text/css")),
        (200, true),
        "{kind}"
    );
    // The page imports ../pkg/index.js: the package's tracked entry file.
    let (status, kind, text) = fetch(&http, &server, "/pkg/index.js").await;
    assert_eq!(
        (status, kind.starts_with("text/javascript")),
        (200, true),
        "{kind}"
    );
    assert!(text.contains("export"), "{text}");

    if pkg_dir().join("web/genprice_bg.wasm").is_file() {
        let (status, kind, _) = fetch(&http, &server, "/pkg/web/genprice_bg.wasm").await;
        assert_eq!((status, kind.as_str()), (200, "application/wasm"));
    } else {
        eprintln!(
            "skipped: pkg/web/genprice_bg.wasm is not built (scripts/build-pkg.sh); \
             tests/js/serve-demo.test.mjs checks it after the build"
        );
    }

    // The chart library, from the npm dev dependencies beside www/; only
    // its dist/ directory.
    if pkg_dir()
        .join("../node_modules/uplot/dist/uPlot.esm.js")
        .is_file()
    {
        let (status, kind, text) = fetch(&http, &server, "/vendor/uplot/uPlot.esm.js").await;
        assert_eq!((status, kind.starts_with("text/javascript")), (200, true));
        assert!(text.contains("export"), "uPlot is an ES module");
        let (status, _, _) = fetch(&http, &server, "/vendor/uplot/../package.json").await;
        assert_eq!(status, 404);
        let answer = raw_get(&server, "/vendor/uplot/%2e%2e/package.json");
        assert!(!answer.starts_with("HTTP/1.1 200"), "{answer}");
    } else {
        eprintln!("skipped: node_modules/uplot is not installed (npm ci)");
    }

    // The API is still the API, and a missing file is a 404.
    let (status, kind, _) = fetch(&http, &server, "/v1/catalog").await;
    assert_eq!((status, kind.starts_with("application/json")), (200, true));
    let (status, _, _) = fetch(&http, &server, "/no-such-file.js").await;
    assert_eq!(status, 404);

    // No way out of www/ or pkg/.
    for path in [
        "/../Cargo.toml",
        "/pkg/../Cargo.toml",
        "/pkg/../../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/pkg/%2e%2e/Cargo.toml",
        "/pkg/..%2fCargo.toml",
        "/..%2f..%2fetc/passwd",
    ] {
        let answer = raw_get(&server, path);
        assert!(!answer.starts_with("HTTP/1.1 200"), "{path}: {answer}");
        assert!(!answer.contains("[package]"), "{path}: {answer}");
        assert!(!answer.contains("root:"), "{path}: {answer}");
    }
}

/// The demo accounts, by id, and their plans.
async fn demo_plans(http: &reqwest::Client, server: &Server) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for id in ["demo-free", "demo-pro"] {
        let answer = get(http, server, &format!("/v1/accounts/{id}")).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        out.push((
            id.to_string(),
            answer.body["plan"].as_str().unwrap().to_string(),
        ));
    }
    out
}

#[tokio::test]
async fn demo_accounts_are_on_a_free_and_a_paid_plan_and_made_once() {
    let mut server = Server::start_demo("demo-accounts", DemoDb::Given);
    let http = client();
    let plans = demo_plans(&http, &server).await;
    assert_eq!(
        plans,
        [
            ("demo-free".to_string(), "free".to_string()),
            ("demo-pro".to_string(), "pro".to_string())
        ]
    );
    let ledger = get(&http, &server, "/v1/accounts/demo-pro/ledger").await;
    assert_eq!(ledger.status, 200);
    let entries = ledger.body["entries"].as_array().unwrap().len();
    assert!(entries > 0, "{}", ledger.text);

    // Started again on the same database: the accounts are kept as they are.
    server.restart();
    let http = client(); // the old keep-alive connections died with it
    assert_eq!(demo_plans(&http, &server).await, plans);
    let again = get(&http, &server, "/v1/accounts/demo-pro/ledger").await;
    assert_eq!(again.body["entries"].as_array().unwrap().len(), entries);
    assert!(!server.log().contains("cannot create"), "{}", server.log());
}

#[tokio::test]
async fn demo_without_db_runs_on_a_temporary_database() {
    let mut server = Server::start_demo("demo-tempdb", DemoDb::Temporary);
    let http = client();
    assert_eq!(demo_plans(&http, &server).await.len(), 2);
    // Not the default genprice.db in the working directory.
    assert!(!server.dir.join("genprice.db").exists());
    assert!(server.stop().success());
}

/// Mints the page's session for `account` through `/demo/session`.
async fn page_session(http: &reqwest::Client, server: &Server, account: &str) -> String {
    let answer = demo(http, server, "/demo/session", &json!({"account": account})).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert_eq!(answer.body["account"], account);
    answer.body["token"].as_str().unwrap().to_string()
}

/// What the page does: quote with its session, then ask for a generation
/// with that total; the charge as answered.
async fn start_generation(
    http: &reqwest::Client,
    server: &Server,
    token: &str,
    account: &str,
    fail: bool,
) -> Value {
    let request = json!({"product": "image/flux-schnell", "outputs": 2});
    let quote = call(
        http,
        server,
        Method::POST,
        &format!("/v1/accounts/{account}/quote"),
        Some(token),
        Some(&json!({"request": request})),
    )
    .await;
    assert_eq!(quote.status, 200, "{}", quote.text);
    let total = quote.body["total"].as_u64().unwrap();
    assert!(total > 0);
    let mut body = charge_of(request, total, &fingerprint(http, server).await);
    body["account"] = json!(account);
    body["fail"] = json!(fail);
    let answer = demo(http, server, "/demo/generate", &body).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert_eq!(answer.body["status"], "pending", "{}", answer.text);
    assert_eq!(answer.body["amount"].as_u64(), Some(total));
    answer.body
}

/// Polls the charge with the page's session until it leaves `pending`.
async fn poll(
    http: &reqwest::Client,
    server: &Server,
    token: &str,
    account: &str,
    id: &str,
) -> Value {
    let path = format!("/v1/accounts/{account}/charges/{id}");
    eventually(Duration::from_secs(10), "the generation to finish", || {
        let path = path.clone();
        async move {
            let answer = call(http, server, Method::GET, &path, Some(token), None).await;
            assert_eq!(answer.status, 200, "{}", answer.text);
            (answer.body["status"] != "pending").then_some(answer.body)
        }
    })
    .await
}

async fn available(http: &reqwest::Client, server: &Server, token: &str, account: &str) -> u64 {
    let path = format!("/v1/accounts/{account}/balance");
    let answer = call(http, server, Method::GET, &path, Some(token), None).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body["available"].as_u64().unwrap()
}

/// The ledger's entries of charge `id`, as their types.
async fn ledger_of(
    http: &reqwest::Client,
    server: &Server,
    token: &str,
    account: &str,
    id: &str,
) -> Vec<String> {
    let path = format!("/v1/accounts/{account}/ledger?limit=1000");
    let answer = call(http, server, Method::GET, &path, Some(token), None).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["hold"] == id)
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn demo_generate_charges_then_settles() {
    let server = Server::start_demo("demo-settle", DemoDb::Given);
    let http = client();
    let token = page_session(&http, &server, "demo-free").await;
    let before = available(&http, &server, &token, "demo-free").await;
    let started = Instant::now();
    let charge = start_generation(&http, &server, &token, "demo-free", false).await;
    let id = charge["id"].as_str().unwrap();
    let amount = charge["amount"].as_u64().unwrap();
    assert_eq!(
        available(&http, &server, &token, "demo-free").await,
        before - amount
    );

    let done = poll(&http, &server, &token, "demo-free", id).await;
    assert_eq!(done["status"], "settled", "{done}");
    assert!(started.elapsed() >= Duration::from_millis(DEMO_DELAY_MS));
    assert_eq!(
        available(&http, &server, &token, "demo-free").await,
        before - amount
    );
    assert_eq!(
        ledger_of(&http, &server, &token, "demo-free", id).await,
        ["hold", "settle"]
    );
}

#[tokio::test]
async fn demo_generate_with_fail_releases() {
    let server = Server::start_demo("demo-release", DemoDb::Given);
    let http = client();
    let token = page_session(&http, &server, "demo-pro").await;
    let before = available(&http, &server, &token, "demo-pro").await;
    let charge = start_generation(&http, &server, &token, "demo-pro", true).await;
    let id = charge["id"].as_str().unwrap();
    let done = poll(&http, &server, &token, "demo-pro", id).await;
    assert_eq!(done["status"], "released", "{done}");
    assert_eq!(available(&http, &server, &token, "demo-pro").await, before);
    assert_eq!(
        ledger_of(&http, &server, &token, "demo-pro", id).await,
        ["hold", "release"]
    );
}

#[tokio::test]
async fn demo_pack_credits_a_pack_through_the_packs_job_each_time() {
    let server = Server::start_demo("demo-pack", DemoDb::Given);
    let http = client();
    let token = page_session(&http, &server, "demo-pro").await;
    let before = available(&http, &server, &token, "demo-pro").await;
    let body = json!({"account": "demo-pro", "pack": "small"});
    let first = demo(&http, &server, "/demo/pack", &body).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let second = demo(&http, &server, "/demo/pack", &body).await;
    assert_eq!(second.status, 201, "{}", second.text);
    // Two purchases, two payments: each credited once, as `POST …/packs` does.
    let ids: Vec<String> = [&first, &second]
        .iter()
        .map(|a| a.body["entry"]["grant"]["id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.iter().all(|id| id.starts_with("demo_pay_")), "{ids:?}");
    assert_ne!(ids[0], ids[1]);
    assert_eq!(
        available(&http, &server, &token, "demo-pro").await,
        before + 2 * 500
    );
    let ledger = get(&http, &server, "/v1/accounts/demo-pro/ledger").await;
    assert_eq!(
        ledger.text.matches("\"summary\":\"pack small\"").count(),
        2,
        "{}",
        ledger.text
    );

    // The packs job's refusals: the free plan may buy none; an unknown pack.
    let free = json!({"account": "demo-free", "pack": "small"});
    refused(
        &demo(&http, &server, "/demo/pack", &free).await,
        403,
        "pack_not_in_plan",
        Some("pack"),
    );
    let unknown = json!({"account": "demo-pro", "pack": "huge"});
    let answer = demo(&http, &server, "/demo/pack", &unknown).await;
    assert_eq!(
        (answer.status, answer.code()),
        (422, "unknown_pack"),
        "{}",
        answer.text
    );
    let other = json!({"account": "someone", "pack": "small"});
    refused(
        &demo(&http, &server, "/demo/pack", &other).await,
        404,
        "unknown_account",
        None,
    );
}

#[tokio::test]
async fn demo_routes_refuse_as_the_api_does() {
    let server = Server::start_demo("demo-refusals", DemoDb::Given);
    let http = client();
    let fp = fingerprint(&http, &server).await;
    let request = json!({"product": "image/flux-schnell"});

    // A stale total: the charge route's own answer, and nothing held.
    let mut body = charge_of(request.clone(), 1_000_000, &fp);
    body["account"] = json!("demo-free");
    let answer = demo(&http, &server, "/demo/generate", &body).await;
    refused(&answer, 409, "price_changed", Some("expect.total"));
    let ledger = get(&http, &server, "/v1/accounts/demo-free/ledger").await;
    assert!(!ledger.text.contains("\"hold\""), "{}", ledger.text);

    // Only the demo accounts: another account is unknown to these routes.
    let made = post(
        &http,
        &server,
        "/v1/accounts",
        &json!({"id": "someone", "plan": "pro"}),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.text);
    for path in ["/demo/session", "/demo/generate"] {
        let mut body = charge_of(request.clone(), 2, &fp);
        body["account"] = json!("someone");
        if path == "/demo/session" {
            body = json!({"account": "someone"});
        }
        refused(
            &demo(&http, &server, path, &body).await,
            404,
            "unknown_account",
            None,
        );
    }
    let answer = demo(
        &http,
        &server,
        "/demo/session",
        &json!({"account": "demo-free", "x": 1}),
    )
    .await;
    assert_eq!(
        (answer.status, answer.code()),
        (400, "unknown_field"),
        "{}",
        answer.text
    );

    // The page's session is a session: it reads its account, never writes.
    let token = page_session(&http, &server, "demo-free").await;
    let answer = call(
        &http,
        &server,
        Method::POST,
        "/v1/accounts/demo-free/charges",
        Some(&token),
        Some(&charge_of(request, 2, &fp)),
    )
    .await;
    assert_eq!(answer.status, 403, "{}", answer.text);
    let other = call(
        &http,
        &server,
        Method::GET,
        "/v1/accounts/demo-pro",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(other.status, 404, "{}", other.text);
}

#[tokio::test]
async fn without_demo_there_are_no_demo_routes_and_no_files() {
    let server = Server::start("demo-off");
    let http = client();
    for path in ["/demo/session", "/demo/generate"] {
        let answer = demo(&http, &server, path, &json!({"account": "demo-free"})).await;
        assert_eq!(
            (answer.status, answer.code()),
            (404, "not_found"),
            "{path}: {}",
            answer.text
        );
    }
    for path in ["/", "/index.html", "/studio.js", "/pkg/index.js"] {
        let (status, _, text) = fetch(&http, &server, path).await;
        assert_eq!(status, 404, "{path}: {text}");
    }
    let answer = get(&http, &server, "/v1/accounts/demo-free").await;
    assert_eq!(answer.status, 404, "{}", answer.text);
}
