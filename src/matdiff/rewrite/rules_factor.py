"""Rules that collect and pull out common factors of a sum's terms, and the one that
distributes elementwise products when that is shorter.

Contract: `RULES`, in the order the driver tries them for an add node (the table in
rewrite/rules.py keeps it). Every rule here is a search over all the terms of a sum
(grouping terms by a shared factor, a gcd of every coefficient, distributing and
re-collecting): the pattern names the sum, `op("add", name="n")`, and the replacement
does the search; each rule's `search` says why no finite pattern states it.
"""

from __future__ import annotations

import math

from ..ir import build as b
from ..ir.dims import is_column, is_scalar
from ..ir.node import Node
from ..ir.ops import Op
from .pattern import op, scalar
from .rule import rule
from .terms import coefficient, scalars_and_chain, split_coefficient

SUM = op("add", name="n")
SCALAR_SUM = op("add", name="n", where=scalar)


def collect_common_factor(n: Node) -> Node | None:
    terms = n.children
    parts = [scalars_and_chain(t) for t in terms]
    best: tuple[int, str, Node, list[int]] | None = None
    for side in ("right", "left"):
        groups: dict[Node, list[int]] = {}
        for i, (_, fs) in enumerate(parts):
            if len(fs) >= 2:
                groups.setdefault(fs[-1] if side == "right" else fs[0], []).append(i)
        for key, idx in groups.items():
            if len(idx) >= 2 and (best is None or len(idx) > best[0]):
                best = (len(idx), side, key, idx)
    if best is None:
        return None
    _, side, key, idx = best
    rest = []
    for i in idx:
        scalars, fs = parts[i]
        others = fs[:-1] if side == "right" else fs[1:]
        rest.append(b.mul(*scalars, b.matmul_chain(others)))
    inner = b.add(*rest)
    grouped = b.matmul(inner, key) if side == "right" else b.matmul(key, inner)
    others = [t for i, t in enumerate(terms) if i not in idx]
    return b.add(grouped, *others)


def diag_of_sum(n: Node) -> Node | None:
    picked: list[Node] = []
    others: list[Node] = []
    for t in n.children:
        scalars, fs = scalars_and_chain(t)
        if len(fs) == 1 and fs[0].op == Op.DIAG and is_column(fs[0].children[0].shape):
            picked.append(b.mul(*scalars, fs[0].children[0]))
        else:
            others.append(t)
    if len(picked) < 2:
        return None
    return b.add(b.diag(b.add(*picked)), *others)


def common_numeric_factor(n: Node) -> Node | None:
    coefs = [coefficient(t) for t in n.children]
    if not all(c.is_integer() for c in coefs):
        return None
    g = 0
    for c in coefs:
        g = math.gcd(g, int(abs(c)))
    if all(c < 0 for c in coefs):
        g = -g
    if g in (0, 1):
        return None
    return b.mul(b.const(g), b.add(*(b.scale(1.0 / g, t) for t in n.children)))


def common_scalar_factor(n: Node) -> Node | None:
    def scalar_factors(t: Node) -> list[Node]:
        if t.op != Op.MUL:
            return []
        fs = t.children if is_scalar(t.shape) else t.children[:-1]
        return [f for f in fs if f.op != Op.CONST]

    common = scalar_factors(n.children[0])
    for t in n.children[1:]:
        fs = scalar_factors(t)
        common = [f for f in common if f in fs]
    if not common or (is_scalar(n.shape) and len(n.children) < 2):
        return None
    inverse = [b.power(f, b.const(-1)) for f in common]
    return b.mul(*common, b.add(*(b.mul(*inverse, t) for t in n.children)))


_EXPANSION_LIMIT = 32  # terms; beyond this, expanding is never shorter
# Levels of sums inside elementwise products that are distributed; deeper parts are kept
# as they are (a derivative of a long chain nests them thousands deep).
_EXPANSION_DEPTH = 8


def _expand(t: Node, depth: int = 0) -> list[Node]:
    """t as a sum of products, distributing elementwise products over sums."""
    if depth > _EXPANSION_DEPTH:
        return [t]
    c, base = split_coefficient(t)
    if base.op == Op.ADD:
        return [b.scale(c, u) for child in base.children for u in _expand(child, depth + 1)]
    if base.op != Op.HADAMARD:
        return [t]
    products: list[list[Node]] = [[]]
    for f in base.children:
        options = _expand(f, depth + 1) if f.op == Op.ADD else [f]
        products = [p + [o] for p in products for o in options]
        if len(products) > _EXPANSION_LIMIT:
            return [t]
    return [b.scale(c, b.hadamard(*p)) for p in products]


def expand_elementwise(n: Node) -> Node | None:
    if not any(split_coefficient(t)[1].op == Op.HADAMARD for t in n.children):
        return None
    expanded = b.add(*(u for t in n.children for u in _expand(t)))
    return expanded if expanded.size < n.size else None


def collect_common_elementwise_factor(n: Node) -> Node | None:
    split = [split_coefficient(t) for t in n.children]
    counts: dict[Node, list[int]] = {}
    for i, (_, base) in enumerate(split):
        for f in set(base.children if base.op == Op.HADAMARD else ()):
            counts.setdefault(f, []).append(i)
    best = max(counts.items(), key=lambda kv: (len(kv[1]), kv[0].size), default=None)
    if best is None or len(best[1]) < 2:
        return None
    factor, idx = best
    inner = []
    for i in idx:
        c, base = split[i]
        rest = list(base.children)
        rest.remove(factor)
        inner.append(b.scale(c, b.hadamard(*rest)))
    others = [t for i, t in enumerate(n.children) if i not in idx]
    out = b.add(b.hadamard(b.add(*inner), factor), *others)
    return out if out.size < n.size else None


def common_fraction_factor(n: Node) -> Node | None:
    coefs = [coefficient(t) for t in n.children]
    c = abs(coefs[0])
    if c.is_integer() or c == 0 or any(abs(abs(k) - c) > 1e-15 * c for k in coefs):
        return None
    sign = -1.0 if all(k < 0 for k in coefs) else 1.0
    return b.scale(sign * c, b.add(*(b.scale(sign / c, t) for t in n.children)))


def _base_and_exponent(f: Node) -> tuple[Node, float]:
    """f = base^p with sqrt read as the power 1/2: sqrt(u)^-3 is (u, -1.5)."""
    p = 1.0
    if f.op == Op.POW and f.children[1].op == Op.CONST:
        f, p = f.children[0], float(f.children[1].arg)
    if f.op == Op.SQRT:
        f, p = f.children[0], p / 2
    return f, p


def _scalar_factors(t: Node) -> tuple[float, list[Node]]:
    c, base = split_coefficient(t)
    return c, list(base.children) if base.op == Op.MUL else [base]


def factor_lowest_power(n: Node) -> Node | None:
    terms = [_scalar_factors(t) for t in n.children]
    exponents: dict[Node, list[float]] = {}
    for _, fs in terms:
        seen: dict[Node, float] = {}
        for f in fs:
            base, p = _base_and_exponent(f)
            if base.op == Op.ADD:
                seen[base] = seen.get(base, 0.0) + p
        for base, p in seen.items():
            exponents.setdefault(base, []).append(p)
    for u, ps in exponents.items():
        if len(ps) != len(terms) or len(set(ps)) < 2:
            continue
        low = min(ps)
        inner: list[Node] = []
        for c, fs in terms:
            rest = [f for f in fs if _base_and_exponent(f)[0] is not u]
            p = sum(_base_and_exponent(f)[1] for f in fs if _base_and_exponent(f)[0] is u)
            if p - low == 1.0:
                inner.extend(b.mul(b.const(c), *rest, part) for part in u.children)
            else:
                inner.append(b.mul(b.const(c), *rest, b.power(u, b.const(p - low))))
        out = b.mul(b.power(u, b.const(low)), b.add(*inner))
        if out.size < n.size:
            return out
    return None


_GROUPING = "groups the terms by a shared factor and takes the largest group"
_EVERY_TERM = "a condition on every term of the sum, of any length"

RULES = [
    rule(
        "collect-common-factor",
        "A*x + B*x = (A + B)*x and X*A + X*B = X*(A + B): collect a common right or left "
        "factor",
        (SUM, collect_common_factor),
        examples=(("A*x + A'*x", {}), ("X*A + X*A'", {}), ("2*A*B*x - C*x", {})),
        search=_GROUPING,
    ),
    rule(
        "diag-of-sum",
        "diag(a) + diag(b) = diag(a + b) for vectors a, b",
        (SUM, diag_of_sum),
        examples=(("diag(x) + 2*diag(y)", {}),),
        search="collects every diag term of the sum at once",
    ),
    rule(
        "common-numeric-factor",
        "2*a + 2*b = 2*(a + b): pull out a whole-number factor common to every term",
        (SUM, common_numeric_factor),
        examples=(("2*X*w - 2*y", {"X": "matrix m n", "w": "vector n", "y": "vector m"}),
                  ("-2*A - 4*B", {})),
        search=_EVERY_TERM + " (the gcd of the coefficients)",
    ),
    rule(
        "common-scalar-factor",
        "s*A + s*B = s*(A + B) for a scalar factor s common to every term",
        (SUM, common_scalar_factor),
        examples=(("det(X)*A + det(X)*B", {}), ("a*x + a*b*y", {})),
        search=_EVERY_TERM + " (the scalar factors all terms share)",
    ),
    rule(
        "expand-elementwise-if-shorter",
        "s .* (1 - y) - y .* (1 - s) = s - y: distribute elementwise products over sums "
        "when the collected result is shorter",
        (SUM, expand_elementwise),
        examples=(("x .* (1 - y) - y .* (1 - x)", {}), ("(x + y) .* z - y .* z", {})),
        search="distributes every product over every sum and compares sizes",
    ),
    rule(
        "collect-common-elementwise-factor",
        "a .* c + b .* c = (a + b) .* c: pull out an elementwise factor common to several "
        "terms when the result is shorter",
        (SUM, collect_common_elementwise_factor),
        examples=(("x .* (1 - z.^2) + y .* (1 - z.^2)", {}),
                  ("u .* x .* (1 - z.^2) - 2*y .* (1 - z.^2) + w", {})),
        search=_GROUPING,
    ),
    rule(
        "common-fraction-factor",
        "c*A + c*B = c*(A + B) for a non-integer coefficient c shared by every term "
        "(A/3 + A'/3 = (A + A')/3)",
        (SUM, common_fraction_factor),
        examples=(("A/3 + A'/3", {}), ("-x/3 - y/3", {})),
        search=_EVERY_TERM + " (one coefficient shared by all)",
    ),
    rule(
        "factor-lowest-power",
        "u^p*a + u^q*b = u^p*(a + u^(q-p)*b) for a scalar sum u, expanding u^1 so that "
        "terms cancel, when shorter (u^-1/2 - t^2*u^-3/2 = c^2*u^-3/2 with u = t^2 + c^2)",
        (SCALAR_SUM, factor_lowest_power),
        examples=(("sqrt(c^2 + a^2)^-1 - a^2/(sqrt(c^2 + a^2)^3)", {}),
                  ("(a^2 + b)^-1 - a^2*(a^2 + b)^-2", {})),
        search="finds a base that every term has a power of, with the lowest exponent",
    ),
]
