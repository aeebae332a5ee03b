"""Step-by-step derivations: every step names its rule, and the steps form a valid
chain (each checked numerically at random inputs with matdiff's evaluator)."""

from __future__ import annotations

import numpy as np
import pytest

import matdiff
from matdiff.ir.node import dvar_key
from matdiff.teach.steps import Derivation, check_step, derivation
from matdiff.verify.sample import sample_values

CASES = [
    ("log(det(X))", "X", None, {}),
    ("x'*A*x", "x", None, {}),
    ("x'*A*x", "x", None, {"order": 2}),
    ("x'*A*x", "x", {"A": "matrix n n symmetric", "x": "vector n"}, {}),
    ("norm2(X*w - y)^2", "w", {"X": "matrix m n", "w": "vector n", "y": "vector m"}, {}),
    ("(X*w - y)'*(X*w - y)", "w", {"X": "matrix m n", "w": "vector n", "y": "vector m"}, {}),
    ("tr(A*X*B)", "X", None, {}),
    ("tr((W*X - Y)'*(W*X - Y))", "W", None, {}),
    ("norm2(W*X - Y)^2", "W", None, {}),
    ("det(X)", "X", None, {}),
    ("log(1 + exp(w'*x))", "x", {"w": "vector n", "x": "vector n"}, {}),
    ("0.5*norm2(relu(W*x) - y)^2", "W", None, {}),
    ("0.5*norm2(relu(W*x) - y)^2", "x", None, {}),
    ("A*x", "x", None, {}),
    ("A*x", "x", None, {"layout": "denominator"}),
    ("X*A*X", "X", {"X": "matrix n n", "A": "matrix n n"}, {}),
    ("a'*inv(X)*b", "X", {"a": "vector n", "b": "vector n", "X": "matrix n n"}, {}),
    ("logdet(X)", "X", {"X": "matrix n n symmetric"}, {"structured": True}),
    ("sum(exp(A*x))", "x", None, {}),
    ("[x1^2 + x2; sin(x1*x2)]", "x1,x2", {"x1": "scalar", "x2": "scalar"}, {}),
]


def _values(d, der: Derivation, seed: int):
    nodes = [d.function, *d.wrt]
    for s in der.steps:
        nodes += [n for n in (s.lhs, s.rhs) if n is not None]
        if s.dvar is not None:
            nodes.append(s.dvar)
    values, _ = sample_values(nodes, np.random.default_rng(seed))
    return values


@pytest.mark.parametrize("f, wrt, variables, kw", CASES, ids=[c[0] + "|" + c[1] for c in CASES])
def test_steps_form_a_valid_chain(f, wrt, variables, kw):
    d = matdiff.derivative(f, wrt=wrt, variables=variables, **kw)
    der = derivation(d)
    assert der.steps, "no steps"
    for s in der.steps:
        assert s.rule, f"a step without a rule: {s}"
    for seed in (1, 2):
        values = _values(d, der, seed)
        for s in der.steps:
            assert check_step(s, values), f"step does not hold: {s.text()}"
    # the differential steps chain up to df, and the result is the engine's
    result = der.section("result")[-1]
    assert result.rhs is d.expr
    text = der.text()
    assert matdiff.to_text(d.expr) in text


def test_log_det_derivation_reads_like_the_lesson():
    d = matdiff.derivative("log(det(X))", wrt="X")
    text = derivation(d).text()
    assert "d(logdet(X)) = tr(inv(X)*dX)" in text or "d(det(X)) = det(X)*tr(inv(X)*dX)" in text
    assert "Cookbook (46)" in text
    assert "tr(G'*dX)" in text
    assert "first identification theorem" in text
    assert "df/dX = inv(X)'" in text


def test_quadratic_form_shows_product_rule_and_collection():
    der = derivation(matdiff.derivative("x'*A*x", wrt="x"))
    text = der.text()
    assert "product rule" in text and "Cookbook (37)" in text
    assert "G1 = A*x" in text and "G2 = A'*x" in text
    assert "collect-common-factor" in text
    assert "df/dx = (A + A')*x" in text
    names = [s.rule for s in der.section("simplification")]
    assert "collect-common-factor" in names


def test_trace_tricks_are_named():
    text = derivation(matdiff.derivative("tr(A*X*B)", wrt="X")).text()
    assert "cyclic property of the trace" in text
    assert "G = A'*B'" in text


def test_jacobian_and_hessian():
    text = derivation(matdiff.derivative("A*x", wrt="x")).text()
    assert "df = J*dx" in text and "J = A" in text
    text = derivation(matdiff.derivative("x'*A*x", wrt="x", order=2)).text()
    assert "d²f = dx'*H*dx" in text
    assert "Second order" in text
    assert "d^2f/dx^2 = A + A'" in text


def test_scalar_list_jacobian():
    d = matdiff.derivative("[x1^2 + x2; sin(x1*x2)]", wrt="x1,x2",
                           variables={"x1": "scalar", "x2": "scalar"})
    text = derivation(d).text()
    assert "∂f/∂x1" in text and "∂f/∂x2" in text
    assert "J[i, j] = ∂f_i/∂x_j" in text


def test_structured_names_cookbook_138():
    d = matdiff.derivative("logdet(X)", wrt="X", variables={"X": "matrix n n symmetric"},
                           structured=True)
    text = derivation(d).text()
    assert "Cookbook (138)" in text
    assert "2*inv(X) - diag(diag(inv(X)))" in text


def test_latex_falls_back_to_text():
    der = derivation(matdiff.derivative("log(det(X))", wrt="X"))
    tex = der.latex()
    assert tex.startswith("\\begin{align*}") and tex.rstrip().endswith("\\end{align*}")
    assert "Cookbook (46)" in tex


def test_check_step_catches_a_wrong_step():
    d = matdiff.derivative("x'*A*x", wrt="x")
    der = derivation(d)
    ident = [s for s in der.steps if s.relation == "identify"][0]
    import dataclasses

    from matdiff.ir import build as b
    bad = dataclasses.replace(ident, rhs=b.scale(2.0, ident.rhs))
    values = _values(d, der, 3)
    assert dvar_key(ident.dvar.arg) in values
    assert check_step(ident, values)
    assert not check_step(bad, values)
