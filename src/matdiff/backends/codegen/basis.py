"""Generated code, orders without a usable matrix form: the k-th derivative from the k-th
differential on every combination of basis directions of the variable.

Contract: `by_basis(d, em, sizes)` emits, through the Emitter `em`, the code of d's
k-th derivative computed from L = `d.differentials[-1]`, multilinear in `d.dvars`
(dX_1, ..., dX_k): one nested loop per dX_j over the basis directions of X (the
structure's directions for `structured` results: symmetric pairs, or the diagonal),
each node of L computed in the outermost loop whose directions it depends on. Exact,
not a finite difference; its cost grows as size(X)**k. The result is laid out as
`Derivative.evaluate` lays it out (numerator: shape(f) + shape(X) * k; denominator:
X's axes first), and its code is returned. A zero differential gives zeros of that shape.
"""

from __future__ import annotations

from collections.abc import Callable

from ...diff.derivative import Derivative
from ...ir.dims import dim_mul, user_shape
from ...ir.node import Node, dvar_key
from ...ir.ops import Op
from ..evaluate import walk
from ..text import to_text
from .emit import Emitter, kind
from .inputs import Sizes
from .outputs import to_denominator, tuple_code


def by_basis(d: Derivative, em: Emitter, sizes: Sizes) -> str:
    """The k-th derivative from the k-th differential (see the contract)."""
    be = em.be
    L = d.differentials[-1]
    X = d.wrt[0]
    k = d.order
    f_shape = user_shape(d.function.shape)
    target = f_shape + user_shape(X.shape) * k
    shape_code = tuple_code(", ".join(sizes.code(x) for x in target), len(target))
    keys = [dvar_key(v.arg) for v in d.dvars]

    def level(n: Node) -> int:
        return max((j + 1 for j, key in enumerate(keys) if key in n.free), default=0)

    if d.form == "zero" or level(L) == 0:  # d^k f = 0
        zero = em.assign(f"0.0 * {be.ones.format(shape_code)}", f"order {k}: d^{k}f = 0")
        return to_denominator(em, zero, d, f_shape, target)
    needed_at = _needed_at(L, level)
    dk = "df, linear in" if k == 1 else f"d^{k}f, multilinear in"
    em.lines.append(f"# order {k}: {dk} {', '.join(to_text(v) for v in d.dvars)}, on every "
                    f"combination of basis directions of {X.arg.name}")
    basis = _basis(d, em, sizes)
    values = em.assign("[]", f"d^{k}f at each combination of directions")
    _loops(d, em, basis, values, needed_at)
    axis = "dim" if be.name == "torch" else "axis"
    stacked = em.assign(f"{be.module}.stack({values}, {axis}=-1)")
    out = em.assign(f"{stacked}.reshape({shape_code})", f"shape(f) + shape({X.arg.name}) * {k}")
    return to_denominator(em, out, d, f_shape, target)


def _needed_at(L: Node, level: Callable[[Node], int]) -> dict[int, list[Node]]:
    """Loop level -> its nodes that a deeper level uses (computed at that level)."""
    nodes = walk([L])
    levels = {n: level(n) for n in nodes}
    needed_at: dict[int, list[Node]] = {}
    for n in nodes:
        for c in n.children:
            if levels[c] < levels[n]:
                # diag(v) in a product runs as a scaling by v: hoist v, not diag(v)
                if c.op == Op.DIAG and kind(c.children[0].shape) in ("col", "row"):
                    c = c.children[0]
                if c not in needed_at.setdefault(levels[c], []):
                    needed_at[levels[c]].append(c)
    return needed_at


def _basis(d: Derivative, em: Emitter, sizes: Sizes) -> str:
    """The basis directions of X as an array (first axis: the direction), or for a
    structured result the structure's directions
    (backends/derivative_values.structure_direction)."""
    be = em.be
    X = d.wrt[0]
    name = X.arg.name
    size = sizes.code(dim_mul(X.shape[0], X.shape[1]))
    dims = ", ".join([size, *map(sizes.code, user_shape(X.shape))])
    basis = em.assign(f"{be.eye.format(size)}.reshape({dims})",
                      f"the basis directions of {name}, in C order")
    if not d.structured:
        return basis
    eye = be.eye.format(sizes.code(X.shape[0]))
    if "diagonal" in X.arg.props:
        return em.assign(f"{basis} * {eye}", f"{name} diagonal: its diagonal moves")
    swapped = be.permute.format(basis, "0, 2, 1")
    return em.assign(f"{basis} + {swapped} - {basis} * {eye}",
                     f"{name} symmetric: entries kl and lk move together")


def _loops(d: Derivative, em: Emitter, basis: str, values: str,
           needed_at: dict[int, list[Node]]) -> None:
    """One nested loop per direction, each level computing its needed nodes; the
    innermost appends L's value to `values`. Names bound inside stay inside."""
    k = d.order
    before = set(em.memo)
    for j in range(k + 1):
        start = len(em.lines)
        if j:
            direction = em.fresh()
            em.lines.append(f"for {direction} in {basis}:  # {to_text(d.dvars[j - 1])}")
            em.bind(d.dvars[j - 1], direction)
        for n in needed_at.get(j, []):
            em.code(n)
        if j == k:
            em.lines.append(f"{values}.append({em.code(d.differentials[-1])})")
        if j:  # the loop header, then its body
            em.lines[start] = "    " * (j - 1) + em.lines[start]
            start += 1
        em.lines[start:] = ["    " * j + line for line in em.lines[start:]]
    for n in set(em.memo) - before:  # names bound inside the loops stay there
        del em.memo[n]
