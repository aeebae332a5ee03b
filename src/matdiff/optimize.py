"""SciPy wiring: generated value, gradient and Hessian-vector product for optimizers.

Contract:

- `ScipyObjective(gradient, hvp, data)` holds the generated NumPy functions of one scalar
  objective by one variable X, the other variables fixed at `data`, and exposes the
  callables `scipy.optimize` takes, on flat vectors (X flattened in C order, `np.ravel`):
  `fun(x)`, `jac(x)`, `fun_and_jac(x)` (for `jac=True`), `hessp(x, p)` (H·p, the
  Hessian never formed; the direction-free part prepared once per iterate), plus
  `flatten`/`unflatten` between X's shape and flat vectors.
- `minimize(objective, x0, method, **options)` is a thin call of
  `scipy.optimize.minimize` with `jac=True` and, for the methods that take it
  (Newton-CG, trust-ncg, trust-krylov, trust-constr), `hessp`; the result's `x` is in
  X's shape (`x_flat` keeps SciPy's flat vector).
- `hessian_linear_operator(hvp, values)`: a `scipy.sparse.linalg.LinearOperator` whose
  matvec is one generated H·v at `values` (symmetric: rmatvec is the same).
- SciPy is optional: without it every entry point raises a MatdiffError naming
  `pip install matdiff[scipy]`.
- A symmetric or spd X is optimized as f(sym(X)) + |X - sym(X)|²/2, sym(X) = (X + X')/2,
  over the flat n² entries: the gradient and H·p are the unconstrained ones (as
  `matdiff.hessian` gives them) projected by sym, so the iterates stay symmetric (without
  it round-off excites the antisymmetric directions, where log det + tr(inv(S)*C) has
  negative curvature and no minimum); the second term, zero on symmetric X, gives the
  antisymmetric directions unit curvature instead of none. A diagonal X likewise (its
  diagonal); an orthogonal X is refused (that needs a manifold optimizer). For an spd
  (or positive) X the value is +inf outside the set, so trust regions shrink and line
  searches backtrack; start inside it.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from .backends.codegen import compile_function
from .backends.evaluate import bind_sizes, concrete_shape, to_internal
from .diff.derivative import Derivative
from .diff.hvp import HessianVectorProduct, take_hvp
from .errors import DiffError, InputValueError, MatdiffError
from .ir.dims import user_shape
from .ir.node import variables_in

HESSP_METHODS = frozenset({"newton-cg", "trust-ncg", "trust-krylov", "trust-constr"})

_SCIPY: dict[str, Any] = {}


def scipy_modules() -> tuple[Any, Any]:
    """(scipy.optimize, scipy.sparse.linalg), imported on first use: importing them takes
    0.3-0.8 s, which `import matdiff` and every `matdiff` command would otherwise pay.
    Without SciPy a MatdiffError names the extra to install."""
    if not _SCIPY:
        try:
            optimize = importlib.import_module("scipy.optimize")
            linalg = importlib.import_module("scipy.sparse.linalg")
        except ImportError:
            raise MatdiffError("this needs SciPy, which is not installed",
                               hint="pip install matdiff[scipy]") from None
        _SCIPY.update(optimize=optimize, linalg=linalg)
    return _SCIPY["optimize"], _SCIPY["linalg"]


class ScipyObjective:
    """Value, gradient and H·v of a scalar objective by X on flat vectors (see the
    module's contract). `data` gives every other variable's value."""

    def __init__(self, gradient: Derivative, hvp: HessianVectorProduct,
                 data: Mapping[str, Any]) -> None:
        self.name = hvp.wrt.arg.name
        self.direction = hvp.direction.arg.name
        self.data = dict(data)
        self._check_data(gradient, hvp)
        self._value_and_grad = compile_function(gradient, "numpy")
        # H·v prepared at a point (what does not depend on v, computed once), kept for
        # the last point: Newton-CG and trust-ncg ask for many products at each iterate.
        self._prepare = hvp.compile("numpy", prepared=True)
        self._prepared_at: np.ndarray | None = None
        self._apply: Any = None
        self._wrt = hvp.wrt
        self._function = hvp.function
        if "orthogonal" in hvp.wrt.arg.props:
            raise DiffError(f"{self.name} is declared orthogonal; minimizing over "
                            "orthogonal matrices needs a manifold optimizer",
                            hint="drop the property to optimize over all matrices")
        self.shape: tuple[int, ...] | None = self._shape_from_data()
        self.calls = {"fun": 0, "hessp": 0}

    def _check_data(self, gradient: Derivative, hvp: HessianVectorProduct) -> None:
        if self.name in self.data:
            raise InputValueError(f"{self.name} is the variable optimized over; give its "
                                  "start as x0, not as data")
        needed = {n for n in gradient.function.free if not n.startswith("d:")}
        needed -= {self.name}
        missing = sorted(needed - set(self.data))
        if missing:
            raise InputValueError(f"no value for {', '.join(missing)}",
                                  hint="give the objective's other variables as keywords")
        extra = sorted(set(self.data) - needed)
        if extra:
            raise InputValueError(f"{', '.join(extra)} is not a variable of the objective "
                                  f"(its variables: {', '.join(sorted(needed | {self.name}))})")

    def _shape_from_data(self) -> tuple[int, ...] | None:
        """X's user shape when the data bind all its sizes (X*w with X given binds w's),
        so fun/jac/hessp work before start(x0); None otherwise."""
        sizes: dict[str, int] = {}
        for name, node in variables_in([self._function]).items():
            if name != self.name:
                try:
                    sizes.update(bind_sizes([node], {name: self.data[name]}))
                except MatdiffError:
                    return None  # start(x0) reports the bad value with its context
        try:
            return user_shape(concrete_shape(self._wrt.shape, sizes))
        except KeyError:
            return None

    def start(self, x0: Any) -> np.ndarray:
        """x0 checked against X's declared shape and the data's sizes; flat."""
        internal = to_internal(x0, self._wrt.shape, self.name)
        values = {**self.data, self.name: x0}
        sizes = bind_sizes([self._function, self._wrt], values)
        shape = concrete_shape(self._wrt.shape, sizes)
        if internal.shape != shape:
            raise InputValueError(f"x0 must be {shape[0]}×{shape[1]} for {self.name}, got "
                                  f"{internal.shape[0]}×{internal.shape[1]}")
        self.shape = user_shape(shape)
        return internal.reshape(self.shape).ravel().astype(float)

    def unflatten(self, x: np.ndarray) -> Any:
        if self.shape is None:
            raise MatdiffError(f"the shape of {self.name} is not bound by the data",
                               hint="call start(x0) first: it binds the shape from x0")
        return np.asarray(x, dtype=float).reshape(self.shape)

    def flatten(self, X: Any) -> np.ndarray:
        return np.asarray(X, dtype=float).ravel()

    def in_domain(self, X: np.ndarray) -> bool:
        """Whether X honours the declared spd/positive property. Outside it the value is
        +inf, so a trust region shrinks and a line search backtracks, rather than the
        solver reading log|det| of an indefinite S as if it were log det."""
        props = self._wrt.arg.props
        if not np.all(np.isfinite(X)):
            return False
        if "spd" in props:
            try:
                np.linalg.cholesky(0.5 * (X + X.T))
            except np.linalg.LinAlgError:
                return False
        if "positive" in props and not np.all(X > 0):
            return False
        return True

    def project(self, X: np.ndarray) -> np.ndarray:
        """X onto its declared set's linear span: (X + X')/2 for symmetric and spd,
        the diagonal for diagonal; X itself otherwise."""
        props = self._wrt.arg.props
        if props & {"symmetric", "spd"}:
            return 0.5 * (X + X.T)
        if "diagonal" in props:
            return np.diag(np.diag(X))
        return X

    def fun_and_jac(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        self.calls["fun"] += 1
        raw = self.unflatten(x)
        X = self.project(raw)
        if not self.in_domain(X):
            return np.inf, np.zeros_like(np.asarray(x, dtype=float))
        value, grad = self._value_and_grad(**self.data, **{self.name: X})
        # + |off|^2/2 with off = raw - X (zero on the set): f(project(x)) alone is flat
        # along the directions the projection removes, a singular Hessian that some
        # trust-region solvers (trust-krylov) break down on near convergence.
        off = raw - X
        value = float(value) + 0.5 * float(np.sum(off * off))
        return value, self.flatten(self.project(np.asarray(grad)) + off)

    def fun(self, x: np.ndarray) -> float:
        return self.fun_and_jac(x)[0]

    def jac(self, x: np.ndarray) -> np.ndarray:
        return self.fun_and_jac(x)[1]

    def hessp(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        self.calls["hessp"] += 1
        x = np.asarray(x, dtype=float)
        if self._prepared_at is None or not np.array_equal(x, self._prepared_at):
            self._apply = self._prepare(**self.data,
                                        **{self.name: self.project(self.unflatten(x))})
            self._prepared_at = x.copy()
        P = self.unflatten(p)
        out = self.project(np.asarray(self._apply(self.project(P))))
        return self.flatten(out + (P - self.project(P)))


def objective(gradient: Derivative, data: Mapping[str, Any],
              as_typed: Any = None) -> ScipyObjective:
    """The SciPy callables of a gradient's function (a scalar by one variable)."""
    scipy_modules()
    if len(gradient.wrt) != 1 or gradient.form not in ("gradient", "zero"):
        raise DiffError("an objective is a scalar function of one variable")
    h = take_hvp(gradient.function, gradient.wrt[0], as_typed=as_typed)
    return ScipyObjective(gradient, h, data)


def minimize(obj: ScipyObjective, x0: Any, method: str = "trust-ncg",
             **options: Any) -> Any:
    """scipy.optimize.minimize with the generated value, gradient and H·v."""
    scipy_optimize, _ = scipy_modules()
    if not isinstance(method, str):
        raise MatdiffError(f"method must be a SciPy method name, got {method!r}")
    start = obj.start(x0)
    kw: dict[str, Any] = dict(options)
    if method.lower() in HESSP_METHODS:
        kw["hessp"] = obj.hessp
    result = scipy_optimize.minimize(obj.fun_and_jac, start, jac=True, method=method, **kw)
    result.x_flat = result.x
    result.x = obj.unflatten(result.x)
    return result


def hessian_linear_operator(h: HessianVectorProduct, values: Mapping[str, Any]) -> Any:
    """The Hessian at `values` as a LinearOperator; each matvec is one generated H·v."""
    _, scipy_linalg = scipy_modules()
    direction = h.direction.arg.name
    if direction in values:
        raise InputValueError(f"{direction} is the direction the operator is applied to; "
                              "do not give it a value")
    sizes = bind_sizes([h.function, h.wrt], values)
    shape = user_shape(concrete_shape(h.wrt.shape, sizes))
    size = int(np.prod(shape)) if shape else 1
    fn = h.compile("numpy")
    fixed = dict(values)
    h.evaluate(fixed, **{direction: np.zeros(shape)})  # domain and value checks, once

    def matvec(p: np.ndarray) -> np.ndarray:
        out = fn(**fixed, **{direction: np.asarray(p, dtype=float).reshape(shape)})
        return np.asarray(out, dtype=float).reshape(-1)

    return scipy_linalg.LinearOperator((size, size), matvec=matvec, rmatvec=matvec,
                                        dtype=float)


def derivative_linear_operator(d: Derivative, values: Mapping[str, Any]) -> Any:
    """`Derivative.as_linear_operator`: a Hessian (order 2, scalar by one variable)."""
    if d.order != 2 or len(d.wrt) != 1 or d.function.shape != (1, 1):
        raise DiffError("a linear-operator view is given for Hessians: the second "
                        "derivative of a scalar function by one variable",
                        hint="e.g. matdiff.hessian(expr, wrt='x').as_linear_operator(...)")
    h = take_hvp(d.function, d.wrt[0], as_typed=d.as_typed, structured=d.structured)
    return hessian_linear_operator(h, values)
