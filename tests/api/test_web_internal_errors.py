"""The web service no longer swallows program bugs: a bug in a job is a 500 whose body
says it is a bug (without the traceback), and the traceback is logged on the server; a
user's error stays a 422; an extra rendering that cannot be made for this input (too deep
to typeset) is left out rather than failing the request. Correctness tests of the error
classification (pool.execute and service.py)."""

from __future__ import annotations

import logging

import pytest

pytest.importorskip("fastapi", reason="the web extra (fastapi) is not installed")
pytest.importorskip("httpx", reason="TestClient needs httpx")

from fastapi.testclient import TestClient  # noqa: E402

from matdiff.web import service  # noqa: E402
from matdiff.web.app import Settings, create_app  # noqa: E402
from matdiff.web.pool import execute  # noqa: E402


def _bug(**_: object) -> dict:
    return {"half": 1 / 0}


def test_a_bug_is_logged_with_its_traceback_and_classified(monkeypatch, caplog):
    monkeypatch.setitem(service.JOBS, "derivative", _bug)
    with caplog.at_level(logging.ERROR, logger="matdiff.web.worker"):
        outcome = execute("derivative", {"expression": "x", "wrt": "x"})
    assert outcome == ("internal", "ZeroDivisionError")
    assert "Traceback" in caplog.text and "1 / 0" in caplog.text


def test_a_bug_is_a_500_without_the_traceback(monkeypatch):
    monkeypatch.setitem(service.JOBS, "derivative", _bug)
    app = create_app(Settings(workers=0))  # in-thread: sees the patched job table
    with TestClient(app) as c:
        r = c.post("/api/derivative", json={"expression": "x'*x", "wrt": "x"})
        assert r.status_code == 500
        err = r.json()["error"]
        assert "ZeroDivisionError" in err["message"] and "bug" in err["message"]
        assert "Traceback" not in r.text and "1 / 0" not in r.text
        ok = c.post("/api/variables", json={"expression": "x'*x"})
        assert ok.status_code == 200  # the server lives on


def test_user_errors_stay_422():
    outcome = execute("derivative", {"expression": "x'*A*", "wrt": "x"})
    assert outcome[0] == "user"
    assert outcome[1]["error"]["message"]


def _too_deep() -> str:
    raise service.MatdiffError("the expression is too deep for printing")


def test_a_rendering_that_cannot_be_made_is_left_out_but_bugs_are_not_hidden():
    assert service._optional_render(_too_deep) is None
    with pytest.raises(ZeroDivisionError):  # a bug in a rendering is not hidden
        service._optional_render(lambda: 1 / 0)
