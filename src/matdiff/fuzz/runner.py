"""Run many cases, count every outcome, shrink one failure per kind, print a summary.

Contract:

- `run(cases, seed, ...)` runs `cases` random cases (case i has seed
  `case_seed(seed, i)`, so `python -m matdiff.fuzz --replay <case seed>` reruns one) and
  returns a `Summary`: the count of each status, open failures grouped by (check, kind,
  message pattern) with their cases, the failures each KNOWN class and each DOCUMENTED
  limitation absorbed, the checks not applicable (printed results of index forms) and
  unavailable (a backend not installed), and the time per case.
- `Summary.report()` is the text printed at the end: nothing is left out, every
  excluded case is counted under the name of its class.
- `Summary.shrink_groups(k)` shrinks the first case of up to k open groups (and, with
  `known=True`, of each known class) and returns (group, command, failure) lines.
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TextIO

from . import known
from .case import Case, random_case
from .oracle import CHECKS, Failure, Result, run_case
from .reference import DEFAULT_ORACLE
from .shrink import shrink


def case_seed(seed: int, i: int) -> int:
    return seed * 1_000_000 + i


def group_key(f: Failure) -> str:
    """A failure's group: its check, kind and message with numbers and names blurred."""
    detail = re.sub(r"-?\d+(\.\d+)?(e-?\d+)?", "#", f.detail)
    detail = re.sub(r"\[[^\]]*\]", "[..]", detail)
    detail = re.sub(r"\b[a-zA-Z]\b", "_", detail)
    return f"{f.check} {f.kind}: {detail[:90]}"


@dataclass
class Summary:
    seed: int
    oracle: str = DEFAULT_ORACLE
    statuses: Counter = field(default_factory=Counter)
    groups: dict[str, list[tuple[Case, Failure]]] = field(default_factory=dict)
    known_counts: Counter = field(default_factory=Counter)
    known_examples: dict[str, tuple[Case, Failure]] = field(default_factory=dict)
    invalid: Counter = field(default_factory=Counter)
    not_applicable: Counter = field(default_factory=Counter)
    unavailable: Counter = field(default_factory=Counter)
    checks_run: Counter = field(default_factory=Counter)
    seconds: list[float] = field(default_factory=list)
    stage_seconds: Counter = field(default_factory=Counter)
    wall: float = 0.0

    def add(self, r: Result, checks: tuple[str, ...]) -> None:
        self.statuses[r.status] += 1
        self.seconds.append(r.seconds)
        self.stage_seconds.update(r.timings)
        if r.status == "invalid":
            self.invalid[re.sub(r"-?\d+(\.\d+)?(e-?\d+)?", "#", r.reason)[:70]] += 1
            return
        for c in r.not_applicable:
            self.not_applicable[c] += 1
        for c in r.unavailable:
            self.unavailable[c] += 1
        for c in checks:
            if c not in r.unavailable and c not in r.not_applicable:
                self.checks_run[c] += 1
        for f in r.failures:
            if f.known is None:
                self.groups.setdefault(group_key(f), []).append((r.case, f))
            else:
                self.known_counts[f.known] += 1
                self.known_examples.setdefault(f.known, (r.case, f))

    @property
    def open_failures(self) -> int:
        return sum(len(v) for v in self.groups.values())

    def report(self) -> str:
        n = sum(self.statuses.values())
        lines = [f"matdiff.fuzz: {n} cases, seed {self.seed}, {self.wall:.0f} s "
                 f"(median {statistics.median(self.seconds or [0]):.2f} s, max "
                 f"{max(self.seconds or [0]):.1f} s per case)"]
        lines.append("  status: " + ", ".join(f"{k} {v}" for k, v in sorted(
            self.statuses.items())))
        lines.append("  seconds per stage: " + ", ".join(
            f"{k} {v:.0f}" for k, v in self.stage_seconds.most_common()))
        lines.append("  checks run: " + ", ".join(f"{k} {v}" for k, v in sorted(
            self.checks_run.items())))
        if self.not_applicable:
            lines.append("  not applicable: " + ", ".join(
                f"{k} {v} (no matrix form: index-form results)"
                for k, v in self.not_applicable.items()))
        if self.unavailable:
            lines.append("  NOT RUN, package missing: " + ", ".join(
                f"{k} ({v} cases)" for k, v in self.unavailable.items()))
        for reason, count in self.invalid.items():
            lines.append(f"  invalid (oracle values unusable, not counted as passes): "
                         f"{count} x {reason}")
        lines.append(f"  open failures: {self.open_failures} in {len(self.groups)} groups")
        for key, items in sorted(self.groups.items(), key=lambda kv: -len(kv[1])):
            lines.append(f"    {len(items):5d}  {key}")
            lines.append(f"           e.g. {items[0][0].command()}  (--replay {items[0][0].seed})")
        for title, table in (("known open fault classes (KNOWN)", known.KNOWN),
                             ("documented limitations (DOCUMENTED)", known.DOCUMENTED)):
            counts = {k: self.known_counts[k] for k in table if self.known_counts[k]}
            lines.append(f"  excluded as {title}: {sum(counts.values())}")
            for name in table:
                lines.append(f"    {self.known_counts[name]:5d}  {name}: {table[name]}")
        return "\n".join(lines)

    def shrink_groups(self, limit: int, with_known: bool = False,
                      time_limit_s: float = 20.0) -> list[tuple[str, str, Failure]]:
        out = []
        todo = [(k, v[0]) for k, v in sorted(self.groups.items(), key=lambda kv: -len(kv[1]))]
        todo = todo[:limit]
        if with_known:
            todo += [(f"known: {k}", v) for k, v in self.known_examples.items()]
        for key, (case, failure) in todo:
            small, f = shrink(case, failure, time_limit_s=time_limit_s, oracle=self.oracle)
            out.append((key, small.command(), f))
        return out


def run(cases: int, seed: int, checks: tuple[str, ...] = CHECKS, max_depth: int = 4,
        time_limit_s: float = 20.0, oracle: str = DEFAULT_ORACLE, progress: int = 0,
        out: TextIO | None = None, strict: bool = False) -> Summary:
    out = out if out is not None else sys.stdout
    summary = Summary(seed, oracle)
    start = time.perf_counter()
    for i in range(cases):
        case = random_case(case_seed(seed, i), max_depth=max_depth)
        result = run_case(case, checks, time_limit_s, oracle, strict)
        summary.add(result, checks)
        if progress and result.open_failures:  # at once: a long run shows what it finds
            f = result.open_failures[0]
            print(f"  FAIL {f.check} ({f.kind}): {f.detail[:160]}\n    {case.command()}  "
                  f"(--replay {case.seed})", file=out, flush=True)
        if progress and (i + 1) % progress == 0:
            s = summary.statuses
            print(f"[{i + 1}/{cases}] pass {s['pass']}, open failures "
                  f"{summary.open_failures}, known {sum(summary.known_counts.values())}, "
                  f"documented {s['documented']}, invalid {s['invalid']} "
                  f"({time.perf_counter() - start:.0f} s)", file=out, flush=True)
    summary.wall = time.perf_counter() - start
    return summary
