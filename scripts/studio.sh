#!/usr/bin/env bash
# The studio demo, one command from a fresh clone: builds what it needs
# (idempotently: the npm dev dependencies on first use, pkg/ when it is
# missing or older than the sources it is built from — the server's own
# modules are not among them —, the genprice binary),
# then runs `genprice serve --demo` on a fresh temporary database and
# prints the page's address. Ctrl-C stops it and removes the database.
#   scripts/studio.sh [--listen ADDR] [other `genprice serve --demo` options]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
need_node_modules

wasm=pkg/web/genprice_bg.wasm
if [ ! -f "$wasm" ] || [ ! -f pkg/wallet/web/genprice_bg.wasm ] ||
   [ -n "$(find src Cargo.toml Cargo.lock pricing.toml \
        \( -path src/server -o -path src/service -o -path src/store -o -path src/cli \) -prune \
        -o -newer "$wasm" -print -quit)" ]; then
  echo "studio: building the npm package (pkg/)" >&2
  bash scripts/build-pkg.sh
fi
cargo build --locked --quiet --bin genprice

listen=127.0.0.1:8080
args=()
while [ $# -gt 0 ]; do
  case $1 in
    --listen) listen=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
echo "studio: open http://$listen/ (Ctrl-C stops it)" >&2
exec target/debug/genprice serve --demo --listen "$listen" "${args[@]}"
