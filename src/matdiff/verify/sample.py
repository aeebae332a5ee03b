"""Random inputs that honour declared properties and the domains of the ops they feed.

Contract:

- `sample_sizes(names, rng)` gives each symbolic size a small integer (2..5 by default),
  different sizes different values where the range allows, so a transposed or
  mis-ordered product fails its check instead of passing by coincidence.
- `sample_value(var_node, sizes, rng, domain)` draws one value in user form (float,
  1-D vector, 2-D matrix) that satisfies the variable's declared properties (symmetric,
  spd, diagonal, orthogonal, positive, onehot, simplex) and, as far as they allow, the
  domain an op needs of its input (`RECORDS[op].domain`: real, positive, unit, nonzero,
  small, invertible, spd, square).
- `sample_values(nodes, rng, domains)` draws every variable (and differential) of the
  expressions; a variable's domain is the one given in `domains`, else the strictest
  domain of the ops it feeds directly (`log(x)` makes x positive, `logdet(X)` makes X
  spd), else real. Returns `(values, sizes)`.

All draws come from the `numpy.random.Generator` passed in, so a seed reproduces them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from ..backends.evaluate import (
    check_memory,
    concrete_shape,
    dim_names,
    leaves,
    to_user,
    walk,
)
from ..ir.dims import Dim, is_scalar
from ..ir.node import Node
from ..ir.ops import RECORDS, Op

DOMAINS = ("real", "positive", "unit", "nonzero", "small", "invertible", "spd", "square")

# Strictest first: when a variable feeds several ops, the first domain listed wins.
_PRIORITY = ("spd", "invertible", "positive", "unit", "small", "nonzero", "square", "real")


def sample_sizes(
    names: Iterable[Dim],
    rng: np.random.Generator,
    low: int = 2,
    high: int = 5,
    avoid: Iterable[int] = (),
) -> dict[str, int]:
    """Distinct small sizes for the symbolic size names (compound dims are split).

    The range widens past `high` when there are more names than values, and values in
    `avoid` (sizes already fixed elsewhere) are skipped where possible.
    """
    base: list[str] = []
    for d in names:
        for name in sorted(dim_names(d)):
            if name not in base:
                base.append(name)
    avoid = set(avoid)
    top = high
    while len([v for v in range(low, top + 1) if v not in avoid]) < len(base):
        top += 1
    pool = [v for v in range(low, top + 1) if v not in avoid]
    picks = rng.permutation(pool)[: len(base)]
    return {name: int(v) for name, v in zip(base, picks, strict=True)}


def _draw(domain: str, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Entries from a domain; the matrix domains apply to square shapes only."""
    m, n = shape
    if domain == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if domain == "unit":
        return rng.uniform(-0.8, 0.8, shape)
    if domain == "nonzero":
        return rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    if domain == "small":
        scale = 0.5 / max(1, n) if m == n and m > 1 else 0.5
        return rng.uniform(-scale, scale, shape)
    if domain == "invertible" and m == n:
        return (2.0 + np.sqrt(n)) * np.eye(n) + rng.normal(size=shape)
    if domain == "spd" and m == n:
        b = rng.normal(size=shape)
        return b @ b.T + n * np.eye(n)
    if domain in ("invertible", "spd") and m == 1 and n == 1:
        return rng.uniform(0.5, 2.0, shape)
    return rng.normal(size=shape)


def sample_array(
    props: Iterable[str], shape: tuple[int, int], rng: np.random.Generator, domain: str = "real"
) -> np.ndarray:
    """An internal 2-D array honouring the properties, then the domain where it can."""
    props = set(props)
    m, n = shape
    if domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r}; known: {', '.join(DOMAINS)}")
    if "onehot" in props:  # per column: one 1 in each (a batch of labels)
        out = np.zeros(shape)
        out[rng.integers(m, size=n), np.arange(n)] = 1.0
        return out
    if "simplex" in props:  # per column
        out = rng.uniform(0.5, 2.0, shape)
        return out / out.sum(axis=0, keepdims=True)
    if "orthogonal" in props:
        q, r = np.linalg.qr(rng.normal(size=shape))
        return q * np.sign(np.diag(r))  # signs fixed: Haar-distributed
    if "diagonal" in props:
        entry_domain = domain if domain not in ("spd", "invertible", "square") else "positive"
        if props & {"positive", "spd"}:
            entry_domain = "positive"
        elif entry_domain == "real":
            entry_domain = "nonzero"  # keeps a diagonal variable invertible
        return np.diag(_draw(entry_domain, (n, 1), rng).ravel())
    if "spd" in props or ("symmetric" in props and domain in ("spd", "invertible")):
        b = rng.normal(size=shape)
        out = b @ b.T + n * np.eye(n)
        return out if "positive" not in props else np.abs(out)
    if "positive" in props:
        out = rng.uniform(0.5, 2.0, shape)
        return (out + out.T) / 2 if "symmetric" in props else out
    if "symmetric" in props:
        out = _draw(domain, shape, rng)
        if domain in ("positive", "unit", "small", "nonzero"):
            upper = np.triu(out)
            return upper + np.triu(out, 1).T
        return (out + out.T) / 2
    return _draw(domain, shape, rng)


def sample_value(
    var_node: Node,
    sizes: Mapping[str, int],
    rng: np.random.Generator,
    domain: str = "real",
) -> float | np.ndarray:
    """One value in user form for a `var` (or `dvar`) node."""
    shape = concrete_shape(var_node.shape, sizes)
    props = var_node.arg.props if var_node.op == Op.VAR else frozenset()
    return to_user(sample_array(props, shape, rng, domain), var_node.shape)


def input_domains(nodes: Iterable[Node]) -> dict[str, str]:
    """For each variable fed directly to an op with a domain, the strictest such domain."""
    found: dict[str, str] = {}
    for n in walk(nodes):
        for i, c in enumerate(n.children):
            if c.op != Op.VAR:
                continue
            domain = _child_domain(n, i)
            name = c.arg.name
            old = found.get(name, "real")
            found[name] = min(old, domain, key=_PRIORITY.index)
    return {k: v for k, v in found.items() if v != "real"}


def _child_domain(parent: Node, index: int) -> str:
    op = parent.op
    if op == Op.POW:
        if index == 1:
            return "real"
        e = parent.children[1]
        if e.op == Op.CONST and float(e.arg).is_integer():
            return "nonzero" if e.arg < 0 else "real"
        return "positive"
    if op == Op.MPOW:
        return "invertible" if parent.arg < 0 else "real"
    domain = RECORDS[op].domain
    return "real" if domain == "square" else domain


def sample_values(
    nodes: Node | Iterable[Node],
    rng: np.random.Generator,
    domains: Mapping[str, str] | None = None,
    sizes: Mapping[str, int] | None = None,
) -> tuple[dict[str, float | np.ndarray], dict[str, int]]:
    """Values for every variable and differential of the expressions, and the sizes."""
    roots = [nodes] if isinstance(nodes, Node) else list(nodes)
    found = leaves(roots)
    dims: list[Dim] = []
    for n in walk(roots):
        for d in n.shape:
            if isinstance(d, str) and d not in dims:
                dims.append(d)
    chosen = dict(sizes or {})
    missing = [d for d in dims if dim_names(d) - chosen.keys()]
    chosen.update(sample_sizes(missing, rng, avoid=chosen.values()))
    check_memory(walk(roots), chosen)  # declared sizes can be huge: refuse, not allocate
    auto = input_domains(roots)
    given = dict(domains or {})
    values: dict[str, float | np.ndarray] = {}
    for key, leaf in found.items():
        domain = given.get(key, auto.get(key, "real"))
        if is_scalar(leaf.shape) and domain in ("spd", "invertible"):
            domain = "positive"
        values[key] = sample_value(leaf, chosen, rng, domain)
    return values, chosen
