"""Derivation time and correctness: matdiff against SymPy's and tensorgrad's matrix calculus.

    python bench/derivation.py [--repeats 5]

For each expression (SPEC §2's table and a few more): the median time to derive the
first derivative with matdiff (`matdiff.derivative`), with SymPy (`MatrixSymbol`
expressions, `.diff`) and with tensorgrad (`Variable`s with edges of symbolic size n,
`.grad(x).simplify()`, which resolves the derivative by the chain rule), and whether
each result is right, checked by numbers: the derivative evaluated at random inputs
against central finite differences of a NumPy reference, in matdiff's layout (gradient
the shape of the variable). SymPy's result is evaluated by substituting a concrete size
and `lambdify`; tensorgrad's by its own compiler (`compile_to_callable`: the generated
torch kernel, specialised to the concrete size). A result of the wrong shape, or one a
tool cannot derive or evaluate, counts as not right. SymPy and tensorgrad are optional:
a missing one's columns are left out. Prints a Markdown report.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata

import numpy as np

import matdiff

try:
    import sympy as sp
except ImportError:  # optional
    sp = None

try:
    import tensorgrad as tg
    import tensorgrad.functions as tgf
    import torch
    from tensorgrad.compiler.runtime import compile_to_callable
except ImportError:  # optional
    tg = None


@dataclass
class Expr:
    text: str  # matdiff's language
    wrt: str
    variables: dict[str, str]
    ref: Callable[[dict], float]  # NumPy value
    sympy: Callable[[dict], object] | None  # symbols -> SymPy expression, None: unsupported
    tensorgrad: Callable[[dict], object] | None = None  # tensorgrad Variables -> expression


N = 4  # concrete size for the numerical check


def _inv(v):
    return np.linalg.inv(v)


def _sig(z):
    return 1 / (1 + np.exp(-z))


# tensorgrad: a vector has one edge i, a matrix edges (i, j), all of symbolic size n.
def _tT(m):
    return m.rename(i="j", j="i")


def _tmm(a, b):  # matrix (i, j) times matrix (i, j) or vector (i)
    return a.rename(j="k") @ b.rename(i="k")


def _tsq(r):  # squared norm of a vector
    return r @ r


def _tinv(m):  # tensorgrad's inverse pairs same-named edges (X, inverse(X) contract over i
    return _tT(tgf.inverse(m))  # to the identity), i.e. it is X^-T in the (i, j) layout


EXPRS = [
    Expr("a'*x", "x", {"a": "vector n", "x": "vector n"}, lambda v: v["a"] @ v["x"],
         lambda s: s["a"].T * s["x"],
         lambda t: t["a"] @ t["x"]),
    Expr("x'*x", "x", {"x": "vector n"}, lambda v: v["x"] @ v["x"], lambda s: s["x"].T * s["x"],
         lambda t: t["x"] @ t["x"]),
    Expr("x'*A*x", "x", {"x": "vector n", "A": "matrix n n"},
         lambda v: v["x"] @ v["A"] @ v["x"], lambda s: s["x"].T * s["A"] * s["x"],
         lambda t: t["x"] @ _tmm(t["A"], t["x"])),
    Expr("tr(A*X)", "X", {"A": "matrix n n", "X": "matrix n n"},
         lambda v: np.trace(v["A"] @ v["X"]), lambda s: sp.Trace(s["A"] * s["X"]),
         lambda t: tgf.trace(_tmm(t["A"], t["X"]))),
    Expr("tr(X'*A)", "X", {"A": "matrix n n", "X": "matrix n n"},
         lambda v: np.trace(v["X"].T @ v["A"]), lambda s: sp.Trace(s["X"].T * s["A"]),
         lambda t: tgf.trace(_tmm(_tT(t["X"]), t["A"]))),
    Expr("tr(X*A*X')", "X", {"A": "matrix n n", "X": "matrix n n"},
         lambda v: np.trace(v["X"] @ v["A"] @ v["X"].T),
         lambda s: sp.Trace(s["X"] * s["A"] * s["X"].T),
         lambda t: tgf.trace(_tmm(_tmm(t["X"], t["A"]), _tT(t["X"])))),
    Expr("tr(X'*A*X)", "X", {"A": "matrix n n", "X": "matrix n n"},
         lambda v: np.trace(v["X"].T @ v["A"] @ v["X"]),
         lambda s: sp.Trace(s["X"].T * s["A"] * s["X"]),
         lambda t: tgf.trace(_tmm(_tmm(_tT(t["X"]), t["A"]), t["X"]))),
    Expr("a'*X*b", "X", {"a": "vector n", "X": "matrix n n", "b": "vector n"},
         lambda v: v["a"] @ v["X"] @ v["b"], lambda s: s["a"].T * s["X"] * s["b"],
         lambda t: t["a"] @ _tmm(t["X"], t["b"])),
    Expr("tr(X'*X)", "X", {"X": "matrix n n"}, lambda v: np.sum(v["X"] ** 2),
         lambda s: sp.Trace(s["X"].T * s["X"]),
         lambda t: tgf.trace(_tmm(_tT(t["X"]), t["X"]))),
    Expr("det(X)", "X", {"X": "matrix n n"}, lambda v: np.linalg.det(v["X"]),
         lambda s: sp.Determinant(s["X"]),
         lambda t: tgf.det(t["X"])),
    Expr("log(det(X))", "X", {"X": "matrix n n"}, lambda v: np.log(np.linalg.det(v["X"])),
         lambda s: sp.log(sp.Determinant(s["X"])),
         lambda t: tgf.log(tgf.det(t["X"]))),
    Expr("a'*inv(X)*b", "X", {"a": "vector n", "X": "matrix n n", "b": "vector n"},
         lambda v: v["a"] @ _inv(v["X"]) @ v["b"],
         lambda s: s["a"].T * sp.Inverse(s["X"]) * s["b"],
         lambda t: t["a"] @ _tmm(_tinv(t["X"]), t["b"])),
    Expr("norm2(A*x - b)^2", "x", {"A": "matrix n n", "x": "vector n", "b": "vector n"},
         lambda v: np.sum((v["A"] @ v["x"] - v["b"]) ** 2),
         lambda s: (s["A"] * s["x"] - s["b"]).T * (s["A"] * s["x"] - s["b"]),
         lambda t: _tsq(_tmm(t["A"], t["x"]) - t["b"])),
    Expr("norm2(W*X - Y)^2", "W", {"W": "matrix n n", "X": "matrix n n", "Y": "matrix n n"},
         lambda v: np.sum((v["W"] @ v["X"] - v["Y"]) ** 2),
         lambda s: sp.Trace((s["W"] * s["X"] - s["Y"]).T * (s["W"] * s["X"] - s["Y"])),
         lambda t: tgf.frobenius2(_tmm(t["W"], t["X"]) - t["Y"])),
    Expr("tr(A*X*B)", "X", {"A": "matrix n n", "X": "matrix n n", "B": "matrix n n"},
         lambda v: np.trace(v["A"] @ v["X"] @ v["B"]),
         lambda s: sp.Trace(s["A"] * s["X"] * s["B"]),
         lambda t: tgf.trace(_tmm(_tmm(t["A"], t["X"]), t["B"]))),
    Expr("tr(inv(X)*A)", "X", {"A": "matrix n n", "X": "matrix n n"},
         lambda v: np.trace(_inv(v["X"]) @ v["A"]),
         lambda s: sp.Trace(sp.Inverse(s["X"]) * s["A"]),
         lambda t: tgf.trace(_tmm(_tinv(t["X"]), t["A"]))),
    Expr("x'*A'*A*x + b'*x", "x", {"x": "vector n", "A": "matrix n n", "b": "vector n"},
         lambda v: v["x"] @ v["A"].T @ v["A"] @ v["x"] + v["b"] @ v["x"],
         lambda s: s["x"].T * s["A"].T * s["A"] * s["x"] + s["b"].T * s["x"],
         lambda t: t["x"] @ _tmm(_tT(t["A"]), _tmm(t["A"], t["x"])) + t["b"] @ t["x"]),
    Expr("log(1 + exp(w'*x))", "x", {"w": "vector n", "x": "vector n"},
         lambda v: np.log1p(np.exp(v["w"] @ v["x"])), None,
         lambda t: tgf.log(1 + tgf.exp(t["w"] @ t["x"]))),
    Expr("-y'*log(softmax(z))", "z", {"y": "vector n", "z": "vector n"},
         lambda v: -v["y"] @ np.log(np.exp(v["z"]) / np.exp(v["z"]).sum()), None,
         lambda t: -(t["y"] @ tgf.log(tgf.softmax(t["z"], dim="i")))),
    Expr("0.5*norm2(relu(W*x) - y)^2", "W", {"W": "matrix n n", "x": "vector n",
                                             "y": "vector n"},
         lambda v: 0.5 * np.sum((np.maximum(v["W"] @ v["x"], 0) - v["y"]) ** 2), None,
         lambda t: 0.5 * _tsq(tgf.relu(_tmm(t["W"], t["x"])) - t["y"])),
    Expr("sum(log(1 + exp(-y .* (X*w))))", "w", {"X": "matrix n n", "w": "vector n",
                                                 "y": "vector n"},
         lambda v: np.sum(np.log1p(np.exp(-v["y"] * (v["X"] @ v["w"])))), None,
         lambda t: tgf.sum(tgf.log(1 + tgf.exp(-t["y"] * _tmm(t["X"], t["w"]))))),
    Expr("logdet(S) + tr(inv(S)*C)", "S", {"S": "matrix n n", "C": "matrix n n"},
         lambda v: np.log(np.linalg.det(v["S"])) + np.trace(_inv(v["S"]) @ v["C"]),
         lambda s: sp.log(sp.Determinant(s["S"])) + sp.Trace(sp.Inverse(s["S"]) * s["C"]),
         lambda t: tgf.log(tgf.det(t["S"])) + tgf.trace(_tmm(_tinv(t["S"]), t["C"]))),
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


def _tensorgrad_variables(e: Expr) -> dict:
    n = sp.Symbol("n")
    return {name: tg.Variable(name, i=n) if decl.startswith("vector") else
            tg.Variable(name, i=n, j=n) for name, decl in e.variables.items()}


def _tensorgrad_eval(tensor, v: dict, edges=()) -> np.ndarray:
    """A tensorgrad expression at the inputs v, by its compiler, axes in `edges` order.

    The compiled program's own call (and tensorgrad.extras.evaluate) take torch named
    tensors, which torch 2.13 no longer has ('Tensor' object has no attribute 'names'),
    so the generated kernel is called on plain tensors in the program's variable order
    and edge order, and its output laid out in the order asked for."""
    prog = compile_to_callable(tensor)
    kernel = prog.codegen.specialize({sp.Symbol("n"): N}, verbose=False, dtype=torch.float64,
                                     for_inductor=False)
    args = [torch.tensor(v[var.name]) for var in prog.vars]  # edges (i, j) = NumPy's order
    for var in prog.vars:
        assert tuple(var.edges) in (("i",), ("i", "j")), var
    with torch.no_grad():
        out = kernel(*args)[0]
    perm, names = prog._wrap_plans[0]
    if perm is not None:
        out = out.permute(perm)
    names = list(names)
    return out.permute([names.index(edge) for edge in edges]).numpy()


def bench_tensorgrad(e: Expr, repeats: int, checks) -> tuple[float | None, bool, str]:
    if tg is None or e.tensorgrad is None:
        return None, False, "not expressible"
    samples = []
    try:
        for _ in range(repeats):  # fresh expression each time: tensorgrad memoises on nodes
            tv = _tensorgrad_variables(e)
            expr = e.tensorgrad(tv)
            t0 = time.perf_counter()
            result = expr.grad(tv[e.wrt]).simplify()
            samples.append(time.perf_counter() - t0)
    except Exception as exc:
        return None, False, f"grad fails: {type(exc).__name__}"
    t = statistics.median(samples)
    try:
        if not all(np.isclose(_tensorgrad_eval(expr, v), e.ref(v)) for v in checks):
            return t, False, "expression's value differs from the reference (bench bug)"
        ok = all(_right(_tensorgrad_eval(result, v, tuple(tv[e.wrt].edges)), _numdiff(e, v))
                 for v in checks)
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
    tools = []  # (name, bench function)
    if sp is not None:
        tools.append(("SymPy", bench_sympy))
    if tg is not None:
        tools.append(("tensorgrad", bench_tensorgrad))
    versions = [f"SymPy {sp.__version__}" if sp else "SymPy not installed",
                f"tensorgrad {metadata.version('tensorgrad')} (torch {torch.__version__})"
                if tg else "tensorgrad not installed"]
    head = "| expression | by | matdiff | right |"
    rule = "|---|---|---|---|"
    for name, _ in tools:
        head += f" {name} | right | {name} note |"
        rule += "---|---|---|"
    peers = " and ".join(name for name, _ in tools)
    out = ["## Derivation: matdiff" + (f" vs {peers}" if peers else ""), "",
           f"- command: `python bench/derivation.py --repeats {args.repeats}`",
           f"- {'; '.join(versions)}; first derivatives; median of the repeats; right ="
           f" equal to central differences at 2 random inputs (size {N})",
           "- SymPy: `MatrixSymbol` expression `.diff(X)`; tensorgrad:"
           " `expr.grad(X).simplify()` on `Variable`s with edges of symbolic size n"
           " (built fresh for each repeat, outside the timing), evaluated by its compiler",
           "", head, rule]
    m_ok, m_times = 0, []
    t_ok = {name: 0 for name, _ in tools}
    t_times = {name: [] for name, _ in tools}
    t_supported = {"SymPy": sum(e.sympy is not None for e in EXPRS),
                   "tensorgrad": sum(e.tensorgrad is not None for e in EXPRS)}
    for e in EXPRS:
        checks = [_values(e, rng) for _ in range(2)]
        mt, mok = bench_matdiff(e, args.repeats, checks)
        m_ok += mok
        m_times.append(mt)
        row = f"| `{e.text}` | {e.wrt} | {_fmt(mt)} | {'yes' if mok else 'NO'} |"
        for name, bench in tools:
            t, ok, note = bench(e, args.repeats, checks)
            t_ok[name] += ok
            if t is not None:
                t_times[name].append(t)
            row += f" {_fmt(t)} | {'yes' if ok else 'no'} | {note} |"
        out.append(row)
    out.append("")
    summary = (f"matdiff right on {m_ok}/{len(EXPRS)}, median"
               f" {_fmt(statistics.median(m_times))} per derivation")
    for name, _ in tools:
        how = "with MatrixSymbol" if name == "SymPy" else "with Variables"
        ts = t_times[name]
        summary += (f"; {name} right on {t_ok[name]}/{len(EXPRS)} ({t_supported[name]}"
                    f" expressible {how}), median {_fmt(statistics.median(ts)) if ts else '—'}")
    out.append(summary + ".")
    print("\n".join(out))


if __name__ == "__main__":
    main()
