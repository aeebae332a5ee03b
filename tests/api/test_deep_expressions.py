"""Deep expressions: no RecursionError anywhere, and the process's recursion limit is left
alone. A 10,000-deep expression built with the Python API differentiates and evaluates
(checked against an independent NumPy forward/backward pass: a correctness test);
printing and code generation, which recurse, refuse it with a clean LimitError. The
deepest text the parser admits works end to end (a consistency check against the
engine's own evaluator), even when the caller's stack is already deep."""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import pytest

import matdiff
from matdiff.errors import LimitError
from matdiff.parse import MAX_DEPTH

DEPTH = 10_000


def _chain(depth: int):
    """sum(h_N) with h_k = tanh(A*h_(k-1)), h_0 = x: depth 2N in the DAG."""
    x = matdiff.vector("x", "n")
    A = matdiff.matrix("A", "n", "n")
    e = x
    for _ in range(depth):
        e = matdiff.tanh(A @ e)
    return matdiff.sum(e), x


def _reference(A: np.ndarray, x: np.ndarray, depth: int) -> tuple[float, np.ndarray]:
    """The chain's value and gradient by a plain NumPy forward and backward pass."""
    hs = [x]
    for _ in range(depth):
        hs.append(np.tanh(A @ hs[-1]))
    g = np.ones_like(x)
    for h in reversed(hs[1:]):
        g = A.T @ (g * (1 - h**2))
    return float(hs[-1].sum()), g


@pytest.fixture(scope="module")
def deep():
    f, x = _chain(DEPTH)
    return f, matdiff.derivative(f, wrt=x)


def test_deep_api_expression_differentiates_and_evaluates(deep):
    f, d = deep
    assert f.depth > DEPTH and d.expr.depth > DEPTH
    rng = np.random.default_rng(0)
    A = rng.normal(size=(3, 3)) / 2
    x = rng.normal(size=3)
    value, grad = _reference(A, x, DEPTH)
    assert matdiff.evaluate(f, x=x, A=A) == pytest.approx(value, rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(d.evaluate(x=x, A=A), grad, rtol=1e-9, atol=1e-12)


def test_deep_api_expression_has_its_free_names_keys_and_sizes(deep):
    f, _ = deep
    assert f.free == frozenset({"x", "A"})
    assert f.key.startswith("sum(tanh(")
    assert f.size == 3 * DEPTH + 2


@pytest.mark.parametrize("show", [str, repr, lambda d: d.to_latex(),
                                  lambda d: d.to_unicode(), lambda d: d.to_code()])
def test_printing_and_code_of_a_deep_result_are_a_clean_error(deep, show):
    _, d = deep
    if show is repr:  # repr never fails: it says what it is instead
        assert repr(d).startswith("<Derivative df/dx: (the expression is too deep")
        return
    with pytest.raises(LimitError, match="too deep for"):
        show(d)


def test_deep_node_printing_is_a_clean_error(deep):
    f, _ = deep
    with pytest.raises(LimitError, match="too deep for printing"):
        str(f)
    assert repr(f).startswith("<")  # repr of a node never raises


KINDS = [("(", ")", "x"), ("sin(", ")", "x"), ("sum(", ")", "x"), ("[", "]", "x"),
         ("(-", ")", "x"), ("tanh(A*", ")", "x"), ("inv(", ")", "X")]


def _deepest(opening: str, closing: str, core: str) -> str:
    depth = MAX_DEPTH - 1 if opening in ("(-", "tanh(A*") else MAX_DEPTH
    return opening * depth + core + closing * depth


def _within_deep_stack(frames: int, call):
    """call() run with `frames` frames of the caller's own already on the stack."""
    if frames == 0:
        return call()
    return _within_deep_stack(frames - 1, call)


@pytest.mark.parametrize("kind", KINDS, ids=[k[0] for k in KINDS])
def test_deepest_admitted_text_works_end_to_end(kind):
    text = _deepest(*kind)
    wrt = kind[2]
    f = matdiff.sum(matdiff.parse(text)) if kind[2] == "x" else matdiff.tr(matdiff.parse(text))
    d = _within_deep_stack(150, lambda: matdiff.derivative(f, wrt=wrt))
    assert str(d) and d.to_latex() and d.to_unicode()
    rng = np.random.default_rng(1)
    values = {"x": rng.normal(size=3) / 4, "A": rng.normal(size=(3, 3)) / 4,
              "X": np.eye(3) + rng.normal(size=(3, 3)) / 10}
    got = d.evaluate(**{k: v for k, v in values.items() if k in f.free})
    assert np.all(np.isfinite(got))
    try:
        code = d.to_code()
    except LimitError as e:  # the code generator recurses; it may refuse, cleanly
        assert "too deep for code generation" in str(e)
        return
    namespace: dict = {}
    exec(compile(code, "<generated>", "exec"), namespace)  # noqa: S102 - our own output
    _, grad = namespace["f_and_grad"](**{k: v for k, v in values.items() if k in f.free})
    np.testing.assert_allclose(grad, got, rtol=1e-8, atol=1e-10)


def test_one_level_past_the_limit_is_refused():
    with pytest.raises(LimitError, match="nested"):
        matdiff.parse("sin(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1))


def test_parsing_leaves_the_recursion_limit_alone():
    before = sys.getrecursionlimit()
    matdiff.parse("(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH)
    with pytest.raises(LimitError):
        matdiff.parse("(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1))
    assert sys.getrecursionlimit() == before


def test_no_code_changes_the_recursion_limit():
    src = pathlib.Path(matdiff.__file__).parent
    offenders = [str(p.relative_to(src)) for p in src.rglob("*.py")
                 if "setrecursionlimit" in p.read_text()]
    assert offenders == []


def test_deep_jacobian_is_a_clean_error():
    """The Kronecker-form pass still recurses (diff/adjoint.py): a Jacobian of a very
    deep vector function is refused with a LimitError at the API, not a RecursionError."""
    x = matdiff.vector("x", "n")
    A = matdiff.matrix("A", "n", "n")
    e = x
    for _ in range(1500):
        e = matdiff.tanh(A @ e)
    with pytest.raises(LimitError, match="too deep for this derivative"):
        matdiff.derivative(e, wrt=x)
