"""The numerical check of a Hessian-vector product: H·v against differences of the gradient.

Contract:

- `check_hvp(h, trials, seed, rtol, atol, step)` evaluates `h` (a HessianVectorProduct)
  at `trials` random inputs drawn by `sample_values` (properties and op domains
  honoured, the same sizes for every trial) and a random direction v (normal entries,
  the variable's shape), and compares it with the central difference
  (g(x + s·v) − g(x − s·v)) / 2s of the gradient g that H·v differentiates: the
  unconstrained one, in variables free of structure properties (`h.gradient_free`), so
  its values at x + s·v off a declared set (a symmetric S plus a general v) are right;
  s is relative to the size of x.
- Entries agree when |a − b| <= atol·scale + rtol·max(|a|, |b|), scale = max(1, largest
  reference entry). A draw that cannot be evaluated is replaced, at most MAX_DRAWS times.
  The direction, the difference and the closeness are verify/numeric.py's.
- The result is a `CheckResult` (verify/check.py): truthy when it passes, one line.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backends.evaluate import evaluate, to_user
from .check import _EVAL_ERRORS, MAX_DRAWS, CheckResult
from .numeric import (
    ATOL,
    DEFAULT_STEP,
    RTOL,
    central_difference,
    close,
    errors,
    random_direction,
    relative_step,
    scale_of,
)
from .sample import sample_values


def _sizes_text(sizes: dict[str, int]) -> str:
    return f" ({', '.join(f'{k}={v}' for k, v in sizes.items())})" if sizes else ""


def _trial(h: Any, rng: np.random.Generator, sizes: dict[str, int] | None,
           step: float) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """(H·v, its central-difference reference, sizes) at one random input."""
    name, direction = h.wrt.arg.name, h.direction.arg.name
    values, drawn = sample_values([h.function, h.wrt], rng, sizes=sizes)
    x = np.asarray(values[name], dtype=float)
    v = random_direction(rng, x.shape)
    symbolic = np.asarray(h.evaluate(values, **{direction: v if v.ndim else float(v)}))
    free = h.gradient_free if h.gradient_free is not None else h.gradient

    def grad_at(point: np.ndarray) -> np.ndarray:
        moved = {**values, name: point if point.ndim else float(point)}
        g = evaluate(free, moved, sizes=drawn, check_props=False)
        return np.asarray(to_user(g, h.wrt.shape), dtype=float)

    numeric = central_difference(grad_at, x, v, relative_step(x, step))
    if not (np.all(np.isfinite(symbolic)) and np.all(np.isfinite(numeric))):
        raise ArithmeticError("a non-finite value")
    return symbolic, numeric, {k: int(w) for k, w in sorted(drawn.items())}


def check_hvp(h: Any, trials: int = 3, seed: int = 0, rtol: float = RTOL,
              atol: float = ATOL, step: float = DEFAULT_STEP) -> CheckResult:
    rng = np.random.default_rng(int(seed))
    sizes: dict[str, int] | None = None
    max_abs = max_rel = 0.0
    for trial in range(1, trials + 1):
        last = ""
        for _ in range(MAX_DRAWS):
            try:
                symbolic, numeric, sizes = _trial(h, rng, sizes, step)
            except _EVAL_ERRORS as e:
                last = str(e).splitlines()[0] if str(e) else type(e).__name__
                continue
            break
        else:
            return CheckResult(False, trial, float("nan"), float("nan"), sizes or {},
                               f"numerical check failed: trial {trial} could not be "
                               f"evaluated at {MAX_DRAWS} random inputs: {last}")
        abs_err, rel_err = errors(symbolic, numeric)
        max_abs, max_rel = max(max_abs, abs_err), max(max_rel, rel_err)
        if not close(symbolic, numeric, rtol, atol, scale_of(numeric)):
            return CheckResult(False, trial, max_abs, max_rel, sizes,
                               f"numerical check failed: trial {trial} of {trials}"
                               f"{_sizes_text(sizes)}, max relative error {rel_err:.1e} "
                               "against central differences of the gradient along v",
                               details={"symbolic": symbolic, "numeric": numeric})
    return CheckResult(True, trials, max_abs, max_rel, sizes or {},
                       f"numerical check passed: {trials} random input"
                       f"{'s' if trials != 1 else ''}{_sizes_text(sizes or {})}, max "
                       f"relative error {max_rel:.1e} against central differences of the "
                       "gradient along v")
