"""Where a wrong answer goes wrong: one transpose missing or too many is named as such
(not as chain-rule order), and an answer no pitfall explains gets a small numeric
counterexample and the terms that differ.

Correctness tests: the counterexample's numbers are recomputed here with NumPy from the
values it prints."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from matdiff.parse import parse_with_env
from matdiff.teach.check import check_answer
from matdiff.teach.differs import transpose_fix

LSQ = {"X": "matrix m n", "w": "vector n", "y": "vector m"}


@pytest.mark.parametrize("answer, variables, pitfall", [
    ("2*X*(X*w - y)", None, "missing-transpose"),       # does not type-check
    ("2*X*(X*w - y)", {"X": "matrix n n"}, "missing-transpose"),  # square: type-checks
    ("2*X'*(X*w - y)'", None, "extra-transpose"),
])
def test_one_transpose_from_right(answer, variables, pitfall):
    v = check_answer("norm2(X*w - y)^2", "w", answer, variables)
    assert not v.correct and v.pitfall == pitfall, (v.pitfall, v.message)
    assert "one transpose" in v.message
    assert "2*X'*(X*w - y)" in v.detail
    shown = v.text(reveal=True)
    assert "where: " in shown
    hidden = v.text(reveal=False)
    assert "2*X'*(X*w - y)" not in hidden  # --hide keeps the derivative hidden


def test_transpose_fix_needs_the_right_value_not_only_the_shape():
    # X'*(X*w - y) has the gradient's shape but half its value: no transpose fixes it
    f, env = parse_with_env("norm2(X*w - y)^2", LSQ)
    expected, _ = parse_with_env("2*X'*(X*w - y)", LSQ)
    assert transpose_fix("X*(X*w - y)", LSQ, expected, [f, env["w"]]) is None
    fix = transpose_fix("2*X*(X*w - y)", LSQ, expected, [f, env["w"]])
    assert fix is not None and fix.text == "2*X'*(X*w - y)"


def _array(text: str) -> np.ndarray:
    return np.array(json.loads(text), dtype=float)


def test_counterexample_is_small_and_right():
    v = check_answer("norm2(X*w - y)^2", "w", "2*X'*(X*w + y)", LSQ)
    assert not v.correct and v.pitfall is None
    m = re.search(r"for example \((.*?)\) at X = (\[\[.*?\]\]), w = (\[.*?\]), "
                  r"y = (\[.*?\]): your answer is (\[.*?\]), the derivative is (\[.*?\])",
                  v.message)
    assert m, v.message
    assert m.group(1) == "m = 2, n = 2"
    X, w, y, mine, theirs = (_array(m.group(i)) for i in range(2, 7))
    np.testing.assert_allclose(mine, 2 * X.T @ (X @ w + y), rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(theirs, 2 * X.T @ (X @ w - y), rtol=1e-3, atol=1e-3)
    assert "your term 2*X'*y has the wrong sign (the derivative has -2*X'*y)" in v.detail


def test_missing_term_named():
    v = check_answer("norm2(X*w - y)^2", "w", "2*X'*X*w", LSQ)
    assert v.pitfall is None
    assert "the derivative's term -2*X'*y is missing from yours" in v.detail


def test_unknown_difference_still_says_where():
    v = check_answer("x'*A*x", "x", "A*A*x")
    assert not v.correct and v.pitfall is None
    assert "for example (n = 2)" in v.message
    assert "the derivative is" in v.message
