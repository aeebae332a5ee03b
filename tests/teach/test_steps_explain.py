"""What the steps say: rules cited with placeholders clear of the user's names, the rule
applied before terms are collected, the identification used and why, sums of
transposes printed as typed, and the header by a list of scalars.

Printed-form tests (the values of the same steps are checked by test_steps.py's chain
check, which now also checks each applied rule against its result)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import matdiff
from matdiff.backends.evaluate import evaluate
from matdiff.ir.node import variables_in
from matdiff.teach.identify import KINDS
from matdiff.teach.shown import applied, rename_placeholders, rule_text
from matdiff.teach.stepcheck import check_step
from matdiff.teach.steps import derivation
from matdiff.verify.sample import sample_values

EXPRESSIONS = [
    ("log(det(X))", "X", None),
    ("det(X)", "X", None),
    ("tr(X*Y)", "X", None),
    ("a*Y", "Y", None),
    ("sum(exp(A*x))", "x", None),
    ("tanh(W*x)", "x", None),
    ("U'*X*U", "U", None),
    ("log(sum(exp(z)))", "z", None),
    ("norm2(X*w - y)^2", "w", None),
]


def _placeholders(rule: str) -> set[str]:
    """Single-letter names in a cited rule, and the X of dX (not the operator d)."""
    found = set()
    for m in re.finditer(r"\b(d?)([A-Za-z])\b", rule):
        if m.group(1) == "" and m.group(2) == "d":
            continue
        found.add(m.group(2))
    return found


@pytest.mark.parametrize("f, wrt, variables", EXPRESSIONS, ids=[e[0] for e in EXPRESSIONS])
def test_rule_placeholders_are_not_the_users_names(f, wrt, variables):
    d = matdiff.derivative(f, wrt, variables)
    names = set(variables_in([d.function]))
    der = derivation(d)
    cited = [s.rule for s in der.steps if s.relation == "d"]
    assert cited
    for rule in cited:
        clash = _placeholders(rule) & names
        assert not clash, f"{rule!r} uses the user's {clash}"


def test_log_det_cites_both_rules_in_their_forms():
    text = derivation(matdiff.derivative("log(det(X))", "X")).text()
    assert "d(det(X)) = det(X)*tr(inv(X)*dX)" in text
    assert "d(det(U)) = det(U)*tr(inv(U)*dU)" in text  # the rule, with its own placeholder
    assert "d(log(u)) = du/u" in text  # the scalar form, not 1 ./ X .* dX
    assert "1 ./ X" not in text
    assert "d(log(det(X))) = det(X)*tr(inv(X)*dX)/det(X) = tr(inv(X)*dX)" in text


def test_product_rule_is_shown_before_terms_are_collected():
    text = derivation(matdiff.derivative("2*x'*x", "x")).text()
    assert "d(x'*x) = dx'*x + x'*dx = 2*dx'*x" in text


def test_elementwise_rule_with_a_sum_slope_is_parenthesised():
    text = derivation(matdiff.derivative("tanh(W*x)", "x")).text()
    assert "d(tanh(X)) = (1 - tanh(X).^2) .* dX" in text


def test_rename_placeholders_keeps_case_and_the_operator():
    assert rename_placeholders("d(X*Y) = dX*Y + X*dY", {"X"}) == "d(U*Y) = dU*Y + U*dY"
    assert rename_placeholders("d(a*Y) = da*Y + a*dY", {"a", "Y"}) == \
        "d(u*U) = du*U + u*dU"
    assert rename_placeholders("d(X') = dX'", {"x"}) == "d(X') = dX'"
    assert rule_text("d(log(X)) = 1 ./ X .* dX", {"X"}) == "d(log(U)) = 1 ./ U .* dU"


def test_applied_rule_equals_the_result_numerically():
    """Consistency check against the engine's evaluator: the applied product rule is the
    same value as the rule's (simplified) result."""
    d = matdiff.derivative("x'*A*x", "x")
    step = d.steps_trace[-1]
    dx = d.dvars[0]
    found = {d.wrt[0]: dx, **{s.expr: s.result for s in d.steps_trace}}
    node = applied(step.expr, step.expr.children, [found.get(c) for c in step.expr.children])
    assert node is not None
    values, _ = sample_values([d.function, dx, node], np.random.default_rng(0))
    np.testing.assert_allclose(evaluate(node, values), evaluate(step.result, values))


def test_kronecker_steps_state_the_identity_and_why():
    text = derivation(matdiff.derivative("A*X*B", "X")).text()
    assert "vec(A*dX*B) = kron(B', A)*vec(dX), because column j of A*dX*B" in text
    assert "M[(i,j), (k,l)] = ∂f_ij/∂X_kl" in text
    text = derivation(matdiff.derivative("A*X'", "X")).text()
    assert "commutation matrix" in text


def test_jacobian_steps_state_the_identification_and_why():
    text = derivation(matdiff.derivative("tanh(W*x)", "x")).text()
    assert "v .* dx = diag(v)*dx with v = 1 - tanh(W*x).^2" in text
    assert "J[i, j] = ∂f_i/∂x_j" in text
    text = derivation(matdiff.derivative("A*x", "x")).text()
    assert "A*dx is a matrix times the vector dx: the Jacobian is that matrix" in text


def test_sum_of_transposes_printed_as_typed():
    text = derivation(matdiff.derivative("0.5*norm2(relu(W*x) - y)^2", "W")).text()
    assert "relu(W*x)' - y'" not in text
    assert "(relu(W*x) - y)'" in text


def test_header_by_a_list_of_scalars():
    d = matdiff.derivative("[x1^2 + x2; sin(x1*x2)]", "x1,x2")
    text = derivation(d).text()
    assert "Find the Jacobian df/d(x1,x2), by the scalars x1, x2" in text
    assert "df/dx1,x2" not in text


@pytest.mark.parametrize("f, wrt, kw", [
    ("x'*A*x", "x", {}), ("A*x", "x", {}), ("A*X*B", "X", {}), ("x*t", "t", {}),
    ("x'*A*x", "x", {"order": 2}),
])
def test_identification_kind_is_the_engines_form(f, wrt, kw):
    variables = {"t": "scalar"} if wrt == "t" else None
    d = matdiff.derivative(f, wrt, variables, **kw)
    der = derivation(d)
    last_stage = max(s.stage for s in der.steps)
    kinds = {s.relation for s in der.steps
             if s.section == "identification" and s.stage == last_stage
             and s.relation in ("identify", "jacobian", "by_scalar")}
    assert kinds == {KINDS[d.form][0]}
    values, _ = sample_values([d.function, *d.wrt, *d.dvars], np.random.default_rng(5))
    for s in der.steps:
        assert check_step(s, values), s.text()


def test_print_steps_is_the_text_not_a_dataclass_dump():
    d = matdiff.derivative("x'*A*x", "x")
    der = d.steps()
    assert str(der) == der.text()
    assert "DerivationStep(" not in str(der)
    assert str(der.steps[0]) == der.steps[0].text()


def _identification_rules(f: str, wrt: str) -> str:
    der = derivation(matdiff.derivative(f, wrt))
    return " | ".join(s.rule for s in der.steps if s.section == "identification")


def test_trace_identification_uses_the_terms_own_factors():
    rules = _identification_rules("tr(B*P*D)", "P")
    assert "cyclic property of the trace: tr(B*dP*D) = tr(D*B*dP)" in rules
    assert "so G = (D*B)'" in rules
    assert "tr(A*dX*B)" not in rules  # the generic identity, whose B is not the user's B
    rules = _identification_rules("u'*X*v", "X")
    assert "u'*dX*v = tr(v*u'*dX)" in rules and "G = (v*u')'" in rules


def test_generic_identities_avoid_the_users_names():
    rules = _identification_rules("tr(A*X)", "X")
    assert "d tr(A*X)/dX" not in rules  # A and X are the user's here
    assert "d tr(U*V)/dV = U'" in rules
    rules = _identification_rules("tr(P*Q)", "Q")
    assert "d tr(A*X)/dX = A'" in rules  # no clash: the usual letters
