"""Sums that are polynomials in one sigmoid or one tanh, in the textbook's factored form
(issue 11, item 3): the derivatives of sigmoid and tanh written through themselves.

Contract: `RULES` holds `sigmoid-polynomial` and `tanh-polynomial`. A sum whose every term
is built from one s = f(u) (entry by entry), its reflection f(-u) (sigmoid(-u) = 1 - s,
tanh(-u) = -s), numbers, products, non-negative integer powers and sums of these is a
polynomial P(s). It is rewritten as c * s^a .* f1(s)^k1 .* ... .* R(s), with the factors
the textbook takes out (1 - s and 1 - 2*s for a sigmoid, 1 - s.^2 and 1 - 3*s.^2 for a
tanh) and R the rest written out (1 when nothing is left), or as 0 or a constant, when
that is shorter: `s .* (1 - s).^2 + s.^3 - s.^2` (the second derivative of
sum(sigmoid(z))) is `s .* (1 - s) .* (1 - 2*s)`, the derivative of
`sigmoid(z) + sigmoid(-z)` is 0, and the third derivative of sum(tanh(z)) is
`-2*(1 - t.^2) .* (1 - 3*t.^2)`. Elementwise factors that every term shares and that
are no polynomial in s (the differentials of a third derivative) are taken out first.
Only functions that appear are used: f(-u) is read through f(u) only where f(u) appears
too, so `1 - sigmoid(-u)` stays as it is written.

Reading a sum as a polynomial is a search over its terms (and their sums and powers),
so the pattern names the sum and `search` says so.
"""

from __future__ import annotations

from typing import NamedTuple

from ..ir import build as b
from ..ir.dims import Shape, is_scalar
from ..ir.node import Node
from ..ir.ops import Op
from .pattern import op
from .rule import rule
from .terms import split_coefficient

Poly = list[float]  # coefficients, lowest power first
_MAX_DEGREE = 8  # beyond this, no textbook writes the factored form


def _snap(x: float) -> float:
    """x to the nearest multiple of 1/64 when it is within rounding of one: the
    coefficients are small integers and halves, and must cancel to exactly 0."""
    k = round(x * 64)
    return k / 64 if abs(x * 64 - k) < 1e-9 else x


def _trim(p: Poly) -> Poly:
    p = [_snap(x) for x in p]
    while len(p) > 1 and p[-1] == 0.0:
        p = p[:-1]
    return p


def _add(p: Poly, q: Poly) -> Poly:
    n = max(len(p), len(q))
    return _trim([(p[i] if i < len(p) else 0.0) + (q[i] if i < len(q) else 0.0)
                  for i in range(n)])


def _times(p: Poly, q: Poly) -> Poly:
    out = [0.0] * (len(p) + len(q) - 1)
    for i, a in enumerate(p):
        for j, c in enumerate(q):
            out[i + j] += a * c
    return _trim(out)


class Family(NamedTuple):
    """A function f whose sums of powers are read as polynomials: f(-u) as a polynomial
    in f(u) (`reflect`), and the factors the textbook takes out (constant term 1)."""

    name: str
    reflect: Poly
    factors: tuple[Poly, ...]


# sigmoid(-u) = 1 - s; the derivatives are s .* (1 - s), s .* (1 - s) .* (1 - 2*s), ...
SIGMOID = Family("sigmoid", [1.0, -1.0], ([1.0, -1.0], [1.0, -2.0]))
# tanh(-u) = -t; the derivatives are 1 - t.^2, -2*t .* (1 - t.^2),
# -2*(1 - t.^2) .* (1 - 3*t.^2), ...
TANH = Family("tanh", [0.0, -1.0], ([1.0, 0.0, -1.0], [1.0, 0.0, -3.0]))


def _read(x: Node, s: Node, complement: Node, reflect: Poly) -> Poly | None:
    """x as a polynomial in s (complement = f(-u), the polynomial `reflect` in s); None
    if it is not one."""
    if x is s:
        return [0.0, 1.0]
    if x is complement:
        return list(reflect)
    value = b.const_value(x)
    if value is not None:
        return [value]
    c, base = split_coefficient(x)
    if c != 1.0:
        inner = _read(base, s, complement, reflect)
        return None if inner is None else _trim([c * a for a in inner])
    if x.op in (Op.ADD, Op.HADAMARD) or (x.op == Op.MUL and is_scalar(x.shape)):
        parts = [_read(k, s, complement, reflect) for k in x.children]
        if any(q is None for q in parts):
            return None
        out = [0.0] if x.op == Op.ADD else [1.0]
        for q in parts:
            out = _add(out, q) if x.op == Op.ADD else _times(out, q)  # type: ignore[arg-type]
        return out if len(out) <= _MAX_DEGREE + 1 else None
    if x.op == Op.POW:
        k = b.const_value(x.children[1])
        if k is None or k < 0 or not k.is_integer() or k > _MAX_DEGREE:
            return None
        base_poly = _read(x.children[0], s, complement, reflect)
        if base_poly is None:
            return None
        out = [1.0]
        for _ in range(int(k)):
            out = _times(out, base_poly)
        return out
    return None


def _divide(p: Poly, f: Poly) -> Poly | None:
    """p / f when f divides p exactly (long division); else None."""
    if len(p) < len(f):
        return None
    p, q = list(p), [0.0] * (len(p) - len(f) + 1)
    for i in range(len(q) - 1, -1, -1):
        q[i] = p[i + len(f) - 1] / f[-1]
        for j, fj in enumerate(f):
            p[i + j] -= q[i] * fj
    scale = max(1.0, *map(abs, p))
    exact = all(abs(x) <= 1e-12 * scale for x in p[: len(f) - 1])
    return [_snap(x) for x in q] if exact else None


def _factor(p: Poly, factors: tuple[Poly, ...]) -> tuple[float, int, list[int], Poly]:
    """p (not zero) = c * s^a * f1(s)^k1 * ... * R(s) for the factors f1, ... (each with
    constant term 1): (c, a, [k1, ...], R), R with whole-number coefficients where it can."""
    a = 0
    while p[0] == 0.0:
        p, a = p[1:], a + 1
    counts = []
    for f in factors:
        k = 0
        while (q := _divide(p, f)) is not None:
            p, k = q, k + 1
        counts.append(k)
    c = p[0]
    rest = [x / c for x in p]
    # whole-number coefficients in what is left, as a person writes it: 2 - 3*s, not
    # 1 - 1.5*s (the multiplier comes out of c)
    m = next((m for m in range(1, 65) if all((m * x).is_integer() for x in rest)), 1)
    return c / m, a, counts, [_snap(m * x) for x in rest]


def _least_size(c: float, a: int, counts: list[int], rest: Poly, s: Node) -> int:
    """A lower bound on the size of the factored form's node, known before building it
    (building is this rule's cost): s^a is s or s^k; a factor 1 - k*s^j is at least s
    and 4 nodes."""
    sizes = [s.size + (2 if a > 1 else 0)] if a else []
    sizes += [s.size + 4 + (2 if k > 1 else 0) for k in counts if k]
    sizes += [s.size + 2] if len(rest) > 1 else []
    return sum(sizes) + (len(sizes) > 1) + (2 if c != 1.0 else 0)


def _factored(c: float, a: int, counts: list[int], rest: Poly, s: Node, shape: Shape,
              known: tuple[Poly, ...]) -> Node:
    """c * s^a .* f1(s)^k1 .* ... .* R(s)."""
    factors = [b.power(s, b.const(a))] if a else []
    for k, f in zip(counts, known, strict=True):
        if k:
            factors.append(b.power(_written_out(f, s, shape), b.const(k)))
    if len(rest) > 1:
        factors.append(_written_out(rest, s, shape))
    return b.scale(c, b.hadamard(*factors)) if factors else b.fill(b.const(c), shape)


def _written_out(p: Poly, s: Node, shape: Shape) -> Node:
    terms = [b.scale(c, b.power(s, b.const(k)) if k else b.fill(b.ONE, shape))
             for k, c in enumerate(p) if c != 0.0]
    return b.add(*terms)


def _candidates(n: Node, name: str) -> list[Node]:
    """The f(u) to read n in (f = name): those whose argument has no negative
    coefficient, and any other when none has."""
    found: list[Node] = []
    stack = [n]
    while stack:
        x = stack.pop()
        if x.op == name:
            if x not in found:
                found.append(x)
        elif x.op in (Op.ADD, Op.MUL, Op.HADAMARD, Op.POW):
            stack.extend(x.children)
    positive = [x for x in found if split_coefficient(x.children[0])[0] > 0]
    return positive or found


def _with_cofactor(n: Node, s: Node, complement: Node,
                   reflect: Poly) -> tuple[Poly, list[Node]] | None:
    """n = cofactor .* P(s) where every term of the sum n has the same elementwise factors
    that are no polynomial in s (dz .* dz_2 .* ... in a third differential)."""
    total: Poly = [0.0]
    common: list[Node] | None = None
    for t in n.children:
        c, base = split_coefficient(t)
        product = base.op == Op.HADAMARD or (base.op == Op.MUL and is_scalar(base.shape))
        poly, others = [c], []
        for f in base.children if product else (base,):
            q = _read(f, s, complement, reflect)
            if q is None:
                others.append(f)
            else:
                poly = _times(poly, q)
        if common is not None and others != common:
            return None
        common, total = others, _add(total, poly)
    return (total, common) if common else None


def _polynomial(n: Node, family: Family) -> Node | None:
    for s in _candidates(n, family.name):
        c, base = split_coefficient(s.children[0])
        complement = b.func(family.name, b.scale(-c, base))
        p = _read(n, s, complement, family.reflect)
        cofactor: list[Node] = []
        if p is None:
            found = _with_cofactor(n, s, complement, family.reflect)
            if found is None:
                continue
            p, cofactor = found
        if p == [0.0]:
            return b.zeros(n.shape)
        parts = _factor(p, family.factors)
        extra = sum(f.size for f in cofactor) + 1 if cofactor else 0
        if _least_size(*parts, s) + extra >= n.size:
            continue
        out = _factored(*parts, s, n.shape, family.factors)
        out = b.hadamard(*cofactor, out) if cofactor else out
        if out.size < n.size:
            return out
    return None


def sigmoid_polynomial(n: Node) -> Node | None:
    return _polynomial(n, SIGMOID)


def tanh_polynomial(n: Node) -> Node | None:
    return _polynomial(n, TANH)


RULES = [
    rule(
        "sigmoid-polynomial",
        "a polynomial in s = sigmoid(u) (with sigmoid(-u) = 1 - s) in factored form: "
        "s .* (1 - s).^2 + s.^3 - s.^2 = s .* (1 - s) .* (1 - 2*s), when shorter",
        (op("add", name="n"), sigmoid_polynomial),
        examples=(
            ("sigmoid(x) .* (1 - sigmoid(x)).^2 + sigmoid(x).^3 - sigmoid(x).^2", {}),
            ("sigmoid(-x).^2 + 2*sigmoid(x) - 1 - sigmoid(x).^2", {}),
            ("(1 - sigmoid(x)).^2 + sigmoid(x).^2 + sigmoid(-x) - 1", {}),
            ("sigmoid(a)*(1 - sigmoid(a))^3 + sigmoid(a)^3 - 4*sigmoid(a)^2*(1 - sigmoid(a))^2"
             " - sigmoid(a)^4", {}),
            ("y .* sigmoid(x) .* (1 - sigmoid(x)).^2 - y .* sigmoid(x).^2 .* (1 - sigmoid(x))",
             {}),
        ),
        search="reads every term, product, power and inner sum as a polynomial in one sigmoid",
    ),
    rule(
        "tanh-polynomial",
        "a polynomial in t = tanh(u) (with tanh(-u) = -t) collected, t^a taken out: "
        "tanh(-u).^2 - tanh(u).^2 = 0, tanh(u) .* (1 - tanh(u).^2) + tanh(u).^3 = tanh(u), "
        "when shorter",
        (op("add", name="n"), tanh_polynomial),
        examples=(
            ("tanh(-x).^2 - tanh(x).^2", {}),
            ("tanh(x) + tanh(-x)", {}),
            ("tanh(x) .* (1 - tanh(x).^2) + tanh(x).^3", {}),
            ("tanh(a)*(2 - tanh(a)^2) - tanh(-a)^3 - 2*tanh(a)", {}),
        ),
        search="reads every term, product, power and inner sum as a polynomial in one tanh",
    ),
]
