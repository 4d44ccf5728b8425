#!/usr/bin/env bash
# The scale bench: N generated practices, then each list page and verification by number
# timed against a server started on them.
#
#   bench/scale/run.sh ENGINE [N] [--requests R] [--depth D] [--keep DIR]
#
# ENGINE is `sqlite` or `postgres` (PostgreSQL at $BENCH_POSTGRES, default
# postgres://postgres@127.0.0.1:5432, where a database sportello_scale_N, or $BENCH_DB, is
# made afresh).
# N is the number of practices (default 5 000 000). The database is made by Sportello's own
# migrations (`sportello migrate`), filled by generate.py, then served by `sportello serve`
# (worker off) while bench.py times the pages; the server's memory is read from /proc.
# SPORTELLO_BIN=path uses that binary instead of building the release one. --keep DIR keeps
# (and reuses, when it holds a generated database of the same N) the data folder.
# BENCH_ONLY=TEXT times only the pages whose name holds TEXT (bench.py --only).
set -euo pipefail

engine="${1:?ENGINE: sqlite or postgres}"
shift
n=5000000
if [[ $# -gt 0 && "$1" != --* ]]; then n="$1"; shift; fi
requests=200
depth=50
keep=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --requests) requests="$2"; shift 2 ;;
    --depth) depth="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
if [[ -z "${SPORTELLO_BIN:-}" ]]; then
  cargo build --release -p sportello --bin sportello
  target="$(cargo metadata --no-deps --format-version 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
  bin="$target/release/sportello"
else
  bin="$SPORTELLO_BIN"
fi

if [[ -n "$keep" ]]; then data="$keep"; mkdir -p "$data"; else data="$(mktemp -d)"; fi
port="${BENCH_PORT:-18090}"
export SPORTELLO_DATA_DIR="$data" SPORTELLO_LISTEN="127.0.0.1:$port" SPORTELLO_LOG_LEVEL=warn \
  SPORTELLO_WORKER=false
unset DATABASE_URL
pg_server="${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
db="${BENCH_DB:-sportello_scale_$n}"
case "$engine" in
  sqlite) export DATABASE_URL="sqlite://$data/sportello.db" ;;
  postgres) export DATABASE_URL="$pg_server/$db" ;;
  *) echo "unknown engine $engine (sqlite or postgres)" >&2; exit 2 ;;
esac
cleanup() {
  [[ -n "${server:-}" ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  if [[ -z "$keep" ]]; then
    [[ "$engine" == postgres ]] && psql "$pg_server/postgres" -qc "DROP DATABASE IF EXISTS $db" || true
    rm -rf "$data"
  fi
}
trap cleanup EXIT

plan="$data/plan-$engine.json"
if [[ -n "$keep" && -f "$plan" ]] && python3 -c "import json,sys; sys.exit(json.load(open('$plan'))['practices'] != $n)"; then
  echo "reusing the generated database in $data"
else
  if [[ "$engine" == postgres ]]; then
    psql "$pg_server/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  else
    rm -f "$data/sportello.db"*
  fi
  "$bin" migrate
  start=$(date +%s)
  if [[ "$engine" == postgres ]]; then
    python3 bench/scale/generate.py --postgres "$DATABASE_URL" --practices "$n" \
      --blobs "$data/blobs" --plan "$plan"
  else
    python3 bench/scale/generate.py --sqlite "$data/sportello.db" --practices "$n" \
      --blobs "$data/blobs" --plan "$plan"
  fi
  echo "generated in $(( $(date +%s) - start )) s"
fi
case "$engine" in
  sqlite) echo "database: $(du -sh "$data/sportello.db" | cut -f1)" ;;
  postgres) echo "database: $(psql "$DATABASE_URL" -Atc "SELECT pg_size_pretty(pg_database_size(current_database()))")" ;;
esac

"$bin" serve > "$data/serve.log" 2>&1 &
server=$!
for _ in $(seq 300); do
  curl -fs "http://127.0.0.1:$port/healthz" > /dev/null 2>&1 && break
  sleep 0.2
done
echo "engine: $engine; server: $bin (pid $server); RSS at start: $(grep VmRSS /proc/$server/status | awk '{print $2 / 1024 " MiB"}')"
python3 bench/scale/bench.py --base "http://127.0.0.1:$port" --plan "$plan" \
  --requests "$requests" --depth "$depth" --pid "$server" --json "$data/result-$engine.json" \
  ${BENCH_ONLY:+--only "$BENCH_ONLY"}
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
