"""Index form, the terms: indexed factors and the expansion of a differential into them.

Contract: `expand(node, dvar_keys, r, c)` (through `Expander`) writes an expression that
is linear in each differential named by `dvar_keys` as a list of `Term`s, each a number
times a product of indexed `Factor`s (atoms, deltas, differentials), with `r` and `c` the
slots of the node's row and column (None for a dimension of 1). Indices are named `_0`,
`_1`, ... here; naming them for a reader is index_names.py's and index_simplify.py's job.
How each op expands is described in index_form.py's docstring. A block matrix containing
a differential, or anything non-linear in one, raises `MatdiffError`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from ..errors import MatdiffError
from ..ir import build as b
from ..ir.dims import Dim
from ..ir.node import Node
from ..ir.ops import Op

# ------------------------------------------------------------------------ the model


@dataclass(frozen=True)
class Index:
    """A named index running over a dimension."""

    name: str
    dim: Dim


Slot = tuple[Index, ...]  # one index, or a composite (a,b,...): a + rows(a)*(b + ...)


@dataclass(frozen=True)
class Factor:
    """An indexed factor: an atom (constant subexpression), a delta, or a differential."""

    kind: str  # "atom" | "delta" | "dvar"
    slots: tuple[Slot, ...]
    node: Node | None = None

    def rename(self, mapping: Mapping[str, Slot]) -> Factor:
        return Factor(self.kind, tuple(subst(s, mapping) for s in self.slots), self.node)

    def names(self) -> list[str]:
        return [ix.name for s in self.slots for ix in s]


@dataclass
class Term:
    coef: float
    factors: list[Factor] = field(default_factory=list)

    def times(self, other: Term) -> Term:
        return Term(self.coef * other.coef, self.factors + other.factors)


def subst(slot: Slot, mapping: Mapping[str, Slot]) -> Slot:
    out: list[Index] = []
    for ix in slot:
        out.extend(mapping.get(ix.name, (ix,)))
    return tuple(out)


def products(groups: Sequence[list[Term]]) -> list[Term]:
    out = [Term(1.0)]
    for g in groups:
        out = [t.times(u) for t in out for u in g]
    return out


def slots_of(r: Slot | None, c: Slot | None) -> tuple[Slot, ...]:
    return tuple(s for s in (r, c) if s is not None)


def join(a: Slot | None, c: Slot | None) -> Slot | None:
    out = (a or ()) + (c or ())
    return out or None


def delta(r: Slot | None, c: Slot | None) -> Factor:
    return Factor("delta", (r or (), c or ()))


# ----------------------------------------------------------------------- expansion

# how a child is written: expanded (it holds a differential) or as an atom
Sub = Callable[[Node, Slot | None, Slot | None], list[Term]]


class Expander:
    def __init__(self, dvar_keys: Sequence[str]) -> None:
        self.dvar_keys = set(dvar_keys)
        self.counter = itertools.count()

    def fresh(self, dim: Dim) -> Slot | None:
        if dim == 1:
            return None
        return (Index(f"_{next(self.counter)}", dim),)

    def has_dvar(self, n: Node) -> bool:
        return not self.dvar_keys.isdisjoint(n.free)

    def expand(self, n: Node, r: Slot | None, c: Slot | None) -> list[Term]:
        if not self.has_dvar(n):
            return self.atom(n, r, c)
        op = n.op
        if op == Op.DVAR:
            return [Term(1.0, [Factor("dvar", slots_of(r, c), n)])]
        if op == Op.ADD:
            return [t for ch in n.children for t in self.expand(ch, r, c)]
        if op in (Op.MUL, Op.MATMUL, Op.HADAMARD, Op.POW):
            return self._product(n, r, c)
        if op in (Op.TRANSPOSE, Op.FILL, Op.TR, Op.SUM, Op.SUMDIM):
            return self._contraction(n, r, c)
        if op == Op.DIAG:
            return self._diag(n, r, c, self.expand)
        if op == Op.VEC:
            return self._vec(n, r, self.expand)
        if op == Op.RESHAPE:
            return self.expand(n.children[0], join(r, c), None)
        if op == Op.KRON:
            return self._kron(n, r, c, self.expand)
        if op == Op.BLOCK:
            raise MatdiffError(
                "index form: a block matrix containing a differential has no Einstein "
                "notation here",
                hint="the differential and the matrix form (if any) are given instead",
            )
        raise nonlinear(n)

    def _product(self, n: Node, r: Slot | None, c: Slot | None) -> list[Term]:
        """Products: a scaling, a matrix product (a summation index between neighbours),
        a Hadamard product (shared indices), a whole power (repeated factors)."""
        op = n.op
        if op == Op.MUL:
            groups = [self.expand(ch, None, None) for ch in n.children[:-1]]
            last = n.children[-1]
            lr, lc = (r, c) if last.shape == n.shape else (None, None)
            return products([*groups, self.expand(last, lr, lc)])
        if op == Op.MATMUL:
            groups = []
            left = r
            for i, ch in enumerate(n.children):
                right = c if i == len(n.children) - 1 else self.fresh(ch.shape[1])
                groups.append(self.expand(ch, left, right))
                left = right
            return products(groups)
        if op == Op.HADAMARD:
            return products([self.expand(ch, r, c) for ch in n.children])
        base, ex = n.children  # pow
        k = b.const_value(ex) if ex.shape == (1, 1) else None
        if k is None or k < 1 or not float(k).is_integer() or self.has_dvar(ex):
            raise nonlinear(n)
        return products([self.expand(base, r, c) for _ in range(int(k))])

    def _contraction(self, n: Node, r: Slot | None, c: Slot | None) -> list[Term]:
        """Ops that rename or sum indices: transpose, a broadcast scalar, tr, sum."""
        op = n.op
        ch = n.children[0]
        if op == Op.TRANSPOSE:
            return self.expand(ch, c, r)
        if op == Op.FILL:
            return self.expand(ch, None, None)
        if op == Op.TR:
            a = self.fresh(ch.shape[0])
            return self.expand(ch, a, a)
        if op == Op.SUM:
            return self.expand(ch, self.fresh(ch.shape[0]), self.fresh(ch.shape[1]))
        # sumdim: sum(X, 1) sums the row index; sum(X, 2) the column index
        if n.arg == 1:
            return self.expand(ch, self.fresh(ch.shape[0]), c)
        return self.expand(ch, r, self.fresh(ch.shape[1]))

    # Constant subexpressions: atoms, after peeling what reads better as indices.
    def atom(self, n: Node, r: Slot | None, c: Slot | None) -> list[Term]:
        op = n.op
        if op == Op.CONST:
            return [Term(n.arg)]
        if op == Op.EYE:
            return [Term(1.0, [delta(r, c)])]
        if op == Op.FILL:
            return self.atom(n.children[0], None, None)
        if op == Op.TRANSPOSE:
            return self.atom(n.children[0], c, r)
        if op == Op.MUL:
            groups = [self.atom(ch, None, None) for ch in n.children[:-1]]
            last = n.children[-1]
            lr, lc = (r, c) if last.shape == n.shape else (None, None)
            return products([*groups, self.atom(last, lr, lc)])
        if op == Op.DIAG and n.shape[0] == n.shape[1] and n.shape != (1, 1):
            return self._diag(n, r, c, self.atom)
        return [Term(1.0, [Factor("atom", slots_of(r, c), n)])]

    def _diag(self, n: Node, r: Slot | None, c: Slot | None, sub: Sub) -> list[Term]:
        ch = n.children[0]
        if n.shape[1] == 1:  # the diagonal of a square matrix, a vector
            return sub(ch, r, r)
        return [t.times(Term(1.0, [delta(r, c)])) for t in sub(ch, r, None)]

    def _vec(self, n: Node, r: Slot | None, sub: Sub) -> list[Term]:
        rows, cols = n.children[0].shape
        a, bb = self.fresh(rows), self.fresh(cols)
        return [t.times(Term(1.0, [delta(r, join(a, bb))])) for t in sub(n.children[0], a, bb)]

    def _kron(self, n: Node, r: Slot | None, c: Slot | None, sub: Sub) -> list[Term]:
        A, B = n.children
        i, j = self.fresh(A.shape[0]), self.fresh(A.shape[1])
        k, l = self.fresh(B.shape[0]), self.fresh(B.shape[1])
        deltas = Term(1.0, [delta(r, join(k, i)), delta(c, join(l, j))])
        return [deltas.times(u).times(v) for u in sub(A, i, j) for v in sub(B, k, l)]


def nonlinear(n: Node) -> MatdiffError:
    return MatdiffError(
        f"index form: '{n.op}' is applied to a differential; the expression is not linear in it"
    )
