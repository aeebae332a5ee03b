"""rewrite/rules_constants.py (issue 11 item 2): `(1 ./ s)'*s` is n.

Until rewrite/rules.py imports the module (the registration point, owned elsewhere), this
file imports it and checks its rules the way tests/rewrite/test_rewrite_rules.py checks
the table: each example fires and keeps its value at random inputs (a correctness test
against the engine's evaluator of the unrewritten expression), plus results a person
would write, and their values against NumPy.
"""

from __future__ import annotations

import numpy as np
import pytest

import matdiff
from matdiff.backends.evaluate import evaluate
from matdiff.parse import parse
from matdiff.rewrite import rules_constants
from matdiff.rewrite.rules import RULES
from matdiff.verify.sample import sample_values

OWN = [r for r in RULES if r.fn.__module__ == rules_constants.__name__]


def test_the_rules_are_in_the_table_with_examples():
    assert [r.name for r in OWN] == ["reciprocal-inner-product"]
    assert all(r.examples and r.doc for r in OWN)


def _first_firing(e, rule):
    stack = [e]
    while stack:
        n = stack.pop()
        if n.op == rule.op and (out := rule.apply(n)) is not None:
            return n, out
        stack.extend(n.children)
    return None


@pytest.mark.parametrize("rule, text, decl", [(r, t, d) for r in OWN for t, d in r.examples])
def test_rule_fires_and_keeps_the_value(rule, text, decl):
    e = parse(text, decl or None)
    hit = _first_firing(e, rule)
    assert hit is not None, f"{rule.name} did not fire on {text}"
    before, after = hit
    rng = np.random.default_rng(7)
    for _ in range(3):
        values, sizes = sample_values([before], rng)
        np.testing.assert_allclose(evaluate(after, values, sizes=sizes),
                                   evaluate(before, values), rtol=1e-12)


def test_results_with_the_count():
    """Printed forms, and (correctness) values against NumPy: n*x and 2n*x."""
    d = matdiff.derivative("(1 ./ s)'*s*x", "x")
    assert str(d) == "sum(ones(n, 1))*eye(m)"
    assert d.to_unicode() == "∂f/∂x = nI"
    g = matdiff.derivative("x'*x*(s'*(1 ./ s))", "x")
    assert str(g) == "2*sum(ones(m, 1))*x"
    rng = np.random.default_rng(1)
    s, x = rng.uniform(0.5, 2, 5), rng.normal(size=3)
    np.testing.assert_allclose(d.evaluate(s=s, x=x), 5 * np.eye(3), rtol=1e-14)
    np.testing.assert_allclose(g.evaluate(s=s, x=x), 2 * 5 * x, rtol=1e-14)
