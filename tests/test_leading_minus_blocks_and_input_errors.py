"""Edges of the command line and the API found by QA: expressions starting with a minus,
block literals' sizes, limits, and input that must give MatdiffError, not a traceback."""

from __future__ import annotations

import numpy as np
import pytest

import matdiff
from matdiff.cli import main


def test_expression_starting_with_minus(capsys):
    assert main(["-y'*log(softmax(z))", "--wrt", "z", "--var", "y: vector n onehot",
                 "--plain"]) == 0
    assert capsys.readouterr().out.strip() == "softmax(z) - y"


def test_answer_starting_with_minus(capsys):
    assert main(["check-answer", "x'*x", "--wrt", "x", "--answer", "-2*x"]) == 1
    assert "sign" in capsys.readouterr().out


def test_block_literal_jacobian_evaluates_and_checks(capsys):
    d = matdiff.derivative("[x; x]", wrt="x")
    assert str(d) == "[eye(n); eye(n)]"
    assert np.array_equal(d.evaluate(x=np.ones(2)), np.vstack([np.eye(2), np.eye(2)]))
    assert main(["[x; 2*x]", "--wrt", "x", "--check"]) == 0
    assert "numerical check passed" in capsys.readouterr().out


@pytest.mark.parametrize("call, fragment", [
    (lambda: matdiff.evaluate(None), "needs an expression"),
    (lambda: matdiff.evaluate("eye(n)", sizes={"n": -1}), "whole number"),
    (lambda: matdiff.evaluate("eye(n)", sizes={"n": "3"}), "whole number"),
    (lambda: matdiff.evaluate("commutation(n, n)"), "cannot be told"),
    (lambda: matdiff.derivative("X^100000000", wrt="X"), "expands"),
    (lambda: matdiff.derivative("x'*x", wrt="x", order=10**12), "limit"),
    (lambda: matdiff.derivative("x'*x", wrt="x").check(trials=0), "trials"),
    (lambda: matdiff.derivative("x'*x", wrt=5), "wrt must name"),
    (lambda: matdiff.derivative("x'*x", wrt="x").evaluate(5), "mapping"),
    (lambda: matdiff.vector("1x", "n"), "variable name"),
    (lambda: matdiff.matrix("B", "n", "n", "bogus"), "unknown property"),
])
def test_bad_api_input_is_a_matdiff_error(call, fragment):
    with pytest.raises(matdiff.MatdiffError, match=fragment):
        call()


def test_numpy_array_and_symbol_do_not_mix():
    with pytest.raises(TypeError, match="declare a symbol"):
        np.ones((3, 3)) @ matdiff.vector("x", "n")


def test_scalar_hint_for_first_letter_vectors():
    with pytest.raises(matdiff.ShapeError) as err:
        matdiff.derivative("expm(t*A)*x0", wrt="t")
    assert "t: scalar" in str(err.value)
