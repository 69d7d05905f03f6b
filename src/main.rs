//! The `genprice` command line: price requests, check and print catalogs,
//! run wallet operations against a ledger file.
//!
//! Results are JSON on stdout, messages on stderr. Exit status: 0 when
//! everything succeeded, 1 when a request could not be priced or a catalog
//! is invalid, 2 for a usage error.

use clap::{Parser, Subcommand};
use genprice::plan::{QuoteOptions, quote_for};
use genprice::{Catalog, CatalogError, ErrorCode, QuoteError, QuoteResult, Request};
use serde_json::{Value, json};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod estimate_cli;
mod plans_cli;
mod wallet_cli;

/// Exact credit quotes for AI-generation studios.
#[derive(Parser)]
#[command(name = "genprice", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Price requests read from stdin: one JSON request, or JSON Lines (one
    /// request per line). Prints one JSON result per request: the quote, or
    /// {"error":{"code","message","path"}}. Exits 1 if any request failed.
    Quote {
        /// Catalog to price with: TOML, or the JSON printed by `genprice catalog`
        /// (chosen by the .json extension).
        #[arg(long, short, default_value = "pricing.toml", value_name = "FILE")]
        catalog: PathBuf,
        /// Check each request against this plan: adds "entitlement" (allowed,
        /// denials, the cheapest plan that allows it) to each quote.
        #[arg(long, value_name = "ID")]
        plan: Option<String>,
        /// Credits available in the user's wallet (smallest units): adds
        /// "credits" (enough, shortfall, packs and plans that cover it).
        #[arg(long, value_name = "CREDITS", conflicts_with = "ledger")]
        balance: Option<u64>,
        /// Read the balance from this wallet ledger (JSON Lines, as `genprice
        /// wallet` writes it; the catalog's [wallet] policy), at --now.
        #[arg(long, value_name = "FILE")]
        ledger: Option<PathBuf>,
        /// With --ledger: the time of the balance, Unix ms (default: now).
        #[arg(long, value_name = "MS", requires = "ledger")]
        now: Option<i64>,
    },
    /// List the catalog's plans: a table for people, or JSON with --json
    /// (prices in minor units, credits per cycle and per month, limits).
    Plans {
        /// Catalog to read.
        #[arg(long, short, default_value = "pricing.toml", value_name = "FILE")]
        catalog: PathBuf,
        /// Print JSON (one array of plan offers with their limits) instead
        /// of a table.
        #[arg(long)]
        json: bool,
    },
    /// Size a plan for a usage mix read from stdin: a JSON list of
    /// {"request","per":"day"|"week"|"month","count","workdays"?} lines, or
    /// {"usage":[…],"bufferPercent"?,"seats"?}. Prints one JSON line: the
    /// credits needed a month, every plan option with the credits it would
    /// waste, and the recommendation; or {"error":{…}} and exits 1.
    Estimate {
        /// Catalog to size with: TOML, or JSON (by the .json extension).
        #[arg(long, short, default_value = "pricing.toml", value_name = "FILE")]
        catalog: PathBuf,
        /// Buffer on top of the credits per month, in percent (0–1000);
        /// overrides the input's bufferPercent (default 25).
        #[arg(long, value_name = "PCT", value_parser = clap::value_parser!(u64).range(0..=1000))]
        buffer: Option<u64>,
    },
    /// Validate a catalog. Prints every problem as FILE:LINE:COL: message on
    /// stderr and exits 1, or prints a JSON summary and exits 0.
    Check {
        /// Catalog file to check.
        #[arg(default_value = "pricing.toml", value_name = "FILE")]
        file: PathBuf,
    },
    /// Print the canonical JSON catalog, fingerprint included: what a browser
    /// or the npm package loads.
    Catalog {
        /// Catalog file to read.
        #[arg(long, short, default_value = "pricing.toml", value_name = "FILE")]
        catalog: PathBuf,
        /// Indent the output for people (the fingerprint is of the compact form).
        #[arg(long)]
        pretty: bool,
    },
    /// Run one credit-wallet operation (grant, hold, settle, release,
    /// expire, refill, balance, preview) against a JSON Lines ledger; prints
    /// the result as JSON, or {"error":{"code","message",…}} and exits 1.
    Wallet(Box<wallet_cli::WalletArgs>),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Quote {
            catalog,
            plan,
            balance,
            ledger,
            now,
        } => run_quote(&catalog, plan, balance, ledger.as_deref(), now),
        Command::Plans { catalog, json } => plans_cli::run(&catalog, json),
        Command::Estimate { catalog, buffer } => estimate_cli::run(&catalog, buffer),
        Command::Check { file } => run_check(&file),
        Command::Catalog { catalog, pretty } => run_catalog(&catalog, pretty),
        Command::Wallet(args) => wallet_cli::run(*args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("genprice: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Loads a TOML catalog, or a JSON one when the file ends in `.json`.
pub(crate) fn load_catalog(path: &Path) -> Result<Catalog, CatalogError> {
    if path.extension().is_some_and(|e| e == "json") {
        let text = std::fs::read_to_string(path).map_err(|e| {
            CatalogError::io(format!("{}: cannot read catalog: {e}", path.display()))
        })?;
        Catalog::from_json_str(&text)
    } else {
        Catalog::from_toml_file(path)
    }
}

pub(crate) fn report_catalog_error(error: &CatalogError) {
    eprintln!("{error}");
    let n = error.diagnostics().len();
    eprintln!(
        "genprice: catalog rejected ({}, {n} problem{})",
        error.code(),
        if n == 1 { "" } else { "s" }
    );
}

fn run_check(file: &Path) -> Result<ExitCode, String> {
    match load_catalog(file) {
        Ok(catalog) => {
            let summary = json!({
                "ok": true,
                "id": catalog.id(),
                "version": catalog.version(),
                "fingerprint": catalog.fingerprint(),
                "products": catalog.products().len(),
                "plans": catalog.spec().plans.len(),
                "packs": catalog.spec().packs.len(),
                "addons": catalog.spec().addons.len(),
            });
            println!("{summary}");
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            report_catalog_error(&error);
            Ok(ExitCode::FAILURE)
        }
    }
}

fn run_catalog(file: &Path, pretty: bool) -> Result<ExitCode, String> {
    let catalog = match load_catalog(file) {
        Ok(c) => c,
        Err(error) => {
            report_catalog_error(&error);
            return Ok(ExitCode::FAILURE);
        }
    };
    let text = if pretty {
        serde_json::to_string_pretty(&catalog).map_err(|e| e.to_string())?
    } else {
        catalog.to_canonical_json()
    };
    write_out(|out| writeln!(out, "{text}"))?;
    Ok(ExitCode::SUCCESS)
}

fn run_quote(
    file: &Path,
    plan: Option<String>,
    balance: Option<u64>,
    ledger: Option<&Path>,
    now: Option<i64>,
) -> Result<ExitCode, String> {
    let catalog = match load_catalog(file) {
        Ok(c) => c,
        Err(error) => {
            report_catalog_error(&error);
            return Ok(ExitCode::FAILURE);
        }
    };
    let balance = match ledger {
        None => balance,
        Some(ledger) => match wallet_cli::available(ledger, catalog.spec().wallet.clone(), now) {
            Ok(available) => Some(available),
            Err(error) => {
                eprintln!("genprice: {}", error.message);
                println!("{}", json!({ "error": error }));
                return Ok(ExitCode::FAILURE);
            }
        },
    };
    let options = &QuoteOptions { plan, balance };
    let mut bytes = Vec::new();
    io::stdin()
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    let inputs = split_requests(&bytes);
    if inputs.is_empty() {
        eprintln!("genprice: no request on standard input (expected JSON or JSON Lines)");
        return Ok(ExitCode::FAILURE);
    }
    let mut all_priced = true;
    write_out(|out| {
        for input in &inputs {
            let result = input.as_ref().map_err(Clone::clone).and_then(|value| {
                let request = Request::from_json_value(value)?;
                quote_for(&catalog, &request, options)
            });
            all_priced &= result.is_ok();
            let line = serde_json::to_string(&QuoteResult::from(result));
            let line =
                line.unwrap_or_else(|e| format!(r#"{{"error":{{"code":"io","message":"{e}"}}}}"#));
            writeln!(out, "{line}")?;
        }
        Ok(())
    })?;
    Ok(if all_priced {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Splits standard input into requests. If the whole input is one JSON
/// value (pretty-printed or not), that is the one request; otherwise every
/// non-blank line is a request (JSON Lines), and a line that is not JSON
/// gives an `invalid_json` result of its own.
fn split_requests(bytes: &[u8]) -> Vec<Result<Value, QuoteError>> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return vec![Err(QuoteError::new(
            ErrorCode::InvalidJson,
            "standard input is not UTF-8",
        ))];
    };
    if text.trim().is_empty() {
        return Vec::new();
    }
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        return vec![Ok(value)];
    }
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            serde_json::from_str::<Value>(line).map_err(|e| {
                QuoteError::new(
                    ErrorCode::InvalidJson,
                    format!("request is not valid JSON: {e}"),
                )
            })
        })
        .collect()
}

/// Writes to stdout through a buffer; a closed pipe (`genprice … | head`)
/// ends the output quietly.
pub(crate) fn write_out(f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), String> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match f(&mut out).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(format!("cannot write standard output: {e}")),
    }
}
