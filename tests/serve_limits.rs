//! Hostile clients against the spawned `genprice serve` (issue 14): ten
//! thousand idle connections, a client that sends one byte a second, a
//! body far over the limit. Each is refused with a code or served within
//! bounded memory; the limits are stated in the README ("Limits").
//!
//! The idle-connection test needs 10,000 file descriptors in this process
//! and in the server (`ulimit -n`; scripts/test.sh raises it).
#![cfg(all(feature = "server", not(target_arch = "wasm32")))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "serve/harness.rs"]
mod harness;

use harness::{KEY, Server};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// How long the server waits for a request's headers (`header_read_timeout`).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

fn address(server: &Server) -> String {
    server.base.trim_start_matches("http://").to_string()
}

/// The server's resident memory, in KiB.
fn rss_kib(server: &Server) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid())).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// One request on a new connection; the status line's code.
fn status_of(server: &Server, request: &[u8]) -> u16 {
    let mut stream = TcpStream::connect(address(server)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace()
        .nth(1)
        .unwrap_or("0")
        .parse()
        .unwrap()
}

/// Whether the server closed `stream` (EOF or reset) by `deadline`.
fn closed_by(stream: &mut TcpStream, deadline: Instant) -> bool {
    let mut byte = [0u8; 512];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        stream.set_read_timeout(Some(left)).unwrap();
        match stream.read(&mut byte) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return true,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false;
            }
            Err(e) => panic!("reading: {e}"),
        }
    }
}

#[test]
fn ten_thousand_idle_connections_cost_bounded_memory_and_are_closed() {
    let server = Server::start("limits-idle");
    let before = rss_kib(&server);
    // From 20 threads, so that a SYN the loaded machine drops (retried a
    // second later) holds up one thread, not all.
    let opened = Instant::now();
    let addr = address(&server);
    let threads: Vec<_> = (0..20)
        .map(|t| {
            let addr = addr.clone();
            std::thread::spawn(move || {
                (0..500)
                    .map(|i| match TcpStream::connect(&addr) {
                        Ok(stream) => stream,
                        Err(e) => {
                            panic!("connection {t}/{i}: {e} (raise `ulimit -n` above 10,000)")
                        }
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut idle: Vec<TcpStream> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert_eq!(idle.len(), 10_000);
    // All open in the server at once, and a real request is still served.
    // The kernel queues up to 4,096 not yet accepted (the server's listen
    // backlog), so the count is polled until the server has caught up,
    // well inside the 10 s a connection may idle.
    let descriptors = || {
        std::fs::read_dir(format!("/proc/{}/fd", server.pid()))
            .unwrap()
            .count()
    };
    let caught_up = Instant::now() + Duration::from_secs(5);
    let mut open = descriptors();
    while open < 10_000 && Instant::now() < caught_up {
        std::thread::sleep(Duration::from_millis(50));
        open = descriptors();
    }
    println!(
        "10,000 connections opened in {:?}; the server holds {open} descriptors",
        opened.elapsed()
    );
    assert!(open >= 10_000, "only {open} descriptors open in the server");
    let health = b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    assert_eq!(status_of(&server, health), 200);
    let during = rss_kib(&server);
    println!("server RSS {before} KiB before, {during} KiB with 10,000 idle connections");
    assert!(
        during < before + 200 * 1024,
        "10,000 idle connections took {} KiB",
        during - before
    );
    // None of them sent a request: each is closed at the header timeout.
    let deadline = Instant::now() + HEADER_TIMEOUT + Duration::from_secs(20);
    for (i, stream) in idle.iter_mut().enumerate() {
        assert!(
            closed_by(stream, deadline),
            "idle connection {i} still open"
        );
    }
    drop(idle);
    assert_eq!(status_of(&server, health), 200);
}

#[test]
fn a_client_sending_one_byte_a_second_is_cut_off_at_the_header_timeout() {
    let server = Server::start("limits-slow");
    let mut stream = TcpStream::connect(address(&server)).unwrap();
    let request =
        format!("GET /v1/accounts/u1 HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {KEY}\r\n\r\n");
    let started = Instant::now();
    let mut sent = 0;
    let mut cut = false;
    for byte in request.as_bytes() {
        if stream.write_all(&[*byte]).is_err() {
            cut = true;
            break;
        }
        sent += 1;
        if closed_by(&mut stream, Instant::now() + Duration::from_secs(1)) {
            cut = true;
            break;
        }
    }
    assert!(cut, "the whole request went through, one byte a second");
    assert!(sent < request.len(), "{sent} bytes");
    // Cut off at the timeout, not before it.
    assert!(
        started.elapsed() >= HEADER_TIMEOUT,
        "{:?}",
        started.elapsed()
    );
    let health = b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    assert_eq!(status_of(&server, health), 200);
}

#[test]
fn a_body_over_the_limit_is_payload_too_large() {
    let server = Server::start("limits-body");
    // A scene of 10,000 items with 100 options each is about 12 MB.
    let body = vec![b' '; 12 << 20];
    let head = format!(
        "POST /v1/accounts/u1/quote HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {KEY}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut stream = TcpStream::connect(address(&server)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    // The server answers without reading the body; the write may fail.
    let _ = stream.write_all(&body);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("\"code\":\"payload_too_large\""), "{text}");
}
