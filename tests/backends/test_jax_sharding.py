"""Generated JAX and array API code under jax.jit on inputs sharded across devices.

Four CPU devices (`XLA_FLAGS=--xla_force_host_platform_device_count=4`, which must be set
before JAX initialises: the check runs in a subprocess). The data matrix and labels are
sharded by rows over a 1-D mesh (jax.sharding.NamedSharding), the weights replicated;
the jitted generated function (JAX backend and array API backend) returns the logistic
value, gradient and Hessian equal to the closed form written by hand in NumPy
(a correctness test), and its output comes back on the mesh's devices.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("jax")

SCRIPT = textwrap.dedent('''
    import jax
    import numpy as np
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

    import matdiff
    from matdiff.backends.codegen import compile_function

    jax.config.update("jax_enable_x64", True)
    assert len(jax.devices()) == 4, jax.devices()
    mesh = Mesh(np.array(jax.devices()), ("rows",))
    rng = np.random.default_rng(0)
    m, n = 400, 6
    X = rng.normal(size=(m, n)) / np.sqrt(n)
    y = rng.choice([-1.0, 1.0], size=m)
    w = rng.normal(size=n)
    Xs = jax.device_put(X, NamedSharding(mesh, P("rows", None)))
    ys = jax.device_put(y, NamedSharding(mesh, P("rows")))
    ws = jax.device_put(w, NamedSharding(mesh, P()))
    assert len(Xs.sharding.device_set) == 4 and Xs.addressable_shards[0].data.shape == (100, n)

    z = -y * (X @ w)
    s = 1.0 / (1.0 + np.exp(-z))
    want = (np.sum(np.logaddexp(0.0, z)), -X.T @ (y * s), X.T @ ((s * (1 - s))[:, None] * X))
    d = matdiff.derivative("sum(log(1 + exp(-y .* (X*w))))", wrt="w",
                           variables={"X": "matrix m n"}, order=2)
    for backend in ("jax", "array_api"):
        fn = jax.jit(compile_function(d, backend))
        out = fn(X=Xs, y=ys, w=ws)
        for got, expected in zip(out, want):
            np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-10, atol=1e-12)
        assert out[1].sharding.device_set <= set(jax.devices())
        print(backend, "ok", out[2].sharding)
''')


def test_jit_on_inputs_sharded_over_four_cpu_devices():
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4",
               JAX_PLATFORMS="cpu")
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "jax ok" in done.stdout and "array_api ok" in done.stdout, done.stdout
