"""Symmetric variables, Hessians and practice wording in the teaching commands: log det
on symmetric matrices with and without --structured, Hessians called Hessians, practice
problems' wording and options, the property simplification shown in the steps of
symmetric variables."""

from __future__ import annotations

import io
import random

import numpy as np
import pytest

import matdiff
from matdiff.cli import main
from matdiff.errors import MatdiffError
from matdiff.teach.check import check_answer
from matdiff.teach.practice import TEMPLATES, PracticeProblem, make_problem
from matdiff.teach.steps import check_step, derivation
from matdiff.verify.sample import sample_values

SYM_X = {"X": "matrix n n symmetric"}

# ------------------------------------------------------- 1. log det, symmetric X


def test_structured_logdet_answered_with_the_unconstrained_inverse():
    v = check_answer("log(det(X))", "X", "inv(X)", SYM_X, structured=True)
    assert not v.correct
    assert v.pitfall == "logdet-inverse"
    assert "no known pitfall" not in v.message
    assert "unconstrained" in v.message and "inv(X)" in v.message
    assert "2*inv(X) - diag(diag(inv(X)))" in v.message
    assert v.condition and "without --structured" in v.condition
    assert v.expected == "2*inv(X) - diag(diag(inv(X)))"


@pytest.mark.parametrize("answer", ["inv(X)'", "inv(X')"])
def test_structured_logdet_transposed_inverse_is_the_same_pitfall(answer):
    v = check_answer("log(det(X))", "X", answer, SYM_X, structured=True)
    assert not v.correct and v.pitfall == "logdet-inverse"


def test_structured_logdet_right_answer():
    v = check_answer("log(det(X))", "X", "2*inv(X) - diag(diag(inv(X)))", SYM_X,
                     structured=True)
    assert v.correct


def test_structured_diagonal_counted_twice():
    v = check_answer("log(det(X))", "X", "2*inv(X)", SYM_X, structured=True)
    assert not v.correct and v.pitfall == "symmetric-structured"
    assert "diagonal twice" in v.message and "diag(diag(G))" in v.message


def test_structured_other_function_is_named_too():
    v = check_answer("tr(A*X)", "X", "A'", {"A": "matrix n n", **SYM_X}, structured=True)
    assert not v.correct and v.pitfall == "symmetric-structured"
    assert "unconstrained gradient" in v.message


def test_structured_answer_without_structured_on_declared_symmetric_x():
    v = check_answer("log(det(X))", "X", "2*inv(X) - diag(diag(inv(X)))", SYM_X)
    assert not v.correct and v.pitfall == "logdet-inverse"
    # X is already declared symmetric: do not ask to declare it
    assert "declare X symmetric" not in v.message
    assert "declared symmetric" in v.message and "--structured" in v.message
    assert "inv(X) (= inv(X)' for symmetric X)" in v.message
    assert v.condition and "--structured" in v.condition


def test_structured_answer_for_a_general_x_still_says_declare_it():
    v = check_answer("log(det(X))", "X", "2*inv(X)' - diag(diag(inv(X)'))",
                     {"X": "matrix n n"})
    assert not v.correct and v.pitfall == "logdet-inverse"
    assert "declare X symmetric" in v.message


def test_cli_structured_logdet(capsys):
    rc = main(["check-answer", "log(det(X))", "--wrt", "X", "--var",
               "X: matrix n n symmetric", "--structured", "--answer", "inv(X)"])
    out = capsys.readouterr().out
    assert rc == 1
    assert "logdet-inverse" in out and "no known pitfall" not in out
    rc = main(["check-answer", "log(det(X))", "--wrt", "X", "--var",
               "X: matrix n n symmetric", "--answer", "2*inv(X) - diag(diag(inv(X)))"])
    out = capsys.readouterr().out
    assert rc == 1
    assert "declare X symmetric" not in out and "--structured" in out


# ------------------------------------------------------------------- 2. Hessians


@pytest.mark.parametrize("answer", ["2*A", "A", "2*A'"])
def test_hessian_is_called_the_hessian_in_check_answer(answer):
    v = check_answer("x'*A*x", "x", answer, order=2)
    assert not v.correct
    assert "Hessian" in v.message and "Jacobian" not in v.message


def test_hessian_right_answer_says_hessian():
    v = check_answer("x'*A*x", "x", "A' + A", order=2)
    assert v.correct and "Hessian" in v.message


def test_first_order_jacobian_still_called_jacobian():
    v = check_answer("A*x", "x", "2*A")
    assert "Jacobian" in v.message and "Hessian" not in v.message


def test_hessian_steps_say_hessian():
    text = derivation(matdiff.derivative("x'*A*x", wrt="x", order=2)).text()
    assert "[Hessian, n×n]" in text and "Jacobian," not in text
    assert "Find the Hessian" in text
    assert "bring dg into canonical form" in text
    text = derivation(matdiff.derivative("tr(X'*A*X)", wrt="X", order=2)).text()
    assert "the Hessian (Kronecker form) is M" in text
    assert "[Hessian (Kronecker form" in text


def test_hessian_of_a_vector_function_is_not_called_hessian():
    text = derivation(matdiff.derivative("A*x", wrt="x")).text()
    assert "Hessian" not in text


def test_cli_hessian_check(capsys):
    rc = main(["check-answer", "x'*A*x", "--wrt", "x", "--order", "2", "--answer", "2*A"])
    out = capsys.readouterr().out
    assert rc == 1 and "Hessian" in out and "Jacobian" not in out


# ------------------------------------------------------------------- 3. practice


def _problems(level: int, n: int = 60) -> list[PracticeProblem]:
    return [make_problem(s, level) for s in range(n)]


def test_squared_norm_problem_describes_its_multiple():
    seen = {}
    for p in _problems(1, 200):
        if p.function.endswith("'*" + p.wrt) and p.function.count(p.wrt) == 2:
            seen[p.function.split("*")[0]] = p.topic
    # x'*x is the squared norm; 2*x'*x and 3*x'*x are multiples of it
    assert seen, "no squared-norm problem drawn"
    for head, topic in seen.items():
        if head.isdigit():
            assert topic.startswith(("twice", f"{head} times")), topic
        else:
            assert topic.startswith("the squared norm"), topic


def test_squared_norm_topics_by_coefficient():
    by_c = {}
    for p in _problems(1, 300):
        if "squared norm" in p.topic:
            by_c[p.function.split("*")[0]] = p.topic
    if "2" in by_c:
        assert by_c["2"].startswith("twice the squared norm")
    if "3" in by_c:
        assert by_c["3"].startswith("3 times the squared norm")


def test_problem_statement_uses_times_sign_and_real_names():
    for level in TEMPLATES:
        for p in _problems(level, 40):
            text = p.statement()
            assert "matrix m n" not in text and "matrix n n" not in text
            assert "matrix n m" not in text and "matrix p m" not in text
            assert "by x (n)" not in text or p.wrt == "x"


def test_jacobian_statement_names_the_variable():
    p = PracticeProblem(1, "a Jacobian", "B*v", "v", {"B": "matrix m n", "v": "vector n"})
    text = p.statement()
    assert "B: matrix m×n" in text and "v: vector n" in text
    assert "the Jacobian of f (m) by v (n) is m×n" in text
    assert "by x" not in text


def test_gradient_statement_gives_the_shape():
    p = PracticeProblem(1, "a trace", "tr(M*P)", "P", {"M": "matrix n m", "P": "matrix m n"})
    text = p.statement()
    assert "M: matrix n×m" in text and "P: matrix m×n" in text
    assert "the gradient has the shape of P (m×n)" in text


def test_coefficient_one_is_dropped_only_at_the_front():
    for p in _problems(3, 80):
        assert not p.function.startswith("1*")
    for p in _problems(1, 80):
        assert not p.function.startswith("1*")


def _practice(monkeypatch, capsys, argv, stdin=""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    rc = main(["practice", *argv])
    return rc, capsys.readouterr()


@pytest.mark.parametrize("option, value", [("--count", "0"), ("--count", "-2"),
                                           ("--tries", "0"), ("--tries", "-1")])
def test_practice_rejects_nonpositive_count_and_tries(monkeypatch, capsys, option, value):
    rc, cap = _practice(monkeypatch, capsys, ["--seed", "1", option, value])
    assert rc == 2
    assert f"{option} must be 1 or more, got {value}" in cap.err
    assert "Traceback" not in cap.err and "Problem 1" not in cap.out


def test_practice_main_raises_matdiff_error():
    from matdiff.teach.commands import practice_main

    with pytest.raises(MatdiffError, match="--count"):
        practice_main(["--count", "0"])
    with pytest.raises(MatdiffError, match="--tries"):
        practice_main(["--tries", "0"])


def test_practice_count_two(monkeypatch, capsys):
    rc, cap = _practice(monkeypatch, capsys, ["--seed", "4", "--count", "2"], "?\n?\n")
    assert rc == 0 and "Problem 2" in cap.out and "Solved 0 of 2" in cap.out


def test_practice_one_try(monkeypatch, capsys):
    rc, cap = _practice(monkeypatch, capsys, ["--seed", "4", "--tries", "1"], "0\n")
    assert rc == 0 and "Try again" not in cap.out and "The derivation:" in cap.out


# ----------------------------------------------- 4. steps of symmetric variables


def _values(d, der, seed):
    nodes = [d.function, *d.wrt]
    for s in der.steps:
        nodes += [n for n in (s.lhs, s.rhs) if n is not None]
        if s.dvar is not None:
            nodes.append(s.dvar)
    values, _ = sample_values(nodes, np.random.default_rng(seed))
    return values


def test_symmetric_logdet_steps_show_the_last_simplification():
    d = matdiff.derivative("log(det(X))", wrt="X", variables=SYM_X)
    text = d.steps().text()
    assert "G = inv(X)'" in text  # the property-free derivation
    assert "inv(X)' = inv(X)" in text
    assert "since X is symmetric" in text
    assert "df/dX = inv(X)" in text
    # the property step comes after the identification, before the result
    assert text.index("inv(X)' = inv(X)") > text.index("first identification theorem")
    assert text.index("inv(X)' = inv(X)") < text.index("Result")


def test_symmetric_logdet_structured_steps():
    d = matdiff.derivative("log(det(X))", wrt="X", variables=SYM_X, structured=True)
    text = d.steps().text()
    assert "inv(X)' = inv(X)" in text and "since X is symmetric" in text
    assert text.index("since X is symmetric") < text.index("Cookbook (138)")
    assert "2*inv(X) - diag(diag(inv(X)))" in text


def test_cli_steps_symmetric(capsys):
    assert main(["steps", "log(det(X))", "--wrt", "X", "--var",
                 "X: matrix n n symmetric"]) == 0
    out = capsys.readouterr().out
    assert "inv(X)' = inv(X)" in out and "since X is symmetric" in out


def test_symmetric_quadratic_form_steps():
    d = matdiff.derivative("x'*A*x", wrt="x",
                           variables={"A": "matrix n n symmetric", "x": "vector n"})
    text = d.steps().text()
    assert "G2 = A'*x" in text
    assert "(A + A')*x = 2*A*x" in text and "since A is symmetric" in text
    assert "df/dx = 2*A*x" in text


def test_symmetric_hessian_steps():
    d = matdiff.derivative("x'*A*x", wrt="x", order=2,
                           variables={"A": "matrix n n symmetric", "x": "vector n"})
    text = d.steps().text()
    assert "A + A' = 2*A" in text and "since A is symmetric" in text
    assert "d^2f/dx^2 = 2*A" in text


def test_no_property_step_when_nothing_changes():
    d = matdiff.derivative("a'*X*b", wrt="X",
                           variables={"a": "vector n", "b": "vector n", **SYM_X})
    text = d.steps().text()
    assert "since X is symmetric" not in text
    assert text.count("the printed form") == 0


@pytest.mark.parametrize("f, wrt, variables, kw", [
    ("log(det(X))", "X", SYM_X, {}),
    ("log(det(X))", "X", SYM_X, {"structured": True}),
    ("log(det(X))", "X", {"X": "matrix n n spd"}, {}),
    ("x'*A*x", "x", {"A": "matrix n n symmetric", "x": "vector n"}, {}),
    ("x'*A*x", "x", {"A": "matrix n n symmetric", "x": "vector n"}, {"order": 2}),
    ("tr(A*X*A)", "X", {"A": "matrix n n symmetric", "X": "matrix n n"}, {}),
    ("a'*inv(X)*b", "X", {"a": "vector n", "b": "vector n", **SYM_X}, {}),
    ("tr(Q*X)", "X", {"Q": "matrix n n orthogonal", "X": "matrix n n"}, {}),
])
def test_property_steps_form_a_valid_chain(f, wrt, variables, kw):
    d = matdiff.derivative(f, wrt=wrt, variables=variables, **kw)
    der = derivation(d)
    assert der.section("result")[-1].rhs is d.expr
    for seed in (1, 2):
        values = _values(d, der, seed)
        for s in der.steps:
            assert check_step(s, values), f"step does not hold: {s.text()}"


def test_practice_random_is_reproducible_with_structure():
    a = make_problem(random.Random(9), 2).statement()
    b = make_problem(random.Random(9), 2).statement()
    assert a == b
