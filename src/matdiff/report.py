"""The human-readable report of a derivative that the command line prints.

It names the function, the variables with their inferred kinds and sizes, the result,
what kind of result it is and in which layout, and, where there is no matrix form, the
differential and the index form instead.
"""

from __future__ import annotations

from .backends.text import to_text
from .diff.derivative import Derivative
from .errors import MatdiffError
from .ir import build as b
from .ir.dims import format_shape, is_scalar, kind_of
from .ir.node import Node, variables_in
from .ir.walk import substitute

LAYOUT_NOTE = {
    "numerator": "numerator layout (gradients have the variable's shape; Jacobians are m×n)",
    "denominator": "denominator layout (Jacobians are n×m, the transpose of numerator layout)",
}

FORM_NOTE = {
    "gradient": "gradient",
    "gradient_list": "gradient (by the listed scalars, stacked)",
    "by_scalar": "derivative by a scalar (the shape of the function)",
    "jacobian": "Jacobian",
    "kronecker": "Kronecker form M with vec(dF) = M*vec(dX)",
    "index": "index form (no closed matrix form)",
}


def describe_variables(nodes: list[Node]) -> str:
    seen = variables_in(nodes)
    parts = []
    for name in sorted(seen):
        v = seen[name]
        props = " " + " ".join(sorted(v.arg.props)) if v.arg.props else ""
        kind = kind_of(v.shape)
        size = "" if kind == "scalar" else f" {format_shape(v.shape)}"
        parts.append(f"{name}: {kind}{size}{props}")
    return ", ".join(parts)


def report(d: Derivative) -> str:
    names = ",".join(v.arg.name for v in d.wrt)
    order = "" if d.order == 1 else f"^{d.order}"
    shown = d.as_typed if d.as_typed is not None else d.function
    lines = [f"f = {to_text(shown)}", f"  where {describe_variables([d.function, *d.wrt])}"]
    head = f"d{order}f/d{names}{order}"
    if d.expr is not None:
        short, abbreviations = abbreviate(d.expr, set(variables_in([d.function])))
        lines.append(f"{head} = {to_text(short)}")
        for name, sub in abbreviations:
            lines.append(f"  where {name} = {to_text(sub)}")
        lines.append(f"  {describe_form(d)}, {LAYOUT_NOTE[d.layout]}")
        if d.structured:
            lines.append("  on the space of symmetric matrices (entries X_ij = X_ji move together)")
        elif any(v.arg.symmetric for v in d.wrt):
            lines.append("  unconstrained derivative (all entries independent); "
                         "--structured gives it on symmetric matrices")
    elif d.form == "zero":
        lines.append(f"{head} = 0")
        lines.append(f"  {d.note}")
    else:
        lines.append(f"{head}: no closed matrix form; given by its differential")
    if d.differentials and d.form in ("kronecker", "index"):
        lines.append(f"  differential: d{order}f = {to_text(d.differentials[-1])}")
        try:
            from .backends.index_form import index_form

            lines.append(f"  index form: {index_form(d)}")
        except MatdiffError as e:  # some structures (blocks) have no Einstein form here
            lines.append(f"  index form: not available ({e.message})")
    return "\n".join(lines)


def describe_form(d: Derivative) -> str:
    """What the result is, in words: a Hessian is not called a Jacobian."""
    scalar_f = is_scalar(d.function.shape)
    if d.order == 2 and scalar_f and d.form in ("jacobian", "gradient", "kronecker"):
        if d.form == "kronecker":
            return "Hessian in Kronecker form: d²f = vec(dX)'*H*vec(dX)"
        return "Hessian"
    return FORM_NOTE.get(d.form, d.form)


_SHORT_NAMES = ("s", "u", "v", "r", "q", "p", "g", "h")


def abbreviate(e: Node, taken: set[str], width: int = 60) -> tuple[Node, list[tuple[str, Node]]]:
    """A long result with its largest repeated subexpressions named: the logistic Hessian
    reads `X'*diag(y.^2 .* s .* (1 - s))*X` where s = sigmoid(-y .* (X*w)). Only for
    display: `str(d)` stays the whole, pasteable expression."""
    named: list[tuple[str, Node]] = []
    free = [n for n in _SHORT_NAMES if n not in taken]
    while len(to_text(e)) > width and free:
        counts: dict[Node, int] = {}
        stack = [e]
        while stack:  # occurrences in the tree, shared nodes counted each time they appear
            n = stack.pop()
            counts[n] = counts.get(n, 0) + 1
            stack.extend(n.children)
        repeated = [n for n, k in counts.items()
                    if k >= 2 and n.size >= 4 and n.op not in ("var", "const", "fill")]
        if not repeated:
            break
        best = max(repeated, key=lambda n: (n.size * counts[n], n.key))
        name = free.pop(0)
        stand_in = b.var(name, best.shape)
        e = _replace_node(e, best, stand_in)
        named.append((name, best))
    # Each definition in terms of the names chosen after it, smallest first:
    # u = tanh(W*x), then s = 1 - u.^2.
    out: list[tuple[str, Node]] = []
    for i, (name, sub) in enumerate(named):
        for later, node in named[i + 1 :]:
            sub = _replace_node(sub, node, b.var(later, node.shape))
        out.append((name, sub))
    return e, out[::-1]


def _replace_node(e: Node, target: Node, value: Node) -> Node:
    return substitute(e, {target: value}, b.rebuild)
