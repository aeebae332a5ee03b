"""The echo `f = ...` shows the function as typed (issue 11 item 7): `(x - m)'`, not
`(x' - m')`. Behaviour tests of parse/echo.py and of the report's first line; that the
echo is the same function is checked by parsing it back (same IR node)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import matdiff
from matdiff.parse.echo import as_written
from matdiff.report import report


@pytest.mark.parametrize("text, echo", [
    ("(x - m)'*(x-m)", "(x - m)'*(x - m)"),
    ("x'*A*x", "x'*A*x"),
    ("  norm2( X*w-y )^2+lambda*norm2(w)^2 ", "norm2(X*w - y)^2 + lambda*norm2(w)^2"),
    ("-x.^-1.*y", "-x.^-1 .* y"),
    ("1e-3*x./2", "1e-3*x ./ 2"),
    ("[a,b;c ,d]", "[a, b; c, d]"),
    ("A^2'", "A^2'"),
    ("x''+x'''", "x'' + x'"),
    ("sum(X,1)*w", "sum(X, 1)*w"),
    ("a - -b", "a - -b"),
    ("log(det(X))", "log(det(X))"),
])
def test_as_written(text, echo):
    assert as_written(text) == echo


ROUND_TRIP = [
    "(x - m)'*(x-m)", "x'*A*x", "norm2(X*w - y)^2 + lambda*norm2(w)^2", "-x.^-1 .* y",
    "A^2'", "x''*x'''", "a - -b", "(A*B)'*x", "[a, b; c, d]^2", "exp(-0.5*x'*S*x)",
    "sum(log(1 + exp(-y .* (X*w))))", "-sum(Y .* log(softmax(W*X, 1)))", "2^-(x'*x)",
    "tr((A - B)'*(A - B))", "x'*(A + A')'*x", "1/3*x'*x",
]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_the_echo_is_the_same_function(text):
    assert matdiff.parse(as_written(text)) is matdiff.parse(text)


def test_the_report_echoes_the_function_as_typed():
    text = "(x - m)'*(x - m)"
    d = matdiff.derivative(text, "x")
    assert report(d, text).split("\n")[0] == "f = (x - m)'*(x - m)"
    assert report(d).split("\n")[0] == "f = (x' - m')*(x - m)"  # no text: the node


def test_the_command_line_echoes_the_function_as_typed():
    out = subprocess.run([sys.executable, "-m", "matdiff", "(x - m)'*(x-m)", "--wrt", "x"],
                         capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[0] == "f = (x - m)'*(x - m)"
    assert "df/dx = 2*(x - m)" in out
