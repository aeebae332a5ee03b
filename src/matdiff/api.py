"""The public Python API: derivatives from strings or from symbols with operators.

    d = matdiff.derivative("x'*A*x", wrt="x", variables={"A": "matrix n n"})
    str(d), d.expr, d.evaluate(x=..., A=...)

    x = matdiff.vector("x", "n"); A = matdiff.matrix("A", "n", "n")
    matdiff.derivative(x.T @ A @ x, wrt=x)

Symbols are ordinary expression nodes; the operators follow NumPy: `@` is the matrix
product, `*` scales or multiplies elementwise, `**` is the elementwise power, `.T` the
transpose. Everything here is a thin layer over parse/, diff/ and the builders.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .diff.derivative import Derivative, take_derivative
from .errors import DiffError, MatdiffError
from .ir import build as b
from .ir.dims import format_shape, is_scalar
from .ir.node import Node, as_node
from .parse import parse_with_env

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
    from .backends.evaluate import evaluate as evaluate_node
    from .backends.evaluate import to_user

    node = parse(expr, variables) if isinstance(expr, str) else expr
    merged = dict(values or {})
    merged.update(kw)
    return to_user(evaluate_node(node, merged, sizes=sizes), node.shape)


def _free_vars(node: Node) -> dict[str, Node]:
    found: dict[str, Node] = {}
    stack = [node]
    seen: set[int] = set()
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if n.op == "var":
            found[n.arg.name] = n
        stack.extend(n.children)
    return found


def _resolve(expr: Expr, wrt: str | Node | Sequence[str | Node], variables: Variables) -> tuple[
    Node, list[Node]
]:
    if isinstance(expr, str):
        node, env = parse_with_env(expr, variables)
    elif isinstance(expr, Node):
        node, env = expr, _free_vars(expr)
    else:
        raise MatdiffError(f"an expression must be text or a matdiff expression, got {expr!r}")
    names: list[str | Node]
    if isinstance(wrt, str):
        names = [w.strip() for w in wrt.split(",") if w.strip()]
    elif isinstance(wrt, Node):
        names = [wrt]
    else:
        names = list(wrt)
    if not names:
        raise DiffError("name the variable to differentiate by", hint="e.g. wrt='x'")
    out = []
    for w in names:
        if isinstance(w, Node):
            if w.op != "var":
                raise DiffError("can only differentiate with respect to a variable")
            out.append(w)
            continue
        if w not in env:
            known = ", ".join(sorted(env)) or "none"
            raise DiffError(
                f"'{w}' is not a variable of the expression (its variables: {known})",
                hint=f"declare it (e.g. variables={{'{w}': 'vector n'}}) to get a zero "
                "derivative of the right shape, or pick one of the variables",
            )
        out.append(env[w])
    return node, out


def derivative(
    expr: Expr,
    wrt: str | Node | Sequence[str | Node],
    variables: Variables = None,
    order: int = 1,
    layout: str = "numerator",
    structured: bool = False,
) -> Derivative:
    """The derivative of `expr` by `wrt` (a name, a comma list of scalars, or a symbol)."""
    node, wrt_nodes = _resolve(expr, wrt, variables)
    if not isinstance(order, int) or isinstance(order, bool):
        raise DiffError(f"order must be a whole number, got {order!r}")
    return take_derivative(node, wrt_nodes, order=order, layout=layout, structured=structured)


def grad(expr: Expr, wrt: Any, variables: Variables = None, **kw: Any) -> Derivative:
    d = derivative(expr, wrt, variables, order=1, **kw)
    if not is_scalar(d.function.shape):
        raise DiffError(
            f"grad needs a scalar function; this one is {format_shape(d.function.shape)}",
            hint="use jacobian() or derivative() for vector and matrix functions",
        )
    return d


def jacobian(expr: Expr, wrt: Any, variables: Variables = None, **kw: Any) -> Derivative:
    return derivative(expr, wrt, variables, order=1, **kw)


def hessian(expr: Expr, wrt: Any, variables: Variables = None, **kw: Any) -> Derivative:
    return derivative(expr, wrt, variables, order=2, **kw)


# ---------------------------------------------------------------- symbols and operators


def _dims(dims: Iterable[str | int]) -> tuple[Any, ...]:
    return tuple(int(d) if isinstance(d, int) or str(d).isdigit() else str(d) for d in dims)


def scalar(name: str, *props: str) -> Node:
    return b.var(name, (1, 1), props)


def vector(name: str, n: str | int = "n", *props: str) -> Node:
    (d,) = _dims([n])
    return b.var(name, (d, 1), props)


def matrix(name: str, m: str | int = "n", n: str | int | None = None, *props: str) -> Node:
    r, c = _dims([m, m if n is None else n])
    if props and r != c and set(props) & {"symmetric", "spd", "diagonal", "orthogonal"}:
        raise MatdiffError(f"{name} is declared {', '.join(props)} but is not square")
    return b.var(name, (r, c), props)


def _node(x: Any) -> Node:
    return as_node(x)


def _unary(name: str):
    def f(x: Any) -> Node:
        return b.call(name, [_node(x)])

    f.__name__ = name
    f.__doc__ = f"{name}(x) as in the expression language"
    return f


tr = _unary("tr")
det = _unary("det")
logdet = _unary("logdet")
inv = _unary("inv")
diag = _unary("diag")
vec = _unary("vec")
softmax = _unary("softmax")
logsumexp = _unary("logsumexp")
expm = _unary("expm")
norm1 = _unary("norm1")
norm2 = _unary("norm2")
exp = _unary("exp")
log = _unary("log")
sin = _unary("sin")
cos = _unary("cos")
tan = _unary("tan")
tanh = _unary("tanh")
sqrt = _unary("sqrt")
sigmoid = _unary("sigmoid")
relu = _unary("relu")
softplus = _unary("softplus")


def sum(x: Any) -> Node:  # noqa: A001 - the language's name
    return b.sum_(_node(x))


def kron(a: Any, c: Any) -> Node:
    return b.kron(_node(a), _node(c))
