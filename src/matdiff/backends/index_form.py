"""Index (Einstein) notation for any derivative, read off its differential.

Contract:

- `index_expr(node, dvars, free=...)` expands an expression that is linear in each of
  `dvars` (a differential `d^k f`, multilinear in dX_1..dX_k) into an `IndexForm`: a
  sum of terms, each a number times a product of indexed factors. Repeated indices are
  summed. Each `dX_m[a,b]` is replaced by `δ[a,k_m]·δ[b,l_m]` and the deltas are
  eliminated by renaming bound indices, so what is left is the derivative tensor
  `∂^k F[i,j]/∂X[k_1,l_1]...∂X[k_k,l_k]`.
- `index_form(d)` is that tensor for a `Derivative`, as one line of text:
  `∂F[i,j]/∂X[k,l] = -inv(X)[i,k]*inv(X)[l,j]`.
- `IndexForm.evaluate(values)` computes the tensor with numpy.einsum, in the axis order
  of `Derivative.evaluate` in numerator layout (f's axes, then X's axes per order).

How an expression expands: a matrix product introduces a summation index between
neighbours; a transpose swaps its indices; a Hadamard product shares them; `tr` and
`sum` contract; `diag(v)` is `v[i]·δ[i,j]`; `vec`, `reshape` and `kron` use composite
indices `(a,b)`, the column-major combination `a + rows(a)·b`; a broadcast scalar has
no index. Subexpressions without a differential are atoms: `A[i,j]`, `inv(X)[i,k]`,
`(x'*A*x)`; vectors carry one index, scalars none.

The work is split by job: index_terms.py (the factors and terms, and the expansion),
index_simplify.py (deltas eliminated, indices named, like terms merged), index_names.py
(the letters of the free indices), index_print.py (the text) and index_numeric.py (the
tensor by numpy.einsum); this module puts them together.

Not expanded: a block matrix containing a differential (its entries live on index
ranges that Einstein notation does not name), and anything non-linear in a
differential (which a differential never is). Both raise `MatdiffError`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import MatdiffError
from ..ir.node import Node, dvar_key
from .evaluate import bind_sizes
from .index_names import free_slot, index_letters, reserved_names, wrt_names
from .index_numeric import evaluate_terms
from .index_print import bracket, superscript, term_text
from .index_simplify import canonical, combine, eliminate, sum_lone_indices, summation_names
from .index_terms import Expander, Factor, Index, Slot, Term, slots_of

__all__ = ["Factor", "Index", "IndexForm", "Slot", "Term", "index_expr", "index_form",
           "index_tensor"]


@dataclass
class IndexForm:
    """A derivative tensor in Einstein notation: `lhs = sum of terms`."""

    terms: list[Term]
    f_slots: tuple[Slot, ...]  # the function's free indices
    x_slots: tuple[tuple[Slot, ...], ...]  # the variable's free indices, per order
    f_name: str = "f"
    x_name: str = "x"
    nodes: tuple[Node, ...] = ()  # the atoms' roots, for binding sizes

    @property
    def lhs(self) -> str:
        k = len(self.x_slots)
        num = f"∂{superscript(k) if k > 1 else ''}{self.f_name}{bracket(self.f_slots)}"
        den = "".join(f"∂{self.x_name}{bracket(s)}" for s in self.x_slots)
        return f"{num}/{den}"

    @property
    def rhs(self) -> str:
        if not self.terms:
            return "0"
        out = ""
        for i, t in enumerate(self.terms):
            text = term_text(t)
            if i == 0:
                out = text
            elif text.startswith("-"):
                out += " - " + text[1:]
            else:
                out += " + " + text
        return out

    def summation_indices(self) -> list[str]:
        free = {ix.name for s in self.f_slots + tuple(itertools.chain(*self.x_slots)) for ix in s}
        seen: list[str] = []
        for t in self.terms:
            for f in t.factors:
                for name in f.names():
                    if name not in free and name not in seen:
                        seen.append(name)
        return seen

    def has_composites(self) -> bool:
        return any(len(s) > 1 for t in self.terms for f in t.factors for s in f.slots)

    def notes(self) -> list[str]:
        out = []
        if self.summation_indices():
            out.append("summing over repeated indices")
        if self.has_composites():
            out.append("(a,b) is the column-major combined index a + rows·b")
        return out

    def __str__(self) -> str:
        text = f"{self.lhs} = {self.rhs}"
        notes = self.notes()
        return text + (f"  ({'; '.join(notes)})" if notes else "")

    def evaluate(self, values: Mapping[str, Any], sizes: Mapping[str, int] | None = None) -> Any:
        """The tensor, axes: f's free indices, then X's per order (numerator layout)."""
        sizes = bind_sizes(list(self.nodes), values, sizes) if self.nodes else dict(sizes or {})
        out_slots = self.f_slots + tuple(itertools.chain(*self.x_slots))
        return evaluate_terms(self.terms, out_slots, values, sizes)


def index_expr(
    node: Node,
    dvars: Sequence[Node],
    f_names: tuple[str, str] = ("i", "j"),
    x_names: Sequence[tuple[str, str]] | None = None,
    f_name: str = "f",
    x_name: str = "x",
    roots: Sequence[Node] = (),
) -> IndexForm:
    """The tensor of `node`, multilinear in `dvars`, in Einstein notation. Index letters
    are never a size's or a variable's name (`m` is not an index where m is a size)."""
    reserved = reserved_names([node, *roots])
    pool = index_letters(reserved)
    if f_names == ("i", "j"):
        f_names = (next(pool), next(pool))
    if x_names is None:
        x_names = wrt_names([dv.shape for dv in dvars], pool)
    r = free_slot(f_names[0], node.shape[0])
    c = free_slot(f_names[1], node.shape[1])
    f_slots = slots_of(r, c)
    x_slots = tuple(
        slots_of(free_slot(a, dv.shape[0]), free_slot(bb, dv.shape[1]))
        for dv, (a, bb) in zip(dvars, x_names, strict=True)
    )
    free = {ix.name for s in f_slots for ix in s} | {
        ix.name for order in x_slots for s in order for ix in s
    }
    terms = Expander([dvar_key(dv.arg) for dv in dvars]).expand(node, r, c)
    by_key = {dvar_key(dv.arg): slots for dv, slots in zip(dvars, x_slots, strict=True)}
    out = [canonical(sum_lone_indices(eliminate(_substituted(t, by_key), free), free), free,
                     summation_names(free | reserved))
           for t in terms]
    out = combine(out)
    atoms = [f.node for t in out for f in t.factors if f.node is not None]
    return IndexForm(out, f_slots, x_slots, f_name, x_name, tuple(atoms) + tuple(roots))


def _substituted(t: Term, by_key: Mapping[str, tuple[Slot, ...]]) -> Term:
    """Each differential dX[a,b] replaced by the deltas δ[a,k]·δ[b,l] to X's free
    indices for its order."""
    factors: list[Factor] = []
    for f in t.factors:
        if f.kind == "dvar":
            assert f.node is not None
            target = by_key[dvar_key(f.node.arg)]
            factors.extend(
                Factor("delta", (s, tgt)) for s, tgt in zip(f.slots, target, strict=True)
            )
        else:
            factors.append(f)
    return Term(t.coef, factors)


def index_tensor(d: Any) -> IndexForm:
    """The `IndexForm` of a `Derivative` (one variable), from its last differential."""
    if len(d.wrt) != 1 or not d.dvars:
        raise MatdiffError("index form is given for a derivative by one variable")
    X = d.wrt[0]
    f = d.function
    f_name = "F" if f.shape[0] != 1 and f.shape[1] != 1 else "f"
    return index_expr(d.differentials[-1], d.dvars, f_name=f_name, x_name=X.arg.name, roots=(f, X))


def index_form(d: Any) -> str:
    """One line: `∂F[i,j]/∂X[k,l] = ...` (with a note on summation where needed)."""
    return str(index_tensor(d))
