//! The `genprice` subcommands, one file each, and what they share: loading
//! a catalog, reporting its errors, writing to stdout, reading the clock,
//! and turning numbers typed on the command line into coded errors.
//!
//! The CLI is the only place (with the server) that reads files and the
//! clock; the library it calls does neither.

pub mod catalog;
pub mod check;
pub mod estimate;
pub mod ledger_file;
pub mod plans;
pub mod quote;
#[cfg(feature = "server")]
pub mod serve;
pub mod wallet;

use genprice::{Catalog, CatalogError};
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

/// Loads a TOML catalog, or a JSON one when the file ends in `.json`.
pub fn load_catalog(path: &Path) -> Result<Catalog, CatalogError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CatalogError::io(format!("{}: cannot read catalog: {e}", path.display())))?;
    if path.extension().is_some_and(|e| e == "json") {
        Catalog::from_json_str(&text)
    } else {
        Catalog::from_toml(&text, &path.display().to_string())
    }
}

/// Prints a rejected catalog's located problems and a summary on stderr.
pub fn report_catalog_error(error: &CatalogError) {
    eprintln!("{error}");
    let n = error.diagnostics().len();
    eprintln!(
        "genprice: catalog rejected ({}, {n} problem{})",
        error.code(),
        if n == 1 { "" } else { "s" }
    );
}

/// Loads a catalog, or reports why it cannot and gives the exit status.
pub fn catalog_or_exit(path: &Path) -> Result<Catalog, ExitCode> {
    load_catalog(path).map_err(|error| {
        report_catalog_error(&error);
        ExitCode::FAILURE
    })
}

/// Writes to stdout through a buffer; a closed pipe (`genprice … | head`)
/// ends the output quietly.
pub fn write_out(f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), String> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match f(&mut out).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(format!("cannot write standard output: {e}")),
    }
}

/// The system clock in Unix milliseconds: the only clock the CLI reads.
pub fn system_now() -> Result<i64, String> {
    let elapsed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| format!("system clock is before 1970: {e}"))?;
    i64::try_from(elapsed.as_millis()).map_err(|e| format!("system clock: {e}"))
}

/// A number typed as `--FLAG VALUE` that must not be negative. Options
/// accept negative numbers (so `--ttl -5` reaches the same coded checks as
/// `--now -5`, instead of clap's "unexpected argument"); this turns one
/// into the message of the coded error the caller raises.
pub fn unsigned(value: i64, flag: &str) -> Result<u64, String> {
    u64::try_from(value).map_err(|_| format!("--{flag} {value} is negative"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn unsigned_refuses_negative_numbers_by_flag() {
        assert_eq!(super::unsigned(7, "amount"), Ok(7));
        assert_eq!(
            super::unsigned(-5, "amount"),
            Err("--amount -5 is negative".to_string())
        );
    }
}
