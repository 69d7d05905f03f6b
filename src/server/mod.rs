//! `genprice serve`: the HTTP service. Handlers only translate
//! ([`routes`]); the service decides ([`crate::service`]); the store keeps
//! ([`crate::store`]).
//!
//! The process: open (and migrate) the database, set up the keys, bind,
//! then serve until SIGTERM or Ctrl-C — stop accepting, let requests in
//! flight finish, close the database (its writer commits what was queued
//! and checkpoints the WAL). SIGHUP reloads the catalog: the new file is
//! validated first, and an invalid one leaves the old catalog in force,
//! its errors logged. A sweeper expires pending charges past their ttl.
//! With `--demo` it also serves the studio page and plays its backend
//! ([`demo`]).

pub mod auth;
pub mod demo;
pub mod http;
pub mod openapi;
pub mod routes;

use crate::catalog::Catalog;
use crate::service::Service;
use crate::store::Store;
use crate::store::sqlite::SqliteStore;
use auth::Keys;
use axum::http::{HeaderValue, Request, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

/// How `genprice serve` runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The catalog file (TOML, or JSON by extension).
    pub catalog: PathBuf,
    /// The database: a SQLite file, or a `postgres://` URL.
    pub db: PathBuf,
    /// On PostgreSQL, this instance's writer connections (SQLite has one
    /// writer).
    pub db_writers: usize,
    /// Where to listen (`127.0.0.1:8080`; port 0 picks a free one).
    pub listen: SocketAddr,
    /// The secret key, from `GENPRICE_SECRET_KEY`.
    pub secret_key: Option<String>,
    /// How often the sweeper looks for expired charges.
    pub sweep_every: Duration,
    /// Demo mode (`--demo`): the page, the package and the `/demo/…`
    /// routes; `None` serves the API alone.
    pub demo: Option<demo::Demo>,
}

/// The running service's shared state.
pub struct App {
    /// The service.
    pub service: Service,
    /// The keys.
    pub keys: Keys,
    /// The catalog as published at `GET /v1/catalog`: (fingerprint, JSON).
    published: RwLock<Arc<(String, String)>>,
}

impl App {
    /// The published catalog: its fingerprint and canonical JSON.
    pub fn published(&self) -> Arc<(String, String)> {
        match self.published.read() {
            Ok(p) => Arc::clone(&p),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Puts `catalog` in force for pricing and publishing (`published`
    /// is its [`publish`]ed form).
    fn install(&self, catalog: Catalog, published: (String, String)) {
        let published = Arc::new(published);
        self.service.set_catalog(catalog);
        match self.published.write() {
            Ok(mut p) => *p = published,
            Err(poisoned) => *poisoned.into_inner() = published,
        }
    }
}

/// A catalog's fingerprint and canonical JSON, as `GET /v1/catalog` serves
/// them.
fn publish(catalog: &Catalog) -> Result<(String, String), String> {
    let json = catalog.to_canonical_json().map_err(|e| e.to_string())?;
    Ok((catalog.fingerprint().to_string(), json))
}

/// Now, in Unix milliseconds: the service's only clock.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Request ids: a per-process prefix and a counter.
#[derive(Clone)]
struct Ids {
    prefix: Arc<str>,
    next: Arc<AtomicU64>,
}

impl MakeRequestId for Ids {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

fn load_catalog(path: &std::path::Path) -> Result<Catalog, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read catalog: {e}", path.display()))?;
    let loaded = if path.extension().is_some_and(|e| e == "json") {
        Catalog::from_json_str(&text)
    } else {
        Catalog::from_toml(&text, &path.display().to_string())
    };
    loaded.map_err(|e| format!("{e}"))
}

/// Opens the store `db` names: a `postgres://` (or `postgresql://`) URL
/// is a PostgreSQL database, anything else a SQLite file.
fn open_store(db: &std::path::Path, writers: usize) -> Result<Arc<dyn Store>, String> {
    let name = db.to_string_lossy();
    if name.starts_with("postgres://") || name.starts_with("postgresql://") {
        #[cfg(feature = "postgres")]
        return crate::store::postgres::PgStore::open(&name, writers)
            .map(|s| s as Arc<dyn Store>)
            .map_err(|e| e.to_string());
        #[cfg(not(feature = "postgres"))]
        return Err(format!(
            "{name}: this genprice was built without the postgres feature"
        ));
    }
    SqliteStore::open(db)
        .map(|s| s as Arc<dyn Store>)
        .map_err(|e| e.to_string())
}

/// The database as logged: a URL without its user and password.
fn shown(db: &std::path::Path) -> String {
    let name = db.to_string_lossy();
    match (name.split_once("://"), name.rsplit_once('@')) {
        (Some((scheme, _)), Some((_, host))) => format!("{scheme}://…@{host}"),
        _ => name.into_owned(),
    }
}

/// Runs the service until SIGTERM or Ctrl-C. `ready` is called with the
/// bound address once it accepts connections.
pub async fn run(config: Config, ready: impl FnOnce(SocketAddr)) -> Result<(), String> {
    let catalog = load_catalog(&config.catalog)?;
    let store = open_store(&config.db, config.db_writers)?;
    let env_key = config.secret_key.clone();
    let started = crate::store::write(&*store, move |tx| auth::start(tx, env_key.as_deref()))
        .await
        .map_err(|e| e.to_string())?;
    if let Some(key) = &started.generated {
        eprintln!(
            "genprice serve: generated a secret key (shown once; only its hash is stored):\n{key}"
        );
    }
    let published = RwLock::new(Arc::new(publish(&catalog)?));
    let dyn_store: Arc<dyn Store> = Arc::clone(&store);
    let app = Arc::new(App {
        service: Service::new(dyn_store, catalog),
        keys: started.keys,
        published,
    });
    let mut router = routes::router(Arc::clone(&app));
    if let Some(demo) = &config.demo {
        let accounts = demo::create_accounts(&app).await?;
        router = router.merge(demo::router(Arc::clone(&app), demo, accounts));
    }

    let listener =
        listen(config.listen).map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    // The signal handlers exist before anyone hears "listening": a SIGHUP
    // or SIGTERM sent right after it is handled, never the default action.
    let signals = Signals::install()?;
    tracing::info!(%bound, db = %shown(&config.db), fingerprint = %app.published().0, "listening");
    ready(bound);

    let ids = Ids {
        prefix: Arc::from(format!("{:x}", now_ms() & 0xff_ffff)),
        next: Arc::new(AtomicU64::new(1)),
    };
    let service = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(ids))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let id = request
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", id = %id, method = %request.method(), path = %request.uri().path())
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(axum::middleware::map_response(|r| async move { http::with_error_body(r) }))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(30)))
        .service(router.layer(RequestBodyLimitLayer::new(http::MAX_BODY)));

    let sweeper = tokio::spawn(sweep(Arc::clone(&app), config.sweep_every));
    let Signals { hangup, terminate } = signals;
    let reloader = tokio::spawn(reload_on_hangup(
        Arc::clone(&app),
        config.catalog.clone(),
        hangup,
    ));

    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut stop = std::pin::pin!(shutdown_signal(terminate));
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let mut builder = hyper::server::conn::http1::Builder::new();
                builder
                    .timer(TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(10))
                    .keep_alive(true);
                let connection = builder.serve_connection(
                    TokioIo::new(stream),
                    TowerToHyperService::new(service.clone()),
                );
                let watched = graceful.watch(connection);
                tokio::spawn(async move {
                    let _ = watched.await;
                });
            }
            () = &mut stop => break,
        }
    }
    tracing::info!("shutting down: finishing requests in flight");
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(30), graceful.shutdown()).await;
    sweeper.abort();
    reloader.abort();
    let _ = TokioExecutor::new();
    let closing = Arc::clone(&store);
    let _ = tokio::task::spawn_blocking(move || closing.close()).await;
    tracing::info!("stopped");
    Ok(())
}

/// The signals the service handles, registered at start.
struct Signals {
    #[cfg(unix)]
    hangup: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(not(unix))]
    hangup: (),
    #[cfg(not(unix))]
    terminate: (),
}

impl Signals {
    #[cfg(unix)]
    fn install() -> Result<Signals, String> {
        use tokio::signal::unix::{SignalKind, signal};
        let hangup =
            signal(SignalKind::hangup()).map_err(|e| format!("cannot handle SIGHUP: {e}"))?;
        let terminate =
            signal(SignalKind::terminate()).map_err(|e| format!("cannot handle SIGTERM: {e}"))?;
        Ok(Signals { hangup, terminate })
    }

    #[cfg(not(unix))]
    fn install() -> Result<Signals, String> {
        Ok(Signals {
            hangup: (),
            terminate: (),
        })
    }
}

#[cfg(unix)]
async fn shutdown_signal(mut terminate: tokio::signal::unix::Signal) {
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = terminate.recv() => {},
    }
}

#[cfg(not(unix))]
async fn shutdown_signal(_: ()) {
    let _ = tokio::signal::ctrl_c().await;
}

/// SIGHUP: validate the catalog file and put it in force, or keep the old.
#[cfg(unix)]
async fn reload_on_hangup(app: Arc<App>, path: PathBuf, mut hangups: tokio::signal::unix::Signal) {
    while hangups.recv().await.is_some() {
        match load_catalog(&path).and_then(|c| publish(&c).map(|p| (c, p))) {
            Ok((catalog, published)) => {
                let fingerprint = catalog.fingerprint().to_string();
                app.install(catalog, published);
                tracing::info!(%fingerprint, "catalog reloaded");
            }
            Err(errors) => {
                tracing::error!(catalog = %path.display(), %errors, "reload refused: the old catalog stays");
            }
        }
    }
}

#[cfg(not(unix))]
async fn reload_on_hangup(_: Arc<App>, _: PathBuf, _: ()) {}

/// Expires pending charges past their ttl, every `every`.
async fn sweep(app: Arc<App>, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        let now = now_ms();
        let due = crate::store::read(app.service.store(), move |tx| tx.due_charges(now, 256)).await;
        let due = match due {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "sweep: cannot list due charges");
                continue;
            }
        };
        let mut accounts: Vec<String> = due.into_iter().map(|(account, _)| account).collect();
        accounts.sort();
        accounts.dedup();
        for account in accounts {
            let catalog = app.service.catalog();
            let result = crate::store::write(app.service.store(), move |tx| {
                crate::service::charges::expire(tx, &catalog, &account, now)
            })
            .await;
            if let Err(e) = result {
                tracing::warn!(error = %e, "sweep: expiring failed");
            }
        }
    }
}

/// How many connections the kernel queues for `accept`: tokio's default is
/// 1,024; a burst of clients past it has its SYNs dropped and retried a
/// second later. The kernel caps it at `net.core.somaxconn` (4,096 here).
const LISTEN_BACKLOG: u32 = 4096;

/// A listener on `addr` with [`LISTEN_BACKLOG`], reusing the address as
/// tokio's `TcpListener::bind` does.
fn listen(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

#[cfg(test)]
mod tests {
    use super::shown;
    use std::path::Path;

    #[test]
    fn a_database_url_is_logged_without_its_user_and_password() {
        assert_eq!(
            shown(Path::new("postgres://app:s3cr@t@db.internal:5432/genprice")),
            "postgres://…@db.internal:5432/genprice"
        );
        assert_eq!(
            shown(Path::new("postgresql://db.internal/genprice")),
            "postgresql://db.internal/genprice"
        );
        assert_eq!(shown(Path::new("data/genprice.db")), "data/genprice.db");
    }
}
