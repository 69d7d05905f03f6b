//! `genprice estimate`: a usage mix on stdin, the credits it needs a month
//! and the plan to pick on stdout (one JSON line, the same [`Estimate`]
//! the library returns).

use crate::{load_catalog, report_catalog_error, write_out};
use genprice::plan::estimate::{Estimate, Usage, estimate};
use genprice::{ErrorCode, QuoteError};
use serde_json::{Value, json};
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

/// Runs `genprice estimate`: `buffer` (percent, already range-checked by
/// clap) overrides the input's `bufferPercent`.
pub(crate) fn run(file: &Path, buffer: Option<u64>) -> Result<ExitCode, String> {
    let catalog = match load_catalog(file) {
        Ok(c) => c,
        Err(error) => {
            report_catalog_error(&error);
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    let result = read_usage(&bytes).and_then(|mut usage| {
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
