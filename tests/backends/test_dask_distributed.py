"""Generated array API code on a dask.distributed cluster: the scale-out story.

A LocalCluster of 2 worker processes (loopback only, small memory limits) runs the
generated value, gradient and Hessian of logistic regression, ridge and least squares,
and the value and gradient of softmax regression (its Hessian at a small m: it has m×m
blocks), on a data matrix chunked by rows. Checked: every output is a lazy
Dask array until computed; value and gradient share their common subexpressions (one
graph, fewer tasks than the two apart); `dask.compute(value, grad, ...)` computes them
in one pass; the results equal the NumPy backend's on the same data (a consistency check
between two generated backends; the NumPy backend is tied to independent references in
test_codegen.py). One test runs on data larger than a worker's memory limit, generated
on the workers block by block, against a closed form written by hand in NumPy and
accumulated block by block (a correctness test).
"""

from __future__ import annotations

import numpy as np
import pytest

import matdiff
from matdiff.backends.codegen import compile_function

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

OBJECTIVES = {
    "logistic": ("sum(log(1 + exp(-y .* (X*w))))", "w", {"X": "matrix m n"}, 2),
    "ridge": ("norm2(X*w - y)^2 + c*norm2(w)^2", "w", {"X": "matrix m n", "c": "scalar"}, 2),
    "least-squares": ("norm2(X*w - y)^2", "w", {"X": "matrix m n"}, 2),
    "softmax-regression": ("sum(log(exp(X*W)*vector(1))) - tr(Y'*X*W)", "W",
                           {"X": "matrix m n", "W": "matrix n k", "Y": "matrix m k"}, 1),
}
M, N, K, CHUNK = 3000, 6, 3, 500


@pytest.fixture(scope="module")
def client():
    """2 worker processes on 127.0.0.1, one thread each, 300 MB each, no dashboard."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  memory_limit="300MB", host="127.0.0.1",
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as c:
        yield c


def _data(rng):
    X = rng.normal(size=(M, N)) / np.sqrt(N)
    labels = rng.integers(K, size=M)
    return {"X": X, "y": rng.choice([-1.0, 1.0], size=M), "w": rng.normal(size=N),
            "c": 0.1, "W": rng.normal(size=(N, K)), "Y": np.eye(K)[labels]}


@pytest.mark.parametrize("name", list(OBJECTIVES))
def test_lazy_shared_one_pass_equal_to_numpy(client, name):
    text, wrt, variables, order = OBJECTIVES[name]
    d = matdiff.derivative(text, wrt=wrt, variables=variables, order=order)
    values = _data(np.random.default_rng(1))
    inputs = {k: values[k] for k in matdiff.variables_of(text, variables)}
    lazy = dict(inputs)
    lazy["X"] = da.from_array(inputs["X"], chunks=(CHUNK, N))
    for row_data in ("y", "Y"):  # chunked by rows like X
        if row_data in lazy:
            lazy[row_data] = da.from_array(inputs[row_data], chunks=CHUNK)
    out = compile_function(d, "array_api")(**lazy)
    assert all(isinstance(o, da.Array) for o in out), [type(o) for o in out]
    value, grad = out[0], out[1]
    value_keys, grad_keys = set(value.__dask_graph__()), set(grad.__dask_graph__())
    assert len(value_keys | grad_keys) < len(value_keys) + len(grad_keys)  # one graph
    shared = set(value.__dask_graph__().layers) & set(grad.__dask_graph__().layers)
    inputs_layers = {lazy[k].name for k in lazy if isinstance(lazy[k], da.Array)}
    assert shared - inputs_layers, "value and gradient share no computed subexpression"
    computed = dask.compute(*out)  # one pass on the cluster
    want = compile_function(d, "numpy")(**inputs)
    for got, expected in zip(computed, want, strict=True):
        np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-10, atol=1e-10)


def _block(i: int, rows: int, n: int):
    """Block i of the data: the same on a worker and in the NumPy reference."""
    rng = np.random.default_rng(1000 + i)
    X = rng.normal(size=(rows, n)) / np.sqrt(n)
    return X, np.sign(rng.normal(size=rows) + 0.1)


def _x_block(block_id=None, rows=0, n=0):
    return _block(block_id[0], rows, n)[0]


def _y_block(block_id=None, rows=0, n=0):
    return _block(block_id[0], rows, n)[1]


def test_gradient_on_data_larger_than_a_workers_memory(client):
    """X is 400 MB (2.5e6 x 20 float64) against workers of 300 MB each: generated on the
    workers block by block, never whole; the logistic value and gradient computed there
    equal the closed form accumulated over the same blocks in NumPy."""
    blocks, rows, n = 25, 100_000, 20
    X = da.map_blocks(_x_block, chunks=((rows,) * blocks, (n,)), dtype=float,
                      rows=rows, n=n)
    y = da.map_blocks(_y_block, chunks=((rows,) * blocks,), dtype=float, rows=rows, n=n)
    assert X.nbytes > 300e6
    w = np.linspace(-1.0, 1.0, n)
    d = matdiff.derivative(OBJECTIVES["logistic"][0], wrt="w", variables={"X": "matrix m n"})
    value, grad = compile_function(d, "array_api")(X=X, y=y, w=w)
    assert isinstance(value, da.Array) and isinstance(grad, da.Array)
    value, grad = dask.compute(value, grad)
    want_value, want_grad = 0.0, np.zeros(n)
    for i in range(blocks):
        Xb, yb = _block(i, rows, n)
        z = -yb * (Xb @ w)
        want_value += np.sum(np.logaddexp(0.0, z))
        want_grad -= Xb.T @ (yb / (1.0 + np.exp(-z)))
    np.testing.assert_allclose(float(value), want_value, rtol=1e-10)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-9, atol=1e-9)


def test_softmax_regression_hessian_lazy_at_small_m(client):
    """The engine's softmax-regression Hessian by W holds m×m blocks
    (`kron(vector(1), eye(m))`), so it is checked at m = 200, not at scale: lazy, one
    pass, equal to the NumPy backend's."""
    text, wrt, variables, _ = OBJECTIVES["softmax-regression"]
    d = matdiff.derivative(text, wrt=wrt, variables=variables, order=2)
    rng = np.random.default_rng(2)
    m = 200
    X, W = rng.normal(size=(m, N)), rng.normal(size=(N, K))
    Y = np.eye(K)[rng.integers(K, size=m)]
    out = compile_function(d, "array_api")(X=da.from_array(X, chunks=(50, N)), W=W,
                                           Y=da.from_array(Y, chunks=(50, K)))
    assert all(isinstance(o, da.Array) for o in out)
    want = compile_function(d, "numpy")(X=X, W=W, Y=Y)
    for got, expected in zip(dask.compute(*out), want, strict=True):
        np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-10, atol=1e-10)
