#!/usr/bin/env bash
# Login flood against a fresh `sportello demo` (release build, SQLite): /healthz latency while
# N clients post wrong passwords.
#
#   bench/login/run.sh [CLIENTS] [SECONDS]
set -euo pipefail

clients="${1:-60}"
seconds="${2:-20}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

cargo build --release -p sportello --example login_flood --bin sportello
target="$(cargo metadata --no-deps --format-version 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"

data="$(mktemp -d)"
export SPORTELLO_DATA_DIR="$data" SPORTELLO_LISTEN=127.0.0.1:18081 SPORTELLO_LOG_LEVEL=warn
export SPORTELLO_TRUSTED_PROXIES=127.0.0.1
unset DATABASE_URL
cleanup() {
  [[ -n "${server:-}" ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

"$target/release/sportello" demo > "$data/demo.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q "listening on" "$data/demo.log" 2>/dev/null && break; sleep 0.2; done
"$target/release/examples/login_flood" --base-url http://127.0.0.1:18081 --clients "$clients" --seconds "$seconds"
