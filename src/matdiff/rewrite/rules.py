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
    "sum(y) = 1 for y declared onehot or simplex (for a matrix, the number of columns)",
    ("sum(y)", {"y": "vector n onehot"}),
    ("sum(Y)", {"Y": "matrix 3 4 onehot"}),
    ("sum(p)", {"p": "vector n simplex"}),
)
def sum_of_simplex(n: Node) -> Node | None:
    v = n.children[0]
    if v.op == "var" and v.arg.props & {"onehot", "simplex"}:
        # on a matrix the property holds per column: the sum is the number of columns
        cols = v.shape[1]
        if cols == 1:
            return b.ONE
        return b.const(cols) if isinstance(cols, int) else None
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


# --- elementwise identities of the activation functions (issue 11, item 3) -------------


@rule(
    "relu-times-step",
    "hadamard",
    "relu(u) .* step(u) = relu(u): the step is 1 wherever relu is nonzero",
    ("relu(x) .* step(x)", {}),
    ("y .* relu(x) .* step(x)", {}),
)
def relu_times_step(n: Node) -> Node | None:
    fs = list(n.children)
    for i, f in enumerate(fs):
        if f.op == "step" and b.func("relu", f.children[0]) in fs:
            return b.hadamard(*(g for j, g in enumerate(fs) if j != i))
    return None


@rule(
    "step-power",
    "pow",
    "step(u).^k = step(u) for k > 0: a step is 0 or 1",
    ("step(x).^2", {}),
    ("y .* step(x).^3", {}),
)
def step_power(n: Node) -> Node | None:
    base, k = n.children
    value = b.const_value(k)
    if base.op == "step" and value is not None and value > 0:
        return base
    return None


@rule(
    "sign-times-self-elementwise",
    "hadamard",
    "u .* sign(u) = abs(u) entry by entry",
    ("x .* sign(x)", {}),
    ("y .* sign(x) .* x", {}),
)
def sign_times_self_elementwise(n: Node) -> Node | None:
    fs = list(n.children)
    for i, f in enumerate(fs):
        if f.op == "sign" and f.children[0] in fs:
            u = f.children[0]
            rest = [g for j, g in enumerate(fs) if j != i]
            rest.remove(u)
            return b.hadamard(*rest, b.func("abs", u))
    return None


def _sigmoid_factors(t: Node) -> list[Node]:
    """The sigmoids that are the term t or an elementwise factor of it."""
    base = b._split_coefficient(t)[1]
    factors = base.children if base.op == "hadamard" else (base,)
    return [f for f in factors if f.op == "sigmoid"]


def _complement_sigmoid(x: Node, present: set[Node]) -> Node | None:
    """1 - sigmoid(u) for x = sigmoid(-u) when sigmoid(u) is in `present`; else None."""
    if x.op != "sigmoid":
        return None
    c, base = b._split_coefficient(x.children[0])
    positive = b.func("sigmoid", b.scale(-c, base))
    if c >= 0 or positive not in present:
        return None
    return b.sub(b.ONE, positive)


def _with_sigmoids_complemented(t: Node, present: set[Node]) -> Node:
    """The term t with each sigmoid(-u) factor (whole term or elementwise factor) written
    as 1 - sigmoid(u), where sigmoid(u) is in `present`."""
    c, base = b._split_coefficient(t)
    if base.op == "hadamard":
        kids = [_complement_sigmoid(f, present) or f for f in base.children]
        return b.scale(c, b.hadamard(*kids))
    swapped = _complement_sigmoid(base, present)
    return b.scale(c, swapped) if swapped is not None else t


@rule(
    "sigmoid-of-negative-in-sum",
    "add",
    "sigmoid(-u) = 1 - sigmoid(u), used in a sum where sigmoid(u) appears too and the "
    "result is shorter (sigmoid(z) + sigmoid(-z) = 1)",
    ("sigmoid(x) + sigmoid(-x)", {}),
    ("y .* sigmoid(x) + y .* sigmoid(-x)", {}),
)
def sigmoid_of_negative_in_sum(n: Node) -> Node | None:
    present = {f for t in n.children for f in _sigmoid_factors(t)}
    swapped = [_with_sigmoids_complemented(t, present) for t in n.children]
    if all(u is t for u, t in zip(swapped, n.children, strict=True)):
        return None
    out = b.add(*swapped)
    if out.op == "add":
        out = expand_elementwise(out) or out
    return out if out.size < n.size else None


# --- softmax written out (issue 11, item 4) ----------------------------------------------


def _softmax_once(f: Node, z: Node) -> Node | None:
    """f with one factor exp(z) (itself, an elementwise factor, a factor of a product
    chain, or transposed there) replaced by softmax(z); None if f holds none."""
    e = b.func("exp", z)
    if f is e:
        return b.softmax(z)
    if f.op in ("hadamard", "matmul"):
        for i, g in enumerate(f.children):
            if g is e or (g.op == "transpose" and g.children[0] is e):
                s = b.softmax(z) if g is e else b.transpose(b.softmax(z))
                kids = [*f.children[:i], s, *f.children[i + 1 :]]
                return b.hadamard(*kids) if f.op == "hadamard" else b.matmul_chain(kids)
    return None


@rule(
    "softmax-written-out",
    "mul",
    "exp(z)/sum(exp(z)) = softmax(z), also when exp(z) is a factor of an elementwise or "
    "matrix product, once per power of the denominator",
    ("exp(x)/sum(exp(x))", {}),
    ("y .* exp(x)/sum(exp(x))", {}),
    ("y'*exp(x)*exp(x)/(sum(exp(x))^2)", {}),
)
def softmax_written_out(n: Node) -> Node | None:
    fs = list(n.children)
    for i, p in enumerate(fs):
        if p.op != "pow" or p.children[0].op != "sum":
            continue
        k, inner = b.const_value(p.children[1]), p.children[0].children[0]
        if k is None or k >= 0 or not k.is_integer() or inner.op != "exp":
            continue
        z = inner.children[0]
        if not is_column(z.shape):
            continue
        rest, power = [f for j, f in enumerate(fs) if j != i], int(k)
        for j, f in enumerate(rest):
            while power < 0:
                swapped = _softmax_once(f, z)
                if swapped is None:
                    break
                f, power = swapped, power + 1
            rest[j] = f
        if power == int(k):
            continue
        tail = [b.power(p.children[0], b.const(power))] if power else []
        return b.mul(*rest, *tail)
    return None


@rule(
    "softmax-from-logsumexp",
    "exp",
    "exp(z - logsumexp(z)) = softmax(z)",
    ("exp(x - logsumexp(x))", {}),
)
def softmax_from_logsumexp(n: Node) -> Node | None:
    arg = n.children[0]
    if arg.op != "add" or len(arg.children) != 2:
        return None
    for i, t in enumerate(arg.children):
        z = arg.children[1 - i]
        if t.op == "fill" and is_column(z.shape) and t.children[0] is b.neg(b.logsumexp(z)):
            return b.softmax(z)
    return None


# --- common factors (issue 11, items 2 and 3) --------------------------------------------


@rule(
    "collect-common-elementwise-factor",
    "add",
    "a .* c + b .* c = (a + b) .* c: pull out an elementwise factor common to several terms "
    "when the result is shorter",
    ("x .* (1 - z.^2) + y .* (1 - z.^2)", {}),
    ("u .* x .* (1 - z.^2) - 2*y .* (1 - z.^2) + w", {}),
)
def collect_common_elementwise_factor(n: Node) -> Node | None:
    split = [b._split_coefficient(t) for t in n.children]
    counts: dict[Node, list[int]] = {}
    for i, (_, base) in enumerate(split):
        for f in set(base.children if base.op == "hadamard" else ()):
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


@rule(
    "common-fraction-factor",
    "add",
    "c*A + c*B = c*(A + B) for a non-integer coefficient c shared by every term "
    "(A/3 + A'/3 = (A + A')/3)",
    ("A/3 + A'/3", {}),
    ("-x/3 - y/3", {}),
)
def common_fraction_factor(n: Node) -> Node | None:
    coefs = [_coefficient(t) for t in n.children]
    c = abs(coefs[0])
    if c.is_integer() or c == 0 or any(abs(abs(k) - c) > 1e-15 * c for k in coefs):
        return None
    sign = -1.0 if all(k < 0 for k in coefs) else 1.0
    return b.scale(sign * c, b.add(*(b.scale(sign / c, t) for t in n.children)))


@rule(
    "diag-times-vector",
    "matmul",
    "diag(u)*v = u .* v for vectors u, v: an elementwise product, not a matrix one",
    ("diag(x)*y", {}),
    ("A*diag(x)*y", {}),
)
def diag_times_vector(n: Node) -> Node | None:
    fs = list(n.children)
    if len(fs) < 2 or not is_column(fs[-1].shape):
        return None
    d = fs[-2]
    if d.op != "diag" or not is_column(d.children[0].shape):
        return None
    return b.matmul_chain([*fs[:-2], b.hadamard(d.children[0], fs[-1])])


# --- Kronecker products back to matrix form (issue 11, item 1) ----------------------------


def _is_row(x: Node) -> bool:
    return x.shape[0] == 1 and not is_scalar(x.shape)


def _is_col(x: Node) -> bool:
    return x.shape[1] == 1 and not is_scalar(x.shape)


@rule(
    "kron-times-vec",
    "matmul",
    "kron(A, B)*vec(X) = vec(B*X*A') (MC 520): apply a Kronecker product as two matrix "
    "products, never forming it",
    ("kron(A, B)*vec(X)", {"A": "matrix n n", "B": "matrix m m", "X": "matrix m n"}),
    ("y'*kron(A, B)*vec(X)", {"A": "matrix p n", "B": "matrix q m", "X": "matrix m n"}),
)
def kron_times_vec(n: Node) -> Node | None:
    fs = list(n.children)
    for i in range(len(fs) - 1):
        k, v = fs[i], fs[i + 1]
        if k.op == "kron" and v.op == "vec":
            A, B = k.children
            X = v.children[0]
            if B.shape[1] == X.shape[0] and X.shape[1] == A.shape[1]:
                applied = b.vec(b.matmul_chain([B, X, b.transpose(A)]))
                return b.matmul_chain([*fs[:i], applied, *fs[i + 2 :]])
    return None


@rule(
    "bilinear-form-as-trace",
    "matmul",
    "vec(U)'*vec(V) = tr(U'*V): an inner product of vecs is a trace",
    ("vec(X)'*vec(Y)", {"X": "matrix m n", "Y": "matrix m n"}),
)
def bilinear_form_as_trace(n: Node) -> Node | None:
    fs = list(n.children)
    if len(fs) != 2 or not is_scalar(n.shape):
        return None
    left, right = fs
    if left.op == "transpose" and left.children[0].op == "vec" and right.op == "vec":
        U, V = left.children[0].children[0], right.children[0]
        if U.shape == V.shape:  # vec(A)'*vec(B) with A m×n, B n×m is no trace of A'*B
            return b.tr(b.matmul(b.transpose(U), V))
    return None


@rule(
    "kron-absorb",
    "matmul",
    "C*kron(a', B) = kron(a', C*B) for a row a', and kron(a, B)*C = kron(a, B*C) for a "
    "column a (the mixed product with kron(1, C))",
    ("C*kron(x', B)", {"C": "matrix p m", "x": "vector k", "B": "matrix m q"}),
    ("kron(x, B)*C", {"C": "matrix q p", "x": "vector k", "B": "matrix m q"}),
)
def kron_absorb(n: Node) -> Node | None:
    fs = list(n.children)
    for i in range(len(fs) - 1):
        c, k = fs[i], fs[i + 1]
        if k.op == "kron" and c.op != "kron" and _is_row(k.children[0]):
            merged = b.kron(k.children[0], b.matmul(c, k.children[1]))
            return b.matmul_chain([*fs[:i], merged, *fs[i + 2 :]])
        k, c = fs[i], fs[i + 1]
        if k.op == "kron" and c.op != "kron" and _is_col(k.children[0]):
            merged = b.kron(k.children[0], b.matmul(k.children[1], c))
            return b.matmul_chain([*fs[:i], merged, *fs[i + 2 :]])
    return None


def _outer(x: Node) -> tuple[Node, Node] | None:
    """(u, v) for x = u*v' with columns u, v."""
    if x.op == "matmul" and len(x.children) == 2:
        u, vt = x.children
        if _is_col(u) and vt.op == "transpose" and _is_col(vt.children[0]):
            return u, vt.children[0]
    return None


@rule(
    "column-times-vec-row",
    "matmul",
    "s*vec(u*v')' = kron(v', s*u') for columns s, u, v (vec(u*v') = kron(v, u))",
    ("s*vec(u*x')'", {"s": "vector m", "u": "vector m", "x": "vector n"}),
)
def column_times_vec_row(n: Node) -> Node | None:
    fs = list(n.children)
    for i in range(len(fs) - 1):
        s, r = fs[i], fs[i + 1]
        if _is_col(s) and r.op == "transpose" and r.children[0].op == "vec":
            uv = _outer(r.children[0].children[0])
            if uv is not None:
                u, v = uv
                merged = b.kron(b.transpose(v), b.matmul(s, b.transpose(u)))
                return b.matmul_chain([*fs[:i], merged, *fs[i + 2 :]])
    return None


@rule(
    "kron-common-argument",
    "add",
    "kron(A, B) + kron(A, C) = kron(A, B + C), and likewise for a common second argument",
    ("kron(x', A) - 2*kron(x', B)", {"x": "vector k", "A": "matrix m m", "B": "matrix m m"}),
    ("kron(A, C) + kron(B, C)", {"A": "matrix p p", "B": "matrix p p", "C": "matrix q q"}),
)
def kron_common_argument(n: Node) -> Node | None:
    split = [b._split_coefficient(t) for t in n.children]
    for side in (0, 1):
        groups: dict[Node, list[int]] = {}
        for i, (_, base) in enumerate(split):
            if base.op == "kron":
                groups.setdefault(base.children[side], []).append(i)
        for common, idx in groups.items():
            if len(idx) < 2:
                continue
            inner = b.add(*(b.scale(split[i][0], split[i][1].children[1 - side]) for i in idx))
            merged = b.kron(common, inner) if side == 0 else b.kron(inner, common)
            others = [t for i, t in enumerate(n.children) if i not in idx]
            return b.add(merged, *others)
    return None


@rule(
    "sum-of-kron",
    "sum",
    "sum(kron(A, B)) = sum(A)*sum(B)",
    ("sum(kron(A, B))", {"A": "matrix p q", "B": "matrix m n"}),
)
def sum_of_kron(n: Node) -> Node | None:
    k = n.children[0]
    if k.op != "kron":
        return None
    return b.mul(b.sum_(k.children[0]), b.sum_(k.children[1]))


# --- powers of one base combined (issue 11, item 3) ---------------------------------------


def _base_and_exponent(f: Node) -> tuple[Node, float]:
    """f = base^p with sqrt read as the power 1/2: sqrt(u)^-3 is (u, -1.5)."""
    p = 1.0
    if f.op == "pow" and f.children[1].op == "const":
        f, p = f.children[0], float(f.children[1].arg)
    if f.op == "sqrt":
        f, p = f.children[0], p / 2
    return f, p


def _scalar_factors(t: Node) -> tuple[float, list[Node]]:
    c, base = b._split_coefficient(t)
    return c, list(base.children) if base.op == "mul" else [base]


@rule(
    "factor-lowest-power",
    "add",
    "u^p*a + u^q*b = u^p*(a + u^(q-p)*b) for a scalar sum u, expanding u^1 so that terms "
    "cancel, when shorter (u^-1/2 - t^2*u^-3/2 = c^2*u^-3/2 with u = t^2 + c^2)",
    ("sqrt(c^2 + a^2)^-1 - a^2/(sqrt(c^2 + a^2)^3)", {}),
    ("(a^2 + b)^-1 - a^2*(a^2 + b)^-2", {}),
)
def factor_lowest_power(n: Node) -> Node | None:
    if not is_scalar(n.shape):
        return None
    terms = [_scalar_factors(t) for t in n.children]
    exponents: dict[Node, list[float]] = {}
    for _, fs in terms:
        seen: dict[Node, float] = {}
        for f in fs:
            base, p = _base_and_exponent(f)
            if base.op == "add":
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


# The batched forms' rules register themselves in the table above (issue 11, item 6).
from . import batched_rules  # noqa: E402, F401
