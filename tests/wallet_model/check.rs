//! The differential check: one sequence of operations run against the
//! wallet, a replica fed its entries, a wallet rebuilt from snapshots, and
//! the reference model.
use super::*;
use genprice::wallet::{Answer, Entry, HoldStatus, Wallet, WalletError};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

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

pub fn run_case(
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
