//! The SQL of each [`Tx`] primitive, on the connection inside the current
//! transaction (prepared statements are cached per connection).

use super::sql;
use crate::store::{
    AccountRow, ChargeRow, ChargeStatus, SpendRow, StoreError, StoreResult, StoredResponse, Tx,
    UsageBy,
};
use crate::wallet::Entry;
use rusqlite::{Connection, OptionalExtension, params};

/// The [`Tx`] of the SQLite store: prepared (cached) statements on the
/// connection inside the current transaction.
pub(super) struct SqliteTx<'a> {
    pub(super) conn: &'a mut Connection,
}

fn to_i64(n: u64) -> StoreResult<i64> {
    i64::try_from(n).map_err(|_| StoreError::new(format!("{n} does not fit a database integer")))
}

fn to_u64(n: i64) -> StoreResult<u64> {
    u64::try_from(n).map_err(|_| StoreError::new(format!("negative count {n} in the database")))
}

fn parse_entry(text: &str) -> StoreResult<Entry> {
    serde_json::from_str(text).map_err(|e| StoreError::new(format!("corrupt ledger entry: {e}")))
}

impl Tx for SqliteTx<'_> {
    fn meta(&mut self, key: &str) -> StoreResult<Option<String>> {
        self.conn
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")
            .and_then(|mut s| s.query_row(params![key], |r| r.get(0)).optional())
            .map_err(sql)
    }

    fn set_meta(&mut self, key: &str, value: &str) -> StoreResult<()> {
        self.conn
            .prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![key, value]))
            .map(|_| ())
            .map_err(sql)
    }

    fn idempotency(&mut self, scope: &str, key: &str) -> StoreResult<Option<StoredResponse>> {
        self.conn
            .prepare_cached(
                "SELECT status, body, request_hash FROM idempotency WHERE scope = ?1 AND key = ?2",
            )
            .and_then(|mut s| {
                s.query_row(params![scope, key], |r| {
                    Ok(StoredResponse {
                        status: r.get(0)?,
                        body: r.get(1)?,
                        request_hash: r.get(2)?,
                    })
                })
                .optional()
            })
            .map_err(sql)
    }

    fn put_idempotency(
        &mut self,
        scope: &str,
        key: &str,
        response: &StoredResponse,
        at: i64,
    ) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO idempotency (scope, key, request_hash, status, body, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    scope,
                    key,
                    response.request_hash,
                    response.status,
                    response.body,
                    at
                ])
            })
            .map(|_| ())
            .map_err(sql)
    }

    fn account(&mut self, id: &str) -> StoreResult<Option<AccountRow>> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT id, plan, seats, cycle, created_at, pending_plan, pending_at, pending_seats,
                 plan_since, snapshot, version FROM accounts WHERE id = ?1",
            )
            .and_then(|mut s| {
                s.query_row(params![id], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, Option<i64>>(6)?,
                        r.get::<_, Option<i64>>(7)?,
                        r.get::<_, i64>(8)?,
                        r.get::<_, String>(9)?,
                        r.get::<_, i64>(10)?,
                    ))
                })
                .optional()
            })
            .map_err(sql)?;
        row.map(
            |(
                id,
                plan,
                seats,
                cycle,
                created_at,
                pending_plan,
                pending_at,
                pending_seats,
                plan_since,
                snapshot,
                version,
            )| {
                Ok(AccountRow {
                    id,
                    plan,
                    seats: to_u64(seats)?,
                    cycle,
                    created_at,
                    pending_plan,
                    pending_at,
                    pending_seats: pending_seats.map(to_u64).transpose()?,
                    plan_since,
                    snapshot,
                    version,
                })
            },
        )
        .transpose()
    }

    fn insert_account(&mut self, row: &AccountRow) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO accounts (id, plan, seats, cycle, created_at, pending_plan,
                 pending_at, pending_seats, plan_since, snapshot, version)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    row.id,
                    row.plan,
                    i64::try_from(row.seats).unwrap_or(i64::MAX),
                    row.cycle,
                    row.created_at,
                    row.pending_plan,
                    row.pending_at,
                    row.pending_seats.map(to_i64).transpose().unwrap_or(None),
                    row.plan_since,
                    row.snapshot,
                    row.version
                ])
            })
            .map(|_| ())
            .map_err(sql)
    }

    fn update_account(&mut self, row: &AccountRow) -> StoreResult<()> {
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE accounts SET plan = ?2, seats = ?3, cycle = ?4, pending_plan = ?5,
                 pending_at = ?6, pending_seats = ?7, plan_since = ?8, snapshot = ?9,
                 version = version + 1 WHERE id = ?1 AND version = ?10",
            )
            .and_then(|mut s| {
                s.execute(params![
                    row.id,
                    row.plan,
                    to_i64(row.seats).unwrap_or(i64::MAX),
                    row.cycle,
                    row.pending_plan,
                    row.pending_at,
                    row.pending_seats.map(to_i64).transpose().unwrap_or(None),
                    row.plan_since,
                    row.snapshot,
                    row.version
                ])
            })
            .map_err(sql)?;
        if changed == 1 {
            Ok(())
        } else {
            Err(StoreError::new(format!(
                "account {} changed under this write (version {})",
                row.id, row.version
            )))
        }
    }

    fn append_entries(&mut self, account: &str, entries: &[Entry]) -> StoreResult<()> {
        let mut statement = self
            .conn
            .prepare_cached(
                "INSERT INTO entries (account, seq, at, kind, grant_id, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .map_err(sql)?;
        for entry in entries {
            let grant_id = match entry {
                Entry::Grant(g) => Some(g.grant.id.as_str()),
                Entry::Refill(r) => Some(r.grant.id.as_str()),
                _ => None,
            };
            let body = serde_json::to_string(entry)
                .map_err(|e| StoreError::new(format!("cannot write an entry: {e}")))?;
            statement
                .execute(params![
                    account,
                    to_i64(entry.seq())?,
                    entry.at(),
                    entry.kind(),
                    grant_id,
                    body
                ])
                .map_err(sql)?;
        }
        Ok(())
    }

    fn entry(&mut self, account: &str, seq: u64) -> StoreResult<Option<Entry>> {
        let body: Option<String> = self
            .conn
            .prepare_cached("SELECT body FROM entries WHERE account = ?1 AND seq = ?2")
            .and_then(|mut s| {
                s.query_row(params![account, to_i64(seq).unwrap_or(-1)], |r| r.get(0))
                    .optional()
            })
            .map_err(sql)?;
        body.as_deref().map(parse_entry).transpose()
    }

    fn grant_seq(&mut self, account: &str, id: &str) -> StoreResult<Option<u64>> {
        let seq: Option<i64> = self
            .conn
            .prepare_cached("SELECT seq FROM entries WHERE account = ?1 AND grant_id = ?2")
            .and_then(|mut s| s.query_row(params![account, id], |r| r.get(0)).optional())
            .map_err(sql)?;
        seq.map(to_u64).transpose()
    }

    fn ledger(&mut self, account: &str, after: u64, limit: u64) -> StoreResult<Vec<Entry>> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT body FROM entries WHERE account = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
            )
            .map_err(sql)?;
        let rows = statement
            .query_map(params![account, to_i64(after)?, to_i64(limit)?], |r| {
                r.get::<_, String>(0)
            })
            .map_err(sql)?;
        let mut entries = Vec::new();
        for row in rows {
            entries.push(parse_entry(&row.map_err(sql)?)?);
        }
        Ok(entries)
    }

    fn charge(&mut self, account: &str, id: &str) -> StoreResult<Option<ChargeRow>> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT status, expires_at, body FROM charges WHERE account = ?1 AND id = ?2",
            )
            .and_then(|mut s| {
                s.query_row(params![account, id], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })
                .optional()
            })
            .map_err(sql)?;
        row.map(|(status, expires_at, body)| {
            Ok(ChargeRow {
                account: account.to_string(),
                id: id.to_string(),
                status: ChargeStatus::from_name(&status)
                    .ok_or_else(|| StoreError::new(format!("unknown charge status {status}")))?,
                expires_at,
                body,
            })
        })
        .transpose()
    }

    fn insert_charge(&mut self, row: &ChargeRow) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO charges (account, id, status, expires_at, body)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    row.account,
                    row.id,
                    row.status.as_str(),
                    row.expires_at,
                    row.body
                ])
            })
            .map(|_| ())
            .map_err(sql)
    }

    fn update_charge(&mut self, row: &ChargeRow) -> StoreResult<()> {
        // An UPDATE in place: `INSERT OR REPLACE` deleted the row and its
        // `charges_due` entry and inserted both again.
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE charges SET status = ?3, body = ?4 WHERE account = ?1 AND id = ?2",
            )
            .and_then(|mut s| {
                s.execute(params![row.account, row.id, row.status.as_str(), row.body])
            })
            .map_err(sql)?;
        if changed == 1 {
            Ok(())
        } else {
            Err(StoreError::new(format!(
                "charge {} of account {} is not there to update",
                row.id, row.account
            )))
        }
    }

    fn due_charges(&mut self, now: i64, limit: u64) -> StoreResult<Vec<(String, String)>> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT account, id FROM charges WHERE status = 'pending' AND expires_at <= ?1
                 ORDER BY expires_at LIMIT ?2",
            )
            .map_err(sql)?;
        let rows = statement
            .query_map(params![now, to_i64(limit)?], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(sql)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(sql)
    }

    fn add_spend(&mut self, rows: &[SpendRow]) -> StoreResult<()> {
        let mut statement = self
            .conn
            .prepare_cached(
                "INSERT INTO spend (account, charge, at, studio, product, amount)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .map_err(sql)?;
        for row in rows {
            statement
                .execute(params![
                    row.account,
                    row.charge,
                    row.at,
                    row.studio,
                    row.product,
                    to_i64(row.amount)?
                ])
                .map_err(sql)?;
        }
        Ok(())
    }

    fn usage(
        &mut self,
        account: &str,
        from: i64,
        to: i64,
        by: UsageBy,
    ) -> StoreResult<Vec<(String, u64)>> {
        let group = match by {
            UsageBy::Day => "strftime('%Y-%m-%d', at / 1000, 'unixepoch')",
            UsageBy::Studio => "studio",
            UsageBy::Product => "product",
        };
        let query = format!(
            "SELECT {group} AS g, SUM(amount) FROM spend
             WHERE account = ?1 AND at >= ?2 AND at < ?3 GROUP BY g ORDER BY g"
        );
        let mut statement = self.conn.prepare_cached(&query).map_err(sql)?;
        let rows = statement
            .query_map(params![account, from, to], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })
            .map_err(sql)?;
        let mut out = Vec::new();
        for row in rows {
            let (group, amount) = row.map_err(sql)?;
            out.push((group, to_u64(amount)?));
        }
        Ok(out)
    }
}
