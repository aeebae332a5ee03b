"""What every printer decides alike; the printers (text.py, latex.py, unicode.py) only
spell it.

The contract, shared by `to_text`, `to_latex` and `to_unicode`:

- Precedence levels, low to high: ADD (sums), CIRC (the elementwise and Kronecker
  products `⊙ ⊗ \\odot`; the text printer has none and writes `.*` at MUL), MUL
  (products), NEG (a leading minus), POW (powers), ATOM (names, calls, brackets). A
  printer returns each piece with its level, and `wrap` parenthesises a piece whose
  level is below the one its place needs; `superscript_base` does the same for a base
  that takes a superscript, which must also not end in one already.
- Subtractions: a term whose coefficient is negative (`negative_coefficient`) prints
  as a subtraction of its negation, after all the added terms (`spell_sum`); so does a
  broadcast scalar whose value has a negative coefficient (`signed`).
- Division bars: a factor raised to a negative constant power goes under the bar as
  its positive power (`split_fraction`); in a product's `/` (every printer) only
  scalar factors do, in an elementwise quotient any factor. So `a*X.^-1` keeps its
  elementwise inverse as a factor (`a*(1 ./ X)`, `aX∘⁻¹`, `a X^{\\circ -1}`) and never
  reads as a division by a matrix. A product's constant coefficient is written apart
  from its factors (`split_coefficient`).
- Numbers are spelled the same everywhere (`format_number`), and the function of a
  derivative equation is `f` unless it is a matrix (`function_letter`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from ..ir.build import const, const_value, neg, power
from ..ir.dims import is_column, is_row, is_scalar
from ..ir.node import Node

ADD, CIRC, MUL, NEG, POW, ATOM = 1, 2, 3, 4, 5, 6


def format_number(v: float) -> str:
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def wrap(printed: Sequence, min_level: int, left: str = "(", right: str = ")") -> str:
    """A printed piece (text, level, ...) in a place that needs `min_level`."""
    text, level = printed[0], printed[1]
    return f"{left}{text}{right}" if level < min_level else text


def superscript_base(printed: Sequence, left: str = "(", right: str = ")") -> str:
    """A base that takes a superscript: an atom without a superscript of its own."""
    text, level, has_superscript = printed[0], printed[1], printed[2]
    return f"{left}{text}{right}" if level < ATOM or has_superscript else text


def negative_coefficient(e: Node) -> bool:
    """Whether `e` prints with a leading minus (as a subtraction, inside a sum)."""
    if e.op == "const":
        return e.arg < 0
    if e.op == "mul" and e.children[0].op == "const":
        return e.children[0].arg < 0
    if e.op == "fill":
        return negative_coefficient(e.children[0])
    return False


def signed(e: Node) -> tuple[bool, Node]:
    """(whether `e` prints as a minus, what prints after the minus)."""
    if negative_coefficient(e):
        return True, neg(e)
    return False, e


def spell_sum(e: Node, show: Callable[[Node, int], str], later: int) -> tuple[str, int]:
    """An `add`: the added terms, then the subtracted ones, each shown by `show(term,
    min_level)`; a term after the first, or subtracted, needs level `later`. A broadcast
    scalar in a matrix sum is written as the scalar: `1 - y`, but only when another term
    keeps the sum's shape (`matrix(a) - matrix(1)` is not the scalar `a - 1`)."""
    terms = [signed(t) for t in e.children if not negative_coefficient(t)]
    terms += [signed(t) for t in e.children if negative_coefficient(t)]
    bare_scalars = not is_scalar(e.shape) and any(t.op != "fill" for _, t in terms)
    out = ""
    for i, (is_neg, shown) in enumerate(terms):
        if shown.op == "fill" and bare_scalars:
            text = show(shown.children[0], MUL)
        else:
            text = show(shown, later if (is_neg or i > 0) else ADD)
        if i == 0:
            out = f"-{text}" if is_neg else text
        else:
            out += (" - " if is_neg else " + ") + text
    return out, (ADD if len(e.children) > 1 else NEG)


def split_coefficient(e: Node) -> tuple[float, list[Node]]:
    """A `mul`'s constant coefficient (1 when it has none) and its other factors."""
    children = list(e.children)
    if children[0].op == "const":
        return children[0].arg, children[1:]
    return 1.0, children


def negative_power(c: Node) -> bool:
    if c.op != "pow":
        return False
    v = const_value(c.children[1])
    return v is not None and is_scalar(c.children[1].shape) and v < 0


def invert(c: Node) -> Node:
    """`c`, a negative power, as the positive power that goes under the bar."""
    return power(c.children[0], const(-float(const_value(c.children[1]) or 0.0)))


def split_fraction(factors: Iterable[Node], *, elementwise: bool) -> tuple[list[Node], list[Node]]:
    """Numerator and denominator factors, each in the order given; the denominator's
    inverted. Only scalars go under a product's `/`; under an elementwise `./`, any."""
    num: list[Node] = []
    den: list[Node] = []
    for c in factors:
        if negative_power(c) and (elementwise or is_scalar(c.shape)):
            den.append(invert(c))
        else:
            num.append(c)
    return num, den


def spell_quotient(num: list[str], den: list[str], times: str, over: str, one: str) -> str:
    """An elementwise quotient: `a times b over c over d`, `one` for an empty numerator."""
    text = times.join(num) if num else one
    for d in den:
        text += over + d
    return text


def block_cells(e: Node) -> list[list[Node]]:
    """A `block`'s children, row by row."""
    rows, cols = e.arg
    return [[e.children[r * cols + c] for c in range(cols)] for r in range(rows)]


def function_letter(f: Node) -> str:
    """The function's name in a derivative equation: `F` for a matrix, else `f`."""
    return "f" if (is_scalar(f.shape) or is_column(f.shape) or is_row(f.shape)) else "F"
