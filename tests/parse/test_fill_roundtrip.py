"""Random expression trees full of fills print and read back at their shape and value.

A correctness test of the printers' sizing of fills (backends/layout.unsized_fills):
trees are built with the builders over x (n), y (m), A (n×m), B (n×n), scalars a, c,
with fills of 0, 1, a number, or a scalar expression put everywhere a node can go
(sums, products, elementwise products and powers, transposes, blocks, kron, vec,
diag, softmax, functions).
The printed text read back with the same declarations must have the node's symbolic
shape and evaluate (reference evaluator, random inputs) to the node's value. Before
issue 9 a fill that nothing sized printed as `vector(1)`/`matrix(0)` and re-read at
another shape or not at all.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matdiff
from matdiff.backends.evaluate import evaluate
from matdiff.backends.text import to_text
from matdiff.errors import MatdiffError
from matdiff.ir import build as b

DECLS = {"a": "scalar", "c": "scalar", "x": "vector n", "y": "vector m",
         "A": "matrix n m", "B": "matrix n n"}
ENV = matdiff.variables_of("a + c + sum(x) + sum(y) + sum(A) + sum(B)", DECLS)
SHAPES = {"S": (1, 1), "N": ("n", 1), "M": ("m", 1), "NM": ("n", "m"), "NN": ("n", "n"),
          "RN": (1, "n")}
LEAVES = {"S": ["a", "c"], "N": ["x"], "M": ["y"], "NM": ["A"], "NN": ["B"], "RN": []}


def _fill(draw, shape):
    value = draw(st.sampled_from(["0", "1", "-2", "a", "sum(x)"]))
    v = b.const(float(value)) if value[-1].isdigit() else (
        ENV["a"] if value == "a" else b.sum_(ENV["x"]))
    return b.fill(v, shape)


@st.composite
def tree(draw, kind: str, depth: int = 3):  # noqa: C901 - a grammar is a big switch
    shape = SHAPES[kind]
    if depth <= 0 or draw(st.integers(0, 5)) == 0:
        if kind != "S" and (not LEAVES[kind] or draw(st.booleans())):
            return _fill(draw, shape)
        if kind == "S":
            return ENV[draw(st.sampled_from(LEAVES["S"]))]
        return ENV[LEAVES[kind][0]]
    t = lambda k: draw(tree(k, depth - 1))  # noqa: E731
    options = {
        "S": [lambda: b.sum_(t("NM")), lambda: b.matmul(b.transpose(t("N")), t("N")),
              lambda: b.tr(t("NN")), lambda: b.add(t("S"), t("S")),
              lambda: b.mul(t("S"), t("S")), lambda: b.func("exp", t("S")),
              lambda: b.sum_(b.vec(t("NM"))), lambda: b.matmul(t("RN"), t("N"))],
        "N": [lambda: b.add(t("N"), t("N")), lambda: b.add(t("N"), t("S")),
              lambda: b.matmul(t("NN"), t("N")), lambda: b.matmul(t("NM"), t("M")),
              lambda: b.hadamard(t("N"), t("N")), lambda: b.mul(t("S"), t("N")),
              lambda: b.func("tanh", t("N")), lambda: b.diag(t("NN")),
              lambda: b.softmax(t("N")),
              lambda: b.power(b.func("exp", t("N")), b.func("tanh", t("N"))),
              lambda: b.power(t("N"), b.const(2)),
              lambda: b.transpose(t("RN"))],
        "M": [lambda: b.add(t("M"), t("S")), lambda: b.matmul(b.transpose(t("NM")), t("N")),
              lambda: b.hadamard(t("M"), t("M"))],
        "NM": [lambda: b.add(t("NM"), t("NM")), lambda: b.add(t("NM"), t("S")),
               lambda: b.matmul(t("N"), b.transpose(t("M"))),
               lambda: b.matmul(t("NN"), t("NM")), lambda: b.hadamard(t("NM"), t("NM")),
               lambda: b.mul(t("S"), t("NM")), lambda: b.func("sin", t("NM")),
               lambda: b.power(b.func("exp", t("NM")), b.func("tanh", t("NM")))],
        "NN": [lambda: b.add(t("NN"), t("NN")), lambda: b.add(t("NN"), t("S")),
               lambda: b.matmul(t("NM"), b.transpose(t("NM"))),
               lambda: b.matmul(t("N"), t("RN")), lambda: b.transpose(t("NN")),
               lambda: b.diag(t("N")), lambda: b.mul(t("S"), t("NN"))],
        "RN": [lambda: b.transpose(t("N")), lambda: b.matmul(b.transpose(t("N")), t("NN")),
               lambda: b.add(t("RN"), t("S"))],
    }[kind]
    return draw(st.sampled_from(options))()


@st.composite
def compound(draw):
    """A tree, sometimes inside a block, kron or vec (places that size nothing)."""
    kind = draw(st.sampled_from(["S", "N", "NM", "NN"]))
    e = draw(tree(kind))
    wrap = draw(st.sampled_from(["none", "block", "kron", "vec"]))
    if wrap == "block" and kind in ("N", "NN"):
        e = b.block([[e], [draw(tree(kind))]])
    elif wrap == "kron" and kind != "S":
        e = b.kron(e, draw(tree("N")))
    elif wrap == "vec":
        e = b.vec(e)
    return e


SIZES = {"n": 3, "m": 2}
RNG = np.random.default_rng(0)
VALUES = {"a": 0.7, "c": -1.3, "x": RNG.standard_normal(3), "y": RNG.standard_normal(2),
          "A": RNG.standard_normal((3, 2)), "B": RNG.standard_normal((3, 3))}


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(compound())
def test_printed_fills_read_back_at_their_shape(e):
    text = to_text(e)
    back = matdiff.parse(text, DECLS)
    assert back.shape == e.shape, f"{text!r} re-reads as {back.shape}, not {e.shape}"
    want = evaluate(e, VALUES, sizes=SIZES)
    got = evaluate(back, VALUES, sizes=SIZES)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10, err_msg=text)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(compound(), st.sampled_from(["x", "y", "A", "B", "a"]), st.sampled_from([1, 1, 2]))
def test_derivatives_of_fill_heavy_trees_paste_back(e, wrt, order):
    """The derivative's printed text (orders 1 and 2, wherever a matrix form is printed)
    re-reads at the derivative's shape and value."""
    if wrt not in e.free:
        return
    text = to_text(e)
    try:
        d = matdiff.derivative(text, wrt=wrt, order=order, variables=DECLS)
    except MatdiffError:  # e.g. order 2 of a matrix function: no Hessian
        return
    if d.expr is None:
        return
    printed = str(d)
    back = matdiff.parse(printed, DECLS)
    assert back.shape == d.expr.shape, f"{text} by {wrt}: {printed!r} re-reads as {back.shape}"
    np.testing.assert_allclose(evaluate(back, VALUES, sizes=SIZES),
                               evaluate(d.expr, VALUES, sizes=SIZES), rtol=1e-9, atol=1e-9,
                               err_msg=f"{text} by {wrt}: {printed}")
