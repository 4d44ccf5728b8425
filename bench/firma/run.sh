#!/bin/sh
# Signature verification benchmark with its anchors, in one run on one machine: the criterion
# bench of firma (wall time and CPU time of one thread, plus `openssl cms -verify` spawned per
# file and `openssl version` alone), then pyHanko on the same files. The load average is
# printed before and after, since a shared machine moves the wall times.
#
#   bench/firma/run.sh
#
# Environment: BENCH_DIR (work folder; the pyHanko virtual environment is made there on the
# first run, from PyPI; default a new temporary folder), PYHANKO_ITERATIONS (files per
# pyHanko measurement, default 300). Criterion keeps its results in target/criterion.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=${BENCH_DIR:-$(mktemp -d)}
venv="$dir/pyhanko-venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet pyhanko==0.38.0
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
openssl version
echo "before: $(uptime)"
cd "$root"
cargo bench -p firma --bench verify -- --noplot
"$venv/bin/python" -W ignore "$here/pyhanko_verify.py" "${PYHANKO_ITERATIONS:-300}"
echo "after: $(uptime)"
