"""Concurrent clients against a real server (`matdiff serve` on loopback): every request
answered with the expected status, none dropped. The figures themselves come from
`python -m matdiff.web.loadtest` (a few hundred requests); this is a short run of it."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi", reason="the web extra (fastapi) is not installed")
pytest.importorskip("uvicorn", reason="the web extra (uvicorn) is not installed")

from matdiff.web.loadtest import format_report, run, workload  # noqa: E402


def test_concurrent_clients_get_answers(live_server):
    report = run(live_server, requests=60, clients=4, seed=1)
    assert report["errors"] == 0, format_report(report)
    assert report["requests"] == 60
    assert report["latency_ms"]["all"]["n"] == 60


def test_load_test_refuses_other_hosts():
    with pytest.raises(SystemExit, match="loopback"):
        run("http://192.0.2.1:8000", requests=1, clients=1)


def test_workload_is_bounded_and_mixed():
    jobs = workload(200, seed=0)
    kinds = {k for k, *_ in jobs}
    assert {"derivative (fresh)", "derivative (cached)", "bad input (422)"} <= kinds
