//! Model-based property tests of the wallet (proptest).
//!
//! Random sequences of grant / hold / settle / release / expire / refill /
//! preview / balance and exact retries, at random times (mostly increasing,
//! sometimes equal, now and then earlier), are run against the wallet and
//! against a small reference model written separately below (vectors and
//! linear scans, no ledger). After every step the test checks that both gave
//! the same answer and hold the same figures, and the invariants: credits
//! are conserved, nothing goes below zero, a hold never resolves twice, a
//! failed operation and a retry change nothing, a preview matches the hold
//! that follows, and the new entries folded into a replica give the same
//! wallet. At the end of each case the whole ledger is replayed from JSON.
//!
//! CI runs 1,000 cases (over 100 k operations); `GENPRICE_LONG=1` runs
//! 10,000 (over 1 M), best in release:
//! `GENPRICE_LONG=1 cargo test --release --test wallet_properties -- --nocapture`.
//!
//! A failure prints the minimal failing sequence, and proptest saves its
//! seed in `tests/wallet_properties.proptest-regressions`, replayed first on
//! the next run.
#![cfg(all(feature = "native", not(target_arch = "wasm32")))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use genprice::ErrorCode;
use genprice::wallet::{
    Allowance, Answer, Command, Entry, Grant, GrantSource, HoldRequest, HoldStatus, Metadata,
    Millis, Refill, Rollover, Wallet, WalletError, WalletPolicy,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestRunner};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::time::Instant;

/// Cases in CI: at least 100 k operations.
const CASES: u32 = 1000;
/// Cases in the long mode (`GENPRICE_LONG=1`): at least 1 M operations.
const LONG_CASES: u32 = 10_000;
const MIN_OPS: usize = 100;
const MAX_OPS: usize = 130;
/// Length of a refill period in these tests (ms).
const PERIOD: Millis = 3000;

// ---------------------------------------------------------------------------
// The reference model.

#[derive(Clone, Debug)]
struct MGrant {
    grant: Grant,
    metadata: Metadata,
    available: u64,
    held: u64,
    spent: u64,
    expired: u64,
}

impl MGrant {
    fn expired_at(&self, now: Millis) -> bool {
        matches!(self.grant.expires_at, Some(t) if t <= now)
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum MState {
    Pending,
    Settled(u64),
    Released,
    Expired,
}

#[derive(Clone, Debug)]
struct MHold {
    id: String,
    amount: u64,
    ttl: Millis,
    metadata: Metadata,
    expires_at: Millis,
    allocations: Vec<(String, u64)>,
    state: MState,
}

#[derive(Clone, Debug)]
struct MRefill {
    key: String,
    allowance: String,
    start: Millis,
    end: Millis,
    seats: u64,
}

#[derive(Clone, Debug)]
struct Model {
    policy: WalletPolicy,
    grants: Vec<MGrant>,
    holds: Vec<MHold>,
    refills: Vec<MRefill>,
    last: Option<Millis>,
}

/// What the model expects of an operation.
#[derive(Debug, PartialEq)]
enum Expect {
    Replayed,
    /// A hold: grant and amount per allocation.
    Held(Vec<(String, u64)>),
    /// A settle or release: grant, charged, returned, expired per line.
    Resolved(Vec<(String, u64, u64, u64)>),
    /// A grant or refill was appended.
    Appended,
    /// An expire: whether an entry was appended.
    Expire(bool),
    /// A balance: granted, available, upcoming, held, spent, expired.
    Balance([u64; 6]),
    /// A preview: allocations and available after.
    Preview(Vec<(String, u64)>, u64),
}

/// The model's error: a code, and the available figure of an
/// insufficient_credits.
type MError = (ErrorCode, Option<u64>);

impl Model {
    fn grant(&self, id: &str) -> Option<&MGrant> {
        self.grants.iter().find(|g| g.grant.id == id)
    }

    fn grant_mut(&mut self, id: &str) -> &mut MGrant {
        self.grants.iter_mut().find(|g| g.grant.id == id).unwrap()
    }

    fn hold_index(&self, id: &str) -> Option<usize> {
        self.holds.iter().position(|h| h.id == id)
    }

    fn too_early(&self, now: Millis) -> Result<(), MError> {
        match self.last {
            Some(last) if now < last => Err((ErrorCode::TimeBeforeLastEntry, None)),
            _ => Ok(()),
        }
    }

    /// Releases timed-out holds, then expires grants; true if anything moved.
    fn sweep(&mut self, now: Millis) -> bool {
        let mut moved = false;
        for i in 0..self.holds.len() {
            let hold = self.holds[i].clone();
            if hold.state != MState::Pending || hold.expires_at > now {
                continue;
            }
            for (grant, amount) in &hold.allocations {
                let g = self.grant_mut(grant);
                g.held -= amount;
                if g.expired_at(now) {
                    g.expired += amount;
                } else {
                    g.available += amount;
                }
            }
            self.holds[i].state = MState::Expired;
            moved = true;
        }
        for g in &mut self.grants {
            if g.expired_at(now) && g.available > 0 {
                g.expired += g.available;
                g.available = 0;
                moved = true;
            }
        }
        moved
    }

    /// Grants spendable at `now`, in burn order.
    fn spendable(&self, now: Millis) -> Vec<&MGrant> {
        let mut usable: Vec<&MGrant> = self
            .grants
            .iter()
            .filter(|g| g.grant.effective_at <= now && !g.expired_at(now) && g.available > 0)
            .collect();
        let rank = |g: &MGrant| {
            let order = &self.policy.burn_order;
            order
                .iter()
                .position(|s| *s == g.grant.source)
                .unwrap_or(order.len())
        };
        usable.sort_by_key(|g| {
            (
                rank(g),
                g.grant.expires_at.is_none(),
                g.grant.expires_at.unwrap_or(0),
                g.grant.priority,
                g.grant.effective_at,
                g.grant.id.clone(),
            )
        });
        usable
    }

    fn draw(&self, amount: u64, now: Millis) -> Result<Vec<(String, u64)>, MError> {
        let usable = self.spendable(now);
        let total: u64 = usable.iter().map(|g| g.available).sum();
        if total < amount {
            return Err((ErrorCode::InsufficientCredits, Some(total)));
        }
        let mut left = amount;
        let mut out = Vec::new();
        for g in usable {
            if left == 0 {
                break;
            }
            let take = left.min(g.available);
            left -= take;
            out.push((g.grant.id.clone(), take));
        }
        Ok(out)
    }

    /// Runs `f` on a copy swept at `now`; keeps the copy only on success.
    fn commit(
        &mut self,
        now: Millis,
        f: impl FnOnce(&mut Model) -> Result<Expect, MError>,
    ) -> Result<Expect, MError> {
        self.too_early(now)?;
        let mut next = self.clone();
        next.sweep(now);
        let out = f(&mut next)?;
        next.last = Some(now);
        *self = next;
        Ok(out)
    }

    fn run(&mut self, command: &Command, now: Millis) -> Result<Expect, MError> {
        match command {
            Command::Grant { grant, metadata } => {
                if let Some(g) = self.grant(&grant.id) {
                    return if g.grant == *grant && g.metadata == *metadata {
                        Ok(Expect::Replayed)
                    } else {
                        Err((ErrorCode::GrantConflict, None))
                    };
                }
                self.commit(now, |m| {
                    m.grants.push(MGrant {
                        grant: grant.clone(),
                        metadata: metadata.clone(),
                        available: grant.amount,
                        held: 0,
                        spent: 0,
                        expired: 0,
                    });
                    Ok(Expect::Appended)
                })
            }
            Command::Hold(request) => {
                if let Some(i) = self.hold_index(&request.id) {
                    let h = &self.holds[i];
                    return if h.amount == request.amount
                        && h.ttl == request.ttl
                        && h.metadata == request.metadata
                    {
                        Ok(Expect::Replayed)
                    } else {
                        Err((ErrorCode::HoldConflict, None))
                    };
                }
                self.commit(now, |m| {
                    let allocations = m.draw(request.amount, now)?;
                    for (grant, amount) in &allocations {
                        let g = m.grant_mut(grant);
                        g.available -= amount;
                        g.held += amount;
                    }
                    m.holds.push(MHold {
                        id: request.id.clone(),
                        amount: request.amount,
                        ttl: request.ttl,
                        metadata: request.metadata.clone(),
                        expires_at: now + request.ttl,
                        allocations: allocations.clone(),
                        state: MState::Pending,
                    });
                    Ok(Expect::Held(allocations))
                })
            }
            Command::Settle { hold, amount } => self.resolve(hold, Some(*amount), now),
            Command::Release { hold } => self.resolve(hold, None, now),
            Command::Expire {} => {
                self.too_early(now)?;
                let moved = self.sweep(now);
                if moved {
                    self.last = Some(now);
                }
                Ok(Expect::Expire(moved))
            }
            Command::Refill(refill) => self.refill(refill, now),
            Command::Balance {} => {
                self.too_early(now)?;
                let mut view = self.clone();
                view.sweep(now);
                let mut figures = [0u64; 6];
                for g in &view.grants {
                    let upcoming = if g.grant.effective_at > now {
                        g.available
                    } else {
                        0
                    };
                    figures[0] += g.grant.amount;
                    figures[1] += g.available - upcoming;
                    figures[2] += upcoming;
                    figures[3] += g.held;
                    figures[4] += g.spent;
                    figures[5] += g.expired;
                }
                Ok(Expect::Balance(figures))
            }
            Command::Preview { amount } => {
                self.too_early(now)?;
                let mut view = self.clone();
                view.sweep(now);
                let allocations = view.draw(*amount, now)?;
                let total: u64 = view.spendable(now).iter().map(|g| g.available).sum();
                Ok(Expect::Preview(allocations, total - amount))
            }
        }
    }

    /// Settle (`Some(amount)`) or release (`None`).
    fn resolve(&mut self, id: &str, amount: Option<u64>, now: Millis) -> Result<Expect, MError> {
        let i = self.hold_index(id).ok_or((ErrorCode::UnknownHold, None))?;
        match (self.holds[i].state, amount) {
            (MState::Settled(c), Some(a)) if c == a => return Ok(Expect::Replayed),
            (MState::Released, None) => return Ok(Expect::Replayed),
            (MState::Settled(_), _) => return Err((ErrorCode::AlreadySettled, None)),
            (MState::Released, _) => return Err((ErrorCode::AlreadyReleased, None)),
            (MState::Expired, _) => return Err((ErrorCode::HoldExpired, None)),
            (MState::Pending, _) => {}
        }
        self.commit(now, |m| {
            let hold = m.holds[i].clone();
            if hold.state == MState::Expired {
                return Err((ErrorCode::HoldExpired, None));
            }
            let charge = amount.unwrap_or(0);
            if charge > hold.amount {
                return Err((ErrorCode::ExceedsHold, None));
            }
            let mut left = charge;
            let mut lines = Vec::new();
            for (grant, held) in &hold.allocations {
                let charged = left.min(*held);
                left -= charged;
                let g = m.grant_mut(grant);
                let expired = g.expired_at(now);
                let back = held - charged;
                g.held -= held;
                g.spent += charged;
                if expired {
                    g.expired += back;
                } else {
                    g.available += back;
                }
                lines.push((
                    grant.clone(),
                    charged,
                    if expired { 0 } else { back },
                    if expired { back } else { 0 },
                ));
            }
            m.holds[i].state = match amount {
                Some(a) => MState::Settled(a),
                None => MState::Released,
            };
            Ok(Expect::Resolved(lines))
        })
    }

    fn refill(&mut self, refill: &Refill, now: Millis) -> Result<Expect, MError> {
        let key = format!("{}/{}", refill.allowance, refill.period);
        let allowance = self
            .policy
            .allowances
            .iter()
            .find(|a| a.id == refill.allowance)
            .cloned();
        let seats = match &allowance {
            Some(a) if !a.per_seat => 1,
            _ => refill.seats,
        };
        if let Some(done) = self.refills.iter().find(|r| r.key == key) {
            return if done.start == refill.start && done.end == refill.end && done.seats == seats {
                Ok(Expect::Replayed)
            } else {
                Err((ErrorCode::RefillConflict, None))
            };
        }
        let allowance = allowance.ok_or((ErrorCode::UnknownAllowance, None))?;
        self.commit(now, |m| {
            if let Rollover::Capped { cap } = allowance.rollover {
                let mut earlier: Vec<(Millis, String)> = m
                    .refills
                    .iter()
                    .filter(|r| r.allowance == allowance.id && r.start < refill.start)
                    .map(|r| (r.start, r.key.clone()))
                    .collect();
                earlier.sort();
                let total: u64 = earlier
                    .iter()
                    .map(|(_, k)| m.grant(k).unwrap().available)
                    .sum();
                let mut excess = total.saturating_sub(cap);
                for (_, k) in earlier {
                    let g = m.grant_mut(&k);
                    let cut = excess.min(g.available);
                    g.available -= cut;
                    g.expired += cut;
                    excess -= cut;
                }
            }
            let grant = Grant {
                id: key.clone(),
                source: allowance.source,
                amount: allowance.amount * seats,
                effective_at: refill.start,
                expires_at: match allowance.rollover {
                    Rollover::None => Some(refill.end),
                    _ => None,
                },
                priority: allowance.priority,
            };
            m.grants.push(MGrant {
                available: grant.amount,
                grant,
                metadata: Metadata::default(),
                held: 0,
                spent: 0,
                expired: 0,
            });
            m.refills.push(MRefill {
                key: key.clone(),
                allowance: allowance.id.clone(),
                start: refill.start,
                end: refill.end,
                seats,
            });
            Ok(Expect::Appended)
        })
    }
}

// ---------------------------------------------------------------------------
// Operations and their generation.

/// An id: a fresh one, or one used before (counting back from the latest).
#[derive(Clone, Copy, Debug)]
enum Id {
    Fresh,
    Recent(usize),
}

#[derive(Clone, Debug)]
enum Op {
    Grant {
        id: Id,
        source: usize,
        amount: u64,
        back: Millis,
        future: bool,
        life: Option<Millis>,
        priority: u32,
    },
    Hold {
        id: Id,
        amount: u64,
        ttl: Millis,
        tag: usize,
    },
    /// Settle a recent hold: `percent` of its amount (above 100 exceeds it).
    Settle {
        back: usize,
        percent: u64,
    },
    Release {
        back: usize,
    },
    Expire,
    Refill {
        allowance: usize,
        period: i64,
        seats: u64,
    },
    Preview {
        amount: u64,
    },
    Balance,
    /// Repeat the last successful grant, hold, settle, release or refill.
    Retry,
}

const ALLOWANCES: [&str; 5] = ["daily", "seat", "capped", "full", "ghost"];
const TAGS: [Option<&str>; 3] = [None, Some("image"), Some("video")];

fn policy(ordered: bool) -> WalletPolicy {
    let allowance = |id: &str, source, amount, per_seat, rollover| Allowance {
        id: id.into(),
        source,
        amount,
        per_seat,
        priority: 0,
        rollover,
        every: None,
    };
    WalletPolicy {
        burn_order: if ordered {
            vec![GrantSource::Daily, GrantSource::Monthly, GrantSource::Topup]
        } else {
            vec![]
        },
        allowances: vec![
            allowance("daily", GrantSource::Daily, 100, false, Rollover::None),
            allowance("seat", GrantSource::Seat, 150, true, Rollover::None),
            allowance(
                "capped",
                GrantSource::Monthly,
                200,
                false,
                Rollover::Capped { cap: 50 },
            ),
            allowance("full", GrantSource::Annual, 300, false, Rollover::Full),
        ],
    }
}

fn id() -> impl Strategy<Value = Id> {
    prop_oneof![4 => Just(Id::Fresh), 1 => (0..4usize).prop_map(Id::Recent)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (
            id(),
            0..GrantSource::ALL.len(),
            0..1000u64,
            0..2000i64,
            prop::bool::weighted(0.1),
            prop::option::weighted(0.7, 1..6000i64),
            0..3u32,
        )
            .prop_map(|(id, source, amount, back, future, life, priority)| Op::Grant {
                id,
                source,
                amount,
                back,
                future,
                life,
                priority,
            }),
        6 => (
            id(),
            0..500u64,
            prop_oneof![1 => 1..300i64, 4 => 300..20_000i64],
            0..TAGS.len(),
        )
            .prop_map(|(id, amount, ttl, tag)| Op::Hold { id, amount, ttl, tag }),
        4 => (0..4usize, prop_oneof![1 => Just(100u64), 3 => 0..=110u64])
            .prop_map(|(back, percent)| Op::Settle { back, percent }),
        2 => (0..4usize).prop_map(|back| Op::Release { back }),
        1 => Just(Op::Expire),
        2 => (0..ALLOWANCES.len(), 0..8i64, 0..4u64)
            .prop_map(|(allowance, period, seats)| Op::Refill { allowance, period, seats }),
        1 => (0..800u64).prop_map(|amount| Op::Preview { amount }),
        1 => Just(Op::Balance),
        2 => Just(Op::Retry),
    ]
}

/// Time steps: mostly forward, sometimes equal, now and then backwards.
fn step() -> impl Strategy<Value = (Millis, Op)> {
    let dt = prop_oneof![
        3 => Just(0i64),
        10 => 1..100i64,
        3 => 100..1500i64,
        1 => -300..0i64,
    ];
    (dt, op())
}

/// Ids issued so far, to pick fresh or recent ones.
#[derive(Default)]
struct Ids {
    grants: Vec<String>,
    holds: Vec<String>,
}

fn pick(ids: &mut Vec<String>, prefix: &str, id: Id) -> String {
    match id {
        Id::Recent(back) if !ids.is_empty() => ids[ids.len() - 1 - back.min(ids.len() - 1)].clone(),
        _ => {
            let fresh = format!("{prefix}{}", ids.len());
            ids.push(fresh.clone());
            fresh
        }
    }
}

fn recent(ids: &[String], back: usize) -> String {
    ids.len()
        .checked_sub(1 + back)
        .map_or_else(|| "h-none".to_string(), |i| ids[i].clone())
}

fn command(
    op: &Op,
    now: Millis,
    last: Option<&Command>,
    ids: &mut Ids,
    model: &Model,
) -> Option<Command> {
    Some(match op {
        Op::Grant {
            id,
            source,
            amount,
            back,
            future,
            life,
            priority,
        } => {
            let effective_at = if *future {
                now + back
            } else {
                (now - back).max(0)
            };
            Command::Grant {
                grant: Grant {
                    id: pick(&mut ids.grants, "g", *id),
                    source: GrantSource::ALL[*source],
                    amount: *amount,
                    effective_at,
                    expires_at: life.map(|l| effective_at + l),
                    priority: *priority,
                },
                metadata: Metadata::default(),
            }
        }
        Op::Hold {
            id,
            amount,
            ttl,
            tag,
        } => Command::Hold(HoldRequest {
            id: pick(&mut ids.holds, "h", *id),
            amount: *amount,
            ttl: *ttl,
            metadata: Metadata {
                studio: TAGS[*tag].map(String::from),
                ..Metadata::default()
            },
        }),
        Op::Settle { back, percent } => {
            let hold = recent(&ids.holds, *back);
            let held = model
                .hold_index(&hold)
                .map_or(10, |i| model.holds[i].amount);
            Command::Settle {
                hold,
                amount: held * percent / 100,
            }
        }
        Op::Release { back } => Command::Release {
            hold: recent(&ids.holds, *back),
        },
        Op::Expire => Command::Expire {},
        Op::Refill {
            allowance,
            period,
            seats,
        } => Command::Refill(Refill {
            allowance: ALLOWANCES[*allowance].into(),
            period: format!("p{period}"),
            start: period * PERIOD,
            end: (period + 1) * PERIOD,
            seats: *seats,
        }),
        Op::Preview { amount } => Command::Preview { amount: *amount },
        Op::Balance => Command::Balance {},
        Op::Retry => return last.cloned(),
    })
}

// ---------------------------------------------------------------------------
// Checks.

/// What the wallet answered, in the model's terms.
fn observed(answer: &Answer) -> Expect {
    match answer {
        Answer::Receipt(r) if r.replayed => Expect::Replayed,
        Answer::Receipt(r) => match &r.entry {
            Entry::Hold(h) => Expect::Held(
                h.allocations
                    .iter()
                    .map(|a| (a.grant.clone(), a.amount))
                    .collect(),
            ),
            Entry::Settle(e) => Expect::Resolved(lines(&e.lines)),
            Entry::Release(e) => Expect::Resolved(lines(&e.lines)),
            Entry::Grant(_) | Entry::Refill(_) => Expect::Appended,
            Entry::Expire(_) => panic!("an expire entry as an operation's receipt"),
        },
        Answer::Expire { entry } => Expect::Expire(entry.is_some()),
        Answer::Balance(b) => Expect::Balance([
            b.granted,
            b.available,
            b.upcoming,
            b.held,
            b.spent,
            b.expired,
        ]),
        Answer::Preview(p) => Expect::Preview(
            p.allocations
                .iter()
                .map(|a| (a.grant.clone(), a.amount))
                .collect(),
            p.available_after,
        ),
    }
}

fn lines(lines: &[genprice::wallet::GrantLine]) -> Vec<(String, u64, u64, u64)> {
    lines
        .iter()
        .map(|l| (l.grant.clone(), l.charged, l.returned, l.expired))
        .collect()
}

fn same_figures(wallet: &Wallet, model: &Model) -> Result<(), String> {
    if wallet.grants().count() != model.grants.len() {
        return Err("grant count differs".into());
    }
    for m in &model.grants {
        let w = wallet
            .grant_state(&m.grant.id)
            .ok_or(format!("wallet lacks grant {}", m.grant.id))?;
        let got = (&w.grant, w.available, w.held, w.spent, w.expired);
        let want = (&m.grant, m.available, m.held, m.spent, m.expired);
        if got != want {
            return Err(format!(
                "grant {}: wallet {got:?}, model {want:?}",
                m.grant.id
            ));
        }
    }
    if wallet.holds().count() != model.holds.len() {
        return Err("hold count differs".into());
    }
    for m in &model.holds {
        let w = wallet.hold_state(&m.id).ok_or("wallet lacks a hold")?;
        let status = match m.state {
            MState::Pending => HoldStatus::Pending,
            MState::Settled(charged) => HoldStatus::Settled { charged },
            MState::Released => HoldStatus::Released,
            MState::Expired => HoldStatus::Expired,
        };
        if w.status != status {
            return Err(format!(
                "hold {}: wallet {:?}, model {status:?}",
                m.id, w.status
            ));
        }
    }
    if wallet.last_at() != model.last {
        return Err(format!(
            "last time {:?} vs {:?}",
            wallet.last_at(),
            model.last
        ));
    }
    Ok(())
}

fn invariants(wallet: &Wallet, now: Millis) -> Result<(), String> {
    let mut held = 0u64;
    for g in wallet.grants() {
        let parts = g.available + g.held + g.spent + g.expired;
        if parts != g.grant.amount {
            return Err(format!("credits not conserved in {}: {g:?}", g.grant.id));
        }
        held += g.held;
    }
    let pending: u64 = wallet
        .holds()
        .filter(|h| h.status == HoldStatus::Pending)
        .map(|h| h.amount)
        .sum();
    if pending != held {
        return Err(format!("pending holds {pending} but grants hold {held}"));
    }
    if let Ok(b) = wallet.balance(now) {
        if b.granted != b.available + b.upcoming + b.held + b.spent + b.expired
            || b.granted != wallet.granted()
        {
            return Err(format!("balance does not add up: {b:?}"));
        }
        let by_source: u64 = b.sources.iter().map(|s| s.available).sum();
        if by_source != b.available {
            return Err("per-source balances do not add up".into());
        }
    }
    Ok(())
}

/// Each hold is resolved by at most one entry.
fn resolved_at_most_once(entries: &[Entry]) -> Result<(), String> {
    let mut resolutions: BTreeMap<&str, u32> = BTreeMap::new();
    for entry in entries {
        let holds: Vec<&str> = match entry {
            Entry::Settle(e) => vec![e.hold.as_str()],
            Entry::Release(e) => vec![e.hold.as_str()],
            Entry::Expire(e) => e.holds.iter().map(|h| h.hold.as_str()).collect(),
            _ => vec![],
        };
        for hold in holds {
            *resolutions.entry(hold).or_default() += 1;
        }
    }
    match resolutions.iter().find(|(_, n)| **n > 1) {
        Some((hold, n)) => Err(format!("hold {hold} resolved {n} times")),
        None => Ok(()),
    }
}

fn run_case(
    ordered: bool,
    start: Millis,
    steps: &[(Millis, Op)],
    ops: &Cell<u64>,
    outcomes: &RefCell<BTreeMap<String, u64>>,
) -> Result<(), String> {
    let policy = policy(ordered);
    let mut wallet = Wallet::new(policy.clone()).unwrap();
    let mut replica = Wallet::new(policy.clone()).unwrap();
    // A wallet rebuilt from snapshots every few steps, as a store loads an
    // account: it must answer every operation as the wallet does, except
    // where a snapshot leaves out what the operation names (a closed grant,
    // a resolved hold, an older refill, an entry before the snapshot).
    let mut restored = Wallet::new(policy.clone()).unwrap();
    let mut model = Model {
        policy: policy.clone(),
        grants: vec![],
        holds: vec![],
        refills: vec![],
        last: None,
    };
    let mut clock = start;
    let mut last_ok: Option<Command> = None;
    let mut ids = Ids::default();
    for (i, (dt, op)) in steps.iter().enumerate() {
        // A backwards step dates only this operation in the past.
        let now = (clock + dt).max(0);
        clock = clock.max(now);
        let Some(command) = command(op, now, last_ok.as_ref(), &mut ids, &model) else {
            continue;
        };
        ops.set(ops.get() + 1);
        let at = |what: String| format!("step {i} at {now}: {command:?}: {what}");
        let before = wallet.clone();
        let preview = match &command {
            Command::Hold(h) => Some(wallet.preview(h.amount, now)),
            _ => None,
        };
        if i % 7 == 0 {
            let snapshot = wallet.snapshot();
            restored = Wallet::from_snapshot(policy.clone(), snapshot.clone())
                .map_err(|e| at(format!("from_snapshot: {e}")))?;
            if restored.snapshot() != snapshot {
                return Err(at("a snapshot does not round-trip".into()));
            }
        }
        let outside_snapshot = names_what_a_snapshot_leaves_out(&command, &wallet, &restored);
        let got: Result<Answer, WalletError> = wallet.execute(&command, now);
        let again = restored.execute(&command, now);
        if again != got {
            // A retry of an entry older than the snapshot: the restored
            // wallet says it cannot answer, and does not guess.
            let older_retry = matches!(&got, Ok(Answer::Receipt(r)) if r.replayed)
                && matches!(&again, Err(e) if e.code == ErrorCode::InvalidLedger);
            if !outside_snapshot && !older_retry {
                return Err(at(format!("restored wallet {again:?}, wallet {got:?}")));
            }
            restored = Wallet::from_snapshot(policy.clone(), wallet.snapshot())
                .map_err(|e| at(format!("from_snapshot: {e}")))?;
            *outcomes
                .borrow_mut()
                .entry("snapshot left it out".into())
                .or_default() += 1;
        }
        let want = model.run(&command, now);
        let label = match (&command, &got) {
            (_, Err(e)) => e.code.to_string(),
            (Command::Grant { .. }, Ok(Answer::Receipt(r))) if r.replayed => {
                "grant replayed".into()
            }
            (Command::Hold(_), Ok(Answer::Receipt(r))) if r.replayed => "hold replayed".into(),
            (Command::Settle { .. }, Ok(Answer::Receipt(r))) if r.replayed => {
                "settle replayed".into()
            }
            (Command::Release { .. }, Ok(Answer::Receipt(r))) if r.replayed => {
                "release replayed".into()
            }
            (Command::Refill(_), Ok(Answer::Receipt(r))) if r.replayed => "refill replayed".into(),
            (_, Ok(Answer::Receipt(r))) if r.expired.is_some() => {
                format!("{} after expiry", r.entry.kind())
            }
            (_, Ok(Answer::Receipt(r))) => r.entry.kind().into(),
            (_, Ok(Answer::Expire { entry: Some(_) })) => "expire".into(),
            (_, Ok(Answer::Expire { entry: None })) => "expire (nothing due)".into(),
            (_, Ok(Answer::Balance(_))) => "balance".into(),
            (_, Ok(Answer::Preview(_))) => "preview".into(),
        };
        *outcomes.borrow_mut().entry(label).or_default() += 1;
        match (&got, &want) {
            (Ok(answer), Ok(expect)) => {
                let seen = observed(answer);
                if seen != *expect {
                    return Err(at(format!("wallet {seen:?}, model {expect:?}")));
                }
                if seen == Expect::Replayed && wallet != before {
                    return Err(at("a retry changed the wallet".into()));
                }
                if let (Some(Ok(p)), Expect::Held(allocations)) = (&preview, &seen) {
                    let previewed: Vec<(String, u64)> = p
                        .allocations
                        .iter()
                        .map(|a| (a.grant.clone(), a.amount))
                        .collect();
                    if previewed != *allocations {
                        return Err(at("the preview differs from the hold".into()));
                    }
                }
                if let Answer::Receipt(r) = answer {
                    let appended = wallet.entries().len() - before.entries().len();
                    if r.appended().len() != appended {
                        return Err(at("receipt does not list what was appended".into()));
                    }
                }
                if !matches!(command, Command::Balance {} | Command::Preview { .. })
                    && seen != Expect::Replayed
                    && seen != Expect::Expire(false)
                {
                    last_ok = Some(command.clone());
                }
            }
            (Err(e), Err((code, available))) => {
                if e.code != *code || (available.is_some() && e.available != *available) {
                    return Err(at(format!("wallet {e:?}, model {code}/{available:?}")));
                }
                if let (Some(Err(p)), ErrorCode::InsufficientCredits) = (&preview, e.code)
                    && p != e
                {
                    return Err(at("the preview's refusal differs from the hold's".into()));
                }
                if wallet != before {
                    return Err(at("a failed operation changed the wallet".into()));
                }
            }
            _ => return Err(at(format!("wallet {got:?}, model {want:?}"))),
        }
        same_figures(&wallet, &model).map_err(at)?;
        invariants(&wallet, now).map_err(at)?;
        for entry in &wallet.entries()[replica.entries().len()..] {
            replica
                .apply(entry.clone())
                .map_err(|e| at(format!("replica: {e}")))?;
        }
        if replica != wallet {
            return Err(at("folding the new entries gives another wallet".into()));
        }
    }
    resolved_at_most_once(wallet.entries())?;
    let text: Vec<String> = wallet
        .entries()
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    let parsed = text
        .iter()
        .map(|line| serde_json::from_str::<Entry>(line).unwrap());
    let again = Wallet::from_entries(policy, parsed).map_err(|e| format!("replay: {e}"))?;
    if again != wallet {
        return Err("replaying the JSON ledger gives another wallet".into());
    }
    Ok(())
}

/// Whether `command` names something the `restored` wallet (built from a
/// snapshot) does not hold but `wallet` does: the only case where the two
/// may answer differently.
fn names_what_a_snapshot_leaves_out(command: &Command, wallet: &Wallet, restored: &Wallet) -> bool {
    match command {
        Command::Grant { grant, .. } => {
            wallet.grant_state(&grant.id).is_some() && restored.grant_state(&grant.id).is_none()
        }
        Command::Hold(h) => {
            wallet.hold_state(&h.id).is_some() && restored.hold_state(&h.id).is_none()
        }
        Command::Settle { hold, .. } | Command::Release { hold } => {
            wallet.hold_state(hold).is_some() && restored.hold_state(hold).is_none()
        }
        Command::Refill(r) => {
            let key = format!("{}/{}", r.allowance, r.period);
            wallet.refilled(&r.allowance, &r.period) && !restored.refilled(&r.allowance, &r.period)
                || wallet.grant_state(&key).is_some() && restored.grant_state(&key).is_none()
        }
        Command::Expire {} | Command::Balance {} | Command::Preview { .. } => false,
    }
}

/// The long mode: `GENPRICE_LONG=1 cargo test --release --test
/// wallet_properties -- --nocapture` runs ten times the cases.
fn long_mode() -> bool {
    std::env::var("GENPRICE_LONG").is_ok_and(|v| !v.is_empty() && v != "0")
}

#[test]
fn wallet_matches_reference_model() {
    let (cases, least) = if long_mode() {
        (LONG_CASES, 1_000_000)
    } else {
        (CASES, 100_000)
    };
    let config = Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/wallet_properties.proptest-regressions",
        ))),
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let ops = Cell::new(0u64);
    let outcomes = RefCell::new(BTreeMap::new());
    let started = Instant::now();
    let strategy = (
        any::<bool>(),
        0..5000i64,
        prop::collection::vec(step(), MIN_OPS..=MAX_OPS),
    );
    let result = runner.run(&strategy, |(ordered, start, steps)| {
        run_case(ordered, start, &steps, &ops, &outcomes).map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    println!(
        "wallet model test: {} operations in {cases} cases, {:.1?}",
        ops.get(),
        started.elapsed()
    );
    for (outcome, n) in outcomes.borrow().iter() {
        println!("  {n:>6}  {outcome}");
    }
    assert!(ops.get() >= least, "only {} operations", ops.get());
}
