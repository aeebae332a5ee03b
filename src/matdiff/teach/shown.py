"""How the step-by-step derivations show rules and expressions to a person.

Contract:
- `rule_text(formula, taken)` is a rule of the derivative table as the steps cite it,
  with its placeholders (X, Y, a, dX, ...) renamed so that none is one of the names in
  `taken` (the user's variables): `d(log(X)) = 1 ./ X .* dX` reads
  `d(log(U)) = 1 ./ U .* dU` in a derivation by X. An elementwise rule applied to a
  scalar is cited in its scalar form (`d(log(u)) = du/u`), and a slope that is a sum is
  parenthesised (`(1 - tanh(U).^2) .* dU`).
- `applied(node, ds)` is the rule applied to one node before anything is collected: the
  product rule's terms side by side (`d(x'*x) = dx'*x + x'*dx`), the chain rule's factor
  for an elementwise function. It is built with raw (interned, unsimplified) nodes, for
  display and for the numerical step check only; None where the rule's result is
  already the applied form.
- `show(node)` prints a node for the steps, folding a sum of transposes back into the
  transpose of the sum, as the person typed it: `(relu(W*x) - y)'`, not
  `relu(W*x)' - y'`. Display only: the nodes themselves are the engine's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..backends.text import to_text
from ..diff.rules import ELEMENTWISE_SLOPES, inner
from ..ir import build as b
from ..ir.dims import is_scalar
from ..ir.node import Node, make
from ..ir.ops import Op

# single-letter placeholders of the rule table, and their differentials (dX, da)
_PLACEHOLDER = re.compile(r"\b(d?)([A-Za-z])\b")
_UPPER_POOL = "UVPQRSTMNKLGH"
_LOWER_POOL = "uvpqrstgh"

# elementwise rules on a scalar argument, in scalar notation (u is the placeholder)
_SCALAR_FORMS = {
    "exp": "d(exp(u)) = exp(u)*du",
    "log": "d(log(u)) = du/u",
    "sin": "d(sin(u)) = cos(u)*du",
    "cos": "d(cos(u)) = -sin(u)*du",
    "tan": "d(tan(u)) = (1 + tan(u)^2)*du",
    "tanh": "d(tanh(u)) = (1 - tanh(u)^2)*du",
    "sqrt": "d(sqrt(u)) = du/(2*sqrt(u))",
    "sigmoid": "d(sigmoid(u)) = sigmoid(u)*(1 - sigmoid(u))*du",
    "softplus": "d(softplus(u)) = sigmoid(u)*du",
    "relu": "d(relu(u)) = step(u)*du",
    "abs": "d(abs(u)) = sign(u)*du",
    "arctan": "d(arctan(u)) = du/(1 + u^2)",
    "arcsin": "d(arcsin(u)) = du/sqrt(1 - u^2)",
    "arccos": "d(arccos(u)) = -du/sqrt(1 - u^2)",
    "pow": "d(u^c) = c*u^(c-1)*du",
}
_ELEMENTWISE_RULE = re.compile(r"^d\((\w+)\(X\)\) = (.+) \.\* dX$")


def rule_text(formula: str, taken: set[str], node: Node | None = None) -> str:
    """The rule as cited, its placeholders clear of the names in `taken`."""
    text = formula
    if node is not None and node.op in _SCALAR_FORMS and node.children \
            and is_scalar(node.children[0].shape):
        text = _SCALAR_FORMS[node.op]
    else:
        m = _ELEMENTWISE_RULE.match(text)
        if m and (" + " in m.group(2) or " - " in m.group(2)):
            text = f"d({m.group(1)}(X)) = ({m.group(2)}) .* dX"
    return rename_placeholders(text, taken)


def rename_placeholders(text: str, taken: set[str]) -> str:
    """Rename the single-letter placeholders of a rule that collide with `taken`
    (keeping their case), to letters neither taken nor used by the rule itself."""
    letters = {m.group(2) for m in _PLACEHOLDER.finditer(text)
               if not (m.group(1) == "" and m.group(2) == "d")}
    clash = {x for x in letters if x in taken or "d" + x in taken}
    if not clash:
        return text
    used = set(letters) | set(taken)
    mapping: dict[str, str] = {}
    for x in sorted(clash):
        pool = _UPPER_POOL if x.isupper() else _LOWER_POOL
        new = next((c for c in pool if c not in used and "d" + c not in taken), None)
        if new is None:  # every short name is taken: a numbered one
            new = next(f"{x}{i}" for i in range(1, 1000) if f"{x}{i}" not in used)
        used.add(new)
        mapping[x] = new

    def swap(m: re.Match[str]) -> str:
        d, x = m.group(1), m.group(2)
        if d == "" and x == "d":
            return m.group(0)  # the differential operator d( ... )
        return d + mapping.get(x, x)

    return _PLACEHOLDER.sub(swap, text)


# ---------------------------------------------------------------- the applied rule


def _raw(op: Op, kids: Sequence[Node], shape) -> Node:
    return kids[0] if len(kids) == 1 else make(op, tuple(kids), None, shape)


def _raw_sum(terms: list[Node], shape) -> Node | None:
    if not terms:
        return None
    return _raw(Op.ADD, terms, shape)


def applied(node: Node, kids: Sequence[Node], ds: Sequence[Node | None]) -> Node | None:
    """The rule of `node` applied, before the builders collect terms (display nodes)."""
    op = node.op
    live = [(i, d) for i, d in enumerate(ds) if d is not None]
    if not live:
        return None
    if op in (Op.MUL, Op.MATMUL, Op.HADAMARD):
        fixed = [kids[j] for j in range(len(kids)) if ds[j] is None]
        if len(live) == 1 and all(k.op == Op.CONST for k in fixed):
            return None  # c*dY: nothing to show between the rule and its result
        terms = [_raw(op, [*kids[:i], d, *kids[i + 1:]], node.shape) for i, d in live]
        return _raw_sum(terms, node.shape)
    d0 = ds[0]
    if d0 is None or len(kids) == 0:
        return None
    if op in ELEMENTWISE_SLOPES and len(kids) == 1:
        slope = ELEMENTWISE_SLOPES[op](kids[0], node)
        if slope is None:
            return None
        kind = Op.MUL if is_scalar(node.shape) else Op.HADAMARD
        return make(kind, (slope, d0), None, node.shape)
    if op == Op.POW and ds[1] is None:
        c = b.const_value(kids[1])
        if c is None:
            return None
        slope = b.power(kids[0], b.const(c - 1))
        kind = Op.MUL if is_scalar(node.shape) else Op.HADAMARD
        return make(kind, (b.const(c), slope, d0), None, node.shape)
    if op == Op.NORM2:
        return make(Op.MUL, (_inner_raw(kids[0], d0),
                            make(Op.POW, (node, b.const(-1)), None, (1, 1))), None, (1, 1))
    return None


def _inner_raw(X: Node, d: Node) -> Node:
    """tr(X'*dX) as the rule writes it, with X' kept whole: (W*x - y)'*dx."""
    if is_scalar(X.shape) or X.shape[0] == 1 or not X.children:
        return inner(X, d)
    tx = make(Op.TRANSPOSE, (X,), None, (X.shape[1], X.shape[0]))
    if X.shape[1] == 1:
        return make(Op.MATMUL, (tx, d), None, (1, 1))
    square = (X.shape[1], X.shape[1])
    return make(Op.TR, (make(Op.MATMUL, (tx, d), None, square),), None, (1, 1))


# ---------------------------------------------------------------- display


def tidy(e: Node) -> Node:
    """`e` with each sum of transposed terms shown as the transpose of the sum."""
    memo: dict[Node, Node] = {}

    def go(n: Node) -> Node:
        got = memo.get(n)
        if got is not None:
            return got
        kids = [go(c) for c in n.children]
        if n.op == Op.ADD and len(kids) > 1 and not is_scalar(n.shape):
            inner_terms = [_untransposed(k) for k in kids]
            if all(t is not None for t in inner_terms):
                terms = [t for t in inner_terms if t is not None]
                shape = (n.shape[1], n.shape[0])
                got = make(Op.TRANSPOSE, (make(Op.ADD, tuple(terms), None, shape),), None,
                           n.shape)
        if got is None:
            same = all(k is c for k, c in zip(kids, n.children, strict=True))
            got = n if same else make(n.op, tuple(kids), n.arg, n.shape)
        memo[n] = got
        return got

    return go(e)


def _untransposed(t: Node) -> Node | None:
    """u for u', c*u for c*u' (a coefficient times a transpose); None otherwise."""
    if t.op == Op.TRANSPOSE:
        return t.children[0]
    if t.op == Op.MUL and len(t.children) == 2 and t.children[0].op == Op.CONST \
            and t.children[1].op == Op.TRANSPOSE:
        u = t.children[1].children[0]
        return make(Op.MUL, (t.children[0], u), None, u.shape)
    return None


def show(e: Node) -> str:
    """A node as the steps print it (see `tidy`)."""
    return to_text(tidy(e))


def show_transposed(e: Node) -> str:
    """e' as typed, parenthesised only where needed: A', ((A + A')*x)'."""
    return to_text(make(Op.TRANSPOSE, (tidy(e),), None, (e.shape[1], e.shape[0])))
