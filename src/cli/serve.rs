//! `genprice serve`: the charging service over HTTP (see `docs/service.md`).

use clap::Args;
use genprice::server::{Config, run};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Options of `genprice serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// The catalog to price with (TOML, or JSON by the .json extension).
    /// SIGHUP reloads it; an invalid file leaves the old one in force.
    #[arg(long, short, default_value = "pricing.toml", value_name = "FILE")]
    catalog: PathBuf,
    /// The SQLite database: created and migrated on first start.
    #[arg(long, default_value = "genprice.db", value_name = "PATH")]
    db: PathBuf,
    /// Address to listen on (port 0: any free port; the bound address is
    /// printed on stdout as {"listening":"ADDR"}).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    listen: SocketAddr,
    /// How often pending charges past their ttl are expired, in ms.
    #[arg(long, default_value_t = 1000, value_name = "MS", value_parser = clap::value_parser!(u64).range(10..=3_600_000))]
    sweep_ms: u64,
}

/// Runs `genprice serve` until SIGTERM or Ctrl-C.
pub fn run_serve(args: ServeArgs) -> Result<ExitCode, String> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("GENPRICE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let config = Config {
        catalog: args.catalog,
        db: args.db,
        listen: args.listen,
        secret_key: std::env::var("GENPRICE_SECRET_KEY")
            .ok()
            .filter(|k| !k.is_empty()),
        sweep_every: Duration::from_millis(args.sweep_ms),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(run(config, |bound| {
        println!("{}", serde_json::json!({ "listening": bound.to_string() }));
    }))?;
    Ok(ExitCode::SUCCESS)
}
