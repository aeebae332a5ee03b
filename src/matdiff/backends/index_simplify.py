"""Index form, the simplification: deltas eliminated, indices named, like terms merged.

Contract: each function takes terms from index_terms.py and returns equal terms
(the same tensor) that read better; `free` is the set of the tensor's free index names,
which are never renamed.

- `eliminate(term, free)` removes every delta that renames a bound index (and splits a
  delta between two composites of matching dimensions into one delta per component);
- `sum_lone_indices(term, free)` writes a vector atom whose bound index appears nowhere
  else as its sum (`y[p]` alone is `sum(y)`), so that indices are summed only where
  repeated;
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
