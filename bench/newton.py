"""Newton-CG to convergence on logistic regression: matdiff's H·v vs JAX's, same solver.

    nice python bench/newton.py [--quick] [--single-thread] [--repeats 3]

Objective: L2-regularised logistic regression `sum(log(1 + exp(-y .* (X*w)))) + c*w'*w`
(c = 0.001, sklearn's C = 500; X 2n×n with a planted w, n = 1000, 2000, 4000; the
penalty keeps the problem well posed where the data are separable, and is small enough
that CG takes many H·v per Newton step). One solver,
`scipy.optimize.minimize(method="Newton-CG", jac=True, hessp=..., xtol=1e-8)`, fed:

- matdiff: `matdiff.to_scipy(...)`: generated value and gradient, and the prepared H·v
  (X*w and the weights once per iterate; two products with X per H·v);
- matdiff-direct: the same, with the unprepared generated H·v (three products per H·v);
- jax: `jax.jit(jax.value_and_grad(f))` and `jax.jit` of `jvp(grad(f))`, compiled
  before the timing, results handed to SciPy as NumPy arrays.

Times are medians over `--repeats` rounds, the tools interleaved within each round.
The table shows the iterations and H·v calls of each (they should match) and the
largest difference of the solutions from matdiff's. Prints a Markdown report.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

import hvp as bench_hvp  # first: sets the thread variables before NumPy loads
import numpy as np
import scipy
import scipy.optimize

import matdiff

jax, jnp = bench_hvp.jax, (bench_hvp.jnp if bench_hvp.jax is not None else None)

OBJECTIVE = "sum(log(1 + exp(-y .* (X*w)))) + c*w'*w"
C_PENALTY = 0.001


def problem(n: int):
    rng = np.random.default_rng(n)
    X = rng.normal(size=(2 * n, n)) / np.sqrt(n)
    w_true = rng.normal(size=n)
    y = np.where(rng.random(2 * n) < 1 / (1 + np.exp(-X @ w_true)), 1.0, -1.0)
    return X, y


def matdiff_solver(X, y, prepared: bool):
    obj = matdiff.to_scipy(OBJECTIVE, wrt="w", X=X, y=y, c=C_PENALTY)
    hessp = obj.hessp
    if not prepared:
        direct = matdiff.hvp(OBJECTIVE, wrt="w").compile("numpy")

        def hessp(w, p):
            return direct(X=X, y=y, c=C_PENALTY, w=w, v=p)

    def solve():
        obj.start(np.zeros(X.shape[1]))
        return scipy.optimize.minimize(obj.fun_and_jac, np.zeros(X.shape[1]), jac=True,
                                       hessp=hessp, method="Newton-CG",
                                       options={"xtol": 1e-8})

    return solve


def jax_solver(X, y):
    Xj, yj = jnp.asarray(X), jnp.asarray(y)

    def f(w):
        return jnp.sum(jnp.logaddexp(0.0, -yj * (Xj @ w))) + C_PENALTY * (w @ w)

    vg = jax.jit(jax.value_and_grad(f))
    hv = jax.jit(lambda w, p: jax.jvp(jax.grad(f), (w,), (p,))[1])

    def fun_and_jac(w):
        value, grad = vg(jnp.asarray(w))
        return float(value), np.asarray(grad)

    def hessp(w, p):
        return np.asarray(hv(jnp.asarray(w), jnp.asarray(p)))

    w0 = np.zeros(X.shape[1])
    fun_and_jac(w0)
    hessp(w0, w0)  # compile before timing

    def solve():
        return scipy.optimize.minimize(fun_and_jac, w0, jac=True, hessp=hessp,
                                       method="Newton-CG", options={"xtol": 1e-8})

    return solve


def run(n: int, repeats: int) -> dict:
    X, y = problem(n)
    solvers = {"matdiff": matdiff_solver(X, y, prepared=True),
               "matdiff-direct": matdiff_solver(X, y, prepared=False)}
    if jax is not None:
        solvers["jax"] = jax_solver(X, y)
    samples: dict[str, list[float]] = {k: [] for k in solvers}
    results = {}
    for _ in range(repeats):
        for name, solve in solvers.items():
            t0 = time.perf_counter()
            results[name] = solve()
            samples[name].append(time.perf_counter() - t0)
    ref = results["matdiff"].x
    return {"n": n, "times": {k: statistics.median(v) for k, v in samples.items()},
            "results": results,
            "diff": {k: float(np.max(np.abs(r.x - ref))) for k, r in results.items()}}


def report(rows: list[dict], args: argparse.Namespace, elapsed: float) -> str:
    load = os.getloadavg()[0]
    versions = [f"numpy {np.__version__}", f"scipy {scipy.__version__}"]
    if jax is not None:
        versions.append(f"jax {jax.__version__} (x64)")
    flags = (" --quick" if args.quick else "") + (
        " --single-thread" if args.single_thread else "")
    out = [
        "## Newton-CG on logistic regression: matdiff's H·v vs JAX's",
        "",
        f"- machine: {platform.machine()}, nproc {os.cpu_count()}, load average at the end "
        f"{load:.1f}",
        f"- Python {platform.python_version()}; {', '.join(versions)}",
        f"- command: `nice python bench/newton.py{flags} --repeats {args.repeats}`"
        + (" (one BLAS and XLA thread each)" if args.single_thread else ""),
        f"- `{OBJECTIVE}`, c = {C_PENALTY}, X 2n×n; scipy Newton-CG, xtol 1e-8, from w = 0; "
        "median wall time to convergence",
        "",
        "| n | matdiff | matdiff-direct | jax | jax / matdiff | iterations (matdiff, jax) | "
        "H·v calls (matdiff, jax) | max abs diff of w (direct, jax) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        t, res, d = r["times"], r["results"], r["diff"]
        j = res.get("jax")
        out.append(
            f"| {r['n']} | {bench_hvp.fmt(t['matdiff'])} | "
            f"{bench_hvp.fmt(t['matdiff-direct'])} | {bench_hvp.fmt(t.get('jax'))} | "
            f"{bench_hvp.ratio(t.get('jax'), t['matdiff'])} | {res['matdiff'].nit}, "
            f"{j.nit if j else '—'} | {res['matdiff'].nhev}, {j.nhev if j else '—'} | "
            f"{d['matdiff-direct']:.1e}, {d['jax']:.1e} |" if j else
            f"| {r['n']} | {bench_hvp.fmt(t['matdiff'])} | — | — | — | — | — | — |")
    out += ["", f"Total run time {elapsed:.0f} s."]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="n = 1000 only")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--single-thread", action="store_true",
                   help="one BLAS and XLA thread each (set before they load)")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    rows = []
    for n in ([1000] if args.quick else [1000, 2000, 4000]):
        print(f"n={n} ...", file=sys.stderr, flush=True)
        rows.append(run(n, args.repeats))
    print(report(rows, args, time.perf_counter() - t0))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
