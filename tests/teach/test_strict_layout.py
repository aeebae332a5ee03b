"""Strict numerator layout (layout="strict", --layout strict): gradients transposed (a
row for a vector, n×m for an m×n matrix), everything else as in numerator layout.

Correctness tests: values are compared with NumPy closed forms and central finite
differences computed here, independently of the engine's evaluator. Printed forms are
checked separately."""

from __future__ import annotations

import numpy as np
import pytest

import matdiff
from matdiff.cli import main
from matdiff.report import report
from matdiff.strict_layout import StrictDerivative
from matdiff.teach.check import check_answer
from matdiff.teach.stepcheck import check_step
from matdiff.teach.steps import derivation
from matdiff.verify.sample import sample_values


def _fd_gradient(f, X: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences of a scalar f by each entry of X (X's shape)."""
    out = np.zeros_like(X, dtype=float)
    for idx in np.ndindex(*X.shape):
        e = np.zeros_like(X, dtype=float)
        e[idx] = h
        out[idx] = (f(X + e) - f(X - e)) / (2 * h)
    return out


def test_gradient_by_matrix_is_transposed_values_and_text():
    rng = np.random.default_rng(0)
    A, X = rng.normal(size=(2, 3)), rng.normal(size=(3, 2))
    d = matdiff.derivative("tr(A*X)", "X", layout="strict")
    assert isinstance(d, StrictDerivative) and d.layout == "strict"
    assert str(d) == "A"  # numerator layout gives A'
    assert str(matdiff.derivative("tr(A*X)", "X")) == "A'"
    value = np.asarray(d.evaluate(A=A, X=X))
    fd = _fd_gradient(lambda Z: np.trace(A @ Z), X)
    assert value.shape == (2, 3)
    np.testing.assert_allclose(value, fd.T, atol=1e-6)


def test_gradient_by_vector_is_a_row():
    rng = np.random.default_rng(1)
    A, x = rng.normal(size=(3, 3)), rng.normal(size=3)
    d = matdiff.derivative("x'*A*x", "x", layout="strict")
    assert d.expr is not None and d.expr.shape == (1, "n")
    assert str(d) == "x'*(A + A')"
    np.testing.assert_allclose(np.asarray(d.evaluate(A=A, x=x)), (A + A.T) @ x, atol=1e-9)
    assert d.check()


@pytest.mark.parametrize("f, wrt, kw", [
    ("A*x", "x", {}),                      # Jacobian: m×n in both
    ("x'*A*x", "x", {"order": 2}),         # Hessian: the same matrix
    ("A*X*B", "X", {}),                    # Kronecker form
    ("[x1^2 + x2; sin(x1*x2)]", "x1,x2", {}),
])
def test_other_forms_are_numerator_layout(f, wrt, kw):
    strict = matdiff.derivative(f, wrt, layout="strict", **kw)
    plain = matdiff.derivative(f, wrt, **kw)
    assert str(strict) == str(plain)


def test_gradient_by_scalar_list_is_a_row():
    d = matdiff.derivative("x1^2*x2", "x1,x2", layout="strict")
    assert str(d) == "[2*x1*x2, x1^2]"


def test_report_and_steps_say_which_layout():
    d = matdiff.derivative("x'*A*x", "x", layout="strict")
    assert "strict numerator layout" in report(d)
    der = derivation(d)
    text = der.text()
    assert "strict numerator layout" in text and "((A + A')*x)' = x'*(A + A')" in text
    values, _ = sample_values([d.function, *d.wrt, *d.dvars], np.random.default_rng(3))
    for s in der.steps:
        assert check_step(s, values), s.text()


def test_cli_layout_strict(capsys):
    assert main(["x'*A*x", "--wrt", "x", "--layout", "strict", "--plain"]) == 0
    assert capsys.readouterr().out.strip() == "x'*(A + A')"
    assert main(["steps", "tr(A*X)", "--wrt", "X", "--layout", "strict"]) == 0
    assert "strict numerator layout" in capsys.readouterr().out


def test_check_answer_accepts_a_row_under_strict():
    v = check_answer("w'*x", "x", "w'", {"w": "vector n", "x": "vector n"}, layout="strict")
    assert v.correct, v.message
    col = check_answer("w'*x", "x", "w", {"w": "vector n", "x": "vector n"},
                       layout="strict")
    assert not col.correct and col.pitfall == "layout-transposed"
    assert "strict" in col.message
    # in numerator layout, the row is named as strict layout, not "the transposed convention"
    row = check_answer("w'*x", "x", "w'", {"w": "vector n", "x": "vector n"})
    assert not row.correct and "--layout strict" in row.message
    assert "transposed convention" not in row.message


def test_check_answer_strict_by_matrix():
    assert check_answer("tr(A*X)", "X", "A", layout="strict").correct
    v = check_answer("tr(A*X)", "X", "A'", layout="strict")
    assert not v.correct and v.pitfall == "layout-transposed"


def test_unknown_layout_names_strict():
    with pytest.raises(matdiff.MatdiffError) as e:
        matdiff.derivative("x'*x", "x", layout="rows")
    assert "strict" in str(e.value)


def test_generated_code_says_it_is_numerator_layout():
    """Consistency check: the generated code's gradient, transposed, is the strict value."""
    rng = np.random.default_rng(4)
    A, X = rng.normal(size=(2, 3)), rng.normal(size=(3, 2))
    d = matdiff.derivative("tr(A*X)", "X", layout="strict")
    code = d.to_code()
    assert code.startswith("# strict numerator layout")
    ns: dict = {}
    exec(code, ns)  # noqa: S102 - the code matdiff generated
    value, grad = ns["f_and_grad"](A=A, X=X)
    np.testing.assert_allclose(np.asarray(grad).T, d.evaluate(A=A, X=X))
    np.testing.assert_allclose(value, np.trace(A @ X))
