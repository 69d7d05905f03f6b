#!/usr/bin/env bash
# Runs every test suite of genprice:
#   Rust: formatting, clippy (native, core without `native`, wasm32), docs,
#         unit, integration, property and vector tests, the service tests
#         against the spawned `genprice serve` (API, auth, concurrency,
#         kill -9 crash cycles) on SQLite, then the same suites on
#         PostgreSQL with two instances on one database (a throwaway cluster
#         per test process), doc tests, and the benchmarks once in test mode;
#   wasm: builds pkg/ and runs the binding tests under Node (wasm-bindgen-test);
#   JS:   tsc on a typed consumer, then node's test runner on tests/js/
#         (shared vectors, native-vs-wasm differential, wallet vectors,
#         packaging in Node ESM/CJS and Vite, the studio page in Chromium,
#         the npm engine's quotes charged on a spawned `genprice serve`);
#   fuzz: every target of fuzz/ for 20 s (scripts/fuzz: libFuzzer, nightly);
#   schemathesis against a spawned `genprice serve` for 60 s, from its own
#         OpenAPI document (scripts/schemathesis);
#   and prints the size and speed report (failing only on the size budget).
#
# Installs what it needs (the wasm32 target, the wasm-bindgen CLI pinned to
# Cargo.lock, npm dev dependencies, Debian's chromium and PostgreSQL,
# nightly and cargo-fuzz, schemathesis in a venv), idempotently, and
# fails loudly: the first failing step stops the run with a non-zero status.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'test.sh: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || die "cargo not found: install the Rust toolchain (https://rustup.rs)"
command -v node >/dev/null || die "node not found: install Node.js and npm"
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt || die "cannot install rustfmt"
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy || die "cannot install clippy"

step "setup (wasm32 target, wasm-bindgen CLI, npm dev dependencies, chromium, postgresql)"
source scripts/setup.sh
need_wasm_toolchain
need_node_modules
need_chromium
need_postgres

step "format (cargo fmt --check)"
cargo fmt --all -- --check

step "lints (clippy, warnings are errors: native, core without native, wasm32 bindings)"
cargo clippy --locked --all-targets -- -D warnings
cargo clippy --locked --lib --no-default-features -- -D warnings
cargo clippy --locked --target wasm32-unknown-unknown --no-default-features --features wallet-wasm --lib --tests -- -D warnings

step "docs (every public item documented, no broken links)"
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps --quiet
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps --quiet --target wasm32-unknown-unknown --no-default-features --features wallet-wasm

step "benchmarks, each run once in test mode"
cargo test --locked --benches

step "unit, integration, property and vector tests"
# tests/serve_limits.rs opens 10,000 connections: this process and the
# server it spawns need the descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -gt 10100 ] || echo "test.sh: ulimit -n is $(ulimit -n); tests/serve_limits.rs needs over 10,000" >&2
cargo test --locked --lib --bins --tests

step "the service suites again on PostgreSQL (one throwaway cluster per test process)"
GENPRICE_TEST_BACKEND=postgres cargo test --locked \
  --test serve_api --test serve_auth --test serve_concurrency --test serve_crash --test serve_demo

step "fuzz targets, 20 s each (scripts/fuzz)"
scripts/fuzz --seconds 20

step "the API under attack: schemathesis from /v1/openapi.json, 60 s (scripts/schemathesis)"
scripts/schemathesis

step "doc tests (including the README's Rust example)"
cargo test --locked --doc

step "build pkg/ (wasm-release, wasm-bindgen, wasm-opt)"
bash scripts/build-pkg.sh

step "wasm binding tests under Node (wasm-bindgen-test)"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --locked --target wasm32-unknown-unknown --no-default-features --features wasm --test wasm
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --locked --target wasm32-unknown-unknown --no-default-features --features wallet-wasm --test wasm

step "TypeScript: a typed consumer against the generated declarations"
npx --no-install tsc -p tests/js/types

step "size and speed report"
node scripts/report.mjs

step "JavaScript suites (node --test tests/js/)"
node --test tests/js/
