"""Answer checking: right answers in any equal form, and each of the lesson's pitfalls
recognised and named, with the condition under which the answer would be right."""

from __future__ import annotations

import pytest

import matdiff
from matdiff.teach.check import PITFALLS, Verdict, check_answer

SYM = {"A": "matrix n n symmetric", "x": "vector n"}


@pytest.mark.parametrize("f, wrt, answer, variables", [
    ("x'*A*x", "x", "(A + A')*x", None),
    ("x'*A*x", "x", "A'*x + A*x", None),
    ("x'*A*x", "x", "(A' + A)*x", None),
    ("x'*A*x", "x", "A*x + A'*x", None),
    ("x'*A*x", "x", "2*A*x", SYM),
    ("tr(A*X)", "X", "A'", None),
    ("tr(X'*A)", "X", "A", None),
    ("log(det(X))", "X", "inv(X)'", None),
    ("log(det(X))", "X", "inv(X')", None),
    ("log(det(X))", "X", "inv(X)", {"X": "matrix n n symmetric"}),
    ("norm2(X*w - y)^2", "w", "2*X'*X*w - 2*X'*y", None),
    ("norm2(X*w - y)^2", "w", "2*X'*(X*w - y)", None),
    ("x'*x", "x", "2*x", None),
    ("A*x", "x", "A", None),
    ("A*x", "x", "A'", {"A": "matrix n n", "x": "vector n"}),  # denominator below
])
def test_equal_forms_accepted(f, wrt, answer, variables):
    layout = "denominator" if answer == "A'" and f == "A*x" else "numerator"
    v = check_answer(f, wrt, answer, variables, layout=layout)
    assert isinstance(v, Verdict)
    assert v.correct, v.message
    assert v.pitfall is None
    assert v.how in ("symbolic", "numerical")


def test_symbolic_then_numerical():
    assert check_answer("x'*A*x", "x", "(A + A')*x").how == "symbolic"
    # the simplifier now brings this expanded form to 2*X'*(X*w - y): a symbolic match
    assert check_answer("norm2(X*w - y)^2", "w", "2*X'*X*w - 2*X'*y").how == "symbolic"
    # equal only as functions: sigmoid'(a) written through exp
    assert check_answer("sigmoid(a)", "a", "exp(-a)/(1 + exp(-a))^2").how == "numerical"


@pytest.mark.parametrize("f, wrt, answer, variables, pitfall, condition", [
    # the missing transpose in the quadratic form: right only for symmetric A
    ("x'*A*x", "x", "2*A*x", None, "quadratic-form-transpose", "A = A'"),
    ("x'*A*x", "x", "2*A'*x", None, "quadratic-form-transpose", "A = A'"),
    ("tr(X'*A*X)", "X", "2*A*X", None, "quadratic-form-transpose", "A = A'"),
    # layout: the transpose of the gradient / Jacobian
    ("x'*A*x", "x", "x'*(A + A')", None, "layout-transposed", None),
    ("A*x", "x", "A'", None, "layout-transposed", None),
    ("A*x", "x", "A'", {"A": "matrix n n", "x": "vector n"}, "layout-transposed", "A = A'"),
    ("a'*x", "x", "a'", {"a": "vector n", "x": "vector n"}, "layout-transposed", None),
    # A instead of A' for tr(A*X)
    ("tr(A*X)", "X", "A", None, "trace-transpose", None),
    ("tr(A*X)", "X", "A", {"A": "matrix n n", "X": "matrix n n"}, "trace-transpose",
     "A = A'"),
    ("tr(A*X*B)", "X", "B*A", None, "trace-transpose", None),
    # log det: inv(X) vs inv(X)' vs the symmetric form
    ("log(det(X))", "X", "inv(X)", None, "logdet-inverse", "X = X'"),
    ("logdet(X)", "X", "inv(X)", None, "logdet-inverse", "X = X'"),
    ("log(det(X))", "X", "2*inv(X) - diag(diag(inv(X)))", None, "logdet-inverse",
     "symmetric"),
    ("det(X)", "X", "det(X)*inv(X)", None, "logdet-inverse", "X = X'"),
    # a missing transpose (issue 13: was called chain-rule-order), shapes broken or not
    ("0.5*norm2(relu(W*x) - y)^2", "x", "W*((relu(W*x) - y) .* step(W*x))", None,
     "missing-transpose", None),
    ("norm2(X*w - y)^2", "w", "2*X*(X*w - y)", None, "missing-transpose", None),
    ("norm2(X*w - y)^2", "w", "2*X*(X*w - y)", {"X": "matrix n n"}, "missing-transpose",
     "X = X'"),
    ("norm2(X*w - y)^2", "w", "2*X'*(X*w - y)'", None, "extra-transpose", None),
    # chain-rule factors in the wrong order: does not type-check / wrong shape
    ("0.5*norm2(relu(W*x) - y)^2", "W", "x*((relu(W*x) - y) .* step(W*x))'", None,
     "trace-transpose", None),
    ("norm2(A*x - b)^2", "x", "2*(A*x - b)*A", None, "chain-rule-order", None),
    ("norm2(A*x - b)^2", "x", "2*A*(A*x - b)", {"A": "matrix m n", "x": "vector n",
                                                "b": "vector m"}, "missing-transpose", None),
    ("norm2(A*x - b)^2", "x", "2*A'*A", {"A": "matrix m n", "x": "vector n",
                                         "b": "vector m"}, "chain-rule-order", None),
    # a dropped factor 2, a sign
    ("x'*x", "x", "x", None, "factor-2", None),
    ("norm2(X*w - y)^2", "w", "X'*(X*w - y)", None, "factor-2", None),
    ("x'*x", "x", "-2*x", None, "sign-error", None),
    ("x'*A*x", "x", "A*x - A'*x", None, "sign-error", None),
    # a product-rule term missing
    ("x'*A*x", "x", "A*x", None, "missing-term", None),
    # a variable the function does not have
    ("tr(A*X)", "X", "B'", None, "stray-variable", None),
])
def test_pitfalls_recognised(f, wrt, answer, variables, pitfall, condition):
    v = check_answer(f, wrt, answer, variables)
    assert not v.correct
    assert v.pitfall == pitfall, (v.pitfall, v.message)
    assert pitfall in PITFALLS
    assert v.message
    if condition is not None:
        assert v.condition is not None and condition in v.condition, v.condition
    text = v.text()
    assert "not correct" in text and pitfall in text


def test_shape_message_names_both_shapes():
    v = check_answer("x'*A*x", "x", "x'*(A + A')")
    assert "your answer is 1×n; the gradient is n×1" in v.message


def test_logdet_structured_explains_general_and_symmetric():
    v = check_answer("log(det(X))", "X", "2*inv(X) - diag(diag(inv(X)))")
    assert "symmetric" in v.message and "inv(X)'" in v.message
    ok = check_answer("log(det(X))", "X", "2*inv(X) - diag(diag(inv(X)))",
                      {"X": "matrix n n symmetric"}, structured=True)
    assert ok.correct


def test_wrong_without_known_pitfall():
    v = check_answer("x'*A*x", "x", "A*A*x")
    assert not v.correct and v.pitfall is None


def test_user_errors_are_matdiff_errors():
    with pytest.raises(matdiff.MatdiffError) as e:
        check_answer("x'*A*x", "x", "2*A*")
    assert "^" in str(e.value)
    with pytest.raises(matdiff.MatdiffError):
        check_answer("x'*A*x", "x", "   ")
    with pytest.raises(matdiff.MatdiffError):
        check_answer("x'*A*x", "q", "x")


def test_denominator_layout_answer_in_numerator():
    v = check_answer("A*x", "x", "A", layout="denominator")
    assert not v.correct and v.pitfall == "layout-transposed"
    assert "numerator" in v.message
