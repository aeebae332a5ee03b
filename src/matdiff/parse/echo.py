"""The function as the user typed it: the echo `f = ...` of a report.

Contract: `as_written(text)` returns `text` with only its spacing normalized, the way the
printers space (`a + b`, `a - b`, `x .* y`, `x ./ y`, `A*x`, `x/2`, `x.^2`, `f(a, b)`,
`[a, b; c, d]`): parentheses, the order of terms and factors, transposes (`(x - m)'`
stays `(x - m)'`, never `x' - m'`) and the spelling of numbers are the user's; a run of
primes prints as the parser reads it (`x'''` as `x'`, `x''` as `x''`). The result
parses to the same syntax tree as `text`, so to the same function.
Malformed text raises what `syntax.parse_ast` raises.

Why not print the parsed node: the builders put a node in canonical form as they build
it (transposes pushed to the leaves, terms and factors ordered, constants folded), so the
node of `(x - m)'*(x - m)` prints as `(x' - m')*(x - m)`. The echo is there to show the
user what matdiff read, so it prints the syntax tree instead, before any building.
"""

from __future__ import annotations

from . import syntax as s

# How each operator of a chain is spaced, as the printers space it.
_SPACED = {"+": " + ", "-": " - ", ".*": " .* ", "./": " ./ "}


def as_written(text: str) -> str:
    """`text`, spaced as the printers space (see the contract)."""
    return _Echo(text).show(s.parse_ast(text))


class _Echo:
    def __init__(self, text: str) -> None:
        self.text = text

    def show(self, node: s.Ast) -> str:
        # Recursion follows nesting (parentheses, calls, exponents), which the parser
        # caps at syntax.MAX_DEPTH; long flat chains are loops.
        if isinstance(node, s.Num):
            return node.text
        if isinstance(node, s.Name):
            return node.name
        if isinstance(node, s.Group):
            if self.text[node.span[0]] != "(":  # x'' : an even run of primes, kept
                return self.show(node.inner) + "''"
            return "(" + self.show(node.inner) + ")"
        if isinstance(node, s.Neg):
            return "-" + self.show(node.operand)
        if isinstance(node, s.Transpose):
            return self.show(node.operand) + "'"
        if isinstance(node, s.Chain):
            out = self.show(node.first)
            for step in node.steps:
                out += _SPACED.get(step.op, step.op) + self.show(step.operand)
            return out
        if isinstance(node, s.Call):
            return node.name + "(" + ", ".join(self.show(a) for a in node.args) + ")"
        if isinstance(node, s.Block):
            rows = (", ".join(self.show(c) for c in row) for row in node.rows)
            return "[" + "; ".join(rows) + "]"
        raise TypeError(f"unknown syntax node {node!r}")
