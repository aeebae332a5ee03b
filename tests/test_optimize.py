"""matdiff.minimize and matdiff.to_scipy: SciPy's optimizers fed generated code.

Correctness tests against independent references: scikit-learn's LogisticRegression
(its own solver; unpenalized and L2, no intercept), the sample covariance (the closed
form of the Gaussian MLE), NumPy's least squares for a matrix variable, and NumPy
closed forms of the logistic loss's gradient and Hessian for the SciPy callables.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

import matdiff
from matdiff import optimize
from matdiff.errors import MatdiffError

pytest.importorskip("scipy")

LOGISTIC = "sum(log(1 + exp(-y .* (X*w))))"
LOGISTIC_L2 = "sum(log(1 + exp(-y .* (X*w)))) + c*w'*w"
GAUSSIAN = "logdet(S) + tr(inv(S)*C)"
SPD = {"S": "matrix n n spd", "C": "matrix n n spd"}


def _classification(seed: int = 0, n: int = 300, m: int = 5):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, m))
    w_true = rng.normal(size=m)
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-X @ w_true)), 1.0, -1.0)
    return X, y


def _sklearn(X, y, C):
    linear_model = pytest.importorskip("sklearn.linear_model")
    # sklearn minimizes 0.5*w'*w + C*sum(log(1 + exp(-y .* (X*w)))); C = inf: no penalty.
    model = linear_model.LogisticRegression(C=C, fit_intercept=False, tol=1e-12,
                                            max_iter=10_000)
    return model.fit(X, y).coef_.ravel()


@pytest.mark.parametrize("method", ["Newton-CG", "trust-ncg", "L-BFGS-B"])
def test_unpenalized_logistic_regression_matches_sklearn(method):
    X, y = _classification()
    expected = _sklearn(X, y, np.inf)
    res = matdiff.minimize(LOGISTIC, wrt="w", x0=np.zeros(X.shape[1]), method=method,
                           X=X, y=y, tol=1e-10)
    assert res.x.shape == (X.shape[1],)
    np.testing.assert_allclose(res.x, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("C", [0.05, 1.0])
@pytest.mark.parametrize("method", ["Newton-CG", "trust-ncg", "L-BFGS-B"])
def test_l2_logistic_regression_matches_sklearn(method, C):
    """sklearn's C is the loss's weight: ours is loss + c*w'*w with c = 1/(2C)."""
    X, y = _classification(seed=1)
    expected = _sklearn(X, y, C)
    res = matdiff.minimize(LOGISTIC_L2, wrt="w", x0=np.zeros(X.shape[1]), method=method,
                           X=X, y=y, c=1 / (2 * C), tol=1e-10)
    np.testing.assert_allclose(res.x, expected, rtol=1e-4, atol=1e-5)


# SciPy's trust-krylov subproblem solver (trlib) multiplies by NaN inside when the gradient
# is already ~1e-9, warns, and still converges; the warning is SciPy's, not ours.
@pytest.mark.filterwarnings("ignore:invalid value encountered in multiply:RuntimeWarning")
@pytest.mark.parametrize("method", ["trust-ncg", "Newton-CG", "trust-krylov"])
@pytest.mark.parametrize("p", [3, 8])
def test_gaussian_covariance_mle_is_the_sample_covariance(method, p):
    """min over spd S of logdet(S) + tr(inv(S)*C) is S = C, from an spd start."""
    rng = np.random.default_rng(p)
    Z = rng.normal(size=(12 * p, p)) @ (np.eye(p) + 0.3 * rng.normal(size=(p, p)))
    C = np.cov(Z.T, bias=True)
    S0 = np.eye(p) * np.trace(C) / p
    res = matdiff.minimize(GAUSSIAN, wrt="S", x0=S0, method=method, variables=SPD, C=C,
                           tol=1e-10)
    assert res.x.shape == (p, p)
    np.testing.assert_allclose(res.x, C, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(res.x, res.x.T, atol=1e-12)


def test_symmetric_variable_from_a_nonsymmetric_start():
    """An antisymmetric part of x0 is driven to zero: the result is C, symmetric."""
    rng = np.random.default_rng(11)
    C = np.cov(rng.normal(size=(40, 3)).T, bias=True)
    skew = 0.1 * (lambda a: a - a.T)(rng.normal(size=(3, 3)))
    res = matdiff.minimize(GAUSSIAN, wrt="S", x0=np.eye(3) + skew, variables=SPD, C=C,
                           tol=1e-10)
    np.testing.assert_allclose(res.x, C, rtol=1e-6, atol=1e-8)


def test_matrix_variable_least_squares_matches_lstsq():
    """A matrix variable is flattened and reshaped back: min norm2(X*W - Y)^2 by W."""
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(20, 4)), rng.normal(size=(20, 3))
    res = matdiff.minimize("norm2(X*W - Y)^2", wrt="W", x0=np.zeros((4, 3)),
                           method="Newton-CG", X=X, Y=Y)
    np.testing.assert_allclose(res.x, np.linalg.lstsq(X, Y, rcond=None)[0], rtol=1e-6,
                               atol=1e-8)
    assert res.x_flat.shape == (12,)


def test_to_scipy_callables_match_closed_forms():
    """fun, jac, hessp on flat vectors against NumPy's logistic loss, gradient
    -X'*(y .* s) and Hessian X'*diag(s .* (1 - s))*X, s = sigmoid(-y .* (X*w))."""
    X, y = _classification(seed=2, n=40, m=4)
    obj = matdiff.to_scipy(LOGISTIC, wrt="w", X=X, y=y)
    rng = np.random.default_rng(4)
    w, p = rng.normal(size=4), rng.normal(size=4)
    x = obj.start(w)
    s = 1 / (1 + np.exp(y * (X @ w)))
    assert obj.fun(x) == pytest.approx(np.sum(np.log1p(np.exp(-y * (X @ w)))), rel=1e-12)
    np.testing.assert_allclose(obj.jac(x), -X.T @ (y * s), rtol=1e-12)
    np.testing.assert_allclose(obj.hessp(x, p), X.T @ ((s * (1 - s)) * (X @ p)), rtol=1e-12)


def test_to_scipy_binds_the_shape_from_the_data():
    """With X given, w's size is known: the callables work before start(x0), and
    scipy.optimize.minimize can take them directly."""
    scipy_optimize = pytest.importorskip("scipy.optimize")
    X, y = _classification(seed=5, n=60, m=3)
    obj = matdiff.to_scipy(LOGISTIC_L2, wrt="w", X=X, y=y, c=0.5)
    assert obj.shape == (3,)
    res = scipy_optimize.minimize(obj.fun_and_jac, np.zeros(3), jac=True, hessp=obj.hessp,
                                  method="trust-ncg")
    np.testing.assert_allclose(res.x, _sklearn(X, y, 1.0), rtol=1e-4, atol=1e-5)


def test_spd_objective_is_infinite_outside_the_cone():
    C = np.eye(2)
    obj = matdiff.to_scipy(GAUSSIAN, wrt="S", variables=SPD, C=C)
    x = obj.start(np.eye(2))
    assert np.isfinite(obj.fun(x))
    assert obj.fun(np.array([1.0, 0.0, 0.0, -1.0])) == np.inf


@pytest.mark.parametrize("call, words", [
    (lambda: matdiff.minimize(LOGISTIC, wrt="w", x0=np.zeros(3), X=np.ones((4, 3))),
     "no value for y"),
    (lambda: matdiff.minimize(LOGISTIC, wrt="w", x0=np.zeros(3), X=np.ones((4, 3)),
                              y=np.ones(4), z=1.0), "not a variable"),
    (lambda: matdiff.minimize(LOGISTIC, wrt="w", x0=np.zeros(3), X=np.ones((4, 3)),
                              y=np.ones(4), w=np.ones(3)), "x0"),
    (lambda: matdiff.minimize(LOGISTIC, wrt="w", x0=np.zeros(2), X=np.ones((4, 3)),
                              y=np.ones(4)), "w"),
    (lambda: matdiff.minimize("A*x", wrt="x", x0=np.zeros(2), A=np.eye(2)), "scalar"),
    (lambda: matdiff.minimize("tr(Q*A)", wrt="Q", x0=np.eye(2), A=np.eye(2),
                              variables={"Q": "matrix n n orthogonal"}), "manifold"),
])
def test_bad_input_is_a_matdiff_error(call, words):
    with pytest.raises(MatdiffError) as err:
        call()
    assert words in str(err.value)


def test_without_scipy_the_error_names_the_extra(monkeypatch):
    monkeypatch.setattr(optimize, "_SCIPY", {})
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)  # import fails as if absent
    with pytest.raises(MatdiffError) as err:
        matdiff.minimize("x'*x", wrt="x", x0=np.ones(2))
    assert "pip install matdiff[scipy]" in str(err.value)
