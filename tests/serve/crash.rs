//! Crash safety of the real `genprice serve`, Jepsen-style (STYLE.md 17):
//! the load, the model and the checks of `tests/serve_crash.rs` (one
//! instance) and `tests/serve_instances.rs` (two on one PostgreSQL
//! database).
//!
//! Under a load of charges, settles, releases and grants — every POST
//! with an `Idempotency-Key` — a server is `kill -9`ed at a random
//! moment, restarted on the same database, and every request that got no
//! answer (its connection failed, or it got a 5xx) is retried with its key
//! until it is answered. With several instances, the clients are spread
//! over them, one instance is killed per cycle (in turn) while the others
//! keep serving, and retries go to the instances in turn, starting with
//! one that was not killed. The test keeps a model of what was acknowledged
//! and, after all cycles, checks the service and the database against it:
//!
//! - every acknowledged charge exists exactly once, and its status is the
//!   one acknowledged (or later in its life: a pending charge may expire);
//! - no idempotency key charged twice: each create key maps to one charge
//!   id, a re-sent create after a restart replays the original bytes, and
//!   the database holds exactly the charges (and hold entries) the model
//!   acknowledged — no orphan from a retry;
//! - for every account, granted = available + upcoming + held + spent +
//!   expired, those figures are the model's, and the ledger (read page by
//!   page) folds to the same figures;
//! - after a final clean stop, the database is intact (SQLite's `PRAGMA
//!   integrity_check`; on PostgreSQL, amcheck's `bt_index_check` on every
//!   index of the service's tables).
//!
//! 20 cycles by default; `GENPRICE_SOAK=1` runs 100 (or
//! `GENPRICE_CRASH_CYCLES=N`). `GENPRICE_CRASH_SEED` picks the seed (the
//! choices of operations and kill times; the interleaving is the
//! machine's).
#![allow(dead_code)]

use crate::harness::{Answer, Backend, KEY, Server, fingerprint, send};
use genprice::Catalog;
use genprice::wallet::{Entry, Wallet};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Accounts under load.
const ACCOUNTS: usize = 6;
/// Credits each account starts with (never runs out under the load).
const START: u64 = 10_000_000;
/// Concurrent clients during a cycle.
const WORKERS: usize = 12;
/// A kill lands this long (ms) after the load starts: from `KILL_MIN` to
/// `KILL_MIN + KILL_SPREAD`.
const KILL_MIN: u64 = 60;
const KILL_SPREAD: u64 = 340;
/// Attempts at one unanswered request after a restart.
const MAX_ATTEMPTS: u32 = 200;
/// Short-lived charges (some expire during the run) last this long at most.
const SHORT_TTL_MS: u64 = 1500;
/// How often the test server sweeps expired charges.
const SWEEP_MS: u64 = 200;

fn catalog_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/serve/catalog.toml")
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap())
        .unwrap()
}

/// SplitMix64: a small seeded generator, so a run's choices can be
/// repeated from its seed.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// In `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// True with probability `percent` %.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// What an operation is, for the model.
#[derive(Debug, Clone)]
enum Kind {
    Create { account: usize, amount: u64 },
    Settle { charge: String, amount: u64 },
    Release { charge: String },
    Grant { account: usize, amount: u64 },
    Account,
}

/// One POST with its key: sent again, byte for byte, until answered.
#[derive(Debug, Clone)]
struct Op {
    key: String,
    path: String,
    body: Value,
    kind: Kind,
}

/// A charge's life as the client heard it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Heard {
    Pending,
    Settled(u64),
    Released,
    Expired,
}

#[derive(Debug, Clone)]
struct ChargeModel {
    account: usize,
    key: String,
    amount: u64,
    expires_at: i64,
    short: bool,
    heard: Heard,
    /// A settle or release was sent (only one per charge).
    resolving: bool,
    /// The create's path, body and answer, to re-send after a restart.
    create: (String, Value, String),
}

#[derive(Default)]
struct Model {
    charges: BTreeMap<String, ChargeModel>,
    /// Create key → charge id.
    by_key: BTreeMap<String, String>,
    granted: Vec<u64>,
}

#[derive(Default)]
struct Stats {
    requests: AtomicU64,
    acknowledged: AtomicU64,
    unanswered: AtomicU64,
    retries: AtomicU64,
    server_errors: AtomicU64,
    replays_checked: AtomicU64,
    /// Unanswered requests whose retry was a replay: they had committed
    /// before the kill.
    committed_unanswered: AtomicU64,
}

struct Run {
    /// The instances' base URLs.
    bases: Vec<String>,
    fingerprint: String,
    http: reqwest::Client,
    model: Mutex<Model>,
    stats: Stats,
    next_key: AtomicU64,
}

fn account_id(i: usize) -> String {
    format!("acct{i}")
}

impl Run {
    fn key(&self, what: &str) -> String {
        format!("{what}-{}", self.next_key.fetch_add(1, Ordering::Relaxed))
    }

    /// The next operation for a worker: resolve a pending charge, or
    /// make a new charge, or (rarely) grant.
    fn choose(&self, rng: &mut Rng) -> Op {
        let account = usize::try_from(rng.below(ACCOUNTS as u64)).unwrap();
        if rng.chance(55) {
            let mut model = self.model.lock().unwrap();
            let open: Vec<String> = model
                .charges
                .iter()
                .filter(|(_, c)| c.heard == Heard::Pending && !c.resolving)
                .map(|(id, _)| id.clone())
                .take(64)
                .collect();
            if !open.is_empty() {
                let id = open[usize::try_from(rng.below(open.len() as u64)).unwrap()].clone();
                let charge = model.charges.get_mut(&id).unwrap();
                charge.resolving = true;
                let path = format!("/v1/accounts/{}/charges/{id}", account_id(charge.account));
                let held = charge.amount;
                drop(model);
                return if rng.chance(65) {
                    let (amount, body) = if rng.chance(50) {
                        (held, json!({}))
                    } else {
                        let part = rng.below(held + 1);
                        (part, json!({"amount": part}))
                    };
                    Op {
                        key: self.key("settle"),
                        path: format!("{path}/settle"),
                        body,
                        kind: Kind::Settle { charge: id, amount },
                    }
                } else {
                    Op {
                        key: self.key("release"),
                        path: format!("{path}/release"),
                        body: json!({"reason": "failed"}),
                        kind: Kind::Release { charge: id },
                    }
                };
            }
        }
        if rng.chance(3) {
            let amount = 1 + rng.below(100);
            let key = self.key("grant");
            return Op {
                path: format!("/v1/accounts/{}/grants", account_id(account)),
                body: json!({"id": key, "source": "promo", "amount": amount}),
                key,
                kind: Kind::Grant { account, amount },
            };
        }
        let (request, amount) = if rng.chance(70) {
            let outputs = 1 + rng.below(4);
            (
                json!({"product": "image/seven", "outputs": outputs}),
                7 * outputs,
            )
        } else {
            let seconds = 1 + rng.below(20);
            (
                json!({"product": "video/clip", "seconds": seconds, "resolution": "480p"}),
                3 * seconds,
            )
        };
        let mut body = json!({"request": request,
            "expect": {"total": amount, "fingerprint": self.fingerprint}});
        if rng.chance(10) {
            body["ttlMs"] = json!(200 + rng.below(SHORT_TTL_MS - 200));
        }
        Op {
            key: self.key("charge"),
            path: format!("/v1/accounts/{}/charges", account_id(account)),
            body,
            kind: Kind::Create { account, amount },
        }
    }

    fn base(&self, instance: usize) -> &str {
        &self.bases[instance % self.bases.len()]
    }

    /// Sends `op` once to `instance`: `None` when it was not answered (no
    /// response, or a 5xx that recorded nothing).
    async fn send(&self, op: &Op, instance: usize) -> Option<Answer> {
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let answer = send(
            &self.http,
            reqwest::Method::POST,
            &format!("{}{}", self.base(instance), op.path),
            Some(KEY),
            Some(&op.body),
            Some(&op.key),
        )
        .await
        .ok()?;
        if answer.status >= 500 {
            self.stats.server_errors.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        Some(answer)
    }

    /// Records an answered operation in the model, checking it.
    fn heard(&self, op: &Op, answer: &Answer) {
        self.stats.acknowledged.fetch_add(1, Ordering::Relaxed);
        let mut model = self.model.lock().unwrap();
        match &op.kind {
            Kind::Create { account, amount } => {
                assert_eq!(answer.status, 201, "{} {}", op.path, answer.text);
                let id = answer.body["id"].as_str().unwrap().to_string();
                assert_eq!(answer.body["amount"], *amount, "{}", answer.text);
                assert_eq!(answer.body["status"], "pending", "{}", answer.text);
                assert!(
                    model.by_key.insert(op.key.clone(), id.clone()).is_none(),
                    "key {} answered twice",
                    op.key
                );
                let charge = ChargeModel {
                    account: *account,
                    key: op.key.clone(),
                    amount: *amount,
                    expires_at: answer.body["expiresAt"].as_i64().unwrap(),
                    short: op.body.get("ttlMs").is_some(),
                    heard: Heard::Pending,
                    resolving: false,
                    create: (op.path.clone(), op.body.clone(), answer.text.clone()),
                };
                if let Some(other) = model.charges.insert(id.clone(), charge) {
                    panic!(
                        "charge {id} answered for key {} and for {}",
                        other.key, op.key
                    );
                }
            }
            Kind::Settle { charge, amount } => {
                let heard = if answer.status == 200 {
                    assert_eq!(answer.body["status"], "settled", "{}", answer.text);
                    assert_eq!(answer.body["settledAmount"], *amount, "{}", answer.text);
                    Heard::Settled(*amount)
                } else {
                    expired_answer(op, answer)
                };
                model.charges.get_mut(charge).unwrap().heard = heard;
            }
            Kind::Release { charge } => {
                let heard = if answer.status == 200 {
                    assert_eq!(answer.body["status"], "released", "{}", answer.text);
                    Heard::Released
                } else {
                    expired_answer(op, answer)
                };
                model.charges.get_mut(charge).unwrap().heard = heard;
            }
            Kind::Grant { account, amount } => {
                assert_eq!(answer.status, 201, "{} {}", op.path, answer.text);
                model.granted[*account] += amount;
            }
            Kind::Account => assert_eq!(answer.status, 201, "{}", answer.text),
        }
    }

    /// Sends `op` until it is answered (after a restart), to the
    /// instances in turn from `first`.
    async fn until_answered(&self, op: Op, first: usize) {
        for attempt in 0..MAX_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            self.stats.retries.fetch_add(1, Ordering::Relaxed);
            let instance = first + usize::try_from(attempt).unwrap();
            if let Some(answer) = self.send(&op, instance).await {
                if answer.header("idempotent-replayed") == Some("true") {
                    self.stats
                        .committed_unanswered
                        .fetch_add(1, Ordering::Relaxed);
                }
                self.heard(&op, &answer);
                return;
            }
        }
        panic!("{} (key {}) never answered", op.path, op.key);
    }

    /// One client during a cycle: operations until the server dies.
    /// Returns the operation that went unanswered, if any.
    async fn worker(
        self: Arc<Self>,
        mut rng: Rng,
        stop: Arc<AtomicBool>,
        instance: usize,
    ) -> Vec<Op> {
        let mut unanswered = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let op = self.choose(&mut rng);
            match self.send(&op, instance).await {
                Some(answer) => self.heard(&op, &answer),
                None => {
                    self.stats.unanswered.fetch_add(1, Ordering::Relaxed);
                    unanswered.push(op);
                    // The server is (most likely) dead: wait for the restart.
                    break;
                }
            }
        }
        unanswered
    }
}

/// A resolution refused because the hold expired first.
fn expired_answer(op: &Op, answer: &Answer) -> Heard {
    assert_eq!(
        (answer.status, answer.code()),
        (409, "hold_expired"),
        "{} {}",
        op.path,
        answer.text
    );
    assert_eq!(answer.body["error"]["charge"]["status"], "expired");
    Heard::Expired
}

/// Crash cycles: `GENPRICE_CRASH_CYCLES`, or 100 with `GENPRICE_SOAK`,
/// or `default`.
pub fn cycles(default: usize) -> usize {
    if let Some(n) = std::env::var("GENPRICE_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return n;
    }
    if std::env::var("GENPRICE_SOAK").is_ok_and(|v| !v.is_empty() && v != "0") {
        100
    } else {
        default
    }
}

fn seed() -> u64 {
    std::env::var("GENPRICE_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x6765_6e70_7269_6365)
}

async fn get(run: &Run, path: &str) -> Answer {
    for _ in 0..50 {
        if let Ok(answer) = send(
            &run.http,
            reqwest::Method::GET,
            &format!("{}{path}", run.base(0)),
            Some(KEY),
            None,
            None,
        )
        .await
        {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("GET {path} never answered");
}

/// The whole ledger of an account, page by page.
async fn ledger(run: &Run, account: &str) -> Vec<Entry> {
    let mut entries = Vec::new();
    let mut after = 0;
    loop {
        let page = get(
            run,
            &format!("/v1/accounts/{account}/ledger?after={after}&limit=1000"),
        )
        .await;
        assert_eq!(page.status, 200, "{}", page.text);
        let got: Vec<Entry> = serde_json::from_value(page.body["entries"].clone()).unwrap();
        entries.extend(got);
        match page.body["next"].as_u64() {
            Some(next) => after = next,
            None => return entries,
        }
    }
}

/// A server for this test: `name`'s directory, the test catalog, a quick
/// sweeper.
pub fn server(name: &str, backend: Option<Backend>) -> Server {
    match backend {
        Some(backend) => Server::start_backend(name, &catalog_path(), SWEEP_MS, backend),
        None => Server::start_with(name, &catalog_path(), SWEEP_MS),
    }
}

/// The crash test over `servers` (instances on one database), `cycles`
/// kills.
pub async fn run(mut servers: Vec<Server>, cycles: usize) {
    let started = Instant::now();
    let seed = seed();
    let n = servers.len();
    eprintln!("serve_crash: {cycles} cycles over {n} instance(s), seed {seed}");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let run = Arc::new(Run {
        bases: servers.iter().map(|s| s.base.clone()).collect(),
        fingerprint: fingerprint(&http, &servers[0]).await,
        http,
        model: Mutex::new(Model {
            granted: vec![0; ACCOUNTS],
            ..Model::default()
        }),
        stats: Stats::default(),
        next_key: AtomicU64::new(1),
    });
    for i in 0..ACCOUNTS {
        let create = Op {
            key: format!("account-{i}"),
            path: "/v1/accounts".into(),
            body: json!({"id": account_id(i), "plan": "empty"}),
            kind: Kind::Account,
        };
        run.until_answered(create, i).await;
        let grant = Op {
            key: format!("start-{i}"),
            path: format!("/v1/accounts/{}/grants", account_id(i)),
            body: json!({"id": "start", "source": "promo", "amount": START}),
            kind: Kind::Grant {
                account: i,
                amount: START,
            },
        };
        run.until_answered(grant, i + 1).await;
    }

    run.stats.retries.store(0, Ordering::Relaxed);
    let mut rng = Rng(seed);
    for cycle in 0..cycles {
        let stop = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                let worker_rng = Rng(seed ^ ((cycle as u64) << 32) ^ (w as u64 + 1));
                tokio::spawn(Arc::clone(&run).worker(worker_rng, Arc::clone(&stop), w % n))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(KILL_MIN + rng.below(KILL_SPREAD))).await;
        let victim = cycle % n;
        tokio::task::block_in_place(|| servers[victim].kill9());
        if n > 1 {
            // The others keep serving their clients while it is down.
            tokio::time::sleep(Duration::from_millis(KILL_MIN + rng.below(KILL_SPREAD))).await;
        }
        stop.store(true, Ordering::Relaxed);
        let mut unanswered = Vec::new();
        for worker in workers {
            unanswered.extend(worker.await.unwrap());
        }
        tokio::task::block_in_place(|| servers[victim].restart());
        assert_eq!(
            servers[victim].base,
            run.base(victim),
            "the restarted server moved"
        );
        // Every request without an answer, again with its key, until it
        // is answered.
        let retries: Vec<_> = unanswered
            .into_iter()
            .map(|op| {
                let run = Arc::clone(&run);
                tokio::spawn(async move { run.until_answered(op, victim + 1).await })
            })
            .collect();
        for retry in retries {
            retry.await.unwrap();
        }
        // A few answered creates, sent again after the restart: the same
        // key replays the same charge, byte for byte.
        let sample: Vec<(String, ChargeModel)> = {
            let model = run.model.lock().unwrap();
            let n = model.charges.len() as u64;
            (0..3)
                .filter_map(|_| {
                    let skip = usize::try_from(rng.below(n)).unwrap();
                    model
                        .charges
                        .iter()
                        .nth(skip)
                        .map(|(id, c)| (id.clone(), c.clone()))
                })
                .collect()
        };
        for (id, charge) in sample {
            let (path, body, text) = &charge.create;
            let instance = usize::try_from(rng.below(n as u64)).unwrap();
            let again = send(
                &run.http,
                reqwest::Method::POST,
                &format!("{}{path}", run.base(instance)),
                Some(KEY),
                Some(body),
                Some(&charge.key),
            )
            .await
            .unwrap();
            assert_eq!(again.status, 201, "{}", again.text);
            assert_eq!(again.body["id"], id.as_str());
            assert_eq!(&again.text, text, "key {} replayed other bytes", charge.key);
            assert_eq!(again.header("idempotent-replayed"), Some("true"));
            run.stats.replays_checked.fetch_add(1, Ordering::Relaxed);
        }
    }
    let load_done = started.elapsed();

    // Let every short-lived charge pass its expiry, so nothing changes
    // while the figures are read.
    let last_expiry = {
        let model = run.model.lock().unwrap();
        model
            .charges
            .values()
            .filter(|c| c.short)
            .map(|c| c.expires_at)
            .max()
            .unwrap_or(0)
    };
    let wait = last_expiry + 2 * i64::try_from(SWEEP_MS).unwrap() - now_ms();
    if wait > 0 {
        tokio::time::sleep(Duration::from_millis(u64::try_from(wait).unwrap())).await;
    }

    let model = run.model.lock().unwrap().charges.clone();
    let granted = run.model.lock().unwrap().granted.clone();
    // Every acknowledged charge exists, once, as acknowledged or later.
    let mut expect_spent = [0u64; ACCOUNTS];
    let mut expect_held = [0u64; ACCOUNTS];
    let mut counts = BTreeMap::<String, usize>::new();
    for (id, charge) in &model {
        let account = account_id(charge.account);
        let found = get(&run, &format!("/v1/accounts/{account}/charges/{id}")).await;
        assert_eq!(found.status, 200, "{id}: {}", found.text);
        assert_eq!(found.body["id"], id.as_str());
        assert_eq!(found.body["amount"], charge.amount);
        let status = found.body["status"].as_str().unwrap().to_string();
        *counts.entry(status.clone()).or_default() += 1;
        match &charge.heard {
            Heard::Pending if charge.short => {
                assert_eq!(status, "expired", "{id}: {}", found.text);
            }
            Heard::Pending => {
                assert_eq!(status, "pending", "{id}: {}", found.text);
                expect_held[charge.account] += charge.amount;
            }
            Heard::Settled(amount) => {
                assert_eq!(status, "settled", "{id}: {}", found.text);
                assert_eq!(found.body["settledAmount"], *amount);
                expect_spent[charge.account] += amount;
            }
            Heard::Released => assert_eq!(status, "released", "{id}: {}", found.text),
            Heard::Expired => assert_eq!(status, "expired", "{id}: {}", found.text),
        }
    }

    // Every account's figures add up, are the model's, and are what its
    // ledger folds to.
    let catalog =
        Catalog::from_toml(&std::fs::read_to_string(catalog_path()).unwrap(), "catalog").unwrap();
    for i in 0..ACCOUNTS {
        let account = account_id(i);
        let balance = get(&run, &format!("/v1/accounts/{account}/balance")).await;
        assert_eq!(balance.status, 200, "{}", balance.text);
        let figure = |name: &str| balance.body[name].as_u64().unwrap();
        assert_eq!(
            figure("granted"),
            figure("available")
                + figure("upcoming")
                + figure("held")
                + figure("spent")
                + figure("expired"),
            "{account}: {}",
            balance.text
        );
        assert_eq!(figure("granted"), granted[i], "{account} granted");
        assert_eq!(figure("spent"), expect_spent[i], "{account} spent");
        assert_eq!(figure("held"), expect_held[i], "{account} held");
        assert_eq!(figure("expired"), 0, "{account}: no grant expires");

        let entries = ledger(&run, &account).await;
        let mut ledger_granted = 0;
        let mut ledger_spent = 0;
        let mut holds = BTreeMap::<String, u64>::new();
        let mut resolved = BTreeSet::<String>::new();
        for entry in &entries {
            match entry {
                Entry::Grant(g) => ledger_granted += g.grant.amount,
                Entry::Refill(r) => ledger_granted += r.grant.amount,
                Entry::Hold(h) => {
                    assert!(
                        holds.insert(h.hold.clone(), h.amount).is_none(),
                        "{account}: hold {} twice in the ledger",
                        h.hold
                    );
                }
                Entry::Settle(s) => {
                    ledger_spent += s.amount;
                    assert!(resolved.insert(s.hold.clone()), "{} resolved twice", s.hold);
                }
                Entry::Release(r) => {
                    assert!(resolved.insert(r.hold.clone()), "{} resolved twice", r.hold);
                }
                Entry::Expire(x) => {
                    for h in &x.holds {
                        assert!(resolved.insert(h.hold.clone()), "{} resolved twice", h.hold);
                    }
                }
            }
        }
        let ledger_held: u64 = holds
            .iter()
            .filter(|(id, _)| !resolved.contains(*id))
            .map(|(_, amount)| amount)
            .sum();
        let acknowledged: BTreeSet<&String> = model
            .iter()
            .filter(|(_, c)| c.account == i)
            .map(|(id, _)| id)
            .collect();
        assert_eq!(
            holds.keys().collect::<BTreeSet<_>>(),
            acknowledged,
            "{account}: the ledger's holds are not the acknowledged charges"
        );
        assert_eq!(
            ledger_granted,
            figure("granted"),
            "{account}: ledger granted"
        );
        assert_eq!(ledger_spent, figure("spent"), "{account}: ledger spent");
        // Holds past their ttl count as expired in the balance even when
        // no expire entry is written yet.
        let due: u64 = holds
            .iter()
            .filter(|(id, _)| !resolved.contains(*id) && model[*id].short)
            .map(|(_, amount)| amount)
            .sum();
        assert_eq!(ledger_held - due, figure("held"), "{account}: ledger held");
        // The core folds the ledger (checking every fact) to the same state.
        let wallet = Wallet::from_entries(catalog.spec().wallet.clone(), entries).unwrap();
        let folded = wallet.balance(now_ms()).unwrap();
        assert_eq!(
            (folded.granted, folded.available, folded.held, folded.spent),
            (
                figure("granted"),
                figure("available"),
                figure("held"),
                figure("spent")
            ),
            "{account}: the ledger folds to another balance"
        );
    }

    // A clean stop, then the database itself.
    for server in &mut servers {
        let status = tokio::task::block_in_place(|| server.stop());
        assert!(status.success(), "server exit: {status}\n{}", server.log());
    }
    let stored = stored(&servers[0]);
    assert!(stored.intact, "the database is not intact");
    let acknowledged: BTreeSet<String> = model.keys().cloned().collect();
    assert_eq!(
        stored.charges.len(),
        acknowledged.len(),
        "charges stored vs acknowledged"
    );
    assert_eq!(stored.charges, acknowledged);
    assert_eq!(
        stored.holds,
        acknowledged.len() as i64,
        "hold entries vs charges"
    );
    assert_eq!(
        stored.charge_keys,
        acknowledged.len() as i64,
        "one key per charge"
    );

    let stats = &run.stats;
    eprintln!(
        "serve_crash: {cycles} cycles over {n} instance(s) in {:.1} s (load {:.1} s): {} requests, {} acknowledged, \
         {} unanswered at a kill ({} of them had committed), {} retry attempts, {} 5xx, {} replays checked; \
         {} charges ({counts:?}), seed {seed}",
        started.elapsed().as_secs_f64(),
        load_done.as_secs_f64(),
        stats.requests.load(Ordering::Relaxed),
        stats.acknowledged.load(Ordering::Relaxed),
        stats.unanswered.load(Ordering::Relaxed),
        stats.committed_unanswered.load(Ordering::Relaxed),
        stats.retries.load(Ordering::Relaxed),
        stats.server_errors.load(Ordering::Relaxed),
        stats.replays_checked.load(Ordering::Relaxed),
        model.len(),
    );
}

/// What the database holds after the run, read directly.
struct Stored {
    /// Its own integrity check passed.
    intact: bool,
    /// Every charge id.
    charges: BTreeSet<String>,
    /// Hold entries in the ledgers.
    holds: i64,
    /// Idempotency records of charge creates.
    charge_keys: i64,
}

const HOLDS: &str = "SELECT count(*) FROM entries WHERE kind = 'hold'";
const CHARGE_KEYS: &str = "SELECT count(*) FROM idempotency WHERE key LIKE 'charge-%'";

fn stored(server: &Server) -> Stored {
    match server.backend {
        Backend::Sqlite => {
            let db = rusqlite::Connection::open(&server.db).unwrap();
            let integrity: String = db
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .unwrap();
            let mut statement = db.prepare("SELECT id FROM charges").unwrap();
            let charges = statement
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            Stored {
                intact: integrity == "ok",
                charges,
                holds: db.query_row(HOLDS, [], |r| r.get(0)).unwrap(),
                charge_keys: db.query_row(CHARGE_KEYS, [], |r| r.get(0)).unwrap(),
            }
        }
        Backend::Postgres => {
            let cluster = crate::harness::pgcluster::Cluster::get();
            let url = server.db.to_string_lossy().to_string();
            let db = url.rsplit('/').next().unwrap();
            // amcheck: every B-tree index of the service's tables is
            // consistent (it raises an error otherwise, and psql fails).
            cluster.psql(db, "CREATE EXTENSION IF NOT EXISTS amcheck");
            let checked = cluster.psql(
                db,
                "SELECT count(bt_index_check(c.oid, true)) FROM pg_index i
                 JOIN pg_class c ON c.oid = i.indexrelid
                 JOIN pg_am am ON am.oid = c.relam
                 WHERE am.amname = 'btree' AND i.indrelid IN
                 ('accounts'::regclass, 'entries'::regclass, 'charges'::regclass,
                  'idempotency'::regclass, 'spend'::regclass)",
            );
            Stored {
                intact: checked.parse::<u32>().unwrap() >= 7,
                charges: cluster
                    .psql(db, "SELECT id FROM charges")
                    .lines()
                    .map(str::to_string)
                    .collect(),
                holds: cluster.psql(db, HOLDS).parse().unwrap(),
                charge_keys: cluster.psql(db, CHARGE_KEYS).parse().unwrap(),
            }
        }
    }
}
