//! A wallet's live state without its log: what a store keeps per account,
//! so that loading an account costs the size of what is live in it, not
//! the length of its history.
//!
//! A [`Snapshot`] holds the open grants (credits available or held), the
//! pending holds, the refills an operation can still consult (the latest
//! of each allowance, and those whose grant is open), the totals per source
//! of every grant ever made, and where the ledger stands (last `seq` and
//! time). [`Wallet::from_snapshot`] rebuilds a wallet that answers every
//! operation exactly as the wallet that wrote the snapshot would — same
//! entries, same balances — except a *retry* whose original entry is older
//! than the snapshot: the wallet no longer holds that entry, and says so
//! (`invalid_ledger`). A store answers those from its own records (its
//! idempotency keys, its charge and grant rows).
//!
//! Closed grants and resolved holds are not in a snapshot, so the wallet
//! cannot tell a reused grant or hold id from a new one: a store keeps ids
//! unique itself (a primary key per account).

use super::index::{Figures, slot};
use super::ledger::{bad, refill_key};
use super::{
    GrantSource, GrantState, HoldState, HoldStatus, Millis, RefillState, Wallet, WalletError,
    WalletPolicy,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The recorded figures of every grant of one source, closed ones included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SourceTotals {
    /// The source.
    pub source: GrantSource,
    /// Credits granted.
    pub granted: u64,
    /// Credits neither held, spent nor recorded as expired.
    pub available: u64,
    /// Credits reserved by pending holds.
    pub held: u64,
    /// Credits charged.
    pub spent: u64,
    /// Credits recorded as expired.
    pub expired: u64,
}

/// The live state of a wallet (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Snapshot {
    /// Sequence number of the last ledger entry (0 for an empty ledger).
    pub last_seq: u64,
    /// Time of the last ledger entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_at: Option<Millis>,
    /// Sum of every grant's amount.
    pub granted: u64,
    /// Totals per source with anything granted.
    pub sources: Vec<SourceTotals>,
    /// Grants with credits available or held, in burn order.
    pub grants: Vec<GrantState>,
    /// Pending holds, by expiry.
    pub holds: Vec<HoldState>,
    /// The latest refill of each allowance, and every refill whose grant
    /// is open, by `allowance/period`.
    pub refills: Vec<RefillState>,
}

impl Wallet {
    /// The wallet's live state, for a store to keep (see [`Snapshot`]).
    /// Its size is that of the open grants and pending holds, not of the
    /// history.
    pub fn snapshot(&self) -> Snapshot {
        let sources = GrantSource::ALL
            .into_iter()
            .zip(&self.index.sources)
            .filter(|(_, f)| f.granted > 0)
            .map(|(source, f)| SourceTotals {
                source,
                granted: f.granted,
                available: f.available,
                held: f.held,
                spent: f.spent,
                expired: f.expired,
            })
            .collect();
        let grants: Vec<GrantState> = self.open_grants().cloned().collect();
        let holds = self
            .index
            .pending
            .iter()
            .filter_map(|(_, id)| self.holds.get(id).cloned())
            .collect();
        // The latest refill of each allowance (for retries and `once`),
        // and those whose grant is open (a capped rollover reads them).
        let mut latest: BTreeMap<&str, &RefillState> = BTreeMap::new();
        for r in self.refills.values() {
            match latest.get(r.allowance.as_str()) {
                Some(l) if l.start >= r.start => {}
                _ => {
                    latest.insert(&r.allowance, r);
                }
            }
        }
        let refills = self
            .refills
            .values()
            .filter(|r| {
                self.grants
                    .get(&r.grant)
                    .is_some_and(|g| Figures::of(g).is_open())
                    || latest
                        .get(r.allowance.as_str())
                        .is_some_and(|l| l.seq == r.seq)
            })
            .cloned()
            .collect();
        Snapshot {
            last_seq: self.next_seq().saturating_sub(1),
            last_at: self.last_at(),
            granted: self.granted,
            sources,
            grants,
            holds,
            refills,
        }
    }

    /// Rebuilds a wallet from a [`Snapshot`] under `policy`, after checking
    /// that it adds up: every grant conserves its credits and is open,
    /// every pending hold's allocations name its grants and add up to what
    /// they hold, the totals per source cover the open grants and add up
    /// to `granted`, and nothing is dated after the last entry.
    ///
    /// Errors: `invalid_policy`; `invalid_ledger` for a snapshot that does
    /// not add up.
    pub fn from_snapshot(policy: WalletPolicy, snapshot: Snapshot) -> Result<Wallet, WalletError> {
        let mut wallet = Wallet::new(policy)?;
        wallet.base_seq = snapshot.last_seq;
        wallet.base_at = snapshot.last_at;
        wallet.granted = snapshot.granted;
        let after_last = |seq: u64| seq == 0 || seq > snapshot.last_seq;
        let mut held_by_holds: BTreeMap<&str, u64> = BTreeMap::new();
        for h in &snapshot.holds {
            if h.status != HoldStatus::Pending || after_last(h.seq) {
                return Err(bad(format!(
                    "snapshot hold \"{}\" is not a pending hold",
                    h.id
                )));
            }
            let mut sum: u64 = 0;
            for a in &h.allocations {
                let held = held_by_holds.entry(a.grant.as_str()).or_default();
                *held = held
                    .checked_add(a.amount)
                    .ok_or_else(|| bad("held overflows"))?;
                sum = sum
                    .checked_add(a.amount)
                    .ok_or_else(|| bad("held overflows"))?;
            }
            if sum != h.amount {
                return Err(bad(format!(
                    "snapshot hold \"{}\": allocations add up to {sum}, not {}",
                    h.id, h.amount
                )));
            }
        }
        for g in snapshot.grants {
            let f = Figures::of(&g);
            let parts = [f.available, f.held, f.spent, f.expired]
                .iter()
                .try_fold(0u64, |sum, part| sum.checked_add(*part));
            if parts != Some(f.granted) || !f.is_open() || after_last(g.seq) {
                return Err(bad(format!(
                    "snapshot grant \"{}\" does not add up or is not open",
                    g.grant.id
                )));
            }
            if held_by_holds.remove(g.grant.id.as_str()).unwrap_or(0) != g.held {
                return Err(bad(format!(
                    "snapshot grant \"{}\" holds {} that no pending hold accounts for",
                    g.grant.id, g.held
                )));
            }
            if wallet.grants.contains_key(&g.grant.id) {
                return Err(bad(format!("snapshot grant \"{}\" twice", g.grant.id)));
            }
            wallet.track_new_grant(g)?;
        }
        if let Some((grant, _)) = held_by_holds.into_iter().next() {
            return Err(bad(format!(
                "a pending hold takes credits from \"{grant}\", which is not an open grant"
            )));
        }
        for h in snapshot.holds {
            wallet.index.track_hold(&h);
            if wallet.holds.insert(h.id.clone(), h).is_some() {
                return Err(bad("snapshot holds repeat an id"));
            }
        }
        // The open grants' figures are tracked; the totals per source also
        // count the closed grants, so they replace what tracking summed.
        let mut totals = [Figures::default(); GrantSource::ALL.len()];
        let mut granted: u64 = 0;
        for s in &snapshot.sources {
            let slot = totals
                .get_mut(slot(s.source))
                .ok_or_else(|| bad("unknown source"))?;
            *slot = Figures {
                granted: s.granted,
                available: s.available,
                held: s.held,
                spent: s.spent,
                expired: s.expired,
            };
            granted = granted
                .checked_add(s.granted)
                .ok_or_else(|| bad("granted overflows"))?;
        }
        for (total, open) in totals.iter().zip(&wallet.index.sources) {
            let covers = total.granted >= open.granted
                && total.available >= open.available
                && total.spent >= open.spent
                && total.expired >= open.expired
                && total.held == open.held;
            if !covers {
                return Err(bad(
                    "snapshot totals per source do not cover its open grants",
                ));
            }
        }
        if granted != snapshot.granted || granted > crate::MAX_AMOUNT {
            return Err(bad("snapshot totals per source do not add up to granted"));
        }
        wallet.index.sources = totals;
        for r in snapshot.refills {
            if after_last(r.seq) {
                return Err(bad(format!(
                    "snapshot refill \"{}\" is after the last entry",
                    r.grant
                )));
            }
            let key = refill_key(&r.allowance, &r.period);
            if wallet.refills.insert(key, r).is_some() {
                return Err(bad("snapshot refills repeat a period"));
            }
        }
        Ok(wallet)
    }

    /// Whether the allowance was already refilled for `period` (as far as
    /// the wallet knows: a wallet built from a [`Snapshot`] knows the
    /// latest period of each allowance).
    pub fn refilled(&self, allowance: &str, period: &str) -> bool {
        self.refills.contains_key(&refill_key(allowance, period))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::wallet::{Grant, HoldRequest, Metadata, Refill};

    const DAY: Millis = 86_400_000;

    type Step = dyn Fn(&mut Wallet) -> Result<crate::wallet::Receipt, WalletError>;

    fn policy() -> WalletPolicy {
        serde_json::from_value(serde_json::json!({
            "allowances": [
                {"id": "daily", "source": "daily", "amount": 100},
                {"id": "monthly", "source": "monthly", "amount": 1000,
                 "rollover": {"mode": "capped", "cap": 300}}
            ]
        }))
        .unwrap()
    }

    fn refill(allowance: &str, day: i64) -> Refill {
        Refill {
            allowance: allowance.into(),
            period: format!("d{day}"),
            start: day * DAY,
            end: (day + 1) * DAY,
            seats: 1,
        }
    }

    fn hold(id: &str, amount: u64) -> HoldRequest {
        HoldRequest {
            id: id.into(),
            amount,
            ttl: DAY / 2,
            metadata: Metadata::default(),
        }
    }

    /// A wallet with history: refills over several days, spent and
    /// released holds, an expired one, a top-up, a pending hold.
    fn busy() -> Wallet {
        let mut w = Wallet::new(policy()).unwrap();
        for day in 0..5 {
            let now = day * DAY + 1;
            w.refill(&refill("daily", day), now).unwrap();
            w.hold(&hold(&format!("a{day}"), 60), now).unwrap();
            w.settle(&format!("a{day}"), 40, now + 1).unwrap();
            w.hold(&hold(&format!("b{day}"), 30), now + 2).unwrap();
            w.release(&format!("b{day}"), now + 3).unwrap();
            w.hold(&hold(&format!("c{day}"), 10), now + 4).unwrap();
        }
        let monthly = Refill {
            period: "m1".into(),
            start: 0,
            end: 30 * DAY,
            ..refill("monthly", 0)
        };
        w.refill(&monthly, 5 * DAY).unwrap();
        let topup = Grant {
            id: "pack".into(),
            source: GrantSource::Topup,
            amount: 500,
            effective_at: 5 * DAY,
            expires_at: None,
            priority: 0,
        };
        w.grant(&topup, &Metadata::default(), 5 * DAY).unwrap();
        w.hold(&hold("pending", 250), 5 * DAY + 10).unwrap();
        w
    }

    #[test]
    fn a_snapshot_holds_only_the_live_state_and_round_trips() {
        let w = busy();
        let s = w.snapshot();
        assert_eq!(s.last_seq, w.next_seq() - 1);
        assert!(s.grants.iter().all(|g| g.available > 0 || g.held > 0));
        assert!(s.holds.iter().all(|h| h.status == HoldStatus::Pending));
        assert!(s.grants.len() < w.grants().count());
        let json = serde_json::to_string(&s).unwrap();
        let back: Snapshot = serde_json::from_str(&json).unwrap();
        let rebuilt = Wallet::from_snapshot(policy(), back).unwrap();
        assert_eq!(rebuilt.snapshot(), s);
        assert_eq!(
            rebuilt.balance(5 * DAY + 20).unwrap(),
            w.balance(5 * DAY + 20).unwrap()
        );
        assert!(rebuilt.entries().is_empty());
        assert_eq!(rebuilt.next_seq(), w.next_seq());
    }

    #[test]
    fn a_wallet_from_a_snapshot_answers_like_the_original() {
        let mut full = busy();
        let mut rebuilt = Wallet::from_snapshot(policy(), full.snapshot()).unwrap();
        let steps: Vec<Box<Step>> = vec![
            Box::new(|w| w.hold(&hold("next", 120), 6 * DAY)),
            Box::new(|w| w.settle("pending", 200, 6 * DAY + 1)),
            Box::new(|w| w.settle("next", 120, 6 * DAY + 2)),
            Box::new(|w| w.hold(&hold("huge", 100_000), 6 * DAY + 3)),
            Box::new(|w| w.refill(&refill("daily", 6), 6 * DAY + 4)),
            Box::new(|w| {
                let m2 = Refill {
                    period: "m2".into(),
                    start: 30 * DAY,
                    end: 60 * DAY,
                    ..refill("monthly", 0)
                };
                w.refill(&m2, 30 * DAY)
            }),
            Box::new(|w| w.hold(&hold("late", 50), 31 * DAY)),
            Box::new(|w| w.release("late", 31 * DAY + 1)),
        ];
        for (i, step) in steps.iter().enumerate() {
            let a = step(&mut full);
            let b = step(&mut rebuilt);
            assert_eq!(a, b, "step {i}");
            let now = full.last_at().unwrap();
            assert_eq!(
                full.balance(now).unwrap(),
                rebuilt.balance(now).unwrap(),
                "step {i}"
            );
        }
        assert_eq!(full.snapshot(), rebuilt.snapshot());
    }

    #[test]
    fn retries_of_entries_before_the_snapshot_are_refused_not_guessed() {
        let w = busy();
        let mut rebuilt = Wallet::from_snapshot(policy(), w.snapshot()).unwrap();
        assert!(rebuilt.refilled("monthly", "m1"));
        assert!(!rebuilt.refilled("daily", "d9"));
        let e = rebuilt
            .hold(&hold("pending", 250), 5 * DAY + 10)
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidLedger);
        let m1 = Refill {
            period: "m1".into(),
            start: 0,
            end: 30 * DAY,
            ..refill("monthly", 0)
        };
        let e = rebuilt.refill(&m1, 5 * DAY + 11).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidLedger);
    }

    #[test]
    fn a_snapshot_that_does_not_add_up_is_refused() {
        let good = busy().snapshot();
        let mut cases: Vec<Snapshot> = Vec::new();
        let mut s = good.clone();
        s.grants[0].available += 1;
        cases.push(s);
        let mut s = good.clone();
        s.holds[0].amount += 1;
        cases.push(s);
        let mut s = good.clone();
        s.granted += 1;
        cases.push(s);
        let mut s = good.clone();
        s.holds.clear();
        cases.push(s);
        let mut s = good.clone();
        s.last_seq = 3;
        cases.push(s);
        let mut s = good.clone();
        s.sources[0].held += 1;
        cases.push(s);
        for (i, s) in cases.into_iter().enumerate() {
            let e = Wallet::from_snapshot(policy(), s).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidLedger, "case {i}: {e}");
        }
    }
}
