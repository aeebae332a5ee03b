"""Command-line arguments shared by every `matdiff` command that takes a derivative.

Contract: `add_derivative_arguments(parser)` adds the expression, --wrt, --order,
--layout, --var and --structured; `variables_from(["A: matrix n n", ...])` reads --var
declarations (raising MatdiffError on a bad one); `derivative_from_args(args)` takes the
derivative they describe through the public API. The command line (cli.py) and the
teaching commands (teach/commands.py) both use these, so neither imports the other.
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Sequence

from .api import derivative
from .errors import MatdiffError, MatdiffWarning


def add_derivative_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("expression", help="the function, e.g. \"x'*A*x\"")
    p.add_argument("--wrt", required=True, help="the variable (or a comma list of scalars)")
    p.add_argument("--order", type=int, default=1, help="1 (default), 2 for the Hessian, ...")
    p.add_argument("--layout", choices=["numerator", "denominator", "strict"],
                   default="numerator",
                   help="numerator (default: gradients have the variable's shape), "
                   "denominator (Jacobians transposed), strict (strict numerator layout, "
                   "most textbooks' tables: a gradient is a row)")
    p.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="DECL",
        help='declare a variable, e.g. --var "A: matrix n n symmetric" (repeatable)',
    )
    p.add_argument(
        "--structured",
        action="store_true",
        help="derivative on the space of symmetric/diagonal matrices for such variables",
    )


def variables_from(decls: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in decls:
        for part in line.split(";"):
            if not part.strip():
                continue
            if ":" not in part:
                raise MatdiffError(
                    f"cannot read the declaration {part.strip()!r}",
                    hint='write NAME: KIND [SIZES] [PROPERTIES], e.g. "A: matrix n n symmetric"',
                )
            names, decl = part.split(":", 1)
            for name in names.split(","):
                name = name.strip()
                if name in out and out[name] != decl.strip():
                    raise MatdiffError(
                        f"{name} is declared twice: '{out[name]}' and '{decl.strip()}'",
                        hint=f"keep one --var for {name}",
                    )
                out[name] = decl.strip()
    return out


def derivative_from_args(args: argparse.Namespace):
    with warnings.catch_warnings():  # the report says it, with the --var to write
        warnings.simplefilter("ignore", MatdiffWarning)
        return derivative(
            args.expression.strip(),
            wrt=args.wrt,
            variables=variables_from(args.var) or None,
            order=args.order,
            layout=args.layout,
            structured=args.structured,
        )
