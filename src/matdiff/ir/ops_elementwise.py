"""The elementwise functions: one line per function, as autograd's numpy_vjps.py.

Contract: each line defines one op's record: its name, the domain its inputs are sampled
from, its NumPy value (with the entries it refuses and how the error names them), its
slope f'(X) as an expression in X and the node y = f(X), the slope as the derivation
prints it, and its value at 0 where the builder folds it (sin(0) = 0, exp(0) = 1). The
differential is then `d(f(X)) = f'(X) .* dX`; `func(name, x)` is the builder of all of
them (f(X') is written f(X)', a fill maps entry by entry, log(exp(x)) = x).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .chains import transpose
from .core import ONE, add, const, const_value, fill, hadamard, mul, neg, power, sub
from .node import Node, make
from .numeric import Array, elementwise, sigmoid
from .ops import ELEMENTWISE_FUNCTIONS, Diffs, Op, OpRecord, as_op, define, differential, same

Slope = Callable[[Node, Node], Node | None]  # (X, y = f(X)) -> f'(X), None for 0

# f'(X) for each elementwise f (the teaching steps show these too).
ELEMENTWISE_SLOPES: dict[str, Slope] = {}
_AT_ZERO: dict[str, float] = {}  # f(0) where the builder folds it


def func(name: str, x: Node) -> Node:
    """An elementwise function applied to x."""
    if name not in ELEMENTWISE_FUNCTIONS:
        raise KeyError(name)
    v = const_value(x)
    if v is not None and v == 0.0 and name in _AT_ZERO:
        return x if _AT_ZERO[name] == 0.0 else fill(ONE, x.shape)
    if x.op is Op.TRANSPOSE:
        # f(X') is written f(X)': `relu(W*x)'` reads better than `relu(x'*W')`
        return transpose(func(name, x.children[0]))
    if x.op is Op.FILL:
        return fill(func(name, x.children[0]), x.shape)
    if name == "log" and x.op is Op.EXP:
        return x.children[0]
    if name == "exp" and x.op is Op.LOG:
        return x.children[0]
    return make(as_op(name), (x,), None, x.shape)


def _rule(name: str) -> Callable[[Node, Sequence[Node], Diffs], Node | None]:
    def rule(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
        (X,), (dX,) = xs, ds
        if dX is None:
            return None
        slope = ELEMENTWISE_SLOPES[name](X, x)
        return None if slope is None else hadamard(slope, dX)

    return rule


def _fn(op: Op, domain: str, value: Callable[[Array], Array], slope: Slope, printed: str,
        *, bad: Callable[[Array], Array] | None = None, what: str = "",
        at_zero: float | None = None) -> None:
    name = op.value
    ELEMENTWISE_SLOPES[name] = slope
    if at_zero is not None:
        _AT_ZERO[name] = at_zero
    define(OpRecord(
        op, "elementwise", 1, same, domain=domain,
        build=lambda x: func(name, x),
        differential=differential(op, f"d({name}(X)) = {printed} .* dX", _rule(name)),
        numpy=elementwise(value, bad, what),
    ))


def _one_minus(y: Node) -> Node:
    return sub(ONE, y)


def _sq(y: Node) -> Node:
    return power(y, const(2))


def _recip_sqrt(y: Node) -> Node:
    return power(y, const(-0.5))


def _relu(x: Array) -> Array:
    return np.maximum(x, 0.0)


def _softplus(x: Array) -> Array:
    return np.logaddexp(0.0, x)


def _step(x: Array) -> Array:
    return (x > 0).astype(float)


# op, domain, NumPy value, slope f'(X) from (X, y = f(X)), the slope as printed
_fn(Op.EXP, "real", np.exp, lambda X, y: y, "exp(X)", at_zero=1.0)
_fn(Op.LOG, "positive", np.log, lambda X, y: power(X, const(-1)), "1 ./ X",
    bad=lambda x: x <= 0, what="a non-positive value")
_fn(Op.SIN, "real", np.sin, lambda X, y: func("cos", X), "cos(X)", at_zero=0.0)
_fn(Op.COS, "real", np.cos, lambda X, y: neg(func("sin", X)), "-sin(X)", at_zero=1.0)
_fn(Op.TAN, "small", np.tan, lambda X, y: add(ONE, _sq(y)), "1 + tan(X).^2", at_zero=0.0)
_fn(Op.ARCSIN, "unit", np.arcsin, lambda X, y: _recip_sqrt(_one_minus(_sq(X))),
    "1 ./ sqrt(1 - X.^2)", bad=lambda x: np.abs(x) > 1, what="a value outside [-1, 1]",
    at_zero=0.0)
_fn(Op.ARCCOS, "unit", np.arccos, lambda X, y: neg(_recip_sqrt(_one_minus(_sq(X)))),
    "-1 ./ sqrt(1 - X.^2)", bad=lambda x: np.abs(x) > 1, what="a value outside [-1, 1]")
_fn(Op.ARCTAN, "real", np.arctan, lambda X, y: power(add(ONE, _sq(X)), const(-1)),
    "1 ./ (1 + X.^2)", at_zero=0.0)
_fn(Op.TANH, "real", np.tanh, lambda X, y: _one_minus(_sq(y)), "1 - tanh(X).^2", at_zero=0.0)
_fn(Op.SQRT, "positive", np.sqrt, lambda X, y: mul(const(0.5), power(y, const(-1))),
    "0.5 ./ sqrt(X)", bad=lambda x: x < 0, what="a negative value", at_zero=0.0)
_fn(Op.ABS, "nonzero", np.abs, lambda X, y: func("sign", X), "sign(X)", at_zero=0.0)
_fn(Op.SIGN, "nonzero", np.sign, lambda X, y: None, "0", at_zero=0.0)
_fn(Op.SIGMOID, "real", sigmoid, lambda X, y: hadamard(y, _one_minus(y)),
    "sigmoid(X) .* (1 - sigmoid(X))")
_fn(Op.RELU, "nonzero", _relu, lambda X, y: func("step", X), "step(X)", at_zero=0.0)
_fn(Op.SOFTPLUS, "real", _softplus, lambda X, y: func("sigmoid", X), "sigmoid(X)")
_fn(Op.STEP, "nonzero", _step, lambda X, y: None, "0")
