#!/usr/bin/env python3
"""CPU time spent by the PostgreSQL backends serving one database, while a command runs.

    python3 bench/registry/server-cpu.py DBNAME -- COMMAND [ARGS...]

For a server on this machine: polls /proc every 0.2 s for `postgres: … DBNAME …` backends,
keeps the last user + system time seen for each, and prints their sum when the command ends.
A backend's last 0.2 s before it exits may be missed. Standard library only.
"""

import os
import subprocess
import sys
import time

TICKS = os.sysconf("SC_CLK_TCK")


def backends(database):
    found = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
            if not cmdline.startswith("postgres: ") or f" {database} " not in cmdline:
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
    child = subprocess.Popen(command)
    while child.poll() is None:
        seen.update(backends(database))
        time.sleep(0.2)
    seen.update(backends(database))
    print(f"server CPU: {sum(seen.values()):.1f} s over {len(seen)} backends", file=sys.stderr)
    sys.exit(child.returncode)


if __name__ == "__main__":
    main()
