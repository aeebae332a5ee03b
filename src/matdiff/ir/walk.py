"""The graph toolkit: every walk over an expression DAG, without recursion.

Contract: nothing here recurses, so an expression of any depth (10,000 nested `exp`, a
chain of a million products) is walked with the Python stack untouched; each distinct
node (by identity) is visited once, so shared subexpressions cost once.

- `topological(roots, stop)`: the distinct nodes under `roots`, children before parents;
  `stop(n)` true prunes n and everything under it (for caches already filled).
- `substitute(expr, mapping, rebuild, keep)`: `expr` with the nodes in `mapping` (by
  identity) replaced, the ancestors rebuilt through `rebuild(node, children)` (the
  builders, which keep canonical forms); `keep(n)` true leaves n as it is (a subtree that
  cannot contain a target). Unchanged parts stay the same objects.
- `check_depth(nodes, limit, what)`: a clean `LimitError` when a node is deeper than the
  recursive passes that have not been made iterative (printers, code generation) can
  take within Python's default recursion limit; `PRINT_DEPTH`, `CODEGEN_DEPTH` are theirs.
- `rewrite_bottom_up(root, rewrite_top, rebuild)`: the normal form of `root` when
  `rewrite_top(m)` (one rewrite at the top of m, or None) is applied to every node after
  its children, and each rewritten node is normalized again; `rewrite_to_fixpoint`
  repeats whole passes until nothing changes or `more()` says the budget is spent.

The module depends on nothing but the `children` attribute of nodes: ir/node.py uses it
for its cached attributes, and `rebuild` is passed in (ir/build.py's `rebuild`) so that
this module sits below both in the layers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from ..errors import LimitError

if TYPE_CHECKING:  # types only: node.py imports this module
    from .node import Node

Rebuild = Callable[["Node", list["Node"]], "Node"]

# How many times one node may be rewritten in a row before the walk moves on (a guard
# against two rules undoing each other forever; the budget guards the whole pass).
MAX_REWRITES_PER_NODE = 50

# Depths the recursive passes take inside the default limit of 1000 frames, with room for
# the caller's stack: the printers use about 2.5 frames per level of the DAG, code
# generation about 4.2 (measured on nested tanh(A*...) derivatives). The parser's
# MAX_DEPTH (50 levels of text) gives derivatives under PRINT_DEPTH.
PRINT_DEPTH = 240
CODEGEN_DEPTH = 140


def topological(
    roots: Iterable[Node], stop: Callable[[Node], bool] | None = None
) -> list[Node]:
    """Every distinct node under `roots`, children before parents, roots' order kept."""
    seen: set[int] = set()
    order: list[Node] = []
    stack: list[tuple[Node, bool]] = [(r, False) for r in reversed(list(roots))]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen or (stop is not None and stop(node)):
            continue
        seen.add(id(node))
        stack.append((node, True))
        for c in reversed(node.children):
            if id(c) not in seen:
                stack.append((c, False))
    return order


def substitute(
    expr: Node,
    mapping: Mapping[Node, Node],
    rebuild: Rebuild,
    keep: Callable[[Node], bool] | None = None,
) -> Node:
    """`expr` with each node of `mapping` replaced; ancestors rebuilt, the rest shared."""
    if not mapping:
        return expr
    done: dict[int, Node] = {}

    def stop(n: Node) -> bool:
        return n in mapping or (keep is not None and keep(n))

    for n in topological([expr], stop):
        kids = [_result(c, mapping, done, keep) for c in n.children]
        same = all(k is c for k, c in zip(kids, n.children, strict=True))
        done[id(n)] = n if same else rebuild(n, kids)
    return _result(expr, mapping, done, keep)


def _result(
    n: Node, mapping: Mapping[Node, Node], done: dict[int, Node],
    keep: Callable[[Node], bool] | None,
) -> Node:
    got = mapping.get(n)
    if got is not None:
        return got
    got = done.get(id(n))
    if got is not None:
        return got
    return n  # kept: `keep(n)` held


def rewrite_bottom_up(
    root: Node,
    rewrite_top: Callable[[Node], Node | None],
    rebuild: Rebuild,
    memo: dict[Node, Node] | None = None,
) -> Node:
    """The normal form of `root` (see the module's contract); `memo` maps each node met
    to its normal form and may be shared between calls."""
    memo = {} if memo is None else memo
    # An explicit stack of frames replaces the recursion of the obvious definition
    #   go(n) = settle(rebuild(n, [go(c) for c in children]))
    # where settle rewrites at the top and normalizes each new node with go again.
    #   ("visit", n)            go(n) is wanted
    #   ("build", n)            the children of n are normal: rebuild n and settle it
    #   ("settle", n, m, k)     m (k rewrites so far) is being settled as the form of n
    #   ("adopt", n, out, k)    go(out) is in memo: continue settling n with it
    stack: list[tuple] = [("visit", root)]
    while stack:
        frame = stack.pop()
        kind, n = frame[0], frame[1]
        if kind == "visit":
            if n in memo:
                continue
            stack.append(("build", n))
            stack.extend(("visit", c) for c in reversed(n.children) if c not in memo)
        elif kind == "build":
            if n in memo:
                continue
            kids = [memo[c] for c in n.children]
            same = all(k is c for k, c in zip(kids, n.children, strict=True))
            stack.append(("settle", n, n if same else rebuild(n, kids), 0))
        elif kind == "adopt":
            _, n, out, k = frame
            stack.append(("settle", n, memo[out], k))
        else:
            _, n, m, k = frame
            out = rewrite_top(m) if k < MAX_REWRITES_PER_NODE else None
            if out is None or out is m:
                memo[n] = m
            elif out.op != m.op or out.children != m.children:
                stack.append(("adopt", n, out, k + 1))
                stack.append(("visit", out))
            else:
                stack.append(("settle", n, out, k + 1))
    return memo[root]


def rewrite_to_fixpoint(
    root: Node,
    rewrite_top: Callable[[Node], Node | None],
    rebuild: Rebuild,
    more: Callable[[], bool] = lambda: True,
) -> Node:
    """Passes of `rewrite_bottom_up` until one changes nothing or `more()` is false."""
    prev = None
    out = root
    while out is not prev and more():
        prev = out
        out = rewrite_bottom_up(out, rewrite_top, rebuild)
    return out


def check_depth(nodes: Iterable[Node | None], limit: int, what: str) -> None:
    """Raise a LimitError naming `what` when a node is more than `limit` levels deep."""
    for n in nodes:
        if n is not None and n.depth > limit:
            raise LimitError(
                f"the expression is too deep for {what} ({n.depth} levels; the limit is "
                f"{limit})",
                hint="values and derivatives of deeper expressions are still available "
                     "(evaluate, d.evaluate); name parts of it to print it",
            )
