"""Generated code for functions of constants (fuzz finding: torch.exp(2.0) is a TypeError).

Correctness test: `F(c)*a` by a, for every elementwise function F of the language at a
constant c in its domain, in every backend; the value and the derivative F(c) are
compared with NumPy's closed form of F written here.
"""

from __future__ import annotations

import numpy as np
import pytest

import matdiff
from matdiff.backends.codegen import compile_function
from matdiff.ir.ops import ELEMENTWISE_FUNCTIONS

NUMPY = {
    "exp": np.exp, "log": np.log, "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan, "tanh": np.tanh,
    "sqrt": np.sqrt, "abs": np.abs, "sign": np.sign,
    "sigmoid": lambda c: 1 / (1 + np.exp(-c)), "relu": lambda c: max(c, 0.0),
    "softplus": lambda c: np.log1p(np.exp(c)), "step": lambda c: float(c > 0),
}
CONSTANTS = [0.5, -0.25]


def _convert(backend: str):
    if backend == "torch":
        torch = pytest.importorskip("torch")
        return lambda v: torch.tensor(v, dtype=torch.float64)
    if backend == "jax":
        jax = pytest.importorskip("jax")
        jax.config.update("jax_enable_x64", True)  # as the other JAX tests run it
        return jax.numpy.asarray
    return lambda v: v


def test_every_function_has_a_reference():
    assert set(NUMPY) == set(ELEMENTWISE_FUNCTIONS)


@pytest.mark.parametrize("backend", ["numpy", "jax", "torch"])
@pytest.mark.parametrize("fn", sorted(ELEMENTWISE_FUNCTIONS))
def test_function_of_a_constant(backend: str, fn: str):
    into = _convert(backend)
    for c in CONSTANTS:
        if ELEMENTWISE_FUNCTIONS[fn] in ("positive",) and c <= 0:
            continue
        d = matdiff.derivative(f"{fn}({c})*a", wrt="a", variables={"a": "scalar"})
        value, grad = compile_function(d, backend)(a=into(1.5))
        want = float(NUMPY[fn](c))
        assert float(value) == pytest.approx(1.5 * want, rel=1e-12, abs=1e-15)
        assert float(grad) == pytest.approx(want, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("backend", ["numpy", "jax", "torch"])
@pytest.mark.parametrize("text, closed", [
    ("log(1 + exp(2))*a", np.log1p(np.exp(2.0))),  # emitted as softplus(2)
    ("norm2(3)*a", 3.0),
    ("logdet(2)*a", np.log(2.0)),
    ("(step(u - u) + vector(0))'*u + a", 1.0),
])
def test_special_spellings_of_constants(backend: str, text: str, closed: float):
    into = _convert(backend)
    d = matdiff.derivative(text, wrt="a", variables={"a": "scalar", "u": "vector n"})
    fn = compile_function(d, backend)
    args = {"a": into(1.5)}
    if "u" in text:
        args["u"] = into(np.ones(3))
    _, grad = fn(**args)
    assert float(grad) == pytest.approx(closed, rel=1e-12)
