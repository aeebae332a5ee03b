"""Simplification rules, as named data: the table the driver uses.

Contract: `RULES` is every rewrite rule (rewrite/rule.py's `Rule`: a name, the identity
it states as `doc`, left-hand sides as patterns from rewrite/pattern.py, replacements
built through `matdiff.ir.build`'s public functions, examples); `RULES_BY_OP` indexes
them by the op of the nodes they fire on, in the order the driver tries them: the
first rule that fires on a node wins, so the order is part of the behaviour and is
written out below. tests/rewrite/test_rewrite_rules.py parses every example of every
rule, checks the rule fires, and checks both sides are numerically equal at random
inputs that meet the rule's guard (the declarations), so a wrong rule cannot land
unchecked.

What is canonical and always wanted (flattening, folding 0/1/I, transposes on leaves,
like terms) is done by the builders; rules here make the choices a person makes. The
rules themselves live by theme: rules_factor.py (common factors of sums),
rules_elementwise.py (activation functions, softmax), rules_products.py (ones, diag),
rules_kronecker.py (Kronecker products back to matrix form), batched_rules.py (sums
along a dimension), rules_polynomial.py (polynomials in a sigmoid or a tanh),
rules_constants.py (constant structure: counts).
"""

from __future__ import annotations

from . import (
    batched_rules,
    rules_constants,
    rules_elementwise,
    rules_factor,
    rules_kronecker,
    rules_polynomial,
    rules_products,
)
from .rule import Example, Rule

__all__ = ["RULES", "RULES_BY_OP", "Example", "Rule"]

_ALL = {r.name: r for m in (rules_factor, rules_elementwise, rules_products, rules_kronecker,
                            batched_rules, rules_polynomial, rules_constants)
      for r in m.RULES}

# The order rules are tried in, per op (a rule earlier here wins on a node both match).
ORDER = (
    "collect-common-factor",
    "sigmoid",
    "sigmoid-elementwise",
    "inner-product-cancel",
    "ones-inner-product",
    "sum-of-simplex",
    "diag-of-sum",
    "diag-product",
    "sigmoid-complement",
    "common-numeric-factor",
    "common-scalar-factor",
    "sign-times-self",
    "expand-elementwise-if-shorter",
    "relu-times-step",
    "step-power",
    "sign-times-self-elementwise",
    "sigmoid-of-negative-in-sum",
    "softmax-written-out",
    "softmax-from-logsumexp",
    "collect-common-elementwise-factor",
    "common-fraction-factor",
    "diag-times-vector",
    "distribute-where-it-folds",
    "kron-times-vec",
    "bilinear-form-as-trace",
    "kron-absorb",
    "column-times-vec-row",
    "kron-common-argument",
    "factor-lowest-power",
    "ones-product-is-sum",
    "column-sums-of-onehot",
    "reciprocal-inner-product",
    # last: they only fire where the rules above leave a polynomial
    "sigmoid-polynomial",
    "tanh-polynomial",
)

RULES: list[Rule] = [_ALL[name] for name in ORDER]
RULES_BY_OP: dict[str, list[Rule]] = {}
for _rule in RULES:
    for _op in _rule.ops:
        RULES_BY_OP.setdefault(_op, []).append(_rule)
