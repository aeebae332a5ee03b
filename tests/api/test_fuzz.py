"""Robustness of the parser and the Python API under random input (Hypothesis).

Correctness test of the error contract, not of the mathematics: whatever the text or the
arguments, a call returns or raises a `MatdiffError` with a non-empty message whose
rendering holds no Python traceback; no other exception escapes. CI runs
`MATDIFF_FUZZ_EXAMPLES` (default 200) examples per property with a fixed seed; set it
higher for a deep local run (`MATDIFF_FUZZ_EXAMPLES=5000 pytest tests/api`).

The strategies. Text: random character soup, sequences of the language's own tokens, near-valid
expressions (a valid one with a few characters inserted, deleted or replaced), and
nesting of every kind up to and past the parser's `MAX_DEPTH`.

API arguments: for each parameter of `derivative`/`hessian`/`jacobian`, `evaluate`,
`Derivative.evaluate`, `to_code` and the symbol builders, a mix of good values and bad
ones (wrong types, unknown names, out-of-range numbers, NaN/inf, object and complex
arrays, wrong shapes, huge sizes). Values stay small in memory: a "huge size" is a
number in a declaration, never an array of that size.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matdiff
from matdiff.parse import MAX_DEPTH

# Expressions that are valid with first-letter typing (x: vector, A: matrix, a: scalar).
VALID = [
    "x'*A*x", "tr(A*X*B)", "log(det(X))", "norm2(A*x - b)^2", "log(1 + exp(w'*x))",
    "-y'*log(softmax(z))", "sum(exp(x))", "inv(X)", "a*b + sin(a)", "[x; y]'*[x; y]",
    "kron(A, B)", "x .* y ./ (1 + z)", "A^2", "diag(x)*y", "logsumexp(A*x)", "X'",
    "tr(expm(a*A))", "sum(relu(W*x - b))", "vec(X)'*vec(Y)", "norm1(x) + abs(a)",
]
TOKENS = [
    "x", "y", "A", "X", "a", "b", "t", "x1", "(", ")", "[", "]", ",", ";", "'", "+", "-",
    "*", "/", ".*", "./", ".^", "^", "1", "2", "0.5", "1e308", "1e-400", "eye", "vector",
    "matrix", "tr", "det", "inv", "exp", "log", "sum", "kron", "diag", "vec", "expm",
    "softmax", " ", "commutation", "reshape", "nan", "inf", "logdet",
]
ALPHABET = "xyzAXBab()[]',;*+-/.^ 0123456789eE_" + "\t\n\x00é∑→\\\"#@!$%&|{}<>~`?="
FUNCTIONS = ["exp", "sum", "tr", "inv", "log", "sqrt", "vec", "diag", "tanh", "-", "("]


def soup() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=80),
        st.text(alphabet=ALPHABET, max_size=80),
        st.lists(st.sampled_from(TOKENS), max_size=25).map("".join),
    )


@st.composite
def near_valid(draw: st.DrawFn) -> str:
    text = list(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        c = draw(st.sampled_from(ALPHABET[:36]))
        if action == "insert" or not text:
            text.insert(i, c)
        elif action == "delete":
            del text[min(i, len(text) - 1)]
        else:
            text[min(i, len(text) - 1)] = c
    return "".join(text)


@st.composite
def nested(draw: st.DrawFn) -> str:
    """Nesting of one kind around a core, from shallow to past MAX_DEPTH; sometimes
    unbalanced."""
    depth = draw(st.one_of(st.integers(0, 8), st.integers(MAX_DEPTH - 3, MAX_DEPTH + 40)))
    core = draw(st.sampled_from(["x", "sum(x)", "A", "a"]))
    kind = draw(st.sampled_from(["paren", "call", "neg", "block", "pow", "transpose", "mix"]))
    if kind == "paren":
        text = "(" * depth + core + ")" * depth
    elif kind == "call":
        f = draw(st.sampled_from(FUNCTIONS[:-2]))
        text = (f + "(") * depth + core + ")" * depth
    elif kind == "neg":
        text = "(-" * depth + core + ")" * depth
    elif kind == "block":
        text = "[" * depth + core + "]" * depth
    elif kind == "pow":
        text = "(" * depth + core + ")^2" * depth
    elif kind == "transpose":
        text = core + "^2'" * depth
    else:
        fs = draw(st.lists(st.sampled_from(FUNCTIONS), min_size=depth, max_size=depth))
        text = "".join(f if f in "-(" else f + "(" for f in fs) + core + "".join(
            "" if f == "-" else ")" for f in reversed(fs))
    if draw(st.booleans()) and text:
        cut = draw(st.integers(0, len(text) - 1))
        text = text[:cut] + text[cut + 1:]  # unbalanced
    return text


def texts() -> st.SearchStrategy[str]:
    return st.one_of(soup(), near_valid(), nested(), st.sampled_from(VALID))


# ------------------------------------------------------------------- API arguments

BAD_OBJECTS = [None, 3, 2.5, b"x", ["x"], ("x",), {"x": 1}, object(), 1j, float("nan")]


def expressions() -> st.SearchStrategy:
    return st.one_of(st.sampled_from(VALID), near_valid(), st.sampled_from(BAD_OBJECTS))


def wrts() -> st.SearchStrategy:
    return st.one_of(
        st.sampled_from(["x", "A", "X", "a", "a,b", "b,a", "x,y", "", " ", ",", "zz",
                         "x x", "1", "x'", "a,a", "tr", "A,x"]),
        st.lists(st.sampled_from(["a", "b", "x", "", 1, None]), max_size=3),
        st.sampled_from(BAD_OBJECTS),
    )


DECLARATIONS = [
    "scalar", "vector n", "vector m", "matrix n n", "matrix n m", "matrix n n symmetric",
    "matrix n n spd", "matrix n n diagonal", "matrix n n orthogonal", "vector n positive",
    "vector n onehot", "vector n simplex", "matrix 3 3", "vector 0", "vector -1",
    "matrix n", "bogus", "", "scalar spd", "matrix n m symmetric", "vector 99999999999999",
    "vector 100000", "matrix n n n", "vector n+1", "vector n*m", "matrix m+n n+m",
]


def variables() -> st.SearchStrategy:
    names = st.sampled_from(["x", "y", "A", "X", "a", "b", "zz", "", "1x", "exp"])
    return st.one_of(
        st.none(),
        st.dictionaries(names, st.sampled_from(DECLARATIONS), max_size=3),
        st.dictionaries(names, st.sampled_from([None, 3, ["matrix"]]), min_size=1,
                        max_size=2),
        st.sampled_from([[("x", "vector n")], "x: vector n", 3, {3: "scalar"}]),
    )


def orders() -> st.SearchStrategy:
    # Orders above 3 are valid up to 12 but slow on large functions; 13 and up refused.
    return st.one_of(st.integers(-2, 3), st.sampled_from(
        [13, 12 + 10**6,
        1.0, 1.5, "2", True, None, 10**20, float("nan")]))


def layouts() -> st.SearchStrategy:
    return st.sampled_from(["numerator", "denominator", "strict", "", None, 3])


def structureds() -> st.SearchStrategy:
    return st.sampled_from([False, True, "yes", None, 0, 1])


def _arrays(draw: st.DrawFn) -> object:
    shape = draw(st.sampled_from([(), (0,), (1,), (2,), (3,), (2, 2), (3, 2), (2, 3),
                                  (2, 2, 2), (1, 1), (3, 1), (1, 3)]))
    kind = draw(st.sampled_from(["float", "int", "bool", "nan", "inf", "complex",
                                 "object", "str", "huge"]))
    size = int(np.prod(shape)) if shape else 1
    base = np.asarray(draw(st.lists(st.floats(-3, 3), min_size=size, max_size=size)),
                      dtype=float).reshape(shape)
    if kind == "int":
        return base.astype(int)
    if kind == "bool":
        return base > 0
    if kind == "nan":
        return np.where(base > 0, np.nan, base)
    if kind == "inf":
        return np.where(base > 0, np.inf, -np.inf)
    if kind == "complex":
        return base + 1j
    if kind == "object":
        return np.array([None] * size, dtype=object).reshape(shape) if size else base
    if kind == "str":
        return np.array(["a"] * size).reshape(shape) if size else base
    with np.errstate(over="ignore"):
        return base * 1e308


@st.composite
def value(draw: st.DrawFn) -> object:
    choice = draw(st.integers(0, 9))
    if choice < 7:
        return _arrays(draw)
    return draw(st.sampled_from([None, "abc", [[1], [1, 2]], 10**400, float("inf"),
                                 [1.0, 2.0], 0.5, True, {"x": 1}]))


@st.composite
def values(draw: st.DrawFn) -> dict:
    names = draw(st.lists(st.sampled_from(["x", "y", "A", "X", "B", "a", "b", "w", "z",
                                           "zz"]), max_size=5, unique=True))
    return {n: draw(value()) for n in names}


def sizes() -> st.SearchStrategy:
    return st.one_of(
        st.none(),
        st.dictionaries(st.sampled_from(["n", "m", "k"]), st.one_of(
            st.integers(-2, 6), st.sampled_from([10**12, 2.0, "3", None, True])),
            max_size=2),
        st.sampled_from([[3], "n=3", 3]),
    )


def dims() -> st.SearchStrategy:
    return st.one_of(
        st.sampled_from(["n", "m", "k", 1, 2, 3, "3", "0", "-1", "n+1", "", " n", "1.5",
                         "exp"]),
        st.sampled_from([0, -1, 10**12, 10**400, 2.5, None, True, b"n", ["n"]]),
    )


def properties() -> st.SearchStrategy:
    return st.lists(st.one_of(
        st.sampled_from(["symmetric", "spd", "diagonal", "orthogonal", "positive",
                         "onehot", "simplex"]),
        st.sampled_from(["sym", "", "SPD", 3, None]),
    ), max_size=2)


def names() -> st.SearchStrategy:
    return st.one_of(
        st.sampled_from(["x", "A", "a", "x1", "_y", "Big_Name", "exp", "tr", "eye", "1x",
                         "", "a b", "é", "x'", "d"]),
        st.sampled_from([None, 3, b"x"]),
    )


def backends() -> st.SearchStrategy:
    return st.sampled_from(["numpy", "jax", "torch", "tf", "", None, 3, "NUMPY"])


def function_names() -> st.SearchStrategy:
    return st.sampled_from([None, "f", "grad_f", "1f", "def", "", 3, "f g", "numpy"])


# ---------------------------------------------------------------------- the tests

EXAMPLES = int(os.environ.get("MATDIFF_FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def outcome(call: Callable[[], Any]) -> Any:
    """call() or the MatdiffError it raised, checked: any other exception fails the test
    (it propagates), and an error must say what is wrong without a traceback."""
    try:
        return call()
    except matdiff.MatdiffError as e:
        assert e.message and e.message.strip(), repr(e)
        rendered = str(e)
        assert rendered.startswith("error: ") and "Traceback" not in rendered, rendered
        return e


def first_variable(text: str) -> str | None:
    got = outcome(lambda: matdiff.variables_of(text))
    if isinstance(got, matdiff.MatdiffError) or not got:
        return None
    return sorted(got)[0]


@FUZZ
@given(text=texts())
def test_any_text_parses_or_is_a_clean_error(text: str) -> None:
    node = outcome(lambda: matdiff.parse(text))
    if isinstance(node, matdiff.Node):
        # Printing and re-reading follow the same contract. (That printed text reads
        # back *equal* is the differential test's property, tests of issue 9 item 5.)
        printed = outcome(lambda: str(node))
        if isinstance(printed, str):
            outcome(lambda: matdiff.parse(printed))


@FUZZ
@given(text=texts(), order=st.sampled_from([1, 1, 2]))
def test_any_text_differentiates_or_is_a_clean_error(text: str, order: int) -> None:
    wrt = first_variable(text) or "x"
    d = outcome(lambda: matdiff.derivative(text, wrt=wrt, order=order))
    if isinstance(d, matdiff.Derivative):
        outcome(lambda: str(d))
        outcome(lambda: d.to_latex())


def test_text_at_and_past_the_depth_limit() -> None:
    """Consistency check of the limit itself: the deepest admitted text of each kind of
    nesting works through parse, derivative and printing; one level more is refused."""
    for kind in ("(", "exp(", "sum(", "[", "(-"):
        close = "]" if kind == "[" else ")"
        depth = MAX_DEPTH - 1 if kind == "(-" else MAX_DEPTH
        text = kind * depth + "x" + close * depth
        d = matdiff.derivative(text, wrt="x")
        assert str(d)
        with pytest.raises(matdiff.LimitError, match="nested"):
            matdiff.parse(kind * (MAX_DEPTH + 1) + "x" + close * (MAX_DEPTH + 1))


@FUZZ
@given(expr=expressions(), wrt=wrts(), variables=variables(), order=orders(),
       layout=layouts(), structured=structureds(),
       which=st.sampled_from(["derivative", "hessian", "jacobian", "grad"]))
def test_derivative_arguments(expr, wrt, variables, order, layout, structured, which):
    if which == "derivative":
        call = lambda: matdiff.derivative(expr, wrt, variables, order=order,  # noqa: E731
                                          layout=layout, structured=structured)
    else:
        fn = getattr(matdiff, which)
        call = lambda: fn(expr, wrt, variables, layout=layout,  # noqa: E731
                          structured=structured)
    d = outcome(call)
    if isinstance(d, matdiff.Derivative):
        outcome(lambda: str(d))


@FUZZ
@given(expr=st.sampled_from(VALID + ["eye(n)*x", "sum(vector(1))", "commutation(n, m)"]),
       vals=values(), sizes=sizes(), positional=st.booleans())
def test_evaluate_arguments(expr, vals, sizes, positional):
    if positional:
        outcome(lambda: matdiff.evaluate(expr, vals, sizes=sizes))
    else:
        outcome(lambda: matdiff.evaluate(expr, sizes=sizes, **vals))


_DERIVATIVES: dict[str, matdiff.Derivative] = {}


def _derivative(expr: str, wrt: str) -> matdiff.Derivative:
    key = expr + "|" + wrt
    if key not in _DERIVATIVES:
        _DERIVATIVES[key] = matdiff.derivative(expr, wrt=wrt)
    return _DERIVATIVES[key]


@FUZZ
@given(case=st.sampled_from([("x'*A*x", "x"), ("tr(A*X*B)", "X"), ("log(det(X))", "X"),
                             ("a*b + sin(a)", "a,b"), ("A*x", "x"), ("sum(exp(x))", "x")]),
       vals=values(), backend=backends(), name=function_names())
def test_derivative_evaluate_and_to_code_arguments(case, vals, backend, name):
    d = _derivative(*case)
    outcome(lambda: d.evaluate(vals))
    outcome(lambda: d.evaluate(**vals))
    outcome(lambda: d.to_code(backend, name))


@FUZZ
@given(kind=st.sampled_from(["scalar", "vector", "matrix"]), name=names(),
       dims=st.lists(dims(), max_size=2), props=properties())
def test_symbol_builders(kind, name, dims, props):
    if kind == "scalar":
        s = outcome(lambda: matdiff.scalar(name, *props))
    elif kind == "vector":
        s = outcome(lambda: matdiff.vector(name, *dims[:1], *props))
    else:
        s = outcome(lambda: matdiff.matrix(name, *dims, *props))
    if isinstance(s, matdiff.Node):
        # A symbol that was accepted prints, reads back, and differentiates.
        text = str(s)
        assert text == name
        sq = outcome(lambda: s.T @ s)
        if isinstance(sq, matdiff.Node):
            outcome(lambda: matdiff.derivative(matdiff.sum(sq), wrt=s))


@FUZZ
@given(other=st.one_of(st.sampled_from(BAD_OBJECTS + [np.ones(3), "x", 10**400, -0.0,
                                                      float("inf")]),
                       st.floats(allow_nan=True, allow_infinity=True)),
       op=st.sampled_from(["+", "-", "*", "/", "@", "**", "r+", "r*", "r@", "r**"]))
def test_operators_with_anything(other, op):
    x = matdiff.vector("x", "n")
    ops = {"+": lambda: x + other, "-": lambda: x - other, "*": lambda: x * other,
           "/": lambda: x / other, "@": lambda: x @ other, "**": lambda: x ** other,
           "r+": lambda: other + x, "r*": lambda: other * x, "r@": lambda: other @ x,
           "r**": lambda: other ** x}
    outcome(ops[op])
