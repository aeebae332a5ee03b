"""The chain builder's fold diag(u)*vector(1) = u and vector(1)'*diag(u) = u' (the row
and column sums of a diagonal matrix), and the rule that multiplies a factor into a sum
where that folds. Printed forms are asserted apart from values; the values are checked
against NumPy closed forms written here (correctness tests)."""

import numpy as np
import pytest

import matdiff
from matdiff.ir import build as b
from matdiff.rewrite.driver import simplify

U = b.var("u", ("n", 1))
V = b.var("v", ("n", 1))
ONES = b.fill(b.ONE, ("n", 1))


@pytest.mark.parametrize("node, printed", [
    (b.matmul(b.diag(U), ONES), "u"),
    (b.matmul(b.transpose(ONES), b.diag(U)), "u'"),
    (b.matmul_chain([b.diag(U), ONES, b.transpose(V)]), "u*v'"),
    (b.matmul_chain([b.diag(U), b.mul(b.const(3.0), ONES), b.transpose(V)]), "3*u*v'"),
])
def test_fold_prints(node, printed):
    assert str(node) == printed


def test_fold_values_match_numpy():
    rng = np.random.default_rng(1)
    u, v = rng.normal(size=4), rng.normal(size=4)
    D, ones = np.diag(u), np.ones(4)
    got = matdiff.evaluate("diag(u)*vector(1)*v'", u=u, v=v)
    np.testing.assert_allclose(got, np.outer(D @ ones, v))
    got = matdiff.evaluate("vector(1)'*diag(u)*v", u=u, v=v)
    np.testing.assert_allclose(got, ones @ D @ v)


def test_distribution_where_it_folds():
    e = matdiff.parse("diag(u)*(eye(n) - vector(1)*v')")
    assert str(simplify(e)) == "diag(u) - u*v'"
    # and not where it does not pay: X'*(X*w - y) stays as it is
    kept = matdiff.parse("X'*(X*w - y)")
    assert str(simplify(kept)) == "X'*(X*w - y)"


def test_softmax_jacobian_written_out_is_the_textbook_form():
    for f in ("exp(z)/sum(exp(z))", "exp(z - logsumexp(z))"):
        d = matdiff.derivative(f, "z")
        assert str(d) == "diag(softmax(z)) - softmax(z)*softmax(z)'"
        z = np.random.default_rng(2).normal(size=5)
        s = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        np.testing.assert_allclose(d.evaluate(z=z), np.diag(s) - np.outer(s, s), atol=1e-12)
