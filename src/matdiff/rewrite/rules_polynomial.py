"""Sums that are polynomials in one sigmoid, in the textbook's factored form (issue 11,
item 3): the derivatives of sigmoid written through itself.

Contract: `RULES` holds `sigmoid-polynomial`. A sum whose every term is built from one
sigmoid s = sigmoid(u) (entry by entry), its complement sigmoid(-u) = 1 - s, numbers,
products, non-negative integer powers and sums of these is a polynomial P(s). It is
rewritten as c * s^a .* (1 - s)^b .* (1 - 2*s)^d .* R(s), the roots 0, 1 and 1/2 taken
out and R the rest written out (1 when nothing is left), or as 0 or a constant, when that
is shorter: `s .* (1 - s).^2 + s.^3 - s.^2` (the second derivative of sum(sigmoid(z)))
is `s .* (1 - s) .* (1 - 2*s)`, and the derivative of `sigmoid(z) + sigmoid(-z)` is 0.
Elementwise factors that every term shares and that are no polynomial in s (the
differentials of a third derivative) are taken out first.
Only sigmoids that appear are used: sigmoid(-u) is read as 1 - sigmoid(u) only where
sigmoid(u) appears too, so `1 - sigmoid(-u)` stays as it is written.

Reading a sum as a polynomial is a search over its terms (and their sums and powers),
so the pattern names the sum and `search` says so.
"""

from __future__ import annotations

from ..ir import build as b
from ..ir.dims import Shape, is_scalar
from ..ir.node import Node
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


def _read(x: Node, s: Node, complement: Node) -> Poly | None:
    """x as a polynomial in s (complement = sigmoid(-u) = 1 - s); None if it is not one."""
    if x is s:
        return [0.0, 1.0]
    if x is complement:
        return [1.0, -1.0]
    value = b.const_value(x)
    if value is not None:
        return [value]
    c, base = split_coefficient(x)
    if c != 1.0:
        inner = _read(base, s, complement)
        return None if inner is None else _trim([c * a for a in inner])
    if x.op in ("add", "hadamard") or (x.op == "mul" and is_scalar(x.shape)):
        parts = [_read(k, s, complement) for k in x.children]
        if any(q is None for q in parts):
            return None
        out = [0.0] if x.op == "add" else [1.0]
        for q in parts:
            out = _add(out, q) if x.op == "add" else _times(out, q)  # type: ignore[arg-type]
        return out if len(out) <= _MAX_DEGREE + 1 else None
    if x.op == "pow":
        k = b.const_value(x.children[1])
        if k is None or k < 0 or not k.is_integer() or k > _MAX_DEGREE:
            return None
        base_poly = _read(x.children[0], s, complement)
        if base_poly is None:
            return None
        out = [1.0]
        for _ in range(int(k)):
            out = _times(out, base_poly)
        return out
    return None


def _divide_root(p: Poly, root: float) -> Poly | None:
    """p / (s - root) when root is a root of p (synthetic division); else None."""
    degree = len(p) - 1
    if degree < 1:
        return None
    q = [0.0] * degree
    q[-1] = p[-1]
    for i in range(degree - 1, 0, -1):
        q[i - 1] = p[i] + root * q[i]
    remainder = p[0] + root * q[0]
    return [_snap(x) for x in q] if abs(remainder) <= 1e-12 * max(map(abs, p)) else None


def _factor(p: Poly) -> tuple[float, int, list[int], Poly]:
    """p (not zero) = c * s^a * (1 - s)^b * (1 - 2*s)^d * R(s): (c, a, [b, d], R), R with
    whole-number coefficients where it can and constant term positive."""
    a = 0
    while p[0] == 0.0:
        p, a = p[1:], a + 1
    counts = []
    for root in (1.0, 0.5):
        k = 0
        while (q := _divide_root(p, root)) is not None:
            p, k = q, k + 1
        counts.append(k)
    # (s - 1) = -(1 - s) and (s - 1/2) = -(1 - 2*s)/2: the signs and halves go into c
    c = p[0] * (-1.0) ** counts[0] * (-0.5) ** counts[1]
    rest = [x / p[0] for x in p]
    # whole-number coefficients in what is left, as a person writes it: 2 - 3*s, not
    # 1 - 1.5*s (the multiplier comes out of c)
    m = next((m for m in range(1, 65) if all((m * x).is_integer() for x in rest)), 1)
    return c / m, a, counts, [_snap(m * x) for x in rest]


def _least_size(c: float, a: int, counts: list[int], rest: Poly, s: Node) -> int:
    """A lower bound on the size of the factored form's node, known before building it
    (building is this rule's cost): s^a is s or s^k; 1 - k*s at least s and 4 nodes."""
    sizes = [s.size + (2 if a > 1 else 0)] if a else []
    sizes += [s.size + 4 + (2 if k > 1 else 0) for k in counts if k]
    sizes += [s.size + 2] if len(rest) > 1 else []
    return sum(sizes) + (len(sizes) > 1) + (2 if c != 1.0 else 0)


def _factored(c: float, a: int, counts: list[int], rest: Poly, s: Node, shape: Shape) -> Node:
    """c * s^a .* (1 - s)^b .* (1 - 2*s)^d .* R(s)."""
    factors = [b.power(s, b.const(a))] if a else []
    for k, two in zip(counts, (1.0, 2.0), strict=True):
        if k:
            factors.append(b.power(b.sub(b.ONE, b.scale(two, s)), b.const(k)))
    if len(rest) > 1:
        factors.append(_written_out(rest, s, shape))
    return b.scale(c, b.hadamard(*factors)) if factors else b.fill(b.const(c), shape)


def _written_out(p: Poly, s: Node, shape: Shape) -> Node:
    terms = [b.scale(c, b.power(s, b.const(k)) if k else b.fill(b.ONE, shape))
             for k, c in enumerate(p) if c != 0.0]
    return b.add(*terms)


def _candidates(n: Node) -> list[Node]:
    """The sigmoids to read n in: those whose argument has no negative coefficient, and
    any other sigmoid when none has."""
    found: list[Node] = []
    stack = [n]
    while stack:
        x = stack.pop()
        if x.op == "sigmoid":
            if x not in found:
                found.append(x)
        elif x.op in ("add", "mul", "hadamard", "pow"):
            stack.extend(x.children)
    positive = [x for x in found if split_coefficient(x.children[0])[0] > 0]
    return positive or found


def _with_cofactor(n: Node, s: Node, complement: Node) -> tuple[Poly, list[Node]] | None:
    """n = cofactor .* P(s) where every term of the sum n has the same elementwise factors
    that are no polynomial in s (dz .* dz_2 .* ... in a third differential)."""
    total: Poly = [0.0]
    common: list[Node] | None = None
    for t in n.children:
        c, base = split_coefficient(t)
        product = base.op == "hadamard" or (base.op == "mul" and is_scalar(base.shape))
        poly, others = [c], []
        for f in base.children if product else (base,):
            q = _read(f, s, complement)
            if q is None:
                others.append(f)
            else:
                poly = _times(poly, q)
        if common is not None and others != common:
            return None
        common, total = others, _add(total, poly)
    return (total, common) if common else None


def sigmoid_polynomial(n: Node) -> Node | None:
    for s in _candidates(n):
        c, base = split_coefficient(s.children[0])
        complement = b.func("sigmoid", b.scale(-c, base))
        p = _read(n, s, complement)
        cofactor: list[Node] = []
        if p is None:
            found = _with_cofactor(n, s, complement)
            if found is None:
                continue
            p, cofactor = found
        if p == [0.0]:
            return b.zeros(n.shape)
        parts = _factor(p)
        extra = sum(f.size for f in cofactor) + 1 if cofactor else 0
        if _least_size(*parts, s) + extra >= n.size:
            continue
        out = _factored(*parts, s, n.shape)
        out = b.hadamard(*cofactor, out) if cofactor else out
        if out.size < n.size:
            return out
    return None


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
]
