"""Core builders: leaves, fills, sums, scalar products, elementwise products and powers.

Contract: every builder checks shapes, folds the neutral elements (0, 1) and keeps its
n-ary node canonical, so equal expressions written differently usually become the same
object without any rewrite rule:

- `add` flattens, broadcasts a scalar added to a non-scalar, collects like terms
  (`x + x` -> `2*x`) and sorts its terms;
- `mul` is the product of scalar factors with at most one non-scalar factor: numeric
  coefficient first, then scalar factors sorted with powers collected (`s*s` -> `s^2`);
- `hadamard` likewise for elementwise products, collecting elementwise powers
  (`X ./ Y` is `X .* Y.^-1`).

Matrix products and transposes are in ir/chains.py, the functions' builders in the op
family modules (ir/ops_*.py); ir/build.py re-exports them all. What needs judgement
(collecting common factors, recognising sigmoid, using declared properties beyond
symmetry) is done by named rules in rewrite/, not here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from ..errors import InputValueError, ShapeError
from .dims import SCALAR, Dim, Shape, dim_mul, format_shape, is_scalar
from .node import Node, VarInfo, make
from .ops import Op, shape_of

# ----------------------------------------------------------------------------- leaves


def const(value: float) -> Node:
    v = float(value)
    if v == 0.0:
        v = 0.0  # no negative zero: it would intern apart from 0
    if math.isnan(v) or math.isinf(v):
        raise ShapeError(f"the constant {value!r} is not a finite number")
    return make(Op.CONST, (), v, SCALAR)


ZERO = const(0)
ONE = const(1)


def var(name: str, shape: Shape, props: Iterable[str] = ()) -> Node:
    return make(Op.VAR, (), VarInfo(name, frozenset(props)), shape)


def dvar(name: str, shape: Shape, index: int = 1) -> Node:
    """The differential `dX` of variable `name` (index > 1 for higher differentials)."""
    return make(Op.DVAR, (), (name, index), shape)


def eye(n: Dim) -> Node:
    if n == 1:
        return ONE
    return make(Op.EYE, (), None, (n, n))


def commutation(m: Dim, n: Dim) -> Node:
    """K(m,n): the mn×mn matrix with K*vec(X) = vec(X') for X m×n."""
    size = dim_mul(m, n)
    return make(Op.COMMUTATION, (), (m, n), (size, size))


def fill(value: Node | float, shape: Shape) -> Node:
    """A vector or matrix with every entry equal to the scalar `value`."""
    v = value if isinstance(value, Node) else const(value)
    if not is_scalar(v.shape):
        raise ShapeError(f"fill needs a scalar, got {format_shape(v.shape)}")
    if is_scalar(shape):
        return v
    return make(Op.FILL, (v,), None, shape)


def zeros(shape: Shape) -> Node:
    return fill(ZERO, shape)


def const_value(x: Node) -> float | None:
    """The value of a constant or a fill of a constant, else None."""
    if x.op is Op.CONST:
        return x.arg
    if x.op is Op.FILL and x.children[0].op is Op.CONST:
        return x.children[0].arg
    return None


def is_zero(x: Node) -> bool:
    return const_value(x) == 0.0


def is_one(x: Node) -> bool:
    return x.op is Op.CONST and x.arg == 1.0


# --------------------------------------------------------------------------- addition


def _split_coefficient(x: Node) -> tuple[float, Node]:
    """x = c * base with c a number: the coefficient and the base."""
    if x.op is Op.CONST:
        return x.arg, ONE
    if x.op is Op.FILL and x.children[0].op is Op.CONST:
        return x.children[0].arg, fill(ONE, x.shape)
    if x.op is Op.MUL and x.children[0].op is Op.CONST:
        rest = x.children[1:]
        base = rest[0] if len(rest) == 1 else make(Op.MUL, rest, None, x.shape)
        return x.children[0].arg, base
    return 1.0, x


def add(*terms: Node) -> Node:
    if not terms:
        raise ValueError("add needs at least one term")
    shape = _common_shape("+", terms)
    coefs: dict[Node, float] = {}
    for t in _flatten(Op.ADD, terms):
        if not is_scalar(shape) and is_scalar(t.shape):
            t = fill(t, shape)
        c, base = _split_coefficient(t)
        # c*(a + b) inside a sum joins it: 1 - (2 + x) - x is -1 - 2*x
        inner = [_split_coefficient(u) for u in base.children] if base.op is Op.ADD else [
            (1.0, base)]
        for ci, bi in inner:
            if c * ci != 0.0:
                coefs[bi] = coefs.get(bi, 0.0) + c * ci
    parts = _combine_fills([scale(c, b) for b, c in coefs.items() if c != 0.0], shape)
    if not parts:
        return zeros(shape)
    if len(parts) == 1:
        return parts[0]
    parts.sort(key=_term_order)
    return make(Op.ADD, tuple(parts), None, shape)


def _combine_fills(terms: list[Node], shape: Shape) -> list[Node]:
    """The terms (scalars already broadcast) with every fill joined into one fill:
    `vector(a) + vector(b)` is `vector(a + b)`. A sum keeps at most one fill, so a sum
    of fills is itself a fill and keeps its shape; a fill that stood beside others
    would otherwise print, and generate code, as a bare scalar (issue 9)."""
    fills = [t.children[0] for t in terms if t.op is Op.FILL]
    if not fills:
        return terms  # (one fill is rebuilt too: its scalar sum is flattened)
    rest = [t for t in terms if t.op is not Op.FILL]
    joined = fill(add(*fills), shape)
    return rest if is_zero(joined) else [joined, *rest]


def _term_order(x: Node) -> tuple[int, int, str]:
    # Constants first, as the lesson writes `1 - s`; then fewer transposes first, so
    # `A + A'` rather than `A' + A`; then by structure.
    _, base = _split_coefficient(x)
    return (0 if base.op in (Op.CONST, Op.FILL) else 1, _transposes(base), base.key)


def _transposes(x: Node) -> int:
    """How much is transposed: transposing a leaf costs 1, a larger subtree its size."""
    return x.transposed_size


def sub(a: Node, b: Node) -> Node:
    return add(a, neg(b))


def neg(a: Node) -> Node:
    return scale(-1.0, a)


def scale(c: float, x: Node) -> Node:
    if c == 1.0:
        return x
    return mul(const(c), x)


def _common_shape(opname: str, terms: Sequence[Node]) -> Shape:
    shape: Shape | None = None
    for t in terms:
        if is_scalar(t.shape):
            continue
        if shape is None:
            shape = t.shape
        elif t.shape != shape:
            raise ShapeError(
                f"cannot apply {opname} to {format_shape(shape)} and {format_shape(t.shape)}"
            )
    return shape if shape is not None else SCALAR


def _flatten(op: str, xs: Iterable[Node]) -> list[Node]:
    out: list[Node] = []
    for x in xs:
        if x.op == op:
            out.extend(x.children)
        else:
            out.append(x)
    return out


# ----------------------------------------------------------------- scalar multiplication


def _split_power(x: Node) -> tuple[Node, float]:
    if x.op is Op.POW and x.children[1].op is Op.CONST:
        return x.children[0], x.children[1].arg
    return x, 1.0


def mul(*factors: Node) -> Node:
    """Product of scalars, times at most one non-scalar factor."""
    coef = 1.0
    powers: dict[Node, float] = {}
    nonscalar: Node | None = None
    stack = list(factors)
    while stack:
        f = stack.pop(0)
        if f.op is Op.MUL:
            stack[0:0] = list(f.children)
            continue
        if f.op is Op.CONST:
            coef *= f.arg
            continue
        if not is_scalar(f.shape):
            if f.op is Op.FILL:  # the entries' scalar joins the scalar factors
                stack.insert(0, f.children[0])
                f = fill(ONE, f.shape)
            if nonscalar is not None and nonscalar.op is Op.FILL and nonscalar.children[0] is ONE:
                if f.shape != nonscalar.shape:
                    raise ShapeError("cannot multiply two non-scalars with mul")
                nonscalar = f
                continue
            if nonscalar is not None and not (f.op is Op.FILL and f.children[0] is ONE):
                raise ShapeError(
                    f"mul of two non-scalars {format_shape(nonscalar.shape)} and "
                    f"{format_shape(f.shape)}: use matmul or hadamard"
                )
            if nonscalar is None:
                nonscalar = f
            continue
        base, e = _split_power(f)
        powers[base] = powers.get(base, 0.0) + e
    shape = nonscalar.shape if nonscalar is not None else SCALAR
    if coef == 0.0 or (nonscalar is not None and is_zero(nonscalar)):
        return zeros(shape)
    scalars = []
    for base, e in powers.items():
        if e == 0.0:
            continue
        scalars.append(base if e == 1.0 else power(base, const(e)))
    scalars.sort(key=lambda n: (n.size, n.key))  # smaller first: s*(1 - s)
    if nonscalar is not None and nonscalar.op is Op.FILL and nonscalar.children[0] is ONE:
        # scalars go inside the fill: 2*vector(1) is vector(2)
        inner = mul(const(coef), *scalars) if scalars or coef != 1.0 else ONE
        return make(Op.FILL, (inner,), None, shape)
    items: list[Node] = [const(coef)] if coef != 1.0 else []
    items += scalars
    if nonscalar is not None:
        items.append(nonscalar)
    if not items:
        return ONE
    if len(items) == 1:
        return items[0]
    return make(Op.MUL, tuple(items), None, shape)


def _split_scalars(x: Node) -> tuple[list[Node], Node]:
    """x = (product of scalars) * core, with core non-scalar."""
    if x.op is Op.MUL and not is_scalar(x.shape):
        return list(x.children[:-1]), x.children[-1]
    if x.op is Op.FILL and x.children[0] is not ONE:
        return [x.children[0]], fill(ONE, x.shape)
    return [], x


def hadamard(*factors: Node) -> Node:
    """Elementwise product; scalars become scaling."""
    shape = _common_shape(".*", factors)
    if is_scalar(shape):
        return mul(*factors)
    scalars: list[Node] = []
    powers: dict[Node, float] = {}
    stack = list(factors)
    while stack:
        f = stack.pop(0)
        if is_scalar(f.shape):
            scalars.append(f)
            continue
        s, core = _split_scalars(f)
        scalars += s
        if core.op is Op.HADAMARD:
            stack[0:0] = list(core.children)
            continue
        if core.op is Op.FILL:  # fill(1) after the split
            continue
        if is_zero(core):
            return zeros(shape)
        base, e = _split_power(core)
        powers[base] = powers.get(base, 0.0) + e
    items = []
    for base, e in powers.items():
        if e == 0.0:
            continue
        items.append(base if e == 1.0 else power(base, const(e)))
    # Divisors last, then smaller factors first: `y.^2 .* s .* (1 - s)`.
    items.sort(key=lambda n: (n.op is Op.POW and n.children[1].op is Op.CONST
                              and n.children[1].arg < 0, n.size, n.key))
    if not items:
        core = fill(ONE, shape)
    elif len(items) == 1:
        core = items[0]
    else:
        core = make(Op.HADAMARD, tuple(items), None, shape)
    return mul(*scalars, core) if scalars else core


def ediv(a: Node, b: Node) -> Node:
    """Elementwise division `a ./ b`."""
    if is_scalar(b.shape):
        return mul(a, power(b, const(-1)))
    return hadamard(a, power(b, const(-1)))


def div(a: Node, b: Node) -> Node:
    """The language's `/`: division by a scalar."""
    if not is_scalar(b.shape):
        raise ShapeError(
            f"'/' divides by a scalar, got {format_shape(b.shape)}",
            hint="use ./ for elementwise division, or inv(B) for a matrix inverse",
        )
    return mul(a, power(b, const(-1)))


def power(base: Node, exponent: Node) -> Node:
    """Elementwise power `base .^ exponent` (the scalar `^` too)."""
    shape_of(Op.POW, base.shape, exponent.shape)
    e = const_value(exponent) if is_scalar(exponent.shape) else None
    if e is not None and e < 0 and const_value(base) == 0.0:
        raise InputValueError("division by zero", hint="a constant 0 is divided by here")
    if e is not None:
        if e == 0.0:
            return fill(ONE, base.shape)
        if e == 1.0:
            return base
        b = const_value(base)
        if b is not None and (b > 0 or float(e).is_integer()):
            return fill(const(b**e), base.shape) if b != 0 or e > 0 else make(
                Op.POW, (base, exponent), None, base.shape
            )
        if base.op is Op.POW and float(e).is_integer() and base.children[1].op is Op.CONST:
            return power(base.children[0], const(base.children[1].arg * e))
        if base.op is Op.SQRT and e == 2.0:
            return base.children[0]
        if base.op is Op.MUL and float(e).is_integer():
            return mul(*(power(f, exponent) for f in base.children))
        if is_scalar(base.shape) and base.op is Op.HADAMARD:
            return mul(*(power(f, exponent) for f in base.children))
    return make(Op.POW, (base, exponent), None, base.shape)


