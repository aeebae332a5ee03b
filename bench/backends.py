"""Generated code in each backend against that backend's own autodiff, and the entry checks.

    python bench/backends.py [--repeats 5] [--sizes 100,1000]

Four tables, float64, the fastest of several batches of calls (the machine may be
shared: the fastest is the least disturbed), every result first checked
against the hand-written closed form (✗ marks a disagreement):

1. Generated JAX code under `jax.jit` against `jax.jit(jax.value_and_grad(loss))`, the
   generated PyTorch code against `torch.func.grad_and_value`, the generated NumPy code
   (with and without entry checks) against the hand-written NumPy, on gradients.py's
   problems.
2. The entry checks (conversion and shape checks) of the generated NumPy function:
   `check=True` against `check=False` on small inputs, where they are visible.
3. The logistic-regression Hessian (X 2n×n): the generated NumPy code (a Gram matrix
   B'*B, BLAS syrk) against the general product X'*(d .* X) by hand, jax.jit(jax.hessian)
   and the generated JAX code under jit; and B'*B by NumPy `B.T @ B`, by SciPy's dsyrk
   (mirrored) and by a general product.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

# One thread per library unless told otherwise (MATDIFF_BENCH_THREADS): on a small shared
# machine, BLAS, XLA and OpenMP thread pools spinning between calls disturb each other.
_THREADS = os.environ.get("MATDIFF_BENCH_THREADS", "1")
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, _THREADS)
if _THREADS == "1":
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                                       "intra_op_parallelism_threads=1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
import gradients as g  # noqa: E402 - the problem set and timing of gradients.py

import matdiff  # noqa: E402
from matdiff.backends.codegen import compile_function  # noqa: E402

jax, torch = g.jax, g.torch
if jax is not None:
    import jax.numpy as jnp


def timed_all(tools: dict, repeats: int, budget: float = 0.05) -> dict[str, float]:
    """Seconds per call of each tool: the fastest of `repeats` batches of calls, one tool
    after another (interleaving them let one library's spinning worker threads slow
    the next library's call down)."""
    best = {}
    for k, fn in tools.items():
        t0 = time.perf_counter()
        fn()
        number = max(1, int(budget / max(time.perf_counter() - t0, 1e-7)))
        best[k] = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            best[k] = min(best[k], (time.perf_counter() - t0) / number)
    return best


def _close(got, want) -> bool:
    got = np.asarray(got)
    scale = max(1.0, float(np.max(np.abs(want))))
    return got.shape == want.shape and np.allclose(got, want, rtol=1e-7, atol=1e-7 * scale)


def autodiff_table(sizes: list[int], repeats: int, out: list[str]) -> None:
    out += ["", "### Generated code vs each backend's autodiff (value and gradient)", "",
            "| problem | n | NumPy generated | NumPy check=False | hand NumPy | gen/hand |"
            " JAX generated (jit) | jax.value_and_grad (jit) | ratio | torch generated |"
            " torch.func | ratio |", "|" + "---|" * 12]
    for p in g.PROBLEMS:
        for n in [s for s in p.sizes if s in sizes]:
            inputs = p.inputs(n, np.random.default_rng(n))
            want = np.asarray(p.hand(**inputs)[1])
            d = matdiff.derivative(p.text, wrt=p.wrt, variables=p.variables)
            tools: dict = {"np": (compile_function(d), inputs, 1),
                           "np0": (compile_function(d, check=False), inputs, 1),
                           "hand": (p.hand, inputs, 1)}
            if jax is not None:
                jx = {k: jnp.asarray(v) for k, v in inputs.items()}
                fn = jax.jit(compile_function(d, "jax"))
                vg = jax.jit(jax.value_and_grad(g._bound(p.loss(jnp), p.wrt, inputs,
                                                         jnp.asarray)))
                tools["jax-gen"] = (lambda fn=fn, jx=jx: g._block(fn(**jx)), {}, 1)
                tools["jax-ad"] = (lambda vg=vg, w=jx[p.wrt]: g._block(vg(w)), {}, 1)
            if torch is not None:
                tt = {k: torch.as_tensor(v) for k, v in inputs.items()}
                fn_t = compile_function(d, "torch", check=False)
                gv = torch.func.grad_and_value(g._bound(p.loss(torch), p.wrt, inputs,
                                                        torch.as_tensor))
                tools["torch-gen"] = (lambda fn=fn_t, tt=tt: fn(**tt), {}, 1)
                tools["torch-ad"] = (lambda gv=gv, w=tt[p.wrt]: gv(w), {}, 0)
            bad = {k for k, (fn, kw, pick) in tools.items() if not _close(fn(**kw)[pick], want)}
            times = timed_all({k: (lambda fn=fn, kw=kw: fn(**kw))
                               for k, (fn, kw, _) in tools.items()}, repeats)
            f = {k: g._fmt(t) + (" ✗" if k in bad else "") for k, t in times.items()}
            row = [p.name, str(n), f["np"], f["np0"], f["hand"],
                   f"{times['np'] / times['hand']:.2f}"]
            row += ([f["jax-gen"], f["jax-ad"], f"{times['jax-ad'] / times['jax-gen']:.2f}"]
                    if jax is not None else ["—"] * 3)
            row += ([f["torch-gen"], f["torch-ad"],
                     f"{times['torch-ad'] / times['torch-gen']:.2f}"]
                    if torch is not None else ["—"] * 3)
            out.append("| " + " | ".join(row) + " |")
            print(out[-1], file=sys.stderr, flush=True)


def entry_table(repeats: int, out: list[str]) -> None:
    out += ["", "### Entry checks of the generated NumPy function (small inputs)", "",
            "| problem | n | check=True | check=False | entry checks cost |",
            "|---|---|---|---|---|"]
    for p in g.PROBLEMS:
        n = 10
        inputs = p.inputs(n, np.random.default_rng(0))
        d = matdiff.derivative(p.text, wrt=p.wrt, variables=p.variables)
        checked, bare = compile_function(d), compile_function(d, check=False)
        # microsecond calls: many short batches, the two interleaved (one library)
        t1 = t0 = float("inf")
        for _ in range(20 * repeats):
            t1 = min(t1, timed_all({"c": lambda f=checked, kw=inputs: f(**kw)}, 1, 0.002)["c"])
            t0 = min(t0, timed_all({"b": lambda f=bare, kw=inputs: f(**kw)}, 1, 0.002)["b"])
        out.append(f"| {p.name} | {n} | {g._fmt(t1)} | {g._fmt(t0)} | "
                   f"{(t1 - t0) * 1e6:.1f} µs |")
        print(out[-1], file=sys.stderr, flush=True)


def hessian_table(sizes: list[int], repeats: int, out: list[str]) -> None:
    out += ["", "### Logistic-regression Hessian (X 2n×n): Gram matrix vs general product and"
            " jax.hessian", "",
            "| n | matdiff NumPy (B'B, syrk) | hand X'(d.*X) | matdiff JAX (jit) |"
            " jax.hessian (jit) | jax.hessian / matdiff NumPy |", "|---|---|---|---|---|---|"]
    d = matdiff.hessian("sum(log(1 + exp(-y .* (X*w))))", wrt="w",
                        variables={"X": "matrix m n"})
    for n in sizes:
        inputs = g.logi_inputs(n, np.random.default_rng(n))
        want = g.logi_hand_hess(**inputs)[2]
        gen = compile_function(d)
        tools = {"gen": lambda gen=gen, kw=inputs: gen(**kw)[-1],
                 "hand": lambda kw=inputs: g.logi_hand_hess(**kw)[2]}
        if jax is not None:
            jx = {k: jnp.asarray(v) for k, v in inputs.items()}
            fj = jax.jit(compile_function(d, "jax"))
            h = jax.jit(jax.hessian(g._bound(g.logi_loss(jnp), "w", inputs, jnp.asarray)))
            tools["jax-gen"] = lambda fj=fj, jx=jx: g._block(fj(**jx))[-1]
            tools["jax-ad"] = lambda h=h, w=jx["w"]: g._block(h(w))
        marks = {k: "" if _close(fn(), want) else " ✗" for k, fn in tools.items()}
        times = timed_all(tools, repeats)
        row = [str(n), g._fmt(times["gen"]) + marks["gen"],
               g._fmt(times["hand"]) + marks["hand"]]
        if jax is not None:
            row += [g._fmt(times["jax-gen"]) + marks["jax-gen"],
                    g._fmt(times["jax-ad"]) + marks["jax-ad"],
                    f"{times['jax-ad'] / times['gen']:.1f}"]
        out.append("| " + " | ".join(row) + " |")
        print(out[-1], file=sys.stderr, flush=True)


def syrk_table(sizes: list[int], repeats: int, out: list[str]) -> None:
    """B'*B three ways: NumPy `B.T @ B` (one buffer: NumPy calls syrk), SciPy's dsyrk with
    the lower triangle mirrored, and a general product of two buffers."""
    try:
        from scipy.linalg.blas import dsyrk
    except ImportError:
        return
    out += ["", "### B'*B (B 2n×n): NumPy `B.T @ B` vs SciPy dsyrk vs a general product", "",
            "| n | B.T @ B | dsyrk + mirror | B.T @ C (C a copy of B) |", "|---|---|---|---|"]
    for n in sizes:
        B = np.random.default_rng(n).normal(size=(2 * n, n))
        C = B.copy()

        def syrk(B=B, n=n):
            c = dsyrk(1.0, B.T, trans=0)  # upper triangle of (B')(B')' = B'B
            c += c.T
            c[np.diag_indices(n)] *= 0.5
            return c

        tools = {"np": lambda B=B: B.T @ B, "syrk": syrk, "gemm": lambda B=B, C=C: B.T @ C}
        want = B.T @ C
        marks = {k: "" if _close(fn(), want) else " ✗" for k, fn in tools.items()}
        times = timed_all(tools, repeats)
        out.append(f"| {n} | " + " | ".join(g._fmt(times[k]) + marks[k] for k in tools) + " |")
        print(out[-1], file=sys.stderr, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--sizes", default="100,1000", help="gradient sizes (of gradients.py's)")
    ap.add_argument("--hess-sizes", default="100,1000")
    ap.add_argument("--only", choices=["autodiff", "entry", "hessian", "syrk"])
    args = ap.parse_args()
    out = ["## Generated code vs each backend's autodiff; entry checks; Gram-matrix Hessians",
           ""] + [line.replace("medians per call", "the fastest batch's time per call")
                  for line in g.machine()]
    out.append(f"- one thread per library (MATDIFF_BENCH_THREADS={_THREADS})")
    out.append(f"- command: `python bench/backends.py --repeats {args.repeats} --sizes "
               f"{args.sizes} --hess-sizes {args.hess_sizes}"
               f"{' --only ' + args.only if args.only else ''}`")
    t0 = time.perf_counter()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.only in (None, "autodiff"):
        autodiff_table(sizes, args.repeats, out)
    if args.only in (None, "entry"):
        entry_table(args.repeats, out)
    if args.only in (None, "hessian"):
        hessian_table([int(s) for s in args.hess_sizes.split(",")], args.repeats, out)
    if args.only in (None, "syrk"):
        syrk_table([int(s) for s in args.hess_sizes.split(",")], args.repeats, out)
    out += ["", f"Total run time {time.perf_counter() - t0:.0f} s."]
    print("\n".join(out))


if __name__ == "__main__":
    main()
