"""The builders of the language's functions, by their former module name.

Contract: re-exports only (the builders live with their ops' records in ir/ops_*.py);
kept so that `from matdiff.ir import functions` keeps working. Nothing in ir/ imports it.
"""

from .ops_core import block  # noqa: F401
from .ops_elementwise import func  # noqa: F401
from .ops_linear import diag, reshape, sum_, tr, vec  # noqa: F401
from .ops_matrix import det, expm, inv, kron, logdet  # noqa: F401
from .ops_reduce import logsumexp, norm1, norm2, softmax  # noqa: F401
