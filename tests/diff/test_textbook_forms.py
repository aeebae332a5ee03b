"""The textbook table (bench/textbook_table.py): each hand-written textbook form is right.

Correctness test: for every entry, the textbook form (typed by hand from the Matrix
Cookbook, Magnus & Neudecker, Minka, ML losses and the lesson; nothing computed by
matdiff) is evaluated at random inputs honouring the declarations and compared with
matdiff's derivative; and matdiff's derivative is compared with central finite
differences of the function (`Derivative.check`). Together: each textbook form agrees
with finite differences, and matdiff agrees with the textbook. Kronecker-form Hessians
are compared as quadratic forms vec(V)'*H*vec(V) at a random direction V, since a Hessian
in Kronecker form is defined by its quadratic form (H and its commuted transpose give the
same one). The printed length against the textbook's is measured, not asserted:
`python bench/textbook_forms.py`.
"""

from __future__ import annotations

import importlib.util
import pathlib
import sys

import numpy as np
import pytest

import matdiff
from matdiff.verify.sample import sample_values


def _table():
    name = "_matdiff_textbook_table"
    if name not in sys.modules:
        path = pathlib.Path(__file__).parents[2] / "bench" / "textbook_table.py"
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name].TABLE


TABLE = _table()


def _id(e) -> str:
    return f"{e.f} by {e.wrt}" + (f" order {e.order}" if e.order > 1 else "")


def test_table_is_large_and_distinct():
    keys = {(e.f, e.wrt, e.order) for e in TABLE}
    assert len(TABLE) >= 150
    assert len(keys) == len(TABLE), "an entry is listed twice"


@pytest.mark.parametrize("entry", TABLE, ids=_id)
def test_textbook_form_equals_derivative(entry):
    d = matdiff.derivative(entry.f, wrt=entry.wrt, variables=entry.variables, order=entry.order)
    node = matdiff.parse(entry.f, entry.variables)
    for seed in (0, 1):
        rng = np.random.default_rng(seed)
        values, sizes = sample_values(node, rng)
        got = np.asarray(d.evaluate(**values), dtype=float)
        book = np.asarray(
            matdiff.evaluate(entry.textbook, values, variables=entry.variables, sizes=sizes),
            dtype=float,
        )
        if got.ndim == 4:  # Hessian by a matrix: (m, n, m, n) against the mn×mn Kronecker form
            V = rng.standard_normal(got.shape[:2])
            got = np.einsum("ijkl,ij,kl->", got, V, V)
            v = V.flatten(order="F")
            book = v @ book @ v
        assert got.shape == book.shape, (got.shape, book.shape)
        np.testing.assert_allclose(got, book, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("entry", TABLE, ids=_id)
def test_derivative_matches_finite_differences(entry):
    d = matdiff.derivative(entry.f, wrt=entry.wrt, variables=entry.variables, order=entry.order)
    result = d.check(trials=1)
    assert result, str(result)
