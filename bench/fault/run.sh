#!/usr/bin/env bash
# The long run of the fault test (tests/app/fault.rs): the practice load against real
# `sportello serve` processes, SIGKILL at random moments, restarts, then every invariant
# checked from the database, the blob folder and the SMTP server's inbox.
#
#   bench/fault/run.sh [KILLS] [ENGINE]
#
# KILLS defaults to 200. ENGINE is `sqlite` (the default: one instance), `postgres` (two
# instances on one database; needs SPORTELLO_TEST_POSTGRES, e.g.
# postgres://postgres@127.0.0.1:5432/postgres) or `both`. SPORTELLO_FAULT_SEED=N replays a
# run's kill schedule and choices (the seed is printed). Debug build, like the tests.
set -euo pipefail

kills="${1:-200}"
engine="${2:-sqlite}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

case "$engine" in
  sqlite|postgres) filter="fault::practices_survive_kill_9_with_nothing_lost_or_done_twice::$engine" ;;
  both) filter="fault::practices_survive_kill_9_with_nothing_lost_or_done_twice::" ;;
  *) echo "unknown engine $engine (sqlite, postgres or both)" >&2; exit 2 ;;
esac
if [[ "$engine" != sqlite && -z "${SPORTELLO_TEST_POSTGRES:-}" ]]; then
  echo "SPORTELLO_TEST_POSTGRES must name a PostgreSQL server for $engine" >&2
  exit 2
fi

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
started=$(date +%s)
SPORTELLO_FAULT_KILLS="$kills" cargo test -p sportello --test app "$filter" -- \
  --nocapture --test-threads 1 2>&1 | grep -E "^(fault test|[0-9]+ kills|test |thread|  left|  right)|panicked|FAILED|ok$"
echo "wall time: $(( $(date +%s) - started )) s; load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
