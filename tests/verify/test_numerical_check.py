"""The numerical check of derivatives: passes for right ones, fails for wrong ones."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

import matdiff
from matdiff.errors import InputValueError
from matdiff.verify.check import MAX_DRAWS, CheckResult, check_derivative

SPD = {"X": "matrix n n spd"}
SCALARS = {"x1": "scalar", "x2": "scalar"}

RIGHT = [
    pytest.param("x'*A*x", "x", {}, {}, id="quadratic form"),
    pytest.param("x'*A*x", "x", {"A": "matrix n n symmetric"}, {}, id="quadratic symmetric"),
    pytest.param("log(det(X))", "X", SPD, {}, id="log det spd"),
    pytest.param("inv(X)", "X", {}, {}, id="inv 4-index"),
    pytest.param("inv(X)", "X", {}, {"layout": "denominator"}, id="inv 4-index denominator"),
    pytest.param("A*x", "x", {}, {}, id="jacobian"),
    pytest.param("A*x", "x", {}, {"layout": "denominator"}, id="jacobian denominator"),
    pytest.param("W*x", "W", {}, {}, id="vector by matrix"),
    pytest.param("x'*A*x", "x", {}, {"order": 2}, id="hessian by vector"),
    pytest.param("tr(X*A*X'*B)", "X", {}, {"order": 2}, id="hessian by matrix"),
    pytest.param("log(det(X))", "X", SPD, {"order": 2}, id="hessian log det"),
    pytest.param("sum(exp(x))", "x", {}, {"order": 3}, id="order 3 index form"),
    pytest.param("(x'*x)^2", "x", {}, {"order": 3}, id="order 3 matrix form"),
    pytest.param("log(det(X))", "X", SPD, {"structured": True}, id="structured log det"),
    pytest.param(
        "log(det(X))",
        "X",
        {"X": "matrix n n symmetric"},
        {"structured": True},
        id="structured log det symmetric",
    ),
    pytest.param(
        "tr(A*X)", "X", {"X": "matrix n n diagonal"}, {"structured": True}, id="structured diagonal"
    ),
    pytest.param("x1*x2^2 + sin(x1)", "x1,x2", SCALARS, {}, id="gradient by scalar list"),
    pytest.param("x1*x2^2 + sin(x1)", "x1,x2", SCALARS, {"order": 2}, id="hessian by list"),
    pytest.param("[x1*x2; x1^2]", "x1,x2", SCALARS, {}, id="jacobian by scalar list"),
    pytest.param(
        "[x1*x2; x1^2]",
        "x1,x2",
        SCALARS,
        {"layout": "denominator"},
        id="jacobian by scalar list denominator",
    ),
    pytest.param("expm(t*A)*x", "t", {"t": "scalar"}, {}, id="expm by scalar"),
    pytest.param("norm2(A*x - b)^2", "x", {"b": "vector m"}, {}, id="least squares"),
    pytest.param("a'*inv(X)*b", "X", {"a": "vector n", "b": "vector n"}, {}, id="a'inv(X)b"),
    pytest.param("det(X)", "X", {}, {}, id="det"),
    pytest.param("-y'*log(softmax(z))", "z", {"y": "vector n onehot"}, {}, id="cross-entropy"),
    pytest.param("log(x)", "x", {}, {}, id="log domain"),
]


@pytest.mark.parametrize(("text", "wrt", "variables", "kw"), RIGHT)
def test_right_derivatives_pass(text, wrt, variables, kw) -> None:
    d = matdiff.derivative(text, wrt=wrt, variables=variables, **kw)
    r = check_derivative(d)
    assert isinstance(r, CheckResult)
    assert r.passed, r.message
    assert r
    assert r.trials == 3
    assert r.max_rel_error < 1e-6
    assert r.max_abs_error < 1e-5
    assert r.message.startswith("numerical check passed: 3 random inputs")
    assert "\n" not in r.message


def test_message_names_the_sizes_and_the_error() -> None:
    d = matdiff.derivative("A*x", wrt="x")
    r = check_derivative(d, trials=2)
    assert set(r.sizes) == {"m", "n"}
    assert r.sizes["m"] != r.sizes["n"]  # distinct sizes catch transposes
    m, n = r.sizes["m"], r.sizes["n"]
    assert re.fullmatch(
        r"numerical check passed: 2 random inputs \((m=\d, n=\d)\), max relative error "
        r"\d\.\de-\d\d against central differences",
        r.message,
    ), r.message
    assert f"m={m}" in r.message and f"n={n}" in r.message
    assert str(r) == r.message


def test_structured_says_which_space() -> None:
    d = matdiff.derivative("log(det(X))", wrt="X", variables=SPD, structured=True)
    r = check_derivative(d)
    assert r.space == "symmetric"
    assert "symmetric" in r.message


def test_same_seed_same_result() -> None:
    d = matdiff.derivative("tr(X*A*X')", wrt="X")
    a = check_derivative(d, seed=7)
    b = check_derivative(d, seed=7)
    assert a.max_abs_error == b.max_abs_error
    assert a.sizes == b.sizes


# ------------------------------------------------------------------ a check that can fail


def _wrong(d, text, variables=None):
    return dataclasses.replace(d, expr=matdiff.parse(text, variables))


def _assert_fails(d) -> CheckResult:
    r = check_derivative(d)
    assert not r.passed, r.message
    assert not r
    assert r.message.startswith("numerical check failed")
    assert "\n" not in r.message
    return r


def test_wrong_gradient_fails() -> None:
    d = matdiff.derivative("x'*A*x", wrt="x")
    r = _assert_fails(_wrong(d, "A*x"))  # (A + A')*x is right
    assert r.max_rel_error > 1e-2
    assert "worst entry" in r.message


def test_transposed_gradient_fails() -> None:
    d = matdiff.derivative("tr(A*X)", wrt="X")
    _assert_fails(_wrong(d, "A"))  # A' is right


def test_wrong_sign_four_index_fails() -> None:
    d = matdiff.derivative("inv(X)", wrt="X")
    _assert_fails(_wrong(d, "kron(inv(X)', inv(X))"))


def test_wrong_hessian_fails() -> None:
    d = matdiff.derivative("x'*A*x", wrt="x", order=2)
    _assert_fails(_wrong(d, "A"))


def test_wrong_matrix_hessian_fails() -> None:
    d = matdiff.derivative("log(det(X))", wrt="X", variables=SPD, order=2)
    _assert_fails(_wrong(d, "kron(inv(X), inv(X))", SPD))


def test_unstructured_answer_to_structured_question_fails() -> None:
    d = matdiff.derivative("log(det(X))", wrt="X", variables=SPD, structured=True)
    _assert_fails(_wrong(d, "inv(X)", SPD))  # 2*inv(X) - diag(diag(inv(X))) is right
    # and the structured answer is not the unconstrained derivative
    plain = matdiff.derivative("log(det(X))", wrt="X", variables=SPD)
    _assert_fails(_wrong(plain, "2*inv(X) - diag(diag(inv(X)))", SPD))


def test_wrong_layout_fails() -> None:
    d = matdiff.derivative("A*x", wrt="x", layout="denominator")
    _assert_fails(dataclasses.replace(d, layout="numerator"))


def test_wrong_scalar_list_fails() -> None:
    d = matdiff.derivative("x1*x2^2", wrt="x1,x2", variables=SCALARS)
    _assert_fails(_wrong(d, "[x2^2; x1*x2]", SCALARS))  # 2*x1*x2 is right


def test_wrong_by_scalar_fails() -> None:
    d = matdiff.derivative("expm(t*A)*x", wrt="t", variables={"t": "scalar"})
    _assert_fails(_wrong(d, "expm(t*A)*A*x*2", {"t": "scalar"}))


def test_one_trial_right_on_a_later_trial_wrong_fails() -> None:
    # right for t > 0 only: with enough trials a draw of t < 0 shows it
    d = matdiff.derivative("t*abs(t)", wrt="t", variables={"t": "scalar"})
    wrong = _wrong(d, "2*t", {"t": "scalar"})
    r = check_derivative(wrong, trials=10)
    assert not r.passed, r.message


# ------------------------------------------------------------------ draws that cannot be used


class _FlakyEvaluate:
    """A derivative whose first `bad` evaluations raise, as outside a domain."""

    def __init__(self, d, bad: int) -> None:
        self._d = d
        self.bad = bad
        self.calls = 0

    def __getattr__(self, name):
        return getattr(self._d, name)

    def evaluate(self, values=None, **kw):
        self.calls += 1
        if self.calls <= self.bad:
            raise InputValueError("log of a non-positive value")
        return self._d.evaluate(values, **kw)


def test_unevaluable_draw_is_redrawn() -> None:
    d = _FlakyEvaluate(matdiff.derivative("x'*A*x", wrt="x"), bad=4)
    r = check_derivative(d)
    assert r.passed, r.message
    assert d.calls == 4 + 3


def test_never_evaluable_fails_with_the_reason() -> None:
    d = _FlakyEvaluate(matdiff.derivative("x'*A*x", wrt="x"), bad=10**6)
    r = check_derivative(d)
    assert not r.passed
    assert d.calls == MAX_DRAWS
    assert "could not be evaluated" in r.message
    assert "log of a non-positive value" in r.message


def test_domain_error_in_the_expression_fails_after_redraws() -> None:
    d = matdiff.derivative("t^2", wrt="t", variables={"t": "scalar"})
    r = check_derivative(_wrong(d, "2*sqrt(-t*t)", {"t": "scalar"}))
    assert not r.passed
    assert "sqrt" in r.message


def test_partly_evaluable_expression_passes_on_redraws() -> None:
    # sqrt(t)^2 = t only where t > 0; the draws of t < 0 are replaced
    d = matdiff.derivative("t^2", wrt="t", variables={"t": "scalar"})
    r = check_derivative(_wrong(d, "2*sqrt(t)^2", {"t": "scalar"}), trials=6)
    assert r.passed, r.message


def test_trials_must_be_positive() -> None:
    d = matdiff.derivative("x'*x", wrt="x")
    with pytest.raises(ValueError):
        check_derivative(d, trials=0)


def test_zero_derivative_of_a_declared_variable() -> None:
    d = matdiff.derivative("a'*x", wrt="y", variables={"y": "vector n"})
    r = check_derivative(d)
    assert r.passed, r.message
    assert r.max_abs_error == 0.0
    assert np.isfinite(r.max_rel_error)
