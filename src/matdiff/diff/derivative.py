"""The derivative engine: any function by any variable, any order, both layouts.

`take_derivative(f, wrt, order, layout, structured)` returns a `Derivative`:

- `form` says what was found: "gradient" (scalar f: G with df = tr(G'*dX), shape of X),
  "by_scalar" (f by a scalar t: M with df = M*dt, shape of f), "jacobian" (vector f by
  vector x: J with df = J*dx), "kronecker" (the rest: M with vec(dF) = M*vec(dX)), or
  "index" when no matrix form exists; the differential `df` is always there.
- `expr` is the simplified matrix form (None for "index").
- `evaluate(values)` follows the README's conventions for values (shape(f) + shape(wrt) in
  numerator layout, wrt axes first in denominator layout). Without a matrix form it
  evaluates the (multilinear) differential on basis directions, which is exact.

Orders above one differentiate the previous order's matrix form when it is a gradient
or a Jacobian (so the Hessian of a scalar by a vector is a matrix, and by a matrix a
Kronecker form); otherwise the k-th differential in index form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ..errors import DiffError, LimitError, MatdiffError, NoMatrixForm
from ..ir import build as b
from ..ir.dims import is_column, is_row, is_scalar
from ..ir.node import Node, dvar_key, variables_in
from ..ir.ops import Op
from ..ir.walk import substitute
from ..rewrite.driver import simplify
from .adjoint import adjoint, vec_jacobian, vec_size
from .differential import Step, differential

LAYOUTS = ("numerator", "denominator")
# Forms whose printed matrix is transposed in denominator layout (gradients keep the
# variable's shape in both).
DENOMINATOR_TRANSPOSED = ("jacobian", "by_scalar", "kronecker")


@dataclass
class Derivative:
    """A derivative matdiff found: what `matdiff.derivative` (and `grad`, `jacobian`,
    `hessian`) return.

    `str(d)` is the result in the input language (it pastes back in), `d.expr` the same
    as an expression node, `d.form` what it is ("gradient", "jacobian", "by_scalar",
    "kronecker", "index", "zero"), `d.differential` the differential df. A plain record:
    its printing and its methods (`evaluate`, `check`, `steps`, `to_code`, `to_latex`,
    `to_unicode`, `as_linear_operator`) live in the layers above and are attached to it
    by matdiff/results.py, so this module imports nothing above the engine.
    """

    function: Node
    wrt: tuple[Node, ...]
    order: int
    layout: str
    structured: bool
    form: str
    expr: Node | None
    differentials: tuple[Node, ...]  # d^k f, multilinear in dX_1..dX_k
    dvars: tuple[Node, ...]
    steps_trace: list[Step] = field(default_factory=list)
    note: str = ""
    # The function as typed, with variables free of symmetric/diagonal/orthogonal
    # properties (S' kept as S'): what the unconstrained derivative differentiates.
    as_typed: Node | None = None
    # Every variable the function was declared or written with, before simplification
    # removed any ((A - A)*x keeps A): their values bind sizes that f no longer carries.
    variables: tuple[Node, ...] = ()

    @property
    def differential(self) -> Node:
        """The first differential df, linear in dX (for a Hessian, the first of d^k f)."""
        return self.differentials[0]

    def name(self) -> str:
        """How the derivative is written: df/dx, d^2f/dw^2, d^2f/d(x1,x2)^2."""
        k = f"^{self.order}" if self.order > 1 else ""
        names = ",".join(v.arg.name for v in self.wrt)
        by = names if len(self.wrt) == 1 else f"({names})"
        return f"d{k}f/d{by}{k}"

    def __repr__(self) -> str:
        try:
            shown = str(self)
        except MatdiffError as e:  # repr never fails: a result too deep to print says so
            shown = f"({e.message})"
        return f"<Derivative {self.name()}: {shown}>"

    def at_order(self, k: int) -> Derivative:
        """The derivative of order k taken as this one was: the same function (as typed,
        for structured variables), variable, layout and structure. Generated code and
        checks use it for the lower orders, which must agree with this one's."""
        if k == self.order:
            return self
        return take_derivative(self.function, list(self.wrt), order=k, layout=self.layout,
                               structured=self.structured, as_typed=self.as_typed,
                               variables=self.variables)


def _first_order(f: Node, X: Node, dX: Node, trace: list[Step] | None) -> tuple[
    Node | None, str, Node | None
]:
    """(df, form, matrix form or None) for the first derivative of f by X."""
    df = differential(f, X, dX, trace)
    if df is None:
        zero_form = _zero_form(f, X)
        return None, zero_form[0], zero_form[1]
    try:
        form, M = _identify(f, X, df, dX)
        return df, form, M
    except NoMatrixForm:
        pass
    # The differential as built may hold a structure with no matrix form that the
    # rewrite rules remove (vec(U)'*kron(dX, A)*vec(V) is tr(U'*A*V*dX')): the printed
    # differential is the simplified one, so "no closed matrix form" must be its verdict.
    simpler = simplify(df)
    if simpler is not df:
        try:
            form, M = _identify(f, X, simpler, dX)
            return df, form, M
        except NoMatrixForm:
            pass
    return df, "index", None


def _identify(f: Node, X: Node, df: Node, dX: Node) -> tuple[str, Node]:
    """(form, matrix form) read off the differential df; NoMatrixForm where it has none."""
    if is_scalar(f.shape):
        return "gradient", adjoint(df, dX, b.ONE)
    if is_scalar(X.shape):
        return "by_scalar", _substitute(df, dX, b.ONE)
    M = vec_jacobian(df, dX)
    vector_f = is_column(f.shape) or is_row(f.shape)
    return ("jacobian" if vector_f and is_column(X.shape) else "kronecker"), M


def _zero_form(f: Node, X: Node) -> tuple[str, Node]:
    if is_scalar(f.shape):
        return "gradient", b.zeros(X.shape)
    if is_scalar(X.shape):
        return "by_scalar", b.zeros(f.shape)
    vector_f = is_column(f.shape) or is_row(f.shape)
    form = "jacobian" if vector_f and is_column(X.shape) else "kronecker"
    return form, b.zeros((vec_size(f), vec_size(X)))


def _substitute(expr: Node, target: Node, value: Node) -> Node:
    if target.op == Op.DVAR:
        key = dvar_key(target.arg)
        return substitute(expr, {target: value}, b.rebuild, keep=lambda n: key not in n.free)
    return substitute(expr, {target: value}, b.rebuild)


# Properties whose simplifications (X' = X, inv(Q) = Q') hold for the values of a variable
# but not along directions that leave the property's set: the derivative is taken with
# twins free of them and the result simplified with them afterwards.
STRUCTURE_PROPS = frozenset({"symmetric", "spd", "diagonal", "orthogonal"})


def unconstrained_twins(nodes: Sequence[Node]) -> dict[Node, Node]:
    found: dict[Node, Node] = {}
    stack = list(nodes)
    seen: set[int] = set()
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if n.op == Op.VAR and n.arg.props & STRUCTURE_PROPS:
            found[n] = b.var(n.arg.name, n.shape, n.arg.props - STRUCTURE_PROPS)
        stack.extend(n.children)
    return found


def replace_vars(expr: Node, mapping: dict[Node, Node]) -> Node:
    """expr with the variables in `mapping` replaced, rebuilt through the builders."""
    names = {v.arg.name for v in mapping}
    return substitute(expr, mapping, b.rebuild, keep=lambda n: not (n.free & names))


MAX_ORDER = 12


def take_derivative(
    f: Node,
    wrt: Sequence[Node],
    order: int = 1,
    layout: str = "numerator",
    structured: bool = False,
    as_typed: Node | None = None,
    variables: Sequence[Node] = (),
) -> Derivative:
    """The derivative of f by wrt. `as_typed` is f as written, built with variables free
    of structure properties: a declared symmetric S makes the builders read S' as S, which
    is right for values but not for the unconstrained derivative (d tr(S'*B)/dS is B).
    `variables` are those declared or written (the parser's), remembered with f's own."""
    known = variables_in([*variables, f, *wrt])
    result = _take_any(f, wrt, order, layout, structured, as_typed)
    return replace(result, variables=tuple(known[name] for name in sorted(known)))


def _take_any(f: Node, wrt: Sequence[Node], order: int, layout: str, structured: bool,
              as_typed: Node | None) -> Derivative:
    if layout not in LAYOUTS:
        raise DiffError(f"unknown layout {layout!r}", hint="use 'numerator' or 'denominator'")
    if order < 1:
        raise DiffError(f"order must be 1 or more, got {order}")
    if order > MAX_ORDER:
        raise LimitError(f"order {order} is above matdiff's limit of {MAX_ORDER}")
    if structured:
        _check_structured(f, wrt, order)
    if len(wrt) > 1:
        return _by_scalar_list(f, tuple(wrt), order, layout)
    twins = unconstrained_twins([f, *wrt])
    if twins:
        source = as_typed if as_typed is not None else replace_vars(f, twins)
        plain = _take(source, [twins.get(wrt[0], wrt[0])], order, layout, structured=False)
        back = {t: v for v, t in twins.items()}
        expr = plain.expr
        if expr is not None:
            expr = replace_vars(expr, back)
            if structured:
                expr = _structured(expr, wrt[0], plain.form)
            expr = simplify(expr)
        return replace(
            plain,
            function=f,
            wrt=tuple(wrt),
            structured=structured,
            expr=expr,
            differentials=tuple(simplify(replace_vars(dk, back)) for dk in plain.differentials),
            as_typed=source,
        )
    return _take(f, wrt, order, layout, structured)


def _take(
    f: Node, wrt: Sequence[Node], order: int, layout: str, structured: bool
) -> Derivative:
    (X,) = wrt
    trace: list[Step] = []
    dvars = tuple(b.dvar(X.arg.name, X.shape, k) for k in range(1, order + 1))
    diffs: list[Node] = []
    current: Node | None = f
    form = "index"
    expr: Node | None = None
    note = ""
    for k in range(order):
        current_f = current
        if current_f is None:
            break
        df, form, expr = _first_order(current_f, X, dvars[k], trace if k == 0 else None)
        if k + 1 < order and form not in ("gradient", "jacobian", "by_scalar"):
            expr = None  # the next order of a Kronecker form is given in index form
        current = expr
        if current is not None:
            current = simplify(current)
    # The differentials d^k f, always available (index form and exact evaluation).
    d_prev: Node | None = f
    for k in range(order):
        d_prev = differential(d_prev, X, dvars[k]) if d_prev is not None else None
        diffs.append(simplify(d_prev) if d_prev is not None else b.zeros(f.shape))
    zero = d_prev is None or b.is_zero(diffs[-1])
    if zero and (current is None or order >= 3):
        current = None
        form = "zero"
        note = f"the order-{order} derivative is zero"
    elif current is None and expr is None:
        form = "index"
        note = "no closed matrix form; the derivative is given by its differential (index form)"
    result = current
    if result is not None and structured:
        result = _structured(result, X, form)
    if result is not None and layout == "denominator" and form in DENOMINATOR_TRANSPOSED:
        result = b.transpose(result)
    if result is not None:
        result = simplify(result)
    return Derivative(
        function=f,
        wrt=(X,),
        order=order,
        layout=layout,
        structured=structured,
        form=form if result is not None or form == "zero" else "index",
        expr=result,
        differentials=tuple(diffs),
        dvars=dvars,
        steps_trace=trace,
        note=note,
    )


STRUCTURED_PROPS = frozenset({"symmetric", "spd", "diagonal"})


def _check_structured(f: Node, wrt: Sequence[Node], order: int) -> None:
    """A structured derivative is a gradient (scalar f, order 1) by a symmetric or
    diagonal matrix, whether or not it has a matrix form (without one, its values come
    from the differential on the structure's directions: backends/derivative_values.py)."""
    X = wrt[0]
    if len(wrt) > 1 or not X.arg.props & STRUCTURED_PROPS:
        name = X.arg.name if len(wrt) == 1 else ",".join(v.arg.name for v in wrt)
        raise DiffError(
            f"--structured needs a symmetric or diagonal variable; {name} is declared "
            "without such a property",
            hint=f"declare it, e.g. '{X.arg.name}: matrix n n symmetric'",
        )
    if order != 1 or not is_scalar(f.shape):
        raise DiffError("structured derivatives are given for scalar functions (gradients)")


def _structured(G: Node, X: Node, form: str) -> Node:
    props = X.arg.props
    if form != "gradient":
        raise DiffError("structured derivatives are given for scalar functions (gradients)")
    if "diagonal" in props:
        return b.diag(b.diag(G))
    if props & {"symmetric", "spd"}:
        # Cookbook (138): on symmetric matrices the entries X_ij = X_ji move together.
        return b.sub(b.add(G, b.transpose(G)), b.diag(b.diag(G)))
    raise DiffError(
        f"--structured needs a symmetric or diagonal variable; {X.arg.name} is declared "
        "without such a property",
        hint=f"declare it, e.g. '{X.arg.name}: matrix n n symmetric'",
    )


def _by_scalar_list(f: Node, wrt: tuple[Node, ...], order: int, layout: str) -> Derivative:
    for v in wrt:
        if not is_scalar(v.shape):
            raise DiffError(
                "a list of variables to differentiate by must all be scalars",
                hint=f"{v.arg.name} is not a scalar; differentiate by it alone",
            )
    if not (is_scalar(f.shape) or is_column(f.shape)):
        raise DiffError("by a list of scalars, the function must be a scalar or a vector")

    def partials(g: Node) -> list[Node]:
        out = []
        for v in wrt:
            dv = b.dvar(v.arg.name, v.shape)
            dg = differential(g, v, dv)
            out.append(b.zeros(g.shape) if dg is None else simplify(_substitute(dg, dv, b.ONE)))
        return out

    if is_scalar(f.shape):
        first = b.block([[p] for p in partials(f)])  # the gradient, a column
        expr = first
        form = "gradient_list"
        if order == 2:
            rows = [partials(p) for p in partials(f)]
            expr = b.block(rows)
            form = "jacobian"
        elif order > 2:
            raise DiffError("by a list of scalars, orders 1 and 2 are supported")
    else:
        if order != 1:
            raise DiffError("by a list of scalars, a vector function takes order 1")
        expr = _columns_to_block(partials(f))
        form = "jacobian"
    if layout == "denominator" and form == "jacobian":
        expr = b.transpose(expr)
    expr = simplify(expr)
    diffs, dvars = _list_differentials(f, wrt, order)
    return Derivative(f, wrt, order, layout, False, form, expr, diffs, dvars)


def _list_differentials(f: Node, wrt: tuple[Node, ...], order: int) -> tuple[
    tuple[Node, ...], tuple[Node, ...]
]:
    """d^k f by a list of scalars: the total differential, d(d^(k-1) f) summed over the
    variables, multilinear in dx_k (dvar (name, k)) for each variable x of the list."""
    diffs: list[Node] = []
    dvars: list[Node] = []
    current = f
    for k in range(1, order + 1):
        terms = []
        for v in wrt:
            dv = b.dvar(v.arg.name, v.shape, k)
            dvars.append(dv)
            part = differential(current, v, dv)
            if part is not None:
                terms.append(part)
        current = simplify(b.add(*terms)) if terms else b.zeros(f.shape)
        diffs.append(current)
    return tuple(diffs), tuple(dvars)


def _columns_to_block(cols: list[Node]) -> Node:
    # f = [f1; f2]: each column is a vector; split stacked blocks into a grid of entries.
    split = []
    for c in cols:
        if c.op == Op.BLOCK and c.arg[1] == 1:
            split.append(list(c.children))
        else:
            split.append([c])
    if all(len(s) == len(split[0]) for s in split):
        return b.block([[split[j][i] for j in range(len(split))] for i in range(len(split[0]))])
    return b.block([cols])

