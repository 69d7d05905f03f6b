//! What a wallet operation costs as the ledger grows.
//!
//! `cargo bench --bench wallet` builds, through the public API, a wallet
//! with a daily grant and 50 settled holds a day (each day's grant expires
//! unspent into an expire entry), once with 10 entries and once with
//! 1,000,000, and measures on each:
//!
//! - one hold + settle (target: the 1 M wallet at most 2× the small one);
//! - one balance;
//! - `Wallet::from_entries`, replaying the whole ledger (target: 1 M
//!   entries in at most 1 s);
//!
//! and, with a counting allocator, the bytes of memory a pending hold and a
//! live grant take (state, indexes and log entry together, then the log's
//! share alone). It prints a summary table after criterion's own figures.
//!
//! `cargo test --benches` runs every benchmark once on small sizes (a 10 k
//! entry "large" wallet), so CI stays fast.
#![allow(
    missing_docs,
    unsafe_code,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::float_arithmetic,
    reason = "a benchmark: the counting allocator needs unsafe, and failures may abort"
)]

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use genprice::wallet::{Grant, GrantSource, HoldRequest, Metadata, Millis, Wallet};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

/// The system allocator, counting the bytes currently allocated.
struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counter is only arithmetic on the sizes passed in.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE_BYTES.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live_bytes() -> isize {
    LIVE_BYTES.load(Ordering::Relaxed)
}

const DAY: Millis = 86_400_000;
const HOLDS_PER_DAY: i64 = 50;

/// `cargo bench` passes `--bench`; `cargo test --benches` does not.
fn full_size() -> bool {
    std::env::args().any(|a| a == "--bench")
}

fn grant(id: &str, source: GrantSource, amount: u64, at: Millis, expires: Option<Millis>) -> Grant {
    Grant {
        id: id.into(),
        source,
        amount,
        effective_at: at,
        expires_at: expires,
        priority: 0,
    }
}

fn hold(id: String, amount: u64) -> HoldRequest {
    HoldRequest {
        id,
        amount,
        ttl: 600_000,
        metadata: Metadata::default(),
    }
}

/// A wallet of about `entries` entries (at most that many): a daily grant of 1,000 that
/// expires at the end of its day, and 50 holds of 10 settled for 7 a day.
/// Then a never-expiring pack, so the benchmark's own holds never run out,
/// and the time to run them at.
fn history(entries: usize) -> (Wallet, Millis) {
    let mut wallet = Wallet::default();
    let none = Metadata::default();
    let mut day = 0i64;
    'days: loop {
        let start = day * DAY;
        let daily = grant(
            &format!("daily/{day}"),
            GrantSource::Daily,
            1_000,
            start,
            Some(start + DAY),
        );
        wallet.grant(&daily, &none, start).unwrap();
        for i in 0..HOLDS_PER_DAY {
            // Two entries a hold, and one left for the pack.
            if wallet.entries().len() + 3 > entries {
                break 'days;
            }
            let at = start + 1 + i * 60_000;
            let id = format!("gen-{day}-{i}");
            wallet.hold(&hold(id.clone(), 10), at).unwrap();
            wallet.settle(&id, 7, at + 30_000).unwrap();
        }
        day += 1;
    }
    let now = wallet.last_at().unwrap_or(0);
    let pack = grant("pack", GrantSource::Topup, 1 << 50, now, None);
    wallet.grant(&pack, &none, now).unwrap();
    (wallet, now)
}

/// One hold of 10 settled for 7 at `now`.
fn hold_settle(wallet: &mut Wallet, n: u64, now: Millis) {
    let id = format!("bench-{n}");
    wallet.hold(&hold(id.clone(), 10), now).unwrap();
    wallet.settle(&id, 7, now).unwrap();
}

/// Mean time of `f` over `runs` runs (after one warm-up run).
fn mean(runs: u32, mut f: impl FnMut()) -> Duration {
    f();
    let started = Instant::now();
    for _ in 0..runs {
        f();
    }
    started.elapsed() / runs
}

/// Bytes allocated per call of `add`, over `n` calls on `wallet`; and the
/// share of the log (the appended entries, copied).
fn bytes_per(wallet: &mut Wallet, n: u64, mut add: impl FnMut(&mut Wallet, u64)) -> (f64, f64) {
    let entries = wallet.entries().len();
    let before = live_bytes();
    for i in 0..n {
        add(wallet, i);
    }
    let total = (live_bytes() - before) as f64 / n as f64;
    let before = live_bytes();
    let log: Vec<_> = wallet.entries()[entries..].to_vec();
    let share = (live_bytes() - before) as f64 / n as f64;
    drop(log);
    (total, share)
}

fn bench(c: &mut Criterion) {
    let large_size = if full_size() { 1_000_000 } else { 10_000 };
    let (small, small_now) = history(10);
    let (mut large, large_now) = history(large_size);
    let large_entries = large.entries().len();
    let small_entries = small.entries().len();

    let mut group = c.benchmark_group("wallet");
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    group.bench_function(format!("balance/{small_entries}_entries"), |b| {
        b.iter(|| black_box(&small).balance(small_now).unwrap())
    });
    group.bench_function(format!("balance/{large_entries}_entries"), |b| {
        b.iter(|| black_box(&large).balance(large_now).unwrap())
    });
    group.bench_function(format!("replay/{small_entries}_entries"), |b| {
        b.iter_batched(
            || small.entries().to_vec(),
            |entries| Wallet::from_entries(Default::default(), entries).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.sample_size(10);
    group.bench_function(format!("replay/{large_entries}_entries"), |b| {
        b.iter_batched(
            || large.entries().to_vec(),
            |entries| Wallet::from_entries(Default::default(), entries).unwrap(),
            BatchSize::PerIteration,
        )
    });
    // Last, as it makes the large wallet grow by two entries a run.
    group.sample_size(100);
    group.bench_function(format!("hold_settle/{small_entries}_entries"), |b| {
        b.iter_batched(
            || small.clone(),
            |mut wallet| {
                hold_settle(&mut wallet, 0, small_now);
                wallet
            },
            BatchSize::SmallInput,
        )
    });
    let mut n = 0u64;
    group.bench_function(format!("hold_settle/{large_entries}_entries"), |b| {
        b.iter(|| {
            n += 1;
            hold_settle(&mut large, n, large_now);
        })
    });
    group.finish();

    // The summary, measured again on fresh wallets so the large one has
    // exactly its entries (the criterion runs above made it grow).
    let (small, small_now) = history(10);
    let (large, large_now) = history(large_size);
    let runs = if full_size() { 20_000 } else { 100 };
    println!("\nwallet summary (per operation)");
    println!("| entries | hold + settle: median (mean) | balance: mean | replay (from_entries) |");
    println!("|---|---|---|---|");
    for (wallet, now) in [(small, small_now), (large, large_now)] {
        let entries = wallet.entries().to_vec();
        let len = entries.len();
        // A small wallet is copied before each run so it stays small; the
        // large one grows by two entries a run.
        // Each run is timed alone: the median leaves out the rare run that
        // grows a hash table or the log (the mean counts it).
        let mut grown = wallet.clone();
        let mut times = Vec::new();
        for i in 0..u64::from(runs) {
            let mut copy = (len < 1_000).then(|| wallet.clone());
            let target = copy.as_mut().unwrap_or(&mut grown);
            let started = Instant::now();
            hold_settle(target, i, now);
            times.push(started.elapsed());
        }
        times.sort_unstable();
        let median = times[times.len() / 2];
        let mean_op = times.iter().sum::<Duration>() / runs;
        let balance = mean(runs, || {
            black_box(wallet.balance(now).unwrap());
        });
        let replay_runs = if len > 100_000 { 3 } else { 20 };
        let mut replay = Duration::ZERO;
        for _ in 0..replay_runs {
            let copy = entries.clone();
            let started = Instant::now();
            let again = Wallet::from_entries(Default::default(), copy).unwrap();
            replay += started.elapsed();
            drop(black_box(again));
        }
        let replay = replay / replay_runs;
        println!("| {len} | {median:.2?} ({mean_op:.2?}) | {balance:.2?} | {replay:.2?} |");
    }

    let n = if full_size() { 100_000 } else { 1_000 };
    let (mut wallet, now) = history(10);
    let (hold_bytes, hold_log) = bytes_per(&mut wallet, n, |w, i| {
        w.hold(&hold(format!("pending-{i:08}"), 1), now).unwrap();
    });
    let mut wallet = Wallet::default();
    let (grant_bytes, grant_log) = bytes_per(&mut wallet, n, |w, i| {
        let g = grant(&format!("pack-{i:08}"), GrantSource::Topup, 100, 0, None);
        w.grant(&g, &Metadata::default(), 0).unwrap();
    });
    println!("\nwallet memory (bytes each, over {n}; ids of 13 to 16 bytes, no metadata)");
    println!("| what | state + indexes + log | of which the log entry |");
    println!("|---|---|---|");
    println!("| pending hold (one allocation) | {hold_bytes:.0} | {hold_log:.0} |");
    println!("| live grant | {grant_bytes:.0} | {grant_log:.0} |");
}

criterion_group!(benches, bench);
criterion_main!(benches);
