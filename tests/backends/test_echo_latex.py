"""The page's `f = ...` in LaTeX shows the function as typed (issue 11 item 7):
`\\left(x - m\\right)^{\\top}`, not `x^{\\top} - m^{\\top}`. Behaviour tests of
backends/echo_latex.py against hand-written LaTeX."""

from __future__ import annotations

import pytest

from matdiff.backends.echo_latex import echo_latex
from matdiff.errors import MatdiffError


@pytest.mark.parametrize("text, latex", [
    ("(x - m)'*(x-m)", r"\left(x - m\right)^{\top} \left(x - m\right)"),
    ("x'*A*x", r"x^{\top} A x"),
    ("norm2(X*w - y)^2 + lambda*norm2(w)^2",
     r"\left\|X w - y\right\|_2^{2} + \lambda \left\|w\right\|_2^{2}"),
    ("norm2(X)^2", r"\left\|X\right\|_F^{2}"),  # the Frobenius norm by X's typed shape
    ("-x.^-1 .* y", r"-x^{\circ -1} \odot y"),
    ("log(det(X))", r"\log\left(\det\left(X\right)\right)"),
    ("-sum(Y .* log(softmax(W*X, 1)))",
     r"-\operatorname{sum}\left(Y \odot \log\left(\operatorname{softmax}\left(W X, 1\right)"
     r"\right)\right)"),
    ("1/3*x'*x", r"\frac{1}{3} x^{\top} x"),
    ("tr(inv(X)*A)", r"\operatorname{tr}\left(X^{-1} A\right)"),
    ("kron(A, B)", r"A \otimes B"),
    ("A^2'", r"\left(A^{2}\right)^{\top}"),
    ("[a, b; c, d]", r"\begin{bmatrix} a & b \\ c & d \end{bmatrix}"),
    ("a .* x * 2", r"\left(a \odot x\right) \cdot 2"),
    ("x + y .* z", r"x + y \odot z"),  # ⊙ binds tighter than +, as in latex.py
])
def test_echo_latex(text, latex):
    assert echo_latex(text) == latex


def test_declarations_type_it():
    assert echo_latex("norm2(W)", {"W": "vector n"}) == r"\left\|W\right\|_2"


def test_bad_text_raises_the_parsers_error():
    with pytest.raises(MatdiffError):
        echo_latex("x*")
    with pytest.raises(MatdiffError):
        echo_latex("A*x", {"A": "matrix n m", "x": "vector n"})
