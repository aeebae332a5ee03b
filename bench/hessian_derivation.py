"""Time to derive Hessians (and gradients) of the ML objectives in SPEC.md, by matdiff.

A script, not a test: prints a Markdown table of the median derivation time over
several repeats, and the first call's time (cold: nothing interned yet) separately.
The issue's goal: first-order derivatives of lesson-sized expressions in milliseconds,
Hessians of the ML objectives in tens of milliseconds.

    python bench/hessian_derivation.py [--repeats 20]
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import time

import matdiff

OBJECTIVES = [
    ("x'Ax", "x'*A*x", "x", None),
    ("least squares", "norm2(A*x - b)^2", "x", {"b": "vector m"}),
    ("ridge", "norm2(X*w - y)^2 + c*norm2(w)^2", "w", None),
    ("logistic", "sum(log(1 + exp(-y .* (X*w))))", "w", None),
    ("softmax regression", "-y'*log(softmax(W*x))", "x", {"y": "vector m onehot"}),
    ("two-layer net", "0.5*norm2(V*tanh(W*x) - y)^2", "x", None),
    ("log-sigmoid", "log(1 + exp(w'*x))", "x", None),
    ("Gaussian NLL", "logdet(S) + tr(inv(S)*C)", "S", {"S": "matrix n n spd"}),
    ("matrix factorisation", "norm2(X - U*V')^2", "U", None),
]


def timed(fn, repeats: int) -> tuple[float, float]:
    gc.collect()
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return first, statistics.median(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=20)
    args = p.parse_args()
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, "
          f"matdiff {matdiff.__version__}")
    print(f"command: python bench/hessian_derivation.py --repeats {args.repeats}\n")
    print("| objective | by | gradient (median) | gradient (first) | Hessian (median) "
          "| Hessian (first) | Hessian printed |")
    print("|---|---|---|---|---|---|---|")
    for name, expr, wrt, variables in OBJECTIVES:
        g_first, g_med = timed(
            lambda e=expr, w=wrt, v=variables: matdiff.derivative(e, wrt=w, variables=v),
            args.repeats)
        h_first, h_med = timed(
            lambda e=expr, w=wrt, v=variables: matdiff.hessian(e, wrt=w, variables=v),
            args.repeats)
        h = matdiff.hessian(expr, wrt=wrt, variables=variables)
        shown = str(h) if len(str(h)) < 70 else str(h)[:67] + "..."
        print(f"| {name} | {wrt} | {g_med * 1e3:.2f} ms | {g_first * 1e3:.2f} ms | "
              f"{h_med * 1e3:.2f} ms | {h_first * 1e3:.2f} ms | `{shown}` |")


if __name__ == "__main__":
    main()
