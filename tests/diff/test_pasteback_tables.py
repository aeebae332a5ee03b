"""Every printed result pastes back (issue 9, fault class 5): table-driven.

Correctness of the promise in the README: for every row of SPEC §2's acceptance table
and every identity of the Matrix Cookbook table (tests/diff/test_acceptance.py and
test_cookbook.py), at orders 1 and 2 wherever the engine prints a matrix form, the
printed text read back with the row's own declarations

- has exactly the derivative's symbolic shape (no squeezing forgiven), and
- evaluates, at random inputs honouring the row's domains, to the derivative's value:
  the pasted node against the printed node by the reference evaluator, and both against
  `d.evaluate` (which the tables check against finite differences and closed forms).

Plus the issue's reproductions: fills that nothing else sizes print with their sizes.
"""

from __future__ import annotations

import importlib.util
import pathlib
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import matdiff
from matdiff.backends.evaluate import bind_sizes, concrete_shape, evaluate
from matdiff.errors import MatdiffError

HERE = pathlib.Path(__file__).parent


def _load(name: str):
    """A sibling test module, loaded once (its tables are what this file walks)."""
    key = f"_matdiff_tables_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, HERE / f"{name}.py")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[key] = mod
        spec.loader.exec_module(mod)
    return sys.modules[key]


ACCEPTANCE = _load("test_acceptance")
COOKBOOK = _load("test_cookbook")
H = ACCEPTANCE.H
DEFAULT_SIZES = {"n": 3, "m": 4, "p": 2}


@dataclass
class Case:
    id: str
    f: str
    wrt: str
    order: int
    variables: dict[str, str]
    domains: dict[str, str]
    kwargs: dict[str, Any]
    sizes: dict[str, int]


def _cases() -> list[Case]:
    out = []
    rows = [(f"acceptance {r.id}", r, DEFAULT_SIZES) for r in ACCEPTANCE.ROWS]
    rows += [(f"cookbook {c.id}", c, c.sizes[0]) for c in COOKBOOK.IDS]
    for name, r, sizes in rows:
        kwargs = dict(r.kwargs)
        orders = [kwargs.pop("order")] if "order" in kwargs else [1, 2]
        for k in orders:
            out.append(Case(f"{name} order {k}", r.f, r.wrt, k, r.variables, r.domains,
                            kwargs, sizes))
    return out


CASES = _cases()


def _derive(c: Case):
    """The derivative, or None where order 2 is refused (a vector function's Hessian)."""
    try:
        return matdiff.derivative(c.f, wrt=c.wrt, order=c.order, variables=c.variables,
                                  **c.kwargs)
    except MatdiffError:
        if c.order == 1:
            raise
        return None


_printed: list[str] = []  # ids of cases that printed a matrix form (checked below)


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_printed_result_pastes_back_exactly(c: Case):
    d = _derive(c)
    if d is None or d.expr is None:
        # no matrix form is printed (a differential or an index form): nothing to paste;
        # the count below makes sure most cases do print one
        assert d is None or not str(d).startswith(("zeros", "ones"))
        return
    _printed.append(c.id)
    text = str(d)
    back = matdiff.parse(text, variables=dict(c.variables))
    assert back.shape == d.expr.shape, (
        f"{text!r} re-reads as {back.shape}, printed from {d.expr.shape}")
    vals = H.sample(np.random.default_rng(7), c.variables, c.sizes, c.domains)
    sizes = bind_sizes([d.function, *d.wrt], vals)
    want = evaluate(d.expr, vals, sizes=sizes)
    got = evaluate(back, vals, sizes=sizes)
    assert got.shape == want.shape == concrete_shape(d.expr.shape, sizes)
    scale = max(1.0, float(np.max(np.abs(want))))
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9 * scale,
                               err_msg=f"pasted {text!r} differs from the derivative")
    value = np.asarray(d.evaluate(**vals))
    assert value.size == got.size
    if value.ndim != 3:  # the helper lays out 2-D and Kronecker (4-D) values
        H.assert_pasteable(d, c.variables, vals)  # and against d.evaluate's layout
    else:  # a Jacobian's Jacobian: the same entries (all zero in the tables)
        np.testing.assert_allclose(np.sort(got.ravel()), np.sort(value.ravel()), atol=1e-9)


def test_most_cases_print_a_matrix_form():
    """Guards the table walk above from becoming vacuous."""
    for c in CASES:
        d = _derive(c)
        if d is not None and d.expr is not None:
            _printed.append(c.id)
    assert len(set(_printed)) >= 0.6 * len(CASES)


# ------------------------------------------------------------- the issue's examples


@dataclass
class Repro:
    f: str
    wrt: str
    order: int
    variables: dict[str, str]
    printed: str
    shape: tuple  # the printed node's symbolic shape


REPROS = [
    # a zero derivative, printed sized: re-read at n²×n², not n×n
    Repro("P^0", "P", 1, {"P": "matrix n n"}, "zeros(n*n, n*n)", ("n*n", "n*n")),
    Repro("x'*(A - A)*x", "x", 1, {"A": "matrix n n", "x": "vector n"}, "zeros(n, 1)",
          ("n", 1)),
    Repro("tr(A)", "B", 1, {"A": "matrix n n", "B": "matrix n m"}, "zeros(n, m)",
          ("n", "m")),
    # a nonzero fill that nothing sizes
    Repro("A' + b", "b", 1, {"A": "matrix n m", "b": "scalar"}, "ones(m, n)", ("m", "n")),
    Repro("sum(W)^2", "W", 2, {"W": "matrix m n"}, "2*ones(m*n, m*n)", ("m*n", "m*n")),
    # no reshape of a fill: the fill itself
    Repro("sum(vec(W))", "W", 1, {"W": "matrix m n"}, "ones(m, n)", ("m", "n")),
    Repro("sum(x)", "x", 1, {"x": "vector n"}, "ones(n, 1)", ("n", 1)),
    Repro("x'*A*x", "x", 2, {"x": "vector n", "A": "matrix n n"}, "A + A'", ("n", "n")),
    # fills that the rest of the expression sizes keep matrixcalculus.org's forms
    Repro("norm2(x - 1)^2", "x", 1, {"x": "vector n"}, "2*x - 2", ("n", 1)),
    Repro("sum(exp(A*x + 1))", "x", 1, {"x": "vector n", "A": "matrix m n"},
          "A'*exp(1 + A*x)", ("n", 1)),
]


@pytest.mark.parametrize("r", REPROS, ids=[r.f + " by " + r.wrt for r in REPROS])
def test_issue_example_printed_form(r: Repro):
    d = matdiff.derivative(r.f, wrt=r.wrt, order=r.order, variables=r.variables)
    assert str(d) == r.printed


@pytest.mark.parametrize("r", REPROS, ids=[r.f + " by " + r.wrt for r in REPROS])
def test_issue_example_pastes_back(r: Repro):
    decls = dict(r.variables)
    d = matdiff.derivative(r.f, wrt=r.wrt, order=r.order, variables=decls)
    back = matdiff.parse(str(d), variables=decls)
    assert back.shape == r.shape
    sizes = {"n": 3, "m": 2, "k": 4, "p": 6}
    vals = H.sample(np.random.default_rng(1), decls, sizes)
    np.testing.assert_allclose(evaluate(back, vals, sizes=sizes),
                               evaluate(d.expr, vals, sizes=sizes), rtol=1e-12)
    H.assert_pasteable(d, decls, vals)


def test_reshape_is_in_the_language_and_pastes_back():
    """`z'*vec(W)` by W is reshape(z, m, n) (z of size m*n, inferred): MATLAB's
    column-major reshape, checked against NumPy's order='F' reshape."""
    d = matdiff.derivative("z'*vec(W)", wrt="W", variables={"W": "matrix m n"})
    assert str(d) == "reshape(z, m, n)"
    back = matdiff.parse(str(d), variables={"W": "matrix m n"})
    assert back is d.expr and back.shape == ("m", "n")
    z = np.arange(6.0)
    W = np.ones((2, 3))
    np.testing.assert_array_equal(d.evaluate(z=z, W=W), z.reshape((2, 3), order="F"))
    np.testing.assert_array_equal(evaluate(back, {"z": z}, sizes={"m": 2, "n": 3}),
                                  z.reshape((2, 3), order="F"))


# Found by the differential fuzzer (helper fuzz, /work/findings/fuzz.md): printed
# results that did not read back (unsized zero Hessians, a block of fills, a fill of a
# long scalar).
FUZZ_FOUND = [
    ("tr(A)", "A", 2, {"A": "matrix p p"}),
    ("u'", "u", 2, {"u": "vector p"}),
    ("(vector(2) .* u)'*u", "u", 2, {"u": "vector n"}),
    ("log(sigmoid(a)*a) + A", "a", 2, {"a": "scalar positive", "A": "matrix m p positive"}),
    ("[u + u, u + a]*[u'; v']*(v'*u + A*B)", "a", 1,
     {"u": "vector m", "a": "scalar", "v": "vector m", "A": "matrix m p", "B": "matrix p p"}),
    ("tanh(a) - (u - a)", "a", 1, {"a": "scalar", "u": "vector n"}),
    ("a'*X'*b", "X", 2, {"a": "vector n", "X": "matrix n n symmetric", "b": "vector n"}),
    ("sigmoid(sum(u))", "u", 2, {"u": "vector m"}),
    ("norm2((u + 0.5 + (a - u))/b)", "b", 1, {"u": "vector p", "a": "scalar", "b": "scalar"}),
]


@pytest.mark.parametrize("f, wrt, order, decls", FUZZ_FOUND,
                         ids=[f"{f} by {w} order {k}" for f, w, k, _ in FUZZ_FOUND])
def test_fuzz_findings_paste_back(f, wrt, order, decls):
    d = matdiff.derivative(f, wrt=wrt, order=order, variables=decls)
    back = matdiff.parse(str(d), variables=decls)
    assert back.shape == d.expr.shape
    sizes = {"n": 3, "m": 2, "p": 4}
    vals = H.sample(np.random.default_rng(2), decls, sizes,
                    {"a": "positive"} if "positive" in decls.get("a", "") else None)
    np.testing.assert_allclose(evaluate(back, vals, sizes=sizes),
                               evaluate(d.expr, vals, sizes=sizes), rtol=1e-10, atol=1e-12)


def test_a_fill_inside_a_norm_keeps_its_entries():
    """The fuzzer's wrong number: norm2 of the p-vector (0.5 + a)/b printed the fill as
    the bare scalar, too small by sqrt(p). Closed form: d/db |(0.5 + a)/b|*sqrt(p)."""
    decls = {"u": "vector p", "a": "scalar", "b": "scalar"}
    d = matdiff.derivative("norm2((u + 0.5 + (a - u))/b)", wrt="b", variables=decls)
    back = matdiff.parse(str(d), variables=decls)
    a, b_, p = 0.3, 0.7, 4
    want = -np.sqrt(p) * abs(0.5 + a) / b_**2
    vals = {"u": np.ones(p), "a": a, "b": b_}
    for node in (d.expr, back):
        np.testing.assert_allclose(evaluate(node, vals, sizes={"p": p}), [[want]], rtol=1e-12)
