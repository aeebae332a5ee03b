"""Step-by-step derivations, in the style of the lesson, from the engine's own trace.

    d = matdiff.derivative("log(det(X))", wrt="X")
    der = derivation(d)
    print(der.text())      # or der.latex()

A `Derivation` has four sections, each a list of `DerivationStep`:

1. differentials: the differential of each part, bottom-up, as the engine's rule table
   computed them (`Derivative.steps_trace`), each naming its rule and Cookbook equation;
   then the differential of the whole function, tidied by named rewrite rules;
2. identification: each term of df brought into the canonical form by the trace tricks
   (cyclic property, tr(M') = tr(M), M .* dX moving across the inner product), giving
   its contribution G_i with term = tr(G_i'*dX) (or J_i*dx for a Jacobian, ...), then
   the first identification theorem: df = tr(G'*dX) => df/dX = G;
3. simplification: the named rewrite rules that bring the sum of contributions to the
   printed form; the declared properties (as the engine does, a symmetric, diagonal or
   orthogonal variable is differentiated as a property-free twin, and the property
   simplifies the result at the end: "G = inv(X)' = inv(X) [since X is symmetric]");
   and the symmetric-structure and layout adjustments when asked for;
4. the result (the engine's `Derivative.expr`).

Every step carries the nodes it relates and how (`relation`): "d" (rhs is the
differential of lhs), "=" (rhs equals lhs), "identify" (lhs, linear in dX, equals
sum(rhs .* dX), i.e. tr(rhs'*dX)), "jacobian" (vec(lhs) = rhs*vec(dX)), "by_scalar"
(lhs = rhs*dt). `check_step(step, values)` checks one numerically; the tests use it to
check that the steps form a valid chain.

Hessians (order 2) show the first-order derivation and then the differential of the
gradient: dg = H*dx, so d²f = dx'*H*dx; a scalar function's second derivative is called
its Hessian (by a matrix, in Kronecker form).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..backends.text import to_text
from ..diff.adjoint import adjoint, vec_jacobian
from ..diff.derivative import (
    STRUCTURE_PROPS,
    Derivative,
    replace_vars,
    take_derivative,
    unconstrained_twins,
)
from ..diff.differential import Step, differential
from ..errors import MatdiffError, NoMatrixForm
from ..ir import build as b
from ..ir.dims import format_shape, is_column, is_row, is_scalar
from ..ir.node import Node, dvar_key
from ..ir.walk import substitute as replace_nodes
from ..rewrite.driver import simplify

SECTIONS = ("differentials", "identification", "simplification", "result")

SECTION_TITLES = {
    "differentials": "1. Differentials of the parts (rule table, bottom-up)",
    "identification": "2. Identification: bring df into canonical form",
    "simplification": "3. Simplification",
    "result": "Result",
}


@dataclass
class DerivationStep:
    section: str
    rule: str  # the rule's name or formula, as shown
    lhs: Node | None
    rhs: Node
    relation: str  # "d", "=", "identify", "jacobian", "by_scalar", "note"
    cite: str = ""
    note: str = ""
    label: str = ""  # how the left side is written, e.g. "df" or "tr(G1'*dX)"
    dvar: Node | None = None  # the differential the step is linear in, where it matters
    name: str = ""  # the symbol the identification step defines (G1, J, ...)
    stage: int = 1  # 2 for the second-order part of a Hessian

    def text(self) -> str:
        lhs = to_text(self.lhs) if self.lhs is not None else ""
        left = self.label or lhs
        if self.relation == "d":
            body = f"d({lhs}) = {to_text(self.rhs)}"
        elif self.relation == "note":
            body = self.label
        elif self.relation in ("identify", "jacobian", "by_scalar"):
            body = f"{left}   ⇒   {self.note_symbol()} = {to_text(self.rhs)}"
        else:
            body = f"{left} = {to_text(self.rhs)}" if left else f"= {to_text(self.rhs)}"
        why = self.rule + (f"; {self.cite}" if self.cite else "")
        extra = f"\n        ({self.note})" if self.note else ""
        return f"    {body}\n        [{why}]{extra}" if why else f"    {body}{extra}"

    def note_symbol(self) -> str:
        return self.name or {"identify": "G", "jacobian": "J", "by_scalar": "M"}.get(
            self.relation, "")


@dataclass
class Derivation:
    derivative: Derivative
    steps: list[DerivationStep] = field(default_factory=list)
    intro: list[str] = field(default_factory=list)
    conclusion: list[str] = field(default_factory=list)

    @property
    def result(self) -> Node | None:
        return self.derivative.expr

    def section(self, name: str, stage: int | None = None) -> list[DerivationStep]:
        return [s for s in self.steps
                if s.section == name and (stage is None or s.stage == stage)]

    def _groups(self) -> list[tuple[str, list[DerivationStep]]]:
        out = []
        stages = sorted({s.stage for s in self.steps})
        for stage in stages:
            for sec in SECTIONS[:-1]:
                steps = self.section(sec, stage)
                if steps:
                    title = SECTION_TITLES[sec]
                    if len(stages) > 1 and sec != "result":
                        if stage == 2:
                            title = title.replace("df", "dg")
                        title = ("First order: " if stage == 1 else
                                 "Second order (differentiate g again): ") + title
                    out.append((title, steps))
        if self.section("result"):
            out.append((SECTION_TITLES["result"], self.section("result")))
        return out

    def text(self) -> str:
        lines = list(self.intro)
        for title, steps in self._groups():
            lines.append("")
            lines.append(title)
            lines.extend(s.text() for s in steps)
        if self.conclusion:
            lines.append("")
            lines.extend(self.conclusion)
        return "\n".join(lines)

    def latex(self) -> str:
        tex = _latex_printer()
        rows = []
        for line in self.intro:
            rows.append(r"\text{" + _tex_escape(line.strip()) + r"}")
        for title, steps in self._groups():
            rows.append(r"&\textbf{" + _tex_escape(title) + "}")
            for s in steps:
                why = _tex_escape(s.rule + (f"; {s.cite}" if s.cite else ""))
                if s.relation == "d":
                    row = rf"d\left({tex(s.lhs)}\right) &= {tex(s.rhs)}"
                elif s.relation == "note":
                    row = r"&\text{" + _tex_escape(s.label) + "}"
                elif s.relation in ("identify", "jacobian", "by_scalar"):
                    left = tex(s.lhs) if s.lhs is not None else ""
                    sym = _tex_escape(s.note_symbol())
                    row = rf"{left} &\Rightarrow \text{{{sym}}} = {tex(s.rhs)}"
                else:
                    left = (tex(s.lhs) if s.lhs is not None else
                            r"\text{" + _tex_escape(s.label) + "}" if s.label else "")
                    row = rf"{left} &= {tex(s.rhs)}"
                rows.append(row + r" && \text{" + why + "}")
        for line in self.conclusion:
            rows.append(r"\text{" + _tex_escape(line.strip()) + r"}")
        return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"


def _tex_escape(s: str) -> str:
    out = s
    for a, c in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("&", r"\&"), ("%", r"\%"),
                 ("#", r"\#"), ("$", r"\$"), ("{", r"\{"), ("}", r"\}"), ("^", r"\^{}")):
        out = out.replace(a, c)
    return out


def _latex_printer():
    """`matdiff.backends.latex.to_latex` when it exists, else text in \\texttt."""
    try:
        from ..backends.latex import to_latex  # type: ignore[import-not-found]
    except ImportError:
        to_latex = None

    def tex(n: Node) -> str:
        if to_latex is not None:
            try:
                return to_latex(n)
            except Exception:  # a node the LaTeX printer does not know (dX, K)
                pass
        return r"\texttt{" + _tex_escape(to_text(n)) + "}"

    return tex


# --------------------------------------------------------------------------- helpers


def substitute(expr: Node, target: Node, value: Node) -> Node:
    """expr with every occurrence of `target` (by identity) replaced by `value`."""
    return replace_nodes(expr, {target: value}, b.rebuild)


def split_terms(L: Node) -> tuple[list[Node], bool]:
    """The additive terms of a differential, distributing tr, sum and scalar factors
    over sums (tr(A + B) = tr(A) + tr(B)); and whether any distribution happened."""
    out: list[Node] = []
    split = False
    stack = [L]
    while stack:
        n = stack.pop(0)
        if n.op == "add":
            stack[0:0] = list(n.children)
            continue
        if n.op in ("tr", "sum") and n.children[0].op == "add":
            split = True
            build = b.tr if n.op == "tr" else b.sum_
            stack[0:0] = [build(t) for t in n.children[0].children]
            continue
        out.append(n)
    return out, split


def _path_ops(term: Node, key: str) -> list[tuple[Node, int]]:
    """The nodes from the root to the differential, with the child index taken."""
    path: list[tuple[Node, int]] = []
    n = term
    while n.op != "dvar":
        idx = [i for i, c in enumerate(n.children) if key in c.free]
        if len(idx) != 1:
            break
        path.append((n, idx[0]))
        n = n.children[idx[0]]
    return path


def _tricks(term: Node, dX: Node, kind: str) -> str:
    """The trace tricks that bring one term into canonical form, in words."""
    key = dvar_key(dX.arg)
    path = _path_ops(term, key)
    said: list[str] = []

    def say(s: str) -> None:
        if s not in said:
            said.append(s)

    matrix_var = not (is_column(dX.shape) or is_row(dX.shape) or is_scalar(dX.shape))
    transposed = any(n.op == "transpose" for n, _ in path)
    for node, i in path:
        op = node.op
        if kind != "identify":
            if op == "matmul":
                say("read off the factor multiplying the differential: A*dx -> A "
                    "(vec(A*dX*B) = kron(B', A)*vec(dX) for matrices)")
            elif op == "transpose":
                say("vec(dX') = K*vec(dX) (commutation matrix); for vectors dx' = dx")
            elif op == "hadamard":
                say("an elementwise product is a diagonal matrix: v .* dx = diag(v)*dx")
            elif op == "mul":
                say("scalar factors move out (linearity)")
            elif op == "sum":
                say("sum(v) = ones'*v")
            elif op == "diag":
                say("diag(dx) = the matrix with dx on its diagonal")
            continue
        if op == "mul":
            say("scalar factors move out (linearity)")
        elif op == "tr":
            chain = node.children[0]
            if chain.op == "matmul":
                ci = [j for j, c in enumerate(chain.children) if key in c.free][0]
                if ci < len(chain.children) - 1:
                    say("cyclic property of the trace: tr(A*dX*B) = tr(B*A*dX)")
            if transposed:
                say("a trace equals the trace of the transpose: tr(M') = tr(M)")
            say("tr(M*dX) = tr((M')'*dX) is the inner product of M' with dX, so G = M' "
                "(this transpose is why d tr(A*X)/dX = A')")
        elif op == "matmul" and not matrix_var:
            if i == 0 or transposed:
                say("a scalar equals its transpose: dx'*a = a'*dx")
            if i > 0:
                say("the factors in front of dx form g' in g'*dx, so g is their transpose")
        elif op == "hadamard":
            say("the elementwise product moves across the inner product: "
                "sum(A .* (M .* dX)) = sum((A .* M) .* dX)")
        elif op == "sum":
            say("sum(M) = tr(ones'*M): the sum is the inner product with ones")
        elif op == "diag":
            say("diag moves across the inner product (diag(dx) <-> diag(G))")
    if not said:
        say("already in the form tr(G'*dX)" if matrix_var else "already in the form g'*dx")
    return "; ".join(said)


def _inner_label(G_name: str, dX: Node) -> str:
    dx = to_text(dX)
    if is_scalar(dX.shape):
        return f"{G_name}*{dx}"
    if is_column(dX.shape):
        return f"{G_name}'*{dx}"
    return f"tr({G_name}'*{dx})"


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
        from ..rewrite.rules import RULES

        doc = next((r.doc for r in RULES if r.name == name), "")
        replaced = substitute(current, before, after)
        if replaced is not current:
            steps.append(DerivationStep(section, name, current, replaced, "=", note=doc,
                                        label=where + to_text(current)))
            current = replaced
        else:
            steps.append(DerivationStep(section, name, before, after, "=", note=doc))
    if out is not current:
        steps.append(DerivationStep(
            section, "canonical form (builders: like terms collected, transposes on the "
            "leaves)", current, out, "=", label=where + to_text(current)))
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
    from ..report import LAYOUT_NOTE, describe_variables

    names = ",".join(v.arg.name for v in d.wrt)
    order = "" if d.order == 1 else f" (order {d.order})"
    what = f"df/d{names}"
    if _is_hessian(d):
        what = f"the Hessian d²f/d{names}²"
    lines = [
        f"f = {to_text(d.function)}",
        f"  where {describe_variables([d.function, *d.wrt])}",
        f"Find {what}{order}; {LAYOUT_NOTE[d.layout]}.",
    ]
    X = d.wrt[0]
    if len(d.wrt) == 1 and X.op == "var" and X.arg.props & STRUCTURE_PROPS:
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
               d.steps_trace, d)
        last = _with_properties(der, twins)
        _finish(der, d, last)
        return der
    # Hessians and higher: the first-order derivation, then the differential of it.
    d1 = take_derivative(f, [X0], order=1, layout="numerator")
    _first(der, f, X0, d1.dvars[0], d1.steps_trace, d1)
    g = d1.expr
    if g is None or d.order > 2:
        der.steps.append(DerivationStep(
            "result", "higher order", None, d.differentials[-1], "=",
            label=f"d^{d.order}f = {to_text(d.differentials[-1])}"))
        _finish(der, d)
        return der
    der.steps.append(DerivationStep(
        "differentials", "second order: differentiate the first derivative again", None,
        g, "note", label=f"g = {to_text(g)}  (the first derivative, above)"))
    dX2 = d.dvars[1] if len(d.dvars) > 1 else b.dvar(X.arg.name, X.shape, 2)
    start = len(der.steps) - 1
    _first(der, g, X0, dX2, None, d, second=True)
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
    if to_text(final) == to_text(last):
        return final  # the properties change nothing in this result
    sym = next((s.label for s in reversed(der.steps)
                if s.relation == "=" and s.label in ("G", "J", "M", "H")), "")
    where = f"{sym} = " if sym else ""
    der.steps.append(DerivationStep(
        "simplification", "since " + _property_phrase(used, facts=True), last, restored,
        "=", label=where + to_text(last)))
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
    for s in trace:
        der.steps.append(DerivationStep("differentials", s.rule, s.expr, s.result, "d",
                                        cite=s.cite, dvar=dX))
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
    der: Derivation, f: Node, X: Node, dX: Node, trace: list[Step] | None, d: Derivative,
    second: bool = False,
) -> None:
    fname = "g" if second else "f"
    df = _differential_steps(der, f, X, dX, trace, fname)
    if df is None:
        return
    terms, split = split_terms(df)
    if split:
        der.steps.append(DerivationStep(
            "identification", "linearity of the trace: tr(A + B) = tr(A) + tr(B)", df,
            b.add(*terms), "=", label=f"d{fname} = {to_text(df)}"))
    if is_scalar(f.shape):
        kind = "identify"
    elif is_scalar(X.shape):
        kind = "by_scalar"
    else:
        kind = "jacobian"
    contributions: list[Node] = []
    sym = {"identify": "G", "jacobian": "J", "by_scalar": "M"}[kind]
    if kind == "jacobian" and not (is_column(f.shape) and is_column(X.shape)):
        sym = "M"
    elif kind == "jacobian" and second:
        sym = "H"
    try:
        for i, t in enumerate(terms, 1):
            name = sym
            name += str(i) if len(terms) > 1 else ""
            if kind == "identify":
                c = adjoint(t, dX, b.ONE)
                label = f"{to_text(t)} = {_inner_label(name, dX)}"
            elif kind == "by_scalar":
                c = substitute(t, dX, b.ONE)
                label = f"{to_text(t)} = {name}*{to_text(dX)}"
            else:
                c = vec_jacobian(t, dX)
                vec_l = (to_text(t) if is_column(t.shape) else f"vec({to_text(t)})")
                vec_r = (to_text(dX) if is_column(dX.shape) else f"vec({to_text(dX)})")
                label = f"{vec_l} = {name}*{vec_r}"
            contributions.append(c)
            der.steps.append(DerivationStep(
                "identification", _tricks(t, dX, kind), t, c, kind, label=label, dvar=dX,
                name=name))
    except NoMatrixForm as e:
        der.steps.append(DerivationStep(
            "identification", "no closed matrix form", None, df, "note",
            label=f"{e.message}; the derivative is given by its differential (index form)"))
        return
    total = b.add(*contributions)
    if kind == "identify":
        theorem = (f"first identification theorem: d{fname} = {_inner_label(sym, dX)} "
                   f"⇒ ∂{fname}/∂{X.arg.name} = {sym}")
        if len(terms) > 1:
            theorem += f" = {' + '.join(sym + str(i) for i in range(1, len(terms) + 1))}"
    elif kind == "jacobian":
        if second and is_column(X.shape):
            theorem = (f"d{fname} = H*d{X.arg.name} ⇒ the Hessian H = ∂g/∂{X.arg.name}, "
                       f"and d²f = d{X.arg.name}'*H*d{X.arg.name}")
        elif is_column(f.shape) and is_column(X.shape):
            theorem = f"d{fname} = J*d{X.arg.name} ⇒ the Jacobian ∂{fname}/∂{X.arg.name} = J"
        elif second and is_scalar(der.derivative.function.shape):
            theorem = (f"vec(d{fname}) = M*vec(d{X.arg.name}) ⇒ the Hessian (Kronecker "
                       f"form) is M, and d²f = vec(d{X.arg.name})'*M*vec(d{X.arg.name})")
        else:
            theorem = (f"vec(d{fname}) = M*vec(d{X.arg.name}) ⇒ the derivative (Kronecker "
                       "form) is M")
    else:
        theorem = f"d{fname} = M*d{X.arg.name} ⇒ d{fname}/d{X.arg.name} = M"
    der.steps.append(DerivationStep("identification", theorem, None, total, "=",
                                    label=sym))
    steps, _ = _simplification_steps("simplification", total, where=f"{sym} = ")
    der.steps.extend(steps)


def _finish(der: Derivation, d: Derivative, last: Node | None = None) -> None:
    if last is None:
        last = _last_equal(der)
    if d.structured and d.expr is not None and d.order == 1:
        X = d.wrt[0]
        G = last if last is not None else d.expr
        if "diagonal" in X.arg.props:
            S = b.diag(b.diag(G))
            rule = "diagonal X: only the diagonal entries vary, diag(diag(G))"
        else:
            S = b.sub(b.add(G, b.transpose(G)), b.diag(b.diag(G)))
            rule = ("symmetric X: entries X_ij = X_ji move together, G + G' - "
                    "diag(diag(G))")
        der.steps.append(DerivationStep("simplification", rule, G, S, "note",
                                        cite="Cookbook (138)",
                                        label=f"structured = {to_text(S)}"))
        last = S
    if d.layout == "denominator" and d.form in ("jacobian", "by_scalar") and last is not None:
        der.steps.append(DerivationStep(
            "simplification", "denominator layout: the transpose of the numerator-layout "
            "derivative", last, b.transpose(last), "note",
            label=f"({to_text(last)})' = {to_text(b.transpose(last))}"))
        last = b.transpose(last)
    if d.expr is not None:
        if last is not None and last is not d.expr and d.order == 1 and not d.structured \
                and d.layout == "numerator":
            der.steps.append(DerivationStep("simplification", "the printed form", last,
                                            d.expr, "="))
        names = ",".join(v.arg.name for v in d.wrt)
        order = "" if d.order == 1 else f"^{d.order}"
        from ..report import FORM_NOTE

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
        for s in trace:
            der.steps.append(DerivationStep("differentials", s.rule, s.expr, s.result, "d",
                                            cite=s.cite, dvar=dv))
        part = b.zeros(f.shape) if df is None else simplify(substitute(df, dv, b.ONE))
        der.steps.append(DerivationStep(
            "identification", f"df = (∂f/∂{v.arg.name})*d{v.arg.name}: set "
            f"d{v.arg.name} = 1", df if df is not None else None, part, "by_scalar",
            label=f"df (by {v.arg.name}) = {to_text(df) if df is not None else '0'}",
            dvar=dv, name=f"∂f/∂{v.arg.name}"))
    rule = ("stack the partial derivatives: J[i, j] = ∂f_i/∂x_j (rows: the function's "
            "entries, columns: the variables)" if d.form == "jacobian" else
            "stack the partial derivatives into the gradient (a column)")
    if d.layout == "denominator" and d.form == "jacobian":
        rule += "; denominator layout transposes it"
    label = "df/d(" + ",".join(v.arg.name for v in d.wrt) + ")"
    if d.expr is None:
        der.steps.append(DerivationStep("result", "index form", None, d.differentials[-1],
                                        "=", label="df"))
        return
    der.steps.append(DerivationStep("result", rule, None, d.expr, "=", label=label))


# ----------------------------------------------------------------- numerical checks


def check_step(step: DerivationStep, values: Mapping[str, Any], h: float = 1e-6,
               rtol: float = 1e-5) -> bool:
    """Whether one step holds numerically at `values` (variables and differentials)."""
    from ..backends.evaluate import evaluate

    if step.relation == "note" or step.lhs is None:
        return True
    if step.relation == "=":
        return _close(evaluate(step.lhs, values), evaluate(step.rhs, values), rtol)
    dX = step.dvar
    if dX is None:
        return True
    key = dvar_key(dX.arg)
    dval = np.asarray(_internal(values[key]))
    if step.relation == "d":
        name = dX.arg[0]
        x0 = np.asarray(_internal(values[name]))
        plus = dict(values)
        minus = dict(values)
        plus[name] = _like(values[name], x0 + h * dval)
        minus[name] = _like(values[name], x0 - h * dval)
        from ..backends.evaluate import evaluate as ev

        fd = (ev(step.lhs, plus, check_props=False) - ev(step.lhs, minus, check_props=False))
        fd = fd / (2 * h)
        return _close(fd, evaluate(step.rhs, values), max(rtol, 1e-4))
    lhs = evaluate(step.lhs, values)
    rhs = evaluate(step.rhs, values)
    if step.relation == "identify":
        return _close(lhs, np.array([[np.sum(rhs * dval.reshape(rhs.shape))]]), rtol)
    if step.relation == "by_scalar":
        return _close(lhs, rhs * float(dval.reshape(-1)[0]), rtol)
    if step.relation == "jacobian":
        vec = dval.reshape(-1, order="F")
        return _close(lhs.reshape(-1, order="F"), rhs @ vec, rtol)
    return True


def _internal(v: Any) -> np.ndarray:
    a = np.asarray(v, dtype=float)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(-1, 1)
    return a


def _like(original: Any, a: np.ndarray) -> Any:
    o = np.asarray(original)
    if o.ndim == 0:
        return float(a.reshape(-1)[0])
    return a.reshape(o.shape)


def _close(a: Any, c: Any, rtol: float) -> bool:
    a = np.asarray(a, dtype=float)
    c = np.asarray(c, dtype=float)
    if a.size != c.size:
        return False
    a = a.reshape(-1)
    c = c.reshape(-1)
    scale = max(1.0, float(np.max(np.abs(c))) if c.size else 1.0)
    return bool(np.allclose(a, c, rtol=rtol, atol=rtol * scale))


def steps_text(d: Derivative) -> str:
    return derivation(d).text()
