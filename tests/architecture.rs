//! The house rules of `docs/architecture.md`, checked:
//!
//! * the core's `--no-default-features` build has no `clap` and no `toml`
//!   in its dependency tree;
//! * no core source file touches the file system, the clock, the
//!   environment, processes or sockets;
//! * every `crate::…` path in a core module points to a module the import
//!   table allows (so the `quote` ↔ `plan` circle cannot come back);
//! * no source file is much over 700 lines.
#![cfg(all(feature = "native", not(target_arch = "wasm32")))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The top-level module a source file belongs to (`src/plan/estimate/usage.rs`
/// → `plan`, `src/quote.rs` → `quote`, `src/lib.rs` → `lib`).
fn module_of(path: &Path) -> String {
    let relative = path.strip_prefix(root().join("src")).unwrap();
    let first = relative.components().next().unwrap().as_os_str();
    first.to_str().unwrap().trim_end_matches(".rs").to_string()
}

/// The source's code lines: comments (line, doc) dropped.
fn code_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
}

/// Modules that are not the core: the command line, the JS boundary, the
/// HTTP server and the SQL store (they do I/O, read the clock, and import
/// what they serve). The service is checked: it reads no clock and no file.
const EDGES: &[&str] = &["cli", "main", "wasm", "server", "store"];

/// Which modules of the crate each core module may name (the table in
/// docs/architecture.md). `lib` items (the crate root) are open to all.
fn allowed(module: &str) -> &'static [&'static str] {
    match module {
        "error" => &[],
        "money" => &["error"],
        "wallet" => &["error"],
        "request" => &["error", "money"],
        "catalog" => &["error", "money", "wallet"],
        "quote" => &["error", "money", "request", "catalog"],
        "plan" => &["error", "money", "request", "catalog", "quote", "wallet"],
        "service" => &[
            "error", "money", "request", "catalog", "quote", "plan", "wallet", "store",
        ],
        "lib" => &[
            "error", "money", "wallet", "request", "catalog", "quote", "plan", "wasm", "server",
            "service", "store",
        ],
        other => panic!("module {other} is not in the import table of docs/architecture.md"),
    }
}

const MODULES: &[&str] = &[
    "error", "money", "wallet", "request", "catalog", "quote", "plan", "wasm", "cli", "server",
    "service", "store",
];

#[test]
fn the_core_build_has_no_clap_and_no_toml() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(root())
        .args([
            "tree",
            "--locked",
            "--offline",
            "--no-default-features",
            "--edges",
            "normal",
            "--prefix",
            "none",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo tree: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8(out.stdout).unwrap();
    let crates: BTreeSet<&str> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert!(
        crates.contains("serde_json"),
        "not a dependency tree: {tree}"
    );
    for banned in [
        "clap",
        "toml",
        "wasm-bindgen",
        "tokio",
        "rusqlite",
        "postgres",
        "tokio-postgres",
    ] {
        assert!(
            !crates.contains(banned),
            "{banned} in the core build: {tree}"
        );
    }
}

#[test]
fn no_core_source_touches_files_clock_environment_or_processes() {
    let banned = [
        "std::fs",
        "std::time::SystemTime",
        "SystemTime::",
        "Instant::now",
        "std::env",
        "std::process",
        "std::net",
        "clap",
    ];
    let mut found = Vec::new();
    for path in rust_files(&root().join("src")) {
        if EDGES.contains(&module_of(&path).as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for line in code_lines(&text) {
            for word in banned {
                if line.contains(word) {
                    found.push(format!("{}: {word}: {line}", path.display()));
                }
            }
        }
    }
    assert!(found.is_empty(), "I/O in the core:\n{}", found.join("\n"));
}

#[test]
fn core_modules_import_only_what_the_table_allows() {
    let mut wrong = Vec::new();
    for path in rust_files(&root().join("src")) {
        let module = module_of(&path);
        if EDGES.contains(&module.as_str()) {
            continue;
        }
        let may = allowed(&module);
        let text = std::fs::read_to_string(&path).unwrap();
        for line in code_lines(&text) {
            for (at, _) in line.match_indices("crate::") {
                let rest = &line[at + "crate::".len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let is_module = MODULES.contains(&name.as_str());
                if is_module && name != module && !may.contains(&name.as_str()) {
                    wrong.push(format!("{} ({module}) uses crate::{name}", path.display()));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports docs/architecture.md does not allow:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_import_check_would_catch_the_old_circle() {
    // The check itself must be able to fail: quote naming plan is refused.
    assert!(!allowed("quote").contains(&"plan"));
    assert!(!allowed("catalog").contains(&"quote"));
    assert!(allowed("plan").contains(&"quote"));
    assert!(!allowed("service").contains(&"server"));
}

#[test]
fn no_source_file_is_much_over_700_lines() {
    let mut long = Vec::new();
    for path in rust_files(&root().join("src")) {
        let lines = std::fs::read_to_string(&path).unwrap().lines().count();
        if lines > 750 {
            long.push(format!("{}: {lines} lines", path.display()));
        }
    }
    assert!(
        long.is_empty(),
        "split these by concern:\n{}",
        long.join("\n")
    );
}
