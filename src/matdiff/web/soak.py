"""A soak test of a running `matdiff serve`: memory flat, workers back, nothing lost.

Contract: `soak(url, server_pid, seconds, clients, seed, workers)` keeps `clients`
threads sending requests to the server at `url` (loopback; the caller checks) for
`seconds`, from a fixed mix: ordinary derivatives (cached and fresh), heavy ones (Hessians
of nested softmax), runaways (a fourth derivative that runs past the server's time limit:
504, the worker killed and replaced), bad input (422) and an oversized body (413). Every
second it samples the resident memory (RSS) of the server process and its worker
processes and how many workers are alive. It returns a report (a dict): requests sent and
answered, answers with an unexpected status, client-side failures (no answer), the kills,
memory in the first and last quarter of the run, and the workers alive at the end (it
waits for the replacements of killed workers to come up). `format_soak` prints it.

Memory and processes are read from Linux's /proc; elsewhere the memory figures are None.
Only the standard library is used.
"""

from __future__ import annotations

import http.client
import json
import random
import statistics
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from .service import EXAMPLES

MAX_SECONDS = 3600
RUNAWAY = "w'*diag(w)*softmax(z*z'*softmax(z))"  # order 4: minutes of work, far past limits


def _request(i: int, rng: random.Random) -> tuple[str, str, bytes, tuple[int, ...]]:
    """(kind, path, body, accepted statuses) of the i-th request of the mix."""
    r = rng.random()
    ok: tuple[int, ...]
    ex = rng.choice(EXAMPLES)
    body: dict = {"expression": ex["expression"], "wrt": ex["wrt"],
                  "variables": dict(ex["variables"])}
    if r < 0.30:
        kind, path, ok = "ordinary (cached)", "/api/derivative", (200,)
    elif r < 0.55:
        # A size name of its own (the declarations differ): a cache miss, a real derivation.
        body["variables"] = {**body["variables"], "q": f"vector s{i}"}
        body["expression"] = f"({body['expression']}) + 0*sum(q)"
        kind, path, ok = "ordinary (fresh)", "/api/derivative", (200,)
    elif r < 0.70:
        body = {"expression": "w'*diag(w)*softmax(z*z'*softmax(z))", "wrt": "z", "order": 2,
                "variables": {"z": f"vector h{i}"}}
        # On a loaded machine a heavy request may meet the time limit too: an answer.
        kind, path, ok = "heavy (Hessian)", "/api/derivative", (200, 504)
    elif r < 0.76:
        body = {"expression": RUNAWAY, "wrt": "z", "order": 4,
                "variables": {"z": f"vector r{i}"}}
        kind, path, ok = "runaway (504)", "/api/derivative", (504,)
    elif r < 0.96:
        bad: dict = rng.choice([
            {"expression": "A*x +", "wrt": "x"},
            {"expression": "(" * 80 + "x" + ")" * 80, "wrt": "x"},
            {"expression": "x+" * 1500 + "x", "wrt": "x"},
            {"expression": "x'*x", "wrt": "x", "order": 99},
            {"expression": "x'*x", "wrt": 3},
            {"expression": "x'*A*x", "wrt": "x", "variables": {"A": "matrix n n n"}},
        ])
        # 422 from validation or from matdiff; the order 99 may be 422 either way
        kind, path, body, ok = "bad input (422)", "/api/derivative", bad, (422,)
    else:
        data = b'{"expression": "' + b"x" * 20_000 + b'", "wrt": "x"}'
        return "oversized body (413)", "/api/derivative", data, (413,)
    return kind, path, json.dumps(body).encode(), ok


# ------------------------------------------------------------------ /proc sampling


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _is_worker(pid: int) -> bool:
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def sample(server_pid: int) -> tuple[float | None, int]:
    """(RSS in MB of the server and all its descendants, workers alive)."""
    if not Path(f"/proc/{server_pid}").exists():
        return None, 0
    pids, frontier = [server_pid], [server_pid]
    while frontier:
        frontier = [c for p in frontier for c in _children(p)]
        pids += frontier
    workers = sum(1 for p in pids if _is_worker(p))
    return sum(_rss_mb(p) for p in pids), workers


# ------------------------------------------------------------------------ the soak


def soak(url: str, server_pid: int, seconds: float, clients: int = 4, seed: int = 0,
         workers: int = 2) -> dict:
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 80
    seconds = max(1.0, min(seconds, MAX_SECONDS))
    deadline = time.monotonic() + seconds
    rng_lock, results_lock = threading.Lock(), threading.Lock()
    rng = random.Random(seed)
    counter = iter(range(10**9))
    results: list[tuple[str, int | None, bool, float]] = []
    samples: list[tuple[float, float | None, int]] = []
    t0 = time.monotonic()

    def client() -> None:
        conn: http.client.HTTPConnection | None = None
        while time.monotonic() < deadline:
            with rng_lock:
                kind, path, data, ok = _request(next(counter), rng)
            start = time.monotonic()
            status: int | None = None
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, port, timeout=120)
                conn.request("POST", path, data, {"Content-Type": "application/json"})
                resp = conn.getresponse()
                payload = resp.read()
                status = resp.status
                good = status in ok and "Traceback" not in payload.decode("utf-8", "replace")
                if resp.getheader("connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                if conn is not None:
                    conn.close()
                conn, good = None, False
            with results_lock:
                results.append((kind, status, good, time.monotonic() - start))

    def sampler() -> None:
        while time.monotonic() < deadline:
            rss, alive = sample(server_pid)
            samples.append((time.monotonic() - t0, rss, alive))
            time.sleep(1.0)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    threads.append(threading.Thread(target=sampler))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return _report(results, samples, server_pid, workers, host, port, time.monotonic() - t0)


def _recovered(server_pid: int, workers: int, host: str, port: int) -> tuple[int, bool]:
    """Workers alive once the replacements are up (waits up to 90 s), and whether an
    ordinary request is then answered."""
    end = time.monotonic() + 90
    alive = 0
    while time.monotonic() < end:
        alive = sample(server_pid)[1]
        if alive >= workers:
            break
        time.sleep(0.5)
    try:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        conn.request("POST", "/api/derivative", json.dumps({"expression": "x'*A*x",
                                                            "wrt": "x"}),
                     {"Content-Type": "application/json"})
        answered = conn.getresponse().status == 200
        conn.close()
    except (OSError, http.client.HTTPException):
        answered = False
    return alive, answered


def _report(results, samples, server_pid, workers, host, port, wall) -> dict:
    by_kind: dict[str, dict[str, int]] = {}
    for kind, status, good, _ in results:
        k = by_kind.setdefault(kind, {"sent": 0, "unexpected": 0})
        k["sent"] += 1
        k["unexpected"] += 0 if good else 1
        k[str(status)] = k.get(str(status), 0) + 1
    rss = [r for _, r, _ in samples if r is not None]
    quarter = max(1, len(rss) // 4)
    alive, answered = _recovered(server_pid, workers, host, port)
    return {
        "seconds": wall,
        "requests": len(results),
        "unanswered": sum(1 for _, status, _, _ in results if status is None),
        "unexpected": sum(1 for _, _, good, _ in results if not good),
        "server_errors": sum(1 for _, s, _, _ in results if s is not None and s >= 500
                             and s != 504),
        "kills": sum(1 for _, s, _, _ in results if s == 504),
        "by_kind": by_kind,
        "rss_mb_first_quarter": statistics.median(rss[:quarter]) if rss else None,
        "rss_mb_last_quarter": statistics.median(rss[-quarter:]) if rss else None,
        "rss_mb_max": max(rss) if rss else None,
        "rss_samples": len(rss),
        "workers_expected": workers,
        "workers_alive_after": alive,
        "answers_after": answered,
        "max_latency_s": max((dt for *_, dt in results), default=0.0),
    }


# Memory may grow while caches fill and workers are replaced, but not without bound: the
# last quarter of the run may use at most this much more than the first.
RSS_GROWTH_LIMIT = 1.5
RSS_GROWTH_SLACK_MB = 100.0


def soak_passed(r: dict) -> bool:
    """Every request answered with an accepted status, no 5xx but the time limit's, the
    workers all back and answering, and memory flat (within the allowance above)."""
    flat = r["rss_mb_first_quarter"] is None or (
        r["rss_mb_last_quarter"]
        <= r["rss_mb_first_quarter"] * RSS_GROWTH_LIMIT + RSS_GROWTH_SLACK_MB)
    return (r["unanswered"] == 0 and r["unexpected"] == 0 and r["server_errors"] == 0
            and r["workers_alive_after"] >= r["workers_expected"] and r["answers_after"]
            and flat)


def format_soak(r: dict) -> str:
    lines = [
        f"soak: {r['requests']} requests in {r['seconds']:.0f} s; unanswered "
        f"{r['unanswered']}, unexpected status {r['unexpected']}, server errors "
        f"{r['server_errors']}, workers killed on the time limit {r['kills']}",
        f"memory (server + workers, RSS): first quarter {r['rss_mb_first_quarter']} MB, "
        f"last quarter {r['rss_mb_last_quarter']} MB, max {r['rss_mb_max']} MB "
        f"({r['rss_samples']} samples)",
        f"workers alive after: {r['workers_alive_after']} of {r['workers_expected']}; "
        f"an ordinary request answered after: {r['answers_after']}; slowest answer "
        f"{r['max_latency_s']:.1f} s",
    ]
    for kind, k in sorted(r["by_kind"].items()):
        lines.append(f"  {kind:<22} {k}")
    return "\n".join(lines)
