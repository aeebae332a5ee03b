"""The numeric reference evaluator: an expression and values in, a NumPy array out.

Contract:

- `evaluate(node, values)` returns a 2-D float array of the node's concrete shape (a
  scalar is (1, 1), a vector (n, 1)); `to_user` turns it into what a person expects (a
  float, a 1-D vector, a 2-D matrix). Every node's value has its node's shape: a rule
  that gives another is a bug in a builder or a rule and raises AssertionError; it is
  never broadcast (a broadcast 1×1 once hid fills that lost their shape, issue 9).
- `values` maps variable names, and differential keys such as "d:X:1" (see
  `ir.node.dvar_key`), to array-likes. Vectors are 1-D (an (n, 1) or (1, n) array is
  accepted too), scalars Python floats or 0-d arrays, matrices 2-D.
- Symbolic sizes are bound from the values (`bind_sizes`); contradictions, missing
  values, values of the wrong kind, non-finite values, and values outside a function's
  domain raise `InputValueError` naming the variable or the subexpression; a raw NumPy
  warning or a silent nan never escapes. Declared properties (symmetric, spd,
  diagonal, orthogonal, positive, onehot, simplex) are checked with a tolerance unless
  `check_props=False` (finite differences perturb entries one at a time).
- Each distinct node is computed once per call, by an explicit stack (deep trees do
  not hit the recursion limit) with its op's value function, `RECORDS[op].numpy`
  (written beside the op's other mathematics in ir/ops_*.py). Formulas are the careful
  ones: slogdet for logdet, max-shifted softmax and logsumexp, a stable sigmoid and
  softplus, solve-based inverse with a conditioning check, Padé scaling-and-squaring
  for expm (ir/numeric.py). A value outside an op's domain (`OutsideDomain`) becomes an
  InputValueError naming the op and the subexpression.

This is the reference every other backend and every derivative rule is checked
against, so it favours clarity and accuracy over speed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..errors import InputValueError, LimitError
from ..ir.dims import (
    Dim,
    Shape,
    dim_names,
    dim_terms,
    format_shape,
    kind_of,
    resolve_dim,
    user_axes,
)
from ..ir.node import Node, dvar_key
from ..ir.numeric import OutsideDomain, commutation_matrix, concrete_shape, expm  # noqa: F401
from ..ir.ops import RECORDS, Op
from ..ir.walk import topological
from .text import to_text

Array = np.ndarray
Values = Mapping[str, Any]

# ------------------------------------------------------------------------ user <-> internal


_kind = kind_of


def describe(shape: Shape) -> str:
    """`vector n`, `matrix n×m`, `row vector 1×n`, `scalar`: how declarations read."""
    kind = _kind(shape)
    return kind if kind == "scalar" else f"{kind} {format_shape(shape)}"


def to_internal(value: Any, shape: Shape, name: str = "value") -> Array:
    """A user value as a 2-D float array for a declared (possibly symbolic) shape.

    Only the kind is checked here (a 1-D array for a matrix is an error); sizes are
    checked against integer dims, symbolic ones are left to `bind_sizes`.
    """
    try:
        a = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise InputValueError(f"the value of {name} is not an array of numbers: {exc}") from exc
    if a.dtype == object or a.dtype.kind not in "biuf":
        if a.dtype.kind == "c":
            raise InputValueError(f"the value of {name} is complex; matdiff works with reals")
        raise InputValueError(f"the value of {name} is not an array of numbers")
    a = a.astype(float)
    kind = _kind(shape)
    if kind == "scalar":
        if a.size != 1 or a.ndim > 2:
            raise InputValueError(
                f"{name} is a scalar but its value has shape {a.shape}"
            )
        out = a.reshape(1, 1)
    elif kind in ("vector", "row vector"):
        if a.ndim == 1:
            flat = a
        elif a.ndim == 2 and (a.shape[1] == 1 or a.shape[0] == 1):
            flat = a.ravel()
        else:
            raise InputValueError(
                f"{name} is a {describe(shape)} but its value has shape {a.shape}",
                hint="give a vector as a 1-D array",
            )
        out = flat.reshape(-1, 1) if kind == "vector" else flat.reshape(1, -1)
    else:
        if a.ndim != 2:
            raise InputValueError(
                f"{name} is a {describe(shape)} but its value is {a.ndim}-D"
                f" with shape {a.shape}",
                hint="give a matrix as a 2-D array",
            )
        out = a
    for axis in (0, 1):
        d = shape[axis]
        if isinstance(d, int) and out.shape[axis] != d:
            raise InputValueError(
                f"{name} is a {describe(shape)} but its value {_value_desc(out, shape)}"
            )
    if not np.all(np.isfinite(out)):
        raise InputValueError(f"the value of {name} has non-finite entries (nan or inf)")
    return out


def to_user(array: Any, shape: Shape) -> float | Array:
    """An internal 2-D array as a user value: float, 1-D vector, or 2-D matrix."""
    a = np.asarray(array, dtype=float)
    kind = _kind(shape)
    if kind == "scalar":
        return float(a.reshape(-1)[0])
    if kind in ("vector", "row vector"):
        return a.reshape(-1).copy()
    return a.reshape(a.shape[-2:]).copy() if a.ndim >= 2 else a.copy()


def user_shape(shape: tuple[int, int], symbolic: Shape) -> tuple[int, ...]:
    """The user-facing shape of a value of concrete `shape` whose node has the `symbolic`
    shape: () for a scalar, (n,) for vectors, (m, n) (ir/dims.py's rule; the symbolic
    shape decides, so a vector of n = 1 entries stays a vector)."""
    return tuple(shape[i] for i in user_axes(symbolic))


# ------------------------------------------------------------------------------- sizes


# One dimension arithmetic for the project (ir/dims.py): names kept for this module's
# users (codegen, verify).
_terms = dim_terms
resolve = resolve_dim


def walk(roots: Iterable[Node]) -> list[Node]:
    """Every distinct node under the roots, children before parents (no recursion):
    ir.walk's topological order, the last root visited first, as callers have relied on
    (the order of `leaves`, so of generated functions' parameters)."""
    return topological(list(roots)[::-1])


def leaves(roots: Iterable[Node]) -> dict[str, Node]:
    """Variables and differentials by value key (name, or "d:X:1")."""
    out: dict[str, Node] = {}
    for n in walk(roots):
        if n.op == Op.VAR:
            out.setdefault(n.arg.name, n)
        elif n.op == Op.DVAR:
            out.setdefault(dvar_key(n.arg), n)
    return out


def _label(key: str) -> str:
    if key.startswith("d:"):
        _, name, k = key.split(":")
        return f"d{name}" if k == "1" else f"d{name}_{k}"
    return key


def _roots(node_or_nodes: Node | Iterable[Node]) -> list[Node]:
    return [node_or_nodes] if isinstance(node_or_nodes, Node) else list(node_or_nodes)


def bind_sizes(
    node_or_nodes: Node | Iterable[Node],
    values: Values,
    sizes: Mapping[str, int] | None = None,
) -> dict[str, int]:
    """Bind every symbolic size the expressions use from the shapes of the values.

    Raises InputValueError for a missing value, a value of the wrong kind, or two
    values that give one size different lengths (naming both and where they meet).
    """
    roots = _roots(node_or_nodes)
    bound: dict[str, int] = dict(sizes or {})
    source = {n: ("sizes", f"is given as {v}") for n, v in bound.items()}
    compound: list[tuple[Dim, int, str, str]] = []
    for key, leaf in leaves(roots).items():
        label = _label(key)
        if key not in values:
            raise InputValueError(f"no value for {label} ({describe(leaf.shape)})")
        arr = to_internal(values[key], leaf.shape, label)
        desc = _value_desc(arr, leaf.shape)
        if leaf.shape[0] == leaf.shape[1] and arr.shape[0] != arr.shape[1]:
            # The value itself is wrong (not square), whatever the other values say:
            # name it, not the variable that happened to bind the size first.
            raise InputValueError(f"{label} is {arr.shape[0]}×{arr.shape[1]} but it is a "
                                  f"square {describe(leaf.shape)}",
                                  hint="give a square 2-D array")
        for axis in (0, 1):
            d, actual = leaf.shape[axis], arr.shape[axis]
            if isinstance(d, int):
                continue  # to_internal checked it
            terms = _terms(d)
            if len(terms) == 1 and terms[0][0] == 1 and len(terms[0][1]) == 1:
                name = terms[0][1][0]
                if name in bound and bound[name] != actual:
                    raise _conflict(roots, name, source[name], (label, desc), leaf.shape)
                if name not in bound:
                    bound[name] = actual
                    source[name] = (label, desc)
            else:
                compound.append((d, actual, label, desc))
    _solve_compound(compound, bound)
    return bound


def _value_desc(a: Array, shape: Shape) -> str:
    """`is 3×4`, `has 5 entries`, `is a scalar`: a value's size as messages say it."""
    kind = _kind(shape)
    if kind == "scalar":
        return "is a scalar"
    if kind in ("vector", "row vector"):
        return f"has {a.size} entries"
    return f"is {a.shape[0]}×{a.shape[1]}"


def _conflict(
    roots: list[Node], dim: str, first: tuple[str, str], second: tuple[str, str], shape: Shape
) -> InputValueError:
    a, desc_a = first
    b, desc_b = second
    if a == b:
        return InputValueError(
            f"{a} {desc_b} but it is declared {describe(shape)}; both sizes named {dim}"
            " must be equal"
        )
    where = _meeting_point(roots, a, b)
    return InputValueError(
        f"{a} {desc_a} but {b} {desc_b}; {where} needs them equal ({dim})"
    )


def _meeting_point(roots: list[Node], a: str, b: str) -> str:
    """Text of the smallest subexpression that uses both a and b."""
    keys = {a, b}
    uses: dict[int, set[str]] = {}
    best: tuple[int, Node] | None = None
    size: dict[int, int] = {}
    for n in walk(roots):
        if n.op == Op.VAR:
            u = {n.arg.name} & keys
        elif n.op == Op.DVAR:
            u = {_label(dvar_key(n.arg))} & keys
        else:
            u = set().union(*(uses[id(c)] for c in n.children)) if n.children else set()
        uses[id(n)] = u
        size[id(n)] = 1 + sum(size[id(c)] for c in n.children)
        if u == keys and (best is None or size[id(n)] < best[0]):
            best = (size[id(n)], n)
    return _text(best[1]) if best is not None else "the expression"


def _solve_compound(compound: list[tuple[Dim, int, str, str]], bound: dict[str, int]) -> None:
    pending = list(compound)
    progress = True
    while pending and progress:
        progress = False
        for item in list(pending):
            d, actual, label, desc = item
            unknown = dim_names(d) - bound.keys()
            if not unknown:
                if resolve(d, bound) != actual:
                    raise InputValueError(
                        f"{label} {desc} but its size {d} is {resolve(d, bound)} here"
                    )
                pending.remove(item)
                progress = True
            elif len(unknown) == 1:
                (name,) = unknown
                known = 0
                factor = 0
                for coef, names in _terms(d):
                    rest = [n for n in names if n != name]
                    value = coef * math.prod(bound[n] for n in rest)
                    power = len(names) - len(rest)
                    if power == 0:
                        known += value
                    elif power == 1 and factor == 0:
                        factor = value
                    else:
                        factor = -1  # not linear in the unknown: leave it
                if factor > 0 and (actual - known) % factor == 0 and actual - known >= 0:
                    bound[name] = (actual - known) // factor
                    progress = True
                elif factor > 0:
                    raise InputValueError(
                        f"{label} {desc}, which no size {name} fits ({d})"
                    )


# --------------------------------------------------------------------------- evaluation


def _text(node: Node, limit: int = 80) -> str:
    try:
        t = to_text(node)
    except (RecursionError, Exception):  # messages must not fail on a deep tree
        return f"{node.op}(...)"
    return t if len(t) <= limit else t[: limit - 3] + "..."




def evaluate(
    node: Node,
    values: Values,
    *,
    sizes: Mapping[str, int] | None = None,
    check_props: bool = True,
) -> Array:
    """The value of `node` as a 2-D float array of its concrete shape."""
    bound = bind_sizes(node, values, sizes)
    memo: dict[int, Array] = {}
    leaf_cache: dict[str, Array] = {}
    order = walk([node])
    check_memory(order, bound)
    for n in order:
        memo[id(n)] = _eval_node(n, [memo[id(c)] for c in n.children], values, bound,
                                 leaf_cache, check_props)
    return memo[id(node)]


# The most entries one intermediate value may have (8 bytes each: 400 MB): sizes that
# would need more (eye(n) with n = 100,000, kron of two 300×300 matrices) are refused
# before anything is allocated, instead of exhausting the machine's memory.
MAX_ELEMENTS = 50_000_000


def check_memory(order: Iterable[Node], sizes: Mapping[str, int]) -> None:
    """A LimitError when a node's value at these sizes would be over MAX_ELEMENTS."""
    for n in order:
        r, c = concrete_shape(n.shape, sizes)
        if r * c > MAX_ELEMENTS:
            raise LimitError(
                f"{_text(n, 40)} would have {r}×{c} entries; the limit is {MAX_ELEMENTS:,}",
                hint="evaluate at smaller sizes",
            )


def _eval_node(
    n: Node,
    kids: list[Array],
    values: Values,
    sizes: Mapping[str, int],
    leaf_cache: dict[str, Array],
    check_props: bool,
) -> Array:
    op = n.op
    if op in (Op.VAR, Op.DVAR):
        key = n.arg.name if op is Op.VAR else dvar_key(n.arg)
        if key not in leaf_cache:
            arr = to_internal(values[key], n.shape, _label(key))
            shape = concrete_shape(n.shape, sizes)
            if arr.shape != shape:
                raise InputValueError(
                    f"{_label(key)} has shape {arr.shape[0]}×{arr.shape[1]} but"
                    f" {describe(n.shape)} is {shape[0]}×{shape[1]} here"
                )
            if op is Op.VAR and check_props:
                check_properties(n.arg.name, arr, n.arg.props)
            leaf_cache[key] = arr
        return leaf_cache[key]
    rule = RECORDS[op].numpy
    if rule is None:
        raise NotImplementedError(f"no evaluation rule for op {op!r}")
    try:
        with np.errstate(all="ignore"):
            out = rule(n, kids, sizes)
    except OutsideDomain as exc:
        raise InputValueError(f"{op} of {exc.what} in {_text(n)}") from None
    out = np.asarray(out, dtype=float)
    shape = concrete_shape(n.shape, sizes)
    if out.shape != shape:
        # A node's value has its node's shape: a mismatch is a builder or rule bug that
        # a broadcast here would hide (issue 9), so it is reported, never repaired.
        raise AssertionError(
            f"{op} evaluates to {out.shape[0]}×{out.shape[1]} but its node is"
            f" {shape[0]}×{shape[1]}: {_text(n)}"
        )
    if not np.all(np.isfinite(out)):
        raise InputValueError(
            f"{op} gives a non-finite value (overflow or outside its domain) in {_text(n)}"
        )
    return out


# ---------------------------------------------------------------------- property checks

_TOL = 1e-8


def check_properties(name: str, a: Array, props: Iterable[str]) -> None:
    """Raise InputValueError when a value breaks a declared property (with tolerance)."""
    props = set(props)
    scale = max(1.0, float(np.max(np.abs(a)))) if a.size else 1.0
    tol = _TOL * scale
    square = a.shape[0] == a.shape[1]
    if props & {"symmetric", "spd", "diagonal", "orthogonal"} and not square:
        raise InputValueError(f"{name} is declared {_first(props)} but is not square")
    if props & {"symmetric", "spd"} and not np.allclose(a, a.T, rtol=0, atol=tol):
        raise InputValueError(f"{name} is declared symmetric but its value is not")
    if "spd" in props:
        try:
            np.linalg.cholesky((a + a.T) / 2)
        except np.linalg.LinAlgError:
            raise InputValueError(
                f"{name} is declared spd but its value is not positive definite"
            ) from None
    if "diagonal" in props and np.any(np.abs(a - np.diag(np.diag(a))) > tol):
        raise InputValueError(f"{name} is declared diagonal but has off-diagonal entries")
    if "orthogonal" in props and not np.allclose(a.T @ a, np.eye(a.shape[0]), atol=1e-6):
        raise InputValueError(f"{name} is declared orthogonal but {name}'*{name} is not eye")
    # A positive diagonal matrix has positive entries on its diagonal.
    entries = np.diag(a) if "diagonal" in props else a
    if "positive" in props and np.any(entries <= 0):
        raise InputValueError(f"{name} is declared positive but has entries <= 0")
    # onehot and simplex hold per column: for a matrix, a batch of labels/probabilities
    cols = "" if a.shape[1] == 1 else " in every column"
    if "onehot" in props:
        ones = np.isclose(a, 1.0, atol=tol)
        zeros = np.isclose(a, 0.0, atol=tol)
        if not np.all(ones | zeros) or np.any(ones.sum(axis=0) != 1):
            raise InputValueError(
                f"{name} is declared onehot but is not a unit vector{cols} (one 1, the rest 0)"
            )
    if "simplex" in props and (np.any(a < -tol)
                               or np.any(np.abs(a.sum(axis=0) - 1.0) > 1e-6)):
        raise InputValueError(
            f"{name} is declared simplex but its entries{cols} are not non-negative summing "
            "to 1"
        )


def _first(props: set[str]) -> str:
    return sorted(props)[0]


# ------------------------------------------------------------------------------- values


def has_rule(op: str) -> bool:
    """Whether the evaluator knows `op` (leaves included); tests loop over the op table."""
    return op in (Op.VAR, Op.DVAR) or (op in RECORDS and RECORDS[Op(op)].numpy is not None)
