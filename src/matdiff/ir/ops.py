"""The op table: the `Op` enum and ONE record per op holding its mathematics.

Contract:

- `Op` names every operation of the expression language. The code writes `Op.ADD`,
  never the string "add" (tests/ir/test_op_table.py scans the source for op names
  written as strings); `ir.node.make` refuses anything but a member (an InternalError),
  so a typo fails loudly instead of never matching. It is a `StrEnum` so that a member
  prints, sorts and keys tables like its name.
- `RECORDS[op]` is the op's `OpRecord`: category, arity, shape rule (written once over
  the dims algebra of ir/shapes.py, shared by the builders and the parser), input domain, doc,
  and its behaviour, registered beside each other the way JAX's lax.py registers a
  primitive with its JVP and transpose: `build` (the builder, with its canonical
  folds), `differential` (the matrix differential, its printed formula and the Matrix
  Cookbook equation it follows), `transpose` (the adjoint of a linear op, reverse
  mode), `vec_jacobian` (its Kronecker form, for identification) and `numpy` (its
  value, for the reference evaluator). An op is `linear` exactly when it has a
  transpose rule.
- The records are written by op family in `ir/ops_core.py` (leaves and the n-ary
  products), `ir/ops_elementwise.py` (one line per function), `ir/ops_linear.py`,
  `ir/ops_matrix.py` and `ir/ops_reduce.py`; each calls `define` when imported, and
  `ir/__init__.py` imports them all (through the `ir/build.py` facade), so the table is
  complete whenever any module of `ir` has been imported.
- The lookup tables the language needs (`ELEMENTWISE_FUNCTIONS`, `FUNCTION_ARITY`) are
  filled by `define` from the records, not written again by hand.

Categories:
  leaf         var, dvar, const, eye, commutation
  nary         add, mul, matmul, hadamard (canonical n-ary nodes)
  elementwise  unary functions applied entry by entry
  function     other functions written `name(args)`
  special      pow, fill, block, reshape, transpose, mpow, and the batched forms (own
               syntax or internal)
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import InternalError
from .dims import Shape
from .shapes import (  # noqa: F401 - the rules, re-exported for the families
    CONCRETE,
    ShapeRule,
    diag_shape,
    kron_shape,
    pow_shape,
    same,
    square,
    square_to_scalar,
    to_scalar,
    transposed,
    vec_shape,
    vector_only,
)

if TYPE_CHECKING:  # types only: node.py imports this module
    import numpy as np

    from .node import Node


class Op(enum.StrEnum):
    """Every operation of the expression language (the value is the name ops print as
    in keys and messages)."""

    VAR = "var"
    DVAR = "dvar"
    CONST = "const"
    EYE = "eye"
    COMMUTATION = "commutation"
    ADD = "add"
    MUL = "mul"
    MATMUL = "matmul"
    HADAMARD = "hadamard"
    POW = "pow"
    FILL = "fill"
    BLOCK = "block"
    RESHAPE = "reshape"
    TRANSPOSE = "transpose"
    MPOW = "mpow"
    KRON = "kron"
    TR = "tr"
    SUM = "sum"
    DIAG = "diag"
    VEC = "vec"
    DET = "det"
    LOGDET = "logdet"
    INV = "inv"
    NORM1 = "norm1"
    NORM2 = "norm2"
    SOFTMAX = "softmax"
    LOGSUMEXP = "logsumexp"
    EXPM = "expm"
    EXP = "exp"
    LOG = "log"
    SIN = "sin"
    COS = "cos"
    TAN = "tan"
    ARCSIN = "arcsin"
    ARCCOS = "arccos"
    ARCTAN = "arctan"
    TANH = "tanh"
    SQRT = "sqrt"
    ABS = "abs"
    SIGN = "sign"
    SIGMOID = "sigmoid"
    RELU = "relu"
    SOFTPLUS = "softplus"
    STEP = "step"
    SUMDIM = "sumdim"
    SOFTMAXDIM = "softmaxdim"
    LOGSUMEXPDIM = "logsumexpdim"


Diffs = Sequence["Node | None"]
# node, its children, the children's differentials (None: does not depend) -> d(node)
DiffFn = Callable[["Node", Sequence["Node"], Diffs], "Node | None"]
# node, the cotangent of the node, the indices of the children that hold dX ->
# the cotangents of those children (the adjoint of the linear map, reverse mode)
TransposeFn = Callable[["Node", "Node", Sequence[int]], Sequence["Node"]]
# node, the indices of the children holding dX, the Kronecker form of any subexpression
# (the walk, to recurse with) -> the node's Kronecker form, None where it has none
VecJacobianFn = Callable[["Node", Sequence[int], Callable[["Node"], "Node"]], "Node | None"]
# node, the children's values, the bound sizes -> the node's value (2-D float array)
NumpyFn = Callable[["Node", list["np.ndarray"], Mapping[str, int]], "np.ndarray"]


@dataclass(frozen=True)
class Differential:
    """A differential rule: `fn` builds d(node); `formula` is what the step-by-step
    derivation shows; `cite` the Matrix Cookbook equation where there is one."""

    op: str
    formula: str
    fn: DiffFn
    cite: str = ""


@dataclass(frozen=True)
class OpRecord:
    """Everything about one op, in one place (see the module docstring)."""

    op: Op
    category: str
    arity: int | None  # None: any number of children
    shape: ShapeRule | None = None  # (dims, *children's shapes) -> shape (ir/shapes.py)
    domain: str = "real"  # where the tests sample the op's inputs
    doc: str = ""
    build: Callable[..., Node] | None = None
    differential: Differential | None = None
    transpose: TransposeFn | None = None
    vec_jacobian: VecJacobianFn | None = None
    numpy: NumpyFn | None = None

    @property
    def name(self) -> str:
        return self.op.value

    @property
    def linear(self) -> bool:
        """Linear in each child that holds the differential: it has a transpose rule."""
        return self.transpose is not None


RECORDS: dict[Op, OpRecord] = {}
OPS = RECORDS  # the former name, keyed by the same (string-equal) members

# Filled by `define` from the records.
ELEMENTWISE_FUNCTIONS: dict[str, str] = {}  # name -> input domain
FUNCTION_ARITY: dict[str, int] = {}  # names a user may call, with their arity


def define(record: OpRecord) -> OpRecord:
    """Register one op's record; each op is defined once."""
    if record.op in RECORDS:
        raise InternalError(f"op {record.op} is defined twice")
    RECORDS[record.op] = record
    if record.category == "elementwise":
        ELEMENTWISE_FUNCTIONS[record.op.value] = record.domain
    if record.category in ("function", "elementwise"):
        FUNCTION_ARITY[record.op.value] = record.arity or 1
    return record


def differential(op: Op, formula: str, fn: DiffFn, cite: str = "") -> Differential:
    return Differential(op.value, formula, fn, cite)


def builder(op: Op) -> Callable[..., Node]:
    """The builder of `op`, for builders that need an op defined in a family module
    that imports theirs (the core's `transpose` builds `kron`, `inv`, `block`)."""
    fn = RECORDS[op].build
    if fn is None:
        raise InternalError(f"op {op} has no builder")
    return fn


def shape_of(op: Op, *shapes: Shape) -> Shape:
    """The shape of `op` over children of these shapes, by the op's one shape rule;
    a ShapeError naming the shapes when they do not fit."""
    rule = RECORDS[op].shape
    if rule is None:
        raise InternalError(f"op {op} has no shape rule")
    return rule(CONCRETE, *shapes)  # type: ignore[no-any-return]


# The batched ops by the function name the language writes (`sum(X, 2)`).
DIM_OPS: dict[str, str] = {"sumdim": "sum", "softmaxdim": "softmax",
                           "logsumexpdim": "logsumexp"}
# Functions that take an optional dim argument; `mean` is lowered to a scaled sum.
DIM_FUNCTIONS = ("sum", "softmax", "logsumexp", "mean")


def as_op(op: Any) -> Op:
    """`op` as a member of Op; an InternalError for a name that is no op."""
    if type(op) is Op:
        return op
    member = _BY_NAME.get(op) if isinstance(op, str) else None
    if member is None:
        raise InternalError(f"{op!r} is not an op (see ir.ops.Op)")
    return member


_BY_NAME: dict[str, Op] = {op.value: op for op in Op}  # a dict: Op(name) is slow


def seal() -> None:
    """Check that every op has its record, and put the tables in `Op`'s order (the
    order the language's lists and messages show). Called once, by ir/build.py, after
    every family module has defined its ops."""
    missing = [op.value for op in Op if op not in RECORDS]
    if missing:
        raise InternalError(f"ops without a record: {', '.join(missing)}")
    for table in (RECORDS, ELEMENTWISE_FUNCTIONS, FUNCTION_ARITY):
        items = sorted(table.items(), key=lambda kv: _ORDER[kv[0]])
        table.clear()
        table.update(items)  # type: ignore[arg-type]


_ORDER = {op: i for i, op in enumerate(Op)}
