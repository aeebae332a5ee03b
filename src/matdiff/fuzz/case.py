"""One differential test case: a random expression, what to differentiate it by, values.

Contract:

- `random_case(seed, max_depth)` draws a case from its seed alone: the function (text
  of the language, over declared variables), the variable (or a list of scalars), the
  order 1-3, the layout, `structured` where it applies (a scalar function of a
  symmetric, spd or diagonal variable, order 1), the sizes (n, m, p distinct in 2..4)
  and the values' seed. The same seed gives the same case.
- `Case.declarations()` gives the `--var` declarations of the variables in the
  expression, `Case.command()` the `matdiff ...` command that reproduces it, and
  `Case.values()` the values (2-D arrays, properties honoured) and `user_values()` the
  same as matdiff takes them (float, 1-D vector, 2-D matrix).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from . import reference
from .generator import Generator
from .tree import ONE, SCALAR, E, Shape, atom, dim_text, kind, text, variables

STRUCTURE = frozenset({"symmetric", "spd", "diagonal", "orthogonal"})
WRT_EXCLUDED = frozenset({"onehot", "simplex"})  # constants of their set: never wrt


@dataclass(frozen=True)
class Case:
    expr: E
    decls: dict[str, tuple[Shape, frozenset[str]]]
    wrt: tuple[str, ...]
    order: int = 1
    layout: str = "numerator"
    structured: bool = False
    sizes: dict[str, int] = field(default_factory=lambda: {"n": 3, "m": 4, "p": 2})
    seed: int = 0

    @property
    def text(self) -> str:
        return text(self.expr)

    def used(self) -> dict[str, tuple[Shape, frozenset[str]]]:
        names = variables(self.expr)
        return {n: self.decls[n] for n in names}

    def declarations(self) -> dict[str, str]:
        out = {}
        for name, (shape, props) in self.used().items():
            k = kind(shape)
            if k == "scalar":
                words = ["scalar"]
            elif k == "col":
                words = ["vector", dim_text(shape[0])]
            else:
                words = ["matrix", dim_text(shape[0]), dim_text(shape[1])]
            out[name] = " ".join(words + sorted(props))
        return out

    def command(self) -> str:
        # Double quotes: the language has no ", $, ` or \\, and its ' must stay literal.
        parts = ["matdiff", f'"{self.text}"', "--wrt", ",".join(self.wrt)]
        if self.order != 1:
            parts += ["--order", str(self.order)]
        if self.layout != "numerator":
            parts += ["--layout", self.layout]
        if self.structured:
            parts.append("--structured")
        for name, decl in self.declarations().items():
            parts += ["--var", f'"{name}: {decl}"']
        return " ".join(parts)

    def values(self) -> dict[str, np.ndarray]:
        return reference.sample_values(self.used(), self.sizes, self.seed)

    def user_values(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for name, v in self.values().items():
            k = kind(self.decls[name][0])
            out[name] = float(v[0, 0]) if k == "scalar" else (
                v.reshape(-1) if k == "col" else v)
        return out

    def with_expr(self, expr: E) -> Case:
        return replace(self, expr=expr)


def _f_shape(gen: Generator) -> Shape:
    roll = gen.rng.random()
    if roll < 0.5:
        return SCALAR
    if roll < 0.7:
        return (gen.size(), ONE)
    if roll < 0.75:
        return (ONE, gen.size())
    return (gen.size(), gen.size())


def random_case(seed: int, max_depth: int = 4, max_nodes: int = 60) -> Case:
    """A case drawn from the seed alone (see the module contract)."""
    rng = np.random.default_rng(seed)
    for _ in range(50):
        gen = Generator(rng)
        shape = _f_shape(gen)
        depth = int(rng.integers(1, max_depth + 1))
        expr = gen.expr(shape, depth)
        names = [n for n in variables(expr) if not gen.variables[n][1] & WRT_EXCLUDED]
        if expr.size <= max_nodes and names:
            break
    else:  # pragma: no cover - 50 draws without a usable expression do not happen
        x = atom("n")
        gen = Generator(rng)
        expr = gen.var((x, ONE))
        names = variables(expr)
    decls = {n: gen.variables[n] for n in variables(expr)}
    sizes = dict(zip(("n", "m", "p"), (int(v) for v in rng.permutation([2, 3, 4])),
                     strict=True))
    return _choose_wrt(rng, expr, decls, names, sizes, seed)


def _choose_wrt(rng: np.random.Generator, expr: E, decls: dict, names: list[str],
                sizes: dict[str, int], seed: int) -> Case:
    fk = kind(expr.shape)
    scalars = [n for n in names if decls[n][0] == SCALAR]
    if len(scalars) >= 2 and fk in ("scalar", "col") and rng.random() < 0.25:
        k = int(rng.integers(2, len(scalars) + 1))
        wrt = tuple(str(s) for s in rng.permutation(scalars)[:k])
        order = int(rng.integers(1, 3)) if fk == "scalar" else 1
        layout = "denominator" if rng.random() < 0.3 else "numerator"
        return Case(expr, decls, wrt, order, layout, False, sizes, seed)
    name = str(names[int(rng.integers(len(names)))])
    xshape, props = decls[name]
    xk = kind(xshape)
    roll = rng.random()
    order = 1 if roll < 0.55 else 2 if roll < 0.9 else 3
    if order == 3 and (xk == "mat" or fk == "mat"):
        order = 2  # basis evaluation of a third order by a matrix is slow and rare
    layout = "denominator" if rng.random() < 0.3 else "numerator"
    structured = (fk == "scalar" and order == 1 and bool(props & {"symmetric", "spd",
                  "diagonal"}) and rng.random() < 0.5)
    return Case(expr, decls, (name,), order, layout, structured, sizes, seed)
