"""Rules for the activation functions and softmax written out (issue 11, items 3 and 4):
sigmoid recognised, the identities of sigmoid, relu, step and sign entry by entry, and
exp(z)/sum(exp(z)) read as softmax(z).

Contract: `RULES`, each stating one identity, with declarative left-hand sides
(rewrite/pattern.py); the table in rewrite/rules.py fixes the order the driver tries
them in. `sigmoid-of-negative-in-sum` is a search over a sum's terms and says why.
"""

from __future__ import annotations

from ..ir import build as b
from ..ir.node import Node
from ..ir.ops import Op
from .pattern import Pattern, any_, column, const, op, same, scalar, some
from .rule import CaseSpec, rule
from .rules_factor import expand_elementwise
from .terms import elementwise_factors, split_coefficient


def _one_plus_exp(u: str) -> Pattern:
    """(1 + exp(u))^-1, scalar or broadcast, with u bound to `u`."""
    return op("pow", op("add", const(1.0), op("exp", any_(u))), const(-1.0))


def _sigmoid_cases(product: str) -> tuple[CaseSpec, CaseSpec]:
    """exp(u) .* (1 + exp(u))^-1 and (1 + exp(-u))^-1 as factors of a product."""
    combine = b.mul if product == "mul" else b.hadamard
    return (
        (some(product, op("exp", any_("u")), _one_plus_exp("u"), rest="rest"),
         lambda u, rest: combine(*rest, b.func("sigmoid", u))),
        (some(product, _one_plus_exp("v"), rest="rest"),
         lambda v, rest: combine(*rest, b.func("sigmoid", b.neg(v)))),
    )


def _complement_sigmoid(x: Node, present: set[Node]) -> Node | None:
    """1 - sigmoid(u) for x = sigmoid(-u) when sigmoid(u) is in `present`; else None."""
    if x.op != Op.SIGMOID:
        return None
    c, base = split_coefficient(x.children[0])
    positive = b.func("sigmoid", b.scale(-c, base))
    if c >= 0 or positive not in present:
        return None
    return b.sub(b.ONE, positive)


def _with_sigmoids_complemented(t: Node, present: set[Node]) -> Node:
    """The term t with each sigmoid(-u) factor (whole term or elementwise factor) written
    as 1 - sigmoid(u), where sigmoid(u) is in `present`."""
    c, base = split_coefficient(t)
    if base.op == Op.HADAMARD:
        kids = [_complement_sigmoid(f, present) or f for f in base.children]
        return b.scale(c, b.hadamard(*kids))
    swapped = _complement_sigmoid(base, present)
    return b.scale(c, swapped) if swapped is not None else t


def sigmoid_of_negative_in_sum(n: Node) -> Node | None:
    present = {f for t in n.children for f in elementwise_factors(t) if f.op == Op.SIGMOID}
    swapped = [_with_sigmoids_complemented(t, present) for t in n.children]
    if all(u is t for u, t in zip(swapped, n.children, strict=True)):
        return None
    out = b.add(*swapped)
    if out.op == Op.ADD:
        out = expand_elementwise(out) or out
    return out if out.size < n.size else None


def _softmax_once(f: Node, z: Node) -> Node | None:
    """f with one factor exp(z) (itself, its diagonal matrix, an elementwise factor, a
    factor of a product chain, or transposed there) replaced by softmax(z); None if f
    holds none."""
    e = b.func("exp", z)
    if f is e:
        return b.softmax(z)
    if f.op == Op.DIAG and f.children[0] is e:  # diag(exp(z))/sum(exp(z)) = diag(softmax(z))
        return b.diag(b.softmax(z))
    if f.op in (Op.HADAMARD, Op.MATMUL):
        for i, g in enumerate(f.children):
            if g is e or (g.op == Op.TRANSPOSE and g.children[0] is e):
                s = b.softmax(z) if g is e else b.transpose(b.softmax(z))
                kids = [*f.children[:i], s, *f.children[i + 1 :]]
                return b.hadamard(*kids) if f.op == Op.HADAMARD else b.matmul_chain(kids)
    return None


def softmax_written_out(z: Node, total: Node, k: Node, rest: tuple[Node, ...]) -> Node | None:
    """Each power of 1/sum(exp(z)) turns one factor exp(z) among `rest` into softmax(z)."""
    start = int(b.const_value(k))  # type: ignore[arg-type]
    power, factors = start, list(rest)
    for j, f in enumerate(factors):
        while power < 0:
            swapped = _softmax_once(f, z)
            if swapped is None:
                break
            f, power = swapped, power + 1
        factors[j] = f
    if power == start:
        return None
    tail = [b.power(total, b.const(power))] if power else []
    return b.mul(*factors, *tail)


def _negative_integer(v: float) -> bool:
    return v < 0 and v.is_integer()


SOFTMAX_DENOMINATOR = some(
    "mul",
    op("pow", op("sum", op("exp", any_("z", where=column)), name="total"),
       const(where=_negative_integer, name="k")),
    rest="rest",
)

RULES = [
    rule(
        "sigmoid",
        "exp(u)/(1 + exp(u)) = sigmoid(u) and 1/(1 + exp(-u)) = sigmoid(u)",
        *_sigmoid_cases("mul"),
        examples=(("exp(a)/(1 + exp(a))", {}), ("b/(1 + exp(-a))", {})),
    ),
    rule(
        "sign-times-self",
        "sign(u)*u = abs(u) for a scalar u",
        (some("mul", op("sign", any_("u"), where=scalar), any_("u"), rest="rest"),
         lambda u, rest: b.mul(*rest, b.func("abs", u))),
        examples=(("sign(a)*a*c", {}),),
    ),
    rule(
        "softmax-written-out",
        "exp(z)/sum(exp(z)) = softmax(z), also when exp(z) is a factor of an elementwise "
        "or matrix product or inside diag, once per power of the denominator",
        (SOFTMAX_DENOMINATOR, softmax_written_out),
        examples=(("exp(x)/sum(exp(x))", {}), ("y .* exp(x)/sum(exp(x))", {}),
                  ("y'*exp(x)*exp(x)/(sum(exp(x))^2)", {}),
                  ("diag(exp(x))/sum(exp(x))", {})),
    ),
    rule(
        "sigmoid-elementwise",
        "exp(u) ./ (1 + exp(u)) = sigmoid(u) entry by entry",
        *_sigmoid_cases("hadamard"),
        examples=(("exp(x) ./ (1 + exp(x))", {}), ("y .* exp(x) ./ (1 + exp(x))", {})),
    ),
    rule(
        "sigmoid-complement",
        "sigmoid(u) .* sigmoid(-u) = sigmoid(u) .* (1 - sigmoid(u))",
        (some("hadamard", op("sigmoid", any_("u"), name="s"),
              op("sigmoid", same(lambda u: b.neg(u))), rest="rest"),
         lambda s, rest: b.hadamard(*rest, s, b.sub(b.ONE, s))),
        examples=(("sigmoid(x) .* sigmoid(-x)", {}),),
    ),
    rule(
        "relu-times-step",
        "relu(u) .* step(u) = relu(u): the step is 1 wherever relu is nonzero",
        (some("hadamard", op("step", any_("u")), op("relu", any_("u"), name="r"),
              rest="rest"),
         lambda r, rest: b.hadamard(*rest, r)),
        examples=(("relu(x) .* step(x)", {}), ("y .* relu(x) .* step(x)", {})),
    ),
    rule(
        "sign-times-self-elementwise",
        "u .* sign(u) = abs(u) entry by entry",
        (some("hadamard", op("sign", any_("u")), any_("u"), rest="rest"),
         lambda u, rest: b.hadamard(*rest, b.func("abs", u))),
        examples=(("x .* sign(x)", {}), ("y .* sign(x) .* x", {})),
    ),
    rule(
        "step-power",
        "step(u).^k = step(u) for k > 0: a step is 0 or 1",
        (op("pow", op("step", name="s"), const(where=lambda k: k > 0)), lambda s: s),
        examples=(("step(x).^2", {}), ("y .* step(x).^3", {})),
    ),
    rule(
        "sigmoid-of-negative-in-sum",
        "sigmoid(-u) = 1 - sigmoid(u), used in a sum where sigmoid(u) appears too and the "
        "result is shorter (sigmoid(z) + sigmoid(-z) = 1)",
        (op("add", name="n"), sigmoid_of_negative_in_sum),
        examples=(("sigmoid(x) + sigmoid(-x)", {}), ("y .* sigmoid(x) + y .* sigmoid(-x)", {})),
        search="swaps every sigmoid(-u) whose sigmoid(u) is in some term, then compares sizes",
    ),
    rule(
        "softmax-from-logsumexp",
        "exp(z - logsumexp(z)) = softmax(z)",
        (op("exp", some("add", any_("z", where=column),
                        op("fill", same(lambda z: b.neg(b.logsumexp(z)))))),
         lambda z: b.softmax(z)),
        examples=(("exp(x - logsumexp(x))", {}),),
    ),
]
