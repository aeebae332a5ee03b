"""A bounded soak of `matdiff serve` on loopback: a few concurrent clients, a mix of
ordinary, heavy, runaway (killed on the time limit) and bad requests. Correctness test
of the server's robustness: every request is answered with its expected status (nothing
lost, no 5xx but the time limit's 504), the workers killed on the time limit come back
and answer, and the memory of the server and its workers stays flat.

CI form: 60 s (`MATDIFF_SOAK_SECONDS` to change it). The long form is
`python -m matdiff.web.loadtest --soak 300`, whose figures are in bench/RESULTS.md.
"""

from __future__ import annotations

import os
import sys

import pytest

pytest.importorskip("fastapi", reason="the web extra (fastapi) is not installed")
pytest.importorskip("uvicorn", reason="the web extra (uvicorn) is not installed")
if not sys.platform.startswith("linux"):
    pytest.skip("the soak reads memory from Linux's /proc", allow_module_level=True)

from matdiff.web.loadtest import _start_server  # noqa: E402
from matdiff.web.soak import format_soak, sample, soak, soak_passed  # noqa: E402

SECONDS = float(os.environ.get("MATDIFF_SOAK_SECONDS", "60"))


@pytest.fixture(scope="module")
def soak_server():
    """A server of its own, with a short time limit so that runaways are killed often."""
    proc, url = _start_server(workers=2, time_limit=3.0)
    try:
        yield proc, url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_soak(soak_server):
    proc, url = soak_server
    rss, workers = sample(proc.pid)
    assert rss and rss > 0 and workers == 2  # the sampler sees the server and its workers
    report = soak(url, proc.pid, SECONDS, clients=4, seed=0, workers=2)
    text = format_soak(report)
    assert report["requests"] > 20, text
    assert report["unanswered"] == 0, text
    assert report["server_errors"] == 0, text
    assert report["unexpected"] == 0, text
    assert report["kills"] > 0, text  # the runaways were stopped, not waited for
    assert report["workers_alive_after"] == 2 and report["answers_after"], text
    assert soak_passed(report), text  # and memory stayed flat


def test_soak_passes_only_when_everything_holds():
    good = {"unanswered": 0, "unexpected": 0, "server_errors": 0, "workers_alive_after": 2,
            "workers_expected": 2, "answers_after": True, "rss_mb_first_quarter": 200.0,
            "rss_mb_last_quarter": 210.0}
    assert soak_passed(good)
    for key, bad in [("unanswered", 1), ("unexpected", 2), ("server_errors", 1),
                     ("workers_alive_after", 1), ("answers_after", False),
                     ("rss_mb_last_quarter", 900.0)]:
        assert not soak_passed({**good, key: bad}), key
