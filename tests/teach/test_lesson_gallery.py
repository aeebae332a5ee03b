"""The lesson's worked examples 1-4 and practice problems 1-6 reproduce its results."""

from __future__ import annotations

import numpy as np
import pytest

import matdiff
from matdiff.teach import lesson
from matdiff.teach.check import check_answer

PARTS = [(p.key, i, q) for p in lesson.PROBLEMS for i, q in enumerate(p.parts)]


def test_all_examples_and_practice_problems_are_there():
    keys = [p.key for p in lesson.PROBLEMS]
    assert keys == ["1", "2", "3", "4", "p1", "p2", "p3", "p4", "p5", "p6"]


@pytest.mark.parametrize("key, i, part", PARTS, ids=[f"{k}-{i}" for k, i, _ in PARTS])
def test_lesson_answer_is_accepted(key, i, part):
    v = check_answer(part.function, part.wrt, part.answer, part.variables or None,
                     structured=part.structured)
    assert v.correct, (key, part.function, v.message)


@pytest.mark.parametrize("key", [p.key for p in lesson.PROBLEMS])
def test_show_reproduces_the_problem(key):
    problem = lesson.find(key)
    text = problem and lesson.show(problem)
    assert problem.title in text
    assert "Result" in text
    assert "DOES NOT AGREE" not in text
    assert problem.lesson_result in text


def test_example_3_numbers():
    problem = lesson.find("3")
    got = lesson.evaluate_numbers(problem)
    np.testing.assert_allclose(got["W"], [[-2, -2], [-4, -4]])
    np.testing.assert_allclose(got["x"], [-14, -20])
    text = lesson.show(problem)
    assert "z = W x = [3, 7]" in text
    assert "∂L/∂a = a - y = [-2, -4]" in text
    assert "∂L/∂W = [[-2, -2], [-4, -4]]" in text
    assert "∂L/∂x = [-14, -20]" in text


def test_example_2_three_answers():
    p = lesson.find("2")
    results = [str(lesson.derivative_of(q)) for q in p.parts]
    assert results == ["inv(X)'", "inv(X)", "2*inv(X) - diag(diag(inv(X)))"]


def test_practice_2_jacobian_values():
    d = matdiff.derivative("[x1^2 + x2; sin(x1*x2)]", wrt="x1,x2",
                           variables={"x1": "scalar", "x2": "scalar"})
    x1, x2 = 0.7, -1.3
    got = np.asarray(d.evaluate(x1=x1, x2=x2))
    want = [[2 * x1, 1], [x2 * np.cos(x1 * x2), x1 * np.cos(x1 * x2)]]
    np.testing.assert_allclose(got, want)


def test_practice_1_and_4_match_the_lesson_forms():
    assert str(lesson.derivative_of(lesson.find("p1").parts[0])) == "2*A'*A*x"
    assert str(lesson.derivative_of(lesson.find("p4").parts[0])) == "2*(W*X - Y)*X'"
    assert str(lesson.derivative_of(lesson.find("p3").parts[0])) == "A'*B'"
    assert str(lesson.derivative_of(lesson.find("p6").parts[0])) == "sigmoid(w'*x)*w"


def test_example_1_normal_equations():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 3))
    y = rng.standard_normal(6)
    w = np.linalg.solve(X.T @ X, X.T @ y)
    d = lesson.derivative_of(lesson.find("1").parts[0])
    np.testing.assert_allclose(d.evaluate(X=X, w=w, y=y), 0, atol=1e-9)


@pytest.mark.parametrize("key", ["ex3", "example 3", "p2", "practice-2", "P5"])
def test_find_spellings(key):
    assert lesson.find(key).key in ("3", "p2", "p5")


def test_find_unknown_is_user_error():
    with pytest.raises(matdiff.MatdiffError):
        lesson.find("9")
