//! Spawning the real `genprice serve` for a test: a temporary directory
//! with its own catalog copy and database, a free loopback port, the
//! process stopped by its pid when the test ends (even when it fails).
//!
//! Each `tests/serve_*.rs` file includes this with
//! `#[path = "serve/harness.rs"] mod harness;`.
//!
//! The backend is SQLite, or PostgreSQL when `GENPRICE_TEST_BACKEND` is
//! `postgres`: then a throwaway cluster is started for the test process
//! ([`pgcluster`]) and each server gets a fresh database of its own, named
//! after the test.
#![allow(dead_code)]

#[path = "pgcluster.rs"]
pub mod pgcluster;

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Which database the test servers run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in the test's directory.
    Sqlite,
    /// A database of its own on this process's throwaway cluster.
    Postgres,
}

/// The backend of this run: `GENPRICE_TEST_BACKEND=postgres`, or SQLite.
pub fn backend() -> Backend {
    match std::env::var("GENPRICE_TEST_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        Ok("sqlite") | Ok("") | Err(_) => Backend::Sqlite,
        Ok(other) => panic!("GENPRICE_TEST_BACKEND={other}: expected sqlite or postgres"),
    }
}

/// The secret key every test server runs with.
pub const KEY: &str = "gps_sk_test_secret";

/// A running `genprice serve`.
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The test's directory (catalog copy, database, logs).
    pub dir: PathBuf,
    /// The catalog file the server reads (a copy: tests may edit it).
    pub catalog: PathBuf,
    /// The database: a file, or a `postgres://` URL.
    pub db: PathBuf,
    /// Which backend `db` is.
    pub backend: Backend,
    /// The port it listened on (kept across restarts).
    pub port: u16,
    sweep_ms: u64,
    /// Demo mode (`--demo`), and then whether `--db` is passed (without
    /// it the server makes a temporary database of its own).
    demo: Option<DemoDb>,
}

/// How a demo server gets its database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DemoDb {
    /// `--db` in the test's directory, as for every other test server.
    Given,
    /// No `--db`: the server's own temporary database.
    Temporary,
}

/// How long a demo generation "runs" in tests (`GENPRICE_DEMO_DELAY_MS`).
pub const DEMO_DELAY_MS: u64 = 300;

/// The repository's `www/` (the studio page).
pub fn www_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("www")
}

/// The repository's `pkg/` (the npm package; `pkg/web/` once built).
pub fn pkg_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("pkg")
}

/// A fresh directory for one test under the target dir.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("serve-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The repository's `pricing.toml`.
pub fn pricing_toml() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("pricing.toml")
}

impl Server {
    /// Starts a server on `pricing.toml` in a fresh directory named `name`.
    pub fn start(name: &str) -> Server {
        Server::start_with(name, &pricing_toml(), 1000)
    }

    /// Starts a server on a copy of `catalog`, sweeping every `sweep_ms`.
    pub fn start_with(name: &str, catalog: &Path, sweep_ms: u64) -> Server {
        Server::start_options(name, catalog, sweep_ms, None)
    }

    /// Starts `genprice serve --demo` on `pricing.toml` (serving the
    /// repository's `www/` and `pkg/`, generations lasting
    /// [`DEMO_DELAY_MS`]), with its database as `db` says.
    pub fn start_demo(name: &str, db: DemoDb) -> Server {
        Server::start_options(name, &pricing_toml(), 1000, Some(db))
    }

    fn start_options(name: &str, catalog: &Path, sweep_ms: u64, demo: Option<DemoDb>) -> Server {
        let dir = scratch(name);
        let extension = catalog
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("toml");
        let copy = dir.join(format!("catalog.{extension}"));
        std::fs::copy(catalog, &copy).unwrap();
        let backend = if demo == Some(DemoDb::Temporary) {
            Backend::Sqlite
        } else {
            backend()
        };
        let db = match backend {
            Backend::Sqlite => dir.join("genprice.db"),
            Backend::Postgres => PathBuf::from(pgcluster::Cluster::get().database(name)),
        };
        Server::start_on(dir, copy, db, backend, sweep_ms, demo)
    }

    /// Starts a server on `backend` (whatever the environment says) in a
    /// fresh directory named `name`, on a copy of `catalog`.
    pub fn start_backend(name: &str, catalog: &Path, sweep_ms: u64, backend: Backend) -> Server {
        let dir = scratch(name);
        let copy = dir.join("catalog.toml");
        std::fs::copy(catalog, &copy).unwrap();
        let db = match backend {
            Backend::Sqlite => dir.join("genprice.db"),
            Backend::Postgres => PathBuf::from(pgcluster::Cluster::get().database(name)),
        };
        Server::start_on(dir, copy, db, backend, sweep_ms, None)
    }

    /// Starts a server in a fresh directory named `name` on a copy of
    /// `catalog`, on the database `db` as it is (a file path or a URL).
    pub fn start_at(name: &str, catalog: &Path, db: PathBuf, backend: Backend) -> Server {
        let dir = scratch(name);
        let copy = dir.join("catalog.toml");
        std::fs::copy(catalog, &copy).unwrap();
        Server::start_on(dir, copy, db, backend, 1000, None)
    }

    /// Another instance on this server's database and catalog, with its own
    /// directory `name` (for its log) and port.
    pub fn another(&self, name: &str) -> Server {
        let dir = scratch(name);
        Server::start_on(
            dir,
            self.catalog.clone(),
            self.db.clone(),
            self.backend,
            self.sweep_ms,
            None,
        )
    }

    fn start_on(
        dir: PathBuf,
        catalog: PathBuf,
        db: PathBuf,
        backend: Backend,
        sweep_ms: u64,
        demo: Option<DemoDb>,
    ) -> Server {
        let mut server = Server {
            child: None,
            base: String::new(),
            db,
            backend,
            catalog,
            dir,
            port: 0,
            sweep_ms,
            demo,
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("server.log"))
            .unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_genprice"));
        command.arg("serve").arg("--catalog").arg(&self.catalog);
        if self.demo != Some(DemoDb::Temporary) {
            command.arg("--db").arg(&self.db);
        }
        if self.demo.is_some() {
            command
                .arg("--demo")
                .arg("--www")
                .arg(www_dir())
                .arg("--pkg")
                .arg(pkg_dir())
                .env("GENPRICE_DEMO_DELAY_MS", DEMO_DELAY_MS.to_string())
                // A relative default would land here, not in the repository.
                .current_dir(&self.dir);
        }
        let mut child = command
            .arg("--listen")
            .arg(format!("127.0.0.1:{}", self.port))
            .arg("--sweep-ms")
            .arg(self.sweep_ms.to_string())
            .env("GENPRICE_SECRET_KEY", KEY)
            .env("GENPRICE_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        // The first stdout line is {"listening":"ADDR"}, once bound.
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let bound: Value = serde_json::from_str(line.trim()).unwrap_or_else(|e| {
            let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
            panic!("server did not start ({e}): {line:?}\n{log}")
        });
        let addr = bound["listening"].as_str().unwrap().to_string();
        self.port = addr.rsplit(':').next().unwrap().parse().unwrap();
        self.base = format!("http://{addr}");
        self.child = Some(child);
    }

    /// The server's pid.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or(0)
    }

    /// `kill -9`: no chance to finish anything.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends a signal by name (`TERM`, `HUP`) to the server's pid.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .unwrap();
        assert!(status.success(), "kill -{name} failed");
    }

    /// SIGTERM, then waits (up to 30 s) for a clean exit; returns its status.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        self.signal("TERM");
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("server did not stop on SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the server again on the same database, catalog and port.
    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// What a request answered.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Body as JSON (`Null` when empty or not JSON).
    pub body: Value,
    /// Body text.
    pub text: String,
    /// Response headers (lower-case names).
    pub headers: Vec<(String, String)>,
}

impl Answer {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The error code, or "" for a success.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

/// An HTTP client for tests (async; keep-alive).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Sends a request: `token` as the bearer (None: no Authorization),
/// `body` as JSON (None: no body), `key` as the Idempotency-Key.
pub async fn send(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    body: Option<&Value>,
    key: Option<&str>,
) -> Result<Answer, reqwest::Error> {
    let mut request = client.request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let text = response.text().await?;
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok(Answer {
        status,
        body,
        text,
        headers,
    })
}

/// POST with the secret key.
pub async fn post(client: &reqwest::Client, server: &Server, path: &str, body: &Value) -> Answer {
    send(
        client,
        reqwest::Method::POST,
        &server.url(path),
        Some(KEY),
        Some(body),
        None,
    )
    .await
    .unwrap()
}

/// POST with the secret key and an idempotency key.
pub async fn post_key(
    client: &reqwest::Client,
    server: &Server,
    path: &str,
    body: &Value,
    key: &str,
) -> Answer {
    send(
        client,
        reqwest::Method::POST,
        &server.url(path),
        Some(KEY),
        Some(body),
        Some(key),
    )
    .await
    .unwrap()
}

/// GET with the secret key.
pub async fn get(client: &reqwest::Client, server: &Server, path: &str) -> Answer {
    send(
        client,
        reqwest::Method::GET,
        &server.url(path),
        Some(KEY),
        None,
        None,
    )
    .await
    .unwrap()
}

/// The catalog fingerprint the server publishes.
pub async fn fingerprint(client: &reqwest::Client, server: &Server) -> String {
    let catalog = send(
        client,
        reqwest::Method::GET,
        &server.url("/v1/catalog"),
        None,
        None,
        None,
    )
    .await
    .unwrap();
    catalog.body["fingerprint"].as_str().unwrap().to_string()
}

/// Creates an account on `plan`; panics unless 201.
pub async fn account(client: &reqwest::Client, server: &Server, id: &str, plan: &str) -> Value {
    let answer = post(
        client,
        server,
        "/v1/accounts",
        &serde_json::json!({"id": id, "plan": plan}),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.body
}
