"""Unicode math printer: `Aᵀx`, `X⁻¹`, `x ⊙ y`, `‖x‖₂`, `tr(X)`, `x²`, `𝟙`.

`to_unicode(e)` is for reading, not for pasting back (use backends/text.py for that).
`derivative_unicode(d)` writes the derivative as an equation, `∂f/∂X = Aᵀ`; a Kronecker
form as `vec(dF) = M vec(dX)`; a result with no matrix form in index notation (see
backends/index_form.py), or as its differential where that is not available.

Precedence and the choice of subtractions and fractions are backends/layout.py's, shared
with the other printers (low to high: sums, `⊙ ⊗`, products, a leading minus, powers,
atoms). Products are written by juxtaposition, with a space where two names would run
together (`A dX`, `W1 x`) and `·` between numbers. A base that already carries a
superscript is parenthesised before another is added: `(Aᵀ)²`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..errors import MatdiffError
from ..ir.build import const_value
from ..ir.dims import is_column, is_row, is_scalar
from ..ir.node import Node
from ..ir.ops import Op
from ..ir.walk import PRINT_DEPTH, check_depth
from .counts import ones_count
from .index_form import index_form
from .layout import (
    ATOM,
    CIRC,
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
)
from .layout import function_letter as _fname
from .layout import superscript_base as _base
from .layout import wrap as _wrap
from .rational import small_fraction

Printed = tuple[str, int, bool]  # text, level, ends with a superscript

_SUP = str.maketrans("0123456789-+=()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺⁼⁽⁾")
_SUB = str.maketrans("0123456789-+=()", "₀₁₂₃₄₅₆₇₈₉₋₊₌₍₎")


def superscript(text: str) -> str | None:
    """`text` in superscript characters, or None when some character has none."""
    if not re.fullmatch(r"[0-9+\-=()]+", text):
        return None
    return text.translate(_SUP)


def subscript(text: str) -> str:
    return text.translate(_SUB)


def to_unicode(e: Node) -> str:
    check_depth([e], PRINT_DEPTH, "printing")  # the printer recurses
    with printing(e):
        return _p(e)[0]


def _show(e: Node, min_level: int) -> str:
    return _wrap(_p(e), min_level)


# The vulgar fractions Unicode has as one character; others are built with the fraction
# slash between superscript and subscript digits (²⁄₇).
_VULGAR = {(1, 2): "½", (1, 3): "⅓", (2, 3): "⅔", (1, 4): "¼", (3, 4): "¾", (1, 5): "⅕",
           (2, 5): "⅖", (3, 5): "⅗", (4, 5): "⅘", (1, 6): "⅙", (5, 6): "⅚", (1, 7): "⅐",
           (1, 8): "⅛", (3, 8): "⅜", (5, 8): "⅝", (7, 8): "⅞", (1, 9): "⅑", (1, 10): "⅒"}


def number(v: float) -> Printed:
    """A constant: an exact small fraction (backends/rational.py) as `⅔` or `²⁄₇`, an
    atom like a digit; any other number as its decimal."""
    pq = small_fraction(v)
    if pq is None:
        return format_number(v), (NEG if v < 0 else ATOM), False
    p, q = abs(pq[0]), pq[1]
    text = _VULGAR.get((p, q)) or f"{superscript(str(p))}⁄{subscript(str(q))}"
    return ("-" + text, NEG, False) if pq[0] < 0 else (text, ATOM, False)


def _exponent_text(v: float) -> str:
    """An exponent for `_sup`: a fraction as `-2/3`, which has no superscript form and
    so prints as `^(-2/3)`."""
    pq = small_fraction(v)
    return format_number(v) if pq is None else f"{pq[0]}/{pq[1]}"


def _sup(base: Printed, exponent: str) -> str:
    s = superscript(exponent)
    if s is not None:
        return f"{_base(base)}{s}"
    return f"{_base(base)}^({exponent})"


_DIGITS = set("0123456789")
_IDENT_END = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
_IDENT_START = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*")


def juxtapose(parts: list[str]) -> str:
    """Products side by side; a space where names would merge, `·` between numbers."""
    out = ""
    prev = ""
    for p in parts:
        if not out:
            out = prev = p
            continue
        if p[:1] in _DIGITS or p.startswith("-"):
            out += "·" + p
        else:
            left = _IDENT_END.search(prev)
            right = _IDENT_START.match(p)
            long_left = left is not None and len(left.group()) > 1
            long_right = right is not None and len(right.group()) > 1
            out += (" " if long_right or (long_left and right) else "") + p
        prev = p
    return out


def _p(e: Node) -> Printed:
    """Print one node: the per-op printer of `_PRINTERS`, else `name(args)`."""
    if e.op == Op.SUM and (count := ones_count(e)) is not None:  # sum(𝟙ₙ) is n
        return "·".join(count), (ATOM if len(count) == 1 else MUL), False
    printer = _PRINTERS.get(e.op)
    if printer is not None:
        return printer(e)
    if e.children:
        return f"{e.op}({', '.join(_p(c)[0] for c in e.children)})", ATOM, False
    return e.op, ATOM, False


# ------------------------------------------------------------------ leaves


def _var(e: Node) -> Printed:
    return e.arg.name, ATOM, False


def _dvar(e: Node) -> Printed:
    name, k = e.arg
    return (f"d{name}" if k == 1 else f"d{name}{subscript(str(k))}"), ATOM, False


def _commutation(e: Node) -> Printed:
    m, n = e.arg
    return f"K({m},{n})", ATOM, False


# ------------------------------------------------------------------ products


def _matmul(e: Node) -> Printed:
    return juxtapose([_wrap(_p(c), MUL) for c in e.children]), MUL, False


def _hadamard(e: Node) -> Printed:
    num, den = split_fraction(e.children, elementwise=True)
    num_text, den_text = [_show(c, NEG) for c in num], [_show(d, NEG) for d in den]
    return spell_quotient(num_text, den_text, " ⊙ ", " ⊘ ", "𝟙"), CIRC, False


def _kron(e: Node) -> Printed:
    a, c = (_wrap(_p(x), NEG) for x in e.children)
    return f"{a} ⊗ {c}", CIRC, False


# ------------------------------------------------------------------ superscripts


def _pow(e: Node) -> Printed:
    base, ex = e.children
    v = const_value(ex) if is_scalar(ex.shape) else None
    exp_text = _exponent_text(v) if v is not None else _p(ex)[0]
    if v == 0.5 and is_scalar(base.shape):
        return f"√{_base(_p(base))}", ATOM, False
    if not is_scalar(base.shape):
        s = superscript(exp_text)
        return f"{_base(_p(base))}∘{s if s else '^(' + exp_text + ')'}", POW, True
    return _sup(_p(base), exp_text), POW, True


def _mpow(e: Node) -> Printed:
    return _sup(_p(e.children[0]), str(e.arg)), POW, True


def _inv(e: Node) -> Printed:
    return f"{_base(_p(e.children[0]))}⁻¹", POW, True


def _transpose(e: Node) -> Printed:
    child = e.children[0]
    if child.op == Op.INV:
        return f"{_base(_p(child.children[0]))}⁻ᵀ", ATOM, True
    return f"{_base(_p(child))}ᵀ", ATOM, True


# ------------------------------------------------------------------ functions by their form


def _block(e: Node) -> Printed:
    lines = [", ".join(_p(c)[0] for c in row) for row in block_cells(e)]
    return "[" + "; ".join(lines) + "]", ATOM, False


def _by_dim(e: Node) -> Printed:
    """softmax(Z, 1): the batched forms with MATLAB's dim (`softmaxdim` prints `softmax`)."""
    return f"{e.op[:-3]}({_p(e.children[0])[0]}, {e.arg})", ATOM, False


def _reshape(e: Node) -> Printed:
    nr, nc = e.shape
    return f"reshape({_p(e.children[0])[0]}, {nr}, {nc})", ATOM, False


def _norm2(e: Node) -> Printed:
    x = e.children[0]
    sub = "₂" if (is_column(x.shape) or is_row(x.shape)) else "_F"
    return f"‖{_p(x)[0]}‖{sub}", ATOM, False


def _norm1(e: Node) -> Printed:
    x = e.children[0]
    inner = _p(x)[0]
    if not (is_column(x.shape) or is_row(x.shape)):
        inner = f"vec({inner})"
    return f"‖{inner}‖₁", ATOM, False


def _sqrt(e: Node) -> Printed:
    return f"√{_base(_p(e.children[0]))}", ATOM, False


def _abs(e: Node) -> Printed:
    return f"|{_p(e.children[0])[0]}|", ATOM, False


def _logdet(e: Node) -> Printed:
    return f"log det({_p(e.children[0])[0]})", ATOM, False


_SIZE_SUB = str.maketrans("0123456789+aehijklmnoprstuvx",
                          "₀₁₂₃₄₅₆₇₈₉₊ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")


def _has_subscript(text: str) -> bool:
    return all(ch in "0123456789+aehijklmnoprstuvx" for ch in text)


def _size_sub(size: str) -> str:
    """A size as a subscript: `ₙ`, `ₘ₊ₙ`; `_(m*n)` where there are no such characters."""
    if _has_subscript(size):
        return size.translate(_SIZE_SUB)
    return f"_({size})"


def _fill(e: Node) -> Printed:
    """`𝟙`, `𝟙ᵀ`, `𝟙𝟙ᵀ`, `0` where the rest of the expression sizes the fill; else with
    the sizes as subscripts: `𝟙ₙ`, `𝟙ₘ𝟙ₙᵀ`, `0ₘₓₙ` (see layout)."""
    v = e.children[0]
    sizes = None if sized_by_context(e) else fill_sizes(e)
    r, c = (_size_sub(sizes[0]), _size_sub(sizes[1])) if sizes else ("", "")
    if const_value(v) == 0.0:
        if sizes and not is_column(e.shape):
            both = f"{sizes[0]}x{sizes[1]}"  # ₓ is the subscript times
            sub = _size_sub(both) if _has_subscript(both) else f"_({sizes[0]}×{sizes[1]})"
            return f"0{sub}", ATOM, False
        return "0" + r, ATOM, False
    ones = f"𝟙{r}" if is_column(e.shape) else (f"𝟙{c}ᵀ" if is_row(e.shape) else f"𝟙{r}𝟙{c}ᵀ")
    if const_value(v) == 1.0:
        return ones, ATOM, not is_column(e.shape)
    minus, shown = signed(v)
    sign = "-" if minus else ""
    num, den = split_fraction([shown], elementwise=False)
    if den:  # the mean's gradient: 𝟙ₙ/n, not n⁻¹𝟙ₙ
        top = juxtapose([_show(num[0], NEG), ones]) if num else ones
        return f"{sign}{top}/{_show(den[0], POW)}", (NEG if sign else MUL), False
    return f"{sign}{juxtapose([_show(shown, NEG), ones])}", (NEG if sign else MUL), False


def _add(e: Node) -> Printed:
    return *spell_sum(e, _show, CIRC), False


def _mul(e: Node) -> Printed:
    coef, children = split_coefficient(e)
    # only scalar factors go under '/', as in the other printers: an elementwise inverse
    # of a matrix stays a factor, `aX∘⁻¹` (not `a/X`, which reads as dividing by X)
    factors, den = split_fraction(children, elementwise=False)
    parts = [_p(c) for c in factors]
    level = min([NEG if coef < 0 else MUL] + [pr[1] for pr in parts if pr[1] >= CIRC])
    num = [_wrap(pr, CIRC) for pr in parts]
    if abs(coef) != 1.0 or not num:
        num.insert(0, number(abs(coef))[0])
    text = juxtapose(num)
    if den:
        dens = [_show(d, POW if len(den) == 1 else NEG) for d in den]
        text += "/" + (dens[0] if len(dens) == 1 else "(" + juxtapose(dens) + ")")
    return ("-" + text if coef < 0 else text), level, False


# One printer per op (ops not here print as `name(args)`; sum(𝟙ₙ) is handled in `_p`).
_PRINTERS: dict[Op, Callable[[Node], Printed]] = {
    Op.CONST: lambda e: number(e.arg),
    Op.VAR: _var,
    Op.DVAR: _dvar,
    Op.EYE: lambda e: ("I", ATOM, False),
    Op.COMMUTATION: _commutation,
    Op.FILL: _fill,
    Op.ADD: _add,
    Op.MUL: _mul,
    Op.MATMUL: _matmul,
    Op.HADAMARD: _hadamard,
    Op.KRON: _kron,
    Op.POW: _pow,
    Op.MPOW: _mpow,
    Op.INV: _inv,
    Op.TRANSPOSE: _transpose,
    Op.BLOCK: _block,
    Op.SUMDIM: _by_dim,
    Op.SOFTMAXDIM: _by_dim,
    Op.LOGSUMEXPDIM: _by_dim,
    Op.RESHAPE: _reshape,
    Op.NORM2: _norm2,
    Op.NORM1: _norm1,
    Op.SQRT: _sqrt,
    Op.ABS: _abs,
    Op.LOGDET: _logdet,
}


# ------------------------------------------------------------------ derivative equations


def _vec_of(name: str, shape: tuple) -> str:
    if is_scalar(shape) or is_column(shape):
        return name
    if is_row(shape):
        return f"{name}ᵀ"
    return f"vec({name})"


def derivative_lhs(d) -> str:  # noqa: ANN001 - a Derivative
    """`∂f/∂X` for the derivative's form, or "" where it is given as a vec equation."""
    f = _fname(d.function)
    k = d.order
    sup = superscript(str(k)) if k > 1 else ""
    if len(d.wrt) > 1:
        x = "(" + ", ".join(v.arg.name for v in d.wrt) + ")"
        return f"∂{f}/∂{x}" if k == 1 else f"∂{sup}{f}/∂{x}∂{x}ᵀ"
    X = d.wrt[0]
    x = X.arg.name
    if is_scalar(X.shape):
        return f"∂{sup}{f}/∂{x}{sup}"
    if d.form == "kronecker":
        if k == 2 and is_scalar(d.function.shape):
            v = _vec_of(x, X.shape)
            return f"∂²{f}/∂{v}∂{v}ᵀ"
        return ""
    if k == 1:
        return f"∂{f}/∂{x}"
    if k == 2 and d.form == "jacobian":
        return f"∂²{f}/∂{x}∂{x}ᵀ"
    return ""


def derivative_unicode(d) -> str:  # noqa: ANN001 - a Derivative
    """The derivative as an equation in Unicode (see the module docstring)."""
    f = _fname(d.function)
    k = d.order
    if d.expr is not None:
        lhs = derivative_lhs(d)
        if lhs:
            return f"{lhs} = {to_unicode(d.expr)}"
        x = d.wrt[0].arg.name
        right = _vec_of(f"d{x}", d.wrt[0].shape)
        if k == 1:
            left = _vec_of(f"d{f}", d.function.shape)
        else:
            prev = f"∂{f}/∂{x}" if k == 2 else f"∂{superscript(str(k - 1))}{f}/∂{x}∂{x}ᵀ"
            left = f"vec(d({prev}))"
        with printing(d.expr):
            return f"{left} = {juxtapose([_wrap(_p(d.expr), MUL), right])}"
    try:
        return index_form(d)
    except MatdiffError:
        pass
    if not d.differentials:
        return ""
    sup = superscript(str(k)) if k > 1 else ""
    return f"d{sup}{f} = {to_unicode(d.differentials[-1])}"
