"""Exploration (rewrite/explore.py) and its equalities (rewrite/equalities.py).

Correctness tests: every equality of the table offers a form on each of its examples,
and every form it offers there is numerically equal to the node it replaces, at random
inputs honouring the declarations (NumPy evaluation of both sides by the engine's
evaluator: a consistency check of the rewrite, not of a derivative). Then the driver:
exploring never changes a value (each textbook-table derivative against the same
derivative with exploration off, at random inputs), the printed forms it shortens are
the ones asserted below, and simplifying twice changes nothing.
"""

from __future__ import annotations

import importlib.util
import pathlib
import sys

import numpy as np
import pytest

import matdiff
from matdiff.backends.evaluate import evaluate
from matdiff.ir.walk import topological
from matdiff.parse import parse
from matdiff.rewrite import driver
from matdiff.rewrite.cost import cost, flops
from matdiff.rewrite.equalities import EQUALITIES
from matdiff.rewrite.explore import explore
from matdiff.verify.sample import sample_values

CASES = [pytest.param(eq, text, decl, id=f"{eq.name}:{text}")
         for eq in EQUALITIES for text, decl in eq.examples]


def test_every_equality_is_named_documented_and_has_examples():
    names = [eq.name for eq in EQUALITIES]
    assert len(names) == len(set(names))
    for eq in EQUALITIES:
        assert eq.examples and eq.doc and "=" in eq.doc, eq.name


@pytest.mark.parametrize("eq,text,decl", CASES)
def test_equality_offers_forms_that_keep_the_value(eq, text, decl):
    e = parse(text, decl or None)
    sites = [(n, m) for n in topological([e]) if n.op == eq.op for m in eq.forms(n)]
    assert sites, f"{eq.name} offers nothing on {text}"
    rng = np.random.default_rng(3)
    for _ in range(2):
        values, sizes = sample_values([e], rng)
        for n, m in sites:
            assert m.shape == n.shape
            np.testing.assert_allclose(
                evaluate(m, values, sizes=sizes), evaluate(n, values, sizes=sizes),
                rtol=1e-9, atol=1e-10, err_msg=f"{eq.name}: {n} -> {m}")


@pytest.mark.parametrize("eq,text,decl", CASES)
def test_simplify_with_exploration_keeps_value_and_is_idempotent(eq, text, decl):
    e = parse(text, decl or None)
    s = driver.simplify(e)
    assert driver.simplify(s) is s
    rng = np.random.default_rng(5)
    values, sizes = sample_values([e], rng)
    np.testing.assert_allclose(evaluate(s, values, sizes=sizes), evaluate(e, values),
                               rtol=1e-9, atol=1e-10)


# Derivatives whose printed form exploration shortens (bench/textbook_forms.py lists
# them): (function, variable, order, declarations, forward form, explored form).
SHORTER = [
    ("t*exp(t)", "t", 1, {"t": "scalar"}, "exp(t) + t*exp(t)", "exp(t)*(1 + t)"),
    ("exp(-t^2)", "t", 2, {"t": "scalar"}, "2*exp(-t^2)*(2*t^2 - 1)",
     "exp(-t^2)*(4*t^2 - 2)"),
    ("u'*x/(v'*x)", "x", 1, {"u": "vector n", "v": "vector n", "x": "vector n"},
     "u/(v'*x) - u'*x*v/((v'*x)^2)", "(u - u'*x*v/(v'*x))/(v'*x)"),
    ("x'*S*x/(x'*x)", "x", 1, {"S": "matrix n n symmetric", "x": "vector n"},
     "2*(S*x/(x'*x) - x'*S*x*x/((x'*x)^2))", "2*(S*x - x'*S*x*x/(x'*x))/(x'*x)"),
    ("x/norm2(x)", "x", 1, {"x": "vector n"}, "eye(n)/norm2(x) - x*x'/(norm2(x)^3)",
     "(eye(n) - x*x'/(x'*x))/norm2(x)"),
    ("norm2(x)", "x", 2, {"x": "vector n"}, "eye(n)/norm2(x) - x*x'/(norm2(x)^3)",
     "(eye(n) - x*x'/(x'*x))/norm2(x)"),
]


def _derive(f, wrt, order, decl, rounds):
    saved = driver.EXPLORE_ROUNDS
    driver.EXPLORE_ROUNDS = rounds
    try:
        return matdiff.derivative(f, wrt=wrt, variables=decl, order=order)
    finally:
        driver.EXPLORE_ROUNDS = saved


@pytest.mark.parametrize("f,wrt,order,decl,before,after", SHORTER, ids=[s[0] for s in SHORTER])
def test_exploration_prints_the_shorter_form(f, wrt, order, decl, before, after):
    plain = _derive(f, wrt, order, decl, 0)
    explored = _derive(f, wrt, order, decl, driver.EXPLORE_ROUNDS)
    assert str(plain) == before
    assert str(explored) == after
    assert len(after) < len(before)
    assert driver.simplify(explored.expr) is explored.expr  # a fixed point of simplify
    rng = np.random.default_rng(1)
    values, _ = sample_values(matdiff.parse(f, decl), rng)
    np.testing.assert_allclose(explored.evaluate(**values), plain.evaluate(**values),
                               rtol=1e-9, atol=1e-12)


def _table():
    name = "_matdiff_textbook_table"
    if name not in sys.modules:
        path = pathlib.Path(__file__).parents[2] / "bench" / "textbook_table.py"
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name].TABLE


@pytest.mark.parametrize("entry", _table(), ids=lambda e: f"{e.f} by {e.wrt} ({e.order})")
def test_exploration_never_changes_a_value_nor_lengthens(entry):
    plain = _derive(entry.f, entry.wrt, entry.order, entry.variables, 0)
    explored = _derive(entry.f, entry.wrt, entry.order, entry.variables,
                       driver.EXPLORE_ROUNDS)
    assert len(str(explored)) <= len(str(plain)), (str(plain), str(explored))
    rng = np.random.default_rng(2)
    values, _ = sample_values(matdiff.parse(entry.f, entry.variables), rng)
    np.testing.assert_allclose(np.asarray(explored.evaluate(**values), dtype=float),
                               np.asarray(plain.evaluate(**values), dtype=float),
                               rtol=1e-7, atol=1e-9)


def test_cost_is_length_then_flops():
    short = parse("(A + B)*x", {"A": "matrix n n", "B": "matrix n n"})
    long = parse("A*x + B*x", {"A": "matrix n n", "B": "matrix n n"})
    assert cost(short) < cost(long)
    # a chain is priced left to right as written, sizes standing for 100: A*B then *x
    chain = parse("A*B*x", {"A": "matrix n n", "B": "matrix n n"})
    assert flops(chain) == 100**3 + 100**2
    assert flops(parse("x'*x")) == 100  # a transpose is free (a view)


def test_explore_returns_the_start_when_nothing_is_cheaper():
    e = parse("A*x")
    assert explore(e) is e
    out = explore(parse("exp(t) + t*exp(t)", {"t": "scalar"}))
    assert str(out) == "exp(t)*(1 + t)"


def test_trace_names_the_equalities_used():
    trace: list = []
    out = driver.simplify(parse("exp(t) + t*exp(t)", {"t": "scalar"}), trace=trace)
    assert str(out) == "exp(t)*(1 + t)"
    assert [name for name, _, _ in trace] == ["factor-scalar"]


def test_multiplying_out_is_kept_only_when_it_pays():
    """Distributing is a stepping stone: tr(A*(X + Y)) - tr(A*Y) becomes tr(A*X) (the
    terms cancel once multiplied out and the trace split; the forward rules alone leave
    it), while s .* (1 - s) is not spread into s - s.^2 for a few characters."""
    e = parse("tr(A*(X + Y)) - tr(A*Y)")
    assert str(driver.simplify(e, explore=False)) == "tr(A*(X + Y)) - tr(A*Y)"
    trace: list = []
    assert str(driver.simplify(e, trace=trace)) == "tr(A*X)"
    assert "distribute-product" in [name for name, _, _ in trace]
    s = parse("sigmoid(z) .* (1 - sigmoid(z))")
    assert driver.simplify(s) is driver.simplify(s, explore=False)
    rng = np.random.default_rng(4)
    values, sizes = sample_values([e], rng)
    np.testing.assert_allclose(evaluate(driver.simplify(e), values, sizes=sizes),
                               evaluate(e, values, sizes=sizes), rtol=1e-9, atol=1e-12)
