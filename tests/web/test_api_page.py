"""What the page asks the API for (issue 13), through FastAPI's TestClient: the default
"by", a Hessian's name, long results shown with their repeated parts named, the steps
as typeset sections with their rules, the numerical check as the command line runs it,
and the API page at /docs served from this machine.

Consistency checks of the API against the engine's own answers (the derivatives
themselves are checked numerically in tests/diff), except where said.
"""

from __future__ import annotations

import re
import warnings

import pytest

pytest.importorskip("fastapi", reason="the web extra (fastapi) is not installed")
pytest.importorskip("httpx", reason="TestClient needs httpx")

with warnings.catch_warnings():
    # Starlette's TestClient wants httpx2 and warns when it falls back to httpx, which
    # works the same here; the test extra should install httpx2.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient  # noqa: E402

import matdiff  # noqa: E402
from matdiff.cli import main  # noqa: E402
from matdiff.web.app import Settings, create_app  # noqa: E402
from matdiff.web.service import suggest_wrt  # noqa: E402

LOGISTIC = "sum(log(1 + exp(-y .* (X*w))))"


@pytest.fixture(scope="module")
def client():
    app = create_app(Settings(workers=1, time_limit=30))
    with TestClient(app) as c:
        yield c


def post(client, path, **body):
    r = client.post(path, json=body)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("expr,wrt", [
    (LOGISTIC, "w"),                          # the example: w, not the data X
    ("X*w", "w"),
    ("norm2(X*w - y)^2", "w"),
    ("x'*A*x", "x"),
    ("norm2(A*x - b)^2", "x"),
    ("tr(A*X*B)", "X"),
    ("log(det(X))", "X"),
    ("0.5*norm2(relu(W*x) - y)^2", "W"),
    ("-y'*log(softmax(z))", "z"),
    ("A*v", "v"),                             # no conventional name: a vector
    ("tr(A*B)", "A"),                         # no vector: a matrix
])
def test_suggested_wrt_is_the_parameter(client, expr, wrt):
    assert post(client, "/api/variables", expression=expr)["suggested_wrt"] == wrt
    assert suggest_wrt(matdiff.variables_of(expr)) == wrt


@pytest.mark.parametrize("expr,order,form_note", [
    ("x'*A*x", 2, "Hessian"),
    (LOGISTIC, 2, "Hessian"),
    ("A*x", 1, "Jacobian"),
    ("x'*A*x", 1, "gradient"),
])
def test_form_note_names_a_hessian(client, expr, order, form_note):
    d = post(client, "/api/derivative", expression=expr, wrt=suggest_wrt(
        matdiff.variables_of(expr)), order=order)
    assert d["form_note"] == form_note


def test_long_result_displayed_with_named_parts(client):
    d = post(client, "/api/derivative", expression=LOGISTIC, wrt="w", order=2)
    shown = d["display"]
    assert [w["name"] for w in shown["where"]] == ["s"]
    assert shown["where"][0]["text"] == "sigmoid(-y .* (X*w))"
    assert r"\operatorname{sigmoid}" not in shown["latex"]  # named, not repeated
    assert d["result"].count("sigmoid") == 2  # the pasteable text stays whole
    short = post(client, "/api/derivative", expression="x'*A*x", wrt="x")
    assert short["display"] is None


def test_steps_come_as_typeset_sections_with_rules(client):
    s = post(client, "/api/steps", expression="log(det(X))", wrt="X")
    assert s["intro"][0] == "f = log(det(X))"
    assert s["function_latex"]
    titles = [sec["title"] for sec in s["sections"]]
    assert titles[-1] == "Result" and len(titles) >= 3
    steps = [st for sec in s["sections"] for st in sec["steps"]]
    assert all(st["why"] for st in steps)
    assert all(st["latex"] for st in steps if st["relation"] != "note")
    det_step = next(st for st in steps if st["text"].startswith("d(det(X))"))
    assert "Cookbook (46)" in det_step["why"]
    assert det_step["latex"].startswith(r"\mathrm{d}\left(\det")
    # Labels are mathematics, not words in \text: df, df/dX
    assert any(st["latex"].startswith(r"\mathrm{d}f =") for st in steps)
    assert any(st["latex"].startswith(r"\frac{\partial f}{\partial X}") for st in steps)
    assert s["text"].startswith("f = log(det(X))")


@pytest.mark.parametrize("expr,wrt,decls", [
    ("x'*A*x", "x", {}),
    ("log(det(S))", "S", {"S": "matrix n n spd"}),
])
def test_numerical_check_is_the_command_lines(client, capsys, expr, wrt, decls):
    c = post(client, "/api/check", expression=expr, wrt=wrt, variables=decls)
    assert c["trials"] == 3
    assert "3 random inputs" in c["message"]
    d = matdiff.derivative(expr, wrt=wrt, variables=decls or None)
    assert c["message"] == d.check().message
    argv = [expr, "--wrt", wrt, "--check"]
    for name, decl in decls.items():
        argv += ["--var", f"{name}: {decl}"]
    assert main(argv) == 0
    assert c["message"] in capsys.readouterr().out


def test_docs_page_is_served_locally(client):
    r = client.get("/docs")
    assert r.status_code == 200
    html = r.text
    assert "matdiff JSON API" in html
    # Every script and style sheet comes from this server: no CDN, so it works offline.
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(s.endswith("/static/docs.js") for s in sources)
    assert not [s for s in sources if s.startswith(("http:", "https:", "//"))], sources
    assert client.get("/static/docs.js").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/api/derivative" in spec["paths"]
    assert client.get("/redoc").status_code == 404  # no CDN-backed page left behind


def test_ill_typed_expression_suggests_scalar_declarations(client):
    r = client.post("/api/variables", json={"expression": "t*x"})
    assert r.status_code == 422
    hint = r.json()["error"]["hint"]
    assert '--var "t: scalar"' in hint and '--var "x: scalar"' in hint
    fixed = post(client, "/api/variables", expression="t*x", variables={"t": "scalar"})
    assert {v["name"]: v["kind"] for v in fixed["variables"]} == {"t": "scalar", "x": "vector"}
