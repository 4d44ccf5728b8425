#!/usr/bin/env bash
# Runs the practice-submission load test against a fresh `sportello demo` (release build).
#
#   bench/load/run.sh sqlite   [CLIENTS] [PRACTICES]
#   bench/load/run.sh postgres [CLIENTS] [PRACTICES]   (needs PostgreSQL on 127.0.0.1:5432)
set -euo pipefail

engine="${1:-sqlite}"
clients="${2:-8}"
practices="${3:-400}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

cargo build --release -p sportello --example load --bin sportello
target="$(cargo metadata --no-deps --format-version 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
bin="$target/release/sportello"

data="$(mktemp -d)"
export SPORTELLO_DATA_DIR="$data" SPORTELLO_LISTEN=127.0.0.1:18080 SPORTELLO_LOG_LEVEL=warn
unset DATABASE_URL
if [[ "$engine" == postgres ]]; then
  db="sportello_load_$$"
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db"
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db"
fi
cleanup() {
  [[ -n "${server:-}" ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  [[ "$engine" == postgres ]] && psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db" || true
  rm -rf "$data"
}
trap cleanup EXIT

"$bin" demo > "$data/demo.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q "listening on" "$data/demo.log" 2>/dev/null && break; sleep 0.2; done
"$bin" admin wallet credit --company 01879020517 --amount 100000 --reference load-test > /dev/null
"$target/release/examples/load" --base-url http://127.0.0.1:18080 --clients "$clients" --practices "$practices"
