#!/bin/sh
# Registry import benchmark: generate an extract, import it into a fresh database with the
# release binary, then import it again (the repeat must change nothing), reporting rows per
# second and the peak memory (max RSS) of each run.
#
#   cargo build --release -p sportello
#   bench/registry/run.sh ROWS sqlite
#   BENCH_POSTGRES=postgres://user@host:5432/db bench/registry/run.sh ROWS postgres
#
# Environment: SPORTELLO (the binary; default target/release/sportello, or
# $CARGO_TARGET_DIR/release/sportello), BENCH_DIR (work folder for the extract, the SQLite
# file and the logs; default a new temporary folder), BENCH_POSTGRES (PostgreSQL URL; the run
# uses a fresh schema `bench_registry` in it, dropped and re-created).
set -eu

rows=${1:?usage: run.sh ROWS sqlite|postgres}
engine=${2:-sqlite}
bin=${SPORTELLO:-${CARGO_TARGET_DIR:-target}/release/sportello}
dir=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$dir"
csv="$dir/extract-$rows.csv"
here=$(dirname "$0")
if [ ! -x "$bin" ]; then
    echo "no binary at $bin: run cargo build --release -p sportello, or set SPORTELLO" >&2
    exit 2
fi

if [ ! -f "$csv" ]; then
    python3 "$here/generate.py" "$rows" > "$csv"
fi

case $engine in
sqlite)
    rm -f "$dir/bench.db" "$dir/bench.db-wal" "$dir/bench.db-shm"
    url="sqlite://$dir/bench.db"
    ;;
postgres)
    base=${BENCH_POSTGRES:?set BENCH_POSTGRES to a PostgreSQL URL}
    psql "$base" -q -c "SET client_min_messages = warning" \
        -c "DROP SCHEMA IF EXISTS bench_registry CASCADE" -c "CREATE SCHEMA bench_registry"
    url="$base?options=-c%20search_path%3Dbench_registry"
    ;;
*)
    echo "engine: sqlite or postgres" >&2
    exit 2
    ;;
esac

echo "rows=$rows engine=$engine file=$(du -h "$csv" | cut -f1)"
for run in first repeat; do
    DATABASE_URL=$url SPORTELLO_DATA_DIR="$dir/data" SPORTELLO_LOG_LEVEL=warn \
        /usr/bin/time -v "$bin" admin import-registry "$csv" \
        > "$dir/$run.out" 2> "$dir/$run.err" || { tail -n 5 "$dir/$run.err" >&2; exit 1; }
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$dir/$run.err")
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$dir/$run.err")
    seconds=$(echo "$wall" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
    echo "$run: $(tail -n 1 "$dir/$run.out") | $wall wall | $(awk -v r="$rows" -v s="$seconds" \
        'BEGIN { printf "%.0f", r / s }') rows/s | max RSS $((rss / 1024)) MiB"
done
if [ "$engine" = sqlite ]; then
    echo "database: $(du -h "$dir/bench.db" | cut -f1)"
fi
