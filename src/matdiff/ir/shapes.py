"""The ops' shape rules, written once over a small algebra of dimensions.

Contract: a rule is `rule(dims, *shapes) -> shape`, where `dims` is a `DimAlgebra`:
`one` (the size 1), `mul` (a product of sizes), `is_one` (known to be 1: how a rule
tells a scalar or a vector), `square` (require a square shape) and `column` (require a
column vector or a scalar). Two algebras run the same rules:

- `CONCRETE` here, over `ir.dims` sizes (ints and size names): the builders use it
  (`ops.shape_of`), and a shape that does not fit raises ShapeError with the shapes;
- the parser's (parse/typing.py), over its terms with unknown sizes: `square`
  *unifies* the two sizes instead of comparing them, and errors carry the span of the
  text and its hints.

So the parser's type inference and the builders agree by construction on the shapes of
the language's functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ..errors import ShapeError
from .dims import Shape, dim_mul, format_shape, is_square


class DimAlgebra(Protocol):
    one: Any

    def mul(self, a: Any, b: Any) -> Any: ...

    def is_one(self, d: Any) -> bool: ...

    def square(self, s: Any, name: str, message: str | None = None,
               hint: str | None = None) -> None: ...

    def column(self, s: Any, name: str) -> None: ...


ShapeRule = Callable[..., Any]  # (dims, *shapes) -> shape


class ConcreteDims:
    """The algebra of known shapes (`ir.dims`): what the builders check."""

    one = 1

    def mul(self, a: Any, b: Any) -> Any:
        return dim_mul(a, b)

    def is_one(self, d: Any) -> bool:
        return d == 1

    def square(self, s: Shape, name: str, message: str | None = None,
               hint: str | None = None) -> None:
        if not is_square(s):
            text = message or "{name} needs a square matrix, got {shape}"
            raise ShapeError(text.format(name=name, shape=format_shape(s)), hint=hint)

    def column(self, s: Shape, name: str) -> None:
        if s[1] != 1:
            raise ShapeError(f"{name} needs a (column) vector, got {format_shape(s)}")


CONCRETE = ConcreteDims()


def is_scalar_in(dims: DimAlgebra, s: Any) -> bool:
    return dims.is_one(s[0]) and dims.is_one(s[1])


# ------------------------------------------------------------------------------ rules


def same(dims: DimAlgebra, *shapes: Any) -> Any:
    return shapes[0]


def to_scalar(dims: DimAlgebra, *shapes: Any) -> Any:
    return (dims.one, dims.one)


def square(name: str) -> ShapeRule:
    def rule(dims: DimAlgebra, s: Any) -> Any:
        if not is_scalar_in(dims, s):
            dims.square(s, name)
        return s

    return rule


def square_to_scalar(name: str) -> ShapeRule:
    def rule(dims: DimAlgebra, s: Any) -> Any:
        square(name)(dims, s)
        return (dims.one, dims.one)

    return rule


def vector_only(name: str) -> ShapeRule:
    def rule(dims: DimAlgebra, s: Any) -> Any:
        if not is_scalar_in(dims, s):
            dims.column(s, name)
        return s

    return rule


def transposed(dims: DimAlgebra, s: Any) -> Any:
    return (s[1], s[0])


def kron_shape(dims: DimAlgebra, a: Any, b: Any) -> Any:
    return (dims.mul(a[0], b[0]), dims.mul(a[1], b[1]))


def vec_shape(dims: DimAlgebra, s: Any) -> Any:
    return (dims.mul(s[0], s[1]), dims.one)


def diag_shape(dims: DimAlgebra, s: Any) -> Any:
    """diag(v) of a vector is square; diag(X) of a square X is its diagonal, a column."""
    if is_scalar_in(dims, s):
        return s
    if dims.is_one(s[1]):
        return (s[0], s[0])
    if dims.is_one(s[0]):
        return (s[1], s[1])
    dims.square(s, "diag", message="diag needs a vector or a square matrix, got {shape}",
                hint="diag(v) makes a diagonal matrix from a vector; diag(X) takes the "
                     "diagonal of a square X")
    return (s[0], dims.one)


def pow_shape(dims: DimAlgebra, base: Any, exponent: Any) -> Any:
    """A scalar exponent, or one of the base's shape (the builders' rule; the parser
    checks `.^` with its other elementwise operators)."""
    if not is_scalar_in(dims, exponent) and exponent != base:
        raise ShapeError(
            f"cannot raise {format_shape(base)} elementwise to a {format_shape(exponent)} power"
        )
    return base
