"""The page as a new user meets it (issue 13), end to end in headless Chromium against
`matdiff serve` (fixtures in conftest.py): the default "by", declarations that follow
the expression, a Hessian's name, /docs offline, the typeset steps, long results and a
390 px screen, hiding the result to test oneself, and the numerical check's inputs.

These are behaviour tests of the page; the derivatives they show are the engine's and
are checked numerically elsewhere (tests/diff). Each test would have failed on the page
before issue 13 was fixed.
"""

from __future__ import annotations

import os
from urllib.parse import quote, urlparse

import pytest

CHROMIUM = os.environ.get("MATDIFF_CHROMIUM", "/usr/bin/chromium")
if not os.path.exists(CHROMIUM):
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)
pytest.importorskip("fastapi", reason="the web extra (fastapi) is not installed")
pytest.importorskip("uvicorn", reason="the web extra (uvicorn) is not installed")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

LOGISTIC = "sum(log(1 + exp(-y .* (X*w))))"
LOGISTIC_GRAD = "-X'*(y .* sigmoid(-y .* (X*w)))"
LOGISTIC_HESS = "X'*diag(y.^2 .* sigmoid(-y .* (X*w)) .* (1 - sigmoid(-y .* (X*w))))*X"


def open_page(page, query: str = "") -> None:
    page.goto(page.base + "/" + query)


def q(expr: str, *rest: str) -> str:
    return "?expr=" + quote(expr) + "".join("&" + r for r in rest)


def type_expression(page, text: str) -> None:
    page.fill("#expression", text)
    page.press("#expression", "Enter")


def box(locator) -> dict:
    b = locator.bounding_box()
    assert b is not None, "element not laid out"
    return b


def overlap(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


# --------------------------------------------------------------------- the default "by"


@pytest.mark.parametrize("expr,wrt", [(LOGISTIC, "w"), ("X*w", "w"), ("x'*A*x", "x"),
                                      ("0.5*norm2(relu(W*x) - y)^2", "W")])
def test_default_variable_is_the_parameter_not_the_data(page, expr, wrt):
    open_page(page, q(expr))
    expect(page.locator("#wrt")).to_have_value(wrt)
    expect(page.locator("#wrt-hint")).to_contain_text("pick another variable")


def test_a_plus_typed_in_the_address_is_the_expressions_plus(page):
    """`/?expr=sum(log(1 + exp(...)))` typed by hand: "+" is not read as a space, and
    the address the page writes back keeps the expression's plus and its spaces."""
    open_page(page, "?expr=" + LOGISTIC.replace("*", "%2A"))
    expect(page.locator("#plain-result")).to_have_text(LOGISTIC_GRAD)
    page.reload()
    expect(page.locator("#expression")).to_have_value(LOGISTIC)
    expect(page.locator("#plain-result")).to_have_text(LOGISTIC_GRAD)


def test_the_default_variable_can_be_changed(page):
    open_page(page, q(LOGISTIC))
    expect(page.locator("#plain-result")).to_have_text(LOGISTIC_GRAD)
    assert "wrt=" not in page.url  # a default, not a choice, until the user picks
    page.select_option("#wrt", "X")
    expect(page.locator("#wrt-hint")).to_have_text("")
    expect(page.locator("#plain-result")).not_to_have_text(LOGISTIC_GRAD)
    assert "wrt=X" in page.url


# ------------------------------------------------- declarations follow the expression


def test_declarations_and_options_follow_a_new_expression(page):
    """The issue's walk: log(det(X)) with X symmetric, structured, an answer checked;
    then the logistic loss. Nothing of the first may leak into the second."""
    open_page(page)
    page.get_by_role("button", name="log(det(X))", exact=True).click()
    expect(page.locator("#plain-result")).to_have_text("inv(X)'")
    page.locator("tr[data-name=X] input.prop-box[value=symmetric]").check()
    expect(page.locator("#plain-result")).to_have_text("inv(X)")
    page.check("#structured")
    expect(page.locator("#plain-result")).to_have_text("2*inv(X) - diag(diag(inv(X)))")
    page.click("button[data-tab=answer]")
    page.fill("#answer", "inv(X)")
    page.click("#check-answer")
    expect(page.locator("#answer-out .verdict")).to_be_visible()

    type_expression(page, LOGISTIC)
    expect(page.locator("#plain-result")).to_have_text(LOGISTIC_GRAD)
    expect(page.locator("#wrt")).to_have_value("w")
    expect(page.locator("tr[data-name=X] input.prop-box[value=symmetric]")).not_to_be_checked()
    expect(page.locator("#structured-label")).to_be_hidden()
    expect(page.locator("#answer")).to_have_value("")
    expect(page.locator("#answer-out")).to_be_empty()
    expect(page.locator("#reset-note")).to_contain_text("X")
    assert "var=" not in page.url and "structured" not in page.url

    page.select_option("#order", "2")
    expect(page.locator("#plain-result")).to_have_text(LOGISTIC_HESS)
    expect(page.locator("#expr-error")).to_be_hidden()


def test_a_new_variable_keeps_the_others_declarations_and_by(page):
    open_page(page, q("x'*A*x", "wrt=A", "var=" + quote("A: matrix n n symmetric")))
    expect(page.locator("#plain-result")).to_have_text("x*x'")
    type_expression(page, "x'*A*x + u'*x")
    expect(page.locator("#wrt")).to_have_value("A")
    expect(page.locator("tr[data-name=A] input.prop-box[value=symmetric]")).to_be_checked()
    expect(page.locator("#plain-result")).to_have_text("x*x'")


def test_an_edit_that_keeps_the_variables_keeps_the_declarations(page):
    open_page(page, q("x'*A*x", "var=" + quote("A: matrix n n symmetric"), "order=2"))
    expect(page.locator("#plain-result")).to_have_text("2*A")
    type_expression(page, "x'*A*x + x'*x")
    expect(page.locator("#plain-result")).to_have_text("2*(eye(n) + A)")
    expect(page.locator("tr[data-name=A] input.prop-box[value=symmetric]")).to_be_checked()
    expect(page.locator("#order")).to_have_value("2")
    expect(page.locator("#reset-note")).to_be_hidden()


def test_a_failed_derivative_shows_no_old_result(page):
    open_page(page, q("x'*A*x"))
    expect(page.locator("#plain-result")).to_have_text("(A + A')*x")
    type_expression(page, "expm(X)")
    expect(page.locator("#expr-error")).to_contain_text("no closed matrix form")
    expect(page.locator("#result-panel")).to_be_hidden()


# ------------------------------------------------------------------- names and /docs


def test_a_hessian_by_a_vector_is_called_hessian(page):
    open_page(page, q("x'*A*x", "order=2"))
    expect(page.locator("#plain-result")).to_have_text("A + A'")
    notes = page.locator("#result-notes")
    expect(notes).to_contain_text("Hessian")
    assert notes.inner_text().split(";")[0] == "Hessian"


def block_the_network(page) -> list[str]:
    """Abort every request that is not to this machine; returns the list of them."""
    blocked: list[str] = []

    def handle(route):
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", handle)
    return blocked


def test_docs_work_offline(page):
    blocked = block_the_network(page)
    page.goto(page.base + "/docs")
    endpoint = page.locator("#post-api-derivative")
    expect(endpoint.locator("h2")).to_contain_text("POST /api/derivative")
    expect(endpoint.locator("table")).to_contain_text("expression")
    endpoint.locator("summary").click()
    endpoint.get_by_role("button", name="Send").click()
    expect(endpoint.locator("pre.try-out")).to_contain_text("200")
    expect(endpoint.locator("pre.try-out")).to_contain_text("(A + A')*x")
    assert page.locator("#endpoints section").count() >= 8
    assert blocked == [], f"/docs asked the network for {blocked}"


def test_the_page_works_offline(page):
    blocked = block_the_network(page)
    open_page(page, q("tr(A*X*B)"))
    expect(page.locator("#result-math .katex").first).to_be_visible()
    assert blocked == [], f"the page asked the network for {blocked}"


# ---------------------------------------------------------------------------- steps


def test_steps_are_typeset_with_their_rules(page):
    open_page(page, q("log(det(X))", "tab=steps"))
    view = page.locator("#steps-view")
    titles = view.locator("h4.steps-title")
    expect(titles.first).to_be_visible()
    assert titles.count() >= 3
    for i in range(titles.count()):
        clipped = titles.nth(i).evaluate(
            "e => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1")
        assert not clipped, titles.nth(i).inner_text()
    intro = view.locator(".steps-intro p").nth(1)
    assert intro.evaluate("e => getComputedStyle(e).textAlign") in ("left", "start")
    assert abs(box(intro)["x"] - box(view)["x"]) < 2, "the intro is not at the left edge"
    steps = view.locator("li.step")
    assert steps.count() >= 4
    for i in range(steps.count()):
        expect(steps.nth(i).locator(".step-eq .katex")).to_have_count(1)
        expect(steps.nth(i).locator(".why")).not_to_be_empty()
    expect(view.locator(".why").first).to_contain_text("Cookbook (46)")
    expect(view.locator(".steps-intro .katex")).to_have_count(1)  # f = log(det(X)), typeset


# ------------------------------------------------------------ long results, 390 px


@pytest.mark.parametrize("width", [1100, 390])
def test_long_results_wrap_and_copy_covers_nothing(make_page, width):
    page = make_page(width)
    open_page(page, q(LOGISTIC, "order=2"))
    expect(page.locator("#plain-result")).to_have_text(LOGISTIC_HESS)
    for pre_id in ("plain-result", "latex-source"):
        if pre_id == "latex-source":
            page.click("button[data-tab=latex]")
        pre = page.locator("#" + pre_id)
        expect(pre).to_be_visible()
        assert pre.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), f"#{pre_id} scrolls"
        button = page.locator(f"button.copy[data-copy={pre_id}]")
        assert not overlap(box(button), box(pre)), f"Copy covers #{pre_id}"
        assert box(button)["x"] + box(button)["width"] <= width
    result = page.locator("#result-math")
    assert result.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), "typeset result scrolls"
    expect(result).to_contain_text("where")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_nothing_overflows_a_phone(make_page):
    page = make_page(390, 800)
    open_page(page, q("log(det(X))", "var=" + quote("X: matrix n n symmetric")))
    expect(page.locator("#plain-result")).to_have_text("inv(X)")
    right_edges = page.evaluate("""() => [...document.querySelectorAll(
        '#variables td, #variables button, .options label, .tabs button, button.copy, #go')]
        .filter(e => e.offsetParent !== null)
        .map(e => [e.id || e.className || e.tagName, e.getBoundingClientRect().right])""")
    too_wide = [(name, right) for name, right in right_edges if right > 390 + 0.5]
    assert not too_wide, too_wide
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


# ------------------------------------------------------------------ test yourself


def test_hide_the_result_until_answered(page):
    open_page(page, q("x'*A*x", "hide=1"))
    expect(page.locator("#hidden-note")).to_be_visible()
    expect(page.locator("#function-math .katex")).to_be_visible()
    expect(page.locator("#result-math")).to_be_hidden()
    expect(page.locator("button[data-tab=text]")).to_be_hidden()
    expect(page.locator("#tab-answer")).to_be_visible()
    page.fill("#answer", "2*A*x")
    page.click("#check-answer")
    verdict = page.locator("#answer-out .verdict.bad")
    expect(verdict).to_contain_text("symmetric")
    assert "(A + A')*x" not in verdict.inner_text(), "the verdict gave the result away"
    expect(page.locator("#result-math")).to_be_hidden()
    page.fill("#answer", "(A + A')*x")
    page.press("#answer", "Enter")
    expect(page.locator("#answer-out .verdict.good")).to_contain_text("Correct")
    expect(page.locator("#result-math .katex")).to_be_visible()
    expect(page.locator("#hidden-note")).to_be_hidden()
    expect(page.locator("button[data-tab=text]")).to_be_visible()


def test_hide_checkbox_and_show_button(page):
    open_page(page, q("tr(A*X*B)"))
    expect(page.locator("#plain-result")).to_have_text("A'*B'")
    page.check("#hide-result")
    expect(page.locator("#result-math")).to_be_hidden()
    assert "hide=1" in page.url
    page.click("#show-result")
    expect(page.locator("#result-math .katex")).to_be_visible()
    type_expression(page, "tr(X*A)")  # a new question is hidden again
    expect(page.locator("#result-math")).to_be_hidden()


def test_numerical_check_uses_three_inputs_as_the_cli_does(page):
    open_page(page, q("x'*A*x", "tab=check"))
    expect(page.locator("#check-out .verdict.good")).to_contain_text("3 random inputs")


def test_a_hint_to_declare_a_scalar_is_a_button(page):
    """`t*x` types t as a vector by its first letter: the page offers the declaration
    as a button, in no command line's or Python's syntax."""
    open_page(page, q("t*x"))
    hint = page.locator("#expr-error .hint")
    expect(hint.get_by_role("button", name="declare t: scalar")).to_be_visible()
    assert "--var" not in hint.inner_text() and "variables=" not in hint.inner_text()
    hint.get_by_role("button", name="declare t: scalar").click()
    expect(page.locator("#expr-error")).to_be_hidden()
    expect(page.locator("#plain-result")).to_have_text("t*eye(n)")
    assert "var=t%3A%20scalar" in page.url


def test_strict_layout_on_the_page(page):
    """The page offers strict numerator layout, as the command line does."""
    open_page(page, q("x'*A*x"))
    page.check('input[name="layout"][value="strict"]')
    expect(page.locator("#plain-result")).to_have_text("x'*(A + A')")
    assert "layout=strict" in page.url
    page.reload()
    expect(page.locator('input[name="layout"][value="strict"]')).to_be_checked()
