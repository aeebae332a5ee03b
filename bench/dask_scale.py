"""The logistic-regression gradient on a 2-worker Dask cluster against NumPy in memory.

    python bench/dask_scale.py [--rows 1000000,10000000] [--cols 10] [--repeats 3]

The same matdiff-generated array API function (`d.to_code(backend="array_api")`) runs on
a Dask data matrix chunked by rows (1e5 rows a chunk) on a dask.distributed LocalCluster
(2 worker processes, 1 thread each, loopback) and, for the reference, the generated NumPy
function on the same data in memory. Float64. Three ways per size:

- NumPy: the data in memory, value and gradient by the generated NumPy function; peak
  memory is what the call allocates (tracemalloc, NumPy reports to it).
- Dask, persisted: the data held in the workers' memory (client.persist), then
  `dask.compute(value, grad)`; wall time of the compute.
- Dask, streamed: the data generated block by block on the workers inside the same graph
  and reduced as it goes, never held whole (time includes generating it).

Peak memory per worker: the worker process's peak resident set (VmHWM), a fresh
cluster for each way. Every result is checked against the NumPy one. Prints Markdown.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import dask
import dask.array as da
import distributed
import numpy as np

import matdiff
from matdiff.backends.codegen import compile_function

CHUNK = 100_000


def _x_block(block_id=None, n=0):
    rng = np.random.default_rng(block_id[0])
    return rng.normal(size=(CHUNK, n)) / np.sqrt(n)


def _y_block(block_id=None, n=0):
    rng = np.random.default_rng(10_000_000 + block_id[0])
    return np.sign(rng.normal(size=CHUNK) + 0.1)


def lazy_data(rows: int, n: int):
    blocks = rows // CHUNK
    X = da.map_blocks(_x_block, chunks=((CHUNK,) * blocks, (n,)), dtype=float, n=n)
    y = da.map_blocks(_y_block, chunks=((CHUNK,) * blocks,), dtype=float, n=n)
    return X, y


def _peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM, Linux). Not ru_maxrss: Linux carries that
    across exec, so a spawned worker would report its parent's peak."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def _worker_peaks(client) -> list[float]:
    return sorted(client.run(_peak_rss_mb).values())


def _best(fn, repeats: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _cluster(memory_limit: str):
    """A fresh 2-worker LocalCluster (fresh processes: their peak RSS starts over)."""
    return distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                    memory_limit=memory_limit, host="127.0.0.1",
                                    dashboard_address=None)


def _numpy_run(numpy_fn, X, y, w, repeats: int):
    """Time, (value, gradient), peak MB allocated by the call, data MB."""
    Xn, yn = dask.compute(X, y)  # the same data, in this process's memory
    tracemalloc.start()
    t, res = _best(lambda: numpy_fn(X=Xn, y=yn, w=w), repeats)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return t, res, peak, Xn.nbytes / 2**20


def _dask_run(generated, X, y, w, repeats: int, memory_limit: str, persist: bool):
    """Time, (value, gradient), sorted worker peak RSS in MB, on a fresh cluster."""
    with _cluster(memory_limit) as cluster, distributed.Client(cluster) as client:
        if persist:
            X, y = client.persist([X, y])
            distributed.wait([X, y])
        t, res = _best(lambda: dask.compute(*generated(X=X, y=y, w=w)), repeats)
        return t, res, _worker_peaks(client)


def run_size(rows: int, n: int, repeats: int, memory_limit: str, out: list[str]) -> None:
    d = matdiff.derivative("sum(log(1 + exp(-y .* (X*w))))", wrt="w",
                           variables={"X": "matrix m n"})
    generated = compile_function(d, "array_api")
    w = np.linspace(-1.0, 1.0, n)
    X, y = lazy_data(rows, n)
    t_np, (v_np, g_np), np_peak, data_mb = _numpy_run(compile_function(d, "numpy"), X, y, w,
                                                      repeats)
    cells = []
    for persist in (True, False):
        t, (v, g), peaks = _dask_run(generated, X, y, w, repeats, memory_limit, persist)
        ok = np.isclose(float(v), v_np, rtol=1e-9) and np.allclose(g, g_np, rtol=1e-8,
                                                                  atol=1e-8)
        cells += [f"{t:.2f} s" + ("" if ok else " ✗"),
                  ", ".join(f"{p:.0f}" for p in peaks) + " MB"]
    out.append(f"| {rows:.0e} × {n} | {data_mb:.0f} MB | {t_np:.2f} s | {np_peak:.0f} MB | "
               + " | ".join(cells) + " |")
    print(out[-1], flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default="1000000,10000000")
    ap.add_argument("--cols", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--memory-limit", default="2GB", help="per worker")
    args = ap.parse_args()
    out = ["## Dask: logistic-regression value and gradient, 2-worker LocalCluster vs NumPy",
           "", f"- dask {dask.__version__}, distributed {distributed.__version__}, numpy "
           f"{np.__version__}; chunks of {CHUNK} rows; 2 worker processes, 1 thread each, "
           f"memory limit {args.memory_limit} each; fastest of {args.repeats}",
           f"- command: `python bench/dask_scale.py --rows {args.rows} --cols {args.cols} "
           f"--repeats {args.repeats} --memory-limit {args.memory_limit}`", "",
           "| rows × cols | data | NumPy in memory | NumPy peak (call) | Dask persisted |"
           " worker peak RSS | Dask streamed | worker peak RSS |",
           "|---|---|---|---|---|---|---|---|"]
    print("\n".join(out), flush=True)
    for rows in (int(float(r)) for r in args.rows.split(",")):
        run_size(rows, args.cols, args.repeats, args.memory_limit, out)


if __name__ == "__main__":
    main()
