"""The api layer, its entry: expressions from text or symbols, and the variables to
differentiate by.

Contract: `parse(text, variables)` and `variables_of(text, variables)` parse and
type-check the expression language (parse/), with `variables` mapping names to
declarations. `resolve(expr, wrt, variables)` turns what a user passes to
`derivative`/`hvp` (text or a node; a name, a comma list of names, a symbol, or a list
of those) into the expression node and the variable nodes, with a `DiffError` naming
what is wrong: an unknown or repeated variable, a wrt that is not a name. A comma list
of undeclared names is typed as scalars (`declarations` gives the declarations used),
and a parse that fails because a name was typed as a vector by its first letter gets a
hint to declare it a scalar. `as_typed` is the expression without structure properties
(`S'` kept as typed) where a variable has them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..diff.derivative import STRUCTURE_PROPS
from ..errors import DiffError, MatdiffError
from ..ir.node import Node, variables_in
from ..ir.ops import Op
from ..parse import parse_with_env

Expr = str | Node
Variables = Mapping[str, str] | None


def parse(text: str, variables: Variables = None) -> Node:
    """Parse and type-check an expression of the language."""
    node, _ = parse_with_env(text, variables)
    return node


def variables_of(text: str, variables: Variables = None) -> dict[str, Node]:
    """The variables of an expression with their inferred shapes and properties."""
    _, env = parse_with_env(text, variables)
    return env


def _free_vars(node: Node) -> dict[str, Node]:
    return variables_in([node])


def _wrt_names(wrt: Any) -> list[str | Node]:
    if isinstance(wrt, str):
        names = [w.strip() for w in wrt.split(",")]
        if len(names) > 1 and not all(names):
            raise DiffError(f"an empty name in the list of variables {wrt!r}",
                            hint="separate the names by single commas, e.g. x1,x2")
        return [w for w in names if w]
    if isinstance(wrt, Node):
        return [wrt]
    if isinstance(wrt, (list, tuple)) and all(isinstance(w, (str, Node)) for w in wrt):
        return list(wrt)
    raise DiffError(
        f"wrt must name the variable (a string such as 'x', 'x1,x2', or a symbol), "
        f"got {wrt!r}",
        hint="e.g. matdiff.derivative(\"x'*A*x\", wrt=\"x\")",
    )


def _parse_for(expr: str, names: list[str | Node], variables: Variables) -> tuple[
    Node, dict[str, Node]
]:
    """Parse, typing an undeclared list of variables (wrt='x1,x2') as scalars, and
    suggesting a scalar declaration when a variable typed as a vector by its first
    letter (t, x1) makes the expression ill-typed."""
    decls = dict(variables or {})
    plain = [n for n in names if isinstance(n, str)]
    if len(plain) > 1:
        for n in plain:
            decls.setdefault(n, "scalar")
    try:
        return parse_with_env(expr, decls or None)
    except MatdiffError as err:
        # only names typed as vectors (h-z): a matrix (A-Z) is not "typed as a vector",
        # and softmax(Z) by Z must keep its own hint (softmax(Z, 1) / softmax(Z, 2))
        guess = [n for n in plain if n not in decls and n.isidentifier()
                 and "h" <= n[0] <= "z"]
        if not guess:
            raise
        trial = dict(decls, **{n: "scalar" for n in guess})
        try:
            parse_with_env(expr, trial)
        except MatdiffError:
            raise err from None
        listed = ", ".join(guess)
        err.hint = (
            f"{listed} {'is' if len(guess) == 1 else 'are'} typed as a vector by "
            f"{'its' if len(guess) == 1 else 'their'} first letter; if "
            f"{'it is a scalar' if len(guess) == 1 else 'they are scalars'}, declare it: "
            + ", ".join(f'--var "{n}: scalar"' for n in guess)
            + " (in Python variables={"
            + ", ".join(f"'{n}': 'scalar'" for n in guess)
            + "})"
        )
        raise


def resolve(expr: Expr, wrt: str | Node | Sequence[str | Node], variables: Variables) -> tuple[
    Node, list[Node]
]:
    names = _wrt_names(wrt)
    if variables is not None and not isinstance(variables, Mapping):
        raise MatdiffError(
            f"variables must map names to declarations, got {type(variables).__name__}",
            hint="e.g. variables={'A': 'matrix n n symmetric', 'x': 'vector n'}",
        )
    if isinstance(expr, str):
        node, env = _parse_for(expr, names, variables)
    elif isinstance(expr, Node):
        node, env = expr, _free_vars(expr)
    else:
        raise MatdiffError(
            f"an expression must be text or a matdiff expression, got {type(expr).__name__}",
            hint="e.g. matdiff.derivative(\"x'*A*x\", wrt=\"x\")",
        )
    if not names:
        raise DiffError("name the variable to differentiate by", hint="e.g. wrt='x'")
    out = []
    for w in names:
        if isinstance(w, Node):
            if w.op != Op.VAR:
                raise DiffError("can only differentiate with respect to a variable")
            out.append(w)
            continue
        if w not in env:
            known = ", ".join(sorted(env)) or "none"
            hint = (
                f"declare it (e.g. variables={{'{w}': 'vector n'}}) to get a zero "
                "derivative of the right shape, or pick one of the variables"
                if w.isidentifier() else "name a variable of the expression"
            )
            raise DiffError(
                f"'{w}' is not a variable of the expression (its variables: {known})",
                hint=hint,
            )
        out.append(env[w])
    names_out = [v.arg.name for v in out]
    twice = sorted({n for n in names_out if names_out.count(n) > 1})
    if twice:
        raise DiffError(f"{twice[0]} is listed twice in wrt",
                        hint="name each variable once: wrt='a,b'")
    return node, out


def as_typed(text: str, variables: Variables, env: dict[str, Node]) -> Node | None:
    """`text` built with the shapes the parse inferred but without symmetric/diagonal/
    orthogonal properties, so `S'` stays a transpose (None when nothing has them)."""
    if not any(v.arg.props & STRUCTURE_PROPS for v in env.values()):
        return None
    node, _ = parse_with_env(text, variables, without_props=STRUCTURE_PROPS)
    return node


def declarations(expr: str, wrt: Any, variables: Variables) -> Variables:
    """The declarations resolve parsed with (a wrt list types its names as scalars)."""
    names = [n for n in _wrt_names(wrt) if isinstance(n, str)]
    if len(names) <= 1:
        return variables
    decls = dict(variables or {})
    for n in names:
        decls.setdefault(n, "scalar")
    return decls


