"""Typing traps (issue 11 item 7): a function that is not a scalar only because a name's
first letter made it a vector and a scalar broadcast over it is reported with the
declaration to write, and with that declaration the derivative is a gradient.

Detection and the printed notes are behaviour tests of parse/traps.py and report.py;
the gradient after the suggested declaration is a correctness test against a NumPy
closed form written here.
"""

from __future__ import annotations

import numpy as np
import pytest

import matdiff
from matdiff.parse.traps import broadcast_traps
from matdiff.report import report

RIDGE = "norm2(X*w - y)^2 + lambda*norm2(w)^2"


@pytest.mark.parametrize("text, variables, wrt, names", [
    (RIDGE, None, (), [("lambda",)]),
    ("x'*A*x + t", None, (), [("t",)]),
    ("L*norm2(w)^2 + norm1(w)", None, (), [("L",)]),  # a matrix by its first letter
    ("norm2(w)^2 + mu*sum(w) + nu*norm1(w)", None, (), [("mu", "nu")]),  # both needed
    ("log(det(X)) - t*tr(X)", None, (), [("t",)]),  # the scalar side first
    # not traps
    (RIDGE, {"lambda": "scalar"}, (), []),  # declared: f is a scalar
    (RIDGE, {"lambda": "vector p"}, (), []),  # declared a vector: meant
    ("x + 1", None, (), []),  # a constant broadcast: a vector meant
    ("exp(x) + c", None, (), []),  # a scalar variable broadcast: a vector meant
    ("exp(x) + norm2(x)^2", None, (), []),  # x is on the scalar side too
    ("lambda*norm2(w)^2", None, (), []),  # scaling, no broadcast
    ("A*x", None, (), []),  # no broadcast at all
    ("x'*A*x", None, (), []),  # a scalar
    ("a*x1 + x2'*x2", None, ("x1", "x2"), []),  # a list of wrt names is typed scalar
    ("x*", None, (), []),  # malformed: the parser reports it, traps say nothing
    ("A*x", {"A": "matrix n m", "x": "vector n"}, (), []),  # ill-typed: likewise
])
def test_detection(text, variables, wrt, names):
    assert [t.names for t in broadcast_traps(text, variables, wrt)] == names


def test_the_trap_says_what_and_how():
    (t,) = broadcast_traps(RIDGE)
    assert t.message == ("f is a vector (p) only because lambda is a vector by its first "
                         "letter (h-z) and the scalar terms broadcast over it")
    assert t.declarations == ("lambda: scalar",)
    assert t.option == '--var "lambda: scalar"'
    (two,) = broadcast_traps("norm2(w)^2 + mu*sum(w) + nu*norm1(w)")
    assert "mu and nu are vectors by their first letters (h-z)" in two.message
    assert two.option == '--var "mu: scalar" --var "nu: scalar"'


def _trapped(text: str = RIDGE):
    """The derivative by w, which warns of the trap (tests/api/test_grad_typing_trap.py)."""
    with pytest.warns(matdiff.MatdiffWarning):
        return matdiff.derivative(text, "w")


def test_the_report_notes_the_trap_before_the_jacobian():
    d = _trapped()
    assert d.form == "jacobian"  # what the typing gives; the report must say why
    lines = report(d, RIDGE).split("\n")
    assert lines[0] == f"f = {RIDGE}"
    assert lines[2] == ("  note: f is a vector (p) only because lambda is a vector by its "
                        "first letter (h-z) and the scalar terms broadcast over it")
    assert lines[3] == ('  hint: for a scalar f, declare --var "lambda: scalar" '
                        "(then df/dw is a gradient)")
    assert lines[4].startswith("df/dw = ")


def test_no_note_without_a_trap_or_without_the_text():
    d = matdiff.derivative(RIDGE, "w", variables={"lambda": "scalar"})
    assert "note:" not in report(d, RIDGE, {"lambda": "scalar"})
    assert "note:" not in report(_trapped())  # no text: as before


def test_the_declaration_it_suggests_gives_the_gradient():
    """Correctness: with the suggested declaration, the derivative is the ridge gradient
    2 X'(Xw - y) + 2 lambda w (NumPy), a gradient, with no vector(1) in it."""
    (t,) = broadcast_traps(RIDGE)
    decls = dict(d.split(": ") for d in t.declarations)
    d = matdiff.derivative(RIDGE, "w", variables=decls)
    assert d.form == "gradient" and "vector(1)" not in str(d)
    rng = np.random.default_rng(0)
    X, y, w, lam = rng.normal(size=(5, 3)), rng.normal(size=5), rng.normal(size=3), 0.7
    want = 2 * X.T @ (X @ w - y) + 2 * lam * w
    np.testing.assert_allclose(d.evaluate(X=X, y=y, w=w, **{"lambda": lam}), want, rtol=1e-12)


def test_the_readme_example_is_what_the_report_prints():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split(f'$ matdiff "{RIDGE}" --wrt w\n')[1].split("  ...\n")[0]
    assert report(_trapped(), RIDGE).startswith(block)


def test_sizes_written_as_expressions_are_not_values():
    """`ones(n*m, 1)`'s size is typed by no one: the trap finder skips it (it raised a
    KeyError, an internal error on the command line)."""
    assert broadcast_traps("x'*x*ones(n*m, 1) + a") == []
    d = matdiff.derivative("x'*x*ones(n*m, 1) + a", "x")
    assert "note:" not in report(d, "x'*x*ones(n*m, 1) + a")
