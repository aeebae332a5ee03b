"""LaTeX printer: expressions and derivative equations, with minimal parentheses.

`to_latex(e)` writes an expression as a mathematician would typeset it: `A^{\\top}`,
`X^{-1}`, `\\operatorname{tr}\\left(X\\right)`, `\\odot`, `\\oslash`, `\\otimes`,
`\\left\\|x\\right\\|_2`, `\\frac{a}{b}` for scalar division, juxtaposition for products.
`derivative_latex(d)` writes the derivative as an equation,
`\\frac{\\partial f}{\\partial X} = A^{\\top}`; a Kronecker form as the vec equation
`\\operatorname{vec}(\\mathrm{d}F) = M \\operatorname{vec}(\\mathrm{d}X)`, and a result with
no matrix form as its differential.

Precedence and the choice of subtractions and fractions are backends/layout.py's, shared
with the other printers; levels low to high: sums, `\\odot` and `\\otimes`, products by
juxtaposition, a leading minus, powers, atoms. A superscript cannot take a second
superscript, so a base that already ends in one (`A^{\\top}`, `X^{-1}`) is parenthesised
before `^{...}` is added.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..ir.build import const_value
from ..ir.dims import is_column, is_row, is_scalar
from ..ir.node import PRINTERS, Node
from ..ir.ops import Op
from ..ir.walk import PRINT_DEPTH, check_depth
from .counts import ones_count
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
    superscript_base,
    wrap,
)
from .layout import function_letter as _fname
from .rational import small_fraction

GREEK = {
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "pi",
    "rho",
    "sigma",
    "tau",
    "upsilon",
    "phi",
    "chi",
    "psi",
    "omega",
    "Gamma",
    "Delta",
    "Theta",
    "Lambda",
    "Xi",
    "Pi",
    "Sigma",
    "Upsilon",
    "Phi",
    "Psi",
    "Omega",
}

# Functions LaTeX has a macro for; the rest are \operatorname{...} (OPERATORNAMES) or
# typeset by their form (TYPESET). Keyed by the op enum; tests/ir/test_op_table.py checks
# that every function has one of the three.
MACROS: dict[str, str] = {  # keys: Op members (StrEnum)
    Op.EXP: r"\exp",
    Op.LOG: r"\log",
    Op.SIN: r"\sin",
    Op.COS: r"\cos",
    Op.TAN: r"\tan",
    Op.TANH: r"\tanh",
    Op.ARCSIN: r"\arcsin",
    Op.ARCCOS: r"\arccos",
    Op.ARCTAN: r"\arctan",
    Op.DET: r"\det",
    Op.LOGDET: r"\log\det",
}

OPERATORNAMES: dict[str, str] = {  # keys: Op members
    Op.TR: "tr",
    Op.SUM: "sum",
    Op.DIAG: "diag",
    Op.VEC: "vec",
    Op.SIGN: "sign",
    Op.SIGMOID: "sigmoid",
    Op.RELU: "relu",
    Op.SOFTPLUS: "softplus",
    Op.STEP: "step",
    Op.SOFTMAX: "softmax",
    Op.LOGSUMEXP: "logsumexp",
    Op.EXPM: "expm",
}

# Functions typeset by their form: A \otimes B, X^{-1}, \|x\|_1, \|x\|_2, \sqrt{x}, |x|.
TYPESET: frozenset[Op] = frozenset({Op.KRON, Op.INV, Op.NORM1, Op.NORM2, Op.SQRT, Op.ABS})

# (text, level, ends with a superscript)
Printed = tuple[str, int, bool]


def to_latex(e: Node) -> str:
    check_depth([e], PRINT_DEPTH, "printing")  # the printer recurses
    with printing(e):
        return _p(e)[0]


def latex_name(name: str) -> str:
    """A variable name as LaTeX: `x`, `x_{1}`, `\\theta`, `\\mathrm{W}_{in}`."""
    base, _, sub = name.partition("_")
    if not sub:
        m = re.fullmatch(r"([A-Za-z]+)(\d+)", name)
        if m:
            base, sub = m.group(1), m.group(2)
    if base in GREEK:
        head = "\\" + base
    elif len(base) == 1:
        head = base
    else:
        head = f"\\mathit{{{base}}}"
    return f"{head}_{{{sub}}}" if sub else head


def _paren(text: str) -> str:
    return f"\\left({text}\\right)"


def _wrap(pr: Printed, min_level: int) -> str:
    return wrap(pr, min_level, "\\left(", "\\right)")


def _show(e: Node, min_level: int) -> str:
    return _wrap(_p(e), min_level)


def _base(pr: Printed) -> str:
    return superscript_base(pr, "\\left(", "\\right)")


def _call(name: str, args: str) -> Printed:
    if name in MACROS:
        return f"{MACROS[name]}{_paren(args)}", ATOM, False
    return f"\\operatorname{{{OPERATORNAMES.get(name, name)}}}{_paren(args)}", ATOM, False


def _p(e: Node) -> Printed:
    """Print one node: the per-op printer of `_PRINTERS`, else a function call."""
    if e.op == Op.SUM and (count := ones_count(e)) is not None:  # sum(ones(n, 1)) is n
        return " ".join(count), (ATOM if len(count) == 1 else MUL), False
    printer = _PRINTERS.get(e.op)
    if printer is not None:
        return printer(e)
    if e.children:
        return _call(e.op, ", ".join(_p(c)[0] for c in e.children))
    return f"\\operatorname{{{e.op}}}", ATOM, False


# ------------------------------------------------------------------ leaves


def _var(e: Node) -> Printed:
    return latex_name(e.arg.name), ATOM, False


def _dvar(e: Node) -> Printed:
    name, k = e.arg
    d = r"\mathrm{d}" if k == 1 else f"\\mathrm{{d}}_{{{k}}}"
    return f"{d}{latex_name(name)}", ATOM, False


def _commutation(e: Node) -> Printed:
    m, n = e.arg
    return f"K_{{{m},{n}}}", ATOM, False


# ------------------------------------------------------------------ products


def _matmul(e: Node) -> Printed:
    parts = [_wrap(_p(c), MUL) for c in e.children]
    return _juxtapose(parts), MUL, False


def _kron(e: Node) -> Printed:
    a, c = (_wrap(_p(x), NEG) for x in e.children)
    return f"{a} \\otimes {c}", CIRC, False


# ------------------------------------------------------------------ superscripts


def _pow(e: Node) -> Printed:
    base, ex = e.children
    v = const_value(ex) if is_scalar(ex.shape) else None
    exp_text = _exponent_number(v) if v is not None else _p(ex)[0]
    if not is_scalar(base.shape):
        exp_text = f"\\circ {exp_text}"  # the Hadamard power
    if v == 0.5 and is_scalar(base.shape):
        return f"\\sqrt{{{_p(base)[0]}}}", ATOM, False
    return f"{_base(_p(base))}^{{{exp_text}}}", POW, True


def _mpow(e: Node) -> Printed:
    return f"{_base(_p(e.children[0]))}^{{{e.arg}}}", POW, True


def _inv(e: Node) -> Printed:
    return f"{_base(_p(e.children[0]))}^{{-1}}", POW, True


def _transpose(e: Node) -> Printed:
    child = e.children[0]
    if child.op == Op.INV:
        return f"{_base(_p(child.children[0]))}^{{-\\top}}", ATOM, True
    return f"{_base(_p(child))}^{{\\top}}", ATOM, True


# ------------------------------------------------------------------ functions by their form


def _block(e: Node) -> Printed:
    lines = [" & ".join(_p(c)[0] for c in row) for row in block_cells(e)]
    return "\\begin{bmatrix} " + " \\\\ ".join(lines) + " \\end{bmatrix}", ATOM, False


def _by_dim(e: Node) -> Printed:
    """softmax(Z, 1): the batched forms with MATLAB's dim (`softmaxdim` prints `softmax`)."""
    args = f"{_p(e.children[0])[0]}, {e.arg}"
    return f"\\operatorname{{{e.op[:-3]}}}{_paren(args)}", ATOM, False


def _reshape(e: Node) -> Printed:
    nr, nc = e.shape
    args = f"{_p(e.children[0])[0]}, {nr}, {nc}"
    return f"\\operatorname{{reshape}}{_paren(args)}", ATOM, False


def _norm2(e: Node) -> Printed:
    x = e.children[0]
    sub = "2" if (is_column(x.shape) or is_row(x.shape)) else "F"
    return f"\\left\\|{_p(x)[0]}\\right\\|_{sub}", ATOM, False


def _norm1(e: Node) -> Printed:
    x = e.children[0]
    inner = _p(x)[0]
    if not (is_column(x.shape) or is_row(x.shape)):
        inner = f"\\operatorname{{vec}}{_paren(inner)}"
    return f"\\left\\|{inner}\\right\\|_1", ATOM, False


def _sqrt(e: Node) -> Printed:
    return f"\\sqrt{{{_p(e.children[0])[0]}}}", ATOM, False


def _abs(e: Node) -> Printed:
    return f"\\left|{_p(e.children[0])[0]}\\right|", ATOM, False


def _fill(e: Node) -> Printed:
    """`1`, `1^T`, `1 1^T` (bold) where the rest of the expression sizes the fill;
    else with the sizes as subscripts: `1_n`, `1_m 1_n^T`, `0_{m×n}` (see layout)."""
    v = e.children[0]
    sizes = None if sized_by_context(e) else fill_sizes(e)
    if sizes:
        sizes = (sizes[0].replace("*", " "), sizes[1].replace("*", " "))  # `m n` for m*n
    r, c = ("_{" + sizes[0] + "}", "_{" + sizes[1] + "}") if sizes else ("", "")
    if const_value(v) == 0.0:
        if sizes and is_column(e.shape):
            return r"\mathbf{0}" + r, ATOM, False
        return r"\mathbf{0}" + (f"_{{{sizes[0]} \\times {sizes[1]}}}" if sizes else ""), ATOM, False
    ones = (
        r"\mathbf{1}" + r
        if is_column(e.shape)
        else (r"\mathbf{1}" + c + r"^{\top}" if is_row(e.shape)
              else r"\mathbf{1}" + r + r"\mathbf{1}" + c + r"^{\top}")
    )
    if const_value(v) == 1.0:
        return ones, ATOM, is_row(e.shape) or not is_column(e.shape)
    minus, shown = signed(v)
    sign = "-" if minus else ""
    num, den = split_fraction([shown], elementwise=False)
    if den:  # the mean's gradient: \frac{1}{n} \mathbf{1}_{n}, not n^{-1} \mathbf{1}_{n}
        top = _show(num[0], NEG) if num else "1"
        scale = f"\\frac{{{top}}}{{{_p(den[0])[0]}}}"
    else:
        scale = _show(shown, NEG)
    return f"{sign}{_juxtapose([scale, ones])}", (NEG if sign else MUL), False


def _add(e: Node) -> Printed:
    return *spell_sum(e, _show, CIRC), False


def _juxtapose(parts: list[str]) -> str:
    """Products by juxtaposition; `\\cdot` where a number would run into a number."""
    out = ""
    for p in parts:
        if not out:
            out = p
        elif p[:1] in "0123456789-" and p[:1]:
            out += f" \\cdot {p}"
        else:
            out += f" {p}"
    return out


def _number(v: float) -> Printed:
    """A constant: an exact small fraction (backends/rational.py) as `\\frac{2}{3}`,
    else its decimal."""
    pq = small_fraction(v)
    if pq is None:
        return format_number(v), (NEG if v < 0 else ATOM), False
    text = f"\\frac{{{abs(pq[0])}}}{{{pq[1]}}}"
    return ("-" + text, NEG, False) if pq[0] < 0 else (text, ATOM, False)


def _exponent_number(v: float) -> str:
    """An exponent: a fraction inline (`x^{-2/3}`, as textbooks set it), else a decimal."""
    pq = small_fraction(v)
    return format_number(v) if pq is None else f"{pq[0]}/{pq[1]}"


def _mul(e: Node) -> Printed:
    coef, children = split_coefficient(e)
    scalars, den = split_fraction([c for c in children if is_scalar(c.shape)], elementwise=False)
    parts = [_p(c) for c in scalars]
    tail = [_p(c) for c in children if not is_scalar(c.shape)]
    level = min([NEG if coef < 0 else MUL] + [pr[1] for pr in parts + tail if pr[1] >= CIRC])
    num = [_wrap(pr, CIRC) for pr in parts]
    mag = _number(abs(coef))[0]
    pq = small_fraction(abs(coef))
    if den and pq is not None:  # 2/3 * x/c: one bar, \frac{2 x}{3 c}
        mag, den_coef = (str(pq[0]) if pq[0] != 1 else ""), str(pq[1])
    else:
        den_coef = ""
    if den:
        if all(pr[1] >= POW for pr in tail):  # a simple matrix joins the numerator
            num, tail = num + [pr[0] for pr in tail], []
        top = _juxtapose(([mag] if abs(coef) != 1.0 and mag else []) + num) or "1"
        bottom = _juxtapose(([den_coef] if den_coef else []) + [_show(d, NEG) for d in den])
        text = _juxtapose([f"\\frac{{{top}}}{{{bottom}}}", *(_wrap(t, CIRC) for t in tail)])
    else:
        head = [mag] if abs(coef) != 1.0 or not (num or tail) else []
        text = _juxtapose(head + num + [_wrap(t, CIRC) for t in tail])
    return ("-" + text if coef < 0 else text), level, False


def _hadamard(e: Node) -> Printed:
    num, den = split_fraction(e.children, elementwise=True)
    num_text, den_text = [_show(c, NEG) for c in num], [_show(d, NEG) for d in den]
    return spell_quotient(num_text, den_text, " \\odot ", " \\oslash ", r"\mathbf{1}"), CIRC, False


# One printer per op (functions not here print by MACROS or OPERATORNAMES through
# `_call`; sum(ones(n, 1)) is handled in `_p`).
_PRINTERS: dict[Op, Callable[[Node], Printed]] = {
    Op.CONST: lambda e: _number(e.arg),
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
}


# ------------------------------------------------------------------ derivative equations


def _vec_of(name: str, shape: tuple) -> str:
    if is_scalar(shape) or is_column(shape):
        return name
    if is_row(shape):
        return f"{name}^{{\\top}}"
    return f"\\operatorname{{vec}}\\left({name}\\right)"


def _frac(k: int, f: str, den: str) -> str:
    top = f"\\partial {f}" if k == 1 else f"\\partial^{{{k}}} {f}"
    return f"\\frac{{{top}}}{{{den}}}"


def derivative_lhs(d) -> str:  # noqa: ANN001 - a Derivative (import kept lazy)
    """`\\frac{\\partial f}{\\partial X}` for the derivative's form, or "" for a vec form."""
    f = _fname(d.function)
    k = d.order
    if len(d.wrt) > 1:
        x = "\\left(" + ", ".join(latex_name(v.arg.name) for v in d.wrt) + "\\right)"
        return (
            _frac(1, f, f"\\partial {x}")
            if k == 1
            else _frac(k, f, f"\\partial {x} \\partial {x}^{{\\top}}")
        )
    X = d.wrt[0]
    x = latex_name(X.arg.name)
    if is_scalar(X.shape):
        return _frac(k, f, f"\\partial {x}" + (f"^{{{k}}}" if k > 1 else ""))
    if d.form == "kronecker":
        if k == 2 and is_scalar(d.function.shape):
            v = _vec_of(x, X.shape)
            return _frac(2, f, f"\\partial {v} \\partial {v}^{{\\top}}")
        return ""
    if k == 1:
        return _frac(1, f, f"\\partial {x}")
    if k == 2 and d.form == "jacobian":
        return _frac(2, f, f"\\partial {x} \\partial {x}^{{\\top}}")
    return ""


def _previous(d, k: int) -> str:  # noqa: ANN001
    """The order-k derivative whose vec differential an order-(k+1) Kronecker form gives."""
    f, x = _fname(d.function), latex_name(d.wrt[0].arg.name)
    if k == 1:
        return _frac(1, f, f"\\partial {x}")
    return _frac(k, f, f"\\partial {x} \\partial {x}^{{\\top}}")


def derivative_latex(d) -> str:  # noqa: ANN001
    """The derivative as a LaTeX equation (see the module docstring)."""
    if d.expr is not None:
        lhs = derivative_lhs(d)
        if lhs:
            return f"{lhs} = {to_latex(d.expr)}"
        X = d.wrt[0]
        right = _vec_of(r"\mathrm{d}" + latex_name(X.arg.name), X.shape)
        if d.order == 1:
            left = _vec_of(r"\mathrm{d}" + _fname(d.function), d.function.shape)
        else:
            left = f"\\operatorname{{vec}}\\left(\\mathrm{{d}} {_previous(d, d.order - 1)}\\right)"
        with printing(d.expr):
            return f"{left} = {_juxtapose([_wrap(_p(d.expr), MUL), right])}"
    if not d.differentials:
        return ""
    k = d.order
    dk = r"\mathrm{d}" if k == 1 else f"\\mathrm{{d}}^{{{k}}}"
    return f"{dk} {_fname(d.function)} = {to_latex(d.differentials[-1])}"


PRINTERS["latex"] = to_latex  # str(node) and the node's LaTeX display reach the printer here
