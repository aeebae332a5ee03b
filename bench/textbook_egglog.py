"""Equality saturation with `egglog` on the textbook table: is it fast enough for matdiff?

    pip install egglog            # 13.2.0 measured; not a dependency of matdiff
    python bench/textbook_egglog.py [--iterations 1,2,3] [--repeats 3]

For each entry of bench/textbook_table.py, matdiff's derivative (forward rules alone) is
encoded as an egglog term: sums, matrix products, scalar products and elementwise
products as binary constructors (n-ary nodes folded left), transposes and traces as
unary ones, and every other subexpression as an opaque leaf named by its printed form.
The equalities are those rewrite/equalities.py explores, read both ways, plus the
associativity and commutativity an e-graph needs to see them (a sum or product of three
terms has several binary shapes): distributivity of each product over sums and its
converse (factoring), (A*B)' = B'*A' and (A + B)' = A' + B' both ways, the cycle of a
trace of a product, the trace of a sum. Saturation runs for a fixed number of
iterations, then the term of least size is extracted (egglog's default cost model).

Measured per entry: the time to build the e-graph, run it and extract (median of
`--repeats`), against the 2 ms budget issue 11 sets for a whole derivation. Prints a
Markdown summary per iteration limit. This is the measurement behind the choice of a
bounded home-grown search (rewrite/explore.py) over saturation; see bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import pathlib
import platform
import statistics
import sys
import time
from importlib import metadata

from egglog import EGraph, Expr, StringLike, function, rewrite, ruleset, vars_

import matdiff
from matdiff.ir.dims import is_scalar
from matdiff.ir.node import Node
from matdiff.rewrite import driver

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from textbook_table import TABLE  # noqa: E402


class M(Expr):
    def __init__(self, name: StringLike) -> None: ...


@function
def add(a: M, b: M) -> M: ...


@function
def mm(a: M, b: M) -> M: ...


@function
def smul(a: M, b: M) -> M: ...


@function
def had(a: M, b: M) -> M: ...


@function
def tp(a: M) -> M: ...


@function
def tr(a: M) -> M: ...


def _rules():
    a, b, c = vars_("a b c", M)
    out = [
        rewrite(add(a, b)).to(add(b, a)),
        rewrite(add(add(a, b), c)).to(add(a, add(b, c))),
        rewrite(add(a, add(b, c))).to(add(add(a, b), c)),
        rewrite(mm(mm(a, b), c)).to(mm(a, mm(b, c))),
        rewrite(mm(a, mm(b, c))).to(mm(mm(a, b), c)),
        rewrite(smul(a, b)).to(smul(b, a)),
        rewrite(had(a, b)).to(had(b, a)),
        rewrite(tp(mm(a, b))).to(mm(tp(b), tp(a))),
        rewrite(mm(tp(b), tp(a))).to(tp(mm(a, b))),
        rewrite(tp(add(a, b))).to(add(tp(a), tp(b))),
        rewrite(add(tp(a), tp(b))).to(tp(add(a, b))),
        rewrite(tp(tp(a))).to(a),
        rewrite(tr(mm(a, b))).to(tr(mm(b, a))),
        rewrite(tr(add(a, b))).to(add(tr(a), tr(b))),
        rewrite(add(tr(a), tr(b))).to(tr(add(a, b))),
    ]
    for op in (mm, smul, had):  # distribute and factor, on either side
        out += [
            rewrite(op(a, add(b, c))).to(add(op(a, b), op(a, c))),
            rewrite(add(op(a, b), op(a, c))).to(op(a, add(b, c))),
            rewrite(op(add(a, b), c)).to(add(op(a, c), op(b, c))),
            rewrite(add(op(a, c), op(b, c))).to(op(add(a, b), c)),
        ]
    return ruleset(*out)


RULES = _rules()
BINARY = {"add": add, "matmul": mm, "hadamard": had}


def encode(e: Node) -> M:
    """e as an egglog term (n-ary nodes folded left, unknown nodes opaque leaves)."""
    if e.op == "mul" or e.op in BINARY:
        make = smul if e.op == "mul" else BINARY[e.op]
        kids = [encode(c) for c in e.children]
        out = kids[0]
        for k in kids[1:]:
            out = make(out, k)
        return out
    if e.op == "transpose" and not is_scalar(e.shape):
        return tp(encode(e.children[0]))
    if e.op == "tr":
        return tr(encode(e.children[0]))
    return M(str(e))


def _once(term: M, iterations: int) -> float:
    t0 = time.perf_counter()
    eg = EGraph()
    root = eg.let("root", term)
    eg.run(RULES * iterations)
    eg.extract(root)
    return (time.perf_counter() - t0) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iterations", default="1,2,3")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    driver.EXPLORE_ROUNDS = 0
    terms = []
    for e in TABLE:
        d = matdiff.derivative(e.f, wrt=e.wrt, variables=e.variables, order=e.order)
        terms.append((e, d.expr.size, encode(d.expr)))
    print(f"# egglog {metadata.version('egglog')} on the textbook table ({len(terms)} "
          f"derivatives), Python {platform.python_version()}, {platform.machine()}\n")
    print(f"python bench/textbook_egglog.py --iterations {args.iterations} "
          f"--repeats {args.repeats}\n")
    print("| iterations | median ms | 90th pct ms | max ms | over 2 ms | slowest entry |")
    print("|---|---|---|---|---|---|")
    for k in (int(s) for s in args.iterations.split(",")):
        times = []
        for i, (e, _, term) in enumerate(terms):
            times.append((statistics.median(_once(term, k) for _ in range(args.repeats)), e))
            print(f"{k}: {i + 1}/{len(terms)}", file=sys.stderr, end="\r")
        ms = sorted(t for t, _ in times)
        slow = max(times, key=lambda t: t[0])[1]
        print(f"| {k} | {statistics.median(ms):.1f} | {ms[int(0.9 * len(ms))]:.1f} | "
              f"{ms[-1]:.1f} | {sum(t > 2 for t in ms)}/{len(ms)} | `{slow.f}` by {slow.wrt} |")


if __name__ == "__main__":
    main()
