"""The command line's report: long results name their repeated parts (`where s = ...`),
and substituting the definitions back gives the result itself."""

from __future__ import annotations

import numpy as np

import matdiff
from matdiff.backends.evaluate import evaluate
from matdiff.report import abbreviate, report


def test_logistic_hessian_names_the_sigmoid_of_the_margins():
    h = matdiff.hessian("sum(log(1 + exp(-y .* (X*w))))", wrt="w")
    text = report(h)
    assert "where s = sigmoid(-y .* (X*w))" in text
    assert "X'*diag(s .* y.^2 .* (1 - s))*X" in text
    assert str(h).count("sigmoid") == 2  # str(d) stays whole and pasteable


def test_abbreviations_evaluate_to_the_result():
    h = matdiff.hessian("0.5*norm2(V*tanh(W*x) - y)^2", wrt="x")
    short, named = abbreviate(h.expr, {"V", "W", "x", "y"})
    assert [n for n, _ in named] == ["s", "M"]  # a vector, then a matrix
    rng = np.random.default_rng(0)
    values = {"V": rng.normal(size=(2, 3)), "W": rng.normal(size=(3, 4)),
              "x": rng.normal(size=4), "y": rng.normal(size=2)}
    for name, sub in named:  # smallest first: each uses only names defined before it
        values[name] = evaluate(sub, values).reshape(-1) if sub.shape[1] == 1 else evaluate(
            sub, values)
    np.testing.assert_allclose(evaluate(short, values), evaluate(h.expr, values), rtol=1e-12)


def test_short_results_are_left_alone():
    d = matdiff.derivative("x'*A*x", wrt="x")
    assert abbreviate(d.expr, {"A", "x"}) == (d.expr, [])
