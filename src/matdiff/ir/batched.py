"""The builders of the batched forms with MATLAB's `dim` argument (issue 11, item 6), by
their former module name.

Contract: re-exports only. `sum_dim` lives with the linear ops (ir/ops_linear.py),
`softmax_dim`, `logsumexp_dim`, `mean` and `call_dim` with the reductions
(ir/ops_reduce.py), whose docstrings state the folds. Nothing in ir/ imports it.
"""

from .ops_linear import DIMS, reduced_shape, sum_dim  # noqa: F401
from .ops_reduce import (  # noqa: F401
    BY_FUNCTION,
    DIM_BUILDERS,
    call_dim,
    count,
    logsumexp_dim,
    mean,
    softmax_dim,
)
