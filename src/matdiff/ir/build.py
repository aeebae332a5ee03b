"""Builders: the only way nodes are made, each keeping a canonical form.

Every builder checks shapes, folds the neutral elements (0, 1, the identity), and keeps
n-ary nodes canonical, so equal expressions written differently usually become the same
object without any rewrite rule:

- `add` flattens, broadcasts a scalar added to a non-scalar, collects like terms
  (`x + x` -> `2*x`) and sorts its terms;
- `mul` is the product of scalar factors with at most one non-scalar factor: numeric
  coefficient first, then scalar factors sorted with powers collected (`s*s` -> `s^2`);
- `matmul` is a chain of non-scalar factors; scalars float out into a `mul`, sub-chains
  that make a scalar (`a'*X*b` inside a longer chain) float out too, `eye` drops;
- `hadamard` likewise for elementwise products, collecting elementwise powers
  (`X ./ Y` is `X .* Y.^-1`);
- `transpose` is pushed down to the leaves and vanishes on scalars, symmetric variables,
  the identity and diagonal matrices; `inv(X)'` stays as it is read;
- `tr` cycles a chain to a scalar when it can (`tr(a*b')` -> `b'*a`).

What needs judgement (collecting common factors, recognising sigmoid, using declared
properties beyond symmetry) is done by named rules in rewrite/, not here. The builders of
the language's functions (tr, det, inv, diag, kron, ...) are in ir/functions.py and are
re-exported from this module.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from ..errors import InputValueError, ShapeError
from .dims import (
    SCALAR,
    Dim,
    Shape,
    dim_mul,
    format_shape,
    is_column,
    is_scalar,
    is_square,
)
from .node import Node, VarInfo, make
from .ops import ELEMENTWISE_FUNCTIONS, OPS, ShapeRule

# ----------------------------------------------------------------------------- leaves


def _shape_rule(op: str) -> ShapeRule:
    rule = OPS[op].shape
    assert rule is not None, f"op {op} has no shape rule"
    return rule



def const(value: float) -> Node:
    v = float(value)
    if v == 0.0:
        v = 0.0  # no negative zero: it would intern apart from 0
    if math.isnan(v) or math.isinf(v):
        raise ShapeError(f"the constant {value!r} is not a finite number")
    return make("const", (), v, SCALAR)


ZERO = const(0)
ONE = const(1)


def var(name: str, shape: Shape, props: Iterable[str] = ()) -> Node:
    return make("var", (), VarInfo(name, frozenset(props)), shape)


def dvar(name: str, shape: Shape, index: int = 1) -> Node:
    """The differential `dX` of variable `name` (index > 1 for higher differentials)."""
    return make("dvar", (), (name, index), shape)


def eye(n: Dim) -> Node:
    if n == 1:
        return ONE
    return make("eye", (), None, (n, n))


def commutation(m: Dim, n: Dim) -> Node:
    """K(m,n): the mn×mn matrix with K*vec(X) = vec(X') for X m×n."""
    size = dim_mul(m, n)
    return make("commutation", (), (m, n), (size, size))


def fill(value: Node | float, shape: Shape) -> Node:
    """A vector or matrix with every entry equal to the scalar `value`."""
    v = value if isinstance(value, Node) else const(value)
    if not is_scalar(v.shape):
        raise ShapeError(f"fill needs a scalar, got {format_shape(v.shape)}")
    if is_scalar(shape):
        return v
    return make("fill", (v,), None, shape)


def zeros(shape: Shape) -> Node:
    return fill(ZERO, shape)


def const_value(x: Node) -> float | None:
    """The value of a constant or a fill of a constant, else None."""
    if x.op == "const":
        return x.arg
    if x.op == "fill" and x.children[0].op == "const":
        return x.children[0].arg
    return None


def is_zero(x: Node) -> bool:
    return const_value(x) == 0.0


def is_one(x: Node) -> bool:
    return x.op == "const" and x.arg == 1.0


# --------------------------------------------------------------------------- addition


def _split_coefficient(x: Node) -> tuple[float, Node]:
    """x = c * base with c a number: the coefficient and the base."""
    if x.op == "const":
        return x.arg, ONE
    if x.op == "fill" and x.children[0].op == "const":
        return x.children[0].arg, fill(ONE, x.shape)
    if x.op == "mul" and x.children[0].op == "const":
        rest = x.children[1:]
        base = rest[0] if len(rest) == 1 else make("mul", rest, None, x.shape)
        return x.children[0].arg, base
    return 1.0, x


def add(*terms: Node) -> Node:
    if not terms:
        raise ValueError("add needs at least one term")
    shape = _common_shape("+", terms)
    coefs: dict[Node, float] = {}
    for t in _flatten("add", terms):
        if not is_scalar(shape) and is_scalar(t.shape):
            t = fill(t, shape)
        c, base = _split_coefficient(t)
        # c*(a + b) inside a sum joins it: 1 - (2 + x) - x is -1 - 2*x
        inner = [_split_coefficient(u) for u in base.children] if base.op == "add" else [
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
    return make("add", tuple(parts), None, shape)


def _combine_fills(terms: list[Node], shape: Shape) -> list[Node]:
    """The terms (scalars already broadcast) with every fill joined into one fill:
    `vector(a) + vector(b)` is `vector(a + b)`. A sum keeps at most one fill, so a sum
    of fills is itself a fill and keeps its shape; a fill that stood beside others
    would otherwise print, and generate code, as a bare scalar (issue 9)."""
    fills = [t.children[0] for t in terms if t.op == "fill"]
    if not fills:
        return terms  # (one fill is rebuilt too: its scalar sum is flattened)
    rest = [t for t in terms if t.op != "fill"]
    joined = fill(add(*fills), shape)
    return rest if is_zero(joined) else [joined, *rest]


def _term_order(x: Node) -> tuple[int, int, str]:
    # Constants first, as the lesson writes `1 - s`; then fewer transposes first, so
    # `A + A'` rather than `A' + A`; then by structure.
    _, base = _split_coefficient(x)
    return (0 if base.op in ("const", "fill") else 1, _transposes(base), base.key)


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
    if x.op == "pow" and x.children[1].op == "const":
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
        if f.op == "mul":
            stack[0:0] = list(f.children)
            continue
        if f.op == "const":
            coef *= f.arg
            continue
        if not is_scalar(f.shape):
            if f.op == "fill":  # the entries' scalar joins the scalar factors
                stack.insert(0, f.children[0])
                f = fill(ONE, f.shape)
            if nonscalar is not None and nonscalar.op == "fill" and nonscalar.children[0] is ONE:
                if f.shape != nonscalar.shape:
                    raise ShapeError("cannot multiply two non-scalars with mul")
                nonscalar = f
                continue
            if nonscalar is not None and not (f.op == "fill" and f.children[0] is ONE):
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
    if nonscalar is not None and nonscalar.op == "fill" and nonscalar.children[0] is ONE:
        # scalars go inside the fill: 2*vector(1) is vector(2)
        inner = mul(const(coef), *scalars) if scalars or coef != 1.0 else ONE
        return make("fill", (inner,), None, shape)
    items: list[Node] = [const(coef)] if coef != 1.0 else []
    items += scalars
    if nonscalar is not None:
        items.append(nonscalar)
    if not items:
        return ONE
    if len(items) == 1:
        return items[0]
    return make("mul", tuple(items), None, shape)


def _split_scalars(x: Node) -> tuple[list[Node], Node]:
    """x = (product of scalars) * core, with core non-scalar."""
    if x.op == "mul" and not is_scalar(x.shape):
        return list(x.children[:-1]), x.children[-1]
    if x.op == "fill" and x.children[0] is not ONE:
        return [x.children[0]], fill(ONE, x.shape)
    return [], x


# ------------------------------------------------------------------- matrix products


def matmul(a: Node, b: Node) -> Node:
    """The language's `*`: matrix product, or scaling when one side is a scalar."""
    if is_scalar(a.shape) or is_scalar(b.shape):
        return mul(a, b)
    if a.shape[1] != b.shape[0]:
        raise ShapeError(
            f"cannot multiply {format_shape(a.shape)} by {format_shape(b.shape)}",
        )
    shape = (a.shape[0], b.shape[1])
    if is_zero(a) or is_zero(b):
        return zeros(shape)
    sa, ca = _split_scalars(a)
    sb, cb = _split_scalars(b)
    factors = [f for f in _flatten("matmul", (ca, cb)) if f.op != "eye"]
    return mul(*sa, *sb, _chain(factors, shape))


def matmul_chain(factors: Sequence[Node]) -> Node:
    out = factors[0]
    for f in factors[1:]:
        out = matmul(out, f)
    return out


def _merge_powers(factors: list[Node]) -> list[Node]:
    """X*X -> X^2, X^2*X -> X^3, X*inv(X) -> (nothing): adjacent factors of one base."""
    out: list[tuple[Node, int]] = []
    for f in factors:
        base, k = (f.children[0], f.arg) if f.op == "mpow" else (f, 1)
        if base.op == "inv":
            base, k = base.children[0], -k
        elif base.op == "mpow" and base.children[0].op == "inv":
            base, k = base.children[0].children[0], -base.arg * k
        if out and out[-1][0] is base:
            out[-1] = (base, out[-1][1] + k)
            if out[-1][1] == 0:
                out.pop()
        else:
            out.append((base, k))
    return [_power_factor(base, k) for base, k in out]


def _mixed_products(factors: list[Node]) -> list[Node]:
    """kron(A, B)*kron(C, D) = kron(A*C, B*D) where the products are defined."""
    out: list[Node] = []
    for f in factors:
        if out and f.op == "kron" and out[-1].op == "kron":
            (A, B), (C, D) = out[-1].children, f.children
            if A.shape[1] == C.shape[0] and B.shape[1] == D.shape[0]:
                out[-1] = kron(matmul(A, C), matmul(B, D))
                continue
        out.append(f)
    return out


def _fold_ones(factors: list[Node], scalars: list[Node]) -> list[Node]:
    """ones(a, k)*ones(k, b) is k*ones(a, b) for a known k (an outer product of ones is
    a fill): the factor k joins `scalars`. Factors of a chain are fills of 1 only (their
    scalars were split off), so comparing with ONE finds them."""
    out: list[Node] = []
    for f in factors:
        prev = out[-1] if out else None
        if (prev is not None and f.op == "fill" and prev.op == "fill"
                and f.children[0] is ONE and prev.children[0] is ONE
                and isinstance(f.shape[0], int)
                and (prev.shape[0], f.shape[1]) != SCALAR):
            if f.shape[0] != 1:
                scalars.append(const(f.shape[0]))
            out[-1] = fill(ONE, (prev.shape[0], f.shape[1]))
            continue
        out.append(f)
    return out


def _power_factor(base: Node, k: int) -> Node:
    if k == 1:
        return base
    if k == -1:
        return inv(base)
    if k < 0:
        return make("mpow", (inv(base),), -k, base.shape)
    return make("mpow", (base,), k, base.shape)


def _chain(factors: list[Node], shape: Shape) -> Node:
    """A canonical product of non-scalar, aligned factors (scalar sub-chains pulled out)."""
    factors = _merge_powers(factors) if len(factors) > 1 else factors
    factors = _mixed_products(factors)
    if not factors:
        return eye(shape[0])
    scalars: list[Node] = []
    factors = _fold_ones(factors, scalars)
    changed = True
    while changed and len(factors) > 1:
        changed = False
        last = len(factors) - 1
        for i, fi in enumerate(factors):
            if fi.shape[0] != 1:
                continue
            for j in range(i, len(factors)):
                if factors[j].shape[1] == 1 and not (i == 0 and j == last):
                    scalars.append(_scalar_chain(factors[i : j + 1]))
                    factors = factors[:i] + factors[j + 1 :]
                    changed = True
                    break
            if changed:
                break
    if len(factors) == 1:
        core = factors[0]
    elif is_scalar(shape):
        core = _scalar_chain(factors)
    else:
        core = make("matmul", tuple(factors), None, shape)
    return mul(*scalars, core) if scalars else core


def _scalar_chain(factors: Sequence[Node]) -> Node:
    """A 1×1 chain in canonical orientation: `y'*x` and `x'*y` are one node."""
    if len(factors) == 1:
        return factors[0]
    forward = make("matmul", tuple(factors), None, SCALAR)
    flipped = tuple(transpose(f) for f in reversed(factors))
    backward = make("matmul", flipped, None, SCALAR)
    order = sorted((forward, backward), key=lambda n: (_transposes(n), n.key))
    return order[0]


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
        if core.op == "hadamard":
            stack[0:0] = list(core.children)
            continue
        if core.op == "fill":  # fill(1) after the split
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
    items.sort(key=lambda n: (n.op == "pow" and n.children[1].op == "const"
                              and n.children[1].arg < 0, n.size, n.key))
    if not items:
        core = fill(ONE, shape)
    elif len(items) == 1:
        core = items[0]
    else:
        core = make("hadamard", tuple(items), None, shape)
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
    _shape_rule("pow")(base.shape, exponent.shape)
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
                "pow", (base, exponent), None, base.shape
            )
        if base.op == "pow" and float(e).is_integer() and base.children[1].op == "const":
            return power(base.children[0], const(base.children[1].arg * e))
        if base.op == "sqrt" and e == 2.0:
            return base.children[0]
        if base.op == "mul" and float(e).is_integer():
            return mul(*(power(f, exponent) for f in base.children))
        if is_scalar(base.shape) and base.op == "hadamard":
            return mul(*(power(f, exponent) for f in base.children))
    return make("pow", (base, exponent), None, base.shape)


def mpower(x: Node, k: int) -> Node:
    """Integer matrix power `X^k` (`X^-1` is the inverse)."""
    if is_scalar(x.shape):
        return power(x, const(k))
    _shape_rule("mpow")(x.shape)
    if k == 0:
        return eye(x.shape[0])
    if k == 1:
        return x
    if k == -1:
        return inv(x)
    if k < 0:
        return mpower(inv(x), -k)
    if x.op == "mpow":
        return mpower(x.children[0], x.arg * k)
    return make("mpow", (x,), int(k), x.shape)


# ----------------------------------------------------------------------- transposes


def is_symmetric(x: Node) -> bool:
    return transpose(x) is x


def is_diagonal(x: Node) -> bool:
    """Known to be a diagonal matrix from its structure or declaration."""
    if x.op == "var":
        return "diagonal" in x.arg.props
    if x.op == "eye" or (x.op == "diag" and is_square(x.shape) and x.shape[0] != 1
                         and is_column(x.children[0].shape)):
        return True
    if x.op in ("inv", "transpose", "mpow"):
        return is_diagonal(x.children[0])
    if x.op == "mul" and not is_scalar(x.shape):
        return is_diagonal(x.children[-1])
    if x.op in ("matmul", "add"):
        return all(is_diagonal(c) for c in x.children)
    if x.op == "hadamard":
        return any(is_diagonal(c) for c in x.children)
    return False


def transpose(x: Node) -> Node:
    s = x.shape
    if is_scalar(s):
        return x
    op = x.op
    if op == "transpose":
        return x.children[0]
    if op in ("eye", "commutation") and op == "eye":
        return x
    if op == "var" and x.arg.symmetric:
        return x
    if op == "fill":
        return fill(x.children[0], (s[1], s[0]))
    if op == "add":
        return add(*(transpose(t) for t in x.children))
    if op == "mul":
        return mul(*x.children[:-1], transpose(x.children[-1]))
    if op == "matmul":
        return matmul_chain([transpose(f) for f in reversed(x.children)])
    if op == "hadamard":
        return hadamard(*(transpose(f) for f in x.children))
    if op == "pow":
        base, e = x.children
        return power(transpose(base), e if is_scalar(e.shape) else transpose(e))
    if op == "diag" and is_square(s):
        return x  # a diagonal matrix
    if op == "kron":
        return kron(transpose(x.children[0]), transpose(x.children[1]))
    if op == "mpow":
        return mpower(transpose(x.children[0]), x.arg)
    if op in ("inv", "expm") and is_symmetric(x.children[0]):
        return x
    if op == "block":
        rows, cols = x.arg
        grid = [[x.children[r * cols + c] for c in range(cols)] for r in range(rows)]
        return block([[transpose(grid[r][c]) for r in range(rows)] for c in range(cols)])
    return make("transpose", (x,), None, (s[1], s[0]))


# The functions' builders live in ir/functions.py; re-exported so callers keep using
# `build.tr`, `build.inv`, ... (imported here, at the end, because they use the above).
from .functions import (  # noqa: E402
    block,
    det,
    diag,
    expm,
    func,
    inv,
    kron,
    logdet,
    logsumexp,
    norm1,
    norm2,
    reshape,
    softmax,
    sum_,
    tr,
    vec,
)

# ------------------------------------------------------------------ by op name

UNARY_BUILDERS = {
    "tr": tr,
    "sum": sum_,
    "det": det,
    "logdet": logdet,
    "inv": inv,
    "norm1": norm1,
    "norm2": norm2,
    "diag": diag,
    "vec": vec,
    "softmax": softmax,
    "logsumexp": logsumexp,
    "expm": expm,
    "transpose": transpose,
}


def call(name: str, args: Sequence[Node]) -> Node:
    """Apply the function `name` as the language writes it (`tr(X)`, `kron(A, B)`)."""
    if name in ELEMENTWISE_FUNCTIONS:
        return func(name, args[0])
    if name == "kron":
        return kron(args[0], args[1])
    return UNARY_BUILDERS[name](args[0])


def rebuild(x: Node, children: Sequence[Node]) -> Node:
    """Rebuild a node of x's op over new children, through the builders."""
    op = x.op
    if op in ("var", "dvar", "const", "eye", "commutation"):
        return x
    if op == "add":
        return add(*children)
    if op == "mul":
        return mul(*children)
    if op == "matmul":
        return matmul_chain(children)
    if op == "hadamard":
        return hadamard(*children)
    if op == "pow":
        return power(children[0], children[1])
    if op == "fill":
        return fill(children[0], x.shape)
    if op == "block":
        rows, cols = x.arg
        return block([list(children[r * cols : (r + 1) * cols]) for r in range(rows)])
    if op == "reshape":
        return reshape(children[0], x.shape)
    if op == "mpow":
        return mpower(children[0], x.arg)
    if op == "kron":
        return kron(children[0], children[1])
    if op in DIM_BUILDERS:
        return DIM_BUILDERS[op](children[0], x.arg)
    return call(op, children)


# The batched forms (sum(X, 1), softmax(Z, 2), ...) build on the above (ir/batched.py).
from .batched import (  # noqa: E402, F401 - re-exported as build.sum_dim, ...
    DIM_BUILDERS,
    logsumexp_dim,
    mean,
    softmax_dim,
    sum_dim,
)
