"""The array API backend: one generated function for NumPy, PyTorch, JAX and Dask arrays.

Correctness tests: every case of test_codegen.py (SPEC §2's acceptance table, one case per
op, the higher orders) generated once with backend="array_api" and run on NumPy arrays,
PyTorch tensors, JAX arrays (also under jit) and Dask arrays, against the engine's
reference evaluator and `Derivative.evaluate` (a consistency check with the engine's own
evaluator, which test_codegen.py and the finite-difference tests tie to independent
references). Also: the code imports no array library, Dask inputs stay lazy, mixed NumPy
and library inputs join the library, the entry checks raise as the NumPy backend's do,
and check=False leaves them out. CuPy is not tested (no GPU here); nothing excludes it.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import matdiff
from matdiff.backends.codegen import compile_function, generate

# The cases and their reference values are test_codegen.py's (one table for all backends).
_spec = importlib.util.spec_from_file_location(
    "matdiff_codegen_cases", Path(__file__).with_name("test_codegen.py"))
cases = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = cases  # dataclasses look their module up there
_spec.loader.exec_module(cases)

ALL, ALL_IDS = cases.ALL, cases.ALL_IDS


def _run(case, convert, rtol: float, jit=None) -> None:
    d = cases._derive(case)
    fn = compile_function(d, "array_api")
    call = jit(fn) if jit is not None else fn
    for seed in (1, 2):
        values = cases._inputs(d, case, seed)
        got = call(**{k: convert(v) for k, v in values.items()})
        want = cases._expected(d, values)
        assert isinstance(got, tuple) and len(got) == len(want)
        for k, (g, w) in enumerate(zip(got, want, strict=True)):
            cases._close(_to_numpy(g), w,
                         f"{case.id} output {k}\n{fn.__matdiff_source__}", rtol)


def _to_numpy(a):
    if hasattr(a, "compute"):
        a = a.compute()
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=float)


@pytest.mark.parametrize("case", ALL, ids=ALL_IDS)
def test_numpy_arrays(case):
    _run(case, lambda v: v, 1e-9)


@pytest.mark.parametrize("case", ALL, ids=ALL_IDS)
def test_torch_tensors(case):
    torch = pytest.importorskip("torch")
    _run(case, lambda v: torch.as_tensor(np.asarray(v, dtype=float)), 1e-8)


@pytest.mark.parametrize("case", ALL, ids=ALL_IDS)
def test_jax_arrays(case):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    _run(case, lambda v: jax.numpy.asarray(v), 1e-8)


def _uses_det(case) -> bool:
    return "_det(" in generate(cases._derive(case), "array_api")


# Dask has no determinant (the code says so, test_dask_det_says_it_has_none); logdet
# runs there by QR.
DASK = [c for c in ALL if not _uses_det(c)]


@pytest.mark.parametrize("case", DASK, ids=[c.id for c in DASK])
def test_dask_arrays(case):
    da = pytest.importorskip("dask.array")
    _run(case, lambda v: da.from_array(np.asarray(v, dtype=float)), 1e-9)


def test_dask_det_says_it_has_none():
    da = pytest.importorskip("dask.array")
    fn = compile_function(matdiff.derivative("det(X)", wrt="X"), "array_api")
    with pytest.raises(TypeError, match="has no determinant"):
        fn(X=da.from_array(np.eye(3) * 2.0))
    assert {c.id for c in ALL} - {c.id for c in DASK} == {"det(X)", "log(det(X))", "det"}


@pytest.mark.parametrize("case", [c for c in ALL if c.id in (
    "x'Ax", "logistic-hessian", "x'Ax-hessian", "softmax-regression", "gaussian-nll",
    "order3-scalar-by-vector-kron", "index-kron", "matrix-hessian", "eye", "block")]
    , ids=lambda c: c.id)
def test_jax_jit(case):
    """The array API code traces under jax.jit (shape checks run at trace time)."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    _run(case, lambda v: jax.numpy.asarray(v), 1e-8, jit=jax.jit)


LOGISTIC = matdiff.derivative("sum(log(1 + exp(-y .* (X*w))))", wrt="w",
                              variables={"X": "matrix m n"}, order=2)


def _logistic_data(m=40, n=5, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(m, n)), rng.choice([-1.0, 1.0], size=m), rng.normal(size=n))


def test_imports_no_array_library():
    """The module imports array_api_compat only: the namespace comes from the inputs."""
    tree = ast.parse(generate(LOGISTIC, "array_api"))
    top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    names = {a.name for n in top if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module for n in top if isinstance(n, ast.ImportFrom)}
    assert names == {"array_api_compat"}


def test_dask_stays_lazy_and_numpy_joins_it():
    """A Dask data matrix with NumPy labels and weights: every output is a Dask array
    (nothing computed on entry), equal to the NumPy backend's once computed."""
    da = pytest.importorskip("dask.array")
    X, y, w = _logistic_data()
    fn = compile_function(LOGISTIC, "array_api")
    out = fn(X=da.from_array(X, chunks=(10, 5)), y=y, w=w)
    assert all(isinstance(o, da.Array) for o in out)
    want = compile_function(LOGISTIC, "numpy")(X=X, y=y, w=w)
    for g, e in zip(out, want, strict=True):
        np.testing.assert_allclose(g.compute(), e, rtol=1e-12)


def test_torch_with_numpy_inputs_and_float32():
    """NumPy inputs join a tensor's library; a float32 tensor stays float32 where the
    other inputs are float32 too."""
    torch = pytest.importorskip("torch")
    X, y, w = _logistic_data()
    fn = compile_function(LOGISTIC, "array_api")
    value, grad, hess = fn(X=torch.as_tensor(X), y=y, w=list(w))
    assert isinstance(grad, torch.Tensor) and grad.dtype == torch.float64
    want = compile_function(LOGISTIC, "numpy")(X=X, y=y, w=w)
    np.testing.assert_allclose(hess.numpy(), want[2], rtol=1e-12)
    out32 = fn(X=torch.as_tensor(X, dtype=torch.float32),
               y=torch.as_tensor(y, dtype=torch.float32),
               w=torch.as_tensor(w, dtype=torch.float32))
    assert out32[1].dtype == torch.float32
    np.testing.assert_allclose(out32[1].numpy(), want[1], rtol=1e-4)


def test_entry_checks_raise_as_numpy_backends_do():
    fn = compile_function(LOGISTIC, "array_api")
    X, y, w = _logistic_data()
    with pytest.raises(ValueError, match=r"w must have shape \(n,\) = \(5,\).*got \(4,\)"):
        fn(X=X, y=y, w=w[:4])
    with pytest.raises(ValueError, match="X must be a matrix"):
        fn(X=X[0], y=y, w=w)
    column = fn(X=X, y=y[:, None], w=w[None, :])  # (m, 1) and (1, n) are vectors
    np.testing.assert_allclose(column[1], fn(X=X, y=y, w=w)[1])


def test_check_false_leaves_out_the_entry_checks():
    """check=False: no conversion, no shape checks, the same results on arrays."""
    src = generate(LOGISTIC, "array_api", check=False)
    for helper in ("_array", "_expect", "_namespace"):
        assert not re.search(rf"(?<![\w.]){helper}\(", src), helper
    assert "xp = array_namespace(X, y, w)" in src
    for backend in ("numpy", "array_api"):
        checked = compile_function(LOGISTIC, backend)
        bare = compile_function(LOGISTIC, backend, check=False)
        assert "_expect(" not in bare.__matdiff_source__
        X, y, w = _logistic_data()
        for a, b in zip(checked(X=X, y=y, w=w), bare(X=X, y=y, w=w), strict=True):
            np.testing.assert_array_equal(a, b)
    assert "_expect(" not in LOGISTIC.to_code("numpy", check=False)


def test_variable_named_like_the_namespace_is_renamed():
    """Correctness: a variable xp is the parameter xp_ (the namespace keeps xp), and the
    compiled function takes xp; gradient of xp'*xp is 2*xp."""
    d = matdiff.derivative("xp'*xp", wrt="xp")
    assert "def f_and_grad(*, xp_):" in generate(d, "array_api")
    value, grad = compile_function(d, "array_api")(xp=np.array([1.0, 2.0]))
    assert float(value) == 5.0 and np.asarray(grad).tolist() == [2.0, 4.0]


def test_plain_python_inputs_use_numpy():
    """Lists and Python numbers alone: NumPy's namespace, integers as floats."""
    d = matdiff.derivative("x'*A*x", wrt="x", variables={"A": "matrix n n"})
    value, grad = compile_function(d, "array_api")(x=[1, 2], A=[[1, 0], [0, 1]])
    assert isinstance(grad, np.ndarray) and grad.dtype == np.float64
    assert float(value) == 5.0 and grad.tolist() == [2.0, 4.0]
