//! `genprice quote`: price requests read from stdin (one JSON request, or
//! JSON Lines), optionally against a plan and a balance or a wallet ledger.

use super::{catalog_or_exit, unsigned, write_out};
use clap::Args;
use genprice::plan::{QuoteOptions, quote_for};
use genprice::request::split_requests;
use genprice::{ErrorCode, QuoteError, QuoteResult, Request};
use serde_json::json;
use std::io::{self, Read};
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `genprice quote`.
#[derive(Args)]
pub struct QuoteArgs {
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
    #[arg(
        long,
        value_name = "CREDITS",
        conflicts_with = "ledger",
        allow_negative_numbers = true
    )]
    balance: Option<i64>,
    /// Read the balance from this wallet ledger (JSON Lines, as `genprice
    /// wallet` writes it) under the catalog's [wallet] policy, at --now.
    #[arg(long, value_name = "FILE")]
    ledger: Option<PathBuf>,
    /// With --ledger: the time of the balance, Unix ms (default: now).
    #[arg(
        long,
        value_name = "MS",
        requires = "ledger",
        allow_negative_numbers = true
    )]
    now: Option<i64>,
}

/// Runs `genprice quote`.
pub fn run(args: QuoteArgs) -> Result<ExitCode, String> {
    let catalog = match catalog_or_exit(&args.catalog) {
        Ok(catalog) => catalog,
        Err(code) => return Ok(code),
    };
    let balance = match (args.balance, &args.ledger) {
        (Some(balance), _) => match unsigned(balance, "balance") {
            Ok(balance) => Some(balance),
            Err(message) => {
                return refuse(&QuoteError::at(
                    ErrorCode::InvalidAmount,
                    "balance",
                    message,
                ));
            }
        },
        (None, None) => None,
        (None, Some(ledger)) => {
            let available =
                super::wallet::available(ledger, catalog.spec().wallet.clone(), args.now);
            match available {
                Ok(available) => Some(available),
                Err(error) => {
                    eprintln!("genprice: {}", error.message);
                    println!("{}", json!({ "error": error }));
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
    };
    let options = &QuoteOptions {
        plan: args.plan,
        balance,
    };
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

/// Prints a coded refusal of the command line itself (not of a request).
fn refuse(error: &QuoteError) -> Result<ExitCode, String> {
    eprintln!("genprice: {}", error.message);
    println!("{}", json!({ "error": error }));
    Ok(ExitCode::FAILURE)
}
