"""How every backend spells the batched ops (issue 11, item 6): `sumdim`, `softmaxdim`,
`logsumexpdim`, MATLAB's dim as the array axis (dim - 1).

Contract: `register_dim_spellings()` adds to each backend's op templates (`{0}` the matrix,
`{1}` the axis) and helper functions the spellings of the three ops, written with the
backend's own module alias, so any backend in `spelling.BACKENDS` gets them, the array
API one included (there the helpers take their namespace from the array). The child of
each op is always a matrix (the builders fold vectors away), so the result of a
reduction is 1-D, as generated code represents rows and columns.

Numerics: the softmax and logsumexp of each column/row are shifted by that column's/
row's maximum, so exp cannot overflow. `amax` (NumPy, JAX, PyTorch) and the array API's
`max` both take `axis=`/`keepdims=`; PyTorch's `max` with an axis returns indices too,
hence `amax` there.
"""

from __future__ import annotations

from ...ir.ops import Op
from .spelling import BACKENDS, Backend

_SOFTMAX_DIM = '''
def _softmax_dim(z, axis):
    """softmax of each column (axis 0) or each row (axis 1), shifted by its maximum."""
    {ns}e = {m}.exp(z - {m}.{max}(z, axis=axis, keepdims=True))
    return e / {m}.sum(e, axis=axis, keepdims=True)
'''

_LOGSUMEXP_DIM = '''
def _logsumexp_dim(z, axis):
    """log(sum(exp(z), axis)) for each column (axis 0) or row (axis 1), max-shifted."""
    {ns}top = {m}.{max}(z, axis=axis, keepdims=True)
    return {m}.reshape(top, (-1,)) + {m}.log({m}.sum({m}.exp(z - top), axis=axis))
'''


def _spellings(be: Backend) -> tuple[dict[str, str], dict[str, str]]:
    m = be.module
    array_api = be.name == "array_api"
    # the array API helpers find their namespace from the array, as its others do
    ns = "xp = array_namespace(z)\n    " if array_api else ""
    fields = {"m": m, "ns": ns, "max": "max" if array_api else "amax"}
    unary: dict[str, str] = {
        Op.SUMDIM: f"{m}.sum({{0}}, axis={{1}})",
        Op.SOFTMAXDIM: "_softmax_dim({0}, {1})",
        Op.LOGSUMEXPDIM: "_logsumexp_dim({0}, {1})",
    }
    helpers = {"_softmax_dim": _SOFTMAX_DIM.format(**fields),
               "_logsumexp_dim": _LOGSUMEXP_DIM.format(**fields)}
    return unary, helpers


def register_dim_spellings(backends: dict[str, Backend] = BACKENDS) -> None:
    """Add the batched ops' spellings to every backend (idempotent)."""
    for be in backends.values():
        unary, helpers = _spellings(be)
        be.unary.update(unary)
        be.helpers.update(helpers)
