"""The op table: one entry per operation of the expression language.

An entry says everything the rest of matdiff needs to know about an op apart from how to
differentiate it (diff/rules.py, keyed by the same names) and how to evaluate it
(backends/evaluate.py, ditto): its arity, how it is written in the language, its
category, whether it is linear, its shape rule, and the domain its inputs are sampled
from when tests check it. Tests assert that every op here has a derivative rule, an
evaluator and a printer entry, so no op can be added half-way.

Categories:
  leaf         var, dvar, const, eye, commutation
  nary         add, mul, matmul, hadamard (canonical n-ary nodes built in ir/build.py)
  elementwise  unary functions applied entry by entry
  function     other functions written `name(args)`
  special      pow, fill, block, reshape, transpose, mpow (own syntax or internal)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import ShapeError
from .dims import SCALAR, Shape, dim_mul, format_shape, is_column, is_scalar, is_square

ShapeRule = Callable[..., Shape]


@dataclass(frozen=True)
class Op:
    name: str
    category: str
    arity: int | None  # None: any number of children
    shape: ShapeRule | None = None  # shapes of the children -> shape of the result
    linear: bool = False  # linear in every child (so it has an adjoint)
    domain: str = "real"  # where inputs are sampled for numerical checks
    doc: str = ""


def _same(*shapes: Shape) -> Shape:
    return shapes[0]


def _to_scalar(*shapes: Shape) -> Shape:
    return SCALAR


def _square(name: str) -> ShapeRule:
    def rule(s: Shape) -> Shape:
        if not is_square(s):
            raise ShapeError(f"{name} needs a square matrix, got {format_shape(s)}")
        return s

    return rule


def _square_to_scalar(name: str) -> ShapeRule:
    def rule(s: Shape) -> Shape:
        _square(name)(s)
        return SCALAR

    return rule


def _diag(s: Shape) -> Shape:
    if is_scalar(s):
        return s
    if is_column(s):
        return (s[0], s[0])
    if s[0] == 1:
        return (s[1], s[1])
    if is_square(s):
        return (s[0], 1)
    raise ShapeError(
        f"diag needs a vector or a square matrix, got {format_shape(s)}",
        hint="diag(v) makes a diagonal matrix from a vector; diag(X) takes X's diagonal",
    )


def _vec(s: Shape) -> Shape:
    return (dim_mul(s[0], s[1]), 1)


def _vector_only(name: str) -> ShapeRule:
    def rule(s: Shape) -> Shape:
        if not (is_column(s) or is_scalar(s)):
            raise ShapeError(f"{name} needs a (column) vector, got {format_shape(s)}")
        return s

    return rule


def _kron(a: Shape, b: Shape) -> Shape:
    return (dim_mul(a[0], b[0]), dim_mul(a[1], b[1]))


def _transpose(s: Shape) -> Shape:
    return (s[1], s[0])


def _pow(base: Shape, exponent: Shape) -> Shape:
    if not is_scalar(exponent) and exponent != base:
        raise ShapeError(
            f"cannot raise {format_shape(base)} elementwise to a {format_shape(exponent)} power"
        )
    return base


ELEMENTWISE_FUNCTIONS: dict[str, str] = {
    # name -> domain the tests sample inputs from
    "exp": "real",
    "log": "positive",
    "sin": "real",
    "cos": "real",
    "tan": "small",
    "arcsin": "unit",
    "arccos": "unit",
    "arctan": "real",
    "tanh": "real",
    "sqrt": "positive",
    "abs": "nonzero",
    "sign": "nonzero",
    "sigmoid": "real",
    "relu": "nonzero",
    "softplus": "real",
    "step": "nonzero",
}

OPS: dict[str, Op] = {}


def _add(op: Op) -> None:
    OPS[op.name] = op


for _name in ("var", "dvar", "const", "eye", "commutation"):
    _add(Op(_name, "leaf", 0, linear=_name == "dvar"))

_add(Op("add", "nary", None, _same, linear=True, doc="sum of same-shape terms"))
_add(Op("mul", "nary", None, doc="product of scalars, times at most one non-scalar"))
_add(Op("matmul", "nary", None, doc="matrix product chain, no scalar factors"))
_add(Op("hadamard", "nary", None, _same, doc="elementwise product of same-shape factors"))
_add(Op("pow", "special", 2, _pow, domain="positive", doc="elementwise power"))
_add(Op("fill", "special", 1, doc="every entry equal to a scalar (vector(c), matrix(c))"))
_add(Op("block", "special", None, doc="block matrix [a, b; c, d]"))
_add(Op("reshape", "special", 1, linear=True, doc="column-major reshape (inverse of vec)"))
_add(Op("transpose", "special", 1, _transpose, linear=True))
_add(Op("mpow", "special", 1, _square("^"), domain="square", doc="integer matrix power"))
_add(Op("kron", "function", 2, _kron))
_add(Op("tr", "function", 1, _square_to_scalar("tr"), linear=True))
_add(Op("sum", "function", 1, _to_scalar, linear=True))
_add(Op("diag", "function", 1, _diag, linear=True))
_add(Op("vec", "function", 1, _vec, linear=True))
_add(Op("det", "function", 1, _square_to_scalar("det"), domain="invertible"))
_add(Op("logdet", "function", 1, _square_to_scalar("logdet"), domain="spd"))
_add(Op("inv", "function", 1, _square("inv"), domain="invertible"))
_add(Op("norm1", "function", 1, _to_scalar, domain="nonzero"))
_add(Op("norm2", "function", 1, _to_scalar, domain="real"))
_add(Op("softmax", "function", 1, _vector_only("softmax")))
_add(Op("logsumexp", "function", 1, _to_scalar))
_add(Op("expm", "function", 1, _square("expm"), domain="small"))
for _name, _domain in ELEMENTWISE_FUNCTIONS.items():
    _add(Op(_name, "elementwise", 1, _same, domain=_domain))

# Batched forms with MATLAB's dim argument (issue 11, item 6): `arg` is the dim, 1 (down
# each column) or 2 (along each row). Written `sum(X, 1)` etc.; "special" because the
# user calls them by the names sum/softmax/logsumexp (see DIM_FUNCTIONS), and their
# shape depends on the arg, so the builders in ir/batched.py compute it.
_add(Op("sumdim", "special", 1, linear=True, doc="sum(X, dim): column sums (1) or row sums (2)"))
_add(Op("softmaxdim", "special", 1, doc="softmax(Z, dim): softmax of each column (1) or row (2)"))
_add(Op("logsumexpdim", "special", 1, doc="logsumexp(Z, dim): per column (1) or row (2)"))

# The dim-taking ops by the function name the language writes (`sum(X, 2)`).
DIM_OPS: dict[str, str] = {"sumdim": "sum", "softmaxdim": "softmax",
                           "logsumexpdim": "logsumexp"}
# Functions that take an optional dim argument; `mean` is lowered to a scaled sum.
DIM_FUNCTIONS = ("sum", "softmax", "logsumexp", "mean")

# Names a user may call as functions, with their number of arguments.
FUNCTION_ARITY: dict[str, int] = {
    name: (op.arity or 1)
    for name, op in OPS.items()
    if op.category in ("function", "elementwise")
}
