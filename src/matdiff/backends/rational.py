"""Exact small fractions for printed constants: `2/3`, not `0.6666666666666666`.

Contract: `small_fraction(v)` returns `(p, q)`, q > 1, when the float `v` is the double
nearest to the fraction p/q with q <= MAX_DENOMINATOR, or within ULPS units in the last
place of it, and that fraction has no short decimal spelling (q has a prime factor other
than 2 and 5); otherwise None. The printers spell such a constant as a fraction (text
`2/3`, LaTeX `\\frac{2}{3}`, Unicode `⅔`); every other number keeps its shortest
round-tripping decimal (`0.5`, `0.25`, `1e-08`, `0.1234`), so nothing that already
printed exactly changes.

Why exactly the nearest double: `1/3*x'*x` by x folds `2*(1/3)` to 0.6666666666666666,
which is `float(Fraction(2, 3))`; a measured value such as 0.6666 is not, and stays a
decimal. Reading the printed `2/3` back divides 2 by 3 in floating point, which gives
that same nearest double, so a fraction pastes back to the identical constant.

Why a few units in the last place: the builders fold constants in floating point, so an
exponent that is mathematically -4/3 (`norm2(x)^(2/3)` differentiated: 2/3 - 2) arrives
as -1.3333333333333335, one unit off the nearest double. The fraction is the true value
and the decimal shows only the rounding; a measured constant is never that close to a
fraction with a small denominator by chance (the nearest such fractions are 1e-6 apart).
Pasted back, such a fraction differs from the printed node's constant by those few units.
"""

from __future__ import annotations

import math
from fractions import Fraction

MAX_DENOMINATOR = 1000
ULPS = 4


def _terminates(q: int) -> bool:
    """Whether 1/q has a finite decimal expansion (q = 2^a 5^b)."""
    for p in (2, 5):
        while q % p == 0:
            q //= p
    return q == 1


def small_fraction(v: float) -> tuple[int, int] | None:
    """(p, q) for a float that is p/q up to its rounding (see the contract), else None."""
    if not math.isfinite(v) or float(v).is_integer():
        return None
    f = Fraction(v).limit_denominator(MAX_DENOMINATOR)
    if f.denominator == 1 or _terminates(f.denominator):
        return None
    if abs(float(f) - v) > ULPS * math.ulp(v):
        return None
    return f.numerator, f.denominator
