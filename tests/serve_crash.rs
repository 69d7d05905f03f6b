//! Crash safety of the real `genprice serve` (STYLE.md 17): `kill -9`
//! under load, restart, retry every unanswered request with its key, then
//! check the service and the database against a model of what was
//! acknowledged. The load, the model and the checks are in
//! `tests/serve/crash.rs`; this is the one-instance run, on the backend the
//! harness is given (`GENPRICE_TEST_BACKEND`). Two instances on one
//! PostgreSQL database: `tests/serve_instances.rs`.
#![cfg(all(feature = "server", not(target_arch = "wasm32")))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "serve/harness.rs"]
mod harness;

#[path = "serve/crash.rs"]
mod crash;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_under_load_loses_nothing_and_charges_no_key_twice() {
    let server = crash::server("crash", None);
    crash::run(vec![server], crash::cycles(20)).await;
}
