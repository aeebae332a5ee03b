"""How each backend spells the operations: NumPy, JAX (jax.numpy) and PyTorch.

A `Backend` holds, per op, a template with `{0}`, `{1}` for the children's code, the
import line, how an input becomes an array, and the helper functions a generated module
may need (each emitted only when used). The templates are the numerically careful
spellings: slogdet for logdet, logaddexp for sigmoid and softplus, max-shifted softmax
and logsumexp.

Representation in generated code: a scalar is a 0-d array (or float), a column or row
vector a 1-D array, a matrix a 2-D array.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Backend:
    name: str
    module: str  # the alias used in code: np, jnp, torch
    imports: tuple[str, ...]
    unary: dict[str, str]  # op -> template of one child
    transpose: str  # template for a matrix transpose
    outer: str
    permute: str  # template: {0} array, {1} axes "1, 0, 3, 2"
    eye: str  # {0} size
    ones: str  # {0} shape tuple
    asarray: str  # {0} value
    helpers: dict[str, str] = field(default_factory=dict)


_ELEMENTWISE = ("exp", "log", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "tanh",
                "sqrt", "abs", "sign")


def _common(m: str) -> dict[str, str]:
    out = {name: f"{m}.{name}({{0}})" for name in _ELEMENTWISE}
    out.update({
        "tr": f"{m}.trace({{0}})",
        "sum": f"{m}.sum({{0}})",
        "det": f"{m}.linalg.det({{0}})",
        "logdet": f"{m}.linalg.slogdet({{0}})[1]",
        "inv": f"{m}.linalg.inv({{0}})",
        "norm1": f"{m}.sum({m}.abs({{0}}))",
        "norm2": f"{m}.linalg.norm({{0}})",
        "softmax": "_softmax({0})",
        "logsumexp": "_logsumexp({0})",
        "diag": f"{m}.diag({{0}})",
        "kron": f"{m}.kron({{0}}, {{1}})",
        "mpow": f"{m}.linalg.matrix_power({{0}}, {{1}})",
    })
    return out


_SOFTMAX = '''
def _softmax(z):
    """softmax of a vector, shifted by its maximum so exp cannot overflow."""
    e = {m}.exp(z - {m}.max(z))
    return e / {m}.sum(e)
'''

_LOGSUMEXP = '''
def _logsumexp(z):
    """log(sum(exp(z))), shifted by the maximum so exp cannot overflow."""
    top = {m}.max(z)
    return top + {m}.log({m}.sum({m}.exp(z - top)))
'''

_COMMUTATION = '''
def _commutation(m, n):
    """K with K @ vec(X) = vec(X') for X m×n (vec stacks columns)."""
    perm = {m_}.arange(m * n).reshape(n, m).T.reshape(-1)
    return {eye}[perm]
'''

_BLOCK = '''
def _block(rows):
    """A block matrix from a grid of 2-D blocks."""
    return {body}
'''

_ARRAY = '''
def _array(name, value, kind):
    """An input as a float array of its kind, or a ValueError naming it."""
    a = {asarray}
    if kind == "scalar":
        size = a.numel() if hasattr(a, "numel") else a.size
        if size != 1:
            raise ValueError(f"{{name}} must be a scalar, got an array of shape {{tuple(a.shape)}}")
        return a.reshape(())
    if kind == "vector":
        if a.ndim == 2 and 1 in a.shape:
            return a.reshape(-1)
        if a.ndim != 1:
            raise ValueError(
                f"{{name}} must be a vector (1-D array), got an array of shape {{tuple(a.shape)}}"
            )
        return a
    if a.ndim != 2:
        raise ValueError(
            f"{{name}} must be a matrix (2-D array), got an array of shape {{tuple(a.shape)}}"
        )
    return a
'''

_EXPECT = '''
def _expect(name, value, shape, spelled):
    """Raise a ValueError naming the input when its shape is not the bound one."""
    if tuple(value.shape) != tuple(shape):
        raise ValueError(
            f"{name} must have shape {spelled} = {tuple(shape)} (sizes bound from the"
            f" inputs before it), got {tuple(value.shape)}"
        )
'''

_EXPM_NUMPY = '''
_PADE13 = (
    64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
    129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
    40840800.0, 960960.0, 16380.0, 182.0, 1.0,
)


def _expm(a):
    """Matrix exponential: scaling and squaring with a [13/13] Pade approximant."""
    norm = np.linalg.norm(a, 1)
    s = max(0, int(np.ceil(np.log2(norm / 5.371920351148152)))) if norm > 5.371920351148152 else 0
    a = a / 2.0**s
    b = _PADE13
    ident = np.eye(a.shape[0])
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2)
             + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * ident)
    v = (a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2)
         + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * ident)
    r = np.linalg.solve(v - u, v + u)
    for _ in range(s):
        r = r @ r
    return r
'''


def _helpers(m: str, asarray: str, eye: str, block_body: str, extra: dict[str, str]) -> dict:
    out = {
        "_array": _ARRAY.format(asarray=asarray),
        "_expect": _EXPECT,
        "_softmax": _SOFTMAX.format(m=m),
        "_logsumexp": _LOGSUMEXP.format(m=m),
        "_commutation": _COMMUTATION.format(m_=m, eye=eye.format("m * n")),
        "_block": _BLOCK.format(body=block_body),
    }
    out.update(extra)
    return out


def _numpy() -> Backend:
    m = "np"
    unary = _common(m)
    unary.update({
        "sigmoid": "np.exp(-np.logaddexp(0.0, -{0}))",
        "relu": "np.maximum({0}, 0.0)",
        "softplus": "np.logaddexp(0.0, {0})",
        "step": "np.heaviside({0}, 0.0)",
        "expm": "_expm({0})",
    })
    asarray = "np.asarray(value, dtype=float)"
    eye = "np.eye({0})"
    return Backend(
        "numpy", m, ("import numpy as np",), unary, "{0}.T", "np.outer({0}, {1})",
        "{0}.transpose({1})", eye, "np.ones({0})", asarray,
        _helpers(m, asarray, eye, "np.block(rows)", {"_expm": _EXPM_NUMPY}),
    )


def _jax() -> Backend:
    m = "jnp"
    unary = _common(m)
    unary.update({
        "sigmoid": "jnp.exp(-jnp.logaddexp(0.0, -{0}))",
        "relu": "jnp.maximum({0}, 0.0)",
        "softplus": "jnp.logaddexp(0.0, {0})",
        "step": "jnp.heaviside({0}, 0.0)",
        "expm": "jax.scipy.linalg.expm({0})",
    })
    asarray = "jnp.asarray(value, dtype=jnp.result_type(float))"
    eye = "jnp.eye({0})"
    return Backend(
        "jax", m, ("import jax.numpy as jnp",), unary, "{0}.T", "jnp.outer({0}, {1})",
        "{0}.transpose({1})", eye, "jnp.ones({0})", asarray,
        _helpers(m, asarray, eye, "jnp.block(rows)", {}),
    )


def _torch() -> Backend:
    m = "torch"
    unary = _common(m)
    unary.update({
        "sigmoid": "torch.special.expit({0})",
        "relu": "torch.relu({0})",
        "softplus": "torch.nn.functional.softplus({0})",
        "step": "({0} > 0).to({0}.dtype)",
        "expm": "torch.linalg.matrix_exp({0})",
        "diag": "torch.diag({0})",
        # torch.kron of a transposed view fails (torch 2.13): make both contiguous
        "kron": "torch.kron({0}.contiguous(), {1}.contiguous())",
    })
    asarray = "torch.as_tensor(value, dtype=torch.float64)"
    eye = "torch.eye({0}, dtype=torch.float64)"
    return Backend(
        "torch", m, ("import torch",), unary, "{0}.mT", "torch.outer({0}, {1})",
        "{0}.permute({1})", eye, "torch.ones({0}, dtype=torch.float64)", asarray,
        _helpers(m, asarray, eye, "torch.cat([torch.cat(row, dim=1) for row in rows], dim=0)",
                 {}),
    )


BACKENDS: dict[str, Backend] = {b.name: b for b in (_numpy(), _jax(), _torch())}
