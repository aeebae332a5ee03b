"""The `matdiff` command line, a thin layer over the public API.

    matdiff "x'*A*x" --wrt x [--order 2] [--layout denominator]
            [--var "A: matrix n n symmetric"] [--structured] [--plain]

Other commands (`steps`, `check-answer`, `examples`, `practice`, `serve`) are looked up
in COMMANDS. Errors a user can cause print the message with
a caret and exit with status 2; anything else is an internal error, reported without a
traceback (set MATDIFF_DEBUG=1 to see it) and exit status 3.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence

from . import __version__
from .arguments import add_derivative_arguments, derivative_from_args, variables_from
from .backends.render import render
from .errors import MatdiffError
from .report import report
from .teach.commands import check_answer_main, examples_main, practice_main, steps_main
from .web.server import serve_main

# command name -> its main, taking argv (after the command name), returning a status
COMMANDS: dict[str, Callable[[Sequence[str]], int]] = {
    "steps": steps_main,
    "check-answer": check_answer_main,
    "examples": examples_main,
    "practice": practice_main,
    "serve": serve_main,  # the web extra (fastapi, uvicorn) is imported when it runs
}


def _main_derivative(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(
        prog="matdiff",
        description="Symbolic matrix calculus: the derivative of a matrix expression.",
        epilog="Commands: "
        + ", ".join(COMMANDS)
        + " (run 'matdiff COMMAND --help'). Example: matdiff \"x'*A*x\" --wrt x",
    )
    p.add_argument("--version", action="version", version=f"matdiff {__version__}")
    add_derivative_arguments(p)
    out = p.add_mutually_exclusive_group()
    out.add_argument("--plain", action="store_true", help="print only the result expression")
    out.add_argument("--latex", action="store_true", help="print the result as LaTeX")
    out.add_argument("--unicode", action="store_true", help="print the result in Unicode math")
    out.add_argument(
        "--code", choices=["numpy", "jax", "torch", "array_api"],
        help="print a Python function computing it (array_api: for any array library)"
    )
    out.add_argument("--steps", action="store_true", help="show the derivation step by step")
    p.add_argument(
        "--check",
        action="store_true",
        help="also check the result against finite differences at random inputs",
    )
    args = p.parse_args(argv)
    d = derivative_from_args(args)
    status = 0
    check_line = ""
    if args.check:
        result = d.check()
        check_line = result.message
        status = 0 if result.passed else 1
        if args.plain or args.code or args.latex or args.unicode or args.steps:
            print(check_line, file=sys.stderr)  # stdout stays pasteable
            check_line = ""
    if args.plain:
        print(str(d))
        return status
    if args.steps:
        print(d.steps().text())
        return 0
    if args.latex or args.unicode or args.code:
        print(render(d, "latex" if args.latex else "unicode" if args.unicode else args.code))
        return status
    print(report(d, args.expression.strip(), variables_from(args.var) or None))
    if check_line:
        print(f"  {check_line}")
    return status


def _protect_leading_minus(argv: list[str]) -> list[str]:
    """`matdiff "-y'*log(softmax(z))" ...` and `--answer "-2*x"`: text that starts with a
    minus is an expression, not an option; a leading space keeps argparse off it (the
    parser ignores the space)."""
    out = []
    for tok in argv:
        is_option = tok.startswith("--") or (len(tok) == 2 and tok[1].isalpha())
        out.append(" " + tok if tok.startswith("-") and not is_option else tok)
    return out


_PY_DECLS = re.compile(r"variables=\{([^{}]*)\}")
_PY_DECL = re.compile(r"'([^']*)': '([^']*)'")


def cli_hint(hint: str | None) -> str | None:
    """A hint as the command line spells it: the API's `variables={'y': 'vector n'}`
    becomes `--var "y: vector n"` (a hint that gives both keeps the command line's)."""
    if not hint:
        return hint
    hint = re.sub(r" \(in Python variables=\{[^{}]*\}\)", "", hint)

    def as_options(m: re.Match) -> str:
        pairs = _PY_DECL.findall(m.group(1))
        return " ".join(f'--var "{name}: {decl}"' for name, decl in pairs) or m.group(0)

    return _PY_DECLS.sub(as_options, hint)


def main(argv: Sequence[str] | None = None) -> int:
    argv = _protect_leading_minus(list(sys.argv[1:] if argv is None else argv))
    try:
        if argv and argv[0] in COMMANDS:
            return int(COMMANDS[argv[0]](argv[1:]) or 0)
        return _main_derivative(argv)
    except MatdiffError as e:
        e.hint = cli_hint(e.hint)
        print(str(e), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except MemoryError:
        print(
            "error: out of memory: the sizes or the order are too large for this machine",
            file=sys.stderr,
        )
        return 2
    except BrokenPipeError:  # `matdiff ... | head`: the reader left; not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as e:  # never a traceback for a user
        if os.environ.get("MATDIFF_DEBUG"):
            raise
        print(
            f"internal error: {type(e).__name__}: {e}\n"
            "This is a bug in matdiff; please report it with the command you ran "
            "(set MATDIFF_DEBUG=1 to see the traceback).",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":
    sys.exit(main())
