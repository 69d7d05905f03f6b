//! `genprice serve` on PostgreSQL, one instance and two, against what the
//! cluster allows.
//!
//! `cargo bench --bench serve_pg` (or `scripts/bench-serve --pg`) starts a
//! throwaway cluster with `fsync` on (tests/serve/pgcluster.rs; Debian's
//! server binaries) and measures, in one run on this machine:
//!
//! 1. the raw rate of single-row durable transactions on that cluster, on
//!    one connection: `BEGIN; INSERT (prepared); COMMIT` in a loop, each
//!    commit flushed to the WAL (`synchronous_commit = on`);
//! 2. the service's hold+settle pairs per second (a charge, then its
//!    settle, each with an idempotency key; each client on its own account
//!    and keep-alive connection) at concurrency 1, 16 and 64, with one
//!    instance and with two on the same database (client `i` talks to
//!    instance `i % n`), 16 writer connections each, and with one instance
//!    of 32 (as many connections as the two), with p50/p99 pair latency
//!    and the writers' time in jobs and in `COMMIT` per job (their stats
//!    line).
//!
//! Targets (issue 13): at concurrency 1, ≥ 50 % of the raw rate (a pair is
//! two durable transactions, so 50 % is also the ceiling); at 64, two
//! instances faster than one.
//!
//! `cargo test --benches` runs this once in test mode: a few hundred
//! milliseconds per figure, checking only that every part works.
#![allow(
    missing_docs,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::float_arithmetic,
    reason = "a benchmark: failures may abort, and figures are printed as decimals"
)]

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const KEY: &str = "gps_sk_bench_secret";

#[path = "common/conn.rs"]
mod conn;
use conn::Conn;

#[path = "../tests/serve/pgcluster.rs"]
mod pgcluster;
use pgcluster::Cluster;

struct Plan {
    warm: Duration,
    measure: Duration,
    raw: Duration,
}

fn catalog() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/serve/catalog.toml")
}

/// Single-row durable transactions per second on one connection, and the
/// mean `COMMIT` time.
fn raw(url: &str, time: Duration) -> (f64, Duration) {
    let url = url.to_string();
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        client
            .batch_execute(
                "DROP TABLE IF EXISTS raw; CREATE TABLE raw (id BIGSERIAL PRIMARY KEY, v TEXT NOT NULL)",
            )
            .unwrap();
        let insert = client.prepare("INSERT INTO raw (v) VALUES ($1)").unwrap();
        let started = Instant::now();
        let mut commit = Duration::ZERO;
        let mut n = 0u32;
        while started.elapsed() < time {
            client.batch_execute("BEGIN").unwrap();
            client.execute(&insert, &[&"a row of a few bytes"]).unwrap();
            let committing = Instant::now();
            client.batch_execute("COMMIT").unwrap();
            commit += committing.elapsed();
            n += 1;
        }
        (
            f64::from(n) / started.elapsed().as_secs_f64(),
            commit / n.max(1),
        )
    })
    .join()
    .unwrap()
}

/// CPU ticks (user + system) a process has used, from `/proc/PID/stat`.
fn ticks_of(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // After the command's closing parenthesis: state, ppid, … utime is the
    // 12th field from there, stime the 13th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(11) + field(12)
}

/// The processes whose parent is `parent`.
fn children_of(parent: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(parent) {
            found.push(pid);
        }
    }
    found
}

/// The machine's CPU ticks from `/proc/stat`: (busy, all).
fn machine_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let numbers: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .filter_map(|n| n.parse().ok())
        .collect();
    let all: u64 = numbers.iter().sum();
    // idle and iowait are the 4th and 5th.
    let idle = numbers.get(3).copied().unwrap_or(0) + numbers.get(4).copied().unwrap_or(0);
    (all - idle, all)
}

/// CPU used over the measured window: by the genprice instances, by the
/// cluster (postmaster and backends), and the machine's busy share.
#[derive(Default, Clone, Copy)]
struct Cpu {
    genprice: u64,
    postgres: u64,
    busy: u64,
    all: u64,
}

fn sample(instances: &[u32], postmaster: u32) -> Cpu {
    let (busy, all) = machine_ticks();
    let postgres = ticks_of(postmaster)
        + children_of(postmaster)
            .into_iter()
            .map(ticks_of)
            .sum::<u64>();
    Cpu {
        genprice: instances.iter().map(|&p| ticks_of(p)).sum(),
        postgres,
        busy,
        all,
    }
}

struct Server {
    child: Child,
    addr: String,
    log: PathBuf,
}

/// The writers' stats line of a server log: (jobs, run ms, commit ms).
fn writer_stats(log: &str) -> Option<(u64, u64, u64)> {
    let line = log.lines().rev().find(|l| l.contains("writer stats"))?;
    let field = |name: &str| -> Option<u64> {
        let at = line.find(&format!("{name}="))? + name.len() + 1;
        line[at..]
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    };
    Some((field("jobs")?, field("run_ms")?, field("commit_ms")?))
}

impl Server {
    fn start(dir: &Path, name: &str, url: &str, writers: usize) -> Server {
        let log = dir.join(format!("{name}.log"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_genprice"))
            .args(["serve", "--listen", "127.0.0.1:0", "--catalog"])
            .arg(catalog())
            .arg("--db")
            .arg(url)
            .arg("--db-writers")
            .arg(writers.to_string())
            .env("GENPRICE_SECRET_KEY", KEY)
            .env("GENPRICE_LOG", "warn,genprice::store::stats=info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let bound: Value = serde_json::from_str(line.trim()).unwrap_or_else(|e| {
            let _ = child.kill();
            panic!(
                "server did not start ({e}): {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        });
        Server {
            child,
            addr: bound["listening"].as_str().unwrap().to_string(),
            log,
        }
    }

    /// SIGTERM, wait, and the writers' stats.
    fn stop(mut self) -> Option<(u64, u64, u64)> {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.wait();
        writer_stats(&std::fs::read_to_string(&self.log).unwrap_or_default())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Level {
    instances: usize,
    writers: usize,
    concurrency: usize,
    pairs: usize,
    seconds: f64,
    p50: Duration,
    p99: Duration,
    /// Summed over the instances: jobs, ms in jobs, ms in BEGIN/COMMIT.
    stats: (u64, u64, u64),
    /// CPU over the measured window (ticks of 10 ms).
    cpu: Cpu,
}

/// The `"id"` of a charge body.
fn charge_id(body: &[u8]) -> String {
    let text = std::str::from_utf8(body).unwrap();
    let start = text.find("\"id\":\"").expect("a charge id") + 6;
    let end = start + text[start..].find('"').unwrap();
    text[start..end].to_string()
}

/// Hold+settle pairs from `concurrency` clients over `instances` servers on
/// a fresh database.
fn pairs(
    cluster: &Cluster,
    dir: &Path,
    (instances, writers): (usize, usize),
    concurrency: usize,
    plan: &Plan,
    runtime: &tokio::runtime::Runtime,
) -> Level {
    let name = format!("bench_i{instances}_w{writers}_c{concurrency}");
    let url = cluster.database(&name);
    let servers: Vec<Server> = (0..instances)
        .map(|i| Server::start(dir, &format!("{name}-{i}"), &url, writers))
        .collect();
    let addrs: Vec<String> = servers.iter().map(|s| s.addr.clone()).collect();
    let pids: Vec<u32> = servers.iter().map(|s| s.child.id()).collect();
    let postmaster: u32 = std::fs::read_to_string(cluster.dir.join("data/postmaster.pid"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let (mut latencies, seconds, cpu) = runtime.block_on(async {
        let mut setup = Conn::open(&addrs[0]).await;
        let (_, catalog) = setup.request("GET", "/v1/catalog", None, "").await;
        let catalog: Value = serde_json::from_slice(&catalog).unwrap();
        let fingerprint = catalog["fingerprint"].as_str().unwrap().to_string();
        for i in 0..concurrency {
            let account = json!({"id": format!("b{i}"), "plan": "empty"}).to_string();
            let (status, body) = setup.request("POST", "/v1/accounts", None, &account).await;
            assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
            let grant = json!({"id": "g", "source": "promo", "amount": 1_000_000_000_000u64});
            let path = format!("/v1/accounts/b{i}/grants");
            let (status, body) = setup.request("POST", &path, None, &grant.to_string()).await;
            assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        }
        let charge = Arc::new(
            json!({"request": {"product": "image/seven"},
                "expect": {"total": 7, "fingerprint": fingerprint}})
            .to_string(),
        );
        let measure_from = Instant::now() + plan.warm;
        let end = measure_from + plan.measure;
        let sampler = std::thread::spawn(move || {
            std::thread::sleep(measure_from.saturating_duration_since(Instant::now()));
            let first = sample(&pids, postmaster);
            std::thread::sleep(end.saturating_duration_since(Instant::now()));
            let last = sample(&pids, postmaster);
            Cpu {
                genprice: last.genprice.saturating_sub(first.genprice),
                postgres: last.postgres.saturating_sub(first.postgres),
                busy: last.busy - first.busy,
                all: last.all - first.all,
            }
        });
        let clients: Vec<_> = (0..concurrency)
            .map(|i| {
                let (addr, charge) = (addrs[i % addrs.len()].clone(), Arc::clone(&charge));
                tokio::spawn(async move {
                    let mut conn = Conn::open(&addr).await;
                    let mut latencies = Vec::new();
                    let mut n = 0u64;
                    loop {
                        let began = Instant::now();
                        if began >= end {
                            return latencies;
                        }
                        n += 1;
                        let path = format!("/v1/accounts/b{i}/charges");
                        let key = format!("c{i}-{n}");
                        let (status, body) = conn.request("POST", &path, Some(&key), &charge).await;
                        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
                        let path = format!("{path}/{}/settle", charge_id(&body));
                        let key = format!("s{i}-{n}");
                        let (status, body) = conn.request("POST", &path, Some(&key), "{}").await;
                        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
                        if began >= measure_from {
                            latencies.push(began.elapsed());
                        }
                    }
                })
            })
            .collect();
        let mut all = Vec::new();
        for client in clients {
            all.extend(client.await.unwrap());
        }
        let cpu = sampler.join().unwrap();
        (all, (Instant::now() - measure_from).as_secs_f64(), cpu)
    });
    let mut stats = (0, 0, 0);
    for server in servers {
        if let Some((jobs, run, commit)) = server.stop() {
            stats = (stats.0 + jobs, stats.1 + run, stats.2 + commit);
        }
    }
    latencies.sort();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Level {
        instances,
        writers,
        concurrency,
        pairs: latencies.len(),
        seconds,
        p50: at(0.50),
        p99: at(0.99),
        stats,
        cpu,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let plan = if bench {
        Plan {
            warm: Duration::from_secs(1),
            measure: Duration::from_secs(5),
            raw: Duration::from_secs(4),
        }
    } else {
        Plan {
            warm: Duration::from_millis(100),
            measure: Duration::from_millis(300),
            raw: Duration::from_millis(300),
        }
    };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-serve-pg");
    std::fs::create_dir_all(&dir).unwrap();
    let cluster = Cluster::durable();
    let raw_url = cluster.database("bench_raw");
    let (raw_rate, raw_commit) = raw(&raw_url, plan.raw);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // One instance and two with the default 16 writer connections each,
    // then one instance with as many connections as those two.
    let setups = [(1, 16), (2, 16), (1, 32)];
    let mut levels = Vec::new();
    for setup in setups {
        for concurrency in [1, 16, 64] {
            levels.push(pairs(cluster, &dir, setup, concurrency, &plan, &runtime));
        }
    }
    let (raw_after, raw_commit_after) = raw(&raw_url, plan.raw);

    println!();
    println!(
        "genprice serve on PostgreSQL on this machine ({}):",
        if bench {
            "bench"
        } else {
            "test mode, figures meaningless"
        }
    );
    println!(
        "raw PostgreSQL, one connection, BEGIN; INSERT; COMMIT (fsync on, synchronous_commit on): \
         {raw_rate:.0} tx/s (mean COMMIT {:.3} ms); again after the service: {raw_after:.0} tx/s \
         (mean COMMIT {:.3} ms); % of raw below is of the first",
        ms(raw_commit),
        ms(raw_commit_after)
    );
    println!();
    println!(
        "| instances | writers each | concurrency | pairs/s | durable writes/s | % of raw | p50 pair ms | p99 pair ms | ms in job per job | ms in BEGIN+COMMIT per job | CPU ms/pair genprice | CPU ms/pair postgres | machine busy |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for level in &levels {
        let rate = level.pairs as f64 / level.seconds;
        let (jobs, run, commit) = level.stats;
        let per_job = |total: u64| format!("{:.3}", total as f64 / jobs.max(1) as f64);
        println!(
            "| {} | {} | {} | {rate:.0} | {:.0} | {:.0} % | {:.2} | {:.2} | {} | {} | {:.2} | {:.2} | {:.0} % |",
            level.instances,
            level.writers,
            level.concurrency,
            2.0 * rate,
            100.0 * rate / raw_rate,
            ms(level.p50),
            ms(level.p99),
            per_job(run),
            per_job(commit),
            10.0 * level.cpu.genprice as f64 / level.pairs.max(1) as f64,
            10.0 * level.cpu.postgres as f64 / level.pairs.max(1) as f64,
            100.0 * level.cpu.busy as f64 / level.cpu.all.max(1) as f64,
        );
    }
    for c in [1, 16, 64] {
        let rate = |setup: (usize, usize)| {
            levels
                .iter()
                .find(|l| (l.instances, l.writers) == setup && l.concurrency == c)
                .map_or(0.0, |l| l.pairs as f64 / l.seconds)
        };
        println!(
            "concurrency {c}: two instances / one = {:.2}; two instances / one with 32 writers = {:.2}",
            rate((2, 16)) / rate((1, 16)).max(f64::MIN_POSITIVE),
            rate((2, 16)) / rate((1, 32)).max(f64::MIN_POSITIVE)
        );
    }
    println!();
    println!(
        "(writer figures cover each server's whole life, setup and warm-up included; CPU figures the \
         measured window, in ticks of 10 ms; machine busy counts every process on the machine)"
    );
    for level in &levels {
        assert!(
            level.pairs > 0,
            "no pair completed with {} instance(s) at concurrency {}",
            level.instances,
            level.concurrency
        );
    }
}
