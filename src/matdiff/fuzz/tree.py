"""The fuzzer's own expression tree: shapes with symbolic sizes, and the text it prints.

Contract:

- A `Dim` is a sum of products of size names in one normal form: a sorted tuple of
  terms, each term a sorted tuple of names; `()` is the term 1. So `n` is `(("n",),)`,
  `m+n` is `(("m",), ("n",))`, `m*n` is `(("m", "n"),)` and 2 is `((), ())`. `dim_value`
  gives its integer value for concrete sizes.
- An `E` is one node: `op`, `shape` (rows, cols), children `kids`, and `arg`. It is
  independent of matdiff's Node on purpose: the reference (reference.py) translates this
  tree, never matdiff's, so the engine and its oracle share nothing but the text.
- `text(e)` prints the language (README "The language"), parenthesised so that it
  parses back to the same tree; every case is reproducible as a `matdiff` command.

Ops: var (arg name), num (arg float), eye (arg: True for `eye(n)`, False for `eye`),
fill (arg (word, c): `vector(c)` / `matrix(c)`), add, sub, neg, mul (`*`: scaling or
matrix product), div (`/` by a scalar), had (`.*`), ediv (`./`), pow (`^` of scalars),
epow (`.^`), mpow (`^` of a square matrix, arg the integer power), T (postfix `'`),
call (arg the function name), block (arg (rows, cols), kids row by row).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

Dim = tuple[tuple[str, ...], ...]
Shape = tuple[Dim, Dim]

ONE: Dim = ((),)
SCALAR: Shape = (ONE, ONE)


def atom(name: str) -> Dim:
    return ((name,),)


def dim_add(a: Dim, b: Dim) -> Dim:
    return tuple(sorted(a + b))


def dim_mul(a: Dim, b: Dim) -> Dim:
    return tuple(sorted(tuple(sorted(s + t)) for s in a for t in b))


def dim_value(d: Dim, sizes: Mapping[str, int]) -> int:
    return sum(math.prod(sizes[x] for x in term) for term in d)


def shape_value(s: Shape, sizes: Mapping[str, int]) -> tuple[int, int]:
    return dim_value(s[0], sizes), dim_value(s[1], sizes)


def is_atom(d: Dim) -> bool:
    return len(d) == 1 and len(d[0]) == 1


def dim_text(d: Dim) -> str:
    """`n`, `m+n`, `m*n`, `2`: as a declaration or `eye(n)` would write it."""
    ones = sum(1 for t in d if not t)
    parts = ["*".join(t) for t in d if t]
    if ones:
        parts.append(str(ones))
    return "+".join(parts)


def kind(s: Shape) -> str:
    """scalar, col, row or mat."""
    if s == SCALAR:
        return "scalar"
    if s[1] == ONE:
        return "col"
    if s[0] == ONE:
        return "row"
    return "mat"


@dataclass(frozen=True, eq=False)
class E:
    op: str
    shape: Shape
    kids: tuple[E, ...] = ()
    arg: Any = None
    size: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", 1 + sum(k.size for k in self.kids))


def walk(e: E) -> Iterator[E]:
    """Every node, parents before children (no recursion: trees may be deep)."""
    stack = [e]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.kids))


def variables(e: E) -> list[str]:
    seen: list[str] = []
    for n in walk(e):
        if n.op == "var" and n.arg not in seen:
            seen.append(n.arg)
    return seen


def replace(e: E, target: E, new: E) -> E:
    """e with the node `target` (by identity) replaced by `new`."""
    if e is target:
        return new
    if not e.kids:
        return e
    kids = tuple(replace(k, target, new) for k in e.kids)
    if all(a is b for a, b in zip(kids, e.kids, strict=True)):
        return e
    return E(e.op, e.shape, kids, e.arg)


# ------------------------------------------------------------------------- printing

# Binding strength of what an op prints as: higher binds tighter.
# Unary minus prints as weakly as + and -, so it is parenthesised inside any product.
_PREC = {"add": 1, "sub": 1, "mul": 2, "div": 2, "had": 2, "ediv": 2, "neg": 1,
         "pow": 4, "epow": 4, "mpow": 4, "T": 5}
_SYMBOL = {"add": " + ", "sub": " - ", "mul": "*", "div": "/", "had": " .* ",
           "ediv": " ./ ", "pow": "^", "epow": ".^"}


def _number(c: float) -> str:
    text = repr(int(c)) if float(c).is_integer() else repr(float(c))
    return f"({text})" if c < 0 else text


def prec(e: E) -> int:
    if e.op == "num" and e.arg < 0:
        return 6  # printed in parentheses
    return _PREC.get(e.op, 6)


def text(e: E) -> str:
    """The expression in the language, parenthesised to parse back to this tree."""
    op = e.op
    if op == "var":
        return str(e.arg)
    if op == "num":
        return _number(e.arg)
    if op == "eye":
        return f"eye({dim_text(e.shape[0])})" if e.arg else "eye"
    if op == "fill":
        word, c = e.arg
        return f"{word}({_number(c)})"
    if op == "call":
        return f"{e.arg}({', '.join(text(k) for k in e.kids)})"
    if op == "block":
        rows, cols = e.arg
        grid = [", ".join(text(e.kids[r * cols + c]) for c in range(cols)) for r in range(rows)]
        return "[" + "; ".join(grid) + "]"
    if op == "T":
        return _wrap(e.kids[0], 6) + "'"
    if op == "neg":
        return "-" + _wrap(e.kids[0], 4)
    if op == "mpow":
        return _wrap(e.kids[0], 6) + "^" + _number(e.arg)
    if op in ("pow", "epow"):
        base, expo = e.kids
        return _wrap(base, 6) + _SYMBOL[op] + _wrap(expo, 6)
    left, right = e.kids
    p = _PREC[op]
    # Left-associative: a right operand of the same strength keeps its parentheses, and
    # a left operand of the same strength but another operator gets them too (`.*` and
    # `*` are not associative with each other).
    lneed = p + 1 if prec(left) == p and left.op != op else p
    return _wrap(left, lneed) + _SYMBOL[op] + _wrap(right, p + 1)


def _wrap(e: E, need: int) -> str:
    t = text(e)
    return t if prec(e) >= need else f"({t})"
