"""Every rewrite rule in rewrite/rules.py, checked over the whole table.

Each rule lists examples (text and declarations). For every example the rule must fire
on some node of the parsed expression, and the expression before and after the rewrite
must be numerically equal at random inputs honouring the declarations (the rule's
guard). A rule with no example fails here.
"""

from __future__ import annotations

import numpy as np
import pytest

from matdiff.backends.evaluate import evaluate
from matdiff.ir import build as b
from matdiff.parse import parse
from matdiff.rewrite.driver import simplify
from matdiff.rewrite.rules import RULES
from matdiff.verify.sample import sample_values


def test_every_rule_has_examples():
    for r in RULES:
        assert r.examples, f"rule {r.name} has no example"


def _rewrite_once(e, rule):
    """Apply `rule` at the first node (bottom-up) where it fires; None if nowhere."""
    done = {}

    def go(n):
        if n in done:
            return done[n]
        kids = [go(c) for c in n.children]
        changed = any(k is not c for k, c in zip(kids, n.children, strict=True))
        m = b.rebuild(n, kids) if changed else n
        if not fired and m.op in rule.ops:
            out = rule.apply(m)
            if out is not None and out is not m:
                fired.append(True)
                m = out
        done[n] = m
        return m

    fired: list[bool] = []
    out = go(e)
    return out if fired else None


CASES = [pytest.param(r, text, decl, id=f"{r.name}:{text}") for r in RULES
         for text, decl in r.examples]


@pytest.mark.parametrize("rule,text,decl", CASES)
def test_rule_fires_and_keeps_the_value(rule, text, decl):
    e = parse(text, decl or None)
    out = _rewrite_once(e, rule)
    assert out is not None, f"{rule.name} did not fire on {text}"
    rng = np.random.default_rng(7)
    for _ in range(3):
        values, sizes = sample_values([e], rng)
        np.testing.assert_allclose(
            evaluate(out, values, sizes=sizes), evaluate(e, values), rtol=1e-9, atol=1e-10,
            err_msg=f"{rule.name}: {text} -> {out}",
        )


@pytest.mark.parametrize("rule,text,decl", CASES)
def test_simplify_keeps_value_and_is_idempotent(rule, text, decl):
    e = parse(text, decl or None)
    s = simplify(e)
    assert simplify(s) is s
    rng = np.random.default_rng(11)
    values, sizes = sample_values([e], rng)
    np.testing.assert_allclose(
        evaluate(s, values, sizes=sizes), evaluate(e, values), rtol=1e-9, atol=1e-10)
