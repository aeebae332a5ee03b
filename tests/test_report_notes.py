"""What the report and repr say about a result (issue 13, "library finish").

- `repr` of a Hessian is `d^2f/dw^2` (and `d^2f/d(x1,x2)^2` by a list);
- a Kronecker-form Hessian names the user's variable (vec(dS), not vec(dX)) and says
  what dS_2 is; its stated identity d²f = vec(dS)'*H*vec(dS_2) holds numerically
  (correctness test: H and the second differential evaluated at random S, dS, dS_2);
- the note on gradients' shapes is only on gradients.
"""

from __future__ import annotations

import numpy as np
import pytest

import matdiff
from matdiff.backends.evaluate import evaluate
from matdiff.ir.node import dvar_key
from matdiff.report import report

GRADIENT_NOTE = "gradients have the variable's shape"


@pytest.mark.parametrize("order, head", [(1, "df/dw"), (2, "d^2f/dw^2"), (3, "d^3f/dw^3")])
def test_repr_names_the_order_below(order, head):
    d = matdiff.derivative("sum(exp(w))", wrt="w", order=order)
    assert repr(d).startswith(f"<Derivative {head}: ")
    assert f"\n{head}" in report(d)


def test_repr_by_a_list():
    d = matdiff.derivative("x1^2*x2", wrt="x1,x2", order=2)
    assert repr(d).startswith("<Derivative d^2f/d(x1,x2)^2: ")
    assert repr(matdiff.derivative("x1^2*x2", wrt="x1,x2")).startswith(
        "<Derivative df/d(x1,x2): ")


def test_kronecker_hessian_names_the_variable_and_its_directions():
    d = matdiff.derivative("logdet(S)", wrt="S", order=2, variables={"S": "matrix n n spd"})
    text = report(d)
    assert "vec(dS)'*H*vec(dS_2)" in text and "vec(dX)" not in text
    assert "directions dS, dS_2" in text
    first = matdiff.derivative("inv(S)", wrt="S")
    assert "M*vec(dS)" in report(first) and "vec(dX)" not in report(first)


def test_kronecker_hessian_identity_holds():
    """d²f(dS, dS_2) = vec(dS)'*H*vec(dS_2) with vec stacking columns, S not symmetric."""
    d = matdiff.derivative("tr(S*S*S) + tr(S'*A*S)", wrt="S", order=2)
    rng = np.random.default_rng(3)
    S, A, dS, dS2 = (rng.standard_normal((3, 3)) for _ in range(4))
    H = evaluate(d.expr, {"S": S, "A": A})

    def vec(M):
        return M.reshape(-1, order="F")

    values = {"S": S, "A": A, dvar_key(("S", 1)): dS, dvar_key(("S", 2)): dS2}
    second = float(evaluate(d.differentials[-1], values).reshape(-1)[0])
    assert vec(dS) @ H @ vec(dS2) == pytest.approx(second, rel=1e-10)


@pytest.mark.parametrize("f, wrt, variables, order, layout", [
    ("A*x", "x", {}, 1, "numerator"),
    ("A*x", "x", {}, 1, "denominator"),
    ("x'*A*x", "x", {}, 2, "numerator"),
    ("inv(S)", "S", {}, 1, "numerator"),
    ("logdet(S)", "S", {"S": "matrix n n spd"}, 2, "numerator"),
    ("sin(t)*A", "t", {"t": "scalar"}, 1, "numerator"),
    ("sin(t)*A", "t", {"t": "scalar"}, 1, "denominator"),
])
def test_gradient_note_only_on_gradients(f, wrt, variables, order, layout):
    d = matdiff.derivative(f, wrt=wrt, variables=variables, order=order, layout=layout)
    text = report(d)
    assert GRADIENT_NOTE not in text
    assert f"{layout} layout" in text


def test_gradients_keep_their_note():
    assert GRADIENT_NOTE in report(matdiff.derivative("x'*A*x", wrt="x"))


def test_a_denominator_jacobian_says_it_is_transposed():
    text = report(matdiff.derivative("A*x", wrt="x", layout="denominator"))
    assert "df/dx = A'" in text and "transpose" in text
