"""A derivative remembers its variables and sizes; a list derivative has a differential.

Correctness tests against NumPy closed forms (issue 9 fault 4 and the IndexError found by
reading the code):

- `(A - A)*x` by x, A: k×n, simplifies to a vector(0) of k entries with no A left in it;
  `d.evaluate` binds k from A's value, the generated code takes A to size its output,
  and the numerical check passes.
- `derivative('x1^2*x2', wrt=['x1', 'x2']).differential` is the total differential
  2*x1*x2*dx1 + x1^2*dx2, not an IndexError.
"""

from __future__ import annotations

import numpy as np
import pytest

import matdiff
from matdiff.backends.codegen import compile_function
from matdiff.backends.evaluate import evaluate
from matdiff.errors import MatdiffError
from matdiff.ir.node import dvar_key
from matdiff.report import report


@pytest.fixture
def zero_jacobian():
    return matdiff.derivative("(A - A)*x", wrt="x", variables={"A": "matrix k n"})


def test_sizes_bind_from_a_variable_simplification_removed(zero_jacobian):
    d = zero_jacobian
    got = d.evaluate(A=np.ones((2, 3)), x=np.ones(3))
    np.testing.assert_array_equal(got, np.zeros((2, 3)))
    assert {v.arg.name for v in d.variables} == {"A", "x"}


def test_missing_value_names_the_variable_that_carries_the_size(zero_jacobian):
    with pytest.raises(MatdiffError) as err:
        zero_jacobian.evaluate(x=np.ones(3))
    assert "size k" in str(err.value) and "A (k×n)" in (err.value.hint or "")


def test_check_and_code_and_report(zero_jacobian):
    d = zero_jacobian
    assert d.check(), d.check().message
    value, jac = compile_function(d)(x=np.ones(3), A=np.ones((4, 3)))
    np.testing.assert_array_equal(value, np.zeros(4))
    np.testing.assert_array_equal(jac, np.zeros((4, 3)))
    assert "A: matrix k×n" in report(d)


def test_check_cli_passes(capsys):
    from matdiff.cli import main

    assert main(["(A - A)*x", "--wrt", "x", "--var", "A: matrix k n", "--check"]) == 0
    assert "numerical check passed" in capsys.readouterr().out


def test_conflicting_sizes_from_a_removed_variable_are_refused(zero_jacobian):
    with pytest.raises(MatdiffError):
        zero_jacobian.evaluate(A=np.ones((2, 4)), x=np.ones(3))


def test_lower_orders_keep_the_variables():
    d = matdiff.derivative("(A - A)*x + 0*x'*x", wrt="x", order=2,
                           variables={"A": "matrix k n"})
    assert d.at_order(1).variables == d.variables


@pytest.mark.parametrize("wrt", [["x1", "x2"], "x1,x2"])
def test_differential_by_a_list_of_scalars(wrt):
    d = matdiff.derivative("x1^2*x2", wrt=wrt)
    df = d.differential
    x1, x2, dx1, dx2 = 1.5, -0.7, 0.3, 2.0
    values = {"x1": x1, "x2": x2, dvar_key(("x1", 1)): dx1, dvar_key(("x2", 1)): dx2}
    got = float(evaluate(df, values).reshape(-1)[0])
    assert got == pytest.approx(2 * x1 * x2 * dx1 + x1**2 * dx2, rel=1e-12)


def test_second_differential_by_a_list_is_the_hessian_bilinear_form():
    d = matdiff.derivative("x1^2*x2", wrt="x1,x2", order=2)
    x1, x2 = 1.5, -0.7
    u, v = np.array([0.3, 2.0]), np.array([-1.1, 0.4])
    H = np.array([[2 * x2, 2 * x1], [2 * x1, 0.0]])
    values = {"x1": x1, "x2": x2, dvar_key(("x1", 1)): u[0], dvar_key(("x2", 1)): u[1],
              dvar_key(("x1", 2)): v[0], dvar_key(("x2", 2)): v[1]}
    got = float(evaluate(d.differentials[-1], values).reshape(-1)[0])
    assert got == pytest.approx(u @ H @ v, rel=1e-12)
    np.testing.assert_allclose(d.evaluate(x1=x1, x2=x2), H, rtol=1e-12)


def test_vector_function_by_a_list_has_a_differential():
    d = matdiff.derivative("[x1^2*x2; sin(x1)]", wrt="x1,x2")
    values = {"x1": 0.5, "x2": 2.0, dvar_key(("x1", 1)): 1.0, dvar_key(("x2", 1)): 0.0}
    np.testing.assert_allclose(evaluate(d.differential, values).reshape(-1),
                               [2 * 0.5 * 2.0, np.cos(0.5)], rtol=1e-12)


def test_order_two_check_binds_sizes_of_a_removed_variable():
    """Fuzz finding: exp((-A)*(u - u) + vector(1)) by u at order 2 is a vector(exp(1)) of
    A's p rows; the check's lower-order reference needs A's sizes too."""
    d = matdiff.derivative("exp((-A)*(u - u) + vector(1))", wrt="u", order=2,
                           variables={"A": "matrix p n positive", "u": "vector n"})
    np.testing.assert_array_equal(d.evaluate(A=np.ones((2, 3)), u=np.ones(3)),
                                  np.zeros((2, 3, 3)))
    assert d.check(), d.check().message


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_generated_code_accepts_a_vanished_variable(backend):
    """Fuzz finding: a + sum(u - u) by a; the code takes u (optional, checked when given)
    so that a call with every variable of the expression works."""
    if backend == "torch":
        torch = pytest.importorskip("torch")
        conv = torch.tensor
    else:
        conv = np.asarray
    d = matdiff.derivative("a + sum(u - u)", wrt="a", variables={"a": "scalar", "u": "vector n"})
    fn = compile_function(d, backend)
    value, grad = fn(a=conv(2.0), u=conv(np.ones(3)))
    assert float(value) == 2.0 and float(grad) == 1.0
    assert float(fn(a=conv(2.0))[0]) == 2.0
    with pytest.raises(ValueError, match="u must be a vector"):
        fn(a=conv(2.0), u=conv(np.ones((3, 2))))
