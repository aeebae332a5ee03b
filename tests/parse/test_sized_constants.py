"""`eye(n)` and `commutation(m, n)`: constants that name their size, so printed results
that contain them paste back in on their own."""

import numpy as np

import matdiff
from matdiff.backends.evaluate import commutation_matrix


def test_eye_with_a_number_or_a_declared_size():
    assert matdiff.parse("eye(3)").shape == (3, 3)
    assert matdiff.parse("A + eye(n)", {"A": "matrix n n"}) is matdiff.parse("A + eye",
                                                                           {"A": "matrix n n"})


def test_eye_alone_keeps_its_size_name():
    e = matdiff.parse("eye(n)")
    assert e.shape == ("n", "n")
    assert np.array_equal(matdiff.evaluate(e, sizes={"n": 2}), np.eye(2))


def test_eye_of_a_product_size():
    e = matdiff.parse("eye(m*n)", {"X": "matrix m n"})
    assert e.shape == ("m*n", "m*n")


def test_commutation_matrix_round_trip():
    d = matdiff.derivative("X'", wrt="X", variables={"X": "matrix m n"})
    assert "commutation(m, n)" in str(d)
    back = matdiff.parse(str(d), {"X": "matrix m n"})
    assert back is d.expr
    K = matdiff.evaluate(back, sizes={"m": 2, "n": 3})
    X = np.arange(6.0).reshape(2, 3)
    assert np.array_equal(K @ X.reshape(-1, order="F"), X.T.reshape(-1, order="F"))
    assert np.array_equal(K, commutation_matrix(2, 3))
