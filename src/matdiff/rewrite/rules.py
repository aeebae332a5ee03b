"""Simplification rules, as named data.

Each `Rule` states an identity (`doc`), the op it is indexed by, and a function that
returns the replacement for a matching node or None. `examples` are inputs the rule must
fire on (text and declarations): tests/rewrite/test_rewrite_rules.py parses each, checks the
rule fires, and checks both sides are numerically equal at random inputs that meet the
rule's guard (the declarations), so a wrong rule cannot land unchecked.

What is canonical and always wanted (flattening, folding 0/1/I, transposes on leaves,
like terms) is done by the builders; rules here make the choices a person makes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..ir import build as b
from ..ir.dims import is_column, is_scalar
from ..ir.node import Node

Example = tuple[str, dict[str, str]]


@dataclass(frozen=True)
class Rule:
    name: str
    op: str
    doc: str
    fn: Callable[[Node], Node | None]
    examples: tuple[Example, ...] = field(default_factory=tuple)

    def apply(self, n: Node) -> Node | None:
        return self.fn(n)


RULES: list[Rule] = []
RULES_BY_OP: dict[str, list[Rule]] = {}


def rule(name: str, op: str, doc: str, *examples: Example):
    def deco(fn: Callable[[Node], Node | None]) -> Callable[[Node], Node | None]:
        r = Rule(name, op, doc, fn, tuple(examples))
        RULES.append(r)
        RULES_BY_OP.setdefault(op, []).append(r)
        return fn

    return deco


def _scalars_and_chain(t: Node) -> tuple[list[Node], list[Node]]:
    """t = (product of scalars) * F1*F2*...*Fk."""
    scalars: list[Node] = []
    core = t
    if t.op == "mul" and not is_scalar(t.shape):
        scalars, core = list(t.children[:-1]), t.children[-1]
    elif t.op == "mul" and t.children[0].op == "const":
        scalars, core = [t.children[0]], b.mul(*t.children[1:])
    factors = list(core.children) if core.op == "matmul" else [core]
    return scalars, factors


@rule(
    "collect-common-factor",
    "add",
    "A*x + B*x = (A + B)*x and X*A + X*B = X*(A + B): collect a common right or left factor",
    ("A*x + A'*x", {}),
    ("X*A + X*A'", {}),
    ("2*A*B*x - C*x", {}),
)
def collect_common_factor(n: Node) -> Node | None:
    terms = n.children
    parts = [_scalars_and_chain(t) for t in terms]
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


def _is_one_plus_exp(x: Node, u: Node) -> bool:
    """x is 1 + exp(u) (scalar or broadcast)."""
    if x.op != "add" or len(x.children) != 2:
        return False
    one, e = x.children
    return b.const_value(one) == 1.0 and e.op == "exp" and e.children[0] is u


def _sigmoid_in(factors: list[Node]) -> tuple[list[Node], Node] | None:
    for i, f in enumerate(factors):
        if f.op != "exp":
            continue
        u = f.children[0]
        for j, g in enumerate(factors):
            if (
                g.op == "pow"
                and b.const_value(g.children[1]) == -1.0
                and _is_one_plus_exp(g.children[0], u)
            ):
                rest = [h for k, h in enumerate(factors) if k not in (i, j)]
                return rest, b.func("sigmoid", u)
    for j, g in enumerate(factors):
        # 1/(1 + exp(-u)) = sigmoid(u)
        if g.op == "pow" and b.const_value(g.children[1]) == -1.0 and g.children[0].op == "add":
            parts = g.children[0].children
            if len(parts) == 2 and b.const_value(parts[0]) == 1.0 and parts[1].op == "exp":
                rest = [h for k, h in enumerate(factors) if k != j]
                return rest, b.func("sigmoid", b.neg(parts[1].children[0]))
    return None


@rule(
    "sigmoid",
    "mul",
    "exp(u)/(1 + exp(u)) = sigmoid(u) and 1/(1 + exp(-u)) = sigmoid(u)",
    ("exp(a)/(1 + exp(a))", {}),
    ("b/(1 + exp(-a))", {}),
)
def sigmoid_scalar(n: Node) -> Node | None:
    found = _sigmoid_in(list(n.children))
    if found is None:
        return None
    rest, s = found
    return b.mul(*rest, s)


@rule(
    "sigmoid-elementwise",
    "hadamard",
    "exp(u) ./ (1 + exp(u)) = sigmoid(u) entry by entry",
    ("exp(x) ./ (1 + exp(x))", {}),
    ("y .* exp(x) ./ (1 + exp(x))", {}),
)
def sigmoid_elementwise(n: Node) -> Node | None:
    found = _sigmoid_in(list(n.children))
    if found is None:
        return None
    rest, s = found
    return b.hadamard(*rest, s)


@rule(
    "inner-product-cancel",
    "matmul",
    "a'*(b .* c) = sum(a .* b .* c) when the elementwise product then cancels "
    "(s'*(y ./ s) = sum(y))",
    ("s'*(y ./ s)", {}),
)
def inner_product_cancel(n: Node) -> Node | None:
    if not is_scalar(n.shape) or len(n.children) != 2:
        return None
    a_t, h = n.children
    if a_t.op != "transpose" or not is_column(h.shape):
        return None
    a = a_t.children[0]
    if h.op != "hadamard":
        return None
    merged = b.hadamard(a, h)
    count = len(merged.children) if merged.op == "hadamard" else 1
    if count >= len(h.children) + 1:
        return None
    return b.sum_(merged)


@rule(
    "ones-inner-product",
    "matmul",
    "vector(1)'*v = sum(v)",
    ("vector(1)'*x", {}),
)
def ones_inner_product(n: Node) -> Node | None:
    if not is_scalar(n.shape) or len(n.children) != 2:
        return None
    a, v = n.children
    if a.op == "fill" and b.is_one(a.children[0]):
        return b.sum_(v)
    if v.op == "fill" and b.is_one(v.children[0]):
        return b.sum_(a)
    return None


@rule(
    "sum-of-simplex",
    "sum",
    "sum(y) = 1 for y declared onehot or simplex",
    ("sum(y)", {"y": "vector n onehot"}),
    ("sum(p)", {"p": "vector n simplex"}),
)
def sum_of_simplex(n: Node) -> Node | None:
    v = n.children[0]
    if v.op == "var" and v.arg.props & {"onehot", "simplex"}:
        return b.ONE
    return None


@rule(
    "diag-of-sum",
    "add",
    "diag(a) + diag(b) = diag(a + b) for vectors a, b",
    ("diag(x) + 2*diag(y)", {}),
)
def diag_of_sum(n: Node) -> Node | None:
    picked: list[Node] = []
    others: list[Node] = []
    for t in n.children:
        scalars, fs = _scalars_and_chain(t)
        if len(fs) == 1 and fs[0].op == "diag" and is_column(fs[0].children[0].shape):
            picked.append(b.mul(*scalars, fs[0].children[0]))
        else:
            others.append(t)
    if len(picked) < 2:
        return None
    return b.add(b.diag(b.add(*picked)), *others)


@rule(
    "diag-product",
    "matmul",
    "diag(a)*diag(b) = diag(a .* b)",
    ("diag(x)*diag(y)*A", {}),
)
def diag_product(n: Node) -> Node | None:
    fs = list(n.children)
    for i in range(len(fs) - 1):
        p, q = fs[i], fs[i + 1]
        if p.op == "diag" and q.op == "diag" and is_column(p.children[0].shape) and is_column(
            q.children[0].shape
        ):
            merged = b.diag(b.hadamard(p.children[0], q.children[0]))
            return b.matmul_chain([*fs[:i], merged, *fs[i + 2 :]])
    return None


@rule(
    "sigmoid-complement",
    "hadamard",
    "sigmoid(u) .* sigmoid(-u) = sigmoid(u) .* (1 - sigmoid(u))",
    ("sigmoid(x) .* sigmoid(-x)", {}),
)
def sigmoid_complement(n: Node) -> Node | None:
    fs = list(n.children)
    for i, f in enumerate(fs):
        if f.op != "sigmoid":
            continue
        neg = b.neg(f.children[0])
        for j, g in enumerate(fs):
            if j != i and g.op == "sigmoid" and g.children[0] is neg:
                rest = [h for k, h in enumerate(fs) if k not in (i, j)]
                return b.hadamard(*rest, f, b.sub(b.ONE, f))
    return None


def _coefficient(t: Node) -> float:
    return t.children[0].arg if t.op == "mul" and t.children[0].op == "const" else (
        t.arg if t.op == "const" else 1.0)


@rule(
    "common-numeric-factor",
    "add",
    "2*a + 2*b = 2*(a + b): pull out a whole-number factor common to every term",
    ("2*X*w - 2*y", {"X": "matrix m n", "w": "vector n", "y": "vector m"}),
    ("-2*A - 4*B", {}),
)
def common_numeric_factor(n: Node) -> Node | None:
    import math

    coefs = [_coefficient(t) for t in n.children]
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


@rule(
    "common-scalar-factor",
    "add",
    "s*A + s*B = s*(A + B) for a scalar factor s common to every term",
    ("det(X)*A + det(X)*B", {}),
    ("a*x + a*b*y", {}),
)
def common_scalar_factor(n: Node) -> Node | None:
    def scalar_factors(t: Node) -> list[Node]:
        if t.op != "mul":
            return []
        fs = t.children if is_scalar(t.shape) else t.children[:-1]
        return [f for f in fs if f.op != "const"]

    common = scalar_factors(n.children[0])
    for t in n.children[1:]:
        fs = scalar_factors(t)
        common = [f for f in common if f in fs]
    if not common or (is_scalar(n.shape) and len(n.children) < 2):
        return None
    inverse = [b.power(f, b.const(-1)) for f in common]
    return b.mul(*common, b.add(*(b.mul(*inverse, t) for t in n.children)))


@rule(
    "sign-times-self",
    "mul",
    "sign(u)*u = abs(u) for a scalar u",
    ("sign(a)*a*c", {}),
)
def sign_times_self(n: Node) -> Node | None:
    fs = list(n.children)
    for i, f in enumerate(fs):
        if f.op == "sign" and is_scalar(f.shape) and f.children[0] in fs:
            u = f.children[0]
            rest = [g for j, g in enumerate(fs) if j != i]
            rest.remove(u)
            return b.mul(*rest, b.func("abs", u))
    return None


_EXPANSION_LIMIT = 32  # terms; beyond this, expanding is never shorter
# Levels of sums inside elementwise products that are distributed; deeper parts are kept
# as they are (a derivative of a long chain nests them thousands deep).
_EXPANSION_DEPTH = 8


def _expand(t: Node, depth: int = 0) -> list[Node]:
    """t as a sum of products, distributing elementwise products over sums."""
    if depth > _EXPANSION_DEPTH:
        return [t]
    c, base = b._split_coefficient(t)
    if base.op == "add":
        return [b.scale(c, u) for child in base.children for u in _expand(child, depth + 1)]
    if base.op != "hadamard":
        return [t]
    products: list[list[Node]] = [[]]
    for f in base.children:
        options = _expand(f, depth + 1) if f.op == "add" else [f]
        products = [p + [o] for p in products for o in options]
        if len(products) > _EXPANSION_LIMIT:
            return [t]
    return [b.scale(c, b.hadamard(*p)) for p in products]


@rule(
    "expand-elementwise-if-shorter",
    "add",
    "s .* (1 - y) - y .* (1 - s) = s - y: distribute elementwise products over sums when "
    "the collected result is shorter",
    ("x .* (1 - y) - y .* (1 - x)", {}),
    ("(x + y) .* z - y .* z", {}),
)
def expand_elementwise(n: Node) -> Node | None:
    if not any(b._split_coefficient(t)[1].op == "hadamard" for t in n.children):
        return None
    expanded = b.add(*(u for t in n.children for u in _expand(t)))
    return expanded if expanded.size < n.size else None
