"""The `sigmoid-polynomial` and `tanh-polynomial` rules (issue 11, item 3): sums that are
polynomials in one sigmoid or tanh, in factored form.

Correctness tests: the polynomial the rule reads is compared with NumPy's polynomial
arithmetic on the same coefficients at random points, the factored form is evaluated by
the engine's evaluator against the unfactored one at random inputs (tests/rewrite/
test_rewrite_rules.py checks every example of the rule that way too), and the printed
forms of the derivatives the issue names are compared with the textbook's.
"""

from __future__ import annotations

import numpy as np
import pytest

import matdiff
from matdiff.backends.evaluate import evaluate
from matdiff.parse import parse
from matdiff.rewrite import rules_polynomial as rp
from matdiff.rewrite.driver import simplify
from matdiff.verify.sample import sample_values


def _poly(text: str) -> list[float] | None:
    e = parse(text)
    s = parse("sigmoid(x)")
    return rp._read(e, s, parse("sigmoid(-x)"), rp.SIGMOID.reflect)


@pytest.mark.parametrize("text,expected", [
    ("sigmoid(x)", [0, 1]),
    ("sigmoid(-x)", [1, -1]),
    ("(1 - sigmoid(x)).^2", [1, -2, 1]),
    ("sigmoid(x) .* (1 - sigmoid(x)).^2 + sigmoid(x).^3 - sigmoid(x).^2", [0, 1, -3, 2]),
    ("sigmoid(-x).^2 + 2*sigmoid(x) - 1 - sigmoid(x).^2", [0]),
    ("3*sigmoid(x) .* sigmoid(-x)", [0, 3, -3]),
])
def test_reads_the_polynomial(text, expected):
    assert _poly(text) == [float(c) for c in expected]


@pytest.mark.parametrize("text", ["y .* sigmoid(x)", "exp(sigmoid(x))", "sigmoid(x).^0.5",
                                  "sigmoid(y) + sigmoid(x)"])
def test_other_expressions_are_no_polynomial_in_sigmoid_x(text):
    assert _poly(text) is None


@pytest.mark.parametrize("p,f,expected", [
    ([1, 0, -4, 0, 3], [1, 0, -1], [1, 0, -3]),
    ([0, 1, -3, 2], [1, -1], [0, 1, -2]),
    ([1, 0, -3], [1, 0, -1], None),
    ([2], [1, -1], None),
])
def test_long_division_is_exact_or_refused(p, f, expected):
    got = rp._divide([float(x) for x in p], [float(x) for x in f])
    assert got == (None if expected is None else [float(x) for x in expected])


@pytest.mark.parametrize("family,coefs", [
    (rp.TANH, [1, 0, -4, 0, 3]), (rp.TANH, [0, -2, 0, 2]), (rp.TANH, [0, 1, 0, 0, 5]),
])
def test_tanh_factored_form_has_the_polynomials_values(family, coefs):
    s = parse("tanh(x)")
    parts = rp._factor([float(c) for c in coefs], family.factors)
    node = rp._factored(*parts, s, s.shape, family.factors)
    values, sizes = sample_values([s], np.random.default_rng(4))
    sv = evaluate(s, values, sizes=sizes)
    np.testing.assert_allclose(evaluate(node, values, sizes=sizes),
                               np.polynomial.polynomial.polyval(sv, coefs),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("coefs", [
    [0, 1, -3, 2], [0, 0, 2, -3, 1], [1, -6, 6], [0, 1, -7, 12, -6], [2, -3], [0, 0, 1, -1],
])
def test_factored_form_has_the_polynomials_values(coefs):
    """The factored node, evaluated at random s in (0, 1), equals NumPy's value of the
    polynomial (an independent reference for the factoring and its constants)."""
    s = parse("sigmoid(x)")
    parts = rp._factor([float(c) for c in coefs], rp.SIGMOID.factors)
    node = rp._factored(*parts, s, s.shape, rp.SIGMOID.factors)
    assert rp._least_size(*parts, s) <= node.size
    rng = np.random.default_rng(3)
    for _ in range(3):
        values, sizes = sample_values([s], rng)
        sv = evaluate(s, values, sizes=sizes)
        np.testing.assert_allclose(evaluate(node, values, sizes=sizes),
                                   np.polynomial.polynomial.polyval(sv, coefs),
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("f,wrt,order,textbook", [
    ("sum(sigmoid(X*w))", "w", 2,
     "X'*diag(sigmoid(X*w) .* (1 - sigmoid(X*w)) .* (1 - 2*sigmoid(X*w)))*X"),
    ("sum(sigmoid(z) .* sigmoid(-z))", "z", 1,
     "sigmoid(z) .* (1 - sigmoid(z)) .* (1 - 2*sigmoid(z))"),
    ("sum(sigmoid(z))", "z", 2, "diag(sigmoid(z) .* (1 - sigmoid(z)) .* (1 - 2*sigmoid(z)))"),
    ("sum(sigmoid(z).^2)", "z", 2,
     "2*diag(sigmoid(z).^2 .* (1 - sigmoid(z)) .* (2 - 3*sigmoid(z)))"),
    ("sigmoid(z) + sigmoid(-z)", "z", 1, "zeros(n, n)"),
    ("sum(sigmoid(z) + sigmoid(-z))", "z", 1, "zeros(n, 1)"),
    # the differentials every term shares are taken out before factoring
    ("sum(softplus(z))", "z", 3,
     "d^3f = sum(dz .* dz_2 .* dz_3 .* sigmoid(z) .* (1 - sigmoid(z)) .* (1 - 2*sigmoid(z)))"),
    ("sum(tanh(z) + tanh(-z))", "z", 1, "zeros(n, 1)"),
    ("sum(tanh(z))", "z", 2, "-2*diag(tanh(z) .* (1 - tanh(z).^2))"),
    ("sum(tanh(z))", "z", 3,
     "d^3f = -2*sum(dz .* dz_2 .* dz_3 .* (1 - tanh(z).^2) .* (1 - 3*tanh(z).^2))"),
])
def test_derivatives_print_as_the_textbook_writes_them(f, wrt, order, textbook):
    d = matdiff.derivative(f, wrt=wrt, order=order)
    assert str(d) == textbook


def test_the_zero_gradient_is_zero_by_value():
    d = matdiff.derivative("sum(sigmoid(z) + sigmoid(-z))", wrt="z")
    assert d.check()  # finite differences of the function itself


@pytest.mark.parametrize("text", ["1 - sigmoid(-x)", "sigmoid(-x) .* (1 - sigmoid(-x))",
                                  "sigmoid(x).^2 - sigmoid(x)"])
def test_leaves_forms_that_are_not_shorter_or_use_only_one_sigmoid(text):
    e = parse(text)
    assert simplify(e) is e


def test_simplified_sums_keep_their_value():
    for text in ["2*sigmoid(x) - 1 + sigmoid(-x)", "sigmoid(x) .* y + sigmoid(-x) .* y",
                 "sigmoid(x) + sigmoid(-x)"]:
        e = parse(text)
        out = simplify(e)
        assert out.size < e.size
        values, sizes = sample_values([e], np.random.default_rng(5))
        np.testing.assert_allclose(evaluate(out, values, sizes=sizes), evaluate(e, values),
                                   rtol=1e-12, atol=1e-12)
