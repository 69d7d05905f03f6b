//! The wallet's reference model and the differential check that runs a
//! sequence of operations against both: shared by the property test
//! (`tests/wallet_properties.rs`, proptest picks the operations) and the
//! fuzz target `fuzz/fuzz_targets/wallet_diff.rs` (libFuzzer's bytes pick
//! them), so both oracles are one.
//!
//! The model is written separately from the wallet: vectors and linear
//! scans, no ledger, no index. [`run_case`] checks, after every step, that
//! both gave the same answer and hold the same figures, and the
//! invariants: credits are conserved, nothing goes below zero, a hold never
//! resolves twice, a failed operation and a retry change nothing, a preview
//! matches the hold that follows, the new entries folded into a replica and
//! a wallet rebuilt from a snapshot give the same wallet. At the end of a
//! case the whole ledger is replayed from JSON.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    dead_code
)]

mod check;

pub use check::run_case;

use genprice::ErrorCode;
use genprice::wallet::{
    Allowance, Command, Grant, GrantSource, HoldRequest, Metadata, Millis, Refill, Rollover,
    WalletPolicy,
};

/// Length of a refill period in these tests (ms).
pub const PERIOD: Millis = 3000;

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
pub enum Id {
    Fresh,
    Recent(usize),
}

#[derive(Clone, Debug)]
pub enum Op {
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

pub const ALLOWANCES: [&str; 5] = ["daily", "seat", "capped", "full", "ghost"];
pub const TAGS: [Option<&str>; 3] = [None, Some("image"), Some("video")];

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
