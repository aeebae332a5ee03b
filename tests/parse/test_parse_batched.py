"""Parsing the batched forms with MATLAB's dim (issue 11, item 6): shapes inferred from
`sum(X, dim)`, `mean`, `softmax(Z, dim)`, `logsumexp(Z, dim)`, and the errors (with a
caret under the offending part and a hint) for what the language refuses."""

from __future__ import annotations

import pytest

from matdiff.errors import DeclarationError, MatdiffError, NameError_, ShapeError
from matdiff.parse import parse, parse_with_env


@pytest.mark.parametrize("text,decls,shape", [
    ("sum(X, 1)", {"X": "matrix m n"}, (1, "n")),
    ("sum(X, 2)", {"X": "matrix m n"}, ("m", 1)),
    ("sum(X)", {"X": "matrix m n"}, (1, 1)),
    ("mean(X)", {"X": "matrix m n"}, (1, 1)),
    ("mean(X, 1)", {"X": "matrix m n"}, (1, "n")),
    ("mean(X, 2)", {"X": "matrix m n"}, ("m", 1)),
    ("softmax(Z, 1)", {"Z": "matrix m n"}, ("m", "n")),
    ("softmax(Z, 2)", {"Z": "matrix m n"}, ("m", "n")),
    ("logsumexp(Z, 1)", {"Z": "matrix m n"}, (1, "n")),
    ("logsumexp(Z, 2)", {"Z": "matrix m n"}, ("m", 1)),
    ("logsumexp(Z)", {"Z": "matrix m n"}, (1, 1)),
    ("sum(X, (2))", {"X": "matrix m n"}, ("m", 1)),
    ("softmax(z, 1)", {"z": "vector n"}, ("n", 1)),
])
def test_shapes(text, decls, shape):
    assert parse(text, decls).shape == shape


def test_sizes_are_inferred_through_the_dim():
    """sum(X, 1)*x makes x as long as X is wide; sum(X, 2)'*y as X is tall."""
    _, env = parse_with_env("sum(X, 1)*x + sum(X, 2)'*y", {"X": "matrix m n"})
    assert env["x"].shape == ("n", 1) and env["y"].shape == ("m", 1)


def test_batched_softmax_in_an_expression():
    _, env = parse_with_env("-sum(Y .* log(softmax(W*X, 1)))",
                            {"W": "matrix m n", "X": "matrix n p"})
    assert env["Y"].shape == ("m", "p")


def test_onehot_and_simplex_matrices_are_declared_per_column():
    e = parse("sum(Y, 1)", {"Y": "matrix m n onehot"})
    assert e.children[0].arg.props == {"onehot"}
    assert parse("P", {"P": "matrix simplex"}).arg.props == {"simplex"}


@pytest.mark.parametrize("text,cls,message,span_text,hint", [
    ("softmax(Z)", ShapeError, "softmax needs a column vector", "softmax(Z)",
     "softmax(Z, 1) (per column) or softmax(Z, 2) (per row)"),
    ("softmax(W*X)", ShapeError, "softmax needs a column vector", "softmax(W*X)",
     "softmax(W*X, 1)"),
    ("sum(X, 3)", ShapeError, "dim argument of sum must be the number 1 or 2", "3",
     "sum(X, 1) acts down each column"),
    ("logsumexp(Z, k)", ShapeError, "dim argument of logsumexp", "k",
     "logsumexp(Z, 2) along each row"),
    ("mean(X, 1.5)", ShapeError, "dim argument of mean", "1.5", "mean(X, 1)"),
    ("sum(X, 1, 2)", NameError_, "sum takes 1 or 2 arguments, got 3", "sum(X, 1, 2)",
     "sum(X, 1) / sum(X, 2)"),
    ("mean", NameError_, "mean is a function", "mean", "mean(...)"),
    ("sum(X, 1) + x", ShapeError, "cannot add sum(X, 1) (1×m)", "sum(X, 1) + x",
     "sum(X, 1) + x'"),
])
def test_errors(text, cls, message, span_text, hint):
    with pytest.raises(cls) as info:
        parse(text)
    err = info.value
    assert message in str(err)
    start = text.index(span_text)
    lines = str(err).splitlines()
    caret = next(line for line in lines if set(line.strip()) == {"^"})
    assert caret == "  " + " " * start + "^" * len(span_text)
    assert hint in str(err)


def test_mean_is_reserved():
    with pytest.raises(DeclarationError, match="not a variable name"):
        parse("x", {"mean": "vector"})


def test_no_traceback_for_odd_dims():
    for text in ("sum(X, -1)", "sum(X, 1e9)", "softmax(Z, [1])", "sum(X, 0)", "mean()"):
        with pytest.raises(MatdiffError):
            parse(text)
