"""Equalities for exploration, as named data: each read in both directions.

Contract: `EQUALITIES` lists `Equality`s. Each has a name, the op of the nodes it
applies to, the identity it states (`doc`), a function from a node to the equal forms
it offers there (possibly none), and `examples` (text and declarations) on which it must
offer at least one form. tests/rewrite/test_explore_equalities.py parses every example,
checks the equality offers a form, and checks every offered form is numerically equal to
the node at random inputs honouring the declarations.

Unlike the rules of rewrite/rules.py, which rewrite forward to one normal form, these
are not directed: factoring and distributing are both here (`factor-scalar` and
`distribute-scalar`, `factor-elementwise` and `distribute-elementwise`, `factor-product`
and `distribute-product`), and which side is wanted is decided by rewrite/cost.py in the
search of rewrite/explore.py. Every form is built through the builders, so it is in the
builders' canonical form (transposes on the leaves, like terms collected): identities
the builders already apply in one direction ((A*B)' = B'*A', tr(kron(A, B)) =
tr(A)*tr(B), a scalar cycled out of a trace) need no entry, since their other side
cannot be represented.

Multiplying out is a stepping stone, not a result: a careful author keeps products
factored (issue 11 asks for `s .* (1 - s)` and `(1 - h.^2)` once, not spread over
terms), so the equalities that multiply a symbolic factor into a sum are marked
`final=False`: the search may go through their forms to reach a shorter factoring, but a
form whose last step is one of them is never the result, and a form reached through one
is a result only when it is much shorter (rewrite/explore.py, `MULTIPLIED_OUT_GAIN`).
Moving a numeric coefficient into a sum (`distribute-coefficient`) is a result in its
own right.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from ..ir import build as b
from ..ir.dims import is_column, is_scalar
from ..ir.node import Node
from ..ir.ops import Op

Example = tuple[str, dict[str, str]]


@dataclass(frozen=True)
class Equality:
    name: str
    op: str
    doc: str
    fn: Callable[[Node], Iterator[Node]]
    examples: tuple[Example, ...] = field(default_factory=tuple)
    final: bool = True  # may a result's last step be this equality (see the module doc)

    def forms(self, n: Node) -> Iterator[Node]:
        """The forms equal to n that this equality offers (n itself left out)."""
        for m in self.fn(n):
            if m is not n:
                yield m


EQUALITIES: list[Equality] = []
EQUALITIES_BY_OP: dict[str, list[Equality]] = {}


def equality(name: str, op: str, doc: str, *examples: Example, final: bool = True):
    def deco(fn: Callable[[Node], Iterator[Node]]) -> Callable[[Node], Iterator[Node]]:
        eq = Equality(name, op, doc, fn, tuple(examples), final)
        EQUALITIES.append(eq)
        EQUALITIES_BY_OP.setdefault(op, []).append(eq)
        return fn

    return deco


# ------------------------------------------------------------------ scalar factors


def _scalar_parts(t: Node) -> tuple[list[Node], Node]:
    """t = (product of scalar factors) * core; for a scalar t the core is 1."""
    if is_scalar(t.shape):
        return (list(t.children) if t.op == Op.MUL else [t]), b.ONE
    if t.op == Op.MUL:
        return list(t.children[:-1]), t.children[-1]
    return [], t


def _power(f: Node) -> tuple[Node, float]:
    """f as base^k with a constant k (k = 1 when f is not a power)."""
    if f.op == Op.POW and f.children[1].op == Op.CONST and is_scalar(f.shape):
        return f.children[0], f.children[1].arg
    return f, 1.0


def _common_powers(parts: list[tuple[list[Node], Node]]) -> dict[Node, list[tuple[int, float]]]:
    """base -> [(term index, exponent)] over the non-constant scalar factors."""
    found: dict[Node, list[tuple[int, float]]] = {}
    for i, (scalars, _) in enumerate(parts):
        for f in scalars:
            if f.op == Op.CONST:
                continue
            base, k = _power(f)
            found.setdefault(base, []).append((i, k))
    return found


def _sum_folding_numbers(terms: list[Node]) -> Node:
    """The sum of terms, its numbers added up (the add builder keeps `1 - 1` apart when
    both arrive as constants: (s^2)^-1/2 - s^2/(s^2)^3/2 has the factor 1 - 1 = 0)."""
    total = sum(t.arg for t in terms if t.op == Op.CONST)
    others = [t for t in terms if t.op != Op.CONST]
    if total != 0.0:
        others.append(b.const(total))
    return b.add(*others) if others else b.ZERO


def _nested(base: Node, bases: Iterable[Node]) -> bool:
    """base is a power of another base present, or one is a power of it (s and s^2):
    the builders would not cancel s^2 against (s^2)^-1, so such a factor is left alone."""
    return any((o.op == Op.POW and o.children[0] is base)
               or (base.op == Op.POW and base.children[0] is o) for o in bases)


@equality(
    "factor-scalar",
    "add",
    "a*s^p + b*s^q = (a + b*s^(q-p))*s^p for a scalar s and exponents of one sign, |p| <= |q| "
    "(exp(t) + t*exp(t) = (1 + t)*exp(t); u/s - v/s^2 = (u - v/s)/s)",
    ("exp(t) + t*exp(t)", {"t": "scalar"}),
    ("u/(v'*x) - u'*x*v/((v'*x)^2)", {}),
    ("eye(n)/norm2(x) - x*x'/(norm2(x)^3)", {"x": "vector n"}),
)
def factor_scalar(n: Node) -> Iterator[Node]:
    terms = n.children
    parts = [_scalar_parts(t) for t in terms]
    found = _common_powers(parts)
    for base, uses in found.items():
        if _nested(base, found):
            continue
        idx = sorted({i for i, _ in uses})
        exps = [k for _, k in uses]
        if len(idx) < 2 or len(idx) != len(uses):
            continue
        if not (all(k > 0 for k in exps) or all(k < 0 for k in exps)):
            continue
        p = min(exps, key=abs)
        common = b.power(base, b.const(p)) if p != 1.0 else base
        rest = [b.mul(t, b.power(base, b.const(-p))) for i, t in enumerate(terms) if i in idx]
        grouped = b.mul(common, _sum_folding_numbers(rest))
        yield b.add(grouped, *(t for i, t in enumerate(terms) if i not in idx))


def _distributed(n: Node, numeric: bool) -> Iterator[Node]:
    """n (a product) with one scalar factor (numeric ones or symbolic ones) multiplied
    into one sum factor."""
    kids = list(n.children)
    for j, s in enumerate(kids):
        if s.op != Op.ADD:
            continue
        for i, f in enumerate(kids):
            if i == j or not is_scalar(f.shape) or (f.op == Op.CONST) != numeric:
                continue
            others = [k for m, k in enumerate(kids) if m not in (i, j)]
            yield b.mul(*others, b.add(*(b.mul(f, t) for t in s.children)))


@equality(
    "distribute-coefficient",
    "mul",
    "c*(a + b) = c*a + c*b for a number c, into a sum factor of the product "
    "(2*e*(2*t^2 - 1) = e*(4*t^2 - 2))",
    ("2*exp(-t^2)*(2*t^2 - 1)", {"t": "scalar"}),
    ("-(A - B)", {"A": "matrix n n", "B": "matrix n n"}),
)
def distribute_coefficient(n: Node) -> Iterator[Node]:
    return _distributed(n, numeric=True)


@equality(
    "distribute-scalar",
    "mul",
    "s*(a + b) = s*a + s*b for a scalar s, into a sum factor of the product (factor-scalar "
    "read right to left; a stepping stone only)",
    ("c*(A + B)", {"c": "scalar", "A": "matrix n n", "B": "matrix n n"}),
    ("exp(t)*(1 + t)", {"t": "scalar"}),
    final=False,
)
def distribute_scalar(n: Node) -> Iterator[Node]:
    return _distributed(n, numeric=False)


# ------------------------------------------------------------- elementwise factors


def _hadamard_parts(t: Node) -> tuple[list[Node], list[Node]]:
    """t = (scalar factors) * (f1 .* f2 .* ...)."""
    scalars, core = _scalar_parts(t) if not is_scalar(t.shape) else ([], t)
    return scalars, (list(core.children) if core.op == Op.HADAMARD else [core])


@equality(
    "factor-elementwise",
    "add",
    "a .* c + b .* c = (a + b) .* c, a common elementwise factor collected",
    ("x .* exp(x) + y .* exp(x)", {}),
    ("2*(u .* v) - w .* v", {}),
)
def factor_elementwise(n: Node) -> Iterator[Node]:
    if is_scalar(n.shape):
        return
    terms = n.children
    parts = [_hadamard_parts(t) for t in terms]
    groups: dict[Node, list[int]] = {}
    for i, (_, fs) in enumerate(parts):
        if len(fs) >= 2:
            for f in dict.fromkeys(fs):
                groups.setdefault(f, []).append(i)
    for key, idx in groups.items():
        if len(idx) < 2:
            continue
        rest = []
        for i in idx:
            scalars, fs = parts[i]
            others = list(fs)
            others.remove(key)
            rest.append(b.mul(*scalars, b.hadamard(*others)))
        yield b.add(b.hadamard(b.add(*rest), key), *(t for i, t in enumerate(terms)
                                                        if i not in idx))


@equality(
    "distribute-elementwise",
    "hadamard",
    "c .* (a + b) = c .* a + c .* b",
    ("x .* (y + z)", {}),
    final=False,
)
def distribute_elementwise(n: Node) -> Iterator[Node]:
    kids = list(n.children)
    for j, s in enumerate(kids):
        if s.op == Op.ADD:
            others = kids[:j] + kids[j + 1:]
            yield b.add(*(b.hadamard(*others, t) for t in s.children))


# ----------------------------------------------------------------- matrix factors


def _chain_parts(t: Node) -> tuple[list[Node], list[Node]]:
    """t = (scalar factors) * F1*F2*...*Fk."""
    scalars, core = _scalar_parts(t) if not is_scalar(t.shape) else ([], t)
    return scalars, (list(core.children) if core.op == Op.MATMUL else [core])


@equality(
    "factor-product",
    "add",
    "A*x + B*x = (A + B)*x and X*A + X*B = X*(A + B), for every common first or last "
    "factor (the forward rule collect-common-factor takes the largest group only)",
    ("A*x + A'*x + B*y", {}),
    ("X*A + X*B + A*B", {"X": "matrix n n", "A": "matrix n n", "B": "matrix n n"}),
)
def factor_product(n: Node) -> Iterator[Node]:
    terms = n.children
    parts = [_chain_parts(t) for t in terms]
    for side in (-1, 0):
        groups: dict[Node, list[int]] = {}
        for i, (_, fs) in enumerate(parts):
            if len(fs) >= 2:
                groups.setdefault(fs[side], []).append(i)
        for key, idx in groups.items():
            if len(idx) < 2:
                continue
            rest = []
            for i in idx:
                scalars, fs = parts[i]
                rest.append(b.mul(*scalars, b.matmul_chain(fs[:-1] if side else fs[1:])))
            inner = b.add(*rest)
            grouped = b.matmul(inner, key) if side else b.matmul(key, inner)
            yield b.add(grouped, *(t for i, t in enumerate(terms) if i not in idx))


@equality(
    "distribute-product",
    "matmul",
    "A*(B + C)*D = A*B*D + A*C*D, a sum factor of a product multiplied out",
    ("A*(x + y)", {}),
    ("u'*(A + B)*v", {"A": "matrix n n", "B": "matrix n n"}),
    final=False,
)
def distribute_product(n: Node) -> Iterator[Node]:
    kids = list(n.children)
    for j, s in enumerate(kids):
        if s.op == Op.ADD:
            yield b.add(*(b.matmul_chain(kids[:j] + [t] + kids[j + 1:]) for t in s.children))


# ------------------------------------------------------------------------ traces


@equality(
    "trace-cycle",
    "tr",
    "tr(A*B*C) = tr(B*C*A) = tr(C*A*B): the trace of a product is invariant under "
    "cyclic permutations",
    ("tr(A*X*B)", {"A": "matrix n m", "X": "matrix m p", "B": "matrix p n"}),
)
def trace_cycle(n: Node) -> Iterator[Node]:
    x = n.children[0]
    if x.op != Op.MATMUL:
        return
    f = list(x.children)
    for r in range(1, len(f)):
        yield b.tr(b.matmul_chain(f[r:] + f[:r]))


@equality(
    "trace-sum",
    "tr",
    "tr(A + B) = tr(A) + tr(B) (read right to left by trace-join)",
    ("tr(A + B*C)", {"A": "matrix n n", "B": "matrix n m", "C": "matrix m n"}),
)
def trace_sum(n: Node) -> Iterator[Node]:
    x = n.children[0]
    if x.op == Op.ADD:
        yield b.add(*(b.tr(t) for t in x.children))


@equality(
    "trace-join",
    "add",
    "tr(A) + tr(B) = tr(A + B) for A and B of one shape (trace-sum read right to left)",
    ("tr(A*B) + tr(C*D)",
     {"A": "matrix n m", "B": "matrix m n", "C": "matrix n p", "D": "matrix p n"}),
)
def trace_join(n: Node) -> Iterator[Node]:
    traces: dict[object, list[int]] = {}
    for i, t in enumerate(n.children):
        if t.op == Op.TR:
            traces.setdefault(t.children[0].shape, []).append(i)
    for idx in traces.values():
        if len(idx) >= 2:
            inner = b.add(*(n.children[i].children[0] for i in idx))
            yield b.add(b.tr(inner), *(t for i, t in enumerate(n.children) if i not in idx))


# ------------------------------------------------------------------------- norms


@equality(
    "norm-squared",
    "pow",
    "norm2(x)^p = (x'*x)^(p/2) for a column vector x (norm2(x)^2 = x'*x; read right to "
    "left by inner-product-as-norm)",
    ("norm2(x)^2", {}),
    ("y/(norm2(x)^2)", {}),
)
def norm_squared(n: Node) -> Iterator[Node]:
    base, k = n.children
    if base.op == Op.NORM2 and k.op == Op.CONST and is_column(base.children[0].shape):
        x = base.children[0]
        yield b.power(b.matmul(b.transpose(x), x), b.const(k.arg / 2))


@equality(
    "inner-product-as-norm",
    "matmul",
    "x'*x = norm2(x)^2 for a column vector x (norm-squared read right to left)",
    ("x'*x", {}),
    ("A*x/(x'*x)", {}),
)
def inner_product_as_norm(n: Node) -> Iterator[Node]:
    if len(n.children) == 2 and n.children[0].op == Op.TRANSPOSE:
        x = n.children[1]
        if n.children[0].children[0] is x and is_column(x.shape):
            yield b.power(b.norm2(x), b.const(2.0))
