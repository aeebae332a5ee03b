"""THE derivative table: the differential of every op, one entry per op.

Each rule receives the node, its children and the children's differentials (`None` for
a child that does not depend on the variable) and returns the node's differential,
built with the builders. The `formula` is what the step-by-step derivation shows, and
`cite` names the Matrix Cookbook (Petersen & Pedersen, 2012) equation where there is one.
tests/diff/test_derivative_rules.py checks every entry numerically against central
differences at random inputs from the op's domain, and fails for an op with no entry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..errors import LimitError, NoMatrixForm
from ..ir import build as b
from ..ir.dims import is_column, is_row, is_scalar
from ..ir.node import Node

Diffs = Sequence[Node | None]
RuleFn = Callable[[Node, Sequence[Node], Diffs], Node | None]
MAX_EXPANDED_POWER = 64


@dataclass(frozen=True)
class DiffRule:
    op: str
    formula: str
    fn: RuleFn
    cite: str = ""


def inner(a: Node, c: Node) -> Node:
    """The scalar sum(a .* c) = tr(a' * c), written the way a person would."""
    if is_scalar(a.shape):
        return b.mul(a, c)
    if is_column(a.shape):
        return b.matmul(b.transpose(a), c)
    if is_row(a.shape):
        return b.matmul(a, b.transpose(c))
    return b.tr(b.matmul(b.transpose(a), c))


def _nonzero(ds: Diffs) -> list[tuple[int, Node]]:
    return [(i, d) for i, d in enumerate(ds) if d is not None]


def _sum(terms: list[Node]) -> Node | None:
    return b.add(*terms) if terms else None


def _add(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    return _sum([d for _, d in _nonzero(ds)])


def _mul(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    return _sum([b.mul(*xs[:i], d, *xs[i + 1 :]) for i, d in _nonzero(ds)])


def _matmul(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    return _sum([b.matmul_chain([*xs[:i], d, *xs[i + 1 :]]) for i, d in _nonzero(ds)])


def _hadamard(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    return _sum([b.hadamard(*xs[:i], d, *xs[i + 1 :]) for i, d in _nonzero(ds)])


def _pow(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    base, e = xs
    dbase, de = ds
    terms = []
    if dbase is not None:
        ev = b.const_value(e)
        if ev is not None:
            slope = b.mul(b.const(ev), b.power(base, b.const(ev - 1)))
        else:
            slope = b.hadamard(e, b.power(base, b.sub(e, b.ONE)))
        terms.append(b.hadamard(slope, dbase))
    if de is not None:
        terms.append(b.hadamard(x, b.func("log", base), de))
    return _sum(terms)


def _fill(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    return b.fill(ds[0], x.shape) if ds[0] is not None else None


def _block(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    rows, cols = x.arg
    parts = [d if d is not None else b.zeros(c.shape) for c, d in zip(xs, ds, strict=True)]
    return b.block([parts[r * cols : (r + 1) * cols] for r in range(rows)])


def _linear(builder: Callable[[Node], Node]) -> RuleFn:
    def rule(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
        return builder(ds[0]) if ds[0] is not None else None

    return rule


def _mpow(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    (X,), (dX,) = xs, ds
    if dX is None:
        return None
    k = x.arg
    if k > MAX_EXPANDED_POWER:
        raise LimitError(
            f"d(X^{k}) expands into {k} terms; matdiff expands powers up to "
            f"X^{MAX_EXPANDED_POWER}",
            hint="use a smaller power",
        )
    return b.add(
        *(b.matmul_chain([b.mpower(X, i), dX, b.mpower(X, k - 1 - i)]) for i in range(k))
    )


def _kron(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    (A, B), (dA, dB) = xs, ds
    terms = []
    if dA is not None:
        terms.append(b.kron(dA, B))
    if dB is not None:
        terms.append(b.kron(A, dB))
    return _sum(terms)


def _det(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    (X,), (dX,) = xs, ds
    return None if dX is None else b.mul(x, b.tr(b.matmul(b.inv(X), dX)))


def _logdet(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    (X,), (dX,) = xs, ds
    return None if dX is None else b.tr(b.matmul(b.inv(X), dX))


def _inv(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    (dX,) = ds
    return None if dX is None else b.neg(b.matmul_chain([x, dX, x]))


def _norm1(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    (X,), (dX,) = xs, ds
    return None if dX is None else b.sum_(b.hadamard(b.func("sign", X), dX))


def _norm2(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    (X,), (dX,) = xs, ds
    return None if dX is None else b.div(inner(X, dX), x)


def _softmax(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    (dz,) = ds
    if dz is None:
        return None
    return b.sub(b.hadamard(x, dz), b.matmul(x, inner(x, dz)))


def _logsumexp(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    (X,), (dX,) = xs, ds
    if dX is None:
        return None
    weights = b.softmax(X) if is_column(X.shape) else b.func("exp", b.sub(X, x))
    return inner(weights, dX)


def _expm(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    (M,), (dM,) = xs, ds
    if dM is None:
        return None
    # d expm(s*A) = A*expm(s*A)*ds when only the scalar s varies: s*A commutes with A.
    if M.op == "mul":
        core = M.children[-1]
        if dM.op == "mul" and dM.children[-1] is core:
            return b.matmul(b.matmul(core, x), b.mul(*dM.children[:-1]))
    raise NoMatrixForm(
        "d expm(X) has no closed matrix form for a general X "
        "(it is the integral of expm(s*X)*dX*expm((1-s)*X) over s in [0, 1]); "
        "matdiff differentiates expm(s*A) with A constant"
    )


def _elementwise(name: str) -> RuleFn:
    def rule(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
        (X,), (dX,) = xs, ds
        if dX is None:
            return None
        slope = ELEMENTWISE_SLOPES[name](X, x)
        return None if slope is None else b.hadamard(slope, dX)

    return rule


def _one_minus(y: Node) -> Node:
    return b.sub(b.ONE, y)


def _sq(y: Node) -> Node:
    return b.power(y, b.const(2))


# f'(X) for each elementwise f, given X and the node f(X) itself.
ELEMENTWISE_SLOPES: dict[str, Callable[[Node, Node], Node | None]] = {
    "exp": lambda X, y: y,
    "log": lambda X, y: b.power(X, b.const(-1)),
    "sin": lambda X, y: b.func("cos", X),
    "cos": lambda X, y: b.neg(b.func("sin", X)),
    "tan": lambda X, y: b.add(b.ONE, _sq(y)),
    "arcsin": lambda X, y: b.power(_one_minus(_sq(X)), b.const(-0.5)),
    "arccos": lambda X, y: b.neg(b.power(_one_minus(_sq(X)), b.const(-0.5))),
    "arctan": lambda X, y: b.power(b.add(b.ONE, _sq(X)), b.const(-1)),
    "tanh": lambda X, y: _one_minus(_sq(y)),
    "sqrt": lambda X, y: b.mul(b.const(0.5), b.power(y, b.const(-1))),
    "abs": lambda X, y: b.func("sign", X),
    "sign": lambda X, y: None,
    "step": lambda X, y: None,
    "sigmoid": lambda X, y: b.hadamard(y, _one_minus(y)),
    "relu": lambda X, y: b.func("step", X),
    "softplus": lambda X, y: b.func("sigmoid", X),
}

_SLOPE_TEXT = {
    "exp": "exp(X)", "log": "1 ./ X", "sin": "cos(X)", "cos": "-sin(X)",
    "tan": "1 + tan(X).^2", "arcsin": "1 ./ sqrt(1 - X.^2)", "arccos": "-1 ./ sqrt(1 - X.^2)",
    "arctan": "1 ./ (1 + X.^2)", "tanh": "1 - tanh(X).^2", "sqrt": "0.5 ./ sqrt(X)",
    "abs": "sign(X)", "sign": "0", "step": "0", "sigmoid": "sigmoid(X) .* (1 - sigmoid(X))",
    "relu": "step(X)", "softplus": "sigmoid(X)",
}

RULES: dict[str, DiffRule] = {}


def _rule(op: str, formula: str, fn: RuleFn, cite: str = "") -> None:
    RULES[op] = DiffRule(op, formula, fn, cite)


_rule("add", "d(X + Y) = dX + dY", _add)
_rule("mul", "d(a*Y) = da*Y + a*dY (product rule)", _mul)
_rule("matmul", "d(X*Y) = dX*Y + X*dY (product rule)", _matmul, "Cookbook (37)")
_rule("hadamard", "d(X .* Y) = dX .* Y + X .* dY", _hadamard, "Cookbook (38)")
_rule("pow", "d(X.^c) = c*X.^(c-1) .* dX", _pow)
_rule("fill", "d(matrix(c)) = matrix(dc)", _fill)
_rule("block", "d([A, B; C, D]) = [dA, dB; dC, dD]", _block)
_rule(
    "reshape",
    "d(reshape(X)) = reshape(dX)",
    lambda x, xs, ds: None if ds[0] is None else b.reshape(ds[0], x.shape),
)
_rule("transpose", "d(X') = dX'", _linear(b.transpose), "Cookbook (34)")
_rule("mpow", "d(X^k) = sum of X^i*dX*X^(k-1-i)", _mpow)
_rule("kron", "d(kron(X, Y)) = kron(dX, Y) + kron(X, dY)", _kron, "Cookbook (39)")
_rule("tr", "d(tr(X)) = tr(dX)", _linear(b.tr), "Cookbook (36)")
_rule("sum", "d(sum(X)) = sum(dX)", _linear(b.sum_))
_rule("diag", "d(diag(X)) = diag(dX)", _linear(b.diag))
_rule("vec", "d(vec(X)) = vec(dX)", _linear(b.vec))
_rule("det", "d(det(X)) = det(X)*tr(inv(X)*dX)", _det, "Cookbook (46)")
_rule("logdet", "d(logdet(X)) = tr(inv(X)*dX)", _logdet, "Cookbook (57)")
_rule("inv", "d(inv(X)) = -inv(X)*dX*inv(X)", _inv, "Cookbook (59)")
_rule("norm1", "d(norm1(X)) = sum(sign(X) .* dX)", _norm1)
_rule("norm2", "d(norm2(X)) = tr(X'*dX)/norm2(X)", _norm2, "Cookbook (129)")
_rule("softmax", "d(softmax(z)) = s .* dz - s*(s'*dz), s = softmax(z)", _softmax)
_rule("logsumexp", "d(logsumexp(z)) = softmax(z)'*dz", _logsumexp)
_rule("expm", "d(expm(t*A)) = A*expm(t*A)*dt (A constant)", _expm)
for _name, _text in _SLOPE_TEXT.items():
    _rule(_name, f"d({_name}(X)) = {_text} .* dX", _elementwise(_name))


def _ones_along(x: Node, dim: int) -> Node:
    """vector(1) that broadcasts a reduction along dim back to x's shape: the column of
    ones (rows of x) for dim 1, the row of ones (columns of x) for dim 2."""
    return b.fill(b.ONE, (x.shape[0], 1)) if dim == 1 else b.fill(b.ONE, (1, x.shape[1]))


def broadcast_back(r: Node, x: Node, dim: int) -> Node:
    """A reduction r (1×n for dim 1, m×1 for dim 2) repeated to x's m×n shape."""
    ones = _ones_along(x, dim)
    return b.matmul(ones, r) if dim == 1 else b.matmul(r, ones)


def _softmaxdim(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    (dZ,) = ds
    if dZ is None:
        return None
    weighted = b.hadamard(x, dZ)  # S .* dZ, then minus S times its sums along dim
    return b.sub(weighted, b.hadamard(x, broadcast_back(b.sum_dim(weighted, x.arg), x, x.arg)))


def _logsumexpdim(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    (Z,), (dZ,) = xs, ds
    if dZ is None:
        return None
    return b.sum_dim(b.hadamard(b.softmax_dim(Z, x.arg), dZ), x.arg)


_rule("sumdim", "d(sum(X, k)) = sum(dX, k)",
      lambda x, xs, ds: None if ds[0] is None else b.sum_dim(ds[0], x.arg))
_rule("softmaxdim", "d(softmax(Z, 1)) = S .* dZ - S .* (vector(1)*sum(S .* dZ, 1)), "
      "S = softmax(Z, 1) (dim 2: sum(S .* dZ, 2)*vector(1)')", _softmaxdim)
_rule("logsumexpdim", "d(logsumexp(Z, k)) = sum(softmax(Z, k) .* dZ, k)", _logsumexpdim)


def _tr_expm(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    (dM,) = ds
    # The trace of the Frechet derivative: tr(int expm(sM) dM expm((1-s)M) ds)
    # = tr(expm(M)*dM) by the cyclic property, for every M.
    return None if dM is None else b.tr(b.matmul(x.children[0], dM))


# Rules for an op applied directly to another, used instead of the inner op's own rule.
FUSED: dict[tuple[str, str], DiffRule] = {
    ("tr", "expm"): DiffRule("tr", "d(tr(expm(X))) = tr(expm(X)*dX)", _tr_expm, "Cookbook (2.5)"),
}
