"""The JSON API through FastAPI's TestClient: results, errors with the CLI's caret
column, limits, optional parts that are not there yet, and the worker time limit."""

from __future__ import annotations

import asyncio
import time
import warnings

import pytest

pytest.importorskip("fastapi", reason="the web extra (fastapi) is not installed")
pytest.importorskip("httpx", reason="TestClient needs httpx")

with warnings.catch_warnings():
    # Starlette's TestClient wants httpx2 and warns when it falls back to httpx, which
    # works the same for these tests; the test extra should install httpx2 (then nothing
    # is filtered here).
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient  # noqa: E402

import matdiff  # noqa: E402
from matdiff.errors import MatdiffError  # noqa: E402
from matdiff.web.app import Settings, create_app  # noqa: E402
from matdiff.web.pool import JobTimeout, WorkerPool  # noqa: E402
from matdiff.web.service import EXAMPLES  # noqa: E402


@pytest.fixture(scope="module")
def client():
    app = create_app(Settings(workers=1, time_limit=30))
    with TestClient(app) as c:
        yield c


def post(client, path, **body):
    return client.post(path, json=body)


def assert_error(r, status: int) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"}
    err = body["error"]
    assert {"message", "hint", "column", "text"} <= set(err)
    assert "Traceback" not in r.text
    return err


# ------------------------------------------------------------------------- results


def test_derivative_of_quadratic_form(client):
    r = post(client, "/api/derivative", expression="x'*A*x", wrt="x")
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["result"] == "(A + A')*x"
    assert d["form"] == "gradient"
    assert d["layout"] == "numerator"
    assert "latex" in d and "report" in d and "differential" in d
    kinds = {v["name"]: (v["kind"], v["size"]) for v in d["variables"]}
    assert kinds == {"A": ("matrix", "n×n"), "x": ("vector", "n")}
    assert "(A + A')*x" in d["report"]


def test_declarations_simplify(client):
    r = post(client, "/api/derivative", expression="x'*A*x", wrt="x",
             variables={"A": "matrix n n symmetric"})
    assert r.json()["result"] == "2*A*x"
    a = next(v for v in r.json()["variables"] if v["name"] == "A")
    assert a["props"] == ["symmetric"] and a["declared"]
    assert a["declaration"] == "matrix n n symmetric"


def test_layouts_and_order(client):
    num = post(client, "/api/derivative", expression="A*x", wrt="x").json()
    den = post(client, "/api/derivative", expression="A*x", wrt="x",
               layout="denominator").json()
    assert (num["result"], num["form"]) == ("A", "jacobian")
    assert (den["result"], den["layout"]) == ("A'", "denominator")
    hess = post(client, "/api/derivative", expression="x'*A*x", wrt="x", order=2).json()
    assert hess["result"] == "A + A'"
    assert hess["head"] == "d^2f/dx^2"


def test_structured_derivative(client):
    r = post(client, "/api/derivative", expression="log(det(X))", wrt="X",
             variables={"X": "matrix n n spd"}, structured=True)
    d = r.json()
    assert d["structured"] is True
    assert "symmetric" in d["space"]


def test_matches_the_python_api(client):
    for ex in EXAMPLES:
        r = post(client, "/api/derivative", **ex)
        assert r.status_code == 200, (ex, r.text)
        d = matdiff.derivative(ex["expression"], wrt=ex["wrt"], variables=ex["variables"] or None)
        assert r.json()["result"] == str(d), ex


def test_variables_endpoint(client):
    r = post(client, "/api/variables", expression="tr(A*X*B)", variables={"X": "matrix p q"})
    assert r.status_code == 200, r.text
    vs = {v["name"]: v for v in r.json()["variables"]}
    assert set(vs) == {"A", "B", "X"}
    assert vs["X"]["dims"] == ["p", "q"] and vs["X"]["declared"]
    assert not vs["A"]["declared"] and vs["A"]["kind"] == "matrix"
    assert r.json()["function_kind"] == "scalar"


def test_examples_endpoint(client):
    r = client.get("/api/examples")
    exprs = [e["expression"] for e in r.json()["examples"]]
    assert "x'*A*x" in exprs and "-y'*log(softmax(z))" in exprs


def test_numerical_check(client):
    for body in (
        dict(expression="x'*A*x", wrt="x"),
        dict(expression="A*x", wrt="x", layout="denominator"),
        dict(expression="log(det(X))", wrt="X", variables={"X": "matrix n n spd"},
             structured=True),
        dict(expression="x'*A*x", wrt="x", order=2),
        dict(expression="inv(X)", wrt="X"),
    ):
        r = post(client, "/api/check", seed=3, **body)
        assert r.status_code == 200, r.text
        c = r.json()
        assert c["passed"], (body, c)
        assert c["max_abs_error"] < 1e-5
        assert c["sizes"]


# -------------------------------------------------------------------------- errors


def cli_error(expression: str, wrt: str, variables=None) -> MatdiffError:
    with pytest.raises(MatdiffError) as info:
        matdiff.derivative(expression, wrt=wrt, variables=variables)
    return info.value


def test_parse_error_has_caret_column(client):
    err = assert_error(post(client, "/api/derivative", expression="A*x +", wrt="x"), 422)
    e = cli_error("A*x +", "x")
    assert err["message"] == e.message
    assert err["column"] == e.column == 5
    assert err["text"] == "A*x +"
    assert err["field"] == "expression"
    assert err["rendered"] == str(e)
    assert err["rendered"].splitlines()[2].index("^") == 2 + 5


def test_shape_error_same_as_cli(client):
    decls = {"A": "matrix n n", "x": "vector m"}
    err = assert_error(post(client, "/api/derivative", expression="A*x", wrt="x",
                            variables=decls), 422)
    e = cli_error("A*x", "x", decls)
    assert (err["message"], err["hint"], err["column"]) == (e.message, e.hint, e.column)
    assert err["kind"] == "ShapeError"


def test_unknown_variable_and_bad_declaration(client):
    err = assert_error(post(client, "/api/derivative", expression="x'*x", wrt="y"), 422)
    assert "'y' is not a variable" in err["message"]
    err = assert_error(post(client, "/api/derivative", expression="x'*x", wrt="x",
                            variables={"x": "vektor n"}), 422)
    assert err["message"]


def test_text_is_parsed_never_evaluated(client):
    err = assert_error(post(client, "/api/derivative",
                            expression="__import__('os').system('true')", wrt="x"), 422)
    assert err["column"] is not None


def test_answer_errors_point_into_the_answer(client):
    r = post(client, "/api/check-answer", expression="x'*A*x", wrt="x", answer="2*A*")
    err = assert_error(r, 422)
    assert err["text"] == "2*A*" and err["field"] == "answer"


def test_request_shape_errors(client):
    err = assert_error(post(client, "/api/derivative", expression="x'*x", wrt="x",
                            order="two"), 422)
    assert "order" in err["message"]
    err = assert_error(post(client, "/api/derivative", expression="x'*x", wrt="x", order=9), 422)
    assert "order must be between 1 and" in err["message"]
    err = assert_error(post(client, "/api/derivative", expression="x'*x", wrt="x",
                            layout="sideways"), 422)
    assert "layout" in err["message"]
    r = client.post("/api/derivative", content=b"{not json",
                    headers={"content-type": "application/json"})
    assert_error(r, 422)
    err = assert_error(post(client, "/api/derivative", expression="   ", wrt="x"), 422)
    assert "empty" in err["message"]


def test_not_found_is_json(client):
    err = assert_error(client.get("/api/nothing-here"), 404)
    assert err["message"]
    assert_error(client.get("/api/derivative"), 405)


# -------------------------------------------------------------------------- limits


def test_expression_length_limit(client):
    text = "+".join(["x'*x"] * 500)  # 2,499 characters
    err = assert_error(post(client, "/api/derivative", expression=text, wrt="x"), 422)
    assert "2000" in err["message"] and err["kind"] == "LimitError"


def test_body_size_limit(client):
    big = {"expression": "x'*x", "wrt": "x", "variables": {f"v{i}": "scalar" for i in range(2000)}}
    err = assert_error(client.post("/api/derivative", json=big), 413)
    assert "10000 bytes" in err["message"]


def test_body_size_limit_without_content_length(client):
    def chunks():
        yield b'{"expression": "'
        for _ in range(200):
            yield b"x+" * 50
        yield b'x", "wrt": "x"}'

    r = client.post("/api/derivative", content=chunks(),
                    headers={"content-type": "application/json"})
    assert_error(r, 413)


def test_deep_nesting_is_a_clean_error(client):
    text = "(" * 400 + "x" + ")" * 400
    err = assert_error(post(client, "/api/derivative", expression=text, wrt="x"), 422)
    assert "nested" in err["message"]


def test_time_limit_gives_504_and_server_recovers():
    # A real runaway: the 4th derivative of a 61-fold product takes many seconds.
    app = create_app(Settings(workers=1, time_limit=0.5, cache_size=0))
    with TestClient(app) as c:
        t0 = time.monotonic()
        err = assert_error(post(c, "/api/derivative", expression="tr(" + "X*" * 60 + "X)",
                                wrt="X", order=4), 504)
        assert time.monotonic() - t0 < 5
        assert "longer than" in err["message"]
        app.state.pool.time_limit = 30
        r = post(c, "/api/derivative", expression="x'*x", wrt="x")
        assert r.status_code == 200 and r.json()["result"] == "2*x"
        assert app.state.pool.restarts >= 1


def test_pool_kills_runaway_job_and_serves_others():
    async def scenario():
        pool = WorkerPool(size=2, time_limit=1.5)
        await pool.start()
        try:
            t0 = time.monotonic()
            slow = asyncio.create_task(pool.run("_sleep", {"seconds": 60}))
            fast = await pool.run("derivative", {"expression": "x'*x", "wrt": "x"})
            fast_time = time.monotonic() - t0
            with pytest.raises(JobTimeout):
                await slow
            killed_after = time.monotonic() - t0
            again = await pool.run("derivative", {"expression": "tr(X)", "wrt": "X"})
            for _ in range(600):  # the killed worker is replaced in the background
                if pool.restarts:
                    break
                await asyncio.sleep(0.1)
            return fast, fast_time, killed_after, again, pool.restarts
        finally:
            pool.close()

    fast, fast_time, killed_after, again, restarts = asyncio.run(scenario())
    assert fast[0] == "ok" and fast[1]["result"] == "2*x"
    assert fast_time < 1.5
    assert killed_after < 10
    assert again[0] == "ok" and again[1]["result"] == "eye(n)"
    assert restarts == 1


def test_internal_errors_are_json_without_traceback(monkeypatch):
    from matdiff.web import service

    def boom(**_):
        raise RuntimeError("secret detail")

    monkeypatch.setitem(service.JOBS, "derivative", boom)
    app = create_app(Settings(workers=0))  # in-thread: sees the monkeypatch
    with TestClient(app, raise_server_exceptions=False) as c:
        err = assert_error(post(c, "/api/derivative", expression="x'*x", wrt="x"), 500)
        assert "RuntimeError" in err["message"] and "secret" not in err["message"]

        async def broken(*a, **k):
            raise ValueError("also secret")

        app.state.pool.run = broken
        err = assert_error(post(c, "/api/variables", expression="x'*x"), 500)
        assert "bug in matdiff" in err["message"] and "secret" not in str(err)


# ------------------------------------------------------- code, steps, answer checking

IMPORTS = {"numpy": "import numpy as np", "jax": "import jax.numpy as jnp",
           "torch": "import torch"}


@pytest.mark.parametrize("backend", ["numpy", "jax", "torch"])
def test_code_for_each_backend(client, backend):
    r = post(client, "/api/code", expression="x'*A*x", wrt="x", backend=backend)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["backend"] == backend
    code = body["code"]
    assert IMPORTS[backend] in code.splitlines()
    assert "\ndef " in code
    compile(code, f"<{backend}>", "exec")  # the page shows Python that at least parses


def test_steps(client):
    r = post(client, "/api/steps", expression="tr(A*X)", wrt="X")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["text"].startswith("f = tr(A*X)")
    assert "G = A'" in body["text"]
    titles = [s["title"] for s in body["sections"]]
    assert titles[0].startswith("1. Differentials of the parts")
    assert all(s["steps"] for s in body["sections"])


def test_check_answer(client):
    r = post(client, "/api/check-answer", expression="x'*A*x", wrt="x", answer="(A + A')*x")
    assert r.status_code == 200, r.text
    assert r.json()["correct"] is True
    wrong = post(client, "/api/check-answer", expression="x'*A*x", wrt="x", answer="2*A*x").json()
    assert wrong["correct"] is False
    assert wrong["pitfall"] == "quadratic-form-transpose"
    assert "only when A is symmetric" in wrong["message"]


def test_unknown_backend_is_a_user_error(client):
    err = assert_error(post(client, "/api/code", expression="x'*A*x", wrt="x",
                            backend="fortran"), 422)
    assert "backend" in err["message"] and "'numpy', 'jax' or 'torch'" in err["message"]


# ------------------------------------------------------------------- the page itself


def test_page_and_assets_are_served_locally(client):
    r = client.get("/")
    assert r.status_code == 200 and "matdiff" in r.text
    assert "cdn" not in r.text.lower() and "https://" not in r.text
    assert "Content-Security-Policy" in r.headers
    for path in ("/static/katex/katex.min.js", "/static/katex/katex.min.css",
                 "/static/app.js", "/static/style.css",
                 "/static/katex/fonts/KaTeX_Main-Regular.woff2"):
        assert client.get(path).status_code == 200, path


def test_openapi_lists_the_endpoints(client):
    paths = client.get("/openapi.json").json()["paths"]
    for p in ("/api/derivative", "/api/variables", "/api/steps", "/api/code", "/api/check",
              "/api/check-answer"):
        assert p in paths


# ------------------------------------------------------------------- matdiff serve


def test_serve_reports_a_busy_port(capsys):
    import socket

    from matdiff.cli import main

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    assert "cannot listen on 127.0.0.1" in capsys.readouterr().err


def test_serve_answers_on_the_printed_address(live_server):
    import httpx

    r = httpx.post(live_server + "/api/derivative", json={"expression": "tr(A*X)", "wrt": "X"},
                   trust_env=False, timeout=30)
    assert r.status_code == 200 and r.json()["result"] == "A'"


def test_strict_layout_on_the_api(client):
    """Strict numerator layout as on the command line: a gradient is a row."""
    r = post(client, "/api/derivative", expression="x'*A*x", wrt="x", layout="strict")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["result"] == "x'*(A + A')"
    assert "strict numerator layout" in body["layout_note"]
