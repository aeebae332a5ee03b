"""Random well-typed expressions built from the op table (Hypothesis), up to 6 deep.

Every op of `matdiff.ir.ops.RECORDS` is generated, det, inv, logdet, kron, block, expm
included, with its arguments guarded into its domain (tests/diff/op_strategy.py). The
properties, each run for the active Hypothesis profile's examples (tests/conftest.py:
`ci` by default, `HYPOTHESIS_PROFILE=deep` for a long local run):

- correctness: the first derivative equals central finite differences of the function's
  value; the Hessian equals finite differences of the gradient; the differential d(f)
  at (X, dX) equals the directional difference of f along dX (finite differences are
  independent of the symbolic rules);
- simplify keeps the value and is idempotent;
- printing then parsing gives the same text back and the same value;
- consistency (not an independent reference): the generated NumPy code computes what
  the engine's own evaluator computes.
"""

from __future__ import annotations

import importlib.util
import pathlib
import sys

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import matdiff
from matdiff.backends.codegen import compile_function
from matdiff.backends.evaluate import evaluate, to_user, walk
from matdiff.backends.text import to_text
from matdiff.diff.derivative import take_derivative
from matdiff.errors import NoMatrixForm
from matdiff.ir.node import dvar_key
from matdiff.ir.ops import RECORDS
from matdiff.parse import parse
from matdiff.rewrite.driver import simplify


def _load(name: str, file: str):
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, pathlib.Path(__file__).with_name(file))
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


S = _load("_matdiff_op_strategy", "op_strategy.py")
H = _load("_matdiff_diff_helpers", "conftest.py")

DEPTH = 6
LIMIT = 1e6  # values beyond this lose the digits finite differences need


def value(e, values):
    return to_user(evaluate(e, values, sizes={"n": S.SIZE}), e.shape)


def tame(*arrays) -> None:
    """Reject an example whose numbers are not finite or too large to difference."""
    for a in arrays:
        a = np.asarray(a, dtype=float)
        assume(np.all(np.isfinite(a)) and (a.size == 0 or np.max(np.abs(a)) < LIMIT))


def assert_near(got, want, what: str, rtol: float = 1e-4) -> None:
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    assert got.shape == want.shape, f"{what}: shape {got.shape} vs {want.shape}"
    scale = max(1.0, float(np.max(np.abs(want))) if want.size else 1.0)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-6 * scale, err_msg=what)


@st.composite
def function_and_variable(draw, kinds: str = "SVM"):
    e = draw(st.sampled_from(kinds).flatmap(lambda k: S.expressions(k, DEPTH)))
    variables = S.free_vars(e)
    assume(variables)
    # A derivative's value needs n from the variables' values (`a*sum(eye(n))` has none)
    assume(S.sizes_known(e))
    return e, variables[draw(st.sampled_from(sorted(variables)))]


def derive(e, var, order=1):
    """take_derivative, rejecting the one documented refusal: d expm(X) for a general X
    (no closed matrix form; matdiff differentiates expm(s*A) with A constant)."""
    try:
        return take_derivative(e, [var], order=order)
    except NoMatrixForm as err:
        assert "expm" in err.message, err.message
        assume(False)
        raise


def at(values, name, z):
    return {**values, name: z}


# ------------------------------------------------------------------ the op table


def test_every_op_of_the_table_is_generated():
    """An op added to RECORDS without a builder here fails (dvar comes from differentials)."""
    assert set(S.BUILDERS) | {"dvar"} == set(RECORDS)
    assert {op.domain for op in RECORDS.values()} <= set(S.GUARDS)


@pytest.mark.parametrize("op", sorted(S.BUILDERS))
def test_each_builder_makes_its_op(op):
    """No fold of the builders hides the op (x + y stays an add, log(g(x)) a log)."""
    leaves = {k: iter(S.VARS[k] * 3) for k in "SVM"}
    for kind, arg_kinds, build in S.BUILDERS[op]:
        if build is None:
            continue
        e = build(*[next(leaves[k]) for k in arg_kinds])
        assert e.shape == S.SHAPES[kind], f"{op}: {to_text(e)} has shape {e.shape}"
        assert op in {n.op for n in walk([e])}, f"{op}: {to_text(e)} does not use it"
    if op in ("var", "const", "eye"):
        assert op in {n.op for k in "SVM" for n in S.LEAVES[k]}


def test_guards_keep_values_in_the_domains():
    rng = np.random.default_rng(0)
    big = {"A": 5 * rng.normal(size=(3, 3)), "x": 5 * rng.normal(size=3)}
    m, v = S.VARS["M"][0], S.VARS["V"][0]
    spd = value(S.GUARDS["spd"](m), big)
    assert np.allclose(spd, spd.T) and np.min(np.linalg.eigvalsh(spd)) >= 1 - 1e-12
    assert abs(np.linalg.det(value(S.GUARDS["invertible"](m), big))) > 1e-3
    assert np.min(value(S.GUARDS["positive"](v), big)) > 0.3
    assert np.max(np.abs(value(S.GUARDS["unit"](v), big))) < 0.5
    assert np.min(np.abs(value(S.GUARDS["nonzero"](v), big))) > 0.3


# ------------------------------------------------------------------ correctness


@given(function_and_variable(), st.integers(0, 2**16))
def test_first_derivative_equals_finite_differences(case, seed):
    e, var = case
    name = var.arg.name
    values = S.values_for([e], seed)
    tame(value(e, values))
    d = derive(e, var)
    got = np.asarray(d.evaluate(values), dtype=float)
    tame(got)
    want = H.numdiff(lambda z: value(e, at(values, name, z)), values[name])
    assert_near(got, want, f"d({to_text(e)})/d{name} = {d}")


# Examples per op for the per-op check: a tenth of the profile's (20 in `ci`, 200 deep)
PER_OP = max(10, settings.default.max_examples // 10)
COMPOSITE_OPS = sorted(op for op, entries in S.BUILDERS.items()
                       if any(build is not None for _, _, build in entries))


@pytest.mark.parametrize("op", COMPOSITE_OPS)
@settings(max_examples=PER_OP)
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_derivative_with_each_op_outermost_equals_finite_differences(op, data, seed):
    e = data.draw(S.rooted(op, DEPTH))
    variables = S.free_vars(e)
    assume(variables and S.sizes_known(e))
    var = variables[data.draw(st.sampled_from(sorted(variables)))]
    name = var.arg.name
    values = S.values_for([e], seed)
    tame(value(e, values))
    d = derive(e, var)
    got = np.asarray(d.evaluate(values), dtype=float)
    tame(got)
    want = H.numdiff(lambda z: value(e, at(values, name, z)), values[name])
    assert_near(got, want, f"d({to_text(e)})/d{name} = {d}")


@given(function_and_variable("S"), st.integers(0, 2**16))
def test_hessian_equals_finite_differences_of_the_gradient(case, seed):
    e, var = case
    name = var.arg.name
    values = S.values_for([e], seed)
    tame(value(e, values))
    g = derive(e, var)
    h = derive(e, var, order=2)
    got = np.asarray(h.evaluate(values), dtype=float)
    tame(got)
    want = H.numdiff(lambda z: g.evaluate(at(values, name, z)), values[name], h=1e-5)
    assert_near(got, want, f"Hessian of {to_text(e)} by {name} = {h}", rtol=1e-3)


@given(S.differentials(DEPTH), st.integers(0, 2**16))
def test_differential_equals_the_directional_difference(case, seed):
    f, x, dx, df = case
    name = x.arg.name
    values = S.values_for([f, dx, df], seed)
    direction = values[dvar_key(dx.arg)]
    tame(value(f, values))
    got = value(df, values)
    tame(got)
    step = 1e-6
    base = np.asarray(values[name], dtype=float)
    hi = value(f, at(values, name, base + step * np.asarray(direction)))
    lo = value(f, at(values, name, base - step * np.asarray(direction)))
    assert_near(got, (np.asarray(hi) - np.asarray(lo)) / (2 * step),
                f"d({to_text(f)}) = {to_text(df)}")


# ------------------------------------------------------------------ the rewriter, the printer


@given(st.sampled_from("SVM").flatmap(lambda k: S.expressions(k, DEPTH)), st.integers(0, 2**16))
def test_simplify_keeps_value_and_is_idempotent(e, seed):
    s = simplify(e)
    assert simplify(s) is s, f"{to_text(e)} simplifies to {to_text(s)}, then further"
    values = S.values_for([e], seed)
    want = value(e, values)
    tame(want)
    np.testing.assert_allclose(value(s, values), want, rtol=1e-8, atol=1e-9 * max(
        1.0, float(np.max(np.abs(want)))), err_msg=f"{to_text(e)} -> {to_text(s)}")


@given(st.sampled_from("SVM").flatmap(lambda k: S.expressions(k, DEPTH)), st.integers(0, 2**16))
def test_printed_text_parses_back_to_the_same_text_and_value(e, seed):
    text = to_text(e)
    again = parse(text, S.DECLARATIONS)
    # Reading normalises at most once (`x + vector(a + c)` prints `(a + c) + x`, which
    # reads back with the broadcast terms apart, printed `a + c + x`); after that the
    # text is a fixed point, and the value never changes.
    normal = to_text(again)
    assert normal == text or to_text(parse(normal, S.DECLARATIONS)) == normal
    values = S.values_for([e], seed)
    want = value(e, values)
    tame(want)
    assert_near(value(again, values), want, f"{text} read back", rtol=1e-9)


def test_reshape_text_reads_back():
    """`reshape(v, m, n)` is in the language: a printed reshape reads back equal."""
    e = S.BUILDERS["reshape"][0][2](S.VARS["V"][0], S.VARS["V"][1])
    text = to_text(e)
    assert "reshape(" in text
    values = S.values_for([e], 0)
    assert_near(value(parse(text, S.DECLARATIONS), values), value(e, values), text,
                rtol=1e-12)


# ------------------------------------------------------------------ consistency


@given(function_and_variable(), st.integers(0, 2**16))
def test_generated_numpy_equals_the_evaluator(case, seed):
    """Consistency check against the engine's own evaluator, not an independent one."""
    e, var = case
    values = S.values_for([e], seed)
    want_value = value(e, values)
    tame(want_value)
    d = derive(e, var)
    want = np.asarray(d.evaluate(values), dtype=float)
    tame(want)
    fn = compile_function(d, "numpy")
    got_value, got = fn(**values)
    assert_near(got_value, want_value, f"value of {to_text(e)}", rtol=1e-9)
    assert_near(got, want, f"d({to_text(e)})/d{var.arg.name}\n{fn.__matdiff_source__}",
                rtol=1e-9)


def test_public_api_matches_builders():
    x = matdiff.vector("x", "n")
    A = matdiff.matrix("A", "n", "n")
    assert matdiff.parse("x'*A*x", {"x": "vector n", "A": "matrix n n"}) is x.T @ A @ x
