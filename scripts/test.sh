#!/usr/bin/env bash
# Runs every test suite of genprice: formatting, lints, docs, unit,
# integration, property and vector tests, doc tests, and the benchmarks in
# test mode (each benchmark runs once, so they cannot rot).
#
# Needs only the Rust toolchain; installs missing rustfmt/clippy components.
# Idempotent. Fails loudly: the first failing step stops the run, non-zero.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'test.sh: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || die "cargo not found: install the Rust toolchain (https://rustup.rs)"
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt || die "cannot install rustfmt"
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy || die "cannot install clippy"

step "format (cargo fmt --check)"
cargo fmt --all -- --check

step "lints (clippy, warnings are errors; the core also without the native feature)"
cargo clippy --locked --all-targets -- -D warnings
cargo clippy --locked --lib --no-default-features -- -D warnings

step "docs (every public item documented, no broken links)"
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps --quiet

step "benchmarks, each run once in test mode"
cargo test --locked --benches

step "unit, integration, property and vector tests"
cargo test --locked --lib --bins --tests

step "doc tests (including the README's Rust example)"
cargo test --locked --doc
