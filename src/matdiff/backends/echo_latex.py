"""The function as typed, in LaTeX: the page's `f = ...` (issue 11 item 7).

Contract: `echo_latex(text, variables=None)` typesets the syntax tree of `text` as
parse/echo.py's `as_written` spells it: the user's parentheses, order of terms and
factors and transposes are kept (`\\left(x - m\\right)^{\\top}`, never
`x^{\\top} - m^{\\top}`); each construct is typeset as backends/latex.py typesets it
(names by `latex_name`, functions by its macros, `\\|x\\|_2` or `\\|X\\|_F` by the typed
shape, `\\odot`, `\\oslash`, `\\otimes`, `/` as a fraction bar, `X^{-1}` for `inv(X)`).
Text that does not parse or type-check with `variables` raises its `MatdiffError`.

Why not `to_latex` of the parsed node: the builders put the node in canonical form
(transposes on the leaves, terms ordered, constants folded); see parse/echo.py.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..ir.dims import is_column, is_row, is_scalar
from ..parse import syntax as s
from ..parse.declarations import declared
from ..parse.typing import Typing, infer
from .latex import MACROS, OPERATORNAMES, Printed, latex_name
from .layout import ADD, ATOM, CIRC, MUL, NEG, POW, superscript_base, wrap

_CIRCLED = {".*": " \\odot ", "./": " \\oslash "}


def _paren(text: str) -> str:
    return f"\\left({text}\\right)"


def _wrap(pr: Printed, min_level: int) -> str:
    return wrap(pr, min_level, "\\left(", "\\right)")


def _base(pr: Printed) -> str:
    return superscript_base(pr, "\\left(", "\\right)")


def _juxtapose(left: str, right: str) -> str:
    """A product side by side; `\\cdot` where a number would run into a number."""
    return f"{left} \\cdot {right}" if right[:1].isdigit() else f"{left} {right}"


def _call(name: str, args: str) -> Printed:
    head = MACROS.get(name) or f"\\operatorname{{{OPERATORNAMES.get(name, name)}}}"
    return f"{head}{_paren(args)}", ATOM, False


def echo_latex(text: str, variables: Mapping[str, str] | None = None) -> str:
    """LaTeX of `text` as typed (see the contract)."""
    tree = s.parse_ast(text)
    typing = infer(text, tree, declared(variables))
    return _Echo(text, typing).p(tree)[0]


class _Echo:
    def __init__(self, text: str, typing: Typing) -> None:
        self.text = text
        self.typing = typing

    def p(self, node: s.Ast) -> Printed:
        # Recursion follows nesting, which the parser caps at syntax.MAX_DEPTH.
        if isinstance(node, s.Num):
            return node.text, ATOM, False
        if isinstance(node, s.Name):
            return ("I" if node.name == "eye" else latex_name(node.name)), ATOM, False
        if isinstance(node, s.Group):
            inner = self.p(node.inner)
            if self.text[node.span[0]] != "(":  # x'': the primes cancel
                return inner
            return _paren(inner[0]), ATOM, False
        if isinstance(node, s.Neg):
            return "-" + _wrap(self.p(node.operand), POW), NEG, False
        if isinstance(node, s.Transpose):
            return f"{_base(self.p(node.operand))}^{{\\top}}", ATOM, True
        if isinstance(node, s.Chain):
            return self.chain(node)
        if isinstance(node, s.Call):
            return self.call(node)
        if isinstance(node, s.Block):
            rows = (" & ".join(self.p(c)[0] for c in row) for row in node.rows)
            return "\\begin{bmatrix} " + " \\\\ ".join(rows) + " \\end{bmatrix}", ATOM, False
        raise TypeError(f"unknown syntax node {node!r}")

    def chain(self, node: s.Chain) -> Printed:
        acc = self.p(node.first)
        elementwise_base = not is_scalar(self.typing.shape(node.first))
        for step in node.steps:
            right = self.p(step.operand)
            op = step.op
            if op in ("+", "-"):
                acc = f"{acc[0]} {op} {_wrap(right, CIRC)}", ADD, False
            elif op == "*":
                acc = _juxtapose(_wrap(acc, MUL), _wrap(right, POW)), MUL, False
            elif op == "/":
                acc = f"\\frac{{{acc[0]}}}{{{right[0]}}}", MUL, False
            elif op in _CIRCLED:
                acc = _wrap(acc, CIRC) + _CIRCLED[op] + _wrap(right, MUL), CIRC, False
            else:  # ^ and .^: the exponent is an atom or a signed atom
                circ = "\\circ " if op == ".^" and elementwise_base else ""
                acc = f"{_base(acc)}^{{{circ}{right[0]}}}", POW, True
        return acc

    def call(self, node: s.Call) -> Printed:
        name, args = node.name, [self.p(a) for a in node.args]
        one = args[0][0] if len(args) == 1 else None
        if name == "norm2" and one is not None:
            shape = self.typing.shape(node.args[0])
            sub = "2" if is_column(shape) or is_row(shape) else "F"
            return f"\\left\\|{one}\\right\\|_{sub}", ATOM, False
        if name == "norm1" and one is not None:
            return f"\\left\\|{one}\\right\\|_1", ATOM, False
        if name == "abs" and one is not None:
            return f"\\left|{one}\\right|", ATOM, False
        if name == "sqrt" and one is not None:
            return f"\\sqrt{{{one}}}", ATOM, False
        if name == "inv" and one is not None:
            return f"{_base(args[0])}^{{-1}}", POW, True
        if name == "kron" and len(args) == 2:
            return f"{_wrap(args[0], NEG)} \\otimes {_wrap(args[1], NEG)}", CIRC, False
        return _call(name, ", ".join(a[0] for a in args))
