"""Exact small fractions in printed results (issue 11 item 2): `2/3*x`, not
`0.6666666666666666*x`, in the text, LaTeX and Unicode printers.

The printed forms and the values are tested apart: the forms against hand-written
strings; the values (correctness tests) against NumPy closed forms written here, both for
the derivative's own evaluation and for its printed text parsed back in.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import matdiff
from matdiff.backends.latex import to_latex
from matdiff.backends.rational import small_fraction
from matdiff.backends.text import to_text
from matdiff.backends.unicode import to_unicode
from matdiff.ir import build as b

x = b.var("x", ("n", 1))


@pytest.mark.parametrize("v, want", [
    (1 / 3, (1, 3)), (2 / 3, (2, 3)), (-1 / 3, (-1, 3)), (5 / 7, (5, 7)),
    (1 / 999, (1, 999)), (2 / 3 - 2, (-4, 3)),  # one unit in the last place off: -4/3
    (0.5, None), (0.25, None), (0.1, None), (2.0, None), (0.0, None),  # short decimals
    (0.6666, None), (0.333, None), (1e-8, None), (np.pi, None), (float("inf"), None),
    (1 / 1001, None),  # denominator above 1000
])
def test_small_fraction(v: float, want: tuple[int, int] | None) -> None:
    assert small_fraction(v) == want


def test_small_fraction_is_the_value_up_to_rounding() -> None:
    """Every fraction found is the float's value to within a few units in the last place
    (exactly, for the nearest double)."""
    for q in range(2, 60):
        for p in range(-2 * q, 2 * q):
            v = p / q
            found = small_fraction(v)
            if found is not None:
                assert Fraction(*found) == Fraction(p, q)
                assert float(Fraction(*found)) == v


@pytest.mark.parametrize("expr, wrt, text, latex, uni", [
    ("1/3*x'*x", "x", "2/3*x", r"\frac{2}{3} x", "⅔x"),
    ("x'*x/3", "x", "2/3*x", r"\frac{2}{3} x", "⅔x"),
    ("-1/3*x'*x", "x", "-2/3*x", r"-\frac{2}{3} x", "-⅔x"),
    ("1/7*x'*x", "x", "2/7*x", r"\frac{2}{7} x", "²⁄₇x"),
    ("x'*A*x/(3*c)", "x", "1/3*(A + A')*x/c",
     r"\frac{1}{3 c} \left(A + A^{\top}\right) x", "⅓(A + Aᵀ)x/c"),
    ("sum(x.^(1/3))", "x", "1/3*x.^(-2/3)", r"\frac{1}{3} x^{\circ -2/3}", "⅓x∘^(-2/3)"),
    # the cost-based choice writes norm2(x)^(4/3) as the shorter (x'*x)^(2/3)
    ("norm2(x)^(2/3)", "x", "2/3*x/((x'*x)^(2/3))",
     r"\frac{2 x}{3 \left(x^{\top} x\right)^{2/3}}", "⅔x/(xᵀx)^(2/3)"),
    # short decimals are unchanged
    ("0.5*x'*x", "x", "x", "x", "x"),
    ("0.25*x'*x", "x", "0.5*x", "0.5 x", "0.5x"),
    ("0.3*x'*x", "x", "0.6*x", "0.6 x", "0.6x"),
])
def test_printed_forms(expr: str, wrt: str, text: str, latex: str, uni: str) -> None:
    d = matdiff.derivative(expr, wrt)
    assert str(d) == text
    assert to_latex(d.expr) == latex
    assert to_unicode(d.expr) == uni


def test_a_constant_alone_and_in_places() -> None:
    assert to_text(b.const(1 / 3)) == "1/3"
    assert to_text(b.const(-2 / 3)) == "-2/3"
    c = b.var("c", (1, 1))
    assert to_text(b.power(b.const(1 / 3), c)) == "(1/3)^c"
    assert to_text(b.power(x, b.const(-1 / 3))) == "x.^(-1/3)"
    assert to_text(b.fill(b.const(1 / 3), ("n", 1))) == "1/3*ones(n, 1)"
    assert to_latex(b.const(1 / 3)) == r"\frac{1}{3}"
    assert to_unicode(b.const(1 / 6)) == "⅙"
    assert to_unicode(b.const(5 / 12)) == "⁵⁄₁₂"


PASTE_BACK = [
    ("1/3*x'*x", "x", lambda x, A, c: 2 / 3 * x),
    ("-1/3*x'*x", "x", lambda x, A, c: -2 / 3 * x),
    ("x'*A*x/(3*c)", "x", lambda x, A, c: (A + A.T) @ x / (3 * c)),
    ("sum(x.^(1/3))", "x", lambda x, A, c: x ** (-2 / 3) / 3),
    ("norm2(x)^(2/3)", "x", lambda x, A, c: 2 / 3 * x * np.linalg.norm(x) ** (-4 / 3)),
    ("1/7*x'*A*x + c/3", "x", lambda x, A, c: (A + A.T) @ x / 7),
]


@pytest.mark.parametrize("expr, wrt, closed", PASTE_BACK)
def test_values_and_paste_back(expr, wrt, closed) -> None:
    """Correctness: the derivative's value and the value of its printed text read back
    in both equal the NumPy closed form (so the fraction printed is the constant)."""
    rng = np.random.default_rng(3)
    x_ = rng.uniform(0.5, 2.0, 4)
    A_ = rng.normal(size=(4, 4))
    c_ = 1.7
    d = matdiff.derivative(expr, wrt)
    want = closed(x_, A_, c_)
    values = {"x": x_, "A": A_, "c": c_}
    names = {v.arg.name for v in d.variables}
    got = d.evaluate(**{k: v for k, v in values.items() if k in names})
    np.testing.assert_allclose(got, want, rtol=1e-12)
    back = matdiff.parse(str(d))
    used = {k: v for k, v in values.items() if k in back.free}
    np.testing.assert_allclose(matdiff.evaluate(back, used), want, rtol=1e-12)


# ------------------------------------------------- counts: sum(ones(n, 1)) is n (item 2)


@pytest.mark.parametrize("expr, wrt, text, latex, uni", [
    ("mean(x)", "x", "ones(n, 1)/sum(ones(n, 1))", r"\frac{1}{n} \mathbf{1}_{n}", "𝟙ₙ/n"),
    ("-mean(x)", "x", "-ones(n, 1)/sum(ones(n, 1))", r"-\frac{1}{n} \mathbf{1}_{n}", "-𝟙ₙ/n"),
    ("mean(X)", "X", "ones(n, m)/sum(ones(n, m))",
     r"\frac{1}{n m} \mathbf{1}_{n}\mathbf{1}_{m}^{\top}", "𝟙ₙ𝟙ₘᵀ/(n·m)"),
    ("sum(ones(n, 1))*x'*x", "x", "2*sum(ones(n, 1))*x", "2 n x", "2nx"),
])
def test_counts_print_as_sizes(expr, wrt, text, latex, uni):
    """The text keeps `sum(ones(n, 1))` (a size is not a value in the language, and the
    text must paste back); LaTeX and Unicode write the count, as textbooks do."""
    d = matdiff.derivative(expr, wrt)
    assert str(d) == text
    assert to_latex(d.expr) == latex
    assert to_unicode(d.expr) == uni


@pytest.mark.parametrize("expr, wrt, closed", [
    ("mean(x)", "x", lambda v: np.full(v.shape, 1 / v.size)),
    ("-mean(x)", "x", lambda v: np.full(v.shape, -1 / v.size)),
    ("mean(X)", "X", lambda v: np.full(v.shape, 1 / v.size)),
])
def test_mean_values_and_paste_back(expr, wrt, closed):
    """Correctness: the gradient of the mean, evaluated and read back from its text,
    is 1/n everywhere (NumPy)."""
    rng = np.random.default_rng(5)
    v = rng.normal(size=(4,) if wrt == "x" else (3, 4))
    d = matdiff.derivative(expr, wrt)
    np.testing.assert_allclose(d.evaluate(**{wrt: v}), closed(v), rtol=1e-14)
    back = matdiff.parse(str(d), {wrt: "vector n" if wrt == "x" else "matrix n m"})
    np.testing.assert_allclose(matdiff.evaluate(back, sizes={"n": v.shape[0], "m": v.shape[-1]}),
                               closed(v), rtol=1e-14)
