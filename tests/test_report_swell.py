"""Expression swell is bounded (issue 9 item 5) and `where` names read back (issue 13).

Nested softmax/sigmoid/tanh Hessians printed 100-230 times their input's length. The
report names the parts a result repeats, so that:

- the result line, and each `where` line, is at most ~20x the function's length
  (report.SWELL_LIMIT, or 60 characters);
- everything printed is linear in the result's DAG (at most 12 characters a node);
- the generated code computes each distinct part once (at most one assignment per DAG
  node of the value and the derivatives);
- the printed text pastes back: each definition, read with the user's declarations and
  the first-letter rule for the part names (a-g scalars, h-z vectors, A-Z matrices),
  evaluates in order, and the result line then evaluates to `d.evaluate`'s value
  (correctness test: the reference is the engine's own derivative, whose values the
  rest of the suite checks against finite differences and closed forms);
- no part name is, or looks like, a variable or size of the user's (`s` next to `S`).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import matdiff
from matdiff.backends.evaluate import walk
from matdiff.ir.dims import format_shape, kind_of
from matdiff.report import SWELL_LIMIT, abbreviate, names_in_use, report

NESTED = [
    ("w'*diag(w)*softmax(z*z'*softmax(z))", "z"),
    ("w'*softmax(softmax(z))", "z"),  # sum(softmax(.)) folds to 1: weighted instead
    ("w'*softmax(softmax(W*x))", "x"),
    ("sum(sigmoid(W*sigmoid(W*x)))", "x"),
    ("sum(tanh(W*tanh(W*x)))", "x"),
    ("w'*tanh(V*sigmoid(W*x))", "x"),
    ("y'*log(softmax(W*tanh(V*x)))", "x"),
    ("sum(sigmoid(sigmoid(x) .* x))", "x"),
    ("w'*softmax(x .* softmax(x))", "x"),
    ("logsumexp(W*softmax(W*x))", "x"),
    ("w'*softmax(tanh(z) .* sigmoid(z))", "z"),
    ("w'*softmax(z*z'*softmax(z))", "z"),
    ("sum(tanh(sigmoid(tanh(x))))", "x"),
    ("y'*softmax(W*softmax(V*softmax(x)))", "x"),
]
IDS = [f for f, _ in NESTED]


def _parts(d) -> tuple[str, list[tuple[str, str]]]:
    """(result text, [(name, definition text)]) as the report prints them."""
    lines = report(d).split("\n")
    result = lines[2].split(" = ", 1)[1]
    defs = []
    for line in lines[3:]:
        m = re.fullmatch(r"  where (\w+) = (.*)", line)
        if m:
            defs.append((m.group(1), m.group(2)))
    return result, defs


def _declarations(d) -> dict[str, str]:
    out = {}
    for v in d.variables:
        kind = kind_of(v.shape)
        out[v.arg.name] = "scalar" if kind == "scalar" else (
            f"vector {v.shape[0]}" if kind == "vector" else f"matrix {v.shape[0]} {v.shape[1]}")
    return out


def _values(d, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    sizes = {"n": 3, "m": 4, "p": 2}
    out = {}
    for v in d.variables:
        r, c = (sizes.get(x, x) for x in v.shape)
        out[v.arg.name] = 0.5 * rng.standard_normal(r) if c == 1 else (
            0.5 * rng.standard_normal((r, c)))
    return out


@pytest.mark.parametrize("f, wrt", NESTED, ids=IDS)
def test_printed_hessian_is_bounded(f: str, wrt: str):
    d = matdiff.derivative(f, wrt=wrt, order=2)
    result, defs = _parts(d)
    limit = max(60, SWELL_LIMIT * len(f))
    assert len(result) <= limit, result
    for name, text in defs:
        assert len(text) <= limit, f"{name} = {text}"
    dag = len(walk([d.expr]))
    printed = len(result) + sum(len(n) + len(t) + 10 for n, t in defs)
    assert printed <= 12 * dag, (printed, dag)
    assert len(str(d)) > len(result) or not defs  # str(d) stays whole


@pytest.mark.parametrize("f, wrt", NESTED, ids=IDS)
def test_where_clauses_paste_back(f: str, wrt: str):
    d = matdiff.derivative(f, wrt=wrt, order=2)
    result, defs = _parts(d)
    decls = _declarations(d)
    values = _values(d)
    for name, text in defs:
        node = matdiff.parse(text, decls)
        # the first-letter rule types the name as what it stands for
        kind = "scalar" if name[0] in "abcdefg" else "vector" if name[0].islower() else "matrix"
        assert kind_of(node.shape) == kind, f"{name} = {text} is {format_shape(node.shape)}"
        values[name] = matdiff.evaluate(node, values)
    got = matdiff.evaluate(matdiff.parse(result, decls), values)
    want = d.evaluate(**{v.arg.name: values[v.arg.name] for v in d.variables})
    np.testing.assert_allclose(np.asarray(got).reshape(np.shape(want)), want, rtol=1e-9,
                               atol=1e-12)


@pytest.mark.parametrize("f, wrt", NESTED, ids=IDS)
def test_generated_code_is_linear_in_the_dag(f: str, wrt: str):
    d = matdiff.derivative(f, wrt=wrt, order=2)
    dag = len(walk([d.function, d.at_order(1).expr, d.expr]))
    for backend in ("numpy", "jax", "torch"):
        source = d.to_code(backend)
        assignments = len(re.findall(r"^    t\d+ = ", source, re.M))
        assert assignments <= dag + 4, (backend, assignments, dag)


def _looks_like(a: str, b: str) -> bool:
    return a.rstrip("0123456789_").lower() == b.rstrip("0123456789_").lower()


@pytest.mark.parametrize("f, wrt, decls", [
    ("sum(log(1 + exp(-s .* (S*u))))", "u", {}),
    ("v'*softmax(softmax(U*s))", "s", {}),
    ("h'*tanh(H*tanh(H*k))", "k", {}),
    ("a*sum(sigmoid(M*sigmoid(M*q)))", "q", {}),
    ("w'*softmax(softmax(z))", "z", {"z": "vector s"}),  # a size named s
])
def test_part_names_never_look_like_the_users(f, wrt, decls):
    d = matdiff.derivative(f, wrt=wrt, order=2, variables=decls)
    taken = names_in_use(d)
    _, defs = abbreviate(d.expr, taken, width=0)
    assert defs, "expected the result to name a part"
    for name, _ in defs:
        clash = [t for t in taken if _looks_like(name, t)]
        assert not clash, f"part name {name} looks like {clash}"


def test_a_row_part_is_named_as_its_column():
    """A shared row vector is written u' with u the column, so u reads back as a vector."""
    d = matdiff.derivative("w'*diag(w)*softmax(z*z'*softmax(z))", wrt="z", order=2)
    short, defs = abbreviate(d.expr, names_in_use(d), width=0)
    for name, sub in defs:
        assert sub.shape[0] != 1 or sub.shape[1] == 1, f"{name} is a row: {sub.shape}"
