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
    inv,
    jacobian,
    kron,
    log,
    logdet,
    logsumexp,
    matrix,
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
    tr,
    variables_of,
    vec,
    vector,
)
from .backends.text import to_text
from .diff.derivative import Derivative
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

__version__ = "0.1.0"

__all__ = [
    "DeclarationError",
    "Derivative",
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
    "inv",
    "jacobian",
    "kron",
    "log",
    "logdet",
    "logsumexp",
    "matrix",
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
    "to_text",
    "tr",
    "variables_of",
    "vec",
    "vector",
]
