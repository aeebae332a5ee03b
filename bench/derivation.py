"""Derivation time and correctness: matdiff against SymPy's matrix calculus.

    python bench/derivation.py [--repeats 5]

For each expression (SPEC §2's table and a few more): the median time to derive the
first derivative with matdiff (`matdiff.derivative`) and with SymPy (`MatrixSymbol`
expressions, `.diff`), and whether each result is right, checked by numbers: the
derivative evaluated at random inputs against central finite differences of a NumPy
reference, in matdiff's layout (gradient the shape of the variable). SymPy's result is
evaluated by substituting a concrete size and `lambdify`; a result of the wrong shape,
or one SymPy cannot derive or evaluate, counts as not right. Prints a Markdown report.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import matdiff

try:
    import sympy as sp
except ImportError:  # optional
    sp = None


@dataclass
class Expr:
    text: str  # matdiff's language
    wrt: str
    variables: dict[str, str]
    ref: Callable[[dict], float]  # NumPy value
    sympy: Callable[[dict], object] | None  # symbols -> SymPy expression, None: unsupported


N = 4  # concrete size for the numerical check


def _inv(v):
    return np.linalg.inv(v)


def _sig(z):
    return 1 / (1 + np.exp(-z))


EXPRS = [
    Expr("a'*x", "x", {"a": "vector n", "x": "vector n"}, lambda v: v["a"] @ v["x"],
         lambda s: s["a"].T * s["x"]),
    Expr("x'*x", "x", {"x": "vector n"}, lambda v: v["x"] @ v["x"], lambda s: s["x"].T * s["x"]),
    Expr("x'*A*x", "x", {"x": "vector n", "A": "matrix n n"},
         lambda v: v["x"] @ v["A"] @ v["x"], lambda s: s["x"].T * s["A"] * s["x"]),
    Expr("tr(A*X)", "X", {"A": "matrix n n", "X": "matrix n n"},
         lambda v: np.trace(v["A"] @ v["X"]), lambda s: sp.Trace(s["A"] * s["X"])),
    Expr("tr(X'*A)", "X", {"A": "matrix n n", "X": "matrix n n"},
         lambda v: np.trace(v["X"].T @ v["A"]), lambda s: sp.Trace(s["X"].T * s["A"])),
    Expr("tr(X*A*X')", "X", {"A": "matrix n n", "X": "matrix n n"},
         lambda v: np.trace(v["X"] @ v["A"] @ v["X"].T),
         lambda s: sp.Trace(s["X"] * s["A"] * s["X"].T)),
    Expr("tr(X'*A*X)", "X", {"A": "matrix n n", "X": "matrix n n"},
         lambda v: np.trace(v["X"].T @ v["A"] @ v["X"]),
         lambda s: sp.Trace(s["X"].T * s["A"] * s["X"])),
    Expr("a'*X*b", "X", {"a": "vector n", "X": "matrix n n", "b": "vector n"},
         lambda v: v["a"] @ v["X"] @ v["b"], lambda s: s["a"].T * s["X"] * s["b"]),
    Expr("tr(X'*X)", "X", {"X": "matrix n n"}, lambda v: np.sum(v["X"] ** 2),
         lambda s: sp.Trace(s["X"].T * s["X"])),
    Expr("det(X)", "X", {"X": "matrix n n"}, lambda v: np.linalg.det(v["X"]),
         lambda s: sp.Determinant(s["X"])),
    Expr("log(det(X))", "X", {"X": "matrix n n"}, lambda v: np.log(np.linalg.det(v["X"])),
         lambda s: sp.log(sp.Determinant(s["X"]))),
    Expr("a'*inv(X)*b", "X", {"a": "vector n", "X": "matrix n n", "b": "vector n"},
         lambda v: v["a"] @ _inv(v["X"]) @ v["b"],
         lambda s: s["a"].T * sp.Inverse(s["X"]) * s["b"]),
    Expr("norm2(A*x - b)^2", "x", {"A": "matrix n n", "x": "vector n", "b": "vector n"},
         lambda v: np.sum((v["A"] @ v["x"] - v["b"]) ** 2),
         lambda s: (s["A"] * s["x"] - s["b"]).T * (s["A"] * s["x"] - s["b"])),
    Expr("norm2(W*X - Y)^2", "W", {"W": "matrix n n", "X": "matrix n n", "Y": "matrix n n"},
         lambda v: np.sum((v["W"] @ v["X"] - v["Y"]) ** 2),
         lambda s: sp.Trace((s["W"] * s["X"] - s["Y"]).T * (s["W"] * s["X"] - s["Y"]))),
    Expr("tr(A*X*B)", "X", {"A": "matrix n n", "X": "matrix n n", "B": "matrix n n"},
         lambda v: np.trace(v["A"] @ v["X"] @ v["B"]),
         lambda s: sp.Trace(s["A"] * s["X"] * s["B"])),
    Expr("tr(inv(X)*A)", "X", {"A": "matrix n n", "X": "matrix n n"},
         lambda v: np.trace(_inv(v["X"]) @ v["A"]),
         lambda s: sp.Trace(sp.Inverse(s["X"]) * s["A"])),
    Expr("x'*A'*A*x + b'*x", "x", {"x": "vector n", "A": "matrix n n", "b": "vector n"},
         lambda v: v["x"] @ v["A"].T @ v["A"] @ v["x"] + v["b"] @ v["x"],
         lambda s: s["x"].T * s["A"].T * s["A"] * s["x"] + s["b"].T * s["x"]),
    Expr("log(1 + exp(w'*x))", "x", {"w": "vector n", "x": "vector n"},
         lambda v: np.log1p(np.exp(v["w"] @ v["x"])), None),
    Expr("-y'*log(softmax(z))", "z", {"y": "vector n", "z": "vector n"},
         lambda v: -v["y"] @ np.log(np.exp(v["z"]) / np.exp(v["z"]).sum()), None),
    Expr("0.5*norm2(relu(W*x) - y)^2", "W", {"W": "matrix n n", "x": "vector n",
                                             "y": "vector n"},
         lambda v: 0.5 * np.sum((np.maximum(v["W"] @ v["x"], 0) - v["y"]) ** 2), None),
    Expr("sum(log(1 + exp(-y .* (X*w))))", "w", {"X": "matrix n n", "w": "vector n",
                                                 "y": "vector n"},
         lambda v: np.sum(np.log1p(np.exp(-v["y"] * (v["X"] @ v["w"])))), None),
    Expr("logdet(S) + tr(inv(S)*C)", "S", {"S": "matrix n n", "C": "matrix n n"},
         lambda v: np.log(np.linalg.det(v["S"])) + np.trace(_inv(v["S"]) @ v["C"]),
         lambda s: sp.log(sp.Determinant(s["S"])) + sp.Trace(sp.Inverse(s["S"]) * s["C"])),
]


def _values(e: Expr, rng) -> dict:
    out = {}
    for name, decl in e.variables.items():
        if decl.startswith("vector"):
            out[name] = rng.normal(size=N)
        else:
            out[name] = 3 * np.eye(N) + 0.3 * rng.normal(size=(N, N))  # det > 0
    return out


def _numdiff(e: Expr, v: dict, h: float = 1e-6) -> np.ndarray:
    x = v[e.wrt]
    out = np.zeros(x.shape)
    for idx in np.ndindex(*x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        out[idx] = (e.ref({**v, e.wrt: xp}) - e.ref({**v, e.wrt: xm})) / (2 * h)
    return out


def _right(got, want) -> bool:
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    if got.shape != want.shape:
        if got.size == want.size and got.ndim == 2 and 1 in got.shape and want.ndim == 1:
            got = got.reshape(want.shape)  # a column for a vector gradient is fine
        else:
            return False
    return bool(np.allclose(got, want, rtol=1e-5, atol=1e-5 * max(1, np.abs(want).max())))


def median_time(fn: Callable[[], object], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def bench_matdiff(e: Expr, repeats: int, checks) -> tuple[float, bool]:
    def derive():
        return matdiff.derivative(e.text, wrt=e.wrt, variables=e.variables)

    t = median_time(derive, repeats)
    d = derive()
    ok = all(_right(d.evaluate(**v), _numdiff(e, v)) for v in checks)
    return t, ok


def _sympy_symbols(e: Expr, n) -> dict:
    out = {}
    for name, decl in e.variables.items():
        shape = (n, 1) if decl.startswith("vector") else (n, n)
        out[name] = sp.MatrixSymbol(name, *shape)
    return out


def bench_sympy(e: Expr, repeats: int, checks) -> tuple[float | None, bool, str]:
    if sp is None or e.sympy is None:
        return None, False, "not expressible"
    n = sp.Symbol("n", integer=True, positive=True)
    syms = _sympy_symbols(e, n)
    expr = e.sympy(syms)
    try:
        t = median_time(lambda: expr.diff(syms[e.wrt]), repeats)
        result = expr.diff(syms[e.wrt])
    except Exception as exc:  # SymPy raises many kinds of errors on unsupported input
        return None, False, f"diff fails: {type(exc).__name__}"
    try:
        concrete = _sympy_symbols(e, N)
        subs = {syms[k]: concrete[k] for k in syms}
        r = result.subs(subs).subs(n, N)
        fn = sp.lambdify([concrete[k] for k in concrete], r, "numpy")
        ok = True
        for v in checks:
            args = [v[k].reshape(-1, 1) if v[k].ndim == 1 else v[k] for k in concrete]
            ok = ok and _right(np.asarray(fn(*args), dtype=float), _numdiff(e, v))
        return t, ok, "" if ok else "wrong value or shape"
    except Exception as exc:
        return t, False, f"cannot evaluate: {type(exc).__name__}"


def _fmt(t: float | None) -> str:
    if t is None:
        return "—"
    return f"{t * 1e3:.2f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    out = ["## Derivation: matdiff vs SymPy", "",
           f"- command: `python bench/derivation.py --repeats {args.repeats}`",
           f"- SymPy {sp.__version__ if sp else 'not installed'}; first derivatives; median"
           " of the repeats; right = equal to central differences at 2 random inputs"
           f" (size {N})", "",
           "| expression | by | matdiff | right | SymPy | right | SymPy note |",
           "|---|---|---|---|---|---|---|"]
    m_ok = s_ok = s_supported = 0
    m_times, s_times = [], []
    for e in EXPRS:
        checks = [_values(e, rng) for _ in range(2)]
        mt, mok = bench_matdiff(e, args.repeats, checks)
        st, sok, note = bench_sympy(e, args.repeats, checks)
        m_ok += mok
        s_ok += sok
        s_supported += e.sympy is not None
        m_times.append(mt)
        if st is not None:
            s_times.append(st)
        out.append(f"| `{e.text}` | {e.wrt} | {_fmt(mt)} | {'yes' if mok else 'NO'} |"
                   f" {_fmt(st)} | {'yes' if sok else 'no'} | {note} |")
    out.append("")
    out.append(f"matdiff right on {m_ok}/{len(EXPRS)}, median {_fmt(statistics.median(m_times))}"
               f" per derivation; SymPy right on {s_ok}/{len(EXPRS)} ({s_supported} expressible"
               " with MatrixSymbol), median "
               f"{_fmt(statistics.median(s_times)) if s_times else '—'}.")
    print("\n".join(out))


if __name__ == "__main__":
    main()
