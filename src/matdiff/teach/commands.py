"""The teaching commands of the command line: steps, check-answer, examples, practice.

Each `<name>_main(argv) -> int` is looked up by matdiff.cli.COMMANDS. User errors are
`MatdiffError`s (the CLI prints them with a caret, status 2); argparse's own exits
(--help, a bad option) become return codes instead of SystemExit.

    matdiff steps "log(det(X))" --wrt X [--latex]
    matdiff check-answer "x'*A*x" --wrt x --answer "2*A*x"     # status 0 right, 1 wrong
    matdiff examples [KEY] [--latex]                           # 1-4, p1-p6
    matdiff practice [--seed N] [--level 1-3] [--count K]      # answer on stdin
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence

from ..api import derivative
from ..arguments import add_derivative_arguments, derivative_from_args, variables_from
from ..errors import MatdiffError
from . import lesson
from .check import check_answer
from .practice import PracticeProblem, make_problem
from .steps import derivation


def _parse(p: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace | int:
    try:
        return p.parse_args(list(argv))
    except SystemExit as e:  # --help, or argparse's usage error (already printed)
        return int(e.code or 0) if not isinstance(e.code, str) else 2


def steps_main(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="matdiff steps",
                                description="The derivation of a derivative, step by step.")
    add_derivative_arguments(p)
    p.add_argument("--latex", action="store_true", help="print the steps as LaTeX")
    args = _parse(p, argv)
    if isinstance(args, int):
        return args
    d = derivative_from_args(args)
    der = derivation(d)
    print(der.latex() if args.latex else der.text())
    return 0


def check_answer_main(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(
        prog="matdiff check-answer",
        description="Check your own derivative; name the pitfall when it is wrong. "
        "Exit status 0 when right, 1 when wrong.")
    p.add_argument("expression", help="the function, e.g. \"x'*A*x\"")
    p.add_argument("--wrt", required=True)
    p.add_argument("--answer", required=True, help="your derivative, e.g. \"2*A*x\"")
    p.add_argument("--var", action="append", default=[], metavar="DECL",
                   help='declare a variable, e.g. --var "A: matrix n n symmetric"')
    p.add_argument("--layout", choices=["numerator", "denominator", "strict"],
                   default="numerator",
                   help="strict: strict numerator layout (a gradient is a row for a vector)")
    p.add_argument("--order", type=int, default=1)
    p.add_argument("--structured", action="store_true")
    p.add_argument("--hide", action="store_true", help="do not show the right derivative")
    args = _parse(p, argv)
    if isinstance(args, int):
        return args
    v = check_answer(args.expression, args.wrt, args.answer,
                     variables_from(args.var) or None, layout=args.layout,
                     order=args.order, structured=args.structured)
    print(v.text(reveal=not args.hide))
    return 0 if v.correct else 1


def examples_main(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(
        prog="matdiff examples",
        description="The lesson's worked examples (1-4) and practice problems (p1-p6).")
    p.add_argument("key", nargs="?", help="1-4 or p1-p6 ('all' for every one)")
    p.add_argument("--latex", action="store_true")
    args = _parse(p, argv)
    if isinstance(args, int):
        return args
    if not args.key:
        print(lesson.listing())
        return 0
    if args.key.lower() == "all":
        print("\n\n".join(lesson.show(pr, latex=args.latex) for pr in lesson.PROBLEMS))
        return 0
    print(lesson.show(lesson.find(args.key), latex=args.latex))
    return 0


def _read_answer(stdin) -> str | None:
    while True:
        sys.stdout.write("your answer> ")
        sys.stdout.flush()
        line = stdin.readline()
        if not line:
            print()
            return None
        line = line.strip()
        if not _interactive(stdin):
            print(line)  # echo piped answers, so the transcript reads as a dialogue
        if line:
            return line


def _interactive(stdin) -> bool:
    try:
        return bool(stdin.isatty())
    except (AttributeError, ValueError):
        return False


LESSON_INTRO = (
    "The lesson: matdiff's teaching commands follow a course unit on matrix calculus "
    "(\"09-10 Matrix Calculus\"): gradients of scalars by vectors and matrices, Jacobians, "
    "trace tricks, the chain and product rules, in numerator layout (a gradient has the "
    "variable's shape). You do not need to have read it: 'matdiff examples' works through "
    "its examples step by step.")


def practice_main(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(
        prog="matdiff practice",
        description="Practice: a problem from the lesson's topics; type your derivative "
        "('?' to give up and see the solution). Ends at end of input.")
    p.add_argument("--seed", type=int, default=None, help="reproduce a session")
    p.add_argument("--level", type=int, choices=[1, 2, 3], default=1)
    p.add_argument("--count", type=int, default=1, help="how many problems (default 1)")
    p.add_argument("--tries", type=int, default=3, help="attempts per problem (default 3)")
    args = _parse(p, argv)
    if isinstance(args, int):
        return args
    for option, value in (("--count", args.count), ("--tries", args.tries)):
        if value < 1:
            raise MatdiffError(f"{option} must be 1 or more, got {value}",
                               hint=f"e.g. {option} {3 if option == '--tries' else 1}")
    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    rng = random.Random(seed)
    print(f"Practice, level {args.level} (seed {seed}; --seed {seed} repeats it).")
    print(LESSON_INTRO)
    solved = 0
    for k in range(1, args.count + 1):
        prob = make_problem(rng, args.level)
        print(f"\nProblem {k}: {prob.statement()}")
        outcome = _attempts(prob, args.tries)
        if outcome == "eof":
            print("End of input. Bye.")
            return 0
        solved += outcome == "solved"
        _solution(prob, heading=outcome != "solved")
    print(f"\nSolved {solved} of {args.count}.")
    return 0


def _attempts(prob: PracticeProblem, tries_allowed: int) -> str:
    """Read answers until one is right ("solved"), the person gives up or runs out of
    tries ("shown"), or the input ends ("eof"; the solution is shown if they tried)."""
    tries = 0
    while True:
        ans = _read_answer(sys.stdin)
        if ans is None:
            if tries:
                _solution(prob, heading=True)
            return "eof"
        if ans in ("?", "skip", "give up"):
            return "shown"
        tries += 1
        try:
            v = check_answer(prob.function, prob.wrt, ans, prob.variables)
        except MatdiffError as e:
            print(str(e))
        else:
            print(v.text(reveal=False))
            if v.correct:
                return "solved"
        if tries >= tries_allowed:
            return "shown"
        print("Try again ('?' shows the solution).")


def _solution(prob: PracticeProblem, heading: bool) -> None:
    """The solution (when the person did not find it) and the derivation."""
    d = derivative(prob.function, wrt=prob.wrt, variables=prob.variables)
    if heading:
        print(f"The solution: df/d{prob.wrt} = {d}")
    print("\nThe derivation:")
    print(derivation(d).text())
