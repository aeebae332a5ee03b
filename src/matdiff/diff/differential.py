"""Differentials: d(f) as an expression linear in the differential `dX` of a variable.

`differential(f, var, dvar)` applies each op's differential rule
(`RECORDS[op].differential`, ir/ops_*.py) bottom-up over the expression DAG
(each shared subexpression once) and returns d(f), or `None` when f does not depend on
the variable. When a `trace` list is given, every rule application that contributes is
recorded as a `Step`, in the order a person would write them, for step-by-step
derivations.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import DiffError
from ..ir import build as b
from ..ir.node import Node
from ..ir.ops import RECORDS, Op
from ..ir.ops_matrix import FUSED


@dataclass(frozen=True)
class Step:
    rule: str  # the rule's formula, as shown to a person
    cite: str
    expr: Node  # the subexpression differentiated
    result: Node  # its differential


def differential(
    f: Node, var: Node, dvar: Node, trace: list[Step] | None = None
) -> Node | None:
    if var.op is not Op.VAR:
        raise DiffError("can only differentiate with respect to a variable")
    name = var.arg.name
    memo: dict[Node, Node | None] = {}

    # Iterative post-order walk: deep expressions must not hit Python's recursion limit.
    stack: list[tuple[Node, bool]] = [(f, False)]
    while stack:
        node, expanded = stack.pop()
        if node in memo:
            continue
        if name not in node.free:
            memo[node] = None
            continue
        if node.op is Op.VAR:
            memo[node] = dvar
            continue
        fused = FUSED.get((node.op, node.children[0].op)) if node.children else None
        # A fused rule skips its child's own rule: tr(expm(M)) has a derivative though
        # expm(M) alone has no closed form.
        kids = node.children[0].children if fused else node.children
        if not expanded:
            stack.append((node, True))
            stack.extend((c, False) for c in kids if c not in memo)
            continue
        ds = [memo[c] for c in kids]
        rule = fused or RECORDS[node.op].differential
        if rule is None:
            raise DiffError(f"no derivative rule for {node.op}")
        result = rule.fn(node, kids, ds)
        memo[node] = result
        if trace is not None and result is not None:
            trace.append(Step(rule.formula, rule.cite, node, result))
    out = memo[f]
    if out is not None and b.is_zero(out):
        return None
    return out
