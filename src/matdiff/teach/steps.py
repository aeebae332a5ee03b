"""Step-by-step derivations, in the style of the lesson, from the engine's own trace.

    d = matdiff.derivative("log(det(X))", wrt="X")
    der = derivation(d)
    print(der.text())      # or der.latex()

Contract: `derivation(d)` returns a `Derivation` (teach/derivation.py) of four sections:

1. differentials: the differential of each part, bottom-up, as the engine's rule table
   computed them (`Derivative.steps_trace`), each citing its rule (placeholders clear of
   the user's names, teach/shown.py) and Cookbook equation, with the rule applied before
   terms are collected where that differs (`d(x'*x) = dx'*x + x'*dx = 2*dx'*x`); then
   the differential of the whole function, tidied by named rewrite rules;
2. identification (teach/identify.py): each term of df in canonical form with the
   identity used and why, of the kind the engine decided (`Derivative.form`), then the
   theorem that reads the derivative off (df = tr(G'*dX) => df/dX = G, ...);
3. simplification: the named rewrite rules that bring the sum of contributions to the
   printed form; the declared properties (as the engine does, a symmetric, diagonal or
   orthogonal variable is differentiated as a property-free twin, and the property
   simplifies the result at the end: "G = inv(X)' = inv(X) [since X is symmetric]");
   the symmetric-structure and layout adjustments when asked for (denominator, strict);
4. the result (the engine's `Derivative.expr`).

Hessians (order 2) show the first-order derivation and then the differential of the
gradient: dg = H*dx, so d²f = dx'*H*dx; a scalar function's second derivative is called
its Hessian (by a matrix, in Kronecker form). `check_step` (teach/stepcheck.py) checks
one step numerically; the tests use it to check that the steps form a valid chain.
"""

from __future__ import annotations

from ..diff.derivative import (
    DENOMINATOR_TRANSPOSED,
    STRUCTURE_PROPS,
    Derivative,
    replace_vars,
    take_derivative,
    unconstrained_twins,
)
from ..diff.differential import Step, differential
from ..errors import MatdiffError, NoMatrixForm
from ..ir import build as b
from ..ir.dims import format_shape, is_scalar
from ..ir.node import Node, variables_in
from ..ir.ops import Op
from ..report import FORM_NOTE, describe_variables, layout_note
from ..rewrite.driver import simplify
from ..rewrite.equalities import EQUALITIES
from ..rewrite.rules import RULES as REWRITE_RULES
from ..strict_layout import STRICT, StrictDerivative, transposes
from .derivation import SECTION_TITLES, SECTIONS, Derivation, DerivationStep
from .identify import identification, split_terms, substitute
from .shown import applied, rule_text, show, show_transposed
from .stepcheck import check_step

__all__ = ["SECTIONS", "SECTION_TITLES", "Derivation", "DerivationStep", "check_step",
           "derivation", "split_terms", "substitute"]


# What each named rewrite says, for the note beside its step: the forward rules and the
# equalities the cost-based exploration may use (rewrite/equalities.py).
_DOCS = {r.name: r.doc for r in (*REWRITE_RULES, *EQUALITIES)}


def _simplification_steps(
    section: str, e: Node, where: str = ""
) -> tuple[list[DerivationStep], Node]:
    """Simplify e, returning a step per named rule used (on the whole expression where
    the rewritten part can be found in it) and the simplified expression."""
    trace: list[tuple[str, Node, Node]] = []
    out = simplify(e, trace=trace)
    steps: list[DerivationStep] = []
    current = e
    for name, before, after in trace:
        doc = _DOCS.get(name, "")
        replaced = substitute(current, before, after)
        if replaced is not current:
            steps.append(DerivationStep(section, name, current, replaced, "=", note=doc,
                                        label=where + show(current)))
            current = replaced
        else:
            steps.append(DerivationStep(section, name, before, after, "=", note=doc))
    if out is not current:
        steps.append(DerivationStep(
            section, "canonical form (builders: like terms collected, transposes on the "
            "leaves)", current, out, "=", label=where + show(current)))
    return steps, out


# ------------------------------------------------------------------------ derivation


def derivation(d: Derivative) -> Derivation:
    """The step-by-step derivation of `d` from the engine's trace."""
    try:
        return _derivation(d)
    except MatdiffError:
        raise
    except NoMatrixForm:
        raise
    except RecursionError as e:  # pragma: no cover - guarded by the parser's limits
        raise MatdiffError("the expression is too large to show step by step") from e


def _intro(d: Derivative) -> list[str]:
    names = ",".join(v.arg.name for v in d.wrt)
    order = "" if d.order == 1 else f" (order {d.order})"
    what = f"df/d{names}"
    if len(d.wrt) > 1:
        listed = ", ".join(v.arg.name for v in d.wrt)
        kind = "the Jacobian" if d.form == "jacobian" else "the gradient"
        what = f"{kind} df/d({names}), by the scalars {listed}"
    elif _is_hessian(d):
        what = f"the Hessian d²f/d{names}²"
    lines = [
        f"f = {show(d.function)}",
        f"  where {describe_variables([d.function, *d.wrt])}",
        f"Find {what}{order}; {layout_note(d)}.",
    ]
    X = d.wrt[0]
    if len(d.wrt) == 1 and X.op == Op.VAR and X.arg.props & STRUCTURE_PROPS:
        n = X.arg.name
        lines.append(
            f"{_property_phrase([X])}: f is differentiated with all entries of {n} "
            f"independent (a direction d{n} need not keep the property), and the result "
            "is simplified with the property at the end.")
    return lines


def _is_hessian(d: Derivative) -> bool:
    """A scalar function's second derivative (by one variable)."""
    return d.order == 2 and len(d.wrt) == 1 and is_scalar(d.function.shape)


_PROP_WORDS = {
    "spd": "symmetric positive definite",
    "symmetric": "symmetric",
    "diagonal": "diagonal",
    "orthogonal": "orthogonal",
}
_PROP_FACTS = {
    "spd": "{n}' = {n}",
    "symmetric": "{n}' = {n}",
    "diagonal": "{n}' = {n}, diag(diag({n})) = {n}",
    "orthogonal": "inv({n}) = {n}', {n}'*{n} = I",
}


def _property_phrase(variables: list[Node], facts: bool = False) -> str:
    """'X is symmetric' / 'A is symmetric and Q is orthogonal', optionally with the
    identities used ('X is symmetric (X' = X)')."""
    parts = []
    for v in sorted(variables, key=lambda v: v.arg.name):
        name = v.arg.name
        props = [p for p in ("spd", "symmetric", "diagonal", "orthogonal")
                 if p in v.arg.props & STRUCTURE_PROPS]
        if "spd" in props and "symmetric" in props:
            props.remove("symmetric")
        if not props:
            continue
        words = " and ".join(_PROP_WORDS[p] for p in props)
        part = f"{name} is {words}"
        if facts:
            part += " (" + "; ".join(_PROP_FACTS[p].format(n=name) for p in props) + ")"
        parts.append(part)
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _derivation(d: Derivative) -> Derivation:
    der = Derivation(d, intro=_intro(d))
    if len(d.wrt) > 1:
        _scalar_list(der, d)
        return der
    X = d.wrt[0]
    # As the engine does: variables with a structure (symmetric, diagonal, orthogonal)
    # are differentiated as property-free twins, and the property is used at the end.
    twins = unconstrained_twins([d.function, *d.wrt])
    f = replace_vars(d.function, twins) if twins else d.function
    X0 = twins.get(X, X)
    if d.order == 1:
        _first(der, f, X0, d.dvars[0] if d.dvars else b.dvar(X.arg.name, X.shape),
               d.steps_trace, d.form)
        last = _with_properties(der, twins)
        _finish(der, d, last)
        return der
    # Hessians and higher: the first-order derivation, then the differential of it.
    d1 = take_derivative(f, [X0], order=1, layout="numerator")
    _first(der, f, X0, d1.dvars[0], d1.steps_trace, d1.form)
    g = d1.expr
    if g is None or d.order > 2:
        der.steps.append(DerivationStep(
            "result", "higher order", None, d.differentials[-1], "=",
            label=f"d^{d.order}f = {show(d.differentials[-1])}"))
        _finish(der, d)
        return der
    der.steps.append(DerivationStep(
        "differentials", "second order: differentiate the first derivative again", None,
        g, "note", label=f"g = {show(g)}  (the first derivative, above)"))
    dX2 = d.dvars[1] if len(d.dvars) > 1 else b.dvar(X.arg.name, X.shape, 2)
    start = len(der.steps) - 1
    _first(der, g, X0, dX2, None, d.form, second=True)
    last = _with_properties(der, twins)
    for s in der.steps[start:]:
        s.stage = 2
    _finish(der, d, last)
    return der


def _last_equal(der: Derivation) -> Node | None:
    return next((s.rhs for s in reversed(der.steps) if s.relation == "="), None)


def _with_properties(der: Derivation, twins: dict[Node, Node]) -> Node | None:
    """The step that brings the declared properties back into the result of the
    property-free derivation ("inv(X)' = inv(X) since X is symmetric"), and the rule
    steps that simplify with them; the simplified result (None without one)."""
    last = _last_equal(der)
    if not twins or last is None:
        return last
    back = {t: v for v, t in twins.items()}
    used = [v for v in twins if v.arg.name in last.free]
    restored = replace_vars(last, back)
    final = simplify(restored)
    if show(final) == show(last):
        return final  # the properties change nothing in this result
    sym = next((s.label for s in reversed(der.steps)
                if s.relation == "=" and s.label in ("G", "J", "M", "H")), "")
    where = f"{sym} = " if sym else ""
    der.steps.append(DerivationStep(
        "simplification", "since " + _property_phrase(used, facts=True), last, restored,
        "=", label=where + show(last)))
    if restored is not final:
        steps, final = _simplification_steps("simplification", restored, where=where)
        der.steps.extend(steps)
    return final


def _differential_steps(
    der: Derivation, f: Node, X: Node, dX: Node, trace: list[Step] | None, fname: str
) -> Node | None:
    if trace is None:
        trace = []
        differential(f, X, dX, trace)
    elif not trace:
        differential(f, X, dX, trace)
    taken = set(variables_in([der.derivative.function, f]))
    found: dict[Node, Node] = {X: dX}
    for s in trace:
        found[s.expr] = s.result
        ds = [found.get(c) for c in s.expr.children]
        der.steps.append(DerivationStep(
            "differentials", rule_text(s.rule, taken, s.expr), s.expr, s.result, "d",
            cite=s.cite, dvar=dX, applied=applied(s.expr, s.expr.children, ds)))
    if not trace:
        der.steps.append(DerivationStep(
            "differentials", "f does not depend on " + X.arg.name, None, b.zeros(f.shape),
            "=", label=f"d{fname} = 0"))
        return None
    raw = trace[-1].result
    if trace[-1].expr is not f:  # a shared root differentiated earlier
        again = differential(f, X, dX)
        if again is None:
            return None
        raw = again
    steps, df = _simplification_steps("differentials", raw, where=f"d{fname} = ")
    der.steps.extend(steps)
    der.steps.append(DerivationStep("differentials", "the differential of the whole "
                                    "function", None, df, "=", label=f"d{fname}", dvar=dX))
    return df


def _first(
    der: Derivation, f: Node, X: Node, dX: Node, trace: list[Step] | None, form: str,
    second: bool = False,
) -> None:
    """The differentials and the identification of one order; `form` is the engine's
    decision of what the derivative is (gradient, jacobian, kronecker, by_scalar)."""
    fname = "g" if second else "f"
    df = _differential_steps(der, f, X, dX, trace, fname)
    if df is None:
        return
    found = identification(der, df, X, dX, form, fname, second)
    if found is None:
        return
    sym, total = found
    steps, _ = _simplification_steps("simplification", total, where=f"{sym} = ")
    der.steps.extend(steps)


def _finish(der: Derivation, d: Derivative, last: Node | None = None) -> None:
    if last is None:
        last = _last_equal(der)
    if d.structured and d.expr is not None and d.order == 1:
        X = d.wrt[0]
        n = X.arg.name
        G = last if last is not None else d.expr
        if "diagonal" in X.arg.props:
            S = b.diag(b.diag(G))
            rule = f"diagonal {n}: only the diagonal entries vary, diag(diag(G))"
        else:
            S = b.sub(b.add(G, b.transpose(G)), b.diag(b.diag(G)))
            rule = (f"symmetric {n}: entries {n}_ij = {n}_ji move together, G + G' - "
                    "diag(diag(G))")
        der.steps.append(DerivationStep("simplification", rule, G, S, "note",
                                        cite="Cookbook (138)",
                                        label=f"structured = {show(S)}"))
        last = S
    last = _layout_step(der, d, last)
    if d.expr is not None:
        if last is not None and last is not d.expr and d.order == 1 and not d.structured \
                and d.layout == "numerator":
            der.steps.append(DerivationStep("simplification", "the printed form", last,
                                            d.expr, "="))
        names = ",".join(v.arg.name for v in d.wrt)
        order = "" if d.order == 1 else f"^{d.order}"
        form_note = FORM_NOTE.get(d.form, d.form)
        if _is_hessian(d):
            form_note = ("Hessian (Kronecker form M with vec(dG) = M*vec(dX), G the "
                         "gradient)" if d.form == "kronecker" else "Hessian")
        der.steps.append(DerivationStep(
            "result", form_note + f", {format_shape(d.expr.shape)}",
            None, d.expr, "=", label=f"d{order}f/d{names}{order}"))
    else:
        der.steps.append(DerivationStep(
            "result", "index form", None, d.differentials[-1], "=",
            label=f"d{'^' + str(d.order) if d.order > 1 else ''}f"))
    if d.note:
        der.conclusion.append(d.note)
    if any(v.arg.symmetric for v in d.wrt) and not d.structured and d.order == 1:
        der.conclusion.append(
            "This is the unconstrained derivative (all entries independent); with "
            "--structured, the derivative on symmetric matrices, G + G' - diag(diag(G)).")


def _layout_step(der: Derivation, d: Derivative, last: Node | None) -> Node | None:
    """The step from the numerator-layout derivative to the layout asked for."""
    if last is None:
        return last
    if d.layout == "denominator" and d.form in DENOMINATOR_TRANSPOSED:
        rule = "denominator layout: the transpose of the numerator-layout derivative"
    elif d.layout == STRICT and isinstance(d, StrictDerivative) and d.numerator is not None \
            and transposes(d.numerator):
        rule = ("strict numerator layout (most textbooks' tables): the gradient is written "
                "as its transpose, a row for a vector")
    else:
        return last
    t = b.transpose(last)
    der.steps.append(DerivationStep("simplification", rule, last, t, "note",
                                    label=_transpose_label(last, t)))
    return t


def _transpose_label(last: Node, t: Node) -> str:
    """((A + A')*x)' = x'*(A + A'); for a leaf, the transpose of A is A'."""
    written = show_transposed(last)
    if written == show(t):
        return f"the transpose of {show(last)} is {written}"
    return f"{written} = {show(t)}"


def _scalar_list(der: Derivation, d: Derivative) -> None:
    """By a list of scalars: one column (or entry) of partial derivatives per scalar."""
    f = d.function
    for v in d.wrt:
        dv = b.dvar(v.arg.name, v.shape)
        der.steps.append(DerivationStep("differentials", f"partial derivatives by "
                                        f"{v.arg.name} (the others held fixed)", None, f,
                                        "note", label=f"∂f/∂{v.arg.name}:"))
        trace: list[Step] = []
        df = differential(f, v, dv, trace)
        taken = set(variables_in([f]))
        found: dict[Node, Node] = {v: dv}
        for s in trace:
            found[s.expr] = s.result
            ds = [found.get(c) for c in s.expr.children]
            der.steps.append(DerivationStep(
                "differentials", rule_text(s.rule, taken, s.expr), s.expr, s.result, "d",
                cite=s.cite, dvar=dv, applied=applied(s.expr, s.expr.children, ds)))
        part = b.zeros(f.shape) if df is None else simplify(substitute(df, dv, b.ONE))
        der.steps.append(DerivationStep(
            "identification", f"df = (∂f/∂{v.arg.name})*d{v.arg.name}: set "
            f"d{v.arg.name} = 1", df if df is not None else None, part, "by_scalar",
            label=f"df (by {v.arg.name}) = {show(df) if df is not None else '0'}",
            dvar=dv, name=f"∂f/∂{v.arg.name}"))
    rule = ("stack the partial derivatives: J[i, j] = ∂f_i/∂x_j (rows: the function's "
            "entries, columns: the variables)" if d.form == "jacobian" else
            "stack the partial derivatives into the gradient (a column)")
    if d.layout == "denominator" and d.form == "jacobian":
        rule += "; denominator layout transposes it"
    if d.layout == STRICT and d.form == "gradient_list":
        rule += "; strict numerator layout writes it as a row (its transpose)"
    label = "df/d(" + ",".join(v.arg.name for v in d.wrt) + ")"
    if d.expr is None:
        der.steps.append(DerivationStep("result", "index form", None, d.differentials[-1],
                                        "=", label="df"))
        return
    der.steps.append(DerivationStep("result", rule, None, d.expr, "=", label=label))


def _steps_method(d: Derivative) -> Derivation:
    """The derivation step by step (`.text()`, `.latex()`), from the engine's trace."""
    return derivation(d)


# `d.steps()`: the result record is plain data in the engine; teaching, a layer above,
# gives it this method when it is imported (matdiff/__init__.py imports this module).
Derivative.steps = _steps_method  # type: ignore[attr-defined]
