//! Several `genprice serve` instances on one PostgreSQL database (issue
//! 13): per-account operations are serialised by the database, not by a
//! process, so the guarantees of one instance hold across two. Always on
//! PostgreSQL (a throwaway cluster for this process, see
//! `tests/serve/pgcluster.rs`), whatever `GENPRICE_TEST_BACKEND` says.
#![cfg(all(feature = "postgres", not(target_arch = "wasm32")))]
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

#[path = "serve/crash.rs"]
mod crash;

use calls::{call, charge_of, give, session, test_catalog};
use harness::pgcluster::{Cluster, blocking};
use harness::{Backend, Server, account, client, fingerprint, get, post, post_key};
use reqwest::Method;
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;

/// Two instances on a fresh database of their own, started at once.
fn two(name: &str) -> (Server, Server) {
    let db = PathBuf::from(Cluster::get().database(name));
    let (a, b) = (format!("{name}-a"), format!("{name}-b"));
    let first_db = db.clone();
    let first = std::thread::spawn(move || {
        Server::start_at(&a, &test_catalog(), first_db, Backend::Postgres)
    });
    let second = Server::start_at(&b, &test_catalog(), db, Backend::Postgres);
    (first.join().unwrap(), second)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_charges_of_7_on_100_credits_over_two_instances_fourteen_succeed() {
    let (a, b) = two("inst-thousand");
    let servers = Arc::new([a, b]);
    let http = client();
    account(&http, &servers[0], "u1", "empty").await;
    give(&http, &servers[1], "u1", "hundred", 100).await;
    let fp = fingerprint(&http, &servers[0]).await;
    let body = Arc::new(charge_of(json!({"product": "image/seven"}), 7, &fp));
    let mut tasks = Vec::new();
    for i in 0..1000 {
        let (servers, http, body) = (Arc::clone(&servers), http.clone(), Arc::clone(&body));
        tasks.push(tokio::spawn(async move {
            let answer = post(&http, &servers[i % 2], "/v1/accounts/u1/charges", &body).await;
            (i % 2, answer)
        }));
    }
    let mut statuses = std::collections::BTreeMap::new();
    let mut won_by = [0; 2];
    for task in tasks {
        let (instance, answer) = task.await.unwrap();
        *statuses.entry(answer.status).or_insert(0) += 1;
        match answer.status {
            201 => won_by[instance] += 1,
            402 => assert_eq!(answer.code(), "insufficient_credits"),
            _ => panic!("{}", answer.text),
        }
    }
    eprintln!("charges won by instance: {won_by:?}");
    assert_eq!(statuses.get(&201), Some(&14), "{statuses:?}");
    assert_eq!(statuses.get(&402), Some(&986), "{statuses:?}");
    for server in servers.iter() {
        let balance = get(&http, server, "/v1/accounts/u1/balance").await;
        assert_eq!(balance.body["available"], 2, "{}", balance.text);
        assert_eq!(balance.body["held"], 98);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_key_retried_on_both_instances_makes_one_charge() {
    let (a, b) = two("inst-one-key");
    let servers = Arc::new([a, b]);
    let http = client();
    account(&http, &servers[0], "u1", "empty").await;
    give(&http, &servers[0], "u1", "g", 1000).await;
    let fp = fingerprint(&http, &servers[0]).await;
    let body = Arc::new(charge_of(
        json!({"product": "image/seven", "outputs": 2}),
        14,
        &fp,
    ));
    let path = "/v1/accounts/u1/charges";

    // In turn: the first attempt on one instance, each retry on the other.
    let first = post_key(&http, &servers[0], path, &body, "alternate").await;
    assert_eq!(first.status, 201, "{}", first.text);
    for i in 1..10 {
        let again = post_key(&http, &servers[i % 2], path, &body, "alternate").await;
        assert_eq!((again.status, &again.text), (201, &first.text));
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
    }

    // At once: 200 retries of a new key, half on each instance.
    let mut tasks = Vec::new();
    for i in 0..200 {
        let (servers, http, body) = (Arc::clone(&servers), http.clone(), Arc::clone(&body));
        tasks.push(tokio::spawn(async move {
            post_key(&http, &servers[i % 2], path, &body, "at-once").await
        }));
    }
    let mut texts = std::collections::BTreeSet::new();
    let mut replayed = 0;
    for task in tasks {
        let answer = task.await.unwrap();
        assert_eq!(answer.status, 201, "{}", answer.text);
        replayed += usize::from(answer.header("idempotent-replayed") == Some("true"));
        texts.insert(answer.text);
    }
    assert_eq!(texts.len(), 1, "one answer, byte for byte");
    assert_eq!(replayed, 199);
    let balance = get(&http, &servers[1], "/v1/accounts/u1/balance").await;
    assert_eq!(balance.body["held"], 28, "{}", balance.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn both_instances_share_keys_accounts_and_the_sweeper() {
    let (a, b) = two("inst-shared");
    let http = client();
    // Two creations of one account at once, one per instance: one 201,
    // one account_exists.
    let body = json!({"id": "u1", "plan": "empty"});
    let (one, other) = tokio::join!(
        post(&http, &a, "/v1/accounts", &body),
        post(&http, &b, "/v1/accounts", &body)
    );
    let mut statuses = [one.status, other.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{} / {}", one.text, other.text);
    // A session minted by one instance is accepted by the other.
    let token = session(&http, &a, "u1", None).await;
    let read = call(
        &http,
        &b,
        Method::GET,
        "/v1/accounts/u1/balance",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(read.status, 200, "{}", read.text);
    // A short charge made on one is expired by the sweepers (both run).
    give(&http, &a, "u1", "g", 50).await;
    let fp = fingerprint(&http, &a).await;
    let mut short = charge_of(json!({"product": "image/seven"}), 7, &fp);
    short["ttlMs"] = json!(200);
    let made = post(&http, &b, "/v1/accounts/u1/charges", &short).await;
    assert_eq!(made.status, 201, "{}", made.text);
    let id = made.body["id"].as_str().unwrap().to_string();
    let expired = calls::eventually(std::time::Duration::from_secs(10), "expiry", || {
        let (http, a, id) = (http.clone(), &a, id.clone());
        async move {
            let balance = get(&http, a, "/v1/accounts/u1/balance").await;
            (balance.body["held"] == 0).then_some(id)
        }
    })
    .await;
    let charge = get(&http, &b, &format!("/v1/accounts/u1/charges/{expired}")).await;
    assert_eq!(charge.body["status"], "expired", "{}", charge.text);
    let ledger = get(&http, &a, "/v1/accounts/u1/ledger").await;
    let expiries = ledger.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "expire")
        .count();
    assert_eq!(expiries, 1, "expired once: {}", ledger.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_of_one_instance_while_the_other_serves_loses_nothing() {
    let first = crash::server("inst-crash", Some(Backend::Postgres));
    let second = first.another("inst-crash-b");
    crash::run(vec![first, second], crash::cycles(10)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_of_schema_v1_is_migrated_with_its_data() {
    let cluster = Cluster::get();
    // Data written by the service: an account, grants, a settled charge,
    // a pending one, answers under keys.
    let mut source =
        Server::start_backend("inst-v1-source", &test_catalog(), 1000, Backend::Postgres);
    let http = client();
    account(&http, &source, "u1", "empty").await;
    give(&http, &source, "u1", "g", 100).await;
    let fp = fingerprint(&http, &source).await;
    let body = charge_of(json!({"product": "image/seven"}), 7, &fp);
    let path = "/v1/accounts/u1/charges";
    let settled = post_key(&http, &source, path, &body, "k-settled").await;
    assert_eq!(settled.status, 201, "{}", settled.text);
    let id = settled.body["id"].as_str().unwrap().to_string();
    let settle = format!("/v1/accounts/u1/charges/{id}/settle");
    assert_eq!(
        post_key(&http, &source, &settle, &json!({}), "k-s")
            .await
            .status,
        200
    );
    let pending = post_key(&http, &source, path, &body, "k-pending").await;
    assert_eq!(pending.status, 201, "{}", pending.text);
    let before = get(&http, &source, "/v1/accounts/u1/balance").await;
    let ledger_before = get(&http, &source, "/v1/accounts/u1/ledger").await;
    let usage_before = get(&http, &source, "/v1/accounts/u1/usage?by=product").await;
    source.stop();

    // A database at schema version 1, holding those rows.
    let target = cluster.database("inst-v1");
    let url = target.clone();
    let version = blocking(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        genprice::store::postgres::migrate_to(&mut client, 1).unwrap();
        genprice::store::postgres::version_of(&mut client).unwrap()
    });
    assert_eq!(version, 1);
    assert_eq!(
        cluster.psql(
            "inst_v1",
            "SELECT reloptions FROM pg_class WHERE relname = 'accounts'"
        ),
        ""
    );
    cluster.copy_rows("inst_v1_source", "inst_v1", "genprice_schema");

    // The current genprice migrates it at start; the data is all there.
    let server = Server::start_at(
        "inst-v1",
        &test_catalog(),
        PathBuf::from(target),
        Backend::Postgres,
    );
    assert_eq!(
        cluster.psql("inst_v1", "SELECT version FROM genprice_schema"),
        genprice::store::postgres::schema_version().to_string()
    );
    assert_eq!(
        cluster.psql(
            "inst_v1",
            "SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'accounts'"
        ),
        "fillfactor=70"
    );
    // The balance as of now: the same but for its `at`.
    let without_at = |mut v: serde_json::Value| {
        v.as_object_mut().unwrap().remove("at");
        v
    };
    let after = get(&http, &server, "/v1/accounts/u1/balance").await;
    assert_eq!(without_at(after.body), without_at(before.body));
    assert_eq!(
        get(&http, &server, "/v1/accounts/u1/ledger").await.text,
        ledger_before.text
    );
    assert_eq!(
        get(&http, &server, "/v1/accounts/u1/usage?by=product")
            .await
            .text,
        usage_before.text
    );
    // Its keys replay, and it goes on charging.
    let again = post_key(&http, &server, path, &body, "k-settled").await;
    assert_eq!((again.status, &again.text), (201, &settled.text));
    let charged = post_key(&http, &server, path, &body, "k-new").await;
    assert_eq!(charged.status, 201, "{}", charged.text);
    let balance = get(&http, &server, "/v1/accounts/u1/balance").await;
    assert_eq!(balance.body["held"], 14, "{}", balance.text);
    assert_eq!(balance.body["spent"], 7, "{}", balance.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_the_database_closes_are_replaced_without_a_failed_request() {
    let cluster = Cluster::get();
    let server = Server::start_backend("inst-reconnect", &test_catalog(), 1000, Backend::Postgres);
    let http = client();
    account(&http, &server, "u1", "empty").await;
    give(&http, &server, "u1", "g", 1000).await;
    let fp = fingerprint(&http, &server).await;
    let body = charge_of(json!({"product": "image/seven"}), 7, &fp);
    // Every session of the service's database ends (an administrator, a
    // failover): each of its connections finds out at its next BEGIN.
    let ended = cluster.psql(
        "inst_reconnect",
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    );
    assert!(
        ended.parse::<u32>().unwrap() >= 20,
        "{ended} sessions ended"
    );
    for i in 0..40 {
        let key = format!("after-{i}");
        let answer = post_key(&http, &server, "/v1/accounts/u1/charges", &body, &key).await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        let balance = get(&http, &server, "/v1/accounts/u1/balance").await;
        assert_eq!(balance.status, 200, "{}", balance.text);
    }
    let balance = get(&http, &server, "/v1/accounts/u1/balance").await;
    assert_eq!(balance.body["held"], 280, "{}", balance.text);
    assert!(
        server.log().contains("reconnecting"),
        "no reconnection logged: {}",
        server.log()
    );
}
