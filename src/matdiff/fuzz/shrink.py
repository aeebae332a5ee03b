"""Shrink a failing case to a minimal one that fails the same way.

Contract:

- `shrink(case, failure, max_trials=120)` returns (smaller case, its failure): greedy
  subtree replacement, repeated until nothing helps: each node is replaced, largest
  first, by a child of the same shape or by a leaf of that shape (a variable of the case,
  a transposed one for a row, the numbers 1 and 2 for a scalar); then the order is
  lowered, the layout made numerator, `structured` and the variables' properties
  dropped where the failure stays.
  A candidate is kept when it still names the variable(s) differentiated by, its oracle
  values are valid (so domains still hold), and it fails the same check with the same
  kind of failure and the same known class.
- Each trial runs only the failing check (plus parse and derive), so shrinking costs
  about one case per trial.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from .case import Case
from .oracle import CHECKS, Failure, run_case
from .reference import DEFAULT_ORACLE
from .tree import ONE, SCALAR, E, kind, variables, walk
from .tree import replace as replace_node


def _signature(f: Failure) -> tuple[str, str, str | None]:
    return f.check, f.kind, f.known


def _fails_alike(case: Case, target: tuple[str, str, str | None], time_limit_s: float,
                 oracle: str) -> Failure | None:
    names = variables(case.expr)
    if not all(w in names for w in case.wrt):
        return None
    checks = (target[0],) if target[0] in CHECKS else ()
    result = run_case(case, checks=checks, time_limit_s=time_limit_s, oracle=oracle)
    if result.status == "invalid":
        return None
    for f in result.failures:
        if _signature(f) == target:
            return f
    return None


def _leaves(case: Case, shape: tuple) -> list[E]:
    out: list[E] = []
    if shape == SCALAR:
        out += [E("num", SCALAR, (), 1.0), E("num", SCALAR, (), 2.0)]
    for name, (s, _props) in case.decls.items():
        if s == shape:
            out.append(E("var", s, (), name))
        elif kind(shape) == "row" and s == (shape[1], ONE):
            out.append(E("T", shape, (E("var", s, (), name),)))
    return out


def _candidates(case: Case) -> Iterator[Case]:
    nodes = sorted(walk(case.expr), key=lambda n: -n.size)
    for node in nodes:
        if node.size == 1:
            continue
        seen: set[str] = set()
        for new in [k for k in node.kids if k.shape == node.shape] + _leaves(case, node.shape):
            key = repr((new.op, new.arg, new.size))
            if key in seen:
                continue
            seen.add(key)
            yield case.with_expr(replace_node(case.expr, node, new))


def _settings(case: Case) -> Iterator[Case]:
    for order in range(1, case.order):
        yield replace(case, order=order)
    if case.layout != "numerator":
        yield replace(case, layout="numerator")
    if case.structured:
        yield replace(case, structured=False)
    for name, (shape, props) in case.used().items():
        if case.structured and name in case.wrt:
            continue  # --structured needs its variable's symmetric/diagonal property
        if props:  # a property the failure does not need goes (domains are re-checked)
            yield replace(case, decls={**case.decls, name: (shape, frozenset())})


def shrink(case: Case, failure: Failure, max_trials: int = 120, time_limit_s: float = 20.0,
           oracle: str = DEFAULT_ORACLE) -> tuple[Case, Failure]:
    target = _signature(failure)
    trials = 0
    progress = True
    while progress and trials < max_trials:
        progress = False
        for candidate in (*_settings(case), *_candidates(case)):
            trials += 1
            got = _fails_alike(candidate, target, time_limit_s, oracle)
            if got is not None:
                case, failure = candidate, got
                progress = True
                break
            if trials >= max_trials:
                break
    return case, failure
