//! The SQL of each [`Tx`] primitive on PostgreSQL, on the connection inside
//! the current transaction (prepared statements cached per connection).
//! In a write transaction the reads that decide a write take their locks
//! (see the module above).

use super::{Conn, pg};
use crate::store::{
    AccountRow, ChargeRow, ChargeStatus, SpendRow, StoreError, StoreResult, StoredResponse, Tx,
    UsageBy,
};
use crate::wallet::Entry;
use postgres::Row;
use postgres::types::ToSql;

/// The [`Tx`] of the PostgreSQL store.
pub(super) struct PgTx<'a> {
    conn: &'a mut Conn,
    write: bool,
    /// The first statement that failed: PostgreSQL aborts the transaction
    /// there, so nothing after it stands.
    failed: Option<StoreError>,
}

type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

fn to_i64(n: u64) -> StoreResult<i64> {
    i64::try_from(n).map_err(|_| StoreError::new(format!("{n} does not fit a database integer")))
}

fn to_u64(n: i64) -> StoreResult<u64> {
    u64::try_from(n).map_err(|_| StoreError::new(format!("negative count {n} in the database")))
}

fn parse_entry(text: &str) -> StoreResult<Entry> {
    serde_json::from_str(text).map_err(|e| StoreError::new(format!("corrupt ledger entry: {e}")))
}

fn get<'r, T: postgres::types::FromSql<'r>>(row: &'r Row, i: usize) -> StoreResult<T> {
    row.try_get(i).map_err(pg)
}

const ACCOUNT_COLUMNS: &str = "SELECT id, plan, seats, cycle, created_at, pending_plan, pending_at,
     pending_seats, plan_since, snapshot, version FROM accounts WHERE id = $1";

impl<'a> PgTx<'a> {
    pub(super) fn new(conn: &'a mut Conn, write: bool) -> PgTx<'a> {
        PgTx {
            conn,
            write,
            failed: None,
        }
    }

    /// The first failure of this transaction, if any.
    pub(super) fn failed(&mut self) -> Option<StoreError> {
        self.failed.take()
    }

    fn note<T>(&mut self, result: StoreResult<T>) -> StoreResult<T> {
        if let Err(e) = &result
            && self.failed.is_none()
        {
            self.failed = Some(e.clone());
        }
        result
    }

    fn statement(&mut self, sql: &'static str) -> StoreResult<postgres::Statement> {
        if let Some(s) = self.conn.statements.get(sql) {
            return Ok(s.clone());
        }
        let prepared = self.conn.client.prepare(sql).map_err(pg)?;
        self.conn.statements.insert(sql, prepared.clone());
        Ok(prepared)
    }

    fn query(&mut self, sql: &'static str, params: Params<'_>) -> StoreResult<Vec<Row>> {
        let result = self
            .statement(sql)
            .and_then(|s| self.conn.client.query(&s, params).map_err(pg));
        self.note(result)
    }

    fn query_opt(&mut self, sql: &'static str, params: Params<'_>) -> StoreResult<Option<Row>> {
        let result = self
            .statement(sql)
            .and_then(|s| self.conn.client.query_opt(&s, params).map_err(pg));
        self.note(result)
    }

    fn execute(&mut self, sql: &'static str, params: Params<'_>) -> StoreResult<u64> {
        let result = self
            .statement(sql)
            .and_then(|s| self.conn.client.execute(&s, params).map_err(pg));
        self.note(result)
    }

    /// A transaction-scoped advisory lock on `name` (hashed to 64 bits; a
    /// collision only makes two names wait for each other).
    fn lock(&mut self, name: &str) -> StoreResult<()> {
        self.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            &[&name],
        )
        .map(|_| ())
    }

    fn account_row(row: &Row) -> StoreResult<AccountRow> {
        Ok(AccountRow {
            id: get(row, 0)?,
            plan: get(row, 1)?,
            seats: to_u64(get(row, 2)?)?,
            cycle: get(row, 3)?,
            created_at: get(row, 4)?,
            pending_plan: get(row, 5)?,
            pending_at: get(row, 6)?,
            pending_seats: get::<Option<i64>>(row, 7)?.map(to_u64).transpose()?,
            plan_since: get(row, 8)?,
            snapshot: get(row, 9)?,
            version: get(row, 10)?,
        })
    }
}

impl Tx for PgTx<'_> {
    fn meta(&mut self, key: &str) -> StoreResult<Option<String>> {
        const SQL: &str = "SELECT value FROM meta WHERE key = $1";
        let found = self.query_opt(SQL, &[&key])?;
        let found = match found {
            None if self.write => {
                // Absent: read again under the key's lock, so that two
                // instances starting at once set it once.
                self.lock(&format!("meta\u{1f}{key}"))?;
                self.query_opt(SQL, &[&key])?
            }
            other => other,
        };
        found.map(|r| get(&r, 0)).transpose()
    }

    fn set_meta(&mut self, key: &str, value: &str) -> StoreResult<()> {
        self.execute(
            "INSERT INTO meta (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            &[&key, &value],
        )
        .map(|_| ())
    }

    fn idempotency(&mut self, scope: &str, key: &str) -> StoreResult<Option<StoredResponse>> {
        if self.write {
            // A retry of a running request waits for it here, on any
            // instance, and then reads its committed answer.
            self.lock(&format!("key\u{1f}{scope}\u{1f}{key}"))?;
        }
        let row = self.query_opt(
            "SELECT status, body, request_hash FROM idempotency WHERE scope = $1 AND key = $2",
            &[&scope, &key],
        )?;
        row.map(|r| {
            Ok(StoredResponse {
                status: u16::try_from(get::<i32>(&r, 0)?)
                    .map_err(|_| StoreError::new("a stored status out of range"))?,
                body: get(&r, 1)?,
                request_hash: get(&r, 2)?,
            })
        })
        .transpose()
    }

    fn put_idempotency(
        &mut self,
        scope: &str,
        key: &str,
        response: &StoredResponse,
        at: i64,
    ) -> StoreResult<()> {
        self.execute(
            "INSERT INTO idempotency (scope, key, request_hash, status, body, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &scope,
                &key,
                &response.request_hash,
                &i32::from(response.status),
                &response.body,
                &at,
            ],
        )
        .map(|_| ())
    }

    fn account(&mut self, id: &str) -> StoreResult<Option<AccountRow>> {
        const LOCKING: &str = "SELECT id, plan, seats, cycle, created_at, pending_plan, pending_at,
             pending_seats, plan_since, snapshot, version FROM accounts WHERE id = $1 FOR UPDATE";
        let row = if self.write {
            match self.query_opt(LOCKING, &[&id])? {
                Some(row) => Some(row),
                None => {
                    // Not there (yet): wait for a concurrent creation of
                    // the same id, then look again.
                    self.lock(&format!("account\u{1f}{id}"))?;
                    self.query_opt(LOCKING, &[&id])?
                }
            }
        } else {
            self.query_opt(ACCOUNT_COLUMNS, &[&id])?
        };
        row.as_ref().map(Self::account_row).transpose()
    }

    fn insert_account(&mut self, row: &AccountRow) -> StoreResult<()> {
        let seats = to_i64(row.seats)?;
        let pending_seats = row.pending_seats.map(to_i64).transpose()?;
        self.execute(
            "INSERT INTO accounts (id, plan, seats, cycle, created_at, pending_plan,
             pending_at, pending_seats, plan_since, snapshot, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                &row.id,
                &row.plan,
                &seats,
                &row.cycle,
                &row.created_at,
                &row.pending_plan,
                &row.pending_at,
                &pending_seats,
                &row.plan_since,
                &row.snapshot,
                &row.version,
            ],
        )
        .map(|_| ())
    }

    fn update_account(&mut self, row: &AccountRow) -> StoreResult<()> {
        let seats = to_i64(row.seats)?;
        let pending_seats = row.pending_seats.map(to_i64).transpose()?;
        let changed = self.execute(
            "UPDATE accounts SET plan = $2, seats = $3, cycle = $4, pending_plan = $5,
             pending_at = $6, pending_seats = $7, plan_since = $8, snapshot = $9,
             version = version + 1 WHERE id = $1 AND version = $10",
            &[
                &row.id,
                &row.plan,
                &seats,
                &row.cycle,
                &row.pending_plan,
                &row.pending_at,
                &pending_seats,
                &row.plan_since,
                &row.snapshot,
                &row.version,
            ],
        )?;
        if changed == 1 {
            Ok(())
        } else {
            let e = StoreError::new(format!(
                "account {} changed under this write (version {})",
                row.id, row.version
            ));
            self.note(Err(e))
        }
    }

    fn append_entries(&mut self, account: &str, entries: &[Entry]) -> StoreResult<()> {
        for entry in entries {
            let grant_id = match entry {
                Entry::Grant(g) => Some(g.grant.id.as_str()),
                Entry::Refill(r) => Some(r.grant.id.as_str()),
                _ => None,
            };
            let body = serde_json::to_string(entry)
                .map_err(|e| StoreError::new(format!("cannot write an entry: {e}")))?;
            let seq = to_i64(entry.seq())?;
            self.execute(
                "INSERT INTO entries (account, seq, at, kind, grant_id, body)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[&account, &seq, &entry.at(), &entry.kind(), &grant_id, &body],
            )?;
        }
        Ok(())
    }

    fn entry(&mut self, account: &str, seq: u64) -> StoreResult<Option<Entry>> {
        let seq = to_i64(seq)?;
        let row = self.query_opt(
            "SELECT body FROM entries WHERE account = $1 AND seq = $2",
            &[&account, &seq],
        )?;
        row.map(|r| parse_entry(&get::<String>(&r, 0)?)).transpose()
    }

    fn grant_seq(&mut self, account: &str, id: &str) -> StoreResult<Option<u64>> {
        let row = self.query_opt(
            "SELECT seq FROM entries WHERE account = $1 AND grant_id = $2",
            &[&account, &id],
        )?;
        row.map(|r| to_u64(get(&r, 0)?)).transpose()
    }

    fn ledger(&mut self, account: &str, after: u64, limit: u64) -> StoreResult<Vec<Entry>> {
        let (after, limit) = (to_i64(after)?, to_i64(limit)?);
        let rows = self.query(
            "SELECT body FROM entries WHERE account = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            &[&account, &after, &limit],
        )?;
        rows.iter()
            .map(|r| parse_entry(&get::<String>(r, 0)?))
            .collect()
    }

    fn charge(&mut self, account: &str, id: &str) -> StoreResult<Option<ChargeRow>> {
        let row = self.query_opt(
            "SELECT status, expires_at, body FROM charges WHERE account = $1 AND id = $2",
            &[&account, &id],
        )?;
        row.map(|r| {
            let status: String = get(&r, 0)?;
            Ok(ChargeRow {
                account: account.to_string(),
                id: id.to_string(),
                status: ChargeStatus::from_name(&status)
                    .ok_or_else(|| StoreError::new(format!("unknown charge status {status}")))?,
                expires_at: get(&r, 1)?,
                body: get(&r, 2)?,
            })
        })
        .transpose()
    }

    fn insert_charge(&mut self, row: &ChargeRow) -> StoreResult<()> {
        self.execute(
            "INSERT INTO charges (account, id, status, expires_at, body)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &row.account,
                &row.id,
                &row.status.as_str(),
                &row.expires_at,
                &row.body,
            ],
        )
        .map(|_| ())
    }

    fn update_charge(&mut self, row: &ChargeRow) -> StoreResult<()> {
        let changed = self.execute(
            "UPDATE charges SET status = $3, body = $4 WHERE account = $1 AND id = $2",
            &[&row.account, &row.id, &row.status.as_str(), &row.body],
        )?;
        if changed == 1 {
            Ok(())
        } else {
            let e = StoreError::new(format!(
                "charge {} of account {} is not there to update",
                row.id, row.account
            ));
            self.note(Err(e))
        }
    }

    fn due_charges(&mut self, now: i64, limit: u64) -> StoreResult<Vec<(String, String)>> {
        let limit = to_i64(limit)?;
        let rows = self.query(
            "SELECT account, id FROM charges WHERE status = 'pending' AND expires_at <= $1
             ORDER BY expires_at LIMIT $2",
            &[&now, &limit],
        )?;
        rows.iter().map(|r| Ok((get(r, 0)?, get(r, 1)?))).collect()
    }

    fn add_spend(&mut self, rows: &[SpendRow]) -> StoreResult<()> {
        for row in rows {
            let amount = to_i64(row.amount)?;
            self.execute(
                "INSERT INTO spend (account, charge, at, studio, product, amount)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &row.account,
                    &row.charge,
                    &row.at,
                    &row.studio,
                    &row.product,
                    &amount,
                ],
            )?;
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
        // Groups in byte order, as SQLite sorts them, whatever the database's
        // locale. SUM of BIGINT is NUMERIC in PostgreSQL: cast back (a sum
        // past i64 is an error, not a rounding).
        let sql = match by {
            UsageBy::Day => {
                "SELECT to_char(to_timestamp(at / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD') COLLATE \"C\" AS g,
                 SUM(amount)::BIGINT FROM spend
                 WHERE account = $1 AND at >= $2 AND at < $3 GROUP BY g ORDER BY g"
            }
            UsageBy::Studio => {
                "SELECT studio COLLATE \"C\" AS g, SUM(amount)::BIGINT FROM spend
                 WHERE account = $1 AND at >= $2 AND at < $3 GROUP BY g ORDER BY g"
            }
            UsageBy::Product => {
                "SELECT product COLLATE \"C\" AS g, SUM(amount)::BIGINT FROM spend
                 WHERE account = $1 AND at >= $2 AND at < $3 GROUP BY g ORDER BY g"
            }
        };
        let rows = self.query(sql, &[&account, &from, &to])?;
        rows.iter()
            .map(|r| Ok((get(r, 0)?, to_u64(get(r, 1)?)?)))
            .collect()
    }
}
