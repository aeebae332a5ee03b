"""The builders, in one namespace: `from matdiff.ir import build as b`, then `b.add`,
`b.tr`, `b.inv`, ...

Contract: this module only re-exports. The builders, with their canonical folds, live
beside their ops' mathematics: the core n-ary ones in ir/core.py (leaves, fills, add,
mul, hadamard, power) and ir/chains.py (matmul, mpower, transpose), the functions in
the op family modules ir/ops_*.py. Nothing inside those imports this module, so there
is no loop. Importing it (ir/__init__.py does) defines every op's record, seals the op
table and gives nodes their Python operators (`ir.node.OPERATORS`).

`call(name, args)` applies a function as the language writes it; `rebuild(x, children)`
rebuilds a node of x's op over new children through the op's builder.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import ops
from .chains import (  # noqa: F401 - re-exported
    is_diagonal,
    is_symmetric,
    matmul,
    matmul_chain,
    mpower,
    transpose,
)
from .core import (  # noqa: F401 - re-exported
    ONE,
    ZERO,
    _split_coefficient,
    _split_scalars,
    add,
    commutation,
    const,
    const_value,
    div,
    dvar,
    ediv,
    eye,
    fill,
    hadamard,
    is_one,
    is_zero,
    mul,
    neg,
    power,
    scale,
    sub,
    var,
    zeros,
)
from .node import OPERATORS, Node
from .ops import ELEMENTWISE_FUNCTIONS, Op
from .ops_core import block  # noqa: F401 - re-exported
from .ops_elementwise import func
from .ops_linear import diag, reshape, sum_, sum_dim, tr, vec  # noqa: F401 - re-exported
from .ops_matrix import det, expm, inv, kron, logdet  # noqa: F401 - re-exported
from .ops_reduce import (  # noqa: F401 - re-exported
    DIM_BUILDERS,
    logsumexp,
    logsumexp_dim,
    mean,
    norm1,
    norm2,
    softmax,
    softmax_dim,
)

ops.seal()

OPERATORS.update({
    "add": add, "sub": sub, "neg": neg, "matmul": matmul, "mul": mul, "hadamard": hadamard,
    "ediv": ediv, "power": power, "fill": fill, "const": const, "transpose": transpose,
})

# ------------------------------------------------------------------ by op name

UNARY_BUILDERS = {
    "tr": tr,
    "sum": sum_,
    "det": det,
    "logdet": logdet,
    "inv": inv,
    "norm1": norm1,
    "norm2": norm2,
    "diag": diag,
    "vec": vec,
    "softmax": softmax,
    "logsumexp": logsumexp,
    "expm": expm,
    "transpose": transpose,
}


def call(name: str, args: Sequence[Node]) -> Node:
    """Apply the function `name` as the language writes it (`tr(X)`, `kron(A, B)`)."""
    if name in ELEMENTWISE_FUNCTIONS:
        return func(name, args[0])
    if name == "kron":
        return kron(args[0], args[1])
    return UNARY_BUILDERS[name](args[0])


def rebuild(x: Node, children: Sequence[Node]) -> Node:
    """Rebuild a node of x's op over new children, through the builders."""
    op = x.op
    if op in (Op.VAR, Op.DVAR, Op.CONST, Op.EYE, Op.COMMUTATION):
        return x
    if op is Op.MATMUL:
        return matmul_chain(children)
    if op is Op.FILL:
        return fill(children[0], x.shape)
    if op is Op.BLOCK:
        rows, cols = x.arg
        return block([list(children[r * cols: (r + 1) * cols]) for r in range(rows)])
    if op is Op.RESHAPE:
        return reshape(children[0], x.shape)
    if op in (Op.MPOW, Op.SUMDIM, Op.SOFTMAXDIM, Op.LOGSUMEXPDIM):
        return ops.builder(op)(children[0], x.arg)
    return ops.builder(op)(*children)
