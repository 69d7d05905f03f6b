//! `genprice check`: validate a catalog, print every problem located as
//! `FILE:LINE:COL: message`, or a JSON summary.

use super::catalog_or_exit;
use clap::Args;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `genprice check`.
#[derive(Args)]
pub struct CheckArgs {
    /// Catalog file to check.
    #[arg(default_value = "pricing.toml", value_name = "FILE")]
    file: PathBuf,
}

/// Runs `genprice check`.
pub fn run(args: CheckArgs) -> Result<ExitCode, String> {
    let catalog = match catalog_or_exit(&args.file) {
        Ok(catalog) => catalog,
        Err(code) => return Ok(code),
    };
    let spec = catalog.spec();
    let summary = json!({
        "ok": true,
        "id": catalog.id(),
        "version": catalog.version(),
        "fingerprint": catalog.fingerprint(),
        "products": catalog.products().len(),
        "plans": spec.plans.len(),
        "packs": spec.packs.len(),
        "addons": spec.addons.len(),
    });
    println!("{summary}");
    Ok(ExitCode::SUCCESS)
}
