"""Printer to the input language, with the fewest parentheses MATLAB precedence allows.

`to_text(e)` is text that parses back to `e` (for every node the language can write;
internal nodes such as differentials and commutation matrices print readably but are
not meant to be read back). Precedence levels (backends/layout.py), low to high: ADD
`+ -`, MUL `* / .* ./`, NEG unary minus, POW `^ .^`, ATOM postfix `'`, calls and atoms.
Terms with a negative coefficient are printed as subtractions after the positive ones.
"""

from __future__ import annotations

from ..ir.dims import is_column, is_row, is_scalar
from ..ir.node import PRINTERS, Node
from ..ir.ops import DIM_OPS, ELEMENTWISE_FUNCTIONS, Op
from ..ir.walk import PRINT_DEPTH, check_depth
from .layout import (
    ATOM,
    MUL,
    NEG,
    POW,
    block_cells,
    fill_sizes,
    format_number,
    printing,
    signed,
    sized_by_context,
    spell_quotient,
    spell_sum,
    split_coefficient,
    split_fraction,
    writable_dim,
)
from .layout import wrap as _wrap
from .rational import small_fraction


def to_text(e: Node) -> str:
    """An expression in the input language, with the fewest parentheses that keep its
    meaning: `to_text(d.expr)` pastes back in (`"(A + A')*x"`)."""
    check_depth([e], PRINT_DEPTH, "printing")  # the printer recurses
    with printing(e):
        return _p(e)[0]


def b_const(e: Node) -> float | None:
    return e.arg if e.op == Op.CONST else None


def _p(e: Node) -> tuple[str, int]:
    op = e.op
    if op == Op.CONST:
        return _number(e.arg)
    if op == Op.VAR:
        return e.arg.name, ATOM
    if op == Op.DVAR:
        name, k = e.arg
        return (f"d{name}" if k == 1 else f"d{name}_{k}"), ATOM
    if op == Op.EYE:
        return _sized_eye(e), ATOM
    if op == Op.COMMUTATION:
        m, n = e.arg
        return f"commutation({m}, {n})", ATOM
    if op == Op.FILL:
        return _fill(e)
    if op == Op.ADD:
        return _add(e)
    if op == Op.MUL:
        return _mul(e)
    if op == Op.MATMUL:
        # An elementwise product inside a matrix product gets parentheses for the
        # reader, though precedence would not need them: ((a .* b))*x'.
        parts = [_wrap(_p(c), NEG if (i > 0 or c.op == Op.HADAMARD) else MUL)
                 for i, c in enumerate(e.children)]
        return "*".join(parts), MUL
    if op == Op.HADAMARD:
        return _hadamard(e)
    if op == Op.POW and not is_scalar(e.shape) and b_const(e.children[1]) == -1.0:
        return f"1 ./ {_wrap(_p(e.children[0]), NEG)}", MUL
    if op == Op.POW:
        base, ex = e.children
        sym = "^" if is_scalar(base.shape) else ".^"
        return f"{_wrap(_p(base), ATOM)}{sym}{_exponent(ex)}", POW
    if op == Op.MPOW:
        return f"{_wrap(_p(e.children[0]), ATOM)}^{e.arg}", POW
    if op == Op.TRANSPOSE:
        return f"{_wrap(_p(e.children[0]), ATOM)}'", ATOM
    if op == Op.BLOCK:
        lines = [", ".join(_p(c)[0] for c in row) for row in block_cells(e)]
        return "[" + "; ".join(lines) + "]", ATOM
    if op == Op.RESHAPE:
        r, c = e.shape
        return f"reshape({_p(e.children[0])[0]}, {r}, {c})", ATOM
    if op == Op.KRON:
        return f"kron({_p(e.children[0])[0]}, {_p(e.children[1])[0]})", ATOM
    if op in DIM_OPS:  # sum(X, 1), softmax(Z, 2): the dim is the node's arg
        return f"{DIM_OPS[op]}({_p(e.children[0])[0]}, {e.arg})", ATOM
    if op in ELEMENTWISE_FUNCTIONS or e.children:
        args = ", ".join(_p(c)[0] for c in e.children)
        return f"{op}({args})", ATOM
    return op, ATOM


def _number(v: float) -> tuple[str, int]:
    """A constant: an exact small fraction as the quotient `2/3` (level MUL, so it is
    parenthesised where a quotient would be: `x.^(1/3)`), else its decimal."""
    pq = small_fraction(v)
    if pq is None:
        return format_number(v), (NEG if v < 0 else ATOM)
    return f"{pq[0]}/{pq[1]}", MUL


def _fill(e: Node) -> tuple[str, int]:
    """`vector(c)`, `vector(c)'`, `matrix(c)` where the rest of the expression sizes
    the fill (matrixcalculus.org's forms); else `zeros(m, n)`, `ones(m, n)`,
    `c*ones(m, n)`, which re-read at the right shape on their own."""
    value = e.children[0]
    sizes = fill_sizes(e)
    if sized_by_context(e) or sizes is None:
        inner = _p(value)[0]
        if is_column(e.shape):
            return f"vector({inner})", ATOM
        if is_row(e.shape):
            return f"vector({inner})'", ATOM
        return f"matrix({inner})", ATOM
    shape = f"({sizes[0]}, {sizes[1]})"
    if value.op == Op.CONST and value.arg == 0.0:
        return f"zeros{shape}", ATOM
    minus, shown = signed(value)
    body = f"ones{shape}"
    num, den = split_fraction([shown], elementwise=False)
    if den:  # the mean's gradient: ones(n, 1)/sum(ones(n, 1)), not sum(...)^-1*ones(n, 1)
        body = (f"{_wrap(_p(num[0]), MUL)}*{body}" if num else body) + "/" + _wrap(
            _p(den[0]), ATOM)
    elif not (shown.op == Op.CONST and shown.arg == 1.0):
        body = f"{_wrap(_p(shown), MUL)}*{body}"
    if minus:
        return f"-{body}", NEG
    return body, (ATOM if body.startswith("ones") else MUL)


def _sized_eye(e: Node) -> str:
    # `eye(n)` names its size so a printed result pastes back in on its own; a size that
    # the language cannot write is left to inference.
    n = writable_dim(e.shape[0])
    return f"eye({n})" if n is not None else "eye"


def _exponent(ex: Node) -> str:
    if ex.op == Op.CONST:
        text, level = _number(ex.arg)
        return text if level != MUL else f"({text})"  # x^(-1/3), not (x^-1)/3
    text = _wrap(_p(ex), ATOM)
    # `x.^y'` reads as (x.^y)': a transposed exponent needs its own parentheses
    return f"({text})" if text.endswith("'") else text


def _show(e: Node, min_level: int) -> str:
    return _wrap(_p(e), min_level)


def _add(e: Node) -> tuple[str, int]:
    return spell_sum(e, _show, MUL)


def _mul(e: Node) -> tuple[str, int]:
    coef, children = split_coefficient(e)
    # only scalar factors go under '/': the language's '/' divides by a scalar
    factors, den = split_fraction(children, elementwise=False)
    num: list[str] = []
    for c in factors:
        if c.op == Op.MATMUL and c is children[-1]:
            # scalars commute, so `s*w*w'` reads back as the same product: no parentheses
            num.append(_wrap(_p(c), MUL))
        else:
            num.append(_wrap(_p(c), MUL if not num else NEG))
    if abs(coef) != 1.0 or not num:
        num.insert(0, _number(abs(coef))[0])  # `2/3*x` reads back as (2/3)*x
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
    factors, den = split_fraction(display_factors(e), elementwise=True)
    num = [_show(c, MUL if i == 0 else NEG) for i, c in enumerate(factors)]
    return spell_quotient(num, [_show(d, NEG) for d in den], " .* ", " ./ ", "1"), MUL


PRINTERS["text"] = to_text  # str(node) and the node's LaTeX display reach the printer here
