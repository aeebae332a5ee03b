"""How each backend spells the operations: NumPy, JAX (jax.numpy), PyTorch, array API.

A `Backend` holds, per op, a template with `{0}`, `{1}` for the children's code, the
import line, how an input becomes an array, and the helper functions a generated module
may need (each emitted only when used). The templates are the numerically careful
spellings: slogdet for logdet, logaddexp for sigmoid and softplus, max-shifted softmax
and logsumexp.

The array API backend (array_api.py) takes its namespace `xp` from the inputs at run
time; its entry lines (`prologue`, `convert`) bind `xp` and convert into it.

Representation in generated code: a scalar is a 0-d array (or float), a column or row
vector a 1-D array, a matrix a 2-D array.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...ir.ops import Op, as_op
from . import array_api
from .pade import PADE13, pade_body

# The ops the emitter (emit.py) writes from their structure, not from a template:
# leaves, the operators, fills, blocks, reshapes. Every other op has a template in each
# backend's `unary` table (tests/ir/test_op_table.py checks both).
STRUCTURAL: frozenset[Op] = frozenset({
    Op.VAR, Op.DVAR, Op.CONST, Op.EYE, Op.COMMUTATION, Op.ADD, Op.MUL, Op.MATMUL,
    Op.HADAMARD, Op.POW, Op.FILL, Op.BLOCK, Op.RESHAPE, Op.TRANSPOSE, Op.VEC,
})


@dataclass(frozen=True)
class Backend:
    name: str
    module: str  # the alias used in code: np, jnp, torch
    imports: tuple[str, ...]
    unary: dict[str, str]  # Op member -> template over the children ({0}, {1})
    transpose: str  # template for a matrix transpose
    outer: str
    permute: str  # template: {0} array, {1} axes "1, 0, 3, 2"
    eye: str  # {0} size
    ones: str  # {0} shape tuple
    asarray: str  # {0} value
    helpers: dict[str, str] = field(default_factory=dict)
    # {0}: B, whose Gram matrix B'B is wanted; NumPy runs `B.T @ B` as BLAS syrk
    gram: str = "{0}.T @ {0}"
    multi_dot: str = "np.linalg.multi_dot([{0}])"  # {0}: the factors' code, comma-separated
    commutation: str = "_commutation({0}, {1})"
    # entry: the lines before the conversions ({args}: the inputs, comma-separated), with
    # and without the checks, and one input's conversion ({name}: its Python name,
    # {label}: the variable's name as a string literal, for errors; {word}: its kind)
    prologue: tuple[str, ...] = ()
    prologue_unchecked: tuple[str, ...] = ()
    convert: str = '{name} = _array({label}, {name}, "{word}")'
    # lines binding the dtype and device of constants (eye, ones) from the inputs
    constants: tuple[str, ...] = ()
    # A' * v spelled v @ A (JAX: XLA on CPU copies A to run A.T @ v)
    vector_matrix: bool = False

    def __post_init__(self) -> None:
        # The templates are written by op name; keyed by the Op enum (a misspelt name
        # fails here, at import).
        keyed: dict[str, str] = {as_op(op): t for op, t in self.unary.items()}
        self.unary.clear()
        self.unary.update(keyed)


_ELEMENTWISE = (Op.EXP, Op.LOG, Op.SIN, Op.COS, Op.TAN, Op.ARCSIN, Op.ARCCOS, Op.ARCTAN,
                Op.TANH, Op.SQRT, Op.ABS, Op.SIGN)


def _common(m: str) -> dict[str, str]:
    out: dict[str, str] = {op: f"{m}.{op.value}({{0}})" for op in _ELEMENTWISE}
    functions: dict[str, str] = {
        Op.TR: f"{m}.trace({{0}})",
        Op.SUM: f"{m}.sum({{0}})",
        Op.DET: f"{m}.linalg.det({{0}})",
        Op.LOGDET: f"{m}.linalg.slogdet({{0}})[1]",
        Op.INV: f"{m}.linalg.inv({{0}})",
        Op.NORM1: f"{m}.sum({m}.abs({{0}}))",
        Op.NORM2: f"{m}.linalg.norm({{0}})",
        Op.SOFTMAX: "_softmax({0})",
        Op.LOGSUMEXP: "_logsumexp({0})",
        Op.DIAG: f"{m}.diag({{0}})",
        Op.KRON: f"{m}.kron({{0}}, {{1}})",
        Op.MPOW: f"{m}.linalg.matrix_power({{0}}, {{1}})",
    }
    out.update(functions)
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

_EXPM_NUMPY = f'''

def _expm(a):
    """Matrix exponential: scaling and squaring with a [13/13] Pade approximant."""
    norm = np.linalg.norm(a, 1)
    s = max(0, int(np.ceil(np.log2(norm / 5.371920351148152)))) if norm > 5.371920351148152 else 0
    a = a / 2.0**s
    b = {PADE13}
    ident = np.eye(a.shape[0])
{pade_body("np")}'''


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
        Op.SIGMOID: "np.exp(-np.logaddexp(0.0, -{0}))",
        Op.RELU: "np.maximum({0}, 0.0)",
        Op.SOFTPLUS: "np.logaddexp(0.0, {0})",
        Op.STEP: "np.heaviside({0}, 0.0)",
        Op.EXPM: "_expm({0})",
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
        Op.SIGMOID: "jnp.exp(-jnp.logaddexp(0.0, -{0}))",
        Op.RELU: "jnp.maximum({0}, 0.0)",
        Op.SOFTPLUS: "jnp.logaddexp(0.0, {0})",
        Op.STEP: "jnp.heaviside({0}, 0.0)",
        Op.EXPM: "jax.scipy.linalg.expm({0})",
    })
    asarray = "jnp.asarray(value, dtype=jnp.result_type(float))"
    eye = "jnp.eye({0})"
    return Backend(
        "jax", m, ("import jax.numpy as jnp",), unary, "{0}.T", "jnp.outer({0}, {1})",
        "{0}.transpose({1})", eye, "jnp.ones({0})", asarray,
        _helpers(m, asarray, eye, "jnp.block(rows)", {}),
        multi_dot="jnp.linalg.multi_dot([{0}])", vector_matrix=True,
    )


def _torch() -> Backend:
    m = "torch"
    unary = _common(m)
    unary.update({
        Op.SIGMOID: "torch.special.expit({0})",
        Op.RELU: "torch.relu({0})",
        Op.SOFTPLUS: "torch.nn.functional.softplus({0})",
        Op.STEP: "({0} > 0).to({0}.dtype)",
        Op.EXPM: "torch.linalg.matrix_exp({0})",
        Op.DIAG: "torch.diag({0})",
        # torch.kron of a transposed view fails (torch 2.13): make both contiguous
        Op.KRON: "torch.kron({0}.contiguous(), {1}.contiguous())",
    })
    asarray = "torch.as_tensor(value, dtype=torch.float64)"
    eye = "torch.eye({0}, dtype=torch.float64)"
    return Backend(
        "torch", m, ("import torch",), unary, "{0}.mT", "torch.outer({0}, {1})",
        "{0}.permute({1})", eye, "torch.ones({0}, dtype=torch.float64)", asarray,
        _helpers(m, asarray, eye, "torch.cat([torch.cat(row, dim=1) for row in rows], dim=0)",
                 {}),
        gram="{0}.mT @ {0}", multi_dot="torch.linalg.multi_dot([{0}])",
    )


def _array_api() -> Backend:
    return Backend(
        "array_api", "xp", array_api.IMPORTS, dict(array_api.UNARY), "{0}.T",
        "{0}[:, None] * {1}[None, :]", "xp.permute_dims({0}, ({1}))", array_api.EYE,
        array_api.ONES, "xp.asarray(value)",
        {**array_api.HELPERS, "_expect": _EXPECT},
        multi_dot="_multi_dot([{0}])",
        commutation="_commutation({0}, {1}, xp, _dtype, _device)",
        prologue=("xp, _device = _namespace({args})",),
        prologue_unchecked=("xp = array_namespace({args})",),
        convert='{name} = _array(xp, _device, {label}, {name}, "{word}")',
        vector_matrix=True,
        constants=("_dtype = xp.result_type({args})",
                   "_device = array_api_compat.device({first})"),
    )


BACKENDS: dict[str, Backend] = {
    b.name: b for b in (_numpy(), _jax(), _torch(), _array_api())
}
