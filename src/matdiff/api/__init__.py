"""The public Python API: derivatives from strings or from symbols with operators.

    d = matdiff.derivative("x'*A*x", wrt="x", variables={"A": "matrix n n"})
    str(d), d.expr, d.evaluate(x=..., A=...)

    x = matdiff.vector("x", "n"); A = matdiff.matrix("A", "n", "n")
    matdiff.derivative(x.T @ A @ x, wrt=x)

Symbols are ordinary expression nodes; the operators follow NumPy: `@` is the matrix
product, `*` scales or multiplies elementwise, `**` is the elementwise power, `.T` the
transpose. Everything here is a thin layer over parse/, diff/ and the builders.

Contract: this package is the api layer's public face; every name a user calls is
importable from `matdiff.api` (and re-exported by `matdiff`). The work is split by job:
parsing.py (text and symbols in, the variables to differentiate by), derivatives.py
(`derivative`, `grad`, `jacobian`, `hessian`), symbols.py (variables and the language's
functions as Python functions), evaluation.py (`evaluate`), optimizers.py (`hvp`,
`hessian_operator`, `to_scipy`, `minimize`). Importing it imports results.py, which
gives the result records their methods.
"""

from __future__ import annotations

from .. import results  # noqa: F401 - gives the result records their methods
from ..diff.derivative import Derivative
from ..diff.hvp import HessianVectorProduct
from ..ir.node import Node
from .derivatives import LAYOUTS, derivative, grad, hessian, jacobian
from .evaluation import MAX_SIZE, evaluate
from .optimizers import hessian_operator, hvp, minimize, to_scipy
from .parsing import Expr, Variables, parse, variables_of
from .symbols import (
    cos,
    det,
    diag,
    exp,
    expm,
    inv,
    kron,
    log,
    logdet,
    logsumexp,
    matrix,
    mean,
    norm1,
    norm2,
    relu,
    scalar,
    sigmoid,
    sin,
    softmax,
    softplus,
    sqrt,
    sum,
    tan,
    tanh,
    tr,
    vec,
    vector,
)

__all__ = [
    "LAYOUTS", "MAX_SIZE", "Derivative", "Expr", "HessianVectorProduct", "Node",
    "Variables", "cos", "derivative", "det", "diag", "evaluate", "exp", "expm", "grad",
    "hessian", "hessian_operator", "hvp", "inv", "jacobian", "kron", "log", "logdet",
    "logsumexp", "matrix", "mean", "minimize", "norm1", "norm2", "parse", "relu",
    "scalar", "sigmoid", "sin", "softmax", "softplus", "sqrt", "sum", "tan", "tanh",
    "to_scipy", "tr", "variables_of", "vec", "vector",
]
