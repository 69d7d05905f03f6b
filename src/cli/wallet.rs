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

use super::ledger_file::{DEFAULT_MAX_BYTES, LedgerFile};
use super::{load_catalog, system_now, unsigned};
use clap::{Args, Subcommand};
use genprice::ErrorCode;
use genprice::wallet::{
    Answer, Balance, Command, Entry, Grant, GrantSource, HoldRequest, Metadata, Millis, Refill,
    Wallet, WalletError, WalletPolicy,
};
use serde::Serialize;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The catalog whose `[wallet]` section is the policy when neither
/// `--policy` nor `--catalog` is given: the same default as every other
/// subcommand (and `genprice quote --ledger`).
const DEFAULT_CATALOG: &str = "pricing.toml";

/// Options of every `genprice wallet` operation.
#[derive(Args)]
pub struct WalletArgs {
    /// The wallet's ledger: JSON Lines, one entry per line. Created if absent.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        help_heading = "Ledger options"
    )]
    ledger: Option<PathBuf>,
    /// The operation's time in Unix milliseconds (default: now).
    #[arg(
        long,
        global = true,
        value_name = "MS",
        allow_negative_numbers = true,
        help_heading = "Ledger options"
    )]
    now: Option<Millis>,
    /// Wallet policy as JSON (burn order, allowances) instead of a
    /// catalog's [wallet] section.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        conflicts_with = "catalog",
        help_heading = "Ledger options"
    )]
    policy: Option<PathBuf>,
    /// Take the policy from this catalog's [wallet] section (TOML, or the
    /// JSON `genprice catalog` prints) [default: pricing.toml, unless
    /// --policy is given].
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        help_heading = "Ledger options"
    )]
    catalog: Option<PathBuf>,
    /// Refuse a ledger file larger than this with ledger_too_large: the
    /// wallet keeps every entry in memory (about 700 bytes each).
    #[arg(
        long,
        global = true,
        value_name = "BYTES",
        default_value_t = DEFAULT_MAX_BYTES,
        help_heading = "Ledger options"
    )]
    max_ledger_bytes: u64,
    #[command(subcommand)]
    operation: Operation,
}

/// Caller metadata for history (studio, product, summary, reference).
#[derive(Args)]
#[command(next_help_heading = "Metadata")]
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
        #[arg(long, allow_negative_numbers = true)]
        amount: i64,
        /// When the credits become usable, Unix ms (default: --now; pass it
        /// explicitly to make retries idempotent).
        #[arg(long, value_name = "MS", allow_negative_numbers = true)]
        effective: Option<Millis>,
        /// When they stop being usable, Unix ms, exclusive (default: never).
        #[arg(long, value_name = "MS", allow_negative_numbers = true)]
        expires: Option<Millis>,
        /// Burn-order tie-breaker: lower is spent first.
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        priority: i64,
        #[command(flatten)]
        metadata: MetadataArgs,
    },
    /// Hold credits for a generation (idempotent on --id).
    Hold {
        /// Hold id.
        #[arg(long)]
        id: String,
        /// Credits to reserve.
        #[arg(long, allow_negative_numbers = true)]
        amount: i64,
        /// How long the hold lasts, in ms.
        #[arg(long, value_name = "MS", allow_negative_numbers = true)]
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
        #[arg(long, allow_negative_numbers = true)]
        amount: i64,
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
        #[arg(long, value_name = "MS", allow_negative_numbers = true)]
        start: Millis,
        /// Period end, Unix ms, exclusive.
        #[arg(long, value_name = "MS", allow_negative_numbers = true)]
        end: Millis,
        /// Seats, for a per-seat allowance.
        #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
        seats: i64,
    },
    /// Print the balance: totals, per source, per grant, next expiry.
    Balance,
    /// Show what spending an amount would draw, without changing anything.
    Preview {
        /// Credits to spend.
        #[arg(long, allow_negative_numbers = true)]
        amount: i64,
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
    let outcome = command(args.operation, now).and_then(|command| {
        let policy = policy(args.policy.as_deref(), args.catalog.as_deref())?;
        // The lock is held from before the read until after the append
        // is on disk, so concurrent runs take turns.
        let mut file = LedgerFile::open_exclusive(&ledger)?;
        let wallet = file.fold(policy, args.max_ledger_bytes)?;
        operate(wallet, &mut file, &command, now)
    });
    let (line, code) = match outcome {
        Ok(value) => (value, ExitCode::SUCCESS),
        Err(error) => {
            eprintln!("genprice wallet: {error}");
            (json!({ "error": error }).to_string(), ExitCode::FAILURE)
        }
    };
    println!("{line}");
    Ok(code)
}

/// The policy from a JSON file, or from a catalog's `[wallet]` section
/// (`--catalog`, by default `./pricing.toml`).
fn policy(file: Option<&Path>, catalog: Option<&Path>) -> Result<WalletPolicy, WalletError> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            WalletError::new(
                ErrorCode::Io,
                format!("{}: cannot read policy: {e}", path.display()),
            )
        })?;
        return serde_json::from_str(&text).map_err(|e| {
            WalletError::new(ErrorCode::InvalidPolicy, format!("{}: {e}", path.display()))
        });
    }
    let (path, defaulted) = match catalog {
        Some(path) => (path, false),
        None => (Path::new(DEFAULT_CATALOG), true),
    };
    let catalog = load_catalog(path).map_err(|e| {
        let hint = if defaulted {
            " (the wallet policy comes from --catalog FILE, by default ./pricing.toml, or --policy FILE)"
        } else {
            ""
        };
        WalletError::new(e.code(), format!("{}: {e}{hint}", path.display()))
    })?;
    Ok(catalog.spec().wallet.clone())
}

/// The credits available at `now` in the wallet the ledger file folds to
/// under `policy` (for `genprice quote --ledger`); the file must exist and
/// is only read, under a shared lock, up to the default size limit.
pub fn available(
    ledger: &Path,
    policy: WalletPolicy,
    now: Option<Millis>,
) -> Result<u64, WalletError> {
    let now = match now {
        Some(now) => now,
        None => system_now().map_err(|e| WalletError::new(ErrorCode::InvalidTime, e))?,
    };
    let wallet = LedgerFile::open_shared(ledger)?.fold(policy, DEFAULT_MAX_BYTES)?;
    Ok(wallet.balance(now)?.available)
}

/// A number typed on the command line as the non-negative integer an
/// operation takes, or the coded error it is.
fn number<T: TryFrom<i64>>(value: i64, flag: &str, code: ErrorCode) -> Result<T, WalletError> {
    let refuse = |message: String| WalletError::new(code, message).with_path(flag);
    let value = unsigned(value, flag).map_err(refuse)?;
    i64::try_from(value)
        .ok()
        .and_then(|v| T::try_from(v).ok())
        .ok_or_else(|| refuse(format!("--{flag} {value} is too large")))
}

fn command(operation: Operation, now: Millis) -> Result<Command, WalletError> {
    Ok(match operation {
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
                amount: number(amount, "amount", ErrorCode::InvalidAmount)?,
                effective_at: effective.unwrap_or(now),
                expires_at: expires,
                priority: number(priority, "priority", ErrorCode::InvalidRequest)?,
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
            amount: number(amount, "amount", ErrorCode::InvalidAmount)?,
            ttl,
            metadata: metadata.into_metadata(),
        }),
        Operation::Settle { id, amount } => Command::Settle {
            hold: id,
            amount: number(amount, "amount", ErrorCode::InvalidAmount)?,
        },
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
            seats: number(seats, "seats", ErrorCode::InvalidQuantity)?,
        }),
        Operation::Balance => Command::Balance {},
        Operation::Preview { amount } => Command::Preview {
            amount: number(amount, "amount", ErrorCode::InvalidAmount)?,
        },
    })
}

/// Runs the operation, appends (and syncs) its entries, and returns what
/// to print.
fn operate(
    mut wallet: Wallet,
    file: &mut LedgerFile,
    command: &Command,
    now: Millis,
) -> Result<String, WalletError> {
    let answer = wallet.execute(command, now)?;
    let appended: Vec<&Entry> = match &answer {
        Answer::Receipt(receipt) => receipt.appended(),
        Answer::Expire { entry } => entry.iter().collect(),
        Answer::Balance(_) | Answer::Preview(_) => Vec::new(),
    };
    file.append(&appended)?;
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
