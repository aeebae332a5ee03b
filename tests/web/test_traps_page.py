"""Typing traps on the API and the page (issue 11 item 7): `norm2(X*w - y)^2 +
lambda*norm2(w)^2` is a vector only because `lambda` is one by its first letter; the
API's `traps` and the page say so, and the page's button declares `lambda: scalar`,
after which the result is the gradient. The echo `function` is the text as typed.

Behaviour tests of the page and the API; the derivatives are the engine's and are
checked numerically in tests/parse/test_traps.py and tests/diff.
"""

from __future__ import annotations

import os
import warnings
from urllib.parse import quote

import pytest

pytest.importorskip("fastapi", reason="the web extra (fastapi) is not installed")
pytest.importorskip("httpx", reason="TestClient needs httpx")

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient  # noqa: E402

from matdiff.web.app import Settings, create_app  # noqa: E402

RIDGE = "norm2(X*w - y)^2 + lambda*norm2(w)^2"
MESSAGE = ("f is a vector (p) only because lambda is a vector by its first letter (h-z) "
           "and the scalar terms broadcast over it")


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings(workers=1, time_limit=30))) as c:
        yield c


def test_api_derivative_names_the_trap(client):
    d = client.post("/api/derivative", json={"expression": RIDGE, "wrt": "w"}).json()
    assert d["form"] == "jacobian"
    assert d["traps"] == [{"names": ["lambda"], "declarations": ["lambda: scalar"],
                           "option": '--var "lambda: scalar"', "message": MESSAGE}]
    assert f"note: {MESSAGE}" in d["report"]
    assert d["function"] == RIDGE


def test_api_declared_scalar_has_no_trap_and_a_gradient(client):
    d = client.post("/api/derivative", json={"expression": RIDGE, "wrt": "w",
                                             "variables": {"lambda": "scalar"}}).json()
    assert d["traps"] == [] and d["form"] == "gradient"
    assert d["result"] == "2*(lambda*w + X'*(X*w - y))"


def test_api_variables_names_the_trap(client):
    v = client.post("/api/variables", json={"expression": RIDGE}).json()
    assert [t["names"] for t in v["traps"]] == [["lambda"]]


def test_api_echo_is_the_text_as_typed(client):
    d = client.post("/api/derivative", json={"expression": "(x-m)'*(x-m)", "wrt": "x"}).json()
    assert d["function"] == "(x - m)'*(x - m)"
    assert d["function_latex"] == r"\left(x - m\right)^{\top} \left(x - m\right)"


CHROMIUM = os.environ.get("MATDIFF_CHROMIUM", "/usr/bin/chromium")


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM}")
def test_page_shows_the_trap_and_its_button_declares_the_scalar(page):
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    from playwright.sync_api import expect

    page.goto(page.base + "/?expr=" + quote(RIDGE))
    note = page.locator("#trap-note")
    expect(note).to_be_visible()
    expect(page.locator("#function-math .katex")).to_be_visible()  # f as typed, typeset
    expect(page.locator("#function-math")).to_contain_text("λ")
    expect(note).to_contain_text(MESSAGE)
    page.get_by_role("button", name="declare lambda: scalar").click()
    expect(page.locator("#plain-result")).to_have_text("2*(lambda*w + X'*(X*w - y))")
    expect(note).to_be_hidden()
