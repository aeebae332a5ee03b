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
    mean,
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
    InputValueError,
    InternalError,
    LimitError,
    MatdiffError,
    NoMatrixForm,
    ParseError,
    ShapeError,
    UnknownNameError,
)
from .ir.node import Node
from .teach import steps as _steps  # noqa: F401 - gives Derivative its steps() method

__version__ = "0.1.0"

__all__ = [
    "DeclarationError",
    "Derivative",
    "HessianVectorProduct",
    "DiffError",
    "InputValueError",
    "InternalError",
    "LimitError",
    "MatdiffError",
    "Node",
    "NoMatrixForm",
    "ParseError",
    "ShapeError",
    "UnknownNameError",
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
    "mean",
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
