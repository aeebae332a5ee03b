"""`python -m matdiff.fuzz`: the differential test, long form.

    python -m matdiff.fuzz --cases 5000 --seed 1            # everything, with progress
    python -m matdiff.fuzz --cases 500 --only-values        # d.evaluate against JAX only
    python -m matdiff.fuzz --checks value,printed,numpy     # a choice of checks
    python -m matdiff.fuzz --replay 1000017                  # one case, in detail

Exit status 1 when any failure is open (not in known.KNOWN), else 0. Failures are shrunk
(`--shrink K` groups, default 5) and printed as `matdiff ...` commands.
"""

from __future__ import annotations

import argparse
import sys

from . import known
from .case import random_case
from .oracle import CHECKS, run_case
from .reference import HAVE_JAX
from .runner import run
from .shrink import shrink


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m matdiff.fuzz", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-depth", type=int, default=4)
    p.add_argument("--checks", default=",".join(CHECKS),
                   help=f"comma list of {', '.join(CHECKS)} (parse and derive always run)")
    p.add_argument("--only-values", action="store_true", help="the value check only")
    p.add_argument("--no-codegen", action="store_true", help="skip numpy, jax, torch code")
    p.add_argument("--oracle", choices=("jax", "fd"), default="jax" if HAVE_JAX else "fd",
                   help="JAX autodiff (default) or finite differences of NumPy")
    p.add_argument("--time-limit", type=float, default=20.0,
                   help="seconds a derivation (or generated code) may take")
    p.add_argument("--shrink", type=int, default=5, help="open failure groups to shrink")
    p.add_argument("--shrink-known", action="store_true",
                   help="also shrink one case of each known class")
    p.add_argument("--strict", action="store_true",
                   help="count failures of the KNOWN classes too (as once KNOWN is empty)")
    p.add_argument("--progress", type=int, default=100, help="a line every N cases")
    p.add_argument("--replay", type=int, help="run the case with this case seed, verbosely")
    return p


def _checks(args: argparse.Namespace) -> tuple[str, ...]:
    if args.only_values:
        return ("value",)
    chosen = tuple(c.strip() for c in args.checks.split(",") if c.strip())
    bad = [c for c in chosen if c not in CHECKS]
    if bad:
        raise SystemExit(f"unknown check {bad[0]!r}; known: {', '.join(CHECKS)}")
    if args.no_codegen:
        chosen = tuple(c for c in chosen if c not in ("numpy", "jax", "torch"))
    return chosen


def _replay(args: argparse.Namespace, checks: tuple[str, ...]) -> int:
    case = random_case(args.replay, max_depth=args.max_depth)
    print(case.command())
    r = run_case(case, checks, args.time_limit, args.oracle, args.strict)
    print(f"status: {r.status} {r.reason}")
    for f in r.failures:
        print(f"  {f.check} {f.kind} (known: {f.known}): {f.detail}")
        if f.printed:
            print(f"    printed: {f.printed[:300]}")
        if args.shrink:
            small, sf = shrink(case, f, time_limit_s=args.time_limit, oracle=args.oracle)
            print(f"    minimal: {small.command()}\n      {sf.check} {sf.kind}: {sf.detail}")
    return 1 if r.open_failures else 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    checks = _checks(args)
    if args.replay is not None:
        return _replay(args, checks)
    excluded = "none (--strict)" if args.strict else ", ".join(known.KNOWN) or "none"
    print(f"oracle: {args.oracle}; checks: parse, derive, {', '.join(checks)}; "
          f"known classes excluded: {excluded}", flush=True)
    summary = run(args.cases, args.seed, checks, args.max_depth, args.time_limit,
                  args.oracle, args.progress, strict=args.strict)
    print(summary.report(), flush=True)
    if args.shrink or args.shrink_known:
        print("minimal reproductions (shrunk):")
        for key, command, f in summary.shrink_groups(args.shrink, args.shrink_known,
                                                     args.time_limit):
            print(f"  [{key}]\n    {command}\n    fails {f.check} ({f.kind}): {f.detail}"
                  + (f"\n    printed: {f.printed[:200]}" if f.printed else ""), flush=True)
    return 1 if summary.open_failures else 0


if __name__ == "__main__":
    sys.exit(main())
