//! Signals to the real `genprice serve`: handled from the moment it says
//! it is listening.
#![cfg(all(feature = "server", not(target_arch = "wasm32")))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "serve/harness.rs"]
mod harness;

use harness::{Server, client, get};

#[tokio::test]
async fn a_hangup_right_after_listening_reloads_and_does_not_kill() {
    for round in 0..5 {
        let mut server = Server::start(&format!("early-hup-{round}"));
        server.signal("HUP");
        let health = get(&client(), &server, "/healthz").await;
        assert_eq!(health.status, 200, "round {round}: {}", server.log());
        let status = server.stop();
        assert!(
            status.success(),
            "round {round}: {status:?}\n{}",
            server.log()
        );
    }
}
