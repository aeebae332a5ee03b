"""What the API fuzzing found, each as a reproduction: bad arguments give a MatdiffError
with a clear message, never another exception (or an attempt to allocate terabytes).
Correctness tests of the error contract; the messages are checked for what they say."""

from __future__ import annotations

import numpy as np
import pytest

import matdiff
from matdiff.errors import LimitError


@pytest.mark.parametrize("call, fragment", [
    # sizes that would need more memory than any machine has: refused before allocating
    (lambda: matdiff.evaluate("sum(eye(n))", sizes={"n": 100_000}), "entries"),
    (lambda: matdiff.evaluate("kron(A, A)", A=np.ones((300, 300))), "entries"),
    (lambda: matdiff.evaluate("commutation(n, n)", sizes={"n": 1000}), "entries"),
    (lambda: matdiff.derivative("x'*x", "x", variables={"x": "vector 99999999999999"})
     .check(), "entries"),
    (lambda: matdiff.derivative(matdiff.sum(matdiff.vector("x", 10**12)), "x").check(),
     "entries"),
    (lambda: matdiff.derivative("inv(X)", "X").evaluate(X=np.eye(200)), "entries"),
])
def test_huge_sizes_are_a_limit_error(call, fragment):
    with pytest.raises(LimitError, match=fragment):
        call()


@pytest.mark.parametrize("call, fragment", [
    (lambda: matdiff.evaluate("sum(vector(1))", sizes=[3]), "sizes must map"),
    (lambda: matdiff.derivative("x'*x", "x").to_code("numpy", name=3), "function name"),
    (lambda: matdiff.vector("x") + "a", "cannot use 'a'"),
    (lambda: matdiff.vector("x") * 1j, "cannot use 1j"),
    (lambda: None ** matdiff.vector("x"), "cannot use None"),
    (lambda: matdiff.vector("x") * 10**400, "too large"),
    (lambda: matdiff.vector("x") / 5e-324, "too large to compute"),
    (lambda: matdiff.exp("x"), "cannot use 'x'"),
    (lambda: matdiff.jacobian("A*x", "x", order=2), "takes no order"),
    (lambda: matdiff.derivative("a*b", "a,a"), "listed twice"),
    (lambda: matdiff.hessian("x'*x", "x", order=3), "takes no order"),
    (lambda: matdiff.kron(matdiff.vector("x"), "a"), "cannot use 'a'"),
])
def test_bad_arguments_are_matdiff_errors(call, fragment):
    with pytest.raises(matdiff.MatdiffError, match=fragment):
        call()


def test_operand_errors_are_also_type_errors():
    """Python's convention for operators is kept: `except TypeError` still works."""
    with pytest.raises(TypeError, match="declare a symbol"):
        np.ones(3) @ matdiff.vector("x", "n")


def test_a_number_raised_to_a_symbol():
    x = matdiff.vector("x", "n")
    e = 2 ** x
    assert str(e) == "vector(2).^x"  # as `2.^x` reads
    np.testing.assert_allclose(matdiff.evaluate(e, x=np.array([1.0, 3.0])), [2.0, 8.0])
