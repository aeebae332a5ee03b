"""The human-readable report of a derivative that the command line prints.

It names the function, the variables with their inferred kinds and sizes, the result,
what kind of result it is and in which layout, and, where there is no matrix form, the
differential and the index form instead.
"""

from __future__ import annotations

from .backends.text import to_text
from .diff.derivative import Derivative
from .errors import MatdiffError
from .ir.dims import format_shape, is_scalar, kind_of
from .ir.node import Node, variables_in

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
        lines.append(f"{head} = {to_text(d.expr)}")
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
