"""The lesson's worked examples 1-4 and practice problems 1-6, runnable.

Each `Problem` states the lesson's problem, the function in matdiff's language with its
declarations, the variable, and the lesson's own answer (in the language), which
`check_answer` must accept. `show(problem)` prints the problem, the derivation step by
step and the result; example 3 also evaluates the lesson's numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..api import derivative
from ..backends.evaluate import evaluate
from ..errors import MatdiffError
from ..parse import parse
from .check import check_answer
from .steps import derivation


@dataclass(frozen=True)
class Part:
    """One derivative a problem asks for."""

    function: str
    wrt: str
    variables: dict = field(default_factory=dict)
    answer: str = ""  # the lesson's answer, in the language
    structured: bool = False
    label: str = ""


@dataclass(frozen=True)
class Problem:
    key: str  # "1".."4" for the worked examples, "p1".."p6" for practice problems
    title: str
    statement: str
    parts: tuple[Part, ...]
    lesson_result: str  # the lesson's result, as the lesson writes it
    values: dict = field(default_factory=dict)  # numbers to evaluate at (example 3)
    numbers: dict = field(default_factory=dict)  # the lesson's numbers for them
    intermediates: tuple[tuple[str, str], ...] = ()  # (name, expression) to evaluate

    @property
    def kind(self) -> str:
        return "practice problem" if self.key.startswith("p") else "worked example"


_EX3_VARS = {"W": "matrix m n", "x": "vector n", "y": "vector m"}
_EX3_F = "0.5*norm2(relu(W*x) - y)^2"

PROBLEMS: tuple[Problem, ...] = (
    Problem(
        "1", "Gradient of the linear regression loss",
        "L(w) = ||X w - y||² = (Xw - y)'(Xw - y), with X m×n, w n×1, y m×1. "
        "Setting the gradient to zero gives the normal equations X'X w = X'y.",
        (Part("norm2(X*w - y)^2", "w", {"X": "matrix m n", "w": "vector n", "y": "vector m"},
              "2*X'*(X*w - y)"),
         Part("(X*w - y)'*(X*w - y)", "w",
              {"X": "matrix m n", "w": "vector n", "y": "vector m"}, "2*X'*X*w - 2*X'*y",
              label="written as (Xw - y)'(Xw - y)")),
        "∇L = 2 X'X w - 2 X'y = 2 X'(X w - y)",
    ),
    Problem(
        "2", "Gradient of log det",
        "f(X) = log det(X) for X invertible (or SPD), by the trace trick: "
        "df = tr(X⁻¹ dX) = tr((X⁻ᵀ)' dX).",
        (Part("log(det(X))", "X", {"X": "matrix n n"}, "inv(X)'", label="general X"),
         Part("log(det(X))", "X", {"X": "matrix n n symmetric"}, "inv(X)",
              label="symmetric X (unconstrained)"),
         Part("log(det(X))", "X", {"X": "matrix n n symmetric"},
              "2*inv(X) - diag(diag(inv(X)))", structured=True,
              label="symmetric X, on symmetric matrices (X_ij = X_ji counted once)")),
        "∂f/∂X = X⁻ᵀ; for symmetric X, X⁻¹ (or 2X⁻¹ - diag(X⁻¹) on the independent entries)",
    ),
    Problem(
        "3", "Gradient of a neural network layer",
        "Forward: z = W x, a = ReLU(z), L = ½||a - y||². Backward: ∂L/∂a = a - y, "
        "∂L/∂z = (∂L/∂a) ⊙ ReLU'(z), ∂L/∂W = (∂L/∂z) x', ∂L/∂x = W'(∂L/∂z). "
        "Numbers: W = [[1,2],[3,4]], x = [1,1]', y = [5,11]'.",
        (Part(_EX3_F, "W", _EX3_VARS, "((relu(W*x) - y) .* step(W*x))*x'", label="∂L/∂W"),
         Part(_EX3_F, "x", _EX3_VARS, "W'*((relu(W*x) - y) .* step(W*x))", label="∂L/∂x")),
        "∂L/∂W = [[-2,-2],[-4,-4]], ∂L/∂x = [-14, -20]'",
        values={"W": [[1.0, 2.0], [3.0, 4.0]], "x": [1.0, 1.0], "y": [5.0, 11.0]},
        numbers={"W": [[-2.0, -2.0], [-4.0, -4.0]], "x": [-14.0, -20.0]},
        intermediates=(("z = W x", "W*x"), ("a = ReLU(z)", "relu(W*x)"),
                       ("∂L/∂a = a - y", "relu(W*x) - y"),
                       ("∂L/∂z = (∂L/∂a) ⊙ ReLU'(z)", "(relu(W*x) - y) .* step(W*x)")),
    ),
    Problem(
        "4", "Product rule verification",
        "f(x) = x' A x as u(x)' v(x) with u = x, v = A x: "
        "∇(u'v) = (∂u/∂x)' v + (∂v/∂x)' u = A x + A' x.",
        (Part("x'*A*x", "x", {"A": "matrix n n", "x": "vector n"}, "A*x + A'*x"),),
        "∇f = A x + A' x = (A + A') x",
    ),
    Problem(
        "p1", "Practice 1: ||A x||²",
        "Compute ∇_x f for f(x) = ||Ax||² = x'A'A x, with the quadratic form gradient "
        "(M + M')x for M = A'A (symmetric).",
        (Part("norm2(A*x)^2", "x", {"A": "matrix m n", "x": "vector n"}, "2*A'*A*x"),
         Part("x'*A'*A*x", "x", {"A": "matrix m n", "x": "vector n"}, "2*A'*A*x",
              label="written as x'A'Ax")),
        "∇f = 2 A'A x",
    ),
    Problem(
        "p2", "Practice 2: a Jacobian",
        "Find the Jacobian of f(x) = [x1² + x2, sin(x1 x2)]'.",
        (Part("[x1^2 + x2; sin(x1*x2)]", "x1,x2", {"x1": "scalar", "x2": "scalar"},
              "[2*x1, 1; x2*cos(x1*x2), x1*cos(x1*x2)]"),),
        "J = [[2x1, 1], [x2 cos(x1 x2), x1 cos(x1 x2)]]",
    ),
    Problem(
        "p3", "Practice 3: tr(A X B)",
        "Compute ∂/∂X tr(A X B) for constant A, B: tr(AXB) = tr(BAX), so the gradient "
        "is (BA)' = A'B'.",
        (Part("tr(A*X*B)", "X", {"A": "matrix p m", "X": "matrix m n", "B": "matrix n p"},
              "A'*B'"),),
        "∂/∂X tr(A X B) = A'B'",
    ),
    Problem(
        "p4", "Practice 4: ||W X - Y||_F²",
        "Derive ∂/∂W ||W X - Y||_F² for constant X and Y.",
        (Part("norm2(W*X - Y)^2", "W", {"W": "matrix m n", "X": "matrix n p",
                                        "Y": "matrix m p"}, "2*(W*X - Y)*X'"),
         Part("tr((W*X - Y)'*(W*X - Y))", "W", {"W": "matrix m n", "X": "matrix n p",
                                                "Y": "matrix m p"}, "2*W*X*X' - 2*Y*X'",
              label="written as tr((WX - Y)'(WX - Y))")),
        "∂f/∂W = 2 W X X' - 2 Y X' = 2 (W X - Y) X'",
    ),
    Problem(
        "p5", "Practice 5: det(X)",
        "For f(X) = det(X), use det(X + dX) ≈ det(X) + det(X) tr(X⁻¹ dX) to derive "
        "∂f/∂X = det(X) X⁻ᵀ.",
        (Part("det(X)", "X", {"X": "matrix n n"}, "det(X)*inv(X)'"),),
        "∂ det(X)/∂X = det(X) X⁻ᵀ",
    ),
    Problem(
        "p6", "Practice 6: softplus of a linear form",
        "Compute ∇_x log(1 + exp(w'x)): with s = w'x, ∂f/∂s = σ(s), and by the chain rule "
        "∇_x f = σ(w'x) w. (The lesson calls this the gradient of the log-sigmoid; "
        "log(1 + exp(s)) is softplus(s) = -log σ(-s), whose derivative is the sigmoid.)",
        (Part("log(1 + exp(w'*x))", "x", {"w": "vector n", "x": "vector n"},
              "sigmoid(w'*x)*w"),),
        "∇f = σ(w'x) w",
    ),
)


def find(key: str) -> Problem:
    k = key.strip().lower().replace("practice", "p").replace("-", "").replace(" ", "")
    k = k.replace("example", "").replace("ex", "")
    for p in PROBLEMS:
        if p.key == k:
            return p
    keys = ", ".join(p.key for p in PROBLEMS)
    raise MatdiffError(f"no example or practice problem {key!r}",
                       hint=f"examples 1-4 and practice problems p1-p6 ({keys})")


def derivative_of(part: Part):
    return derivative(part.function, wrt=part.wrt, variables=part.variables or None,
                      structured=part.structured)


def evaluate_numbers(problem: Problem) -> dict[str, np.ndarray]:
    """For problems with numbers: each part's derivative evaluated at the values."""
    out = {}
    for part in problem.parts:
        d = derivative_of(part)
        out[part.wrt] = np.asarray(d.evaluate(**problem.values), dtype=float)
    return out


def show(problem: Problem, latex: bool = False) -> str:
    lines = [f"{problem.kind.capitalize()} {problem.key}: {problem.title}",
             "(from the lesson, the course unit 09-10 Matrix Calculus; 'matdiff examples' "
             "introduces it)", problem.statement, ""]
    for part in problem.parts:
        d = derivative_of(part)
        head = f"-- {part.label} --" if part.label else "--"
        lines.append(head)
        der = derivation(d)
        lines.append(der.latex() if latex else der.text())
        v = check_answer(part.function, part.wrt, part.answer, part.variables or None,
                         structured=part.structured)
        mark = "agrees" if v.correct else "DOES NOT AGREE"
        lines.append(f"The lesson's answer {part.answer}: {mark} ({v.how} check)")
        lines.append("")
    if problem.values:
        lines.append("With the lesson's numbers: " + ", ".join(
            f"{k} = {_fmt(np.asarray(v))}" for k, v in problem.values.items()))
        for name, text in problem.intermediates:
            node = parse(text, problem.parts[0].variables)
            val = evaluate(node, problem.values)
            lines.append(f"  {name} = {_fmt(val.reshape(-1) if val.shape[1] == 1 else val)}")
        for wrt, val in evaluate_numbers(problem).items():
            lines.append(f"  ∂L/∂{wrt} = {_fmt(val)}")
    lines.append(f"Lesson's result: {problem.lesson_result}")
    return "\n".join(lines)


def _fmt(a: np.ndarray) -> str:
    a = np.asarray(a, dtype=float)
    text = np.array2string(a, separator=", ", max_line_width=10_000,
                           formatter={"float_kind": lambda v: f"{v:g}"})
    return " ".join(text.split())


INTRO = (
    "The lesson is a course unit on matrix calculus (\"09-10 Matrix Calculus\": gradients, "
    "Jacobians, trace tricks, the chain and product rules, in numerator layout, where a "
    "gradient has the variable's shape). matdiff's teaching commands follow it; you do not "
    "need to have read it. Each example below states the problem, derives it step by step "
    "and checks the lesson's own answer.")


def listing() -> str:
    lines = [INTRO, "",
             "The lesson's worked examples and practice problems (matdiff examples KEY):"]
    for p in PROBLEMS:
        fs = "; ".join(f"d/d{q.wrt} {q.function}" for q in p.parts[:1])
        lines.append(f"  {p.key:>3}  {p.title:<45} {fs}")
    return "\n".join(lines)
