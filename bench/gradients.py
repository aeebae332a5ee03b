"""Generated gradients and Hessians against hand-written NumPy and autodiff.

    python bench/gradients.py [--quick] [--repeats 7]

For each problem and size: the matdiff-generated NumPy function (value and gradient, or
value, gradient and Hessian), the same by hand in closed form in NumPy, JAX
(jit(value_and_grad), jit(hessian)), PyTorch (torch.func.grad_and_value, hessian) and
HIPS autograd, each optional. Every tool is first checked to agree with the hand-written
result; times are medians of several repeats of batches of calls; the first JAX call
(trace and compile) is timed separately. Float64 everywhere. Prints a Markdown report.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import matdiff
from matdiff.backends.codegen import compile_function

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
except ImportError:  # optional
    torch = None
try:
    import autograd
    import autograd.numpy as anp
except ImportError:  # optional
    autograd = None


# --------------------------------------------------------------------------- timing


def timed(fn: Callable[[], object], repeats: int, budget: float = 0.05) -> float:
    """Median seconds per call over `repeats` batches of at least `budget` seconds."""
    t0 = time.perf_counter()
    fn()
    once = time.perf_counter() - t0
    number = max(1, int(budget / max(once, 1e-7)))
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number)
    return statistics.median(samples)


def _block(out):
    if jax is not None and isinstance(out, tuple):
        for o in out:
            _block(o)
    elif hasattr(out, "block_until_ready"):
        out.block_until_ready()
    return out


# ------------------------------------------------------------------------- problems


@dataclass
class Problem:
    name: str
    text: str
    wrt: str
    variables: dict[str, str]
    sizes: tuple[int, ...]
    inputs: Callable[[int, np.random.Generator], dict]
    hand: Callable[..., tuple]  # value, gradient (closed form, NumPy)
    loss: Callable[[object], Callable]  # module -> loss(**inputs) written with it
    hand_hess: Callable[..., tuple] | None = None
    hess_sizes: tuple[int, ...] = ()


def _sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))


def quad_inputs(n, rng):
    return {"A": rng.normal(size=(n, n)), "x": rng.normal(size=n)}


def quad_hand(A, x):
    Ax = A @ x
    return x @ Ax, Ax + A.T @ x


def quad_hand_hess(A, x):
    Ax = A @ x
    return x @ Ax, Ax + A.T @ x, A + A.T


def quad_loss(m):
    return lambda x, A: x @ (A @ x)


def logi_inputs(n, rng):
    return {"X": rng.normal(size=(2 * n, n)) / np.sqrt(n), "w": rng.normal(size=n),
            "y": rng.choice([-1.0, 1.0], size=2 * n)}


def logi_hand(X, w, y):
    z = -y * (X @ w)
    return np.sum(np.logaddexp(0.0, z)), -X.T @ (y * _sigmoid(z))


def logi_hand_hess(X, w, y):
    z = -y * (X @ w)
    s = _sigmoid(z)
    return (np.sum(np.logaddexp(0.0, z)), -X.T @ (y * s),
            X.T @ ((s * (1 - s) * y * y)[:, None] * X))


def logi_loss(m):
    return lambda w, X, y: m.sum(m.log(1 + m.exp(-y * (X @ w))))


def ridge_inputs(n, rng):
    return {"X": rng.normal(size=(2 * n, n)), "w": rng.normal(size=n),
            "y": rng.normal(size=2 * n), "c": 0.1}


def ridge_hand(X, w, y, c):
    r = X @ w - y
    return r @ r + c * (w @ w), 2 * (X.T @ r + c * w)


def ridge_hand_hess(X, w, y, c):
    r = X @ w - y
    return r @ r + c * (w @ w), 2 * (X.T @ r + c * w), 2 * (X.T @ X + c * np.eye(len(w)))


def ridge_loss(m):
    return lambda w, X, y, c: m.sum((X @ w - y) ** 2) + c * m.sum(w**2)


def nll_inputs(n, rng):
    B = rng.normal(size=(n, n))
    C = rng.normal(size=(n, n))
    return {"S": B @ B.T / n + np.eye(n), "C": C @ C.T / n}


def nll_hand(S, C):
    Si = np.linalg.inv(S)
    _, logdet = np.linalg.slogdet(S)
    SiC = Si @ C
    return logdet + np.trace(SiC), Si - (SiC @ Si).T


def nll_loss(m):
    def f(S, C):
        return m.linalg.slogdet(S)[1] + m.trace(m.linalg.inv(S) @ C)

    return f


def mf_inputs(n, rng):
    r = max(2, n // 10)
    return {"X": rng.normal(size=(n, n)), "U": rng.normal(size=(n, r)),
            "V": rng.normal(size=(n, r))}


def mf_hand(X, U, V):
    R = X - U @ V.T
    return np.sum(R * R), -2 * R @ V


def mf_loss(m):
    return lambda U, X, V: m.sum((X - U @ V.T) ** 2)


def softmax_inputs(n, rng):
    k = max(2, n // 10)
    y = np.zeros(k)
    y[rng.integers(k)] = 1.0
    return {"W": rng.normal(size=(k, n)) / np.sqrt(n), "x": rng.normal(size=n), "y": y}


def softmax_hand(W, x, y):
    z = W @ x
    z = z - z.max()
    p = np.exp(z)
    p /= p.sum()
    return -y @ np.log(p), np.outer(p - y, x)


def softmax_loss(m):
    def f(W, x, y):
        z = W @ x
        z = z - m.max(z)
        return -(y @ (z - m.log(m.sum(m.exp(z)))))

    return f


def net_inputs(n, rng):
    return {"W": rng.normal(size=(n, n)) / np.sqrt(n), "V": rng.normal(size=(10, n)),
            "x": rng.normal(size=n), "y": rng.normal(size=10)}


def net_hand(W, V, x, y):
    h = np.tanh(W @ x)
    r = V @ h - y
    return 0.5 * (r @ r), np.outer((1 - h * h) * (V.T @ r), x)


def net_loss(m):
    def f(W, V, x, y):
        r = V @ m.tanh(W @ x) - y
        return 0.5 * m.sum(r * r)

    return f


PROBLEMS = [
    Problem("x'Ax", "x'*A*x", "x", {"A": "matrix n n"}, (100, 1000, 3000), quad_inputs,
            quad_hand, quad_loss, quad_hand_hess, (100, 1000)),
    Problem("logistic", "sum(log(1 + exp(-y .* (X*w))))", "w", {"X": "matrix m n"},
            (100, 1000, 3000), logi_inputs, logi_hand, logi_loss, logi_hand_hess, (100, 1000)),
    Problem("ridge", "norm2(X*w - y)^2 + c*norm2(w)^2", "w", {"X": "matrix m n"},
            (100, 1000, 3000), ridge_inputs, ridge_hand, ridge_loss, ridge_hand_hess,
            (100, 1000)),
    Problem("gaussian-nll", "logdet(S) + tr(inv(S)*C)", "S",
            {"S": "matrix n n spd", "C": "matrix n n"}, (100, 1000), nll_inputs, nll_hand,
            nll_loss),
    Problem("matrix-factorisation", "norm2(X - U*V')^2", "U",
            {"X": "matrix m n", "U": "matrix m r", "V": "matrix n r"}, (100, 1000, 3000),
            mf_inputs, mf_hand, mf_loss),
    Problem("softmax-regression", "-y'*log(softmax(W*x))", "W",
            {"W": "matrix k n", "y": "vector k onehot"}, (100, 1000, 3000), softmax_inputs,
            softmax_hand, softmax_loss),
    Problem("two-layer-net", "0.5*norm2(V*tanh(W*x) - y)^2", "W",
            {"W": "matrix h n", "V": "matrix m h"}, (100, 1000, 3000), net_inputs, net_hand,
            net_loss),
]


# --------------------------------------------------------------------------- tools


def _bound(loss, wrt, inputs, convert):
    """A loss of the variable alone, the other inputs bound (converted for the tool)."""
    others = {k: convert(v) for k, v in inputs.items() if k != wrt}
    return lambda w: loss(**{wrt: w}, **others)


def tools_grad(p: Problem, inputs: dict, compile_times: dict) -> dict[str, Callable]:
    d = matdiff.derivative(p.text, wrt=p.wrt, variables=p.variables)
    gen = compile_function(d)
    tools = {"matdiff": lambda: gen(**inputs), "hand": lambda: p.hand(**inputs)}
    if jax is not None:
        vg = jax.jit(jax.value_and_grad(_bound(p.loss(jnp), p.wrt, inputs, jnp.asarray)))
        w = jnp.asarray(inputs[p.wrt])
        t0 = time.perf_counter()
        _block(vg(w))
        compile_times["jax"] = time.perf_counter() - t0
        tools["jax"] = lambda: _block(vg(w))
    if torch is not None:
        tg = torch.func.grad_and_value(_bound(p.loss(torch), p.wrt, inputs, torch.as_tensor))
        tw = torch.as_tensor(inputs[p.wrt])
        tools["torch"] = lambda: tg(tw)
    if autograd is not None:
        ag = autograd.value_and_grad(_bound(p.loss(anp), p.wrt, inputs, lambda v: v))
        tools["autograd"] = lambda: ag(inputs[p.wrt])
    return tools


def tools_hess(p: Problem, inputs: dict, compile_times: dict) -> dict[str, Callable]:
    d = matdiff.derivative(p.text, wrt=p.wrt, variables=p.variables, order=2)
    gen = compile_function(d)
    tools = {"matdiff": lambda: gen(**inputs), "hand": lambda: p.hand_hess(**inputs)}
    if jax is not None:
        h = jax.jit(jax.hessian(_bound(p.loss(jnp), p.wrt, inputs, jnp.asarray)))
        w = jnp.asarray(inputs[p.wrt])
        t0 = time.perf_counter()
        _block(h(w))
        compile_times["jax"] = time.perf_counter() - t0
        tools["jax"] = lambda: _block(h(w))
    if torch is not None:
        th = torch.func.hessian(_bound(p.loss(torch), p.wrt, inputs, torch.as_tensor))
        tw = torch.as_tensor(inputs[p.wrt])
        tools["torch"] = lambda: th(tw)
    return tools


def _agree(tools: dict[str, Callable], pick: int, what: str) -> list[str]:
    """Each tool's derivative against the hand-written one; returns the disagreeing."""
    ref = np.asarray(tools["hand"]()[pick])
    bad = []
    for name, fn in tools.items():
        out = fn()
        if name in ("jax", "torch", "autograd"):
            got = out if what == "hess" else (out[1] if name != "torch" else out[0])
        else:
            got = out[pick]
        got = np.asarray(got)
        scale = max(1.0, float(np.max(np.abs(ref))))
        if got.shape != ref.shape or not np.allclose(got, ref, rtol=1e-7, atol=1e-7 * scale):
            bad.append(name)
    return bad


# --------------------------------------------------------------------------- report


def machine() -> list[str]:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = [f"numpy {np.__version__}"]
    if jax is not None:
        versions.append(f"jax {jax.__version__}")
    if torch is not None:
        versions.append(f"torch {torch.__version__} ({torch.get_num_threads()} threads)")
    if autograd is not None:
        versions.append("autograd installed")
    return [f"- machine: {platform.machine()}, nproc {os.cpu_count()}, CPU {cpu}",
            f"- Python {platform.python_version()}; " + ", ".join(versions),
            "- float64 everywhere; times are medians per call (value and derivatives"
            " together)"]


def _fmt(t: float | None) -> str:
    if t is None:
        return "—"
    if t < 1e-3:
        return f"{t * 1e6:.0f} µs"
    if t < 1:
        return f"{t * 1e3:.2f} ms"
    return f"{t:.2f} s"


def run(kind: str, repeats: int, quick: bool, out: list[str]) -> None:
    names = ["matdiff", "hand", "jax", "torch", "autograd"] if kind == "grad" else [
        "matdiff", "hand", "jax", "torch"]
    out.append("")
    out.append(f"### {'Gradients' if kind == 'grad' else 'Hessians'}")
    out.append("")
    head = "| problem | n | " + " | ".join(names) + " | matdiff / hand |"
    head += " jax / matdiff | torch / matdiff |" + (" jax compile |" if jax else "")
    out.append(head)
    out.append("|" + "---|" * (head.count("|") - 1))
    for p in PROBLEMS:
        sizes = p.sizes if kind == "grad" else p.hess_sizes
        if quick:
            sizes = sizes[:1]
        for n in sizes:
            rng = np.random.default_rng(n)
            inputs = p.inputs(n, rng)
            ct: dict = {}
            tools = (tools_grad if kind == "grad" else tools_hess)(p, inputs, ct)
            bad = _agree(tools, 1 if kind == "grad" else 2, kind)
            times = {k: timed(fn, repeats) for k, fn in tools.items()}
            row = [p.name, str(n)] + [
                _fmt(times.get(k)) + (" ✗" if k in bad else "") for k in names
            ]
            m = times["matdiff"]
            row.append(f"{m / times['hand']:.2f}")
            row.append(f"{times['jax'] / m:.1f}" if "jax" in times else "—")
            row.append(f"{times['torch'] / m:.1f}" if "torch" in times else "—")
            if jax:
                row.append(_fmt(ct.get("jax")))
            out.append("| " + " | ".join(row) + " |")
            print(out[-1], file=sys.stderr, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="smallest size only")
    ap.add_argument("--only", choices=["grad", "hess"], help="gradients or Hessians only")
    args = ap.parse_args()
    out = ["## Gradients and Hessians: generated code vs hand-written and autodiff", ""]
    out += machine()
    only = f" --only {args.only}" if args.only else ""
    out.append(f"- command: `python bench/gradients.py{' --quick' if args.quick else ''}"
               f"{only} --repeats {args.repeats}`")
    out.append("- ✗ marks a tool whose result disagreed with the hand-written one")
    t0 = time.perf_counter()
    for kind in ("grad", "hess"):
        if args.only in (None, kind):
            run(kind, args.repeats, args.quick, out)
    out.append("")
    out.append(f"Total run time {time.perf_counter() - t0:.0f} s.")
    print("\n".join(out))


if __name__ == "__main__":
    main()
