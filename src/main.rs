//! The `genprice` command line: price requests, check and print catalogs,
//! list plans, size a plan for a usage mix, run wallet operations against a
//! ledger file.
//!
//! This file only parses the command line and dispatches: each subcommand
//! lives in its own file under `src/cli/`.
//!
//! Results are JSON on stdout, messages on stderr. Exit status: 0 when
//! everything succeeded, 1 when a request could not be priced, an operation
//! was refused or a catalog is invalid, 2 for a usage error.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cli;

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
    Quote(cli::quote::QuoteArgs),
    /// List the catalog's plans: a table for people, or JSON with --json
    /// (prices in minor units, credits per cycle and per month, limits).
    Plans(cli::plans::PlansArgs),
    /// Size a plan for a usage mix read from stdin: a JSON list of
    /// {"request","per":"day"|"week"|"month","count","workdays"?} lines, or
    /// {"usage":[…],"bufferPercent"?,"seats"?}. Prints one JSON line: the
    /// credits needed a month, every plan option with the credits it would
    /// waste, and the recommendation; or {"error":{…}} and exits 1.
    Estimate(cli::estimate::EstimateArgs),
    /// Validate a catalog. Prints every problem as FILE:LINE:COL: message on
    /// stderr and exits 1, or prints a JSON summary and exits 0.
    Check(cli::check::CheckArgs),
    /// Print the canonical JSON catalog, fingerprint included: what a browser
    /// or the npm package loads.
    Catalog(cli::catalog::CatalogArgs),
    /// Run one credit-wallet operation (grant, hold, settle, release,
    /// expire, refill, balance, preview) against a JSON Lines ledger; prints
    /// the result as JSON, or {"error":{"code","message",…}} and exits 1.
    Wallet(Box<cli::wallet::WalletArgs>),
    /// Run the charging service: accounts, charges (hold, settle, release),
    /// grants and the ledger over HTTP, on a durable SQLite database.
    #[cfg(feature = "server")]
    Serve(cli::serve::ServeArgs),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Quote(args) => cli::quote::run(args),
        Command::Plans(args) => cli::plans::run(args),
        Command::Estimate(args) => cli::estimate::run(args),
        Command::Check(args) => cli::check::run(args),
        Command::Catalog(args) => cli::catalog::run(args),
        Command::Wallet(args) => cli::wallet::run(*args),
        #[cfg(feature = "server")]
        Command::Serve(args) => cli::serve::run_serve(args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("genprice: {message}");
            ExitCode::FAILURE
        }
    }
}
