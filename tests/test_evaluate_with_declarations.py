"""`matdiff.evaluate` binds sizes from declared variables the text does not hold.

A printed result may no longer contain the variable that sized it (`sum(X, 1)` by X
prints `kron(eye(n), ones(1, m))`); pasted back with the function's declarations and
values, it evaluates. Correctness test: values against NumPy closed forms.
"""

from __future__ import annotations

import numpy as np
import pytest

import matdiff

X = np.arange(6.0).reshape(3, 2)  # m = 3, n = 2
DECL = {"X": "matrix m n"}


@pytest.mark.parametrize("f,expected", [
    ("sum(X, 1)", np.kron(np.eye(2), np.ones((1, 3)))),
    ("sum(X, 2)", np.kron(np.ones((1, 2)), np.eye(3))),
    ("sum(X + sum(X))", (1 + 6) * np.ones((3, 2))),
])
def test_printed_result_evaluates_with_the_functions_declarations(f, expected):
    text = str(matdiff.derivative(f, wrt="X", variables=DECL))
    assert "X" not in text
    got = matdiff.evaluate(text, {"X": X}, variables=DECL)
    np.testing.assert_allclose(got, expected)


def test_declared_values_that_disagree_with_given_sizes_are_refused():
    with pytest.raises(matdiff.MatdiffError):
        matdiff.evaluate("ones(m, n)", {"X": X}, variables=DECL, sizes={"m": 4})
