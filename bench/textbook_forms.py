"""Printed length against the textbook's, and derivation time, over the textbook table.

    python bench/textbook_forms.py [--repeats 5] [--worst 30] [--explore on|off|both]

For each entry of bench/textbook_table.py (hand-written textbook forms, checked by value
in tests/diff/test_textbook_forms.py): matdiff's printed derivative (`str(d)`, numerator
layout) and the textbook form re-printed by matdiff's own printer (so both are spelled
alike: same spacing, same parentheses rules), their length ratio, and the median time to
derive. Prints a Markdown report: how many results are within 1.2× and 1.5× of the
textbook's length, the median derivation time, and the entries furthest from the
textbook. Issue 11's goal: every result within 1.5×, at least 90% within 1.2×, derivation
under 2 ms median.

`--explore off` times and prints the forward rules alone (rewrite/driver.py with
EXPLORE_ROUNDS = 0), `--explore both` runs the table both ways and adds the list of
entries whose printed form exploration (rewrite/explore.py) changes. Each timed
derivation starts with the exploration memo cleared, so times are from cold.
"""

from __future__ import annotations

import argparse
import pathlib
import platform
import statistics
import sys
import time

import matdiff
from matdiff.rewrite import driver

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from textbook_table import TABLE  # noqa: E402


def _printed_textbook(entry) -> str:
    return matdiff.to_text(matdiff.parse(entry.textbook, entry.variables))


def _median_ms(entry, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        driver.clear_memo()
        t0 = time.perf_counter()
        matdiff.derivative(entry.f, wrt=entry.wrt, variables=entry.variables, order=entry.order)
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def _rows(repeats: int, rounds: int) -> list[tuple]:
    driver.EXPLORE_ROUNDS = rounds
    rows = []
    for i, e in enumerate(TABLE):
        driver.clear_memo()
        d = matdiff.derivative(e.f, wrt=e.wrt, variables=e.variables, order=e.order)
        ours, book = str(d), _printed_textbook(e)
        rows.append((len(ours) / len(book), e, ours, book, _median_ms(e, repeats)))
        print(f"{i + 1}/{len(TABLE)}", file=sys.stderr, end="\r")
    return rows


def _summary(rows: list[tuple], title: str) -> None:
    ratios = [r[0] for r in rows]
    n = len(rows)
    within12 = sum(r <= 1.2 for r in ratios)
    within15 = sum(r <= 1.5 for r in ratios)
    print(f"### {title}\n")
    print(f"- within 1.2× of the textbook's length: {within12}/{n} ({100 * within12 / n:.0f}%)")
    print(f"- within 1.5×: {within15}/{n} ({100 * within15 / n:.0f}%)")
    print(f"- shorter than or as short as the textbook: {sum(r <= 1.0 for r in ratios)}/{n}")
    print(f"- median ratio {statistics.median(ratios):.2f}, worst {max(ratios):.2f}")
    print(f"- derivation time: median {statistics.median(r[4] for r in rows):.2f} ms, "
          f"max {max(r[4] for r in rows):.1f} ms\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--worst", type=int, default=30)
    ap.add_argument("--explore", choices=("on", "off", "both"), default="on")
    args = ap.parse_args()
    rounds = driver.EXPLORE_ROUNDS
    runs = {"off": [0], "on": [rounds], "both": [0, rounds]}[args.explore]
    results = [_rows(args.repeats, k) for k in runs]
    driver.EXPLORE_ROUNDS = rounds
    rows = results[-1]
    print(f"# Printed length against the textbook ({len(rows)} derivatives)\n")
    print(f"python bench/textbook_forms.py --repeats {args.repeats} --explore {args.explore}; "
          f"matdiff {matdiff.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}\n")
    for k, rs in zip(runs, results, strict=True):
        _summary(rs, "forward rules and exploration" if k else "forward rules alone")
    if len(results) == 2:
        changed = [(a, b) for a, b in zip(*results, strict=True) if a[2] != b[2]]
        print(f"### Printed forms exploration changes ({len(changed)})\n")
        print("| f | by | order | forward rules | explored | textbook | ratio before → after |")
        print("|---|---|---|---|---|---|---|")
        for a, b in changed:
            e = a[1]
            print(f"| `{e.f}` | {e.wrt} | {e.order} | `{a[2]}` | `{b[2]}` | `{a[3]}` | "
                  f"{a[0]:.2f} → {b[0]:.2f} |")
        print()
    print(f"## The {args.worst} furthest from the textbook\n")
    print("| ratio | f | by | order | matdiff | textbook |")
    print("|---|---|---|---|---|---|")
    for ratio, e, ours, book, _ in sorted(rows, key=lambda r: -r[0])[: args.worst]:
        cell = ours if len(ours) <= 160 else ours[:157] + "..."
        print(f"| {ratio:.2f} | `{e.f}` | {e.wrt} | {e.order} | `{cell}` | `{book}` |")


if __name__ == "__main__":
    main()
