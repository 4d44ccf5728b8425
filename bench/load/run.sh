#!/usr/bin/env bash
# Runs the practice-submission load test against a fresh `sportello demo` (release build).
#
#   bench/load/run.sh [ENGINE] [--clients N] [--practices N] [--approve N] [--verify N]
#
# ENGINE is `sqlite` (the default), `postgres` (PostgreSQL on 127.0.0.1:5432, user postgres)
# or a `postgres://user@host:port` URL of a server where a fresh database may be created.
# --approve N: afterwards the officer approves N of the practices (PDF rendered and sealed);
# --verify N: then N requests to the public verification page of one of those certificates.
# The old positional form `run.sh ENGINE CLIENTS PRACTICES` still works.
# SPORTELLO_BIN=path runs that server binary instead of building one (to compare builds).
# SPORTELLO_PROFILE=debug builds and runs the debug build instead of the release one.
# SPORTELLO_PERF_STAT=1 counts the server's context switches during the load (`perf stat`).
# SPORTELLO_NO_BUILD=1 runs the binaries already built, as they are (no cargo build first).
# SPORTELLO_LOAD_PORT=N serves on that port (18080 by default), so two runs may share a machine.
set -euo pipefail

engine="${1:-sqlite}"
shift || true
clients=50
practices=600
after=()
positional=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --clients) clients="$2"; shift 2 ;;
    --practices) practices="$2"; shift 2 ;;
    --approve|--verify) after+=("$1" "$2"); shift 2 ;;
    *) if [[ $positional == 0 ]]; then clients="$1"; else practices="$1"; fi
       positional=$((positional + 1)); shift ;;
  esac
done
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

profile="${SPORTELLO_PROFILE:-release}"
case "$profile" in
  release|debug) ;;
  *) echo "SPORTELLO_PROFILE must be release or debug" >&2; exit 2 ;;
esac
if [[ "${SPORTELLO_NO_BUILD:-}" != 1 ]]; then
  case "$profile" in
    release) cargo build --release -p sportello --example load --bin sportello ;;
    debug) cargo build -p sportello --example load --bin sportello ;;
  esac
fi
target="$(cargo metadata --no-deps --format-version 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
bin="${SPORTELLO_BIN:-$target/$profile/sportello}"

data="$(mktemp -d)"
port="${SPORTELLO_LOAD_PORT:-18080}"
export SPORTELLO_DATA_DIR="$data" SPORTELLO_LISTEN="127.0.0.1:$port" SPORTELLO_LOG_LEVEL=warn
unset DATABASE_URL
pg_server=""
case "$engine" in
  sqlite) ;;
  postgres) pg_server="postgres://postgres@127.0.0.1:5432" ;;
  postgres://*|postgresql://*) pg_server="${engine%/}"; engine=postgres ;;
  *) echo "unknown engine $engine (sqlite, postgres or a postgres:// URL)" >&2; exit 2 ;;
esac
if [[ "$engine" == postgres ]]; then
  db="sportello_load_$$"
  psql "$pg_server/postgres" -qc "CREATE DATABASE $db"
  export DATABASE_URL="$pg_server/$db"
fi
cleanup() {
  [[ -n "${server:-}" ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  [[ "$engine" == postgres ]] && psql "$pg_server/postgres" -qc "DROP DATABASE IF EXISTS $db" || true
  rm -rf "$data"
}
trap cleanup EXIT

"$bin" demo > "$data/demo.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q "listening on" "$data/demo.log" 2>/dev/null && break; sleep 0.2; done
"$bin" admin wallet credit --company 01879020517 --amount 100000 --reference load-test > /dev/null
extra=()
[[ "$engine" == postgres ]] && extra=(--postgres-url "$DATABASE_URL")
echo "engine: $engine; server: $bin (pid $server); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
perf=()
[[ "${SPORTELLO_PERF_STAT:-}" == 1 ]] && perf=(perf stat -e context-switches,task-clock -p "$server" --)
"${perf[@]}" "$target/$profile/examples/load" --base-url "http://127.0.0.1:$port" --clients "$clients" \
  --practices "$practices" --server-pid "$server" "${extra[@]}" "${after[@]}"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
