"""grad() names the typing trap (issue 11 item 7): when a name typed by its first letter
alone makes f a vector, the error says which name and the declaration to pass; with that
declaration the gradient is the ridge gradient, checked against a NumPy closed form
(a correctness test)."""

import numpy as np
import pytest

import matdiff
from matdiff.cli import main as cli_main

RIDGE = "norm2(X*w - y)^2 + lambda*norm2(w)^2"


def test_grad_error_names_the_trap_and_the_declaration():
    with pytest.raises(matdiff.MatdiffError) as info:
        matdiff.grad(RIDGE, "w")
    text = str(info.value)
    assert "lambda is a vector by its first letter" in text
    assert "variables={'lambda': 'scalar'}" in text


def test_grad_without_a_trap_keeps_the_plain_hint():
    with pytest.raises(matdiff.MatdiffError) as info:
        matdiff.grad("A*x", "x")
    assert "use jacobian()" in str(info.value)


def test_declared_scalar_gives_the_ridge_gradient():
    d = matdiff.grad(RIDGE, "w", {"lambda": "scalar"})
    rng = np.random.default_rng(0)
    X, y, w, lam = rng.normal(size=(5, 3)), rng.normal(size=5), rng.normal(size=3), 0.7
    got = d.evaluate(X=X, y=y, w=w, **{"lambda": lam})
    expected = 2 * X.T @ (X @ w - y) + 2 * lam * w
    np.testing.assert_allclose(np.ravel(got), expected, rtol=1e-10)


def test_derivative_warns_of_the_trap():
    """The Python API says it too (the CLI and the page say it in their reports)."""
    with pytest.warns(matdiff.MatdiffWarning, match="lambda is a vector by its first letter"):
        d = matdiff.derivative(RIDGE, "w")
    assert d.form == "jacobian"


def test_no_warning_without_a_trap_or_from_the_command_line(recwarn, capsys):
    matdiff.derivative("A*x", "x")
    assert not [w for w in recwarn if issubclass(w.category, matdiff.MatdiffWarning)]
    cli_main([RIDGE, "--wrt", "w"])
    assert not [w for w in recwarn if issubclass(w.category, matdiff.MatdiffWarning)]
    assert "lambda is a vector by its first letter" in capsys.readouterr().out
