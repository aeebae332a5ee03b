"""Hessian-vector products: matdiff's closed-form H·v against JAX and torch.func.

    nice python bench/hvp.py [--quick] [--single-thread] [--repeats 7]

Problems: the Gaussian negative log-likelihood `logdet(S) + tr(inv(S)*C)` by S
(n = 50, 100, 200, 400) and logistic regression `sum(log(1 + exp(-y .* (X*w))))` by w
(X 2n×n, n = 1000, 3000). Tools, each computing H·v only:

- matdiff: the generated NumPy function (`matdiff.hvp(...).compile("numpy")`);
- matdiff-jax: the generated JAX function under `jax.jit`;
- jax: `jax.jit` of `jax.jvp(jax.grad(f), (x,), (v,))[1]` (forward-over-reverse);
- torch: `torch.func.jvp(torch.func.grad(f), (x,), (v,))[1]`.

Every tool is first checked against matdiff's result (✗ marks a disagreement). Times are
medians over `--repeats` rounds; within a round the tools run one after another, each
a batch of calls of at least 50 ms, so the ratios compare runs made side by side.
Memory: the peak of NumPy's allocations during one matdiff call (tracemalloc), and the
temporaries XLA allocates for the jitted JAX HVP (`memory_analysis`), both in units of
one n×n (or n-vector) array; a formed Hessian would be n⁴ (n²) of them.
Float64 everywhere. Prints a Markdown report; progress on stderr.
"""

from __future__ import annotations

import os
import sys

# --single-thread: one BLAS/XLA/torch thread each, set before the libraries load. On a
# shared, busy machine multithreaded BLAS and XLA pools spin against other work and the
# timings scatter by 3×; one thread each compares the tools' work, not their scheduling.
SINGLE_THREAD = "--single-thread" in sys.argv
if SINGLE_THREAD:
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen"
                               "=false intra_op_parallelism_threads=1").strip()

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

import matdiff  # noqa: E402

try:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
except ImportError:  # optional
    jax = None
try:
    import torch
    import torch.func

    torch.set_default_dtype(torch.float64)
    if SINGLE_THREAD:
        torch.set_num_threads(1)
except ImportError:  # optional
    torch = None

GAUSSIAN = "logdet(S) + tr(inv(S)*C)"
LOGISTIC = "sum(log(1 + exp(-y .* (X*w))))"


def _ready(out):
    if hasattr(out, "block_until_ready"):
        out.block_until_ready()
    return out


def side_by_side(fns: dict[str, Callable[[], object]], repeats: int,
                 budget: float = 0.05) -> dict[str, float]:
    """Median seconds per call of each fn, the tools interleaved within each round."""
    numbers = {}
    for name, fn in fns.items():
        fn()
        t0 = time.perf_counter()
        fn()
        numbers[name] = max(1, int(budget / max(time.perf_counter() - t0, 1e-7)))
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            for _ in range(numbers[name]):
                fn()
            samples[name].append((time.perf_counter() - t0) / numbers[name])
    return {name: statistics.median(s) for name, s in samples.items()}


def numpy_peak(fn: Callable[[], object]) -> int:
    """Peak bytes NumPy allocates during one call (tracemalloc sees NumPy's buffers)."""
    fn()
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


# ------------------------------------------------------------------------- problems


def gaussian(n: int, rng: np.random.Generator):
    a = rng.normal(size=(n, n))
    S = a @ a.T / n + np.eye(n)
    b = rng.normal(size=(2 * n, n))
    C = b.T @ b / (2 * n)
    V = rng.normal(size=(n, n))
    V = 0.5 * (V + V.T)
    h = matdiff.hvp(GAUSSIAN, wrt="S", variables={"S": "matrix n n spd",
                                                  "C": "matrix n n spd"})
    data = {"C": C}

    def f_jax(S_, C_):
        return jnp.linalg.slogdet(S_)[1] + jnp.trace(jnp.linalg.inv(S_) @ C_)

    def f_torch(S_, C_):
        return torch.linalg.slogdet(S_)[1] + torch.trace(torch.linalg.inv(S_) @ C_)

    return h, "S", S, V, data, f_jax, f_torch, n * n


def logistic(n: int, rng: np.random.Generator):
    X = rng.normal(size=(2 * n, n)) / np.sqrt(n)
    w = rng.normal(size=n)
    y = np.where(rng.random(2 * n) < 0.5, -1.0, 1.0)
    V = rng.normal(size=n)
    h = matdiff.hvp(LOGISTIC, wrt="w")
    data = {"X": X, "y": y}

    def f_jax(w_, X_, y_):
        return jnp.sum(jnp.logaddexp(0.0, -y_ * (X_ @ w_)))

    def f_torch(w_, X_, y_):
        return torch.sum(torch.nn.functional.softplus(-y_ * (X_ @ w_)))

    return h, "w", w, V, data, f_jax, f_torch, n


PROBLEMS = {"gaussian-nll by S": (gaussian, [50, 100, 200, 400]),
            "logistic by w": (logistic, [1000, 3000])}
QUICK = {"gaussian-nll by S": [50, 100], "logistic by w": [1000]}


def run_problem(label: str, make, n: int, repeats: int) -> dict:
    rng = np.random.default_rng(n)
    h, name, x, V, data, f_jax, f_torch, unit = make(n, rng)
    mine = h.compile("numpy")
    ref = mine(**data, **{name: x}, v=V)
    fns: dict[str, Callable[[], object]] = {"matdiff": lambda: mine(**data, **{name: x}, v=V)}
    agree: dict[str, bool] = {"matdiff": True}
    mem = {"matdiff": numpy_peak(fns["matdiff"]) / (8 * unit)}
    if jax is not None:
        jx, jV = jnp.asarray(x), jnp.asarray(V)
        jdata = {k: jnp.asarray(v) for k, v in data.items()}
        others = list(jdata.values())

        def jax_hvp(x_, v_, *rest):
            return jax.jvp(lambda z: jax.grad(f_jax)(z, *rest), (x_,), (v_,))[1]

        jitted = jax.jit(jax_hvp)
        gen = jax.jit(h.compile("jax"))
        fns["jax"] = lambda: _ready(jitted(jx, jV, *others))
        fns["matdiff-jax"] = lambda: _ready(gen(**jdata, **{name: jx}, v=jV))
        agree["jax"] = bool(np.allclose(np.asarray(fns["jax"]()), ref, rtol=1e-8, atol=1e-10))
        agree["matdiff-jax"] = bool(np.allclose(np.asarray(fns["matdiff-jax"]()), ref,
                                                rtol=1e-8, atol=1e-10))
        stats = jitted.lower(jx, jV, *others).compile().memory_analysis()
        mem["jax"] = stats.temp_size_in_bytes / (8 * unit) if stats is not None else None
    if torch is not None:
        tx, tV = torch.as_tensor(x), torch.as_tensor(V)
        tothers = [torch.as_tensor(v) for v in data.values()]

        def torch_hvp():
            return torch.func.jvp(lambda z: torch.func.grad(f_torch)(z, *tothers),
                                  (tx,), (tV,))[1]

        fns["torch"] = torch_hvp
        agree["torch"] = bool(np.allclose(torch_hvp().numpy(), ref, rtol=1e-8, atol=1e-10))
    times = side_by_side(fns, repeats)
    return {"label": label, "n": n, "times": times, "agree": agree, "mem": mem}


def fmt(t: float | None) -> str:
    if t is None:
        return "—"
    if t < 1e-3:
        return f"{t * 1e6:.0f} µs"
    if t < 1:
        return f"{t * 1e3:.2f} ms"
    return f"{t:.2f} s"


def ratio(a: float | None, b: float | None) -> str:
    return "—" if a is None or b is None else f"{a / b:.1f}"


def report(rows: list[dict], args: argparse.Namespace, elapsed: float) -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    versions = [f"numpy {np.__version__}"]
    if jax is not None:
        versions.append(f"jax {jax.__version__} (x64)")
    if torch is not None:
        versions.append(f"torch {torch.__version__} ({torch.get_num_threads()} threads)")
    out = [
        "## Hessian-vector products: matdiff vs JAX and torch.func",
        "",
        f"- machine: {platform.machine()}, nproc {os.cpu_count()}, "
        f"load average at the end {load:.1f}",
        f"- Python {platform.python_version()}; {', '.join(versions)}",
        f"- command: `nice python bench/hvp.py{' --quick' if args.quick else ''}"
        f"{' --single-thread' if args.single_thread else ''} --repeats {args.repeats}`"
        + (" (one BLAS, XLA and torch thread each)" if args.single_thread else ""),
        "- H·v only, float64; medians over rounds with the tools interleaved; ✗: disagrees",
        "- memory: peak temporaries of one call in units of one n×n matrix (Gaussian) or "
        "one n-vector (logistic); matdiff by tracemalloc (the returned array included), "
        "jax by XLA's memory_analysis (temporaries only)",
        "",
        "| problem | n | matdiff | matdiff-jax (jit) | jax jvp(grad) (jit) | torch.func | "
        "jax / matdiff | jax / matdiff-jax | torch / matdiff | memory matdiff | memory jax |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        t, ok, mem = r["times"], r["agree"], r["mem"]

        def cell(k: str, t=t, ok=ok) -> str:
            return fmt(t.get(k)) + ("" if ok.get(k, True) else " ✗")

        mj = mem.get("jax")
        out.append(
            f"| {r['label']} | {r['n']} | {cell('matdiff')} | {cell('matdiff-jax')} | "
            f"{cell('jax')} | {cell('torch')} | {ratio(t.get('jax'), t['matdiff'])} | "
            f"{ratio(t.get('jax'), t.get('matdiff-jax'))} | "
            f"{ratio(t.get('torch'), t['matdiff'])} | {mem['matdiff']:.1f} | "
            f"{'—' if mj is None else f'{mj:.1f}'} |")
    out += ["", f"Total run time {elapsed:.0f} s."]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="the smallest sizes only")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--single-thread", action="store_true",
                   help="one BLAS, XLA and torch thread each (set before they load)")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    rows = []
    for label, (make, sizes) in PROBLEMS.items():
        for n in (QUICK[label] if args.quick else sizes):
            print(f"{label} n={n} ...", file=sys.stderr, flush=True)
            rows.append(run_problem(label, make, n, args.repeats))
    print(report(rows, args, time.perf_counter() - t0))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
