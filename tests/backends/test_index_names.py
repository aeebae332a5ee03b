"""Index forms name their indices apart from sizes and variables, and sum only repeated ones.

Printed-form tests (issue 11 item 1), plus a consistency check that the index form with
the new names and `sum(...)` atoms still evaluates to the engine's derivative (the
engine's values are checked against finite differences elsewhere).
"""

from __future__ import annotations

import re

import numpy as np

import matdiff
from matdiff.backends.index_form import index_tensor
from matdiff.verify.sample import sample_values

SOFTMAX_CE = ("-y'*log(softmax(W*x))", "W", {"y": "vector m onehot", "W": "matrix m n"})


def _indices(text: str) -> set[str]:
    return {i for group in re.findall(r"\[([a-z0-9,]+)\]", text) for i in group.split(",")}


def test_index_letters_are_not_size_names():
    f, wrt, decl = SOFTMAX_CE
    d = matdiff.derivative(f, wrt=wrt, variables=decl, order=2)
    text = str(index_tensor(d))
    used = _indices(text)
    assert used, text
    assert not used & {"m", "n", "x", "y"}, text


def test_a_lone_summation_index_is_written_as_a_sum():
    f, wrt, decl = SOFTMAX_CE
    d = matdiff.derivative(f, wrt=wrt, variables=decl, order=2)
    form = index_tensor(d)
    text = str(form)
    assert "sum(y)" in text, text
    for term in form.terms:
        counts: dict[str, int] = {}
        for factor in term.factors:
            for name in factor.names():
                counts[name] = counts.get(name, 0) + 1
        free = {ix.name for s in form.f_slots for ix in s} | {
            ix.name for order in form.x_slots for s in order for ix in s}
        lone = [nm for nm, c in counts.items() if c == 1 and nm not in free]
        assert not lone, (lone, text)


def test_renamed_index_form_keeps_its_value():
    f, wrt, decl = SOFTMAX_CE
    d = matdiff.derivative(f, wrt=wrt, variables=decl, order=2)
    values, _ = sample_values(matdiff.parse(f, decl), np.random.default_rng(3))
    np.testing.assert_allclose(index_tensor(d).evaluate(values), d.evaluate(**values),
                               rtol=1e-9, atol=1e-12)
