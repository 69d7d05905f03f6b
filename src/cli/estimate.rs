//! `genprice estimate`: a usage mix on stdin, the credits it needs a month
//! and the plan to pick on stdout (one JSON line, the same [`Estimate`]
//! the library returns).

use super::{catalog_or_exit, unsigned, write_out};
use clap::Args;
use genprice::plan::estimate::{Estimate, Usage, estimate};
use genprice::{ErrorCode, QuoteError};
use serde_json::{Value, json};
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
        let mut usage = read_usage(&bytes)?;
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

/// The usage mix in `bytes`: one JSON value (a list of lines, or an object
/// with `usage`).
fn read_usage(bytes: &[u8]) -> Result<Usage, QuoteError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| QuoteError::new(ErrorCode::InvalidJson, "standard input is not UTF-8"))?;
    if text.trim().is_empty() {
        return Err(QuoteError::new(
            ErrorCode::InvalidJson,
            "no usage on standard input (expected a JSON list of lines or an object with \"usage\")",
        ));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| {
        QuoteError::new(
            ErrorCode::InvalidJson,
            format!("usage is not valid JSON: {e}"),
        )
    })?;
    Usage::from_json_value(&value)
}
