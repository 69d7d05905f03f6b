//! `genprice catalog`: the canonical JSON catalog, fingerprint included —
//! what a browser or the npm package loads.

use super::{catalog_or_exit, report_catalog_error, write_out};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `genprice catalog`.
#[derive(Args)]
pub struct CatalogArgs {
    /// Catalog file to read.
    #[arg(long, short, default_value = "pricing.toml", value_name = "FILE")]
    catalog: PathBuf,
    /// Indent the output for people (the fingerprint is of the compact form).
    #[arg(long)]
    pretty: bool,
}

/// Runs `genprice catalog`.
pub fn run(args: CatalogArgs) -> Result<ExitCode, String> {
    let catalog = match catalog_or_exit(&args.catalog) {
        Ok(catalog) => catalog,
        Err(code) => return Ok(code),
    };
    let text = if args.pretty {
        serde_json::to_string_pretty(&catalog).map_err(|e| e.to_string())?
    } else {
        match catalog.to_canonical_json() {
            Ok(text) => text,
            Err(error) => {
                report_catalog_error(&error);
                return Ok(ExitCode::FAILURE);
            }
        }
    };
    write_out(|out| writeln!(out, "{text}"))?;
    Ok(ExitCode::SUCCESS)
}
