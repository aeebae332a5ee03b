"""A catalogue of bad inputs: each gives the right error class, message, caret and hint,
and nothing but a MatdiffError ever escapes the parser (checked by fuzzing too)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matdiff.errors import (
    DeclarationError,
    LimitError,
    MatdiffError,
    ParseError,
    ShapeError,
    UnknownNameError,
    ValueError_,
)
from matdiff.parse import MAX_DEPTH, parse, parse_declaration, parse_declaration_line
from matdiff.parse.lexer import MAX_LENGTH

AN = {"A": "matrix n m", "x": "vector n"}
Name = UnknownNameError

# (text, declarations, class, message fragment, caret span, hint fragment or None)
BAD = [
    # the examples the brief names
    ("A*x", AN, ShapeError, "cannot multiply A (n×m) by x (n)", (0, 3), "did you mean A'*x?"),
    ("trace(X)", None, Name, "unknown function 'trace'", (0, 5), "did you mean tr?"),
    ("x'*A*", None, ParseError, "missing operand after '*'", (5, 5), "ends too early"),
    ("(x + y", None, ParseError, "'(' is never closed", (0, 1), "add a ')'"),
    ("x + y)", None, ParseError, "no matching '('", (5, 6), None),
    ("x # y", None, ParseError, "unexpected character '#'", (2, 3), None),
    ("x $ 2", None, ParseError, "unexpected character '$'", (2, 3), None),
    ("", None, ParseError, "the expression is empty", (0, 0), None),
    ("   ", None, ParseError, "the expression is empty", (0, 0), None),
    ("tr(x)", None, ShapeError, "tr needs a square matrix, but x (n) is a vector", (0, 5), None),
    ("inv(A)", AN, ShapeError, "inv needs a square matrix, but A (n×m)", (0, 6), None),
    ("x^2", None, ShapeError, "needs a square matrix; x (n) is a vector", (0, 3), "x.^2"),
    ("A/B", None, ShapeError, "'/' divides by a scalar, but B (p×q)", (0, 3), "./"),
    ("tr", None, Name, "tr is a function and needs an argument", (0, 2), "tr(...)"),
    ("tr + 1", None, Name, "tr is a function", (0, 2), "tr(...)"),
    ("kron(A)", None, Name, "kron takes 2 arguments, got 1", (0, 7), "kron(A, B)"),
    ("exp(x, y)", None, Name, "exp takes 1 argument, got 2", (0, 9), "exp(x)"),
    ("x + A", None, ShapeError, "cannot add x (n) and A (m×p)", (0, 5), None),
    ("x - A", None, ShapeError, "cannot subtract A (m×p) from x (n)", (0, 5), None),
    ("X^0.5", None, ShapeError, "integer exponent, got 0.5", (0, 5), ".^0.5"),
    ("X^a", None, ShapeError, "integer exponent, got a", (0, 3), ".^a"),
    ("x*y", None, ShapeError, "cannot multiply x (n) by y (m)", (0, 3), "did you mean x'*y?"),
    ("tr(eye)", None, ShapeError, "cannot infer the size of eye", (3, 6), "A + eye"),
    ("2x", None, ParseError, "missing operator between 2 and x", (1, 2), "2*x"),
    ("x y", None, ParseError, "missing operator before 'y'", (2, 3), "*"),
    ("[a b]", None, ParseError, "missing operator before 'b'", (3, 4), "','"),
    ("f(x)", None, Name, "unknown function 'f'", (0, 1), "f*(...)"),
    ("x(1)", {"x": "vector n"}, Name, "x is a variable, not a function", (0, 1), "indexing"),
    ("x**2", None, ParseError, "two operators in a row", (2, 3), "^ for powers"),
    ("softmax(x')", None, ShapeError, "softmax needs a column vector", (0, 11), "softmax(x)'"),
    ("softmax(X)", None, ShapeError, "X (n×m) is not one", (0, 10), None),
    ("[x, A; y]", None, ShapeError, "row 2 of the block has 1 entry", (7, 8), "same number"),
    ("[x, a]", None, ShapeError, "x (n) and a (scalar)", (4, 5), None),
    ("[x; A']", None, ShapeError, "same number of columns", (4, 6), None),
    ("det(x)", None, ShapeError, "det needs a square matrix", (0, 6), None),
    ("logdet(A)", AN, ShapeError, "A (n×m) is not square", (0, 9), None),
    ("expm(x)", None, ShapeError, "expm needs a square matrix", (0, 7), None),
    ("diag(A)", AN, ShapeError, "diag needs a square matrix", (0, 7), "diag(v)"),
    ("x ./ A", None, ShapeError, "cannot divide elementwise x (n) by A (m×p)", (0, 6), None),
    ("x .* y'", None, ShapeError, "cannot multiply elementwise", (0, 7), "x .* y?"),
    ("a^x", None, ShapeError, "the exponent of ^ must be a scalar", (0, 3), "a .^ x"),
    ("vector(x)", None, ShapeError, "vector(c) needs a scalar c", (0, 9), None),
    ("eye(1.5)", None, ShapeError, "must be a whole number or a size name", (4, 7), "eye(n)"),
    ("vector", None, Name, "vector needs an argument", (0, 6), "vector(1)"),
    ("()", None, ParseError, "empty parentheses", (0, 2), None),
    ("[]", None, ParseError, "empty block matrix", (0, 2), None),
    ("x +* y", None, ParseError, "two operators in a row: '+' then '*'", (3, 4), None),
    ("*x", None, ParseError, "missing operand before '*'", (0, 1), None),
    ("x,y", None, ParseError, "unexpected ','", (1, 2), None),
    ("x;y", None, ParseError, "unexpected ';'", (1, 2), None),
    ("a @ b", None, ParseError, "unexpected character '@'", (2, 3), "*"),
    ("1e999", None, ParseError, "too large", (0, 5), None),
    ("10^400", None, ValueError_, "too large", (0, 6), None),
    ("x)'", None, ParseError, "no matching '('", (1, 2), None),
    ("sin(x", None, ParseError, "'(' is never closed", (3, 4), None),
    ("[x, y", None, ParseError, "'[' is never closed", (0, 1), "']'"),
    ("x]", None, ParseError, "no matching '['", (1, 2), None),
    ("'x", None, ParseError, "a transpose ' needs something before it", (0, 1), None),
    ("A*B*x", {"A": "matrix n m", "B": "matrix 3 4"}, ShapeError,
     "cannot multiply A (n×m) by B (3×4)", (0, 3), None),
    ("A*B*C*x*y", None, ShapeError, "cannot multiply A*B*C*x (n) by y (r)", (0, 9),
     "(A*B*C*x)'*y"),
    ("norm(x)", None, Name, "unknown function 'norm'", (0, 4), "norm2"),
    ("ln(a)", None, Name, "unknown function 'ln'", (0, 2), "log"),
    ("sqrt(x) + A*x", {"A": "matrix n m"}, ShapeError, "sqrt(x) (m) and A*x (n)", (0, 13),
     None),
    ("x.^A", None, ShapeError, "cannot raise elementwise x (n) to the power A", (0, 4), None),
    ("(a+b)(a-b)", None, ParseError, "missing operator before '('", (5, 6), "*"),
    ("a^", None, ParseError, "missing operand after '^'", (2, 2), None),
    ("inv(x)", None, ShapeError, "inv needs a square matrix", (0, 6), None),
    ("x/y", None, ShapeError, "'/' divides by a scalar", (0, 3), "x ./ y"),
    ("A = B", None, ParseError, "unexpected character '='", (2, 3), "without '='"),
    ("x²", None, ParseError, "unexpected character '²'", (1, 2), None),
    ("x + (A*y)*z", None, ShapeError, "cannot multiply (A*y) (m) by z (q)", (4, 11),
     "did you mean (A*y)'*z?"),
    ("x'*A*x + y'*x", {"x": "vector n", "y": "vector m"}, ShapeError,
     "cannot multiply y' (1×m) by x (n)", (9, 13), None),
    ("exp(x) + tr(X*y)", None, ShapeError, "tr needs a square matrix, but X*y (m) is a vector",
     (9, 16), None),
    ("softmax(vector(1)')", None, ShapeError, "softmax needs a column vector", (0, 19), None),
    # declarations: the caret points into "name: declaration"
    ("t", {"t": "vektor n"}, DeclarationError, "unknown kind 'vektor'", (3, 9), "vector"),
    ("x", {"x": "vector n symmetric"}, DeclarationError, "'symmetric' needs a square",
     (12, 21), None),
    ("x", {"x": "matrix n m p"}, DeclarationError, "a matrix has two sizes, got 3", (14, 15),
     None),
    ("x", {"x": "vector n m"}, DeclarationError, "a vector has one size", (12, 13), None),
    ("x", {"2x": "vector"}, DeclarationError, "not a valid variable name", (0, 2), None),
    ("x", {"x": "scalar n"}, DeclarationError, "a scalar has no size", (10, 11), None),
    ("x", {"A": "matrix n m spd"}, DeclarationError, "'spd' needs a square matrix, not n×m",
     (14, 17), "matrix n n spd"),
    # onehot/simplex on a matrix hold per column (issue 11, item 6); a scalar cannot be
    ("x", {"x": "scalar onehot"}, DeclarationError, "'onehot' needs a vector or a matrix",
     (10, 16), None),
    ("x", {"x": "vector n symetric"}, DeclarationError, "unknown property 'symetric'",
     (12, 20), "symmetric"),
    ("x", {"tr": "scalar"}, DeclarationError, "is a function", (0, 2), None),
    ("x", {"x": ""}, DeclarationError, "the declaration is empty", (3, 4), None),
    ("x", {"x": "matrix 0 3"}, DeclarationError, "positive integer", (10, 11), None),
    ("x", {"x": "vector n-1"}, DeclarationError, "unexpected '-'", (11, 12), None),
    ("A*x", {"A": "matrix n n", "x": "vector m"}, ShapeError, "A (n×n) by x (m)", (0, 3),
     None),
]


def test_catalogue_is_large():
    assert len(BAD) >= 40


@pytest.mark.parametrize("text, decls, cls, fragment, span, hint", BAD,
                         ids=[f"{i}:{c[0]}" for i, c in enumerate(BAD)])
def test_bad_input(text, decls, cls, fragment, span, hint):
    with pytest.raises(cls) as info:
        parse(text, decls)
    err = info.value
    assert fragment in err.message
    assert err.span == span
    if hint is None:
        pass
    else:
        assert err.hint is not None and hint in err.hint
    # str(err): the message, the text with carets under the span, the hint
    lines = str(err).splitlines()
    assert lines[0] == f"error: {err.message}"
    if "\n" not in (err.text or "\n"):
        start, end = span
        assert lines[2].index("^") - 2 == start
        assert lines[2].count("^") == max(1, end - start)
    if hint is not None:
        assert lines[-1].startswith("hint: ")


def test_required_message_in_full():
    with pytest.raises(ShapeError) as info:
        parse("A*x", AN)
    assert str(info.value) == (
        "error: cannot multiply A (n×m) by x (n)\n"
        "  A*x\n"
        "  ^^^\n"
        "hint: did you mean A'*x?"
    )


def test_transpose_hint_for_the_right_operand():
    with pytest.raises(ShapeError) as info:
        parse("x*A", {"A": "matrix n m", "x": "vector n"})
    assert info.value.hint == "did you mean x'*A?"
    with pytest.raises(ShapeError) as info:
        parse("A*B", {"A": "matrix n m", "B": "matrix p m"})
    assert info.value.hint == "did you mean A*B'?"


def test_limits():
    with pytest.raises(LimitError, match="characters long"):
        parse("x+" * (MAX_LENGTH // 2) + "x")
    deep = "(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(LimitError, match="nested"):
        parse(deep)
    with pytest.raises(LimitError):
        parse("exp(" * 300 + "x" + ")" * 300)
    with pytest.raises(LimitError):
        parse("[" * 300 + "x" + "]" * 300)
    with pytest.raises(LimitError):
        parse("a^" * 300 + "a")


def test_nesting_up_to_the_limit_works():
    assert parse("(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH).shape == ("n", 1)
    assert parse("exp(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH).shape == ("n", 1)
    assert parse("(-" * (MAX_DEPTH - 1) + "x" + ")" * (MAX_DEPTH - 1)).shape == ("n", 1)


def test_long_flat_input_is_fine():
    assert parse("a+" * 3000 + "a").shape == (1, 1)
    assert parse("-" * 5000 + "x") is parse("x")
    assert parse("x" + "'" * 4000) is parse("x")
    assert parse("A*" * 1000 + "A").shape == ("n", "n")


def test_declaration_errors_standalone():
    with pytest.raises(DeclarationError) as info:
        parse_declaration("vektor n")
    assert info.value.span == (0, 6) and info.value.hint == "did you mean vector?"
    with pytest.raises(DeclarationError) as info:
        parse_declaration_line("A matrix n")
    assert "':'" in info.value.message
    with pytest.raises(DeclarationError) as info:
        parse_declaration_line("A: matrix n m symmetric")
    assert info.value.span == (14, 23)
    assert str(info.value).splitlines()[2] == "  " + " " * 14 + "^" * 9
    with pytest.raises(DeclarationError):
        parse("x", {"x": 3})
    with pytest.raises(DeclarationError):
        parse("x", ["x"])


def test_non_string_expression():
    with pytest.raises(ParseError):
        parse(3)  # type: ignore[arg-type]


ALPHABET = "aAbxyXzBc12.5e +-*/^'()[],; \t.tr(exp(vector(eye"
TOKENS = ["x", "y", "A", "B", "a", "b", "2", "0.5", "1e3", "+", "-", "*", "/", ".*", "./",
          "^", ".^", "'", "(", ")", "[", "]", ",", ";", " ", "tr(", "exp(", "kron(",
          "inv(", "diag(", "vec(", "eye", "vector(", "matrix(", "sum(", "softmax(", "-1",
          "det(", "trace(", "#", "x'", "A'", "X"]


def _only_matdiff_errors(text: str, decls=None) -> None:
    try:
        parse(text, decls)
    except MatdiffError as e:
        str(e)  # rendering must not fail either
        assert e.text is not None or isinstance(e, (DeclarationError, LimitError))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=ALPHABET, max_size=40))
def test_fuzz_characters(text):
    _only_matdiff_errors(text)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=25).map("".join))
def test_fuzz_tokens(text):
    _only_matdiff_errors(text)
    _only_matdiff_errors(text, {"x": "vector n", "A": "matrix n n symmetric",
                                "B": "matrix 3 n", "a": "scalar"})


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_fuzz_declarations(spec):
    try:
        parse_declaration(spec)
    except MatdiffError:
        pass
    try:
        parse("x", {"x": spec})
    except MatdiffError:
        pass
