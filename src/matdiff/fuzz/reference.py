"""The independent oracle: the fuzzer's tree translated to jax.numpy, differentiated by JAX.

Contract:

- `sample_values(decls, sizes, seed)` draws a value per declared variable honouring its
  properties (symmetric, spd, diagonal, orthogonal, positive, onehot, simplex), from a
  generator seeded by (seed, name), so a variable keeps its value when a shrunk case
  drops others. Written here, not taken from matdiff.verify, so nothing is shared.
- `function(e, values, sizes)` evaluates the tree (a 2-D jnp array, float64).
- `derivatives(e, wrt, values, sizes, order)` gives the value and the derivatives of
  orders 1..order in matdiff's value conventions (README "Conventions"), numerator
  layout: user shapes (a scalar 0-d, a vector 1-D whether column or row, a matrix 2-D),
  and the k-th derivative of shape shape(f) + shape(X)*k with D[i,j,k,l] = dF_ij/dX_kl.
  A variable is differentiated with all its entries independent (the function as
  typed: a symmetric S' stays a transpose, an orthogonal inv(Q) stays an inverse).
- `by_list(e, names, ...)` the derivative by a list of scalars: the stacked gradient
  (k,), the k×k Hessian grid, or the m×k Jacobian of a vector function.
- `structured(G, props)` the structured gradient: G + G' - diag(diag(G)) for symmetric
  and spd variables, diag(diag(G)) for diagonal ones (the derivative on symmetric or
  diagonal matrices, as the README states it).
- `denominator(T, nf)` the denominator-layout value: the variable's axes first.

JAX runs in float64 (`jax_enable_x64`), set when this module is imported.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .tree import E, dim_value, kind, shape_value, walk

Values = dict[str, np.ndarray]


# ------------------------------------------------------------------------- values


def _rng(seed: int, name: str) -> np.random.Generator:
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def sample_value(shape: tuple[int, int], props: frozenset[str], rng: np.random.Generator
                 ) -> np.ndarray:
    """A 2-D value honouring the properties; entries of order one."""
    r, c = shape
    if "onehot" in props:
        out = np.zeros(shape)
        out.reshape(-1)[rng.integers(r * c)] = 1.0
        return out
    if "simplex" in props:
        out = rng.uniform(0.5, 2.0, shape)
        return out / out.sum()
    if "orthogonal" in props:
        q, rr = np.linalg.qr(rng.normal(size=shape))
        return q * np.sign(np.diag(rr))
    if "diagonal" in props:
        d = rng.uniform(0.5, 1.5, r)
        if "positive" not in props and "spd" not in props:
            d *= rng.choice([-1.0, 1.0], r)
        return np.diag(d)
    if "spd" in props:
        b = rng.normal(size=shape)
        return b @ b.T / r + np.eye(r)
    if "positive" in props:
        out = rng.uniform(0.5, 2.0, shape)
        return (out + out.T) / 2 if "symmetric" in props else out
    out = rng.uniform(-1.0, 1.0, shape)
    return (out + out.T) / 2 if "symmetric" in props else out


def sample_values(decls: Mapping[str, tuple[Any, frozenset[str]]], sizes: Mapping[str, int],
                  seed: int) -> Values:
    """decls: name -> (tree shape, properties). Values are 2-D arrays."""
    return {name: sample_value(shape_value(shape, sizes), props, _rng(seed, name))
            for name, (shape, props) in decls.items()}


def to_user(a: Any, k: str) -> Any:
    """A 2-D array as matdiff's user value: 0-d scalar, 1-D vector, 2-D matrix."""
    if k == "scalar":
        return a.reshape(())
    if k in ("col", "row"):
        return a.reshape(-1)
    return a


# ------------------------------------------------------------- the tree in an array API

try:  # the oracle proper; without JAX, finite differences of the NumPy translation
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    HAVE_JAX = True
except ImportError:  # pragma: no cover - exercised only where JAX is not installed
    jax = None  # type: ignore[assignment]
    jnp = None  # type: ignore[assignment]
    HAVE_JAX = False

# The oracle a run uses unless told: JAX autodiff, or finite differences without JAX.
DEFAULT_ORACLE = "jax" if HAVE_JAX else "fd"


def _expm(xp: Any, a: Any) -> Any:
    """Matrix exponential: Taylor series of a/2^6, squared 6 times. The generator feeds
    expm only "small" arguments (entries at most 0.5, sizes at most 4, so norm <= 2):
    a/64 has norm below 1/32 and 16 terms leave an error far below float64's. Plain
    products, so JAX differentiates it to any order quickly."""
    x = a / 64.0
    out = xp.eye(a.shape[0])
    term = xp.eye(a.shape[0])
    for k in range(1, 17):
        term = term @ x / k
        out = out + term
    for _ in range(6):
        out = out @ out
    return out


def _sigmoid(xp: Any, x: Any) -> Any:
    return 0.5 * (xp.tanh(0.5 * x) + 1.0)  # stable both ways, equal to 1/(1+exp(-x))


def _softmax(xp: Any, z: Any) -> Any:
    e = xp.exp(z - xp.max(z))
    return e / xp.sum(e)


def _logsumexp(xp: Any, z: Any) -> Any:
    # the shift cancels in value and derivative, so it needs no derivative of its own
    top = xp.max(z) if xp is np else jax.lax.stop_gradient(xp.max(z))
    return (top + xp.log(xp.sum(xp.exp(z - top)))).reshape(1, 1)


def _diag(xp: Any, z: Any) -> Any:
    r, c = z.shape
    if r == c and r > 1:
        return xp.diag(z).reshape(-1, 1)  # the diagonal of a square matrix
    return xp.diag(z.reshape(-1))  # a vector (or scalar) made a diagonal matrix


def _elementwise(xp: Any) -> dict[str, Callable[[Any], Any]]:
    return {
        "exp": xp.exp, "log": xp.log, "sin": xp.sin, "cos": xp.cos, "tan": xp.tan,
        "arcsin": xp.arcsin, "arccos": xp.arccos, "arctan": xp.arctan, "tanh": xp.tanh,
        "sqrt": xp.sqrt, "abs": xp.abs, "sign": xp.sign,
        "sigmoid": lambda x: _sigmoid(xp, x),
        "relu": lambda x: xp.where(x > 0, x, 0.0),
        "softplus": lambda x: xp.logaddexp(0.0, x),
        "step": lambda x: xp.where(x > 0, 1.0, 0.0),
    }


def _functions(xp: Any) -> dict[str, Callable[..., Any]]:
    def s(x: Any) -> Any:
        return xp.reshape(x, (1, 1))

    return {
        "sum": lambda x: s(xp.sum(x)),
        "tr": lambda x: s(xp.trace(x)),
        "det": lambda x: s(xp.linalg.det(x)),
        "logdet": lambda x: s(xp.linalg.slogdet(x)[1]),
        "inv": xp.linalg.inv,
        "norm1": lambda x: s(xp.sum(xp.abs(x))),
        "norm2": lambda x: s(xp.sqrt(xp.sum(x * x))),
        "diag": lambda x: _diag(xp, x),
        "vec": lambda x: x.T.reshape(-1, 1),  # stacks the columns
        "softmax": lambda x: _softmax(xp, x),
        "logsumexp": lambda x: _logsumexp(xp, x),
        "kron": xp.kron,
        "expm": lambda x: _expm(xp, x),
        **_elementwise(xp),
    }


_TABLES: dict[int, dict[str, Callable[..., Any]]] = {}


def _table(xp: Any) -> dict[str, Callable[..., Any]]:
    got = _TABLES.get(id(xp))
    if got is None:
        got = _TABLES[id(xp)] = _functions(xp)
    return got


def _matpow(xp: Any, x: Any, k: int) -> Any:
    base = xp.linalg.inv(x) if k < 0 else x
    out = xp.eye(x.shape[0])
    for _ in range(abs(k)):
        out = out @ base
    return out


def _node(e: E, kids: list[Any], sizes: Mapping[str, int], xp: Any) -> Any:
    op = e.op
    if op == "num":
        return xp.full((1, 1), float(e.arg))
    if op == "eye":
        return xp.eye(dim_value(e.shape[0], sizes))
    if op == "fill":
        return xp.full(shape_value(e.shape, sizes), float(e.arg[1]))
    if op == "call":
        return _table(xp)[e.arg](*kids)
    if op == "block":
        rows, cols = e.arg
        return xp.block([[kids[r * cols + c] for c in range(cols)] for r in range(rows)])
    if op == "T":
        return kids[0].T
    if op == "neg":
        return -kids[0]
    if op == "mpow":
        return _matpow(xp, kids[0], int(e.arg))
    a, b = kids
    if op in ("add", "sub"):
        return a + b if op == "add" else a - b  # a 1×1 operand broadcasts (`1 - y`)
    if op == "mul":
        return a * b if 1 in (a.size, b.size) else a @ b
    if op in ("had", "div", "ediv"):
        return a * b if op == "had" else a / b
    if op in ("pow", "epow"):
        return xp.power(a, b)
    raise ValueError(f"unknown op {op}")


def function(e: E, values: Mapping[str, Any], sizes: Mapping[str, int], xp: Any = None
             ) -> Any:
    """The tree's value, a 2-D array (jnp by default, np when xp is numpy); each
    distinct node computed once."""
    xp = xp if xp is not None else jnp
    memo: dict[int, Any] = {}
    for n in reversed(list(walk(e))):
        if id(n) in memo:
            continue
        if n.op == "var":
            memo[id(n)] = xp.asarray(values[n.arg], dtype=xp.float64)
        else:
            memo[id(n)] = _node(n, [memo[id(k)] for k in n.kids], sizes, xp)
    return memo[id(e)]


def _as_function(e: E, wrt: str, values: Mapping[str, Any], sizes: Mapping[str, int],
                 wrt_shape: tuple[int, int]) -> Callable[[Any], Any]:
    """X in user shape -> f in user shape, the other variables fixed."""
    k = kind(e.shape)

    def f(x: Any) -> Any:
        vals = dict(values)
        vals[wrt] = jnp.reshape(x, wrt_shape)
        return to_user(function(e, vals, sizes), k)

    return f


def _all_orders(f: Callable[[Any], Any], x: Any, order: int) -> list[np.ndarray]:
    """[f(x), f'(x), ..., f^(order)(x)] by nested forward mode, compiled as one function:
    one compilation per case costs less than JAX's op-by-op dispatch, which compiles
    every primitive anew for each shape it meets."""
    fs = [f]
    for _ in range(order):
        fs.append(jax.jacfwd(fs[-1]))
    both = jax.jit(lambda z: tuple(g(z) for g in fs))
    return [np.asarray(v) for v in both(x)]


def derivatives(e: E, wrt: str, wrt_kind: str, values: Mapping[str, Any],
                sizes: Mapping[str, int], order: int) -> list[np.ndarray]:
    """[f, D1, ..., D_order] in user shapes, numerator layout (forward mode nested)."""
    x2 = np.asarray(values[wrt])
    f = _as_function(e, wrt, values, sizes, x2.shape)
    return _all_orders(f, to_user(jnp.asarray(x2), wrt_kind), order)


def by_list(e: E, names: list[str], values: Mapping[str, Any], sizes: Mapping[str, int],
            order: int) -> list[np.ndarray]:
    """[f, D1, ..., D_order] by the stacking of the scalar variables `names`."""
    k = kind(e.shape)

    def f(v: Any) -> Any:
        vals = dict(values)
        for i, name in enumerate(names):
            vals[name] = jnp.reshape(v[i], (1, 1))
        return to_user(function(e, vals, sizes), k)

    v0 = jnp.asarray([float(np.asarray(values[n]).reshape(-1)[0]) for n in names])
    return _all_orders(f, v0, order)


def structured(G: np.ndarray, props: frozenset[str]) -> np.ndarray:
    if "diagonal" in props:
        return np.diag(np.diag(G))
    return G + G.T - np.diag(np.diag(G))


def denominator(T: np.ndarray, nf: int) -> np.ndarray:
    """Denominator layout: the variable's axes first (a scalar function is unchanged)."""
    if nf == 0 or T.ndim == nf:
        return T
    return T.transpose(list(range(nf, T.ndim)) + list(range(nf)))
