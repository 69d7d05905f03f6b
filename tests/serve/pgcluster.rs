//! A throwaway PostgreSQL cluster for one test (or bench) process: Debian's
//! server binaries (`/usr/lib/postgresql/*/bin`, or `GENPRICE_PG_BIN`),
//! `initdb` into a fresh temporary directory, the server on a free loopback
//! port (and a unix socket in that directory), one database per test.
//!
//! Nothing is assumed running. The cluster is started once per process, on
//! first use, and a watchdog (its own session, so a Ctrl-C of the tests
//! does not take it down first) stops the server and removes the directory
//! as soon as the process is gone, however it ended. As root, the server
//! runs as the `postgres` user (`initdb` refuses root).
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// A running cluster.
pub struct Cluster {
    /// The loopback port it listens on.
    pub port: u16,
    /// Its temporary directory (data, socket, log).
    pub dir: PathBuf,
    bin: PathBuf,
    user: Option<String>,
}

/// The server binaries: `GENPRICE_PG_BIN`, or the newest Debian install.
fn bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("GENPRICE_PG_BIN")
        && !dir.is_empty()
    {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
                .filter(|p| p.join("initdb").exists())
                .collect()
        })
        .unwrap_or_default();
    versions.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    versions.pop().unwrap_or_else(|| {
        panic!(
            "no PostgreSQL server binaries under /usr/lib/postgresql: run scripts/setup.sh's \
             need_postgres (apt-get install postgresql) or set GENPRICE_PG_BIN"
        )
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Cluster {
    /// The cluster of this process, started on first use. `durable`
    /// (`fsync` on) is for benchmarks; tests run with `fsync=off` (they
    /// kill `genprice serve`, never the database, so its own fsync takes
    /// no part in what they check).
    pub fn get() -> &'static Cluster {
        static CLUSTER: OnceLock<Cluster> = OnceLock::new();
        CLUSTER.get_or_init(|| Cluster::start(false))
    }

    /// The cluster of this process with `fsync` on, started on first use.
    pub fn durable() -> &'static Cluster {
        static CLUSTER: OnceLock<Cluster> = OnceLock::new();
        CLUSTER.get_or_init(|| Cluster::start(true))
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        match &self.user {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.arg("-u").arg(user).arg("--").arg(path);
                c
            }
            None => Command::new(path),
        }
    }

    fn start(durable: bool) -> Cluster {
        let bin = bin_dir();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("genprice-pg-{}-{nanos:x}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let user = is_root().then(|| "postgres".to_string());
        let cluster = Cluster {
            port: free_port(),
            dir,
            bin,
            user,
        };
        if let Some(user) = &cluster.user {
            let ok = Command::new("chown")
                .arg(user)
                .arg(&cluster.dir)
                .status()
                .unwrap();
            assert!(ok.success(), "chown {user} {}", cluster.dir.display());
        }
        cluster.watch();
        let data = cluster.dir.join("data");
        let out = cluster
            .command("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C"])
            .arg("--no-sync")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let fsync = if durable { "on" } else { "off" };
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=900 -c fsync={fsync} \
             -c shared_buffers=128MB",
            cluster.port,
            cluster.dir.display()
        );
        let out = cluster
            .command("pg_ctl")
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(cluster.dir.join("server.log"))
            .arg("-o")
            .arg(options)
            .args(["-w", "-t", "60", "start"])
            .stdout(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl start: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(cluster.dir.join("server.log")).unwrap_or_default()
        );
        cluster
    }

    /// The watchdog: once this process is gone, stop the server (immediate
    /// mode) and remove the directory.
    fn watch(&self) {
        let pg_ctl = self.bin.join("pg_ctl");
        let data = self.dir.join("data");
        let run_as = match &self.user {
            Some(user) => format!("runuser -u {user} -- "),
            None => String::new(),
        };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.2; done; \
             {run_as}'{pg_ctl}' -D '{data}' -m immediate -w stop >/dev/null 2>&1; \
             rm -rf '{dir}'",
            pid = std::process::id(),
            pg_ctl = pg_ctl.display(),
            data = data.display(),
            dir = self.dir.display(),
        );
        // `setsid -f` forks the watchdog into its own session and returns.
        let started = Command::new("setsid")
            .arg("-f")
            .arg("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(started.success(), "cannot start the cluster's watchdog");
    }

    /// Runs SQL as the superuser on database `db` with psql; its stdout.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .args(["-h", "127.0.0.1", "-U", "postgres", "-d", db])
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-c")
            .arg(sql)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A fresh, empty database named after `name` (dropped first if a
    /// previous run left it); its URL.
    pub fn database(&self, name: &str) -> String {
        let db: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        self.psql("postgres", &format!("DROP DATABASE IF EXISTS \"{db}\""));
        self.psql("postgres", &format!("CREATE DATABASE \"{db}\""));
        self.url(&db)
    }

    /// Copies the rows of database `from` into the tables of database `to`
    /// (`pg_dump --data-only`, without `skip`'s rows).
    pub fn copy_rows(&self, from: &str, to: &str, skip: &str) {
        let dump = Command::new(self.bin.join("pg_dump"))
            .args([
                "--data-only",
                "--no-owner",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
            ])
            .arg("-p")
            .arg(self.port.to_string())
            .arg(format!("--exclude-table={skip}"))
            .arg(from)
            .output()
            .unwrap();
        assert!(
            dump.status.success(),
            "pg_dump: {}",
            String::from_utf8_lossy(&dump.stderr)
        );
        let mut load = Command::new(self.bin.join("psql"))
            .args([
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
            ])
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-d")
            .arg(to)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut load.stdin.take().unwrap(), &dump.stdout).unwrap();
        assert!(load.wait().unwrap().success(), "psql: loading the dump");
    }

    /// The URL of database `db`.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// The server's log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

/// Runs `f` on a plain thread: the synchronous `postgres` client starts a
/// runtime of its own, which may not happen on a tokio worker.
pub fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(f).join().unwrap()
}
