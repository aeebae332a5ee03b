"""The teaching commands through matdiff.cli.main, as a person runs them."""

from __future__ import annotations

import io

import pytest

from matdiff.cli import main


def test_steps(capsys):
    assert main(["steps", "log(det(X))", "--wrt", "X"]) == 0
    out = capsys.readouterr().out
    assert "Cookbook" in out and "df/dX = inv(X)'" in out


def test_steps_latex(capsys):
    assert main(["steps", "x'*A*x", "--wrt", "x", "--latex"]) == 0
    assert "\\begin{align*}" in capsys.readouterr().out


def test_steps_hessian_and_vars(capsys):
    assert main(["steps", "x'*A*x", "--wrt", "x", "--order", "2",
                 "--var", "A: matrix n n symmetric"]) == 0
    assert "d²f = dx'*H*dx" in capsys.readouterr().out


def test_steps_user_error_has_caret(capsys):
    assert main(["steps", "x'*A*", "--wrt", "x"]) == 2
    err = capsys.readouterr().err
    assert "^" in err and "Traceback" not in err


def test_check_answer_right(capsys):
    assert main(["check-answer", "x'*A*x", "--wrt", "x", "--answer", "A'*x + A*x"]) == 0
    assert capsys.readouterr().out.startswith("correct")


def test_check_answer_pitfall(capsys):
    assert main(["check-answer", "x'*A*x", "--wrt", "x", "--answer", "2*A*x"]) == 1
    out = capsys.readouterr().out
    assert "quadratic-form-transpose" in out and "A = A'" in out
    assert "the derivative: (A + A')*x" in out


def test_check_answer_hide(capsys):
    assert main(["check-answer", "tr(A*X)", "--wrt", "X", "--answer", "A", "--hide"]) == 1
    out = capsys.readouterr().out
    assert "trace-transpose" in out and "the derivative:" not in out


def test_check_answer_syntax_error(capsys):
    assert main(["check-answer", "x'*A*x", "--wrt", "x", "--answer", "2*(A*x"]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


def test_check_answer_missing_option(capsys):
    assert main(["check-answer", "x'*A*x", "--wrt", "x"]) == 2
    assert "--answer" in capsys.readouterr().err


def test_examples_list(capsys):
    assert main(["examples"]) == 0
    out = capsys.readouterr().out
    for key in ("1", "2", "3", "4", "p1", "p6"):
        assert f"  {key}  " in out or f" {key}  " in out


def test_examples_3(capsys):
    assert main(["examples", "3"]) == 0
    out = capsys.readouterr().out
    assert "∂L/∂W = [[-2, -2], [-4, -4]]" in out and "∂L/∂x = [-14, -20]" in out


def test_examples_practice_2(capsys):
    assert main(["examples", "p2"]) == 0
    out = capsys.readouterr().out
    assert "[2*x1, 1; x2*cos(x1*x2), x1*cos(x1*x2)]" in out


def test_examples_all_and_unknown(capsys):
    assert main(["examples", "all"]) == 0
    assert "Practice 6" in capsys.readouterr().out
    assert main(["examples", "42"]) == 2


def test_help_returns(capsys):
    assert main(["practice", "--help"]) == 0
    assert "--seed" in capsys.readouterr().out


def _practice(monkeypatch, capsys, argv, stdin):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    rc = main(["practice", *argv])
    return rc, capsys.readouterr().out


def test_practice_eof_exits_cleanly(monkeypatch, capsys):
    rc, out = _practice(monkeypatch, capsys, ["--seed", "1"], "")
    assert rc == 0 and "Problem 1" in out and "Bye" in out


def test_practice_deterministic(monkeypatch, capsys):
    _, a = _practice(monkeypatch, capsys, ["--seed", "7", "--level", "2"], "")
    _, b = _practice(monkeypatch, capsys, ["--seed", "7", "--level", "2"], "")
    assert a == b


@pytest.mark.parametrize("level", [1, 2, 3])
def test_practice_right_answer_then_steps(monkeypatch, capsys, level):
    import random

    import matdiff
    from matdiff.teach.practice import make_problem

    prob = make_problem(random.Random(5), level)
    answer = str(matdiff.derivative(prob.function, wrt=prob.wrt, variables=prob.variables))
    rc, out = _practice(monkeypatch, capsys, ["--seed", "5", "--level", str(level)],
                        answer + "\n")
    assert rc == 0
    assert "correct" in out and "not correct" not in out
    assert "The derivation:" in out and "Solved 1 of 1" in out


def test_practice_wrong_then_give_up(monkeypatch, capsys):
    rc, out = _practice(monkeypatch, capsys, ["--seed", "2", "--level", "2"], "x\n2*(A*\n?\n")
    assert rc == 0
    assert "not correct" in out or "error:" in out
    assert "The derivation:" in out


def test_practice_bad_level(capsys):
    assert main(["practice", "--level", "7"]) == 2


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("level", [1, 2, 3])
def test_practice_problems_are_well_typed(seed, level):
    import matdiff
    from matdiff.teach.practice import make_problem

    p = make_problem(seed, level)
    d = matdiff.derivative(p.function, wrt=p.wrt, variables=p.variables)
    assert d.expr is not None
    from matdiff.teach.check import check_answer

    assert check_answer(p.function, p.wrt, str(d), p.variables).correct
