"""Index form, the simplification: deltas eliminated, indices named, like terms merged.

Contract: each function takes terms from index_terms.py and returns equal terms
(the same tensor) that read better; `free` is the set of the tensor's free index names,
which are never renamed.

- `eliminate(term, free)` removes every delta that renames a bound index (and splits a
  delta between two composites of matching dimensions into one delta per component);
- `sum_lone_indices(term, free)` writes an atom's bound index that appears nowhere else
  as a sum (`y[p]` alone is `sum(y)`, `Y[p,t]` with p alone is `sum(Y, 1)'[t]`), so that
  indices are summed only where repeated;
- `canonical(term, free, names)` renames the bound indices in order of appearance, with
  `names` (from `summation_names(used)`: p, q, r, ... then p1, p2, ...);
- `combine(terms)` adds the coefficients of terms with the same factors (as printed) and
  drops those that cancel.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from ..ir import build as b
from .index_print import factor_text
from .index_terms import Factor, Index, Slot, Term


def _delta_step(f: Factor, free: set[str]) -> dict[str, Slot] | list[Factor] | None:
    """What one delta does: a renaming of a bound index (a mapping), a split into one
    delta per component of two matching composites (a list), or nothing (None)."""
    left, right = f.slots
    if not left and not right:
        return {}
    if len(left) == 1 and left[0].name not in free and left[0] not in right:
        return {left[0].name: right}
    if len(right) == 1 and right[0].name not in free and right[0] not in left:
        return {right[0].name: left}
    if len(left) == len(right) > 1 and all(
        x.dim == y.dim for x, y in zip(left, right, strict=True)
    ):
        return [Factor("delta", ((x,), (y,))) for x, y in zip(left, right, strict=True)]
    return None


def eliminate(term: Term, free: set[str]) -> Term:
    """Remove deltas by renaming bound indices; split deltas of matching composites."""
    factors = list(term.factors)
    changed = True
    while changed:
        changed = False
        for pos, f in enumerate(factors):
            if f.kind != "delta":
                continue
            step = _delta_step(f, free)
            if step is None:
                continue
            if isinstance(step, list):
                factors = factors[:pos] + step + factors[pos + 1 :]
            else:
                factors = [g.rename(step) for g in factors[:pos] + factors[pos + 1 :]]
            changed = True
            break
    return Term(term.coef, factors)


def sum_lone_indices(term: Term, free: set[str]) -> Term:
    """An atom's summation index that appears nowhere else is summed out: `y[p]` alone in a
    term is written `sum(y)`, a matrix `Y[p,t]` with p alone `sum(Y, 1)'[t]` (its column
    sums), with t alone `sum(Y, 2)[p]`; so indices are summed only where repeated."""
    counts: dict[str, int] = {}
    for f in term.factors:
        for nm in f.names():
            counts[nm] = counts.get(nm, 0) + 1
    out = []
    for f in term.factors:
        lone = [i for i, s in enumerate(f.slots)
                if len(s) == 1 and s[0].name not in free and counts[s[0].name] == 1]
        if f.kind != "atom" or f.node is None or not lone:
            out.append(f)
        elif len(lone) == len(f.slots):  # y[p], M[p,q] alone: the whole sum
            out.append(Factor("atom", (), b.sum_(f.node)))
        elif len(f.slots) == 2:  # M[s,t] with s alone: sum(M, 1)'[t]; with t: sum(M, 2)[s]
            kept = f.slots[1 - lone[0]]
            summed = b.sum_dim(f.node, lone[0] + 1)
            column = b.transpose(summed) if lone[0] == 0 else summed
            out.append(Factor("atom", (kept,), column))
        else:
            out.append(f)
    return Term(term.coef, out)


def canonical(term: Term, free: set[str], names: Iterable[str]) -> Term:
    """Rename the summation indices in order of appearance, with the given names."""
    pool = iter(names)
    mapping: dict[str, Slot] = {}
    for f in term.factors:
        for s in f.slots:
            for ix in s:
                if ix.name not in free and ix.name not in mapping:
                    mapping[ix.name] = (Index(next(pool), ix.dim),)
    return Term(term.coef, [f.rename(mapping) for f in term.factors])


def summation_names(used: set[str]) -> Iterable[str]:
    for name in "pqrstuvwabcdegh":
        if name not in used:
            yield name
    for k in itertools.count(1):
        yield f"p{k}"


def combine(terms: list[Term]) -> list[Term]:
    merged: dict[tuple[str, ...], Term] = {}
    for t in terms:
        key = tuple(sorted(factor_text(f) for f in t.factors))
        if key in merged:
            merged[key].coef += t.coef
        else:
            merged[key] = Term(t.coef, list(t.factors))
    return [t for t in merged.values() if t.coef != 0.0]
