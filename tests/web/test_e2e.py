"""The page end to end in headless Chromium (Debian's /usr/bin/chromium driven by
Playwright for Python) against `matdiff serve` on a free loopback port (fixtures in
conftest.py).

Skips with a reason when Chromium, Playwright or the web extra is missing. Playwright's
own browser download is never used: the browser is launched from /usr/bin/chromium.
"""

from __future__ import annotations

import os
from urllib.parse import quote

import pytest

CHROMIUM = os.environ.get("MATDIFF_CHROMIUM", "/usr/bin/chromium")

if not os.path.exists(CHROMIUM):
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)
pytest.importorskip("fastapi", reason="the web extra (fastapi) is not installed")
pytest.importorskip("uvicorn", reason="the web extra (uvicorn) is not installed")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

TIMEOUT = 20_000  # ms


def open_page(page, query: str = "") -> None:
    page.goto(page.base + "/" + query)


def type_expression(page, text: str) -> None:
    page.fill("#expression", text)
    page.press("#expression", "Enter")


def test_type_an_expression_and_see_it_typeset(page):
    open_page(page)
    type_expression(page, "tr(A*X*B)")
    expect(page.locator("#plain-result")).to_have_text("A'*B'")
    expect(page.locator("#result-math .katex")).to_be_visible()
    expect(page.locator("#wrt")).to_have_value("X")
    assert "expr=tr%28A*X*B%29" in page.url or "expr=tr(A*X*B)" in page.url
    names = page.locator("#variables tbody td.name").all_inner_texts()
    assert [n.strip(" ✎") for n in names] == ["A", "B", "X"]
    page.click("button[data-tab=latex]")
    expect(page.locator("#latex-source")).to_contain_text("B^{\\top}")


def test_switch_layout(page):
    open_page(page, "?expr=" + quote("A*x") + "&wrt=x")
    expect(page.locator("#plain-result")).to_have_text("A")
    page.check("input[name=layout][value=denominator]")
    expect(page.locator("#plain-result")).to_have_text("A'")
    expect(page.locator("#result-notes")).to_contain_text("denominator layout")
    assert "layout=denominator" in page.url


def test_declare_a_property_in_the_variables_table(page):
    open_page(page, "?expr=" + quote("x'*A*x"))
    expect(page.locator("#plain-result")).to_have_text("(A + A')*x")
    page.locator("tr[data-name=A] input.prop-box[value=symmetric]").check()
    expect(page.locator("#plain-result")).to_have_text("2*A*x")
    assert "var=A%3A%20matrix%20n%20n%20symmetric" in page.url


def test_shared_url_restores_the_result(page):
    q = "?expr=" + quote("x'*A*x") + "&wrt=x&order=2&var=" + quote("A: matrix n n symmetric")
    open_page(page, q)
    expect(page.locator("#plain-result")).to_have_text("2*A")
    expect(page.locator("#order")).to_have_value("2")
    expect(page.locator("tr[data-name=A] input[value=symmetric]")).to_be_checked()


def test_example_then_steps_and_code(page):
    open_page(page)
    page.get_by_role("button", name="log(det(X))", exact=True).click()
    expect(page.locator("#plain-result")).to_have_text("inv(X)'")
    page.click("button[data-tab=steps]")
    steps = page.locator("#tab-steps")
    expect(steps).to_contain_text("det", timeout=TIMEOUT)
    expect(page.locator("#steps-note .busy")).to_have_count(0)
    expect(page.locator("#steps-note .unavailable")).to_have_count(0)
    expect(page.locator("#steps-text")).to_contain_text("Result")
    page.click("button[data-tab=code]")
    code = page.locator("#code")
    expect(code).not_to_have_text("generating…")
    expect(code).to_contain_text("import numpy as np")
    expect(code).to_contain_text("def ")
    page.check("input[name=backend][value=torch]")
    expect(code).to_contain_text("import torch")


def test_numerical_check(page):
    open_page(page, "?expr=" + quote("norm2(A*x - b)^2") + "&var=" + quote("b: vector m"))
    expect(page.locator("#plain-result")).to_have_text("2*A'*(A*x - b)")
    page.click("button[data-tab=check]")
    expect(page.locator("#check-out .verdict.good")).to_contain_text("numerical check passed")
    page.click("#run-check")
    expect(page.locator("#check-out")).to_contain_text("seed 1")


def test_check_my_answer(page):
    open_page(page, "?expr=" + quote("x'*A*x") + "&tab=answer")
    expect(page.locator("#plain-result")).to_have_text("(A + A')*x")
    page.fill("#answer", "2*A*x")
    page.click("#check-answer")
    out = page.locator("#answer-out")
    expect(out).not_to_have_text("checking…")
    expect(out.locator(".verdict.bad")).to_contain_text("symmetric")
    page.fill("#answer", "(A + A')*x")
    page.press("#answer", "Enter")
    expect(out.locator(".verdict.good")).to_contain_text("Correct")
    page.fill("#answer", "2*A*")
    page.click("#check-answer")
    expect(page.locator("#answer-error")).to_be_visible()
    expect(page.locator("#answer")).to_have_class("invalid")


def test_inline_error_with_caret(page):
    open_page(page)
    expect(page.locator("#plain-result")).to_have_text("(A + A')*x")
    type_expression(page, "A*x +")
    box = page.locator("#expr-error")
    expect(box).to_be_visible()
    expect(box.locator(".message")).to_have_text("missing operand after '+'")
    expect(box.locator(".caret-line")).to_have_text(" " * 5 + "^")
    expect(box).to_contain_text("hint:")
    expect(page.locator("#result-panel")).to_have_class("panel stale")
    type_expression(page, "A*x")
    expect(box).to_be_hidden()
    expect(page.locator("#plain-result")).to_have_text("A")
