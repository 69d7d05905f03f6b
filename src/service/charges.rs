//! Charges: credits held when a generation starts, settled (fully or in
//! part) when it succeeds, released when it fails, expired when its ttl
//! passes first. A charge is a wallet hold with the quote that priced it;
//! its id is the hold's id. Each charge resolves at most once.
//!
//! The server prices every charge itself. The client's `expect` is only an
//! expectation: another catalog fingerprint is `catalog_changed` (with the
//! fresh quote), another total `price_changed`, a plan that forbids the
//! request `not_entitled`, too few credits `insufficient_credits` (with the
//! shortfall, packs and plans). Only then are credits held.

use super::refill::apply_due;
use super::{Code, Loaded, Reply, ServiceError, Stop, finish, from_row, load, save};
use crate::catalog::Catalog;
use crate::error::ErrorCode;
use crate::plan::{QuoteOptions, quote_for};
use crate::request::Request;
use crate::store::{ChargeRow, ChargeStatus, SpendRow, StoreError, Tx};
use crate::wallet::{Entry, HoldRequest, Metadata, Millis};
use serde_json::{Map, Value, json};

/// A hold's default lifetime: 10 minutes.
pub const DEFAULT_TTL_MS: Millis = 600_000;
/// The longest a hold may last: one day.
pub const MAX_TTL_MS: Millis = 86_400_000;
/// Longest free text accepted in metadata and reasons.
pub const MAX_TEXT: usize = 1024;

/// Refuses any field of `map` not in `allowed`, naming it under `prefix`.
pub fn only_fields(
    map: &Map<String, Value>,
    allowed: &[&str],
    prefix: &str,
) -> Result<(), ServiceError> {
    for key in map.keys() {
        if !allowed.contains(&key.as_str()) {
            let path = if prefix.is_empty() {
                crate::error::path_key(key)
            } else {
                format!("{prefix}.{}", crate::error::path_key(key))
            };
            return Err(ServiceError::new(
                Code::Core(ErrorCode::UnknownField),
                format!(
                    "unknown field {} (expected {})",
                    crate::error::echo(key),
                    allowed.join(", ")
                ),
            )
            .at(path));
        }
    }
    Ok(())
}

/// The body as an object, or `invalid_request`.
pub fn object<'a>(body: &'a Value, what: &str) -> Result<&'a Map<String, Value>, ServiceError> {
    body.as_object().ok_or_else(|| {
        ServiceError::new(
            Code::Core(ErrorCode::InvalidRequest),
            format!("{what} must be a JSON object"),
        )
    })
}

/// An optional non-negative integer field (null is absent). As in the
/// request contract, a number whose fraction part is zero (`1246.0`) is
/// that integer: JSON (and JSON Schema) do not tell them apart.
pub fn uint(map: &Map<String, Value>, key: &str, max: u64) -> Result<Option<u64>, ServiceError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => crate::request::read_quantity(v, key)
            .ok()
            .filter(|n| *n <= max)
            .map(Some)
            .ok_or_else(|| {
                ServiceError::new(
                    Code::Core(ErrorCode::InvalidAmount),
                    format!("{key} must be an integer in 0 … {max}"),
                )
                .at(key)
            }),
    }
}

/// An optional string field of at most [`MAX_TEXT`] bytes (null is absent).
pub fn text(
    map: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<String>, ServiceError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.len() <= MAX_TEXT => Ok(Some(s.clone())),
        Some(_) => Err(ServiceError::new(
            Code::Core(ErrorCode::InvalidRequest),
            format!("{key} must be a string of at most {MAX_TEXT} bytes"),
        )
        .at(path)),
    }
}

/// What `POST …/charges` takes.
struct ChargeInput {
    request: Request,
    total: u64,
    fingerprint: String,
    ttl: Millis,
    reference: Option<String>,
    summary: Option<String>,
}

impl ChargeInput {
    fn read(body: &Value) -> Result<ChargeInput, ServiceError> {
        let map = object(body, "a charge")?;
        only_fields(map, &["request", "expect", "ttlMs", "metadata"], "")?;
        let request = match map.get("request") {
            None | Some(Value::Null) => {
                return Err(ServiceError::new(
                    Code::Core(ErrorCode::MissingField),
                    "a charge needs the request it prices",
                )
                .at("request"));
            }
            Some(value) => Request::from_json_value(value)
                .map_err(|e| ServiceError::from_quote(e, "request"))?,
        };
        let expect = match map.get("expect") {
            Some(Value::Object(expect)) => expect,
            _ => {
                return Err(ServiceError::new(
                    Code::Core(ErrorCode::MissingField),
                    "a charge needs expect: {total, fingerprint}, from the quote the user saw",
                )
                .at("expect"));
            }
        };
        only_fields(expect, &["total", "fingerprint"], "expect")?;
        let total = uint(expect, "total", crate::MAX_AMOUNT)
            .map_err(|e| e.at("expect.total"))?
            .ok_or_else(|| {
                ServiceError::new(
                    Code::Core(ErrorCode::MissingField),
                    "expect.total is required",
                )
                .at("expect.total")
            })?;
        let fingerprint = match expect.get("fingerprint") {
            Some(Value::String(f)) => f.clone(),
            _ => {
                return Err(ServiceError::new(
                    Code::Core(ErrorCode::MissingField),
                    "expect.fingerprint (the catalog's, as the quote carries it) is required",
                )
                .at("expect.fingerprint"));
            }
        };
        let ttl = match uint(map, "ttlMs", MAX_TTL_MS as u64).map_err(|e| e.at("ttlMs"))? {
            None => DEFAULT_TTL_MS,
            Some(0) => {
                return Err(ServiceError::new(
                    Code::Core(ErrorCode::InvalidTime),
                    "ttlMs must be positive",
                )
                .at("ttlMs"));
            }
            Some(ms) => Millis::try_from(ms).unwrap_or(MAX_TTL_MS),
        };
        let (reference, summary) = match map.get("metadata") {
            None | Some(Value::Null) => (None, None),
            Some(Value::Object(m)) => {
                only_fields(m, &["reference", "summary"], "metadata")?;
                (
                    text(m, "reference", "metadata.reference")?,
                    text(m, "summary", "metadata.summary")?,
                )
            }
            Some(_) => {
                return Err(ServiceError::new(
                    Code::Core(ErrorCode::InvalidRequest),
                    "metadata must be an object: {reference?, summary?}",
                )
                .at("metadata"));
            }
        };
        Ok(ChargeInput {
            request,
            total,
            fingerprint,
            ttl,
            reference,
            summary,
        })
    }
}

/// A new charge id: `ch_` and 128 random bits.
fn new_charge_id() -> Result<String, StoreError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::new(format!("no randomness: {e}")))?;
    Ok(format!(
        "ch_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, StoreError> {
    serde_json::to_value(value).map_err(|e| StoreError::new(e.to_string()))
}

/// `POST /v1/accounts/{account}/charges`.
pub fn create(
    tx: &mut dyn Tx,
    catalog: &Catalog,
    account: &str,
    body: &Value,
    now: Millis,
) -> Result<Reply, StoreError> {
    finish(create_charge(tx, catalog, account, body, now))
}

fn create_charge(
    tx: &mut dyn Tx,
    catalog: &Catalog,
    account: &str,
    body: &Value,
    now: Millis,
) -> Result<Reply, Stop> {
    let input = ChargeInput::read(body)?;
    let mut loaded = load(tx, catalog, account)?;
    let now = now.max(loaded.wallet.last_at().unwrap_or(now));
    apply_due(&mut loaded, catalog, now)?;
    let available = loaded.wallet.balance(now)?.available;
    let options = QuoteOptions {
        plan: Some(loaded.row.plan.clone()),
        balance: Some(available),
    };
    let priced = quote_for(catalog, &input.request, &options)
        .map_err(|e| ServiceError::from_quote(e, "request"))?;
    let fresh = to_json(&priced)?;
    if input.fingerprint != catalog.fingerprint() {
        return Err(ServiceError::new(
            Code::CatalogChanged,
            "the catalog changed since this price was shown: show the fresh quote and ask again",
        )
        .at("expect.fingerprint")
        .with("fingerprint", json!(catalog.fingerprint()))
        .with("quote", fresh)
        .into());
    }
    if let Some(entitlement) = priced.entitlement.as_ref().filter(|e| !e.allowed) {
        return Err(ServiceError::new(
            Code::NotEntitled,
            format!(
                "plan {} does not allow this request",
                crate::error::echo(&entitlement.plan)
            ),
        )
        .with("denials", to_json(&entitlement.denials)?)
        .with("upgrade", to_json(&entitlement.upgrade)?)
        .into());
    }
    if input.total != priced.total {
        return Err(ServiceError::new(
            Code::PriceChanged,
            format!(
                "the server prices this at {}, not {}",
                priced.total, input.total
            ),
        )
        .at("expect.total")
        .with("quote", fresh)
        .into());
    }
    if let Some(credits) = priced.credits.as_ref().filter(|c| !c.enough) {
        let mut error = ServiceError::new(
            Code::Core(ErrorCode::InsufficientCredits),
            format!(
                "{} credits available, {} needed: {} short",
                credits.balance, credits.estimate, credits.shortfall
            ),
        );
        if let Value::Object(fields) = to_json(credits)? {
            for (k, v) in fields {
                error = error.with(&k, v);
            }
        }
        return Err(error.into());
    }
    let id = new_charge_id()?;
    let first = priced.lines.first();
    let metadata = Metadata {
        studio: first.map(|l| l.studio.as_str().to_string()),
        product: first.map(|l| l.product.to_string()),
        summary: input.summary.clone(),
        reference: input.reference.clone(),
    };
    let hold = HoldRequest {
        id: id.clone(),
        amount: priced.total,
        ttl: input.ttl,
        metadata,
    };
    let receipt = loaded.wallet.hold(&hold, now)?;
    let Entry::Hold(entry) = &receipt.entry else {
        return Err(Stop::Fail(StoreError::new("a hold made no hold entry")));
    };
    let mut charge = json!({
        "id": id,
        "account": account,
        "status": "pending",
        "amount": entry.amount,
        "allocations": to_json(&entry.allocations)?,
        "createdAt": now,
        "expiresAt": entry.expires_at,
        "quote": to_json(&priced.quote)?,
    });
    if let Some(map) = charge.as_object_mut() {
        let mut meta = Map::new();
        if let Some(r) = &input.reference {
            meta.insert("reference".into(), json!(r));
        }
        if let Some(s) = &input.summary {
            meta.insert("summary".into(), json!(s));
        }
        if !meta.is_empty() {
            map.insert("metadata".into(), Value::Object(meta));
        }
    }
    let expires_at = entry.expires_at;
    save(tx, &mut loaded)?;
    tx.insert_charge(&ChargeRow {
        account: account.to_string(),
        id,
        status: ChargeStatus::Pending,
        expires_at,
        body: charge.to_string(),
    })?;
    Ok(Reply::ok(201, &charge))
}

/// Marks the charges whose holds the expire entries among `entries`
/// released (called by [`save`] for every operation).
pub fn mark_expired(tx: &mut dyn Tx, account: &str, entries: &[Entry]) -> Result<(), StoreError> {
    for entry in entries {
        if let Entry::Expire(x) = entry {
            for h in &x.holds {
                mark(tx, account, &h.hold, ChargeStatus::Expired, |body| {
                    body.insert("expiredAt".into(), json!(x.at));
                })?;
            }
        }
    }
    Ok(())
}

/// Sets a charge's status and lets `edit` add fields to its body.
fn mark(
    tx: &mut dyn Tx,
    account: &str,
    id: &str,
    status: ChargeStatus,
    edit: impl FnOnce(&mut Map<String, Value>),
) -> Result<(), StoreError> {
    let Some(row) = tx.charge(account, id)? else {
        return Ok(());
    };
    let body: Value = serde_json::from_str(&row.body)
        .map_err(|e| StoreError::new(format!("charge {id}: corrupt body: {e}")))?;
    mark_row(tx, row, body, status, edit).map(|_| ())
}

/// [`mark`] on a charge already read (`row`, its body parsed as `body`):
/// writes it back in place and answers its new body, as stored.
fn mark_row(
    tx: &mut dyn Tx,
    mut row: ChargeRow,
    mut body: Value,
    status: ChargeStatus,
    edit: impl FnOnce(&mut Map<String, Value>),
) -> Result<String, StoreError> {
    if let Some(map) = body.as_object_mut() {
        map.insert("status".into(), json!(status.as_str()));
        edit(map);
    }
    row.status = status;
    row.body = body.to_string();
    tx.update_charge(&row)?;
    Ok(row.body)
}

/// A 200 with a body already serialised (byte for byte what
/// [`Reply::ok`] would make of its value).
fn ok_text(body: String) -> Reply {
    Reply {
        status: 200,
        body,
        replayed: false,
    }
}

fn unknown_charge(id: &str) -> ServiceError {
    ServiceError::new(
        Code::UnknownCharge,
        format!("no charge {}", crate::error::echo(id)),
    )
}

/// The refusal for resolving a charge that is no longer pending.
fn resolved(row: &ChargeRow) -> ServiceError {
    let (code, what) = match row.status {
        ChargeStatus::Settled => (ErrorCode::AlreadySettled, "was already settled"),
        ChargeStatus::Released => (ErrorCode::AlreadyReleased, "was already released"),
        ChargeStatus::Expired | ChargeStatus::Pending => {
            (ErrorCode::HoldExpired, "expired before it was resolved")
        }
    };
    let charge: Value = serde_json::from_str(&row.body).unwrap_or(Value::Null);
    ServiceError::new(Code::Core(code), format!("charge {} {what}", row.id)).with("charge", charge)
}

/// `POST …/charges/{id}/settle` with `{amount?}`: charge all (default) or
/// part of what is held; the rest goes back. Settling a settled charge
/// again with the same amount answers as the first time.
pub fn settle(
    tx: &mut dyn Tx,
    catalog: &Catalog,
    account: &str,
    id: &str,
    body: &Value,
    now: Millis,
) -> Result<Reply, StoreError> {
    finish(settle_charge(tx, catalog, account, id, body, now))
}

fn settle_charge(
    tx: &mut dyn Tx,
    catalog: &Catalog,
    account: &str,
    id: &str,
    body: &Value,
    now: Millis,
) -> Result<Reply, Stop> {
    let map = object(body, "a settle")?;
    only_fields(map, &["amount"], "")?;
    let asked = uint(map, "amount", crate::MAX_AMOUNT)?;
    let mut amount = 0;
    let open = open(tx, catalog, account, id, now, |row, charge| {
        let held = charge.get("amount").and_then(Value::as_u64).unwrap_or(0);
        amount = asked.unwrap_or(held);
        row.status == ChargeStatus::Settled
            && charge.get("settledAmount").and_then(Value::as_u64) == Some(amount)
    })?;
    let (mut loaded, row, charge, now) = match open {
        Open::Again(reply) => return Ok(reply),
        Open::Pending(loaded, row, charge, now) => (loaded, row, charge, now),
    };
    match loaded.wallet.settle(id, amount, now) {
        Ok(_) => {}
        Err(e) if e.code == ErrorCode::HoldExpired => {
            return expire_instead(tx, &mut loaded, &row, now);
        }
        Err(e) => return Err(ServiceError::from(e).at("amount").into()),
    }
    save(tx, &mut loaded)?;
    spend(tx, account, id, &charge, amount, now)?;
    // The charge as read by `open`: this operation's own expiries (in
    // `save`) can only have touched other charges, as its hold was live.
    let body = mark_row(tx, row, charge, ChargeStatus::Settled, |b| {
        b.insert("settledAmount".into(), json!(amount));
        b.insert("settledAt".into(), json!(now));
    })?;
    Ok(ok_text(body))
}

/// A charge about to be resolved: answered again as the first time, or
/// pending with its account loaded (refills applied) at the operation's
/// time.
enum Open {
    Again(Reply),
    Pending(Box<Loaded>, ChargeRow, Value, Millis),
}

/// Looks up charge `id` to resolve it. A charge already resolved the way
/// `again` recognises answers as the first time; otherwise a resolved one
/// is `already_settled`, `already_released` or `hold_expired`.
fn open(
    tx: &mut dyn Tx,
    catalog: &Catalog,
    account: &str,
    id: &str,
    now: Millis,
    again: impl FnOnce(&ChargeRow, &Value) -> bool,
) -> Result<Open, Stop> {
    // The account row and the charge are each read once.
    let account_row = tx
        .account(account)?
        .ok_or_else(|| super::unknown_account(account))?;
    let row = tx.charge(account, id)?.ok_or_else(|| unknown_charge(id))?;
    let charge: Value = serde_json::from_str(&row.body)
        .map_err(|e| StoreError::new(format!("charge {id}: corrupt body: {e}")))?;
    if again(&row, &charge) {
        return Ok(Open::Again(Reply::ok(200, &charge)));
    }
    if row.status != ChargeStatus::Pending {
        return Err(resolved(&row).into());
    }
    let mut loaded = from_row(catalog, account_row)?;
    let now = now.max(loaded.wallet.last_at().unwrap_or(now));
    apply_due(&mut loaded, catalog, now)?;
    Ok(Open::Pending(Box::new(loaded), row, charge, now))
}

/// A hold found expired when resolving it: the expiry is recorded and the
/// resolution refused with `hold_expired`.
fn expire_instead(
    tx: &mut dyn Tx,
    loaded: &mut Loaded,
    row: &ChargeRow,
    now: Millis,
) -> Result<Reply, Stop> {
    loaded.wallet.expire(now)?;
    save(tx, loaded)?;
    let row = tx
        .charge(&row.account, &row.id)?
        .unwrap_or_else(|| row.clone());
    Err(resolved(&row).into())
}

/// Records what a settle spent, by product line: each line's share of the
/// settled amount in proportion to its price, rounded down, the remainder
/// on the last priced line (integers only).
fn spend(
    tx: &mut dyn Tx,
    account: &str,
    id: &str,
    charge: &Value,
    amount: u64,
    now: Millis,
) -> Result<(), StoreError> {
    let lines: Vec<(String, String, u64)> = charge
        .pointer("/quote/lines")
        .and_then(Value::as_array)
        .map(|lines| {
            lines
                .iter()
                .map(|l| {
                    (
                        l.get("studio")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        l.get("product")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        l.get("amount").and_then(Value::as_u64).unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let total: u64 = lines.iter().map(|l| l.2).sum();
    if total == 0 || amount == 0 {
        return Ok(());
    }
    let mut rows = Vec::new();
    let mut given: u64 = 0;
    let last = lines.iter().rposition(|l| l.2 > 0).unwrap_or(0);
    for (i, (studio, product, price)) in lines.into_iter().enumerate() {
        if price == 0 {
            continue;
        }
        let share = if i == last {
            amount.saturating_sub(given)
        } else {
            u64::try_from(u128::from(amount) * u128::from(price) / u128::from(total)).unwrap_or(0)
        };
        given = given.saturating_add(share);
        rows.push(SpendRow {
            account: account.to_string(),
            charge: id.to_string(),
            at: now,
            studio,
            product,
            amount: share,
        });
    }
    tx.add_spend(&rows)
}

/// `POST …/charges/{id}/release` with `{reason?}`: everything held goes
/// back to the grants it came from. Releasing a released charge again
/// answers as the first time.
pub fn release(
    tx: &mut dyn Tx,
    catalog: &Catalog,
    account: &str,
    id: &str,
    body: &Value,
    now: Millis,
) -> Result<Reply, StoreError> {
    finish(release_charge(tx, catalog, account, id, body, now))
}

fn release_charge(
    tx: &mut dyn Tx,
    catalog: &Catalog,
    account: &str,
    id: &str,
    body: &Value,
    now: Millis,
) -> Result<Reply, Stop> {
    let map = object(body, "a release")?;
    only_fields(map, &["reason"], "")?;
    let reason = text(map, "reason", "reason")?;
    let open = open(tx, catalog, account, id, now, |row, _| {
        row.status == ChargeStatus::Released
    })?;
    let (mut loaded, row, charge, now) = match open {
        Open::Again(reply) => return Ok(reply),
        Open::Pending(loaded, row, charge, now) => (loaded, row, charge, now),
    };
    match loaded.wallet.release(id, now) {
        Ok(_) => {}
        Err(e) if e.code == ErrorCode::HoldExpired => {
            return expire_instead(tx, &mut loaded, &row, now);
        }
        Err(e) => return Err(e.into()),
    }
    save(tx, &mut loaded)?;
    let body = mark_row(tx, row, charge, ChargeStatus::Released, |b| {
        b.insert("releasedAt".into(), json!(now));
        if let Some(reason) = reason {
            b.insert("reason".into(), json!(reason));
        }
    })?;
    Ok(ok_text(body))
}

/// `GET …/charges/{id}` (a read): the charge as stored. `Ok(None)` when it
/// is pending past its expiry: the caller expires the account first.
pub fn get(
    tx: &mut dyn Tx,
    account: &str,
    id: &str,
    now: Millis,
) -> Result<Option<Reply>, StoreError> {
    if tx.account(account)?.is_none() {
        return Ok(Some(Reply::error(&super::unknown_account(account))));
    }
    match tx.charge(account, id)? {
        None => Ok(Some(Reply::error(&unknown_charge(id)))),
        Some(row) if row.status == ChargeStatus::Pending && row.expires_at <= now => Ok(None),
        Some(row) => {
            let body: Value = serde_json::from_str(&row.body)
                .map_err(|e| StoreError::new(format!("charge {id}: corrupt body: {e}")))?;
            Ok(Some(Reply::ok(200, &body)))
        }
    }
}

/// Expires what is due on `account` at `now` (holds past their ttl, grants
/// past their expiry) and marks the charges released by it. Answers the
/// number of charges expired.
pub fn expire(
    tx: &mut dyn Tx,
    catalog: &Catalog,
    account: &str,
    now: Millis,
) -> Result<usize, StoreError> {
    let mut loaded = match load(tx, catalog, account) {
        Ok(loaded) => loaded,
        Err(Stop::Fail(e)) => return Err(e),
        Err(Stop::Refuse(_)) => return Ok(0),
    };
    let now = now.max(loaded.wallet.last_at().unwrap_or(now));
    let expired = match loaded.wallet.expire(now) {
        Ok(Some(Entry::Expire(e))) => e.holds.len(),
        Ok(_) => return Ok(0),
        Err(e) => return Err(StoreError::new(format!("account {account}: expiring: {e}"))),
    };
    save(tx, &mut loaded)?;
    Ok(expired)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_charge_body_is_read_strictly() {
        let ok = json!({"request": {"product": "image/flux-pro"},
            "expect": {"total": 8, "fingerprint": "f"}, "ttlMs": 1000,
            "metadata": {"reference": "job-1"}});
        let input = ChargeInput::read(&ok).map_err(|e| e.to_string()).unwrap();
        assert_eq!((input.total, input.ttl), (8, 1000));
        let cases = [
            (
                json!({"request": {"product": "x"}, "expect": {"total": 1, "fingerprint": "f"}, "extra": 1}),
                "unknown_field",
                "extra",
            ),
            (
                json!({"expect": {"total": 1, "fingerprint": "f"}}),
                "missing_field",
                "request",
            ),
            (
                json!({"request": {"product": "x"}}),
                "missing_field",
                "expect",
            ),
            (
                json!({"request": {"product": "x"}, "expect": {"total": -1, "fingerprint": "f"}}),
                "invalid_amount",
                "expect.total",
            ),
            (
                json!({"request": {"product": "x"}, "expect": {"total": 1}}),
                "missing_field",
                "expect.fingerprint",
            ),
            (
                json!({"request": {"product": "x"}, "expect": {"total": 1, "fingerprint": "f"}, "ttlMs": 0}),
                "invalid_time",
                "ttlMs",
            ),
            (
                json!({"request": {"product": "x", "sconds": 1}, "expect": {"total": 1, "fingerprint": "f"}}),
                "unknown_field",
                "request.sconds",
            ),
        ];
        for (body, code, path) in cases {
            let e = ChargeInput::read(&body).err().unwrap();
            assert_eq!(
                (e.code.as_str(), e.path.as_deref()),
                (code, Some(path)),
                "{body}"
            );
        }
    }
}
