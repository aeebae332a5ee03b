"""Which failures of a web job are the user's and which are matdiff's (issue 10, item 6):
only a `MatdiffError` (including those that are also a built-in ValueError or KeyError)
becomes a user error (422 with the message); `InternalError` and every other exception is
a bug: logged with its traceback on the server, answered 500 with kind InternalError and
no traceback. Correctness tests of pool.execute, the HTTP layer and service.py's own
exception handlers."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest

from matdiff.errors import InputValueError, InternalError, MatdiffError, UnknownNameError
from matdiff.web import service
from matdiff.web.pool import execute


def _raiser(exc: BaseException):
    def job(**_: object) -> dict:
        raise exc
    return job


BUGS = [
    InternalError("an invariant did not hold"),
    ValueError("a plain ValueError is a bug"),
    KeyError("missing"),
    TypeError("wrong call"),
    RecursionError("too deep"),
]


@pytest.mark.parametrize("exc", BUGS, ids=lambda e: type(e).__name__)
def test_anything_but_a_matdiff_error_is_internal_and_logged(monkeypatch, caplog, exc):
    monkeypatch.setitem(service.JOBS, "derivative", _raiser(exc))
    with caplog.at_level(logging.ERROR, logger="matdiff.web.worker"):
        outcome = execute("derivative", {"expression": "x", "wrt": "x"})
    assert outcome == ("internal", type(exc).__name__)
    assert "Traceback" in caplog.text and type(exc).__name__ in caplog.text


USER = [
    MatdiffError("a user error"),
    InputValueError("a value outside the domain"),  # also a ValueError
    UnknownNameError("no variable q"),  # also a KeyError
]


@pytest.mark.parametrize("exc", USER, ids=lambda e: type(e).__name__)
def test_a_matdiff_error_is_the_users_and_not_logged(monkeypatch, caplog, exc):
    monkeypatch.setitem(service.JOBS, "derivative", _raiser(exc))
    with caplog.at_level(logging.ERROR, logger="matdiff.web.worker"):
        status, payload = execute("derivative", {"expression": "x", "wrt": "x"})
    assert status == "user"
    assert payload["error"]["message"] == exc.message
    assert caplog.text == ""


def test_an_internal_error_is_a_500_of_kind_internal_error(monkeypatch):
    pytest.importorskip("fastapi", reason="the web extra (fastapi) is not installed")
    pytest.importorskip("httpx", reason="TestClient needs httpx")
    from fastapi.testclient import TestClient

    from matdiff.web.app import Settings, create_app

    monkeypatch.setitem(service.JOBS, "derivative", _raiser(InternalError("broken")))
    with TestClient(create_app(Settings(workers=0))) as c:
        r = c.post("/api/derivative", json={"expression": "x'*x", "wrt": "x"})
    assert r.status_code == 500
    err = r.json()["error"]
    assert err["kind"] == "InternalError"
    assert "InternalError" in err["message"] and "bug" in err["message"]
    assert "Traceback" not in r.text and "broken" not in r.text


def test_service_catches_only_matdiff_errors():
    """No handler in service.py catches more than MatdiffError: a bug must reach the
    worker, which logs it and answers 500."""
    tree = ast.parse(Path(service.__file__).read_text())
    caught = [ast.unparse(h.type) if h.type is not None else "<bare>"
              for h in ast.walk(tree) if isinstance(h, ast.ExceptHandler)]
    assert caught, "service.py has handlers for renderings that may fail"
    assert set(caught) == {"MatdiffError"}, caught
