"""Index form, the numbers: a tensor in Einstein notation computed with numpy.einsum.

Contract: `evaluate_terms(terms, out_slots, values, sizes)` is the sum of the terms
(index_terms.py) as an array whose axes are the simple indices of `out_slots` in order
(a composite slot contributes its components), or a float when there are none. Atoms
are evaluated by backends/evaluate.py at `values` with `sizes` bound; composite indices
are split column-major (`(a,b)` is `a + rows(a)·b`), a free index that no factor of a
term mentions gets ones. A term still holding a differential is a `MatdiffError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import MatdiffError
from .evaluate import evaluate, resolve
from .index_terms import Factor, Slot, Term

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def evaluate_terms(terms: Sequence[Term], out_slots: Sequence[Slot],
                   values: Mapping[str, Any], sizes: Mapping[str, int]) -> Any:
    """The tensor of the terms, axes in the order of `out_slots`' indices."""
    out_names = [ix.name for s in out_slots for ix in s]
    dims = {ix.name: resolve(ix.dim, sizes) for s in out_slots for ix in s}
    out_shape = tuple(dims[n] for n in out_names)
    total = np.zeros(out_shape)
    for t in terms:
        total = total + _term_value(t, out_names, out_shape, dims, values, sizes)
    return total if out_shape else float(total)


def _term_value(t: Term, out_names: list[str], out_shape: tuple[int, ...],
                dims: dict[str, int], values: Mapping[str, Any],
                sizes: Mapping[str, int]) -> Any:
    """One term: its scalar atoms multiplied out, the rest one einsum."""
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
        arr, names = _factor_array(f, values, sizes)
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
    return scale * val


def _factor_array(f: Factor, values: Any, sizes: Mapping[str, int]) -> Any:
    """The factor's array with composite axes split into their simple indices."""
    if f.kind == "delta":
        left, right = f.slots
        n = int(np.prod([resolve(ix.dim, sizes) for ix in left])) if left else 1
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
            flat = [int(np.prod([resolve(ix.dim, sizes) for ix in s])) for s in parts]
            base = base.reshape(flat)
    shape: list[int] = []
    names: list[str] = []
    perm_groups: list[list[int]] = []
    for s in parts:
        sub = [resolve(ix.dim, sizes) for ix in s]
        # column-major composite: C-order reshape gives the components reversed
        start = len(shape)
        shape.extend(reversed(sub))
        perm_groups.append(list(range(start + len(sub) - 1, start - 1, -1)))
        names.extend(ix.name for ix in s)
    arr = base.reshape(shape).transpose([p for g in perm_groups for p in g])
    # An index repeated within one factor (a trace, a diagonal) is handled by einsum.
    return arr, names
