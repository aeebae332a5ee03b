"""matdiff: symbolic matrix calculus that writes derivatives as a person would.

    >>> import matdiff
    >>> str(matdiff.derivative("x'*A*x", wrt="x"))
    "(A + A')*x"

The public API is re-exported here; see README.md for the language and the conventions.
"""

from .api import (
    derivative,
    det,
    diag,
    evaluate,
    exp,
    expm,
    grad,
    hessian,
    hessian_operator,
    hvp,
    inv,
    jacobian,
    kron,
    log,
    logdet,
    logsumexp,
    matrix,
    minimize,
    norm1,
    norm2,
    parse,
    relu,
    scalar,
    sigmoid,
    sin,
    softmax,
    softplus,
    sqrt,
    sum,
    tanh,
    to_scipy,
    tr,
    variables_of,
    vec,
    vector,
)
from .backends.text import to_text
from .diff.derivative import Derivative
from .diff.hvp import HessianVectorProduct
from .errors import (
    DeclarationError,
    DiffError,
    LimitError,
    MatdiffError,
    NoMatrixForm,
    ParseError,
    ShapeError,
)
from .ir.node import Node

__version__ = "0.1.0"

__all__ = [
    "DeclarationError",
    "Derivative",
    "HessianVectorProduct",
    "DiffError",
    "LimitError",
    "MatdiffError",
    "Node",
    "NoMatrixForm",
    "ParseError",
    "ShapeError",
    "derivative",
    "det",
    "diag",
    "evaluate",
    "exp",
    "expm",
    "grad",
    "hessian",
    "hessian_operator",
    "hvp",
    "inv",
    "jacobian",
    "kron",
    "log",
    "logdet",
    "logsumexp",
    "matrix",
    "minimize",
    "norm1",
    "norm2",
    "parse",
    "relu",
    "scalar",
    "sigmoid",
    "sin",
    "softmax",
    "softplus",
    "sqrt",
    "sum",
    "tanh",
    "to_scipy",
    "to_text",
    "tr",
    "variables_of",
    "vec",
    "vector",
]
