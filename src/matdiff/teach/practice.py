"""Practice problems drawn from the lesson's topics, random but well typed.

`make_problem(rng_or_seed, level)` fills a template of the level with variable names,
sizes and small integer coefficients; every template is parsed and differentiated when
drawn, so a problem is always well typed and has a matrix-form answer.

Levels: 1 linear forms, x'x, A*x, tr(A*X); 2 quadratic forms, least squares, traces of
products, log det, det; 3 chain rule and ML patterns (softplus, a ReLU layer,
softmax cross-entropy, inverses).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..api import derivative
from ..errors import MatdiffError
from ..ir.dims import format_dim, format_shape, is_scalar
from ..parse import parse_with_env
from ..report import describe_variables

# Each template: (function with {c} coefficient / {x}, {A}, ... names, wrt key,
# declarations keyed by placeholder, topic)
_T = tuple[str, str, dict[str, str], str]

TEMPLATES: dict[int, list[_T]] = {
    1: [
        ("{a}'*{x}", "x", {"a": "vector n", "x": "vector n"}, "a linear form"),
        ("{x}'*{a}", "x", {"a": "vector n", "x": "vector n"}, "a linear form"),
        ("{c}*{x}'*{x}", "x", {"x": "vector n"}, "{times}the squared norm ||{x}||²"),
        ("{A}*{x}", "x", {"A": "matrix m n", "x": "vector n"}, "a Jacobian"),
        ("tr({A}*{X})", "X", {"A": "matrix n m", "X": "matrix m n"}, "a trace"),
        ("tr({X}'*{A})", "X", {"A": "matrix m n", "X": "matrix m n"}, "a trace"),
        ("{a}'*{X}*{b}", "X", {"a": "vector m", "X": "matrix m n", "b": "vector n"},
         "a bilinear form"),
        ("norm2({X})^2", "X", {"X": "matrix m n"}, "the squared Frobenius norm"),
    ],
    2: [
        ("{x}'*{A}*{x}", "x", {"A": "matrix n n", "x": "vector n"}, "a quadratic form"),
        ("{x}'*{A}*{x}", "x", {"A": "matrix n n symmetric", "x": "vector n"},
         "a quadratic form (symmetric A)"),
        ("norm2({A}*{x} - {b})^2", "x", {"A": "matrix m n", "x": "vector n",
                                          "b": "vector m"}, "least squares"),
        ("tr({X}*{A}*{X}')", "X", {"A": "matrix n n", "X": "matrix m n"},
         "a trace of a quadratic"),
        ("tr({X}'*{A}*{X})", "X", {"A": "matrix m m", "X": "matrix m n"},
         "a trace of a quadratic"),
        ("tr({A}*{X}*{B})", "X", {"A": "matrix p m", "X": "matrix m n", "B": "matrix n p"},
         "the cyclic property"),
        ("log(det({X}))", "X", {"X": "matrix n n"}, "log det"),
        ("det({X})", "X", {"X": "matrix n n"}, "the determinant"),
        ("norm2({W}*{X} - {Y})^2", "W", {"W": "matrix m n", "X": "matrix n p",
                                          "Y": "matrix m p"}, "a Frobenius least squares"),
    ],
    3: [
        ("log(1 + exp({w}'*{x}))", "x", {"w": "vector n", "x": "vector n"},
         "softplus of a linear form (chain rule)"),
        ("0.5*norm2(relu({W}*{x}) - {y})^2", "W", {"W": "matrix m n", "x": "vector n",
                                                    "y": "vector m"}, "a ReLU layer"),
        ("0.5*norm2(relu({W}*{x}) - {y})^2", "x", {"W": "matrix m n", "x": "vector n",
                                                    "y": "vector m"}, "a ReLU layer"),
        ("{a}'*inv({X})*{b}", "X", {"a": "vector n", "X": "matrix n n", "b": "vector n"},
         "the inverse"),
        ("tr(inv({X})*{A})", "X", {"X": "matrix n n", "A": "matrix n n"}, "the inverse"),
        ("sum(exp({A}*{x}))", "x", {"A": "matrix m n", "x": "vector n"},
         "an elementwise function (chain rule)"),
        ("sigmoid({w}'*{x})", "w", {"w": "vector n", "x": "vector n"}, "the sigmoid"),
        ("{c}*log(det({X})) - tr({S}*{X})", "X", {"X": "matrix n n", "S": "matrix n n"},
         "a Gaussian log-likelihood"),
    ],
}

# names each placeholder may take (same case, distinct from each other)
_NAMES = {
    "x": ["x", "u", "v", "z"], "a": ["a", "b", "c"], "b": ["b", "d", "g"],
    "w": ["w", "p", "q"], "y": ["y", "t"],
    "A": ["A", "B", "M", "C"], "B": ["B", "N", "D"], "X": ["X", "Z", "P"],
    "W": ["W", "V"], "Y": ["Y", "T"], "S": ["S", "Q"],
}


@dataclass(frozen=True)
class PracticeProblem:
    level: int
    topic: str
    function: str
    wrt: str
    variables: dict[str, str]

    def statement(self) -> str:
        f, env = parse_with_env(self.function, self.variables)
        decls = describe_variables([f, *env.values()])
        x = env[self.wrt]
        if is_scalar(f.shape):
            layout = (f"the gradient has the shape of {self.wrt} "
                      f"({format_shape(x.shape)})")
        else:
            fs, xs = format_shape(f.shape), format_shape(x.shape)
            layout = (f"the Jacobian of f ({fs}) by {self.wrt} ({xs}) is "
                      f"{_rows(f.shape)}×{_rows(x.shape)}")
        return (f"Find the derivative of f = {self.function} with respect to {self.wrt} "
                f"({self.topic}).\n  where {decls}\n  Numerator layout: {layout}.")


def _rows(shape: tuple) -> str:
    """The length of a vector (its rows), as the Jacobian's side: n, or m*n for a matrix
    (its vec)."""
    r, c = shape
    return format_dim(r) if c == 1 else f"{format_dim(r)}*{format_dim(c)}"


_TIMES = {1: "", 2: "twice ", 3: "3 times "}


def make_problem(seed: int | random.Random, level: int = 1) -> PracticeProblem:
    if level not in TEMPLATES:
        raise MatdiffError(f"level must be 1, 2 or 3, got {level}")
    rng = seed if isinstance(seed, random.Random) else random.Random(seed)
    for _ in range(20):
        text, wrt_key, decls, topic = rng.choice(TEMPLATES[level])
        keys = sorted({k for k in decls} | {"c"})
        names: dict[str, str] = {}
        used: set[str] = set()
        for k in keys:
            if k == "c":
                continue
            choices = [n for n in _NAMES[k] if n not in used]
            names[k] = rng.choice(choices)
            used.add(names[k])
        c = rng.choice([1, 2, 3]) if "{c}" in text else 1
        function = text.format(c=c, **names)
        if function.startswith("1*"):
            function = function[2:]
        topic = topic.format(times=_TIMES[c], **names)
        variables = {names[k]: v for k, v in decls.items()}
        wrt = names[wrt_key]
        d = derivative(function, wrt=wrt, variables=variables)
        if d.expr is not None:
            return PracticeProblem(level, topic, function, wrt, variables)
    raise AssertionError("no well-typed practice problem")  # pragma: no cover
