"""Random inputs for comparing a person's answer with the derivative numerically.

Contract: `Samples(nodes, trials, seed, symmetric)` draws `trials` points honouring the
declarations of the variables of `nodes` (verify.sample), with general square matrices
made non-symmetric (so inv(X) and inv(X)' can be told apart) and the names in
`symmetric` made symmetric; `values(node)` evaluates a node at every point (None when it
cannot be evaluated there). `close(a, c)` compares two such lists of values, pair by
pair with verify/numeric.py's closeness (absolute tolerance 10·rtol, scaled by the size
of c's values).
"""

from __future__ import annotations

import numpy as np

from ..backends.evaluate import evaluate
from ..errors import MatdiffError
from ..ir.dims import is_scalar
from ..ir.node import Node, variables_in
from ..verify.numeric import close as close_arrays
from ..verify.numeric import scale_of
from ..verify.sample import sample_values


class Samples:
    """Random inputs honouring the declarations, and values of expressions at them."""

    def __init__(self, nodes: list[Node], trials: int, seed: int,
                 symmetric: frozenset[str] = frozenset(),
                 sizes: dict[str, int] | None = None) -> None:
        self.points: list[dict] = []
        self.sizes: dict[str, int] = {}
        rng = np.random.default_rng(seed)
        general = {v.arg.name for v in variables_in(nodes).values()
                   if v.shape[0] == v.shape[1] and not is_scalar(v.shape)
                   and not v.arg.props & {"symmetric", "spd", "diagonal", "orthogonal"}}
        tries = 0
        while len(self.points) < trials and tries < 4 * trials:
            tries += 1
            values, self.sizes = sample_values(nodes, rng, sizes=sizes)
            for name in general:
                # an spd domain (logdet) draws symmetric matrices; a general matrix must
                # not be symmetric, or inv(X) and inv(X)' could not be told apart. An
                # antisymmetric part keeps X + X' positive definite (so det(X) > 0).
                v = np.asarray(values[name], dtype=float)
                if close_arrays(v, v.T, rtol=1e-5, atol=1e-8):
                    k = rng.normal(size=v.shape)
                    values[name] = v + 0.3 * (k - k.T)
            for name in symmetric:
                v = np.asarray(values[name], dtype=float)
                values[name] = (v + v.T) / 2
            self.points.append(values)

    def values(self, node: Node) -> list[np.ndarray] | None:
        out = []
        for p in self.points:
            try:
                out.append(np.asarray(evaluate(node, p, check_props=False), dtype=float))
            except MatdiffError:
                return None
        return out


def close(a: list[np.ndarray] | None, c: list[np.ndarray] | None, rtol: float = 1e-7) -> bool:
    if a is None or c is None or len(a) != len(c) or not a:
        return False
    return all(close_arrays(x, y, rtol, 10 * rtol, scale_of(y))
               for x, y in zip(a, c, strict=True))
