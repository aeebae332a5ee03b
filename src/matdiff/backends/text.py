"""Printer to the input language, with the fewest parentheses MATLAB precedence allows.

`to_text(e)` is text that parses back to `e` (for every node the language can write;
internal nodes such as differentials and commutation matrices print readably but are
not meant to be read back). Precedence levels, low to high: 1 `+ -`, 2 `* / .* ./`,
3 unary minus, 4 `^ .^`, 5 postfix `'`, calls and atoms. Terms with a negative
coefficient are printed as subtractions after the positive ones.
"""

from __future__ import annotations

from ..ir.dims import is_column, is_row, is_scalar
from ..ir.node import Node
from ..ir.ops import ELEMENTWISE_FUNCTIONS

ADD, MUL, NEG, POW, ATOM = 1, 2, 3, 4, 5


def to_text(e: Node) -> str:
    return _p(e)[0]


def format_number(v: float) -> str:
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def _wrap(pair: tuple[str, int], min_level: int) -> str:
    text, level = pair
    return f"({text})" if level < min_level else text


def b_const(e: Node) -> float | None:
    return e.arg if e.op == "const" else None


def _negative_coefficient(e: Node) -> bool:
    if e.op == "const":
        return e.arg < 0
    if e.op == "mul" and e.children[0].op == "const":
        return e.children[0].arg < 0
    if e.op == "fill":
        return _negative_coefficient(e.children[0])
    return False


def _negate(e: Node) -> Node:
    from ..ir.build import neg

    return neg(e)


def _p(e: Node) -> tuple[str, int]:
    op = e.op
    if op == "const":
        return format_number(e.arg), (NEG if e.arg < 0 else ATOM)
    if op == "var":
        return e.arg.name, ATOM
    if op == "dvar":
        name, k = e.arg
        return (f"d{name}" if k == 1 else f"d{name}_{k}"), ATOM
    if op == "eye":
        return _sized_eye(e), ATOM
    if op == "commutation":
        m, n = e.arg
        return f"commutation({m}, {n})", ATOM
    if op == "fill":
        inner = _wrap(_p(e.children[0]), ATOM) if e.children[0].op != "const" else (
            format_number(e.children[0].arg))
        if is_column(e.shape):
            return f"vector({inner})", ATOM
        if is_row(e.shape):
            return f"vector({inner})'", ATOM
        return f"matrix({inner})", ATOM
    if op == "add":
        return _add(e)
    if op == "mul":
        return _mul(e)
    if op == "matmul":
        # An elementwise product inside a matrix product gets parentheses for the
        # reader, though precedence would not need them: ((a .* b))*x'.
        parts = [_wrap(_p(c), NEG if (i > 0 or c.op == "hadamard") else MUL)
                 for i, c in enumerate(e.children)]
        return "*".join(parts), MUL
    if op == "hadamard":
        return _hadamard(e)
    if op == "pow" and not is_scalar(e.shape) and b_const(e.children[1]) == -1.0:
        return f"1 ./ {_wrap(_p(e.children[0]), NEG)}", MUL
    if op == "pow":
        base, ex = e.children
        sym = "^" if is_scalar(base.shape) else ".^"
        return f"{_wrap(_p(base), ATOM)}{sym}{_exponent(ex)}", POW
    if op == "mpow":
        return f"{_wrap(_p(e.children[0]), ATOM)}^{e.arg}", POW
    if op == "transpose":
        return f"{_wrap(_p(e.children[0]), ATOM)}'", ATOM
    if op == "block":
        rows, cols = e.arg
        lines = []
        for r in range(rows):
            lines.append(", ".join(_p(e.children[r * cols + c])[0] for c in range(cols)))
        return "[" + "; ".join(lines) + "]", ATOM
    if op == "reshape":
        r, c = e.shape
        return f"reshape({_p(e.children[0])[0]}, {r}, {c})", ATOM
    if op == "kron":
        return f"kron({_p(e.children[0])[0]}, {_p(e.children[1])[0]})", ATOM
    if op in ELEMENTWISE_FUNCTIONS or e.children:
        args = ", ".join(_p(c)[0] for c in e.children)
        return f"{op}({args})", ATOM
    return op, ATOM


def _sized_eye(e: Node) -> str:
    # `eye(n)` names its size so a printed result pastes back in on its own; a size that
    # is a product (from vec or kron) cannot be written that way and is left to inference.
    n = e.shape[0]
    writable = isinstance(n, int) or all(p.isidentifier() or p.isdigit() for p in n.split("*"))
    return f"eye({n})" if writable else "eye"


def _exponent(ex: Node) -> str:
    if ex.op == "const":
        return format_number(ex.arg)
    text = _wrap(_p(ex), ATOM)
    # `x.^y'` reads as (x.^y)': a transposed exponent needs its own parentheses
    return f"({text})" if text.endswith("'") else text


def _add(e: Node) -> tuple[str, int]:
    pos = [t for t in e.children if not _negative_coefficient(t)]
    negs = [t for t in e.children if _negative_coefficient(t)]
    out = ""
    for i, t in enumerate(pos + negs):
        is_neg = _negative_coefficient(t)
        shown = _negate(t) if is_neg else t
        if shown.op == "fill" and not is_scalar(e.shape):
            text = _wrap(_p(shown.children[0]), MUL)  # a scalar broadcast: `1 - y`
        else:
            text = _wrap(_p(shown), MUL if (is_neg or i > 0) else ADD)
        if i == 0:
            out = f"-{text}" if is_neg else text
        else:
            out += (" - " if is_neg else " + ") + text
    return out, (ADD if len(e.children) > 1 else NEG)


def _mul(e: Node) -> tuple[str, int]:
    children = list(e.children)
    coef = 1.0
    if children[0].op == "const":
        coef = children[0].arg
        children = children[1:]
    num: list[str] = []
    den: list[Node] = []
    for c in children:
        # only scalar factors can go under '/': the language's '/' divides by a scalar
        if (c.op == "pow" and c.children[1].op == "const" and c.children[1].arg < 0
                and is_scalar(c.shape)):
            from ..ir.build import const, power

            den.append(power(c.children[0], const(-c.children[1].arg)))
        elif c.op == "matmul" and c is children[-1]:
            # scalars commute, so `s*w*w'` reads back as the same product: no parentheses
            num.append(_wrap(_p(c), MUL))
        else:
            num.append(_wrap(_p(c), MUL if not num else NEG))
    if abs(coef) != 1.0 or not num:
        num.insert(0, format_number(abs(coef)))
    text = "*".join(num)
    if den:
        dens = [_wrap(_p(d), ATOM if len(den) == 1 else NEG) for d in den]
        text += "/" + (dens[0] if len(dens) == 1 else "(" + "*".join(dens) + ")")
    if coef < 0:
        return "-" + text, NEG
    return text, MUL


# Local slopes read best after the upstream factor: `(relu(W*x) - y) .* step(W*x)`.
_SHOWN_LAST = ("step", "sign")


def display_factors(e: Node) -> list[Node]:
    """The factors of an elementwise product in the order a person writes them."""
    return sorted(e.children, key=lambda c: c.op in _SHOWN_LAST)


def _hadamard(e: Node) -> tuple[str, int]:
    num: list[str] = []
    den: list[str] = []
    for c in display_factors(e):
        if c.op == "pow" and c.children[1].op == "const" and c.children[1].arg < 0:
            from ..ir.build import const, power

            den.append(_wrap(_p(power(c.children[0], const(-c.children[1].arg))), NEG))
        else:
            num.append(_wrap(_p(c), MUL if not num else NEG))
    text = " .* ".join(num) if num else "1"
    for d in den:
        text += " ./ " + d
    return text, MUL
