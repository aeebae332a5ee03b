"""Dimensions and shapes.

Every expression has a 2-D shape `(rows, cols)`, as in MATLAB: a scalar is (1, 1), a
column vector (n, 1), a row vector (1, n). A dimension is an `int` (a known size) or a
`str` naming a symbolic size (`"n"`); products of symbolic sizes (from `vec`, `kron`) are
strings in a canonical form (`"m*n"`, factors sorted, integer factor first). Symbolic
sizes are generic: a symbolic size is never equal to 1 or to a differently named size.
"""

from __future__ import annotations

Dim = int | str
Shape = tuple[Dim, Dim]

SCALAR: Shape = (1, 1)


def _factors(d: Dim) -> tuple[int, list[str]]:
    if isinstance(d, int):
        return d, []
    coef = 1
    names: list[str] = []
    for part in d.split("*"):
        if part.isdigit():
            coef *= int(part)
        else:
            names.append(part)
    return coef, names


def dim_mul(a: Dim, b: Dim) -> Dim:
    """The product of two dimensions in canonical form."""
    ca, na = _factors(a)
    cb, nb = _factors(b)
    coef = ca * cb
    names = sorted(na + nb)
    if not names:
        return coef
    if coef == 0:
        return 0
    parts = ([str(coef)] if coef != 1 else []) + names
    return "*".join(parts)


def is_scalar(shape: Shape) -> bool:
    return shape == (1, 1)


def is_column(shape: Shape) -> bool:
    return shape[1] == 1 and shape[0] != 1


def is_row(shape: Shape) -> bool:
    return shape[0] == 1 and shape[1] != 1


def is_square(shape: Shape) -> bool:
    return shape[0] == shape[1]


def kind_of(shape: Shape) -> str:
    """'scalar', 'vector' (column), 'row vector' or 'matrix'."""
    if is_scalar(shape):
        return "scalar"
    if is_column(shape):
        return "vector"
    if is_row(shape):
        return "row vector"
    return "matrix"


def format_dim(d: Dim) -> str:
    return str(d)


def format_shape(shape: Shape) -> str:
    """How shapes appear in messages: `n` for a vector, `1×n` for a row, `n×m`."""
    r, c = shape
    if is_scalar(shape):
        return "scalar"
    if is_column(shape):
        return format_dim(r)
    return f"{format_dim(r)}×{format_dim(c)}"


def concrete(shape: Shape, sizes: dict[str, int]) -> tuple[int, int]:
    """Resolve a symbolic shape with known sizes; raises KeyError for an unknown size."""
    return (resolve_dim(shape[0], sizes), resolve_dim(shape[1], sizes))


def resolve_dim(d: Dim, sizes: dict[str, int]) -> int:
    coef, names = _factors(d)
    for name in names:
        coef *= sizes[name]
    return coef
