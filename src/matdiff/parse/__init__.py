"""Text of the input language -> IR nodes.

Contract: `parse(text, variables)` returns the interned IR node for `text`;
`parse_with_env` also returns name -> `var` node for every variable of the expression
and every declared one. Declarations (`{"A": "matrix n n symmetric"}`) fix kinds, sizes
and properties; undeclared variables are typed by their first letter (a-g scalar, h-z
vector, A-Z matrix) with sizes inferred. Every malformed or ill-typed input raises a
`MatdiffError` subclass whose `str` shows the message, the text with a caret under the
offending part, and a hint; no other exception escapes, and input is bounded
(`MAX_LENGTH` characters, `MAX_DEPTH` levels of nesting) so nothing recurses without
limit.

Pipeline: lexer.py (tokens) -> syntax.py (AST with spans) -> typing.py + unify.py (shapes
by unification) -> lower.py (IR through the builders). declarations.py reads
declarations.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import LimitError, ParseError
from ..ir.node import Node
from .declarations import Declaration, declared, parse_declaration, parse_declaration_line
from .lexer import MAX_LENGTH
from .lower import lower
from .syntax import MAX_DEPTH, parse_ast
from .typing import infer

__all__ = [
    "Declaration",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "parse",
    "parse_declaration",
    "parse_declaration_line",
    "parse_with_env",
]


def parse(text: str, variables: Mapping[str, str | Declaration] | None = None) -> Node:
    """The expression `text` as an IR node."""
    return parse_with_env(text, variables)[0]


def parse_with_env(
    text: str,
    variables: Mapping[str, str | Declaration] | None = None,
    without_props: frozenset[str] = frozenset(),
) -> tuple[Node, dict[str, Node]]:
    """The node for `text`, and name -> `var` node of each variable (used or declared).
    `without_props` are properties typing honours but the nodes are built without: the
    function as typed (S' kept for a symmetric S), with the same shapes."""
    if not isinstance(text, str):
        raise ParseError(f"an expression must be a string, got {type(text).__name__}")
    # The passes recurse a few frames per level of nesting; the parser caps nesting at
    # MAX_DEPTH so that the deepest admitted text fits in Python's default limit of 1000
    # frames with room for the caller's stack (a test runner, a web worker). The
    # process-wide recursion limit is never changed (it would leak into every thread).
    try:
        decls = declared(variables)
        tree = parse_ast(text)
        typing = infer(text, tree, decls)
        if without_props:
            typing.var_props = {n: p - without_props for n, p in typing.var_props.items()}
        return lower(text, tree, typing)
    except RecursionError:
        # A safety net only, for a caller already deep in its own stack.
        raise LimitError("the expression is too deeply nested", text=text,
                         hint="split it into smaller expressions") from None
