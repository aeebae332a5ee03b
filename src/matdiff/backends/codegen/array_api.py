"""How the array API backend spells the operations: code for any array library.

Contract: the generated module imports `array_api_compat` (not NumPy, JAX or PyTorch);
the function takes its namespace `xp` from its inputs, so the same code runs on NumPy,
PyTorch, JAX (also under `jit`), CuPy and Dask arrays. Only functions of the array API
standard (2023.12, with its `linalg` extension where an op needs it) and the methods every
one of those libraries has (`.T`, `.reshape`, `@`, `[:, None]`) are used; what the
standard lacks (diag of a vector, kron, matrix powers, expm, multi_dot, block matrices)
is a helper written with `xp`.

Inputs, when checked (`check=True`, the default): the namespace is the one array library
among the inputs other than NumPy (NumPy arrays, Python numbers and lists join it, on its
device, so a NumPy vector of weights goes with a Dask data matrix); NumPy's when every
input is NumPy or plain Python. `xp.asarray` converts, which keeps a Dask array lazy and
a tensor on its device; integer inputs become float64, floating inputs keep their dtype.
With `check=False` the inputs must already be arrays of one library, of their kinds and
shapes: `xp = array_namespace(...)` is all that runs on entry.

Dask: every op here is lazy on Dask arrays, so value, gradient and Hessian of a
function of a row-chunked data matrix are one task graph (`dask.compute(value, grad)`
computes the shared subexpressions once). linalg.inv/det/slogdet need a Dask array in
one chunk (Dask's own limits); Dask has no det or slogdet: logdet runs as the sum of
log|diag(R)| of a QR factorisation there, and det raises a TypeError saying so.
"""

from __future__ import annotations

from .pade import PADE13, pade_body

IMPORTS = ("import array_api_compat",
           "from array_api_compat import array_namespace")

_ELEMENTWISE = {"exp": "exp", "log": "log", "sin": "sin", "cos": "cos", "tan": "tan",
                "arcsin": "asin", "arccos": "acos", "arctan": "atan", "tanh": "tanh",
                "sqrt": "sqrt", "abs": "abs", "sign": "sign"}

UNARY: dict[str, str] = {op: f"xp.{name}({{0}})" for op, name in _ELEMENTWISE.items()}
UNARY.update({
    "tr": "xp.linalg.trace({0})",
    "sum": "xp.sum({0})",
    "det": "_det({0})",
    "logdet": "_logdet({0})",
    "inv": "xp.linalg.inv({0})",
    "norm1": "xp.sum(xp.abs({0}))",
    "norm2": "xp.sqrt(xp.sum({0} * {0}))",
    "softmax": "_softmax({0})",
    "logsumexp": "_logsumexp({0})",
    "diag": "_diag({0})",
    "kron": "_kron({0}, {1})",
    "mpow": "_matrix_power({0}, {1})",
    "sigmoid": "xp.exp(-xp.logaddexp(0.0, -{0}))",
    "relu": "xp.maximum({0}, 0.0)",
    "softplus": "xp.logaddexp(0.0, {0})",
    "step": "xp.astype({0} > 0, {0}.dtype)",
    "expm": "_expm({0})",
})

EYE = "xp.eye({0}, dtype=_dtype, device=_device)"
ONES = "xp.ones({0}, dtype=_dtype, device=_device)"

NAMESPACE = '''
def _namespace(*values):
    """(xp, device): the one array library among the inputs other than NumPy (NumPy
    arrays and Python values join it), else NumPy's; array_api_compat's wrapper."""
    arrays = [v for v in values if array_api_compat.is_array_api_obj(v)]
    others = [v for v in arrays if not array_api_compat.is_numpy_array(v)]
    chosen = others or arrays
    if not chosen:
        import array_api_compat.numpy as xp  # plain Python inputs only
        return xp, "cpu"
    return array_namespace(*chosen), array_api_compat.device(chosen[0])
'''

ARRAY = '''
def _array(xp, device, name, value, kind):
    """An input as a floating array of its kind in namespace xp, or a ValueError naming it.
    xp.asarray keeps a Dask array lazy and a tensor where it is."""
    a = value if array_api_compat.is_array_api_obj(value) and (
        array_namespace(value) is xp) else xp.asarray(value, device=device)
    if not xp.isdtype(a.dtype, "real floating"):
        a = xp.astype(a, xp.float64)
    if kind == "scalar":
        if array_api_compat.size(a) != 1:
            raise ValueError(f"{name} must be a scalar, got an array of shape {tuple(a.shape)}")
        return xp.reshape(a, ())
    if kind == "vector":
        if a.ndim == 2 and 1 in a.shape:
            return xp.reshape(a, (-1,))
        if a.ndim != 1:
            raise ValueError(
                f"{name} must be a vector (1-D array), got an array of shape {tuple(a.shape)}"
            )
        return a
    if a.ndim != 2:
        raise ValueError(
            f"{name} must be a matrix (2-D array), got an array of shape {tuple(a.shape)}"
        )
    return a
'''

SOFTMAX = '''
def _softmax(z):
    """softmax of a vector, shifted by its maximum so exp cannot overflow."""
    xp = array_namespace(z)
    e = xp.exp(z - xp.max(z))
    return e / xp.sum(e)
'''

LOGSUMEXP = '''
def _logsumexp(z):
    """log(sum(exp(z))), shifted by the maximum so exp cannot overflow."""
    xp = array_namespace(z)
    top = xp.max(z)
    return top + xp.log(xp.sum(xp.exp(z - top)))
'''

DIAG = '''
def _diag(a):
    """diag(v): the diagonal matrix of a vector; diag(M): the vector of M's diagonal."""
    xp = array_namespace(a)
    if a.ndim == 2:
        return xp.linalg.diagonal(a)
    eye = xp.eye(a.shape[0], dtype=a.dtype, device=array_api_compat.device(a))
    return eye * a[None, :]
'''

KRON = '''
def _kron(a, b):
    """The Kronecker product of two matrices."""
    p, q = a.shape
    r, s = b.shape
    return (a[:, None, :, None] * b[None, :, None, :]).reshape(p * r, q * s)
'''

MATRIX_POWER = '''
def _matrix_power(a, k):
    """a^k for an integer k (the inverse's power when k < 0), by repeated squaring."""
    xp = array_namespace(a)
    if k < 0:
        a, k = xp.linalg.inv(a), -k
    out = xp.eye(a.shape[0], dtype=a.dtype, device=array_api_compat.device(a))
    while k:
        if k & 1:
            out = out @ a
        a, k = a @ a, k >> 1
    return out
'''

COMMUTATION = '''
def _commutation(m, n, xp, dtype, device):
    """K with K @ vec(X) = vec(X') for X m×n (vec stacks columns)."""
    perm = xp.reshape(xp.reshape(xp.arange(m * n, device=device), (n, m)).T, (-1,))
    return xp.take(xp.eye(m * n, dtype=dtype, device=device), perm, axis=0)
'''

BLOCK = '''
def _block(rows):
    """A block matrix from a grid of 2-D blocks."""
    xp = array_namespace(*(b for row in rows for b in row))
    return xp.concat([xp.concat(row, axis=1) for row in rows], axis=0)
'''

MULTI_DOT = '''
def _multi_dot(arrays):
    """The product of a chain, in the order that costs fewest flops at these sizes
    (the matrix-chain DP, as numpy.linalg.multi_dot runs it); vectors at the ends are
    1-D."""
    mats = [a[None, :] if (i == 0 and a.ndim == 1) else a[:, None] if a.ndim == 1 else a
            for i, a in enumerate(arrays)]
    k = len(mats)
    p = [mats[0].shape[0]] + [a.shape[1] for a in mats]
    cost = {(i, i): (0, None) for i in range(k)}
    for length in range(1, k):
        for i in range(k - length):
            j = i + length
            cost[(i, j)] = min((cost[(i, s)][0] + cost[(s + 1, j)][0]
                                + p[i] * p[s + 1] * p[j + 1], s) for s in range(i, j))

    def run(i, j):
        if i == j:
            return mats[i]
        s = cost[(i, j)][1]
        return run(i, s) @ run(s + 1, j)

    out = run(0, k - 1)
    if arrays[0].ndim == 1:
        out = out[0]
    if arrays[-1].ndim == 1 and k > 1:
        out = out[..., 0]
    return out
'''

EXPM = f'''
def _expm(a):
    """Matrix exponential: scaling and squaring with a [13/13] Pade approximant (the
    number of squarings is read from the data, so not under jax.jit)."""
    xp = array_namespace(a)
    norm = float(xp.max(xp.sum(xp.abs(a), axis=0)))
    s = 0
    while norm > 5.371920351148152 * 2.0**s:
        s += 1
    a = a / 2.0**s
    b = {PADE13}
    ident = xp.eye(a.shape[0], dtype=a.dtype, device=array_api_compat.device(a))
{pade_body("xp")}'''

DET = '''
def _det(a):
    """det(a); a clear error where the library has none (Dask)."""
    xp = array_namespace(a)
    if not hasattr(xp.linalg, "det"):
        raise TypeError(f"det: {xp.__name__} has no determinant; compute it on a NumPy array")
    return xp.linalg.det(a)
'''

LOGDET = '''
def _logdet(a):
    """log|det(a)|: slogdet, or where the library has none (Dask) the sum of
    log|diag(R)| of a = QR (|det(Q)| = 1)."""
    xp = array_namespace(a)
    if hasattr(xp.linalg, "slogdet"):
        return xp.linalg.slogdet(a)[1]
    r = xp.linalg.qr(a)[1]
    return xp.sum(xp.log(xp.abs(xp.linalg.diagonal(r))))
'''

HELPERS = {"_det": DET, "_logdet": LOGDET, "_namespace": NAMESPACE, "_array": ARRAY,
           "_softmax": SOFTMAX, "_logsumexp": LOGSUMEXP, "_diag": DIAG, "_kron": KRON,
           "_matrix_power": MATRIX_POWER, "_commutation": COMMUTATION, "_block": BLOCK,
           "_multi_dot": MULTI_DOT, "_expm": EXPM}
