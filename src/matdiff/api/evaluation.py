"""The api layer, values: `matdiff.evaluate`, an expression's value at given values.

Contract: `evaluate(expr, values, variables=..., sizes=..., **values)` parses text (or
takes a node), evaluates it with the NumPy evaluator (backends/evaluate.py) and returns
the value in the user's shape (a float for a scalar, 1-D for a vector). Bad arguments
(values or sizes that are not mappings, a size that is not a whole number from 1 to
MAX_SIZE, an expression of another type) are a `MatdiffError`. Sizes that no value of
the expression tells are bound from the values of declared variables it does not hold
(a pasted-back result evaluated with the declarations of the function it came from).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..backends.evaluate import bind_sizes, to_user
from ..backends.evaluate import evaluate as evaluate_node
from ..errors import MatdiffError
from ..ir.node import Node
from .parsing import Expr, Variables, parse

MAX_SIZE = 100_000


def evaluate(
    expr: Expr,
    values: Mapping[str, Any] | None = None,
    *,
    variables: Variables = None,
    sizes: Mapping[str, int] | None = None,
    **kw: Any,
) -> Any:
    """The value of an expression (text or node) at the given values, in user shapes
    (a float for a scalar, 1-D for a vector). `sizes` names sizes no value tells
    (`eye(n)` alone)."""
    if values is not None and not isinstance(values, Mapping):
        raise MatdiffError(f"values must map names to values, got {type(values).__name__}")
    if sizes is not None and not isinstance(sizes, Mapping):
        raise MatdiffError(f"sizes must map size names to numbers, got {type(sizes).__name__}",
                           hint="e.g. sizes={'n': 3}")
    for name, size in (sizes or {}).items():
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_SIZE:
            raise MatdiffError(
                f"the size {name} must be a whole number from 1 to {MAX_SIZE}, got {size!r}"
            )
    if isinstance(expr, str):
        node = parse(expr, variables)
    elif isinstance(expr, Node):
        node = expr
    else:
        raise MatdiffError(
            f"evaluate needs an expression (text or a matdiff expression), got "
            f"{type(expr).__name__}"
        )
    merged = dict(values or {})
    merged.update(kw)
    sizes = _sizes_from_declared(node, variables, merged, sizes)
    return to_user(evaluate_node(node, merged, sizes=sizes), node.shape)


def _sizes_from_declared(node: Node, variables: Variables, values: Mapping[str, Any],
                         sizes: Mapping[str, int] | None) -> Mapping[str, int] | None:
    """Sizes bound from the values of declared variables the expression does not hold:
    a pasted-back result (`kron(eye(n), ones(1, m))` for sum(X, 1) by X) is evaluated
    with the declarations and values of the function it came from."""
    if not isinstance(variables, Mapping):
        return sizes
    present = set(node.free)
    extra = [parse(name, {name: variables[name]}) for name in variables
             if isinstance(name, str) and name in values and name not in present]
    if not extra:
        return sizes
    return bind_sizes(extra, {v.arg.name: values[v.arg.name] for v in extra}, sizes)
