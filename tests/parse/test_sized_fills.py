"""The sized fills of the language: `zeros(m, n)`, `ones(m, n)`, `vector(c, n)`,
`matrix(c, m, n)`, and MATLAB's column-major `reshape(v, m, n)` (issue 9, class 5).

Correctness tests of parsing (shapes, values against NumPy), of the errors (a
`MatdiffError` with a caret and a hint), of matrixcalculus.org's unsized forms (kept),
and of the printers: a fill prints without sizes only where the rest of the printed
expression sizes it, and with them (text, LaTeX, Unicode) everywhere else.
"""

from __future__ import annotations

import numpy as np
import pytest

import matdiff
from matdiff.backends.evaluate import evaluate
from matdiff.backends.latex import to_latex
from matdiff.backends.text import to_text
from matdiff.backends.unicode import to_unicode
from matdiff.errors import MatdiffError
from matdiff.ir import build as b


@pytest.mark.parametrize("text, decls, shape, value", [
    ("zeros(m, n)", {}, ("m", "n"), np.zeros((2, 3))),
    ("ones(m, n)", {}, ("m", "n"), np.ones((2, 3))),
    ("ones(n, 1)", {}, ("n", 1), np.ones((3, 1))),
    ("ones(1, n)", {}, (1, "n"), np.ones((1, 3))),
    ("ones(2, 3)", {}, (2, 3), np.ones((2, 3))),
    ("3*ones(m*n, 1)", {}, ("m*n", 1), 3 * np.ones((6, 1))),
    ("vector(2.5, n)", {}, ("n", 1), 2.5 * np.ones((3, 1))),
    ("matrix(-1, m, n)", {}, ("m", "n"), -np.ones((2, 3))),
    ("ones(m, n) + A", {"A": "matrix m n"}, ("m", "n"), None),
    ("ones(m+n, 1)", {"A": "matrix m n"}, ("m+n", 1), np.ones((5, 1))),
])
def test_sized_fill_shapes_and_values(text, decls, shape, value):
    e = matdiff.parse(text, decls)
    assert e.shape == shape
    if value is not None:
        np.testing.assert_array_equal(evaluate(e, {}, sizes={"m": 2, "n": 3}), value)


def test_sized_fill_of_an_expression():
    e = matdiff.parse("matrix(sum(x), m, n)", {"x": "vector n"})
    x = np.array([1.0, 2.0, 4.0])
    np.testing.assert_array_equal(evaluate(e, {"x": x}, sizes={"m": 2}), 7 * np.ones((2, 3)))
    assert e is matdiff.parse("sum(x)*ones(m, n)", {"x": "vector n"})


def test_a_size_name_is_one_size_within_an_expression():
    e = matdiff.parse("ones(p, q)*ones(q, p)")
    assert e.shape == ("p", "p")


def test_declared_sizes_must_agree():
    with pytest.raises(MatdiffError, match="cannot add"):
        matdiff.parse("ones(n, m) + A", {"A": "matrix m n"})


def test_reshape_is_column_major():
    e = matdiff.parse("reshape(v, m, n)")
    v = np.arange(6.0)
    np.testing.assert_array_equal(evaluate(e, {"v": v}, sizes={"m": 2, "n": 3}),
                                  v.reshape((2, 3), order="F"))
    assert matdiff.parse("reshape(vec(A), m, n)", {"A": "matrix m n"}).op == "var"


@pytest.mark.parametrize("text, message, hint", [
    ("ones(n)", "ones takes 2 arguments, got 1", "ones(n, 1) is a column"),
    ("zeros(n, m, p)", "zeros takes 2 arguments, got 3", "zeros(n, 1) is a column"),
    ("matrix(1, n)", "matrix takes 3 arguments, got 2", "matrix(c, m, n)"),
    ("ones(2.5, 1)", "must be a whole number or a size name", "ones(m, n)"),
    ("ones(n, -1)", "must be a whole number or a size name", "ones(m, n)"),
    ("vector(x, n)", "needs a scalar c", "vector(c, n)"),
    ("reshape(z, n, m)", "the numbers of entries differ", "m*n entries"),
    ("x + ones", "ones needs its arguments", "ones(m, n)"),
])
def test_bad_sized_fills_are_clear_errors(text, message, hint):
    decls = {"z": "vector p", "A": "matrix n m"} if text.startswith("reshape") else {}
    with pytest.raises(MatdiffError) as err:
        matdiff.parse(text, decls)
    shown = str(err.value)
    assert message in shown and hint in shown and "^" in shown


def test_matrixcalculus_forms_are_kept():
    """Unsized `vector(c)`, `matrix(c)` still read, and print so where sized by context."""
    x = matdiff.parse("x'*vector(1)")
    assert to_text(x) == "vector(1)'*x"
    assert to_text(matdiff.parse("A + matrix(2)")) == "2 + A"
    assert to_text(matdiff.parse("1 - y")) == "1 - y"
    assert to_text(matdiff.parse("A*vector(1)", {"A": "matrix m n"})) == "A*vector(1)"
    assert to_text(matdiff.parse("vector(1)'*A", {"A": "matrix m n"})) == "vector(1)'*A"


@pytest.mark.parametrize("node, text, latex, uni", [
    (b.fill(b.ZERO, ("m", "n")), "zeros(m, n)", r"\mathbf{0}_{m \times n}", "0ₘₓₙ"),
    (b.fill(b.ZERO, ("n", 1)), "zeros(n, 1)", r"\mathbf{0}_{n}", "0ₙ"),
    (b.fill(b.ONE, ("n", 1)), "ones(n, 1)", r"\mathbf{1}_{n}", "𝟙ₙ"),
    (b.fill(b.ONE, (1, "n")), "ones(1, n)", r"\mathbf{1}_{n}^{\top}", "𝟙ₙᵀ"),
    (b.fill(b.ONE, ("m", "n")), "ones(m, n)", r"\mathbf{1}_{m}\mathbf{1}_{n}^{\top}",
     "𝟙ₘ𝟙ₙᵀ"),
    (b.fill(b.const(-2), ("m*n", "m*n")), "-2*ones(m*n, m*n)", None, None),
    (b.fill(b.var("c", (1, 1)), ("n", "n")), "c*ones(n, n)", None, None),
])
def test_a_fill_nothing_sizes_prints_its_sizes(node, text, latex, uni):
    assert to_text(node) == text
    assert matdiff.parse(text) is node
    if latex is not None:
        assert to_latex(node) == latex
        assert to_unicode(node) == uni


def test_a_fill_in_a_sum_the_other_terms_size_prints_as_the_scalar():
    A = b.var("A", ("m", "n"))
    c = b.var("c", (1, 1))
    assert to_text(b.add(A, b.fill(c, ("m", "n")))) == "c + A"
    # a sum of fills is one fill, which nothing else sizes
    assert to_text(b.add(b.fill(c, ("m", "n")), b.fill(b.const(1), ("m", "n")))) == (
        "(1 + c)*ones(m, n)")


def test_a_fill_shared_by_a_sized_and_an_unsized_place_prints_sized_in_both():
    ones = b.fill(b.ONE, ("n", 1))
    A = b.var("A", ("n", "n"))
    e = b.mul(b.sum_(ones), b.matmul(A, ones))
    text = to_text(e)
    assert text == "sum(ones(n, 1))*A*ones(n, 1)"
    assert matdiff.parse(text, {"A": "matrix n n"}) is e


def test_block_neighbours_size_a_fill():
    ones = b.fill(b.ONE, ("n", 1))
    A = b.var("A", ("n", "n"))
    e = b.block([[b.matmul(A, ones), ones]])
    assert to_text(e) == "[A*vector(1), vector(1)]"
    assert matdiff.parse(to_text(e), {"A": "matrix n n"}) is e
