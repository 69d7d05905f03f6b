//! `genprice wallet`: one wallet operation against a JSON Lines ledger.
//!
//! Reads the ledger (`--ledger FILE`, created if absent), folds it into a
//! wallet, runs one operation at `--now` (default: the system clock — the
//! only place the clock is read), appends the entries it made, and prints
//! the result as one JSON object on stdout. A refusal prints
//! `{"error":{"code","message",…}}` and exits 1; a usage error exits 2.
#![allow(
    clippy::result_large_err,
    reason = "WalletError keeps its details as typed fields"
)]

use clap::{Args, Subcommand};
use genprice::ErrorCode;
use genprice::wallet::{
    Answer, Balance, Command, Entry, Grant, GrantSource, HoldRequest, Metadata, Millis, Refill,
    Wallet, WalletError, WalletPolicy,
};
use serde::Serialize;
use serde_json::json;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

/// Options of every `genprice wallet` operation.
#[derive(Args)]
pub struct WalletArgs {
    /// The wallet's ledger: JSON Lines, one entry per line. Created if absent.
    #[arg(long, global = true, value_name = "FILE")]
    ledger: Option<PathBuf>,
    /// The operation's time in Unix milliseconds (default: now).
    #[arg(long, global = true, value_name = "MS", allow_negative_numbers = true)]
    now: Option<Millis>,
    /// Wallet policy as JSON (burn order, allowances); needed by refill.
    #[arg(long, global = true, value_name = "FILE", conflicts_with = "catalog")]
    policy: Option<PathBuf>,
    /// Take the policy from this catalog's [wallet] section (TOML, or the
    /// JSON `genprice catalog` prints) instead of --policy.
    #[arg(long, global = true, value_name = "FILE")]
    catalog: Option<PathBuf>,
    #[command(subcommand)]
    operation: Operation,
}

/// Caller metadata for history (studio, product, summary, reference).
#[derive(Args)]
struct MetadataArgs {
    /// Studio that spends the credits (image, video …).
    #[arg(long)]
    studio: Option<String>,
    /// Product id (video/veo-3).
    #[arg(long)]
    product: Option<String>,
    /// Short request summary.
    #[arg(long)]
    summary: Option<String>,
    /// Your own reference (request or order id).
    #[arg(long)]
    reference: Option<String>,
}

impl MetadataArgs {
    fn into_metadata(self) -> Metadata {
        Metadata {
            studio: self.studio,
            product: self.product,
            summary: self.summary,
            reference: self.reference,
        }
    }
}

#[derive(Subcommand)]
enum Operation {
    /// Grant credits (idempotent on --id).
    Grant {
        /// Grant id, unique in the wallet.
        #[arg(long)]
        id: String,
        /// signup, daily, monthly, annual, seat, addon, topup, promo or adjustment.
        #[arg(long, value_parser = parse_source)]
        source: GrantSource,
        /// Credits, in smallest units.
        #[arg(long)]
        amount: u64,
        /// When the credits become usable, Unix ms (default: --now; pass it
        /// explicitly to make retries idempotent).
        #[arg(long, value_name = "MS")]
        effective: Option<Millis>,
        /// When they stop being usable, Unix ms, exclusive (default: never).
        #[arg(long, value_name = "MS")]
        expires: Option<Millis>,
        /// Burn-order tie-breaker: lower is spent first (default 0).
        #[arg(long, default_value_t = 0)]
        priority: u32,
        #[command(flatten)]
        metadata: MetadataArgs,
    },
    /// Hold credits for a generation (idempotent on --id).
    Hold {
        /// Hold id.
        #[arg(long)]
        id: String,
        /// Credits to reserve.
        #[arg(long)]
        amount: u64,
        /// How long the hold lasts, in ms.
        #[arg(long, value_name = "MS")]
        ttl: Millis,
        #[command(flatten)]
        metadata: MetadataArgs,
    },
    /// Charge all or part of a hold; the rest goes back.
    Settle {
        /// Hold id.
        #[arg(long)]
        id: String,
        /// Credits to charge (at most the held amount).
        #[arg(long)]
        amount: u64,
    },
    /// Release a hold: nothing charged, everything goes back.
    Release {
        /// Hold id.
        #[arg(long)]
        id: String,
    },
    /// Expire holds past their ttl and grants past their expiry.
    Expire,
    /// Grant a policy allowance for one period (idempotent per period).
    Refill {
        /// Allowance id in the policy.
        #[arg(long)]
        allowance: String,
        /// Period key (2026-11).
        #[arg(long)]
        period: String,
        /// Period start, Unix ms.
        #[arg(long, value_name = "MS")]
        start: Millis,
        /// Period end, Unix ms, exclusive.
        #[arg(long, value_name = "MS")]
        end: Millis,
        /// Seats, for a per-seat allowance.
        #[arg(long, default_value_t = 1)]
        seats: u64,
    },
    /// Print the balance: totals, per source, per grant, next expiry.
    Balance,
    /// Show what spending an amount would draw, without changing anything.
    Preview {
        /// Credits to spend.
        #[arg(long)]
        amount: u64,
    },
}

fn parse_source(text: &str) -> Result<GrantSource, String> {
    GrantSource::from_name(text).ok_or_else(|| {
        let names: Vec<&str> = GrantSource::ALL.iter().map(|s| s.as_str()).collect();
        format!("expected one of {}", names.join(", "))
    })
}

/// Runs `genprice wallet`.
pub fn run(args: WalletArgs) -> Result<ExitCode, String> {
    let Some(ledger) = args.ledger.clone() else {
        eprintln!("genprice wallet: --ledger FILE is required");
        return Ok(ExitCode::from(2));
    };
    let now = match args.now {
        Some(now) => now,
        None => system_now()?,
    };
    let outcome = policy(args.policy.as_deref(), args.catalog.as_deref())
        .and_then(|policy| load(&ledger, policy))
        .and_then(|wallet| operate(wallet, &ledger, args.operation, now));
    let (line, code) = match outcome {
        Ok(value) => (value, ExitCode::SUCCESS),
        Err(error) => (json!({ "error": error }).to_string(), ExitCode::FAILURE),
    };
    println!("{line}");
    Ok(code)
}

fn system_now() -> Result<Millis, String> {
    let elapsed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| format!("system clock is before 1970: {e}"))?;
    Millis::try_from(elapsed.as_millis()).map_err(|e| format!("system clock: {e}"))
}

fn io_error(path: &Path, what: &str, e: &std::io::Error) -> WalletError {
    WalletError::new(
        ErrorCode::Io,
        format!("{}: cannot {what}: {e}", path.display()),
    )
}

/// The policy from a JSON file, from a catalog's `[wallet]` section, or the
/// default (no allowances, default burn order).
fn policy(file: Option<&Path>, catalog: Option<&Path>) -> Result<WalletPolicy, WalletError> {
    if let Some(path) = catalog {
        let catalog = crate::load_catalog(path)
            .map_err(|e| WalletError::new(e.code(), format!("{}: {e}", path.display())))?;
        return Ok(catalog.spec().wallet.clone());
    }
    let Some(path) = file else {
        return Ok(WalletPolicy::default());
    };
    let text = std::fs::read_to_string(path).map_err(|e| io_error(path, "read policy", &e))?;
    serde_json::from_str(&text)
        .map_err(|e| WalletError::new(ErrorCode::InvalidPolicy, format!("{}: {e}", path.display())))
}

/// Folds the ledger under `policy`, creating the file if absent.
fn load(ledger: &Path, policy: WalletPolicy) -> Result<Wallet, WalletError> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(ledger)
        .map_err(|e| io_error(ledger, "create ledger", &e))?;
    read(ledger, policy)
}

/// The credits available at `now` in the wallet the ledger file folds to
/// under `policy` (for `genprice quote --ledger`); the file must exist and
/// is only read.
pub(crate) fn available(
    ledger: &Path,
    policy: WalletPolicy,
    now: Option<Millis>,
) -> Result<u64, WalletError> {
    let now = match now {
        Some(now) => now,
        None => system_now().map_err(|e| WalletError::new(ErrorCode::InvalidTime, e))?,
    };
    Ok(read(ledger, policy)?.balance(now)?.available)
}

/// Folds the ledger file under `policy`.
fn read(ledger: &Path, policy: WalletPolicy) -> Result<Wallet, WalletError> {
    let text = std::fs::read_to_string(ledger).map_err(|e| io_error(ledger, "read ledger", &e))?;
    let mut wallet = Wallet::new(policy)?;
    for (index, line) in text.lines().enumerate() {
        let number = u64::try_from(index).unwrap_or(u64::MAX).saturating_add(1);
        if line.trim().is_empty() {
            continue;
        }
        let at_line = |message: String| {
            WalletError::ledger(format!("{}:{number}: {message}", ledger.display()))
                .with_line(number)
        };
        let entry: Entry = serde_json::from_str(line).map_err(|e| at_line(e.to_string()))?;
        wallet.apply(entry).map_err(|e| WalletError {
            line: Some(number),
            ..at_line(e.message.clone())
        })?;
    }
    Ok(wallet)
}

fn command(operation: Operation, now: Millis) -> Command {
    match operation {
        Operation::Grant {
            id,
            source,
            amount,
            effective,
            expires,
            priority,
            metadata,
        } => Command::Grant {
            grant: Grant {
                id,
                source,
                amount,
                effective_at: effective.unwrap_or(now),
                expires_at: expires,
                priority,
            },
            metadata: metadata.into_metadata(),
        },
        Operation::Hold {
            id,
            amount,
            ttl,
            metadata,
        } => Command::Hold(HoldRequest {
            id,
            amount,
            ttl,
            metadata: metadata.into_metadata(),
        }),
        Operation::Settle { id, amount } => Command::Settle { hold: id, amount },
        Operation::Release { id } => Command::Release { hold: id },
        Operation::Expire => Command::Expire {},
        Operation::Refill {
            allowance,
            period,
            start,
            end,
            seats,
        } => Command::Refill(Refill {
            allowance,
            period,
            start,
            end,
            seats,
        }),
        Operation::Balance => Command::Balance {},
        Operation::Preview { amount } => Command::Preview { amount },
    }
}

/// Runs the operation, appends its entries, and returns what to print.
fn operate(
    mut wallet: Wallet,
    ledger: &Path,
    operation: Operation,
    now: Millis,
) -> Result<String, WalletError> {
    let before = wallet.entries().len();
    let answer = wallet.execute(&command(operation, now), now)?;
    let appended = wallet.entries().get(before..).unwrap_or_default();
    append(ledger, appended)?;
    let balance = match answer {
        Answer::Receipt(_) | Answer::Expire { .. } => {
            // A retry may be dated before the last entry; show the balance
            // as of the ledger's latest time then.
            let at = wallet.last_at().map_or(now, |last| last.max(now));
            Some(wallet.balance(at)?)
        }
        Answer::Balance(_) | Answer::Preview(_) => None,
    };
    serde_json::to_string(&Printed {
        answer: &answer,
        balance,
    })
    .map_err(|e| WalletError::new(ErrorCode::Io, e.to_string()))
}

/// What `genprice wallet` prints: the answer, and after a change the
/// balance it leaves.
#[derive(Serialize)]
struct Printed<'a> {
    #[serde(flatten)]
    answer: &'a Answer,
    #[serde(skip_serializing_if = "Option::is_none")]
    balance: Option<Balance>,
}

/// Appends entries to the ledger, one JSON object per line.
fn append(ledger: &Path, entries: &[Entry]) -> Result<(), WalletError> {
    if entries.is_empty() {
        return Ok(());
    }
    let existing = std::fs::read(ledger).map_err(|e| io_error(ledger, "read ledger", &e))?;
    let mut text = String::new();
    if existing.last().is_some_and(|b| *b != b'\n') {
        text.push('\n');
    }
    for entry in entries {
        let line = serde_json::to_string(entry)
            .map_err(|e| WalletError::new(ErrorCode::Io, e.to_string()))?;
        text.push_str(&line);
        text.push('\n');
    }
    let mut file = OpenOptions::new()
        .append(true)
        .open(ledger)
        .map_err(|e| io_error(ledger, "open ledger", &e))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_data())
        .map_err(|e| io_error(ledger, "append to ledger", &e))
}
