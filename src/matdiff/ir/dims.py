"""Dimensions and shapes.

Every expression has a 2-D shape `(rows, cols)`, as in MATLAB: a scalar is (1, 1), a
column vector (n, 1), a row vector (1, n). A dimension is an `int` (a known size) or a
`str` naming a symbolic size (`"n"`).

Contract: compound sizes (products from `vec` and `kron`, sums from block matrices) are
strings in one normal form, a polynomial in the size names with positive integer
coefficients: like terms collected, each term its integer coefficient (omitted when 1)
then its names sorted (`"2*m*n"`), terms sorted by their names with the constant last
(`"m+n"`, `"m*p+n*p+2"`); a dimension without names is an `int`. `dim_add` and
`dim_mul` are the only ways compound sizes are made (parse/unify.py, the block builder
and the derivative engine use them), so two equal sizes are equal strings: `m+n` and
`n+m` are one size. `dim_terms` reads any such string back (a product of sums is
multiplied out), `dim_names` and `resolve_dim` use it.

Symbolic sizes are generic: a symbolic size is never equal to 1 or to a differently
named size.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

Dim = int | str
Shape = tuple[Dim, Dim]
Term = tuple[int, tuple[str, ...]]  # (coefficient, sorted names): 3*m*n is (3, (m, n))

SCALAR: Shape = (1, 1)


def dim_terms(d: Dim) -> list[Term]:
    """d as a sum of terms in normal form (collected, sorted; [] for 0)."""
    if isinstance(d, int):
        return _collect([(d, ())])
    out: list[Term] = []
    for part in d.split("+"):
        coef = 1
        names: list[str] = []
        for f in part.split("*"):
            f = f.strip().strip("()")
            if f.isdigit():
                coef *= int(f)
            elif f:
                names.append(f)
        out.append((coef, tuple(sorted(names))))
    return _collect(out)


def _collect(terms: Iterable[Term]) -> list[Term]:
    total: dict[tuple[str, ...], int] = {}
    for coef, names in terms:
        key = tuple(sorted(names))
        total[key] = total.get(key, 0) + coef
    # names first (sorted), the constant term last
    return sorted(((c, k) for k, c in total.items() if c), key=lambda t: (not t[1], t[1]))


def make_dim(terms: Iterable[Term]) -> Dim:
    """The normal form of a sum of terms."""
    collected = _collect(terms)
    if all(not names for _, names in collected):
        return sum(c for c, _ in collected)
    parts = []
    for coef, names in collected:
        factors = ([str(coef)] if coef != 1 or not names else []) + list(names)
        parts.append("*".join(factors))
    return "+".join(parts)


def dim_add(a: Dim, b: Dim) -> Dim:
    """The sum of two dimensions in normal form (the size of a block matrix)."""
    return make_dim(dim_terms(a) + dim_terms(b))


def dim_mul(a: Dim, b: Dim) -> Dim:
    """The product of two dimensions in normal form (sums multiplied out)."""
    return make_dim((ca * cb, na + nb) for ca, na in dim_terms(a) for cb, nb in dim_terms(b))


def dim_names(d: Dim) -> set[str]:
    """The symbolic size names a dim is made of (`"m*n"` -> {m, n})."""
    return {n for _, names in dim_terms(d) for n in names}


def normal_dim(d: Dim) -> Dim:
    """d in normal form (a size written by hand, such as "n+m" or "n*m")."""
    return make_dim(dim_terms(d))


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


def user_axes(shape: Shape) -> tuple[int, ...]:
    """Which axes of a (rows, cols) shape a user's array keeps: none for a scalar, the
    length for a vector (column or row), both for a matrix. The one rule behind every
    user-facing shape (the evaluator's values, generated code, derivative arrays)."""
    if is_scalar(shape):
        return ()
    if is_column(shape):
        return (0,)
    if is_row(shape):
        return (1,)
    return (0, 1)


def user_shape(shape: Shape) -> tuple[Dim, ...]:
    """The user-facing shape: () for a scalar, (n,) for a vector, (m, n) for a matrix."""
    return tuple(shape[i] for i in user_axes(shape))


def format_dim(d: Dim, grouped: bool = False) -> str:
    """A dimension as text; `grouped` puts a sum in parentheses (`1×(m+n)`)."""
    text = str(d)
    return f"({text})" if grouped and "+" in text else text


def format_shape(shape: Shape) -> str:
    """How shapes appear in messages: `n` for a vector, `1×n` for a row, `n×m`."""
    r, c = shape
    if is_scalar(shape):
        return "scalar"
    if is_column(shape):
        return format_dim(r)
    return f"{format_dim(r, True)}×{format_dim(c, True)}"


def concrete(shape: Shape, sizes: Mapping[str, int]) -> tuple[int, int]:
    """Resolve a symbolic shape with known sizes; raises KeyError for an unknown size."""
    return (resolve_dim(shape[0], sizes), resolve_dim(shape[1], sizes))


def resolve_dim(d: Dim, sizes: Mapping[str, int]) -> int:
    """The integer value of a dim; KeyError names a size that is not known."""
    total = 0
    for coef, names in dim_terms(d):
        for name in names:
            coef *= sizes[name]
        total += coef
    return total
