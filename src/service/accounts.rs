//! Accounts: created on a plan (which grants its sign-up credits and the
//! current period's allowances at once), read with their balance, ledger
//! and usage, and moved to another plan (an upgrade at once, pro-rated; a
//! downgrade at the next cycle, as [`crate::plan::change_plan`] decides).

use super::charges::{object, only_fields, text, uint};
use super::refill::{apply_due, billing_cycle, period};
use super::{Code, Loaded, Reply, ServiceError, Stop, finish, load, save};
use crate::catalog::{Catalog, Cycle, Plan};
use crate::error::ErrorCode;
use crate::plan::{ChangeRequest, Effective, QuoteOptions, change_plan, quote_for};
use crate::request::Request;
use crate::store::{AccountRow, StoreError, Tx, UsageBy};
use crate::wallet::{Grant, GrantSource, Metadata, Millis, Snapshot, Wallet};
use serde_json::{Value, json};

/// Longest account id.
pub const MAX_ACCOUNT_ID: usize = 64;
/// Most ledger entries in one page.
pub const MAX_PAGE: u64 = 1000;

/// Checks an account id: 1–64 bytes of `A–Z a–z 0–9 . _ : -`.
pub fn check_account_id(id: &str) -> Result<(), ServiceError> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ACCOUNT_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(ServiceError::new(
            Code::Core(ErrorCode::InvalidId),
            format!("an account id is 1 to {MAX_ACCOUNT_ID} of A–Z a–z 0–9 . _ : -"),
        )
        .at("id"))
    }
}

fn plan_of<'a>(catalog: &'a Catalog, id: &str, path: &str) -> Result<&'a Plan, ServiceError> {
    crate::plan::find_plan(catalog, id).map_err(|e| ServiceError::from_quote(e, "").at(path))
}

/// Seats for `plan`: its fewest by default, within its range; a
/// single-user plan has one.
fn seats_for(plan: &Plan, asked: Option<u64>) -> Result<u64, ServiceError> {
    match (&plan.seats, asked) {
        (None, None | Some(1)) => Ok(1),
        (Some(range), None) => Ok(range.min),
        (Some(range), Some(n)) if n >= range.min && n <= range.max => Ok(n),
        (range, Some(n)) => Err(ServiceError::new(
            Code::Core(ErrorCode::InvalidQuantity),
            match range {
                Some(r) => format!(
                    "plan {} is sold with {}–{} seats, not {n}",
                    plan.id, r.min, r.max
                ),
                None => format!("plan {} is for one user, not {n} seats", plan.id),
            },
        )
        .at("seats")),
    }
}

/// The billing cycle: as asked (default monthly), and one the plan is
/// billed by (a plan without billing — free, custom — takes either).
fn cycle_for(plan: &Plan, asked: Option<&str>) -> Result<Cycle, ServiceError> {
    let cycle = match asked {
        None => Cycle::Monthly,
        Some(name) => Cycle::from_name(name).ok_or_else(|| {
            ServiceError::new(
                Code::Core(ErrorCode::InvalidRequest),
                "cycle is \"monthly\" or \"annual\"",
            )
            .at("cycle")
        })?,
    };
    if !plan.billing.is_empty() && plan.billing(cycle).is_none() {
        return Err(ServiceError::new(
            Code::Core(ErrorCode::InvalidRequest),
            format!("plan {} is not billed {}", plan.id, cycle.as_str()),
        )
        .at("cycle"));
    }
    Ok(cycle)
}

/// An account as the API shows it, with its balance at `now`.
fn view(loaded: &Loaded, now: Millis) -> Result<Value, Stop> {
    let row = &loaded.row;
    let cycle = Cycle::from_name(&row.cycle).unwrap_or(Cycle::Monthly);
    let (start, end) = billing_cycle(row.created_at, cycle, now);
    let balance = loaded.wallet.balance(now)?;
    let mut account = json!({
        "id": row.id,
        "plan": row.plan,
        "seats": row.seats,
        "cycle": row.cycle,
        "createdAt": row.created_at,
        "periodStart": start,
        "periodEnd": end,
        "balance": serde_json::to_value(&balance).map_err(|e| StoreError::new(e.to_string()))?,
    });
    if let (Some(map), Some(plan), Some(at)) =
        (account.as_object_mut(), &row.pending_plan, row.pending_at)
    {
        map.insert(
            "pendingPlan".into(),
            json!({"plan": plan, "at": at, "seats": row.pending_seats}),
        );
    }
    Ok(account)
}

/// `POST /v1/accounts` with `{id, plan, seats?, cycle?}`.
pub fn create(
    tx: &mut dyn Tx,
    catalog: &Catalog,
    body: &Value,
    now: Millis,
) -> Result<Reply, StoreError> {
    finish(create_account(tx, catalog, body, now))
}

fn create_account(
    tx: &mut dyn Tx,
    catalog: &Catalog,
    body: &Value,
    now: Millis,
) -> Result<Reply, Stop> {
    let map = object(body, "an account")?;
    only_fields(map, &["id", "plan", "seats", "cycle"], "")?;
    let id = match map.get("id") {
        Some(Value::String(id)) => id.clone(),
        _ => {
            return Err(ServiceError::new(
                Code::Core(ErrorCode::MissingField),
                "an account needs an id (a string)",
            )
            .at("id")
            .into());
        }
    };
    check_account_id(&id)?;
    let plan_id = match map.get("plan") {
        Some(Value::String(p)) => p.clone(),
        _ => {
            return Err(ServiceError::new(
                Code::Core(ErrorCode::MissingField),
                "an account needs a plan (a plan id of the catalog)",
            )
            .at("plan")
            .into());
        }
    };
    let plan = plan_of(catalog, &plan_id, "plan")?;
    let seats = seats_for(plan, uint(map, "seats", crate::MAX_AMOUNT)?)?;
    let cycle_name = text(map, "cycle", "cycle")?;
    let cycle = cycle_for(plan, cycle_name.as_deref())?;
    if tx.account(&id)?.is_some() {
        return Err(ServiceError::new(
            Code::AccountExists,
            format!("account {} already exists", crate::error::echo(&id)),
        )
        .at("id")
        .into());
    }
    let wallet = Wallet::new(catalog.spec().wallet.clone())
        .map_err(|e| StoreError::new(format!("the catalog's wallet policy: {e}")))?;
    let mut loaded = Loaded {
        row: AccountRow {
            id: id.clone(),
            plan: plan_id,
            seats,
            cycle: cycle.as_str().into(),
            created_at: now,
            pending_plan: None,
            pending_at: None,
            pending_seats: None,
            plan_since: now,
            snapshot: String::new(),
            version: 0,
        },
        wallet,
    };
    apply_due(&mut loaded, catalog, now)?;
    loaded.row.snapshot = snapshot_json(&loaded.wallet.snapshot())?;
    tx.insert_account(&loaded.row)?;
    tx.append_entries(&id, loaded.wallet.entries())?;
    Ok(Reply::ok(201, &view(&loaded, now)?))
}

fn snapshot_json(snapshot: &Snapshot) -> Result<String, StoreError> {
    serde_json::to_string(snapshot)
        .map_err(|e| StoreError::new(format!("cannot write a snapshot: {e}")))
}

/// Whether an operation at `now` on the account has refills (or a plan
/// change) to apply first: then a read must be done as a write.
pub fn has_due(loaded: &Loaded, catalog: &Catalog, now: Millis) -> bool {
    let row = &loaded.row;
    if row.pending_at.is_some_and(|at| at <= now) {
        return true;
    }
    let Some(plan) = catalog.plan(&row.plan) else {
        return false;
    };
    let cycle = Cycle::from_name(&row.cycle).unwrap_or(Cycle::Monthly);
    let from_creation = row.plan_since <= row.created_at;
    crate::plan::offer::allowances(catalog, plan, plan.billing(cycle)).any(|a| {
        let (key, start, _) = period(a.period(), cycle, row.created_at, now);
        (from_creation || start >= row.plan_since) && !loaded.wallet.refilled(&a.id, &key)
    })
}

/// What a read of the account answers: `None` when refills are due, so
/// the caller does it as a write ([`refresh`]).
pub type ReadOutcome = Result<Option<Reply>, StoreError>;

fn read_with(
    tx: &mut dyn Tx,
    catalog: &Catalog,
    id: &str,
    now: Millis,
    answer: impl FnOnce(&mut dyn Tx, &Loaded, Millis) -> Result<Reply, Stop>,
) -> ReadOutcome {
    let loaded = match load(tx, catalog, id) {
        Ok(l) => l,
        Err(Stop::Refuse(e)) => return Ok(Some(Reply::error(&e))),
        Err(Stop::Fail(e)) => return Err(e),
    };
    let now = now.max(loaded.wallet.last_at().unwrap_or(now));
    if has_due(&loaded, catalog, now) {
        return Ok(None);
    }
    finish(answer(tx, &loaded, now)).map(Some)
}

/// `GET /v1/accounts/{id}` as a read (`None`: refills due, refresh first).
pub fn get(tx: &mut dyn Tx, catalog: &Catalog, id: &str, now: Millis) -> ReadOutcome {
    read_with(tx, catalog, id, now, |_, loaded, now| {
        Ok(Reply::ok(200, &view(loaded, now)?))
    })
}

/// `GET …/balance` as a read (`None`: refills due, refresh first).
pub fn balance(tx: &mut dyn Tx, catalog: &Catalog, id: &str, now: Millis) -> ReadOutcome {
    read_with(tx, catalog, id, now, |_, loaded, now| {
        let balance = loaded.wallet.balance(now)?;
        Ok(Reply::ok(
            200,
            &serde_json::to_value(&balance).map_err(|e| StoreError::new(e.to_string()))?,
        ))
    })
}

/// `POST …/quote` with `{request}` as a read: the quote with the account's
/// plan (entitlement) and balance (credits) (`None`: refills due).
pub fn quote(
    tx: &mut dyn Tx,
    catalog: &Catalog,
    id: &str,
    body: &Value,
    now: Millis,
) -> ReadOutcome {
    let parsed = object(body, "a quote").and_then(|map| {
        only_fields(map, &["request"], "")?;
        let value = map.get("request").filter(|v| !v.is_null()).ok_or_else(|| {
            ServiceError::new(
                Code::Core(ErrorCode::MissingField),
                "a quote needs the request to price",
            )
            .at("request")
        })?;
        Request::from_json_value(value).map_err(|e| ServiceError::from_quote(e, "request"))
    });
    read_with(tx, catalog, id, now, move |_, loaded, now| {
        let request = parsed?;
        let available = loaded.wallet.balance(now)?.available;
        let options = QuoteOptions {
            plan: Some(loaded.row.plan.clone()),
            balance: Some(available),
        };
        let priced = quote_for(catalog, &request, &options)
            .map_err(|e| ServiceError::from_quote(e, "request"))?;
        Ok(Reply::ok(
            200,
            &serde_json::to_value(&priced).map_err(|e| StoreError::new(e.to_string()))?,
        ))
    })
}

/// Applies what is due on the account (refills, a waiting plan change)
/// as a write, then answers as `reread` does.
pub fn refresh(
    tx: &mut dyn Tx,
    catalog: &Catalog,
    id: &str,
    now: Millis,
) -> Result<Option<Reply>, StoreError> {
    let mut loaded = match load(tx, catalog, id) {
        Ok(l) => l,
        Err(Stop::Refuse(e)) => return Ok(Some(Reply::error(&e))),
        Err(Stop::Fail(e)) => return Err(e),
    };
    let now = now.max(loaded.wallet.last_at().unwrap_or(now));
    match apply_due(&mut loaded, catalog, now) {
        Ok(()) => {}
        Err(Stop::Refuse(e)) => return Ok(Some(Reply::error(&e))),
        Err(Stop::Fail(e)) => return Err(e),
    }
    save(tx, &mut loaded)?;
    Ok(None)
}

/// `GET …/ledger?after=&limit=`: entries after the cursor, in order, and
/// the cursor of the next page (`null` at the end).
pub fn ledger(tx: &mut dyn Tx, id: &str, after: u64, limit: u64) -> Result<Reply, StoreError> {
    if tx.account(id)?.is_none() {
        return Ok(Reply::error(&super::unknown_account(id)));
    }
    let limit = limit.clamp(1, MAX_PAGE);
    let entries = tx.ledger(id, after, limit.saturating_add(1))?;
    let more = u64::try_from(entries.len()).unwrap_or(u64::MAX) > limit;
    let page: Vec<_> = entries
        .into_iter()
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    let next = if more {
        page.last().map(|e| e.seq())
    } else {
        None
    };
    let body = json!({
        "entries": serde_json::to_value(&page).map_err(|e| StoreError::new(e.to_string()))?,
        "next": next,
    });
    Ok(Reply::ok(200, &body))
}

/// `GET …/usage?from=&to=&by=`: credits spent in `[from, to)`, grouped.
pub fn usage(
    tx: &mut dyn Tx,
    id: &str,
    from: i64,
    to: i64,
    by: UsageBy,
) -> Result<Reply, StoreError> {
    if tx.account(id)?.is_none() {
        return Ok(Reply::error(&super::unknown_account(id)));
    }
    let groups = tx.usage(id, from, to, by)?;
    let total: u64 = groups.iter().map(|g| g.1).sum();
    let by_name = match by {
        UsageBy::Day => "day",
        UsageBy::Studio => "studio",
        UsageBy::Product => "product",
    };
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(key, credits)| json!({"key": key, "credits": credits}))
        .collect();
    Ok(Reply::ok(
        200,
        &json!({"from": from, "to": to, "by": by_name, "groups": groups, "total": total}),
    ))
}

/// `POST …/plan` with `{plan, seats?}`: an upgrade takes effect at once
/// (its pro-rated credits granted now, its price to charge in the answer);
/// a downgrade or sideways move at the next cycle.
pub fn change(
    tx: &mut dyn Tx,
    catalog: &Catalog,
    id: &str,
    body: &Value,
    now: Millis,
) -> Result<Reply, StoreError> {
    finish(change_account_plan(tx, catalog, id, body, now))
}

fn change_account_plan(
    tx: &mut dyn Tx,
    catalog: &Catalog,
    id: &str,
    body: &Value,
    now: Millis,
) -> Result<Reply, Stop> {
    let map = object(body, "a plan change")?;
    only_fields(map, &["plan", "seats"], "")?;
    let to = match map.get("plan") {
        Some(Value::String(p)) => p.clone(),
        _ => {
            return Err(ServiceError::new(
                Code::Core(ErrorCode::MissingField),
                "plan (an id) is required",
            )
            .at("plan")
            .into());
        }
    };
    let new_plan = plan_of(catalog, &to, "plan")?;
    let seats = seats_for(new_plan, uint(map, "seats", crate::MAX_AMOUNT)?)?;
    let mut loaded = load(tx, catalog, id)?;
    let now = now.max(loaded.wallet.last_at().unwrap_or(now));
    apply_due(&mut loaded, catalog, now)?;
    let cycle = Cycle::from_name(&loaded.row.cycle).unwrap_or(Cycle::Monthly);
    cycle_for(new_plan, Some(cycle.as_str()))?;
    let (start, end) = billing_cycle(loaded.row.created_at, cycle, now);
    let request = ChangeRequest {
        from: loaded.row.plan.clone(),
        to: to.clone(),
        cycle,
        seats,
        start,
        end,
        now,
    };
    let change = change_plan(catalog, &request).map_err(|e| ServiceError::from_quote(e, ""))?;
    match change.effective {
        Effective::Now => {
            if change.credits > 0 {
                let grant = Grant {
                    id: format!("upgrade:{to}:{now}"),
                    source: match cycle {
                        Cycle::Monthly => GrantSource::Monthly,
                        Cycle::Annual => GrantSource::Annual,
                    },
                    amount: change.credits,
                    effective_at: now,
                    expires_at: Some(end),
                    priority: 0,
                };
                let metadata = Metadata {
                    summary: Some(format!(
                        "pro-rated upgrade from {} to {to}",
                        loaded.row.plan
                    )),
                    ..Metadata::default()
                };
                loaded.wallet.grant(&grant, &metadata, now)?;
            }
            loaded.row.plan = to;
            loaded.row.seats = seats;
            loaded.row.plan_since = now;
            loaded.row.pending_plan = None;
            loaded.row.pending_at = None;
            loaded.row.pending_seats = None;
        }
        Effective::NextCycle => {
            loaded.row.pending_plan = Some(to);
            loaded.row.pending_at = Some(end);
            loaded.row.pending_seats = Some(seats);
        }
    }
    save(tx, &mut loaded)?;
    let body = json!({
        "change": serde_json::to_value(&change).map_err(|e| StoreError::new(e.to_string()))?,
        "account": view(&loaded, now)?,
    });
    Ok(Reply::ok(200, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_short_and_plain() {
        for ok in ["u1", "team.acme:42", "A-b_c"] {
            assert!(check_account_id(ok).is_ok(), "{ok}");
        }
        let long = "x".repeat(65);
        for bad in ["", "a b", "a/b", "é", long.as_str()] {
            assert_eq!(
                check_account_id(bad).unwrap_err().code,
                Code::Core(ErrorCode::InvalidId),
                "{bad}"
            );
        }
    }
}
