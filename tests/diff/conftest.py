"""Shared helpers for the derivative acceptance suites (tests/diff).

Everything here is independent of matdiff's own numerics: derivatives are checked
against central finite differences of plain NumPy reference functions written in the
tests, never against matdiff.verify or matdiff's evaluator. Only `derive`,
`assert_form` and `assert_pasteable` touch matdiff, and only through the public API:

    matdiff.derivative(f, wrt=..., variables=..., order=..., layout=..., structured=...)
    str(d), d.evaluate(**values), matdiff.parse(text, variables=...)

Value conventions checked (numerator layout, SPEC §2): the result has shape
shape(f) + shape(wrt), vectors are 1-D arrays and scalars are 0-d (floats).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest

import matdiff

# Size sets used by tests that run "at two different sizes": every named dimension
# differs from the others within a set, and the sets differ from each other.
SIZES = [
    pytest.param({"n": 3, "m": 4, "p": 2}, id="n3m4p2"),
    pytest.param({"n": 4, "m": 2, "p": 3}, id="n4m2p3"),
]

FD_RTOL = 1e-5


# --------------------------------------------------------------------- the public API


def derive(f: str, wrt: str, variables: Mapping[str, str], **kwargs: Any):
    """matdiff.derivative with the contract's keyword arguments."""
    return matdiff.derivative(f, wrt=wrt, variables=dict(variables), **kwargs)


def evaluate(d, values: Mapping[str, Any]):
    return d.evaluate(**dict(values))


# ------------------------------------------------------------------ numerical checks


def _call(f: Callable, x: np.ndarray):
    return np.asarray(f(float(x) if x.ndim == 0 else x.copy()), dtype=float)


def numdiff(f: Callable, x, h: float = 1e-6) -> np.ndarray:
    """Central-difference derivative of f at x.

    Result shape is shape(f(x)) + shape(x) with D[i.., k..] = d f[i..] / d x[k..]
    (numerator layout: the Jacobian of f (m) by x (n) is m×n; for a scalar x the
    result has f's shape). Steps are relative to |x_k| (at least h).
    """
    x = np.array(x, dtype=float)
    f0 = _call(f, x)
    out = np.zeros(f0.shape + x.shape)
    for idx in np.ndindex(*x.shape):
        step = h * max(1.0, abs(float(x[idx])))
        xp = x.copy()
        xm = x.copy()
        xp[idx] += step
        xm[idx] -= step
        out[(Ellipsis,) + idx] = (_call(f, xp) - _call(f, xm)) / (2 * step)
    return out


def numhess(f: Callable, x, h: float = 1e-4) -> np.ndarray:
    """Second derivative by nested central differences: shape shape(x) + shape(x)."""
    return numdiff(lambda z: numdiff(f, z, h), x, h)


def numdiff_symmetric(f: Callable, X, h: float = 1e-6) -> np.ndarray:
    """Derivative of a scalar f on the space of symmetric matrices.

    The independent coordinates are theta_ij = X_ij = X_ji for i <= j; entry (i, j)
    and (j, i) of the result is d f / d theta_ij, i.e. perturbing X_ij and X_ji
    together. For a smooth extension with unconstrained gradient G this is
    G + G' - diag(diag(G)) (Matrix Cookbook eq. 138).
    """
    X = np.array(X, dtype=float)
    n = X.shape[0]
    assert X.shape == (n, n) and np.allclose(X, X.T), "X must be symmetric"
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            E = np.zeros((n, n))
            E[i, j] = E[j, i] = 1.0
            step = h * max(1.0, abs(X[i, j]))
            g = (float(f(X + step * E)) - float(f(X - step * E))) / (2 * step)
            out[i, j] = out[j, i] = g
    return out


def numdiff_diagonal(f: Callable, X, h: float = 1e-6) -> np.ndarray:
    """Derivative of a scalar f on the space of diagonal matrices (X diagonal): only
    the diagonal entries move; the result is a diagonal matrix."""
    X = np.array(X, dtype=float)
    n = X.shape[0]
    out = np.zeros((n, n))
    for i in range(n):
        E = np.zeros((n, n))
        E[i, i] = 1.0
        step = h * max(1.0, abs(X[i, i]))
        out[i, i] = (float(f(X + step * E)) - float(f(X - step * E))) / (2 * step)
    return out


def numdiff_stacked(f: Callable, names: list[str], values: Mapping[str, Any], h=1e-6):
    """Derivative of f(values) by the stacking of the scalar variables `names`."""
    v0 = np.array([float(values[k]) for k in names])

    def g(v):
        vals = dict(values)
        vals.update({k: float(v[i]) for i, k in enumerate(names)})
        return f(vals)

    return numdiff(g, v0, h)


def assert_close(actual, expected, rtol: float = FD_RTOL, what: str = ""):
    """Same shape, and equal to within rtol relative to the largest expected entry."""
    expected = np.asarray(expected, dtype=float)
    try:
        actual_arr = np.asarray(actual, dtype=float)
    except (TypeError, ValueError) as exc:  # pragma: no cover - diagnostic only
        raise AssertionError(f"{what}: engine value is not numeric: {actual!r}") from exc
    assert actual_arr.shape == expected.shape, (
        f"{what}: engine value has shape {actual_arr.shape}, expected {expected.shape}\n"
        f"engine value:\n{actual_arr}\nexpected:\n{expected}"
    )
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    np.testing.assert_allclose(
        actual_arr, expected, rtol=rtol, atol=rtol * scale, err_msg=what
    )


# ------------------------------------------------------------------ random inputs


def rand_normal(rng, *shape):
    return rng.standard_normal(shape) if shape else float(rng.standard_normal())


def rand_spd(rng, n):
    M = rng.standard_normal((n, n))
    return M @ M.T + n * np.eye(n)


def rand_symmetric(rng, n):
    M = rng.standard_normal((n, n))
    return (M + M.T) / 2


def rand_invertible(rng, n):
    """Well conditioned, not symmetric: 3I + 0.3 N. Its eigenvalues have real parts
    > 0 for n <= 6, so det > 0 (log(det(X)) is defined)."""
    return 3 * np.eye(n) + 0.3 * rng.standard_normal((n, n))


def rand_positive(rng, *shape):
    if not shape:
        return float(rng.uniform(0.5, 2.0))
    return rng.uniform(0.5, 2.0, size=shape)


def rand_onehot(rng, n):
    y = np.zeros(n)
    y[rng.integers(n)] = 1.0
    return y


def rand_negdet(rng, n):
    """Well conditioned with det < 0 (one row of 3I + 0.3 N negated)."""
    X = rand_invertible(rng, n)
    X[0] = -X[0]
    return X


def rand_diagonal(rng, n):
    return np.diag(rng.uniform(0.5, 2.0, size=n))


def rand_pm1(rng, n):
    return rng.choice([-1.0, 1.0], size=n)


def rand_unit(rng, *shape):
    """Entries in (-0.8, 0.8): the domain of arcsin/arccos with room for steps."""
    if not shape:
        return float(rng.uniform(-0.8, 0.8))
    return rng.uniform(-0.8, 0.8, size=shape)


DOMAINS = {
    "normal": lambda rng, shape: rand_normal(rng, *shape),
    "positive": lambda rng, shape: rand_positive(rng, *shape),
    "unit": lambda rng, shape: rand_unit(rng, *shape),
    "small": lambda rng, shape: 0.3 * rand_normal(rng, *shape) if shape else (
        0.3 * rand_normal(rng)),
    "spd": lambda rng, shape: rand_spd(rng, shape[0]),
    "symmetric": lambda rng, shape: rand_symmetric(rng, shape[0]),
    "invertible": lambda rng, shape: rand_invertible(rng, shape[0]),
    "onehot": lambda rng, shape: rand_onehot(rng, shape[0]),
    "negdet": lambda rng, shape: rand_negdet(rng, shape[0]),
    "diagonal": lambda rng, shape: rand_diagonal(rng, shape[0]),
    "pm1": lambda rng, shape: rand_pm1(rng, shape[0]),
}


def parse_declaration(decl: str, sizes: Mapping[str, int]) -> tuple[tuple[int, ...], set]:
    """'vector n' -> ((sizes[n],), set()); 'matrix n n spd' -> ((N, N), {'spd'})."""
    words = decl.split()
    kind = words[0]
    if kind == "scalar":
        return (), set(words[1:])
    if kind == "vector":
        return (sizes[words[1]],), set(words[2:])
    if kind == "matrix":
        return (sizes[words[1]], sizes[words[2]]), set(words[3:])
    raise ValueError(f"bad declaration {decl!r}")


def sample(
    rng,
    variables: Mapping[str, str],
    sizes: Mapping[str, int] | None = None,
    domains: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Random values for declared variables, honouring declared properties.

    `domains` overrides the sampling domain per variable (e.g. {"X": "invertible"}).
    """
    sizes = dict(sizes or {"n": 3, "m": 4, "p": 2})
    domains = dict(domains or {})
    out: dict[str, Any] = {}
    for name, decl in variables.items():
        shape, props = parse_declaration(decl, sizes)
        dom = domains.get(name)
        if dom is None:
            for prop in ("spd", "diagonal", "symmetric", "onehot", "positive"):
                if prop in props:
                    dom = prop
                    break
            else:
                dom = "normal"
        out[name] = DOMAINS[dom](rng, shape)
    return out


# ------------------------------------------------------------------- matrix functions


def expm(M: np.ndarray) -> np.ndarray:
    """Matrix exponential by scaling and squaring of the Taylor series."""
    M = np.asarray(M, dtype=float)
    n = M.shape[0]
    norm = np.linalg.norm(M, 1)
    s = max(0, int(np.ceil(np.log2(norm))) + 1) if norm > 0 else 0
    A = M / 2.0**s
    E = np.eye(n)
    term = np.eye(n)
    for k in range(1, 30):
        term = term @ A / k
        E = E + term
    for _ in range(s):
        E = E @ E
    return E


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(z):
    e = np.exp(z - np.max(z))
    return e / e.sum()


def relu(z):
    return np.maximum(z, 0.0)


def step(z):
    return (np.asarray(z) > 0).astype(float)


# ------------------------------------------------------------------- printed forms


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


def assert_form(d, *accepted: str) -> None:
    """str(d) is one of the accepted printed strings (whitespace ignored)."""
    got = str(d)
    ok = {_norm(a) for a in accepted}
    assert _norm(got) in ok, (
        f"printed result {got!r} is none of the accepted forms:\n  "
        + "\n  ".join(accepted)
    )


def assert_mentions(d, *alternatives: str) -> None:
    """str(d) contains at least one of the given substrings (whitespace ignored)."""
    got = str(d)
    assert any(_norm(a) in _norm(got) for a in alternatives), (
        f"printed result {got!r} mentions none of: {alternatives}"
    )


def evaluate_parsed(expr, values: Mapping[str, Any], sizes=None):
    """Evaluate what matdiff.parse returned with matdiff.evaluate; `sizes` gives the
    sizes only the function's variables tell (a pasted `eye(n)` alone)."""
    return matdiff.evaluate(expr, dict(values), sizes=sizes)


def assert_pasteable(d, variables: Mapping[str, str], values: Mapping[str, Any],
                     rtol: float = 1e-9) -> None:
    """The printed result parses back and evaluates to d.evaluate(...)."""
    text = str(d)
    parsed = matdiff.parse(text, variables=dict(variables))
    from matdiff.backends.evaluate import bind_sizes

    sizes = bind_sizes([d.function, *d.wrt], dict(values))
    got = np.asarray(evaluate_parsed(parsed, values, sizes), dtype=float)
    want = np.asarray(evaluate(d, values), dtype=float)
    if want.ndim == 4 and got.ndim == 2:
        # A Kronecker form M with vec(dF) = M*vec(dX) (vec column-major) against the
        # 4-index value D[i,j,k,l] = dF_ij/dX_kl = M[i + p*j, k + m*l].
        p, q, m, n = want.shape
        assert got.shape == (p * q, m * n), (
            f"pasted {text!r} evaluates to shape {got.shape}, expected {(p * q, m * n)}"
        )
        got = got.reshape(q, p, n, m).transpose(1, 0, 3, 2)
    if got.shape != want.shape:
        # A column printed as an expression evaluates (n, 1) or (n,); only squeezable
        # differences are forgiven, never a transposition.
        assert got.squeeze().shape == want.squeeze().shape, (
            f"pasted {text!r} evaluates to shape {got.shape}, derivative to {want.shape}"
        )
        got = got.reshape(want.shape)
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    np.testing.assert_allclose(
        got, want, rtol=rtol, atol=rtol * scale,
        err_msg=f"pasted result {text!r} does not evaluate to the derivative's value",
    )
