//! `genprice estimate`: a usage mix on stdin, the credits it needs a month
//! and the plan to pick on stdout (one JSON line, the same [`Estimate`]
//! the library returns).

use super::{catalog_or_exit, unsigned, write_out};
use clap::Args;
use genprice::plan::estimate::{Estimate, Usage, estimate};
use genprice::{ErrorCode, QuoteError};
use serde_json::json;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `genprice estimate`.
#[derive(Args)]
pub struct EstimateArgs {
    /// Catalog to size with: TOML, or JSON (by the .json extension).
    #[arg(long, short, default_value = "pricing.toml", value_name = "FILE")]
    catalog: PathBuf,
    /// Buffer on top of the credits per month, in percent (0–1000);
    /// overrides the input's bufferPercent (default 25).
    #[arg(long, value_name = "PCT", allow_negative_numbers = true)]
    buffer: Option<i64>,
}

/// Runs `genprice estimate`: `--buffer` overrides the input's
/// `bufferPercent`; out of range, either is `invalid_usage`.
pub fn run(args: EstimateArgs) -> Result<ExitCode, String> {
    let catalog = match catalog_or_exit(&args.catalog) {
        Ok(catalog) => catalog,
        Err(code) => return Ok(code),
    };
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    let buffer = args
        .buffer
        .map(|percent| unsigned(percent, "buffer"))
        .transpose()
        .map_err(|message| QuoteError::at(ErrorCode::InvalidUsage, "bufferPercent", message));
    let result = buffer.and_then(|buffer| {
        let mut usage = Usage::from_json_slice(&bytes)?;
        if let Some(percent) = buffer {
            usage.buffer_percent = percent;
        }
        estimate(&catalog, &usage)
    });
    match result {
        Ok(answer) => {
            let text = serde_json::to_string::<Estimate>(&answer).map_err(|e| e.to_string())?;
            write_out(|out| writeln!(out, "{text}"))?;
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("genprice estimate: {error}");
            let text = json!({ "error": error }).to_string();
            write_out(|out| writeln!(out, "{text}"))?;
            Ok(ExitCode::FAILURE)
        }
    }
}
