#!/usr/bin/env python3
"""Times Sportello's list pages and verification by number on a generated database.

    python3 bench/scale/bench.py --base http://127.0.0.1:18090 --plan scale-plan.json \\
        [--requests 200] [--depth 50] [--pid SERVER_PID]

The plan is what `generate.py` wrote: the session tokens of the people to log in as and
certificate numbers with their security codes. For each page it first walks `--depth` pages
down the list through the "next page" links (the keyset cursors), then requests the first
page and that deep page `--requests` times each over one kept-alive connection, and prints
p50 and p99 of the wall time per request as the client sees it. Verification asks for the
plan's certificates in turn. With `--pid` it prints the server's resident memory (now and
peak) from /proc. `--json FILE` writes the figures too; `--only TEXT` times only the pages
whose name holds TEXT (`--only devices`), without the verifications unless TEXT is part of
"verification by number" (`--only verification`: the verifications alone).

The desk inbox's first page carries the desk's capped counts per open status; the devices
page its withdrawal form's RAO picker (and, with `?rao=`, a search by name) and its stock
read from the counters; the ODR consignments page a page of ODRs; the RA restricted archive
50 mandate documents, newest first, with their operators' names; the
administrator's users page the chamber's staff and the company users it manages.
"""

import argparse
import html
import http.client
import json
import re
import sys
import time
from urllib.parse import urlsplit

NEXT = re.compile(r'href="([^"]+)" rel="next"')


class Client:
    def __init__(self, base, token):
        u = urlsplit(base)
        self.host, self.port = u.hostname, u.port or 80
        self.headers = {"Accept-Language": "it"}
        if token:
            self.headers["Cookie"] = f"sp_session={token}"
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def get(self, path):
        for attempt in (1, 2):
            try:
                self.conn.request("GET", path, headers=self.headers)
                r = self.conn.getresponse()
                return r.status, r.read().decode("utf-8", "replace")
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                if attempt == 2:
                    raise
        raise RuntimeError("unreachable")


def percentile(sorted_ms, p):
    if not sorted_ms:
        return float("nan")
    k = max(0, min(len(sorted_ms) - 1, round(p / 100 * len(sorted_ms) + 0.5) - 1))
    return sorted_ms[k]


def time_paths(client, paths, requests):
    times = []
    for i in range(requests):
        path = paths[i % len(paths)]
        t = time.perf_counter()
        status, body = client.get(path)
        times.append((time.perf_counter() - t) * 1000)
        if status != 200:
            sys.exit(f"{path}: HTTP {status}\n{body[:500]}")
    times.sort()
    return times


def deep(client, path, depth):
    """The URL `depth` next-page links down from `path` (or the last page reached)."""
    at = path
    walked = 0
    for _ in range(depth):
        status, body = client.get(at)
        if status != 200:
            sys.exit(f"{at}: HTTP {status}")
        m = NEXT.search(body)
        if not m:
            break
        at = html.unescape(m.group(1))
        walked += 1
    return at, walked


def rss(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:", "RssAnon:", "RssFile:")):
                k, v = line.split(":", 1)
                out[k] = int(v.split()[0]) // 1024
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--plan", required=True)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--depth", type=int, default=50)
    ap.add_argument("--pid", type=int)
    ap.add_argument("--json")
    ap.add_argument("--only", help="time only the pages whose name contains this "
                    "(no verification, unless this is part of 'verification by number')")
    a = ap.parse_args()
    with open(a.plan) as f:
        plan = json.load(f)
    s = plan["sessions"]
    lists = [
        ("officer", "desk inbox (open)", "/desk"),
        ("officer", "desk inbox (closed)", "/desk?status=closed"),
        ("company", "company home", "/"),
        ("company", "company sent", "/practices?list=sent"),
        ("company", "company archive", "/practices?list=archive"),
        ("company", "company models", "/models"),
        ("auditor", "audit search", "/audit"),
        ("master-rao", "devices", "/devices"),
        ("master-rao", "devices, RAO search", "/devices?rao=ro"),
        ("master-rao", "devices, ODR consignments", "/devices/odr"),
        ("master-rao", "RA archive", "/ra/archive"),
        ("chamber-admin", "admin users", "/admin/users"),
    ]
    results = []
    print(f"{plan['practices']} practices; {a.requests} requests per line; "
          f"deep = {a.depth} pages down; load average {open('/proc/loadavg').read().split()[:3]}")
    print(f"{'page':<28} {'which':<12} {'p50 ms':>8} {'p99 ms':>8}")
    if a.only:
        lists = [line for line in lists if a.only in line[1]]
    for role, name, path in lists:
        client = Client(a.base, s[role])
        targets = [("first", path)]
        if name not in ("company home", "company models", "desk inbox (open)",
                        "devices, RAO search"):
            far, walked = deep(client, path, a.depth)
            if walked:
                targets.append((f"page {walked + 1}", far))
        for which, p in targets:
            client.get(p)  # warm
            t = time_paths(client, [p], a.requests)
            row = {"page": name, "which": which, "path": p,
                   "p50_ms": round(percentile(t, 50), 2), "p99_ms": round(percentile(t, 99), 2)}
            results.append(row)
            print(f"{name:<28} {which:<12} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f}")
    before_verification = rss(a.pid) if a.pid else None
    if before_verification:
        print(f"server RSS after the list pages: {before_verification.get('VmRSS')} MiB "
              f"({before_verification.get('RssAnon')} MiB anonymous)")
    if a.only and a.only not in "verification by number":
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"results": results}, f, indent=1)
        return
    client = Client(a.base, None)
    certs = plan["certificates"]
    paths = [f"/verify/{n}?code={c}" for n, c in certs]
    # The first check of each code upgrades its stored hash (one write each): done first.
    time_paths(client, paths, len(paths))
    t = time_paths(client, paths, a.requests)
    row = {"page": "verification by number", "which": "with code",
           "p50_ms": round(percentile(t, 50), 2), "p99_ms": round(percentile(t, 99), 2)}
    results.append(row)
    print(f"{row['page']:<28} {row['which']:<12} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f}")
    out = {"results": results}
    if a.pid:
        out["rss_mib"] = rss(a.pid)
        out["rss_mib_after_lists"] = before_verification
        r = out["rss_mib"]
        print(f"server RSS: {r.get('VmRSS')} MiB now ({r.get('RssAnon')} MiB anonymous, "
              f"{r.get('RssFile')} MiB file pages), {r.get('VmHWM')} MiB peak")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
