"""The api layer, symbols and operators: building expressions in Python.

Contract: `scalar`, `vector` and `matrix` make variable nodes (a name, sizes as names or
whole numbers, properties as in declarations), checking them as the declaration parser
does (`DeclarationError` for a bad name, size or property, or a property the shape
cannot have). The functions of the language (`tr`, `det`, `inv`, `exp`, `softmax(x,
dim)`, `sum(x, dim)`, `kron`, ...) build nodes through the canonical builders (ir/),
accepting numbers and arrays where the builders do (`as_node`). Nodes' own operators
(`@`, `*`, `**`, `.T`) are ir/node.py's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import DeclarationError
from ..ir import build as b
from ..ir.batched import BY_FUNCTION as DIM_FORMS
from ..ir.node import PROPERTIES, Node, as_node


def _dims(dims: Iterable[str | int]) -> tuple[Any, ...]:
    out: list[Any] = []
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, (int, str)):
            raise DeclarationError(f"a size is a whole number or a name such as n, got {d!r}")
        if isinstance(d, int) or d.isdigit():
            if int(d) < 1:
                raise DeclarationError(f"a size must be at least 1, got {d}")
            out.append(int(d))
        elif d.isidentifier():
            out.append(d)
        else:
            raise DeclarationError(
                f"a size is a whole number or a name such as n, got {d!r}",
                hint="one size per argument: matdiff.matrix('A', 'n', 'm')",
            )
    return tuple(out)


def _symbol(name: str, shape: tuple[Any, Any], props: tuple[str, ...]) -> Node:
    if not isinstance(name, str) or not name.isidentifier():
        raise DeclarationError(f"a variable name is letters, digits and _, got {name!r}")
    unknown = [p for p in props if p not in PROPERTIES]
    if unknown:
        raise DeclarationError(
            f"unknown property {unknown[0]!r}", hint="properties: " + ", ".join(PROPERTIES)
        )
    square_only = set(props) & {"symmetric", "spd", "diagonal", "orthogonal"}
    if square_only and shape[0] != shape[1]:
        raise DeclarationError(f"{name} is declared {', '.join(props)} but is not square")
    if set(props) & {"onehot", "simplex"} and shape == (1, 1):
        # on a matrix they hold per column (a batch of labels), on a vector for the vector
        raise DeclarationError(f"{name} is declared {', '.join(props)} but is a scalar")
    return b.var(name, shape, props)


def scalar(name: str, *props: str) -> Node:
    """A scalar variable for building expressions with operators, e.g.
    `matdiff.scalar("t", "positive")`; properties as in declarations."""
    return _symbol(name, (1, 1), props)


def vector(name: str, n: str | int = "n", *props: str) -> Node:
    """A column vector variable of size `n` (a name such as "n" or a number), with
    optional properties ("positive", "onehot", "simplex"):

        >>> x = matdiff.vector("x", "n")
        >>> str(matdiff.derivative(x.T @ x, wrt=x))
        '2*x'
    """
    (d,) = _dims([n])
    return _symbol(name, (d, 1), props)


def matrix(name: str, m: str | int = "n", n: str | int | None = None, *props: str) -> Node:
    """An m×n matrix variable (square n×n when `n` is left out), with optional properties
    ("symmetric", "spd", "diagonal", "orthogonal", "positive"):

        >>> A = matdiff.matrix("A", "n", "n", "symmetric")
        >>> x = matdiff.vector("x", "n")
        >>> str(matdiff.derivative(x.T @ A @ x, wrt=x))
        '2*A*x'
    """
    r, c = _dims([m, m if n is None else n])
    return _symbol(name, (r, c), props)


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


def _with_dim(name: str):
    """`name(x)`, or `name(x, dim)` with MATLAB's dim (1: per column, 2: per row)."""
    def f(x: Any, dim: int | None = None) -> Node:
        if dim is None:
            return b.call(name, [_node(x)])
        return DIM_FORMS[name](_node(x), dim)

    f.__name__ = name
    f.__doc__ = (f"{name}(x) as in the expression language; {name}(x, 1) acts on each "
                 f"column, {name}(x, 2) on each row")
    return f


softmax = _with_dim("softmax")
logsumexp = _with_dim("logsumexp")


def mean(x: Any, dim: int | None = None) -> Node:
    """mean(x) (all entries), mean(x, 1) (each column's), mean(x, 2) (each row's)."""
    return b.mean(_node(x), dim)


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


def sum(x: Any, dim: int | None = None) -> Node:  # noqa: A001 - the language's name
    """sum(x) as in the expression language: the sum of all entries (a scalar);
    sum(x, 1) the row of column sums, sum(x, 2) the column of row sums."""
    return b.sum_(_node(x)) if dim is None else b.sum_dim(_node(x), dim)


def kron(a: Any, c: Any) -> Node:
    """kron(a, c) as in the expression language: the Kronecker product."""
    return b.kron(_node(a), _node(c))
