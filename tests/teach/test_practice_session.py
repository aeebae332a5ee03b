"""Practice sessions and the lesson as a newcomer meets them: giving up shows the
solution, the lesson is introduced, the problems are named for what they are.
Printed-form tests of the teaching commands."""

from __future__ import annotations

import io

import pytest

import matdiff
from matdiff.teach import lesson
from matdiff.teach.commands import examples_main, practice_main
from matdiff.teach.practice import TEMPLATES


def _session(monkeypatch, capsys, text: str, *argv: str) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    assert practice_main(list(argv)) == 0
    return capsys.readouterr().out


def test_giving_up_shows_the_solution(monkeypatch, capsys):
    out = _session(monkeypatch, capsys, "?\n", "--seed", "1")
    d = matdiff.derivative("2*x'*x", "x")
    assert "Problem 1: Find the derivative of f = 2*x'*x" in out
    head, _, rest = out.partition("The solution:")
    assert rest, out
    first = rest.splitlines()[0].strip()
    assert first == f"df/dx = {d}"  # the solution itself, on the same line
    assert "The derivation:" in rest and "Result" in rest


def test_running_out_of_tries_shows_the_solution(monkeypatch, capsys):
    out = _session(monkeypatch, capsys, "x\nx\n", "--seed", "1", "--tries", "2")
    assert "The solution: df/dx = 4*x" in out
    assert "Solved 0 of 1." in out


def test_solving_shows_the_derivation_without_the_solution_line(monkeypatch, capsys):
    out = _session(monkeypatch, capsys, "4*x\n", "--seed", "1")
    assert "correct (symbolic check)" in out and "The solution:" not in out
    assert "The derivation:" in out and "Solved 1 of 1." in out


def test_end_of_input_after_a_try_shows_the_solution(monkeypatch, capsys):
    out = _session(monkeypatch, capsys, "x\n", "--seed", "1")
    assert "The solution: df/dx = 4*x" in out and "End of input. Bye." in out


def test_practice_and_examples_introduce_the_lesson(monkeypatch, capsys):
    out = _session(monkeypatch, capsys, "", "--seed", "1")
    assert "The lesson:" in out and "09-10 Matrix Calculus" in out
    assert "do not need to have read it" in out
    assert examples_main([]) == 0
    listing = capsys.readouterr().out
    assert listing.startswith("The lesson is a course unit on matrix calculus")
    assert examples_main(["p1"]) == 0
    assert "from the lesson" in capsys.readouterr().out


def test_softplus_is_called_softplus():
    p6 = lesson.find("p6")
    assert "softplus" in p6.title and "log-sigmoid" not in p6.title
    topics = [t[3] for level in TEMPLATES.values() for t in level]
    assert not any("log-sigmoid" in t for t in topics)
    # and it is softplus: log(1 + exp(s)) = softplus(s)
    a = matdiff.evaluate("log(1 + exp(w'*x))", {"w": [0.3, -1.0], "x": [2.0, 0.5]})
    c = matdiff.evaluate("softplus(w'*x)", {"w": [0.3, -1.0], "x": [2.0, 0.5]})
    assert a == pytest.approx(c)
