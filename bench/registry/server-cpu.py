#!/usr/bin/env python3
"""CPU time spent by the PostgreSQL backends serving one database, while a command runs.

    python3 bench/registry/server-cpu.py DBNAME -- COMMAND [ARGS...]

For a server on this machine: polls /proc every 0.2 s for `postgres: … DBNAME …` backends
and for the parallel workers they start (`postgres: parallel worker for PID …`, which an
index build or a large query may use), keeps the last user + system time seen for each, and
prints their sum when the command ends. A process's last 0.2 s before it exits may be
missed. Standard library only.
"""

import os
import subprocess
import sys
import time

TICKS = os.sysconf("SC_CLK_TCK")


def backends(database, leaders):
    """The CPU seconds of the database's backends, and of the parallel workers of `leaders`
    (backends seen before); the backends' pids are added to `leaders`."""
    found = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
            if not cmdline.startswith("postgres: "):
                continue
            worker = cmdline.split("parallel worker for PID ", 1)
            if len(worker) == 2:
                if worker[1].split()[0] not in leaders:
                    continue
            elif f" {database} " in cmdline:
                leaders.add(pid)
            else:
                continue
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            # utime and stime are fields 14 and 15 of stat; after the command name, 12 and 13.
            found[(pid, fields[19])] = (int(fields[11]) + int(fields[12])) / TICKS
        except (OSError, IndexError, ValueError):
            continue
    return found


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit(__doc__)
    database, command = sys.argv[1], sys.argv[3:]
    seen = {}
    leaders = set()
    child = subprocess.Popen(command)
    while child.poll() is None:
        seen.update(backends(database, leaders))
        time.sleep(0.2)
    seen.update(backends(database, leaders))
    print(f"server CPU: {sum(seen.values()):.1f} s over {len(seen)} processes", file=sys.stderr)
    sys.exit(child.returncode)


if __name__ == "__main__":
    main()
