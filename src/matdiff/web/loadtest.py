"""A short, bounded load test of `matdiff serve`, on the loopback interface only, and a
soak test.

    python -m matdiff.web.loadtest [--url http://127.0.0.1:8000] [--requests 300]
                                   [--clients 4] [--seed 0]
    python -m matdiff.web.loadtest --soak 300 [--clients 4] [--time-limit 3]

Without --url it starts its own server (`matdiff serve --port 0`) and stops it after.
A mix of requests from a few concurrent clients: derivatives of the lesson's examples
(half of them with fresh size names, so they miss the server's cache and really
derive), variables, numerical checks, and bad input that must come back as 422.
Reports the requests that failed (a status other than the expected one, or no answer),
throughput and latency percentiles per kind. At most 2,000 requests and 16 clients;
any host other than a loopback address is refused. Exit status 1 if anything failed.
Only the standard library is used on the client side.

`--soak SECONDS` (at most an hour) starts its own server (`--workers`, default 2, and a
short `--time-limit`) and keeps a few clients busy for that long with a mix of ordinary,
heavy (Hessians of nested softmax), runaway (a fourth derivative that runs past the time
limit: 504, its worker killed) and bad requests (422/413). It samples the resident memory
of the server and its workers every second (Linux /proc) and reports whether memory
stayed flat, whether the killed workers came back, and whether every request got an
answer (see soak.py).
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import json
import random
import re
import subprocess
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from .service import EXAMPLES
from .soak import format_soak, soak, soak_passed

MAX_REQUESTS = 2_000
MAX_CLIENTS = 16


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def workload(n: int, seed: int) -> list[tuple[str, str, dict, int]]:
    """(kind, path, body, expected status) for n requests."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        r = rng.random()
        ex = dict(rng.choice(EXAMPLES))
        body = {"expression": ex["expression"], "wrt": ex["wrt"],
                "variables": dict(ex["variables"])}
        if r < 0.35:
            out.append(("derivative (cached)", "/api/derivative",
                        {**body, "layout": rng.choice(["numerator", "denominator"])}, 200))
        elif r < 0.70:
            # Fresh size names (n -> k<i>, and the variable's own sizes): a cache miss.
            name = body["wrt"]
            fresh = {k: re.sub(r"\bn\b", f"k{i}", v) for k, v in body["variables"].items()}
            if name[0].isupper():
                square = "inv(" in ex["expression"] or "det(" in ex["expression"]
                fresh[name] = f"matrix k{i} {'k' if square else 'j'}{i}"
            else:
                fresh[name] = f"vector k{i}"
            body["variables"] = fresh
            out.append(("derivative (fresh)", "/api/derivative", body, 200))
        elif r < 0.80:
            out.append(("variables", "/api/variables",
                        {"expression": body["expression"], "variables": body["variables"]}, 200))
        elif r < 0.90:
            out.append(("check", "/api/check", {**body, "seed": i}, 200))
        else:
            bad = rng.choice(["A*x +", "x'*A*", "tr(A*X", "foo(x)", "A*x*y'*"])
            out.append(("bad input (422)", "/api/derivative", {"expression": bad, "wrt": "x"},
                        422))
    return out


class _Client(threading.local):
    conn: http.client.HTTPConnection | None = None


def run(url: str, requests: int, clients: int, seed: int = 0) -> dict:
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 80
    if not _loopback(host):
        raise SystemExit(f"refusing to load-test {host}: loopback addresses only")
    requests = max(1, min(requests, MAX_REQUESTS))
    clients = max(1, min(clients, MAX_CLIENTS))
    local = _Client()
    jobs = workload(requests, seed)
    results: list[tuple[str, float, bool, str]] = []
    lock = threading.Lock()

    def one(job: tuple[str, str, dict, int]) -> None:
        kind, path, body, expected = job
        if local.conn is None:
            local.conn = http.client.HTTPConnection(host, port, timeout=60)
        data = json.dumps(body).encode()
        t0 = time.perf_counter()
        try:
            local.conn.request("POST", path, data, {"Content-Type": "application/json"})
            resp = local.conn.getresponse()
            payload = resp.read()
            ok = resp.status == expected
            why = "" if ok else f"{resp.status}: {payload[:200]!r}"
            if ok and expected == 422:
                ok = "error" in json.loads(payload)
        except (OSError, http.client.HTTPException) as e:
            local.conn.close()
            local.conn = None
            ok, why = False, f"{type(e).__name__}: {e}"
        dt = time.perf_counter() - t0
        with lock:
            results.append((kind, dt, ok, why))

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, jobs))
    wall = time.perf_counter() - t0
    by_kind: dict[str, list[float]] = defaultdict(list)
    for kind, dt, _, _ in results:
        by_kind[kind].append(dt)
        by_kind["all"].append(dt)
    failures = [(k, why) for k, _, ok, why in results if not ok]
    return {
        "requests": len(results),
        "clients": clients,
        "wall_s": wall,
        "throughput_rps": len(results) / wall if wall else 0.0,
        "errors": len(failures),
        "failures": failures[:10],
        "latency_ms": {k: _percentiles(v) for k, v in sorted(by_kind.items())},
    }


def _percentiles(xs: list[float]) -> dict[str, float]:
    s = sorted(xs)

    def q(p: float) -> float:
        return 1000 * s[min(len(s) - 1, int(round(p * (len(s) - 1))))]

    return {"n": len(s), "p50": q(0.50), "p90": q(0.90), "p99": q(0.99), "max": 1000 * s[-1]}


def format_report(r: dict) -> str:
    lines = [
        f"{r['requests']} requests from {r['clients']} clients in {r['wall_s']:.2f} s "
        f"({r['throughput_rps']:.1f} req/s); errors: {r['errors']}",
        f"{'kind':<22}{'n':>5}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}",
    ]
    for kind, p in r["latency_ms"].items():
        lines.append(f"{kind:<22}{p['n']:>5}{p['p50']:>9.1f}{p['p90']:>9.1f}{p['p99']:>9.1f}"
                     f"{p['max']:>9.1f}")
    for kind, why in r["failures"]:
        lines.append(f"  failed {kind}: {why}")
    return "\n".join(lines)


def _start_server(workers: int | None, time_limit: float | None = None
                  ) -> tuple[subprocess.Popen, str]:
    cmd = [sys.executable, "-m", "matdiff.cli", "serve", "--host", "127.0.0.1", "--port", "0"]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    if time_limit is not None:
        cmd += ["--time-limit", str(time_limit)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    m = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
    if not m:
        proc.kill()
        raise SystemExit(f"could not start matdiff serve: {line!r}")
    url = m.group(1)
    parts = urlsplit(url)
    deadline = time.time() + 60
    while time.time() < deadline:  # wait until the workers answer
        try:
            c = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
            c.request("POST", "/api/variables", json.dumps({"expression": "x"}),
                      {"Content-Type": "application/json"})
            if c.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.2)
    return proc, url


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m matdiff.web.loadtest", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", help="a running server (default: start one on 127.0.0.1)")
    p.add_argument("--requests", type=int, default=300)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--workers", type=int, help="worker processes of the server it starts")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--soak", type=float, metavar="SECONDS",
                   help="soak test for this long instead (starts its own server)")
    p.add_argument("--time-limit", type=float, default=3.0,
                   help="the soak server's time limit per request (default 3 s)")
    args = p.parse_args(argv)
    if args.soak is not None:
        return _main_soak(args)
    proc = None
    url = args.url
    if url is None:
        proc, url = _start_server(args.workers)
    try:
        report = run(url, args.requests, args.clients, args.seed)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 1 if report["errors"] else 0


def _main_soak(args: argparse.Namespace) -> int:
    workers = 2 if args.workers is None else args.workers
    proc, url = _start_server(workers, args.time_limit)
    try:
        report = soak(url, proc.pid, args.soak, max(1, min(args.clients, MAX_CLIENTS)),
                      args.seed, workers)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(json.dumps(report, indent=2) if args.json else format_soak(report))
    return 0 if soak_passed(report) else 1


if __name__ == "__main__":
    sys.exit(main())
