//! Credits given outside the plan's allowances: a grant (a refund, a
//! promo, an adjustment) and a pack bought. Grant ids are unique per
//! account: the same grant again answers with its original entry, another
//! grant under a used id is `grant_conflict`. A pack's grant id is its
//! payment id, so a payment is credited once.

use super::charges::{object, only_fields, text, uint};
use super::refill::{apply_due, billing_cycle};
use super::{Code, Reply, ServiceError, Stop, finish, load, save};
use crate::catalog::{Catalog, Cycle};
use crate::error::ErrorCode;
use crate::plan::pack_grant;
use crate::store::{StoreError, Tx};
use crate::wallet::{Entry, Grant, GrantSource, Metadata, Millis};
use serde_json::{Value, json};

fn grant_id(map: &serde_json::Map<String, Value>, key: &str) -> Result<String, ServiceError> {
    match map.get(key) {
        Some(Value::String(id)) => Ok(id.clone()),
        _ => Err(ServiceError::new(
            Code::Core(ErrorCode::MissingField),
            format!("{key} (a string) is required"),
        )
        .at(key)),
    }
}

/// `POST …/grants` with `{id, source, amount, effectiveAt?, expiresAt?,
/// priority?, metadata?: {summary?, reference?}}`.
pub fn grant(
    tx: &mut dyn Tx,
    catalog: &Catalog,
    account: &str,
    body: &Value,
    now: Millis,
) -> Result<Reply, StoreError> {
    finish((|| {
        let map = object(body, "a grant")?;
        only_fields(
            map,
            &[
                "id",
                "source",
                "amount",
                "effectiveAt",
                "expiresAt",
                "priority",
                "metadata",
            ],
            "",
        )?;
        let id = grant_id(map, "id")?;
        let source = match map.get("source") {
            Some(Value::String(s)) => GrantSource::from_name(s).ok_or_else(|| {
                let names: Vec<&str> = GrantSource::ALL.iter().map(|s| s.as_str()).collect();
                ServiceError::new(
                    Code::Core(ErrorCode::InvalidRequest),
                    format!("source is one of {}", names.join(", ")),
                )
                .at("source")
            })?,
            _ => {
                return Err(ServiceError::new(
                    Code::Core(ErrorCode::MissingField),
                    "source is required",
                )
                .at("source")
                .into());
            }
        };
        let amount = uint(map, "amount", crate::MAX_AMOUNT)?.ok_or_else(|| {
            ServiceError::new(Code::Core(ErrorCode::MissingField), "amount is required")
                .at("amount")
        })?;
        let time = |key: &str| -> Result<Option<Millis>, ServiceError> {
            uint(map, key, crate::wallet::MAX_TIME as u64)
                .map_err(|e| ServiceError {
                    code: Code::Core(ErrorCode::InvalidTime),
                    ..e
                })
                .map(|t| t.and_then(|t| Millis::try_from(t).ok()))
        };
        let effective_at = time("effectiveAt")?.unwrap_or(now);
        let expires_at = time("expiresAt")?;
        let priority = uint(map, "priority", u64::from(u32::MAX))?
            .and_then(|p| u32::try_from(p).ok())
            .unwrap_or(0);
        let metadata = match map.get("metadata") {
            None | Some(Value::Null) => Metadata::default(),
            Some(Value::Object(m)) => {
                only_fields(m, &["summary", "reference"], "metadata")?;
                Metadata {
                    summary: text(m, "summary", "metadata.summary")?,
                    reference: text(m, "reference", "metadata.reference")?,
                    ..Metadata::default()
                }
            }
            Some(_) => {
                return Err(ServiceError::new(
                    Code::Core(ErrorCode::InvalidRequest),
                    "metadata must be an object: {summary?, reference?}",
                )
                .at("metadata")
                .into());
            }
        };
        let grant = Grant {
            id,
            source,
            amount,
            effective_at,
            expires_at,
            priority,
        };
        let derived = Derived {
            effective_at: map.get("effectiveAt").is_none_or(Value::is_null),
            expires_at: false,
        };
        give(tx, catalog, account, &grant, &metadata, derived, now)
    })())
}

/// `POST …/packs` with `{pack, paymentId}`: the pack's credits, if the
/// account's plan may buy it, under the payment id.
pub fn pack(
    tx: &mut dyn Tx,
    catalog: &Catalog,
    account: &str,
    body: &Value,
    now: Millis,
) -> Result<Reply, StoreError> {
    finish((|| {
        let map = object(body, "a pack purchase")?;
        only_fields(map, &["pack", "paymentId"], "")?;
        let pack = grant_id(map, "pack")?;
        let payment = grant_id(map, "paymentId")?;
        let row = tx
            .account(account)?
            .ok_or_else(|| super::unknown_account(account))?;
        let cycle = Cycle::from_name(&row.cycle).unwrap_or(Cycle::Monthly);
        let (_, end) = billing_cycle(row.created_at, cycle, now);
        let grant = pack_grant(catalog, &row.plan, &pack, &payment, now, Some(end))
            .map_err(|e| ServiceError::from_quote(e, ""))?;
        let metadata = Metadata {
            summary: Some(format!("pack {pack}")),
            reference: Some(payment),
            ..Metadata::default()
        };
        // The times of a pack's grant are the server's (now, the cycle's
        // end): a retry later is the same purchase.
        let derived = Derived {
            effective_at: true,
            expires_at: true,
        };
        give(tx, catalog, account, &grant, &metadata, derived, now)
    })())
}

/// Which times of a grant the server chose rather than the caller (a
/// missing `effectiveAt` is now): a retry at another time does not make
/// them another grant.
#[derive(Clone, Copy)]
struct Derived {
    effective_at: bool,
    expires_at: bool,
}

/// Grants `grant` once: a known id answers with its entry (the same
/// grant, its server-chosen times aside) or `grant_conflict` (another).
fn give(
    tx: &mut dyn Tx,
    catalog: &Catalog,
    account: &str,
    grant: &Grant,
    metadata: &Metadata,
    derived: Derived,
    now: Millis,
) -> Result<Reply, Stop> {
    grant.validate()?;
    metadata.validate()?;
    if tx.account(account)?.is_none() {
        return Err(super::unknown_account(account).into());
    }
    if let Some(seq) = tx.grant_seq(account, &grant.id)? {
        let entry = tx
            .entry(account, seq)?
            .ok_or_else(|| StoreError::new(format!("grant {} has no entry {seq}", grant.id)))?;
        let same = |stored: &Grant| {
            let mut asked = grant.clone();
            if derived.effective_at {
                asked.effective_at = stored.effective_at;
            }
            if derived.expires_at {
                asked.expires_at = stored.expires_at;
            }
            asked == *stored
        };
        return match &entry {
            Entry::Grant(g) if same(&g.grant) && g.metadata == *metadata => {
                let body = json!({"entry": to_json(&entry)?, "replayed": true});
                Ok(Reply::ok(200, &body))
            }
            _ => Err(ServiceError::new(
                Code::Core(ErrorCode::GrantConflict),
                format!(
                    "grant id {} is taken by another grant",
                    crate::error::echo(&grant.id)
                ),
            )
            .at("id")
            .into()),
        };
    }
    let mut loaded = load(tx, catalog, account)?;
    let now = now.max(loaded.wallet.last_at().unwrap_or(now));
    apply_due(&mut loaded, catalog, now)?;
    let receipt = loaded.wallet.grant(grant, metadata, now)?;
    save(tx, &mut loaded)?;
    let balance = loaded.wallet.balance(now)?;
    let body = json!({
        "entry": to_json(&receipt.entry)?,
        "replayed": false,
        "balance": to_json(&balance)?,
    });
    Ok(Reply::ok(201, &body))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, StoreError> {
    serde_json::to_value(value).map_err(|e| StoreError::new(e.to_string()))
}
