"""Numerical checks of single derivation steps: the tests use them to check that the
steps of a derivation form a valid chain.

Contract: `check_step(step, values)` is whether one `DerivationStep` holds at `values`
(the variables' values and the differentials' directions, keyed by `dvar_key`): an "="
step by evaluating both sides, a "d" step against central differences of its left side
along the direction (and its applied rule, where it shows one, against its right side),
an identification step by the relation it states. Notes hold trivially. The difference
(an absolute step h) and the closeness (absolute tolerance rtol scaled by the right
side's size) are verify/numeric.py's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..backends.evaluate import evaluate
from ..ir.node import dvar_key
from ..verify.numeric import RTOL, central_difference, close, scale_of
from .derivation import DerivationStep


def check_step(step: DerivationStep, values: Mapping[str, Any], h: float = 1e-6,
               rtol: float = RTOL) -> bool:
    """Whether one step holds numerically at `values` (variables and differentials)."""
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

        def lhs_at(point: np.ndarray) -> np.ndarray:
            return evaluate(step.lhs, {**values, name: _like(values[name], point)},
                            check_props=False)

        fd = central_difference(lhs_at, x0, dval, h)
        rhs = evaluate(step.rhs, values)
        if step.applied is not None and not _close(evaluate(step.applied, values), rhs, rtol):
            return False
        return _close(fd, rhs, max(rtol, 1e-4))  # a difference is noisier than a value
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
    """a and c agree entrywise (any shapes of the same size), the absolute tolerance
    rtol scaled by the size of c."""
    a = np.asarray(a, dtype=float).reshape(-1)
    c = np.asarray(c, dtype=float).reshape(-1)
    return close(a, c, rtol, rtol, scale_of(c))
