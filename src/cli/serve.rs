//! `genprice serve`: the charging service over HTTP (see `docs/service.md`).

use clap::Args;
use genprice::server::demo::Demo;
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
    /// The database: a SQLite file, created and migrated on first start,
    /// or a PostgreSQL URL (postgres://user:password@host:port/db), migrated
    /// at start and shareable by several instances [default: genprice.db;
    /// with --demo, a fresh temporary one].
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// With a PostgreSQL --db: this instance's writer connections, each
    /// running one operation per transaction (size the server's
    /// max_connections for these plus 4 readers per instance).
    #[arg(long, default_value_t = 16, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    db_writers: u16,
    /// Address to listen on (port 0: any free port; the bound address is
    /// printed on stdout as {"listening":"ADDR"}).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    listen: SocketAddr,
    /// How often pending charges past their ttl are expired, in ms.
    #[arg(long, default_value_t = 1000, value_name = "MS", value_parser = clap::value_parser!(u64).range(10..=3_600_000))]
    sweep_ms: u64,
    /// Demo mode: also serve the studio page (--www) at / and the npm
    /// package (--pkg) at /pkg/, create demo accounts on a free and a paid
    /// plan, and play the page's backend under /demo/ (no key needed there:
    /// for a local demo only).
    #[arg(long)]
    demo: bool,
    /// With --demo: the studio page's directory.
    #[arg(long, default_value = "www", value_name = "DIR", requires = "demo")]
    www: PathBuf,
    /// With --demo: the built npm package's directory.
    #[arg(long, default_value = "pkg", value_name = "DIR", requires = "demo")]
    pkg: PathBuf,
}

/// A generation's fixed duration in demo mode, from
/// `GENPRICE_DEMO_DELAY_MS` (tests); unset: 1–3 s at random.
fn demo_delay() -> Result<Option<Duration>, String> {
    match std::env::var("GENPRICE_DEMO_DELAY_MS") {
        Ok(ms) if !ms.is_empty() => ms
            .parse::<u64>()
            .map(|ms| Some(Duration::from_millis(ms)))
            .map_err(|_| format!("GENPRICE_DEMO_DELAY_MS must be milliseconds, not {ms:?}")),
        _ => Ok(None),
    }
}

/// A fresh directory for the demo's temporary database.
fn temporary_dir() -> Result<PathBuf, String> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("genprice-demo-{}-{nanos:x}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("{}: cannot create the demo directory: {e}", dir.display()))?;
    Ok(dir)
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
    let demo = if args.demo {
        Some(Demo {
            www: args.www,
            pkg: args.pkg,
            delay: demo_delay()?,
        })
    } else {
        None
    };
    // With --demo and no --db: a fresh database, removed on exit.
    let temporary = match (&args.db, args.demo) {
        (None, true) => Some(temporary_dir()?),
        _ => None,
    };
    let db = match (args.db, &temporary) {
        (Some(db), _) => db,
        (None, Some(dir)) => dir.join("genprice.db"),
        (None, None) => PathBuf::from("genprice.db"),
    };
    let config = Config {
        catalog: args.catalog,
        db,
        db_writers: usize::from(args.db_writers),
        listen: args.listen,
        secret_key: std::env::var("GENPRICE_SECRET_KEY")
            .ok()
            .filter(|k| !k.is_empty()),
        sweep_every: Duration::from_millis(args.sweep_ms),
        demo,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let ran = runtime.block_on(run(config, |bound| {
        println!("{}", serde_json::json!({ "listening": bound.to_string() }));
    }));
    if let Some(dir) = temporary {
        let _ = std::fs::remove_dir_all(dir);
    }
    ran?;
    Ok(ExitCode::SUCCESS)
}
