#!/usr/bin/env bash
# Installs what the build and the tests need, idempotently, and fails loudly
# when something cannot be installed. Sourced by build-pkg.sh and test.sh;
# each function is a no-op when its tool is already there.
#   need_wasm_toolchain   rustup target wasm32-unknown-unknown + wasm-bindgen-cli
#                         pinned to the wasm-bindgen version in Cargo.lock
#   need_node_modules     npm ci (wasm-opt from binaryen, TypeScript, Vite, playwright-core)
#   need_chromium         Debian's chromium, for the browser tests
#   need_postgres         Debian's PostgreSQL server binaries (initdb, pg_ctl,
#                         psql, pg_dump, pgbench), for the tests and the bench
#                         on PostgreSQL; they start throwaway clusters of their
#                         own, so the package's default cluster is not created
#   need_fuzz             the nightly toolchain and cargo-fuzz, for scripts/fuzz
#   need_schemathesis     schemathesis (PyPI) in a venv, for scripts/schemathesis
set -euo pipefail

die() { printf 'genprice setup: %s\n' "$*" >&2; exit 1; }

need_wasm_toolchain() {
  command -v rustup >/dev/null || die "rustup not found: install the Rust toolchain"
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown || die "cannot add the wasm32-unknown-unknown target"
  fi
  local want
  want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
  [ -n "$want" ] || die "wasm-bindgen is not in Cargo.lock"
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
    echo "genprice setup: installing wasm-bindgen-cli $want (takes several minutes)" >&2
    # No --locked: one of the CLI's locked dependencies is missing from the registry mirror.
    cargo install wasm-bindgen-cli --version "$want" || die "cannot install wasm-bindgen-cli $want"
  fi
}

need_node_modules() {
  command -v npm >/dev/null || die "npm not found: install Node.js and npm"
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund || die "npm ci failed"
  fi
}

need_chromium() {
  if ! command -v chromium >/dev/null; then
    command -v apt-get >/dev/null || die "chromium not found and apt-get is unavailable: install Chromium"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium || die "cannot install chromium"
  fi
}

need_postgres() {
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    command -v apt-get >/dev/null || die "PostgreSQL not found and apt-get is unavailable: install the PostgreSQL server"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    # The tests start clusters of their own: no 'main' cluster on 5432.
    $sudo mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.d/genprice.conf >/dev/null
    $sudo apt-get update -qq || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql || die "cannot install postgresql"
  fi
  # As root the clusters run as the package's postgres user (initdb refuses root).
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    die "running as root, but there is no postgres user to run the test clusters"
  fi
}

# Nightly (libFuzzer needs -Zsanitizer) and cargo-fuzz, for scripts/fuzz.
need_fuzz() {
  command -v rustup >/dev/null || die "rustup not found: install the Rust toolchain"
  if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    rustup toolchain install nightly --profile minimal || die "cannot install the nightly toolchain"
  fi
  if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked || die "cannot install cargo-fuzz"
  fi
}

# schemathesis from PyPI in its own virtual environment, for
# scripts/schemathesis; sets SCHEMATHESIS to its command.
need_schemathesis() {
  local venv="${GENPRICE_VENV:-$HOME/.venvs/genprice-schemathesis}"
  if [ ! -x "$venv/bin/schemathesis" ]; then
    command -v python3 >/dev/null || die "python3 not found: install Python 3"
    if ! python3 -m venv "$venv" 2>/dev/null; then
      # Debian ships venv separately from python3.
      command -v apt-get >/dev/null || die "cannot make a virtual environment in $venv: install python3-venv"
      local sudo=""
      [ "$(id -u)" = 0 ] || sudo="sudo"
      rm -rf "$venv"
      $sudo apt-get update -qq || die "apt-get update failed"
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv || die "cannot install python3-venv"
      python3 -m venv "$venv" || die "cannot make a virtual environment in $venv"
    fi
    "$venv/bin/pip" install --quiet 'schemathesis>=4,<5' || die "cannot install schemathesis"
  fi
  SCHEMATHESIS="$venv/bin/schemathesis"
}
