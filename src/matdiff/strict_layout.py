"""Strict numerator layout: most textbooks' tables, as a thin layer over numerator layout.

Contract:
- In strict numerator layout the derivative of a scalar by a vector x (n) is a row
  (1×n), by a matrix X (m×n) an n×m matrix: the transposes of the numerator-layout
  gradient G (which has the variable's shape, as in the lesson). Jacobians (m×n),
  derivatives by a scalar, Kronecker forms and Hessians are the same as in numerator
  layout.
- `strict(d)` takes a numerator-layout `Derivative` and returns a `StrictDerivative`
  with `layout == "strict"` and `expr` the transposed gradient (simplified); its
  `numerator` is the derivative it was made from.
- Values (`evaluate`) are the numerator-layout values with the gradient transposed: a
  matrix variable's gradient comes as n×m, a vector's as a 1-D array (vectors are 1-D in
  both layouts). `check` checks the numerator-layout derivative (the same mathematics)
  against finite differences; `to_code` generates the numerator-layout code and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from .diff.derivative import Derivative
from .ir import build as b
from .rewrite.driver import simplify

STRICT = "strict"
# forms a strict layout writes as the transpose of numerator layout (order 1 only)
TRANSPOSED_FORMS = ("gradient", "gradient_list")


def transposes(d: Derivative) -> bool:
    """Whether strict layout writes `d` (a numerator-layout derivative) transposed."""
    return d.order == 1 and d.form in TRANSPOSED_FORMS


@dataclass(repr=False)  # Derivative's own repr: <Derivative df/dX: A>
class StrictDerivative(Derivative):
    """A derivative in strict numerator layout (see the module docstring)."""

    numerator: Derivative | None = None

    def evaluate(self, values: Any = None, **kw: Any) -> Any:
        """The value at the given variables' values: the numerator-layout value, with a
        gradient by a matrix transposed (n×m for X m×n)."""
        base = self.numerator if self.numerator is not None else self
        value = Derivative.evaluate(base, values, **kw)
        if not transposes(base) or np.ndim(value) < 2:
            return value
        return np.asarray(value).T

    def check(self, trials: int = 3, seed: int = 0) -> Any:
        """The numerator-layout derivative (the same mathematics) against central finite
        differences; see `Derivative.check`."""
        base = self.numerator if self.numerator is not None else self
        return Derivative.check(base, trials=trials, seed=seed)

    def to_code(self, backend: str = "numpy", name: str | None = None) -> str:
        """The numerator-layout code (a gradient with the variable's shape): strict
        layout's gradient is its transpose."""
        base = self.numerator if self.numerator is not None else self
        code = Derivative.to_code(base, backend, name)
        note = ("# strict numerator layout: this code returns the numerator-layout "
                "gradient (the variable's shape); the strict gradient is its transpose\n")
        return note + code if transposes(base) else code


def strict(d: Derivative) -> StrictDerivative:
    """`d` (numerator layout) in strict numerator layout."""
    values = {f.name: getattr(d, f.name) for f in fields(Derivative)}
    values["layout"] = STRICT
    if transposes(d) and d.expr is not None:
        values["expr"] = simplify(b.transpose(d.expr))
    return StrictDerivative(**values, numerator=d)
