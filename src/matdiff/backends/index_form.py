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

Not expanded: a block matrix containing a differential (its entries live on index
ranges that Einstein notation does not name), and anything non-linear in a
differential (which a differential never is). Both raise `MatdiffError`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import MatdiffError
from ..ir import build as b
from ..ir.dims import Dim
from ..ir.node import Node, dvar_key, variables_in
from ..ir.ops import OPS
from .evaluate import dim_names, walk
from .text import ATOM, _p, format_number

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
        return Factor(self.kind, tuple(_subst(s, mapping) for s in self.slots), self.node)

    def names(self) -> list[str]:
        return [ix.name for s in self.slots for ix in s]


@dataclass
class Term:
    coef: float
    factors: list[Factor] = field(default_factory=list)

    def times(self, other: Term) -> Term:
        return Term(self.coef * other.coef, self.factors + other.factors)


def _subst(slot: Slot, mapping: Mapping[str, Slot]) -> Slot:
    out: list[Index] = []
    for ix in slot:
        out.extend(mapping.get(ix.name, (ix,)))
    return tuple(out)


def _products(groups: Sequence[list[Term]]) -> list[Term]:
    out = [Term(1.0)]
    for g in groups:
        out = [t.times(u) for t in out for u in g]
    return out


# ----------------------------------------------------------------------- expansion


class _Expander:
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
        if op == "dvar":
            return [Term(1.0, [Factor("dvar", _slots(r, c), n)])]
        if op == "add":
            return [t for ch in n.children for t in self.expand(ch, r, c)]
        if op == "mul":
            groups = [self.expand(ch, None, None) for ch in n.children[:-1]]
            last = n.children[-1]
            lr, lc = (r, c) if last.shape == n.shape else (None, None)
            return _products([*groups, self.expand(last, lr, lc)])
        if op == "matmul":
            groups = []
            left = r
            for i, ch in enumerate(n.children):
                right = c if i == len(n.children) - 1 else self.fresh(ch.shape[1])
                groups.append(self.expand(ch, left, right))
                left = right
            return _products(groups)
        if op == "hadamard":
            return _products([self.expand(ch, r, c) for ch in n.children])
        if op == "pow":
            base, ex = n.children
            k = b.const_value(ex) if ex.shape == (1, 1) else None
            if k is None or k < 1 or not float(k).is_integer() or self.has_dvar(ex):
                raise _nonlinear(n)
            return _products([self.expand(base, r, c) for _ in range(int(k))])
        if op == "transpose":
            return self.expand(n.children[0], c, r)
        if op == "fill":
            return self.expand(n.children[0], None, None)
        if op == "tr":
            a = self.fresh(n.children[0].shape[0])
            return self.expand(n.children[0], a, a)
        if op == "sum":
            ch = n.children[0]
            return self.expand(ch, self.fresh(ch.shape[0]), self.fresh(ch.shape[1]))
        if op == "sumdim":  # sum(X, 1): the row index is summed; sum(X, 2): the column
            ch = n.children[0]
            if n.arg == 1:
                return self.expand(ch, self.fresh(ch.shape[0]), c)
            return self.expand(ch, r, self.fresh(ch.shape[1]))
        if op == "diag":
            return self._diag(n, r, c, self.expand)
        if op == "vec":
            return self._vec(n, r, self.expand)
        if op == "reshape":
            return self.expand(n.children[0], _join(r, c), None)
        if op == "kron":
            return self._kron(n, r, c, self.expand)
        if op == "block":
            raise MatdiffError(
                "index form: a block matrix containing a differential has no Einstein "
                "notation here",
                hint="the differential and the matrix form (if any) are given instead",
            )
        raise _nonlinear(n)

    # Constant subexpressions: atoms, after peeling what reads better as indices.
    def atom(self, n: Node, r: Slot | None, c: Slot | None) -> list[Term]:
        op = n.op
        if op == "const":
            return [Term(n.arg)]
        if op == "eye":
            return [Term(1.0, [_delta(r, c)])]
        if op == "fill":
            return self.atom(n.children[0], None, None)
        if op == "transpose":
            return self.atom(n.children[0], c, r)
        if op == "mul":
            groups = [self.atom(ch, None, None) for ch in n.children[:-1]]
            last = n.children[-1]
            lr, lc = (r, c) if last.shape == n.shape else (None, None)
            return _products([*groups, self.atom(last, lr, lc)])
        if op == "diag" and n.shape[0] == n.shape[1] and n.shape != (1, 1):
            return self._diag(n, r, c, self.atom)
        return [Term(1.0, [Factor("atom", _slots(r, c), n)])]

    def _diag(self, n: Node, r: Slot | None, c: Slot | None, sub: Any) -> list[Term]:
        ch = n.children[0]
        if n.shape[1] == 1:  # the diagonal of a square matrix, a vector
            return sub(ch, r, r)
        return [t.times(Term(1.0, [_delta(r, c)])) for t in sub(ch, r, None)]

    def _vec(self, n: Node, r: Slot | None, sub: Any) -> list[Term]:
        rows, cols = n.children[0].shape
        a, bb = self.fresh(rows), self.fresh(cols)
        return [t.times(Term(1.0, [_delta(r, _join(a, bb))])) for t in sub(n.children[0], a, bb)]

    def _kron(self, n: Node, r: Slot | None, c: Slot | None, sub: Any) -> list[Term]:
        A, B = n.children
        i, j = self.fresh(A.shape[0]), self.fresh(A.shape[1])
        k, l = self.fresh(B.shape[0]), self.fresh(B.shape[1])
        deltas = Term(1.0, [_delta(r, _join(k, i)), _delta(c, _join(l, j))])
        return [deltas.times(u).times(v) for u in sub(A, i, j) for v in sub(B, k, l)]


def _nonlinear(n: Node) -> MatdiffError:
    return MatdiffError(
        f"index form: '{n.op}' is applied to a differential; the expression is not linear in it"
    )


def _slots(r: Slot | None, c: Slot | None) -> tuple[Slot, ...]:
    return tuple(s for s in (r, c) if s is not None)


def _join(a: Slot | None, c: Slot | None) -> Slot | None:
    out = (a or ()) + (c or ())
    return out or None


def _delta(r: Slot | None, c: Slot | None) -> Factor:
    return Factor("delta", (r or (), c or ()))


# ------------------------------------------------------------------ simplification


def _eliminate(term: Term, free: set[str]) -> Term:
    """Remove deltas by renaming bound indices; split deltas of matching composites."""
    factors = list(term.factors)
    changed = True
    while changed:
        changed = False
        for pos, f in enumerate(factors):
            if f.kind != "delta":
                continue
            left, right = f.slots
            mapping: dict[str, Slot] | None = None
            if not left and not right:
                mapping = {}
            elif len(left) == 1 and left[0].name not in free and left[0] not in right:
                mapping = {left[0].name: right}
            elif len(right) == 1 and right[0].name not in free and right[0] not in left:
                mapping = {right[0].name: left}
            elif len(left) == len(right) > 1 and all(
                x.dim == y.dim for x, y in zip(left, right, strict=True)
            ):
                parts = [Factor("delta", ((x,), (y,))) for x, y in zip(left, right, strict=True)]
                factors = factors[:pos] + parts + factors[pos + 1 :]
                changed = True
                break
            if mapping is None:
                continue
            rest = factors[:pos] + factors[pos + 1 :]
            factors = [g.rename(mapping) for g in rest]
            changed = True
            break
    return Term(term.coef, factors)


def _sum_lone_indices(term: Term, free: set[str]) -> Term:
    """A vector atom whose summation index appears nowhere else is its sum: `y[p]` alone
    in a term is written `sum(y)`, so that indices are summed only where repeated."""
    counts: dict[str, int] = {}
    for f in term.factors:
        for nm in f.names():
            counts[nm] = counts.get(nm, 0) + 1
    out = []
    for f in term.factors:
        names = f.names()
        if (
            f.kind == "atom" and f.node is not None and len(f.slots) == 1 and len(names) == 1
            and names[0] not in free and counts[names[0]] == 1
        ):
            out.append(Factor("atom", (), b.sum_(f.node)))
        else:
            out.append(f)
    return Term(term.coef, out)


def _canonical(term: Term, free: set[str], names: Iterable[str]) -> Term:
    """Rename the summation indices in order of appearance, with the given names."""
    pool = iter(names)
    mapping: dict[str, Slot] = {}
    for f in term.factors:
        for s in f.slots:
            for ix in s:
                if ix.name not in free and ix.name not in mapping:
                    mapping[ix.name] = (Index(next(pool), ix.dim),)
    return Term(term.coef, [f.rename(mapping) for f in term.factors])


def _summation_names(used: set[str]) -> Iterable[str]:
    for name in "pqrstuvwabcdegh":
        if name not in used:
            yield name
    for k in itertools.count(1):
        yield f"p{k}"


def _combine(terms: list[Term]) -> list[Term]:
    merged: dict[tuple[str, ...], Term] = {}
    for t in terms:
        key = tuple(sorted(_factor_text(f) for f in t.factors))
        if key in merged:
            merged[key].coef += t.coef
        else:
            merged[key] = Term(t.coef, list(t.factors))
    return [t for t in merged.values() if t.coef != 0.0]


# ------------------------------------------------------------------------ the result


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
        num = f"∂{_superscript(k) if k > 1 else ''}{self.f_name}{_bracket(self.f_slots)}"
        den = "".join(f"∂{self.x_name}{_bracket(s)}" for s in self.x_slots)
        return f"{num}/{den}"

    @property
    def rhs(self) -> str:
        if not self.terms:
            return "0"
        out = ""
        for i, t in enumerate(self.terms):
            text = _term_text(t)
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

    # ------------------------------------------------------------------- numerics

    def evaluate(self, values: Mapping[str, Any], sizes: Mapping[str, int] | None = None) -> Any:
        """The tensor, axes: f's free indices, then X's per order (numerator layout)."""
        from .evaluate import bind_sizes, evaluate

        sizes = bind_sizes(list(self.nodes), values, sizes) if self.nodes else dict(sizes or {})
        out_names = [ix.name for s in self.f_slots for ix in s] + [
            ix.name for order in self.x_slots for s in order for ix in s
        ]
        dims: dict[str, int] = {}
        for s in self.f_slots + tuple(itertools.chain(*self.x_slots)):
            for ix in s:
                dims[ix.name] = _resolve(ix.dim, sizes)
        out_shape = tuple(dims[n] for n in out_names)
        total = np.zeros(out_shape)
        for t in self.terms:
            letters: dict[str, str] = {}
            operands: list[Any] = []
            subs: list[str] = []
            scale = t.coef
            for f in t.factors:
                if f.kind == "dvar":
                    raise MatdiffError("index form still contains a differential")
                if f.kind == "atom" and not f.slots:
                    assert f.node is not None
                    scale *= float(evaluate(f.node, values, sizes=sizes).reshape(-1)[0])
                    continue
                arr, names = _factor_array(f, values, sizes, evaluate)
                for nm, size in zip(names, arr.shape, strict=True):
                    dims.setdefault(nm, size)
                    letters.setdefault(nm, _LETTERS[len(letters)])
                operands.append(arr)
                subs.append("".join(letters[nm] for nm in names))
            for nm in out_names:
                letters.setdefault(nm, _LETTERS[len(letters)])
            target = "".join(letters[nm] for nm in out_names)
            # A free index no factor mentions (e.g. a constant in every entry): ones.
            for nm in out_names:
                if not any(letters[nm] in s for s in subs):
                    operands.append(np.ones(dims[nm]))
                    subs.append(letters[nm])
            if operands:
                val = np.einsum(",".join(subs) + "->" + target, *operands)
            else:
                val = np.ones(out_shape)
            total = total + scale * val
        return total if out_shape else float(total)


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _resolve(d: Dim, sizes: Mapping[str, int]) -> int:
    from .evaluate import resolve

    return resolve(d, sizes)


def _factor_array(f: Factor, values: Any, sizes: Mapping[str, int], evaluate: Any) -> Any:
    """The factor's array with composite axes split into their simple indices."""
    if f.kind == "delta":
        left, right = f.slots
        n = int(np.prod([_resolve(ix.dim, sizes) for ix in left])) if left else 1
        base: Any = np.eye(n)
        parts: list[Slot] = [s for s in (left, right) if s]
        if not parts:
            return np.ones(()), []
        if len(parts) == 1:  # δ against the empty slot: 1
            base = np.ones(n)
    else:
        assert f.node is not None
        base = np.asarray(evaluate(f.node, values, sizes=sizes))
        parts = list(f.slots)
        base = base.reshape([s for s in base.shape if s != 1] or [])
        if base.ndim != len(parts):  # concrete sizes of 1 where dims are symbolic
            flat = [int(np.prod([_resolve(ix.dim, sizes) for ix in s])) for s in parts]
            base = base.reshape(flat)
    shape: list[int] = []
    names: list[str] = []
    perm_groups: list[list[int]] = []
    for s in parts:
        sub = [_resolve(ix.dim, sizes) for ix in s]
        # column-major composite: C-order reshape gives the components reversed
        start = len(shape)
        shape.extend(reversed(sub))
        perm_groups.append(list(range(start + len(sub) - 1, start - 1, -1)))
        names.extend(ix.name for ix in s)
    arr = base.reshape(shape).transpose([p for g in perm_groups for p in g])
    # An index repeated within one factor (a trace, a diagonal) is handled by einsum.
    return arr, names


# ------------------------------------------------------------------------- printing


def _bracket(slots: Sequence[Slot]) -> str:
    if not slots:
        return ""
    return "[" + ",".join(_slot_text(s) for s in slots) + "]"


def _slot_text(s: Slot) -> str:
    if len(s) == 1:
        return s[0].name
    return "(" + ",".join(ix.name for ix in s) + ")"


def _atom_name(n: Node) -> str:
    text, level = _p(n)
    plain = n.op == "var" or (
        level == ATOM and n.op in OPS and OPS[n.op].category in ("function", "elementwise")
    )
    return text if plain else f"({text})"


def _factor_text(f: Factor) -> str:
    if f.kind == "delta":
        return "δ" + _bracket(f.slots)
    assert f.node is not None
    if f.kind == "dvar":
        return _p(f.node)[0] + _bracket(f.slots)
    return _atom_name(f.node) + _bracket(f.slots)


def _term_text(t: Term) -> str:
    num: list[str] = []
    den: list[str] = []
    for f in t.factors:
        node = f.node
        ex = b.const_value(node.children[1]) if node is not None and node.op == "pow" else None
        if f.kind == "atom" and not f.slots and node is not None and ex is not None and ex < 0:
            e = -ex
            base = _atom_name(node.children[0])
            den.append(base if e == 1.0 else f"{base}^{format_number(e)}")
        else:
            num.append(_factor_text(f))
    c = t.coef
    if abs(c) != 1.0 or not num:
        num.insert(0, format_number(abs(c)))
    text = "*".join(num)
    if den:
        text += "/" + (den[0] if len(den) == 1 else "(" + "*".join(den) + ")")
    return ("-" if c < 0 else "") + text


_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _superscript(k: int) -> str:
    return str(k).translate(_SUPERSCRIPTS)


# ----------------------------------------------------------------------------- API


def _free_slot(name: str, dim: Dim) -> Slot | None:
    return None if dim == 1 else (Index(name, dim),)


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
    reserved = _reserved_names([node, *roots])
    pool = _index_letters(reserved)
    if f_names == ("i", "j"):
        f_names = (next(pool), next(pool))
    if x_names is None:
        x_names = _wrt_names([dv.shape for dv in dvars], pool)
    r = _free_slot(f_names[0], node.shape[0])
    c = _free_slot(f_names[1], node.shape[1])
    f_slots = _slots(r, c)
    x_slots = tuple(
        _slots(_free_slot(a, dv.shape[0]), _free_slot(bb, dv.shape[1]))
        for dv, (a, bb) in zip(dvars, x_names, strict=True)
    )
    free = {ix.name for s in f_slots for ix in s} | {
        ix.name for order in x_slots for s in order for ix in s
    }
    ex = _Expander([dvar_key(dv.arg) for dv in dvars])
    terms = ex.expand(node, r, c)
    by_key = {dvar_key(dv.arg): slots for dv, slots in zip(dvars, x_slots, strict=True)}
    out: list[Term] = []
    for t in terms:
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
        t = _sum_lone_indices(_eliminate(Term(t.coef, factors), free), free)
        out.append(_canonical(t, free, _summation_names(free | reserved)))
    out = _combine(out)
    atoms = [f.node for t in out for f in t.factors if f.node is not None]
    return IndexForm(out, f_slots, x_slots, f_name, x_name, tuple(atoms) + tuple(roots))


def _reserved_names(roots: Sequence[Node]) -> set[str]:
    """Names an index must not take: the sizes and the variables of the expressions."""
    names = set(variables_in(roots))
    for n in walk(roots):
        for d in n.shape:
            if isinstance(d, str):
                names |= dim_names(d)
    return names


def _index_letters(reserved: set[str]) -> Iterator[str]:
    """Index letters in the usual order (i, j, k, l, m, n, ...), skipping reserved names."""
    for name in "ijklmnpqrstuvwabcdegh":
        if name not in reserved:
            yield name
    for k in itertools.count(1):
        yield f"i{k}"


def _wrt_names(shapes: Sequence[tuple[Dim, Dim]], pool: Iterator[str]) -> list[tuple[str, str]]:
    per = [sum(1 for d in s if d != 1) for s in shapes]
    if sum(per) <= 4:
        return [(next(pool) if s[0] != 1 else "", next(pool) if s[1] != 1 else "") for s in shapes]
    first, second = next(pool), next(pool)
    return [(f"{first}{m}", f"{second}{m}") for m in range(1, len(shapes) + 1)]


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
