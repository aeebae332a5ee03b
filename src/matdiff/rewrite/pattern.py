"""Patterns over expression nodes: the left-hand sides of rewrite rules, as data.

Contract: a pattern describes a set of nodes. `pattern.match(node)` yields every way the
node matches, each as a dict of bindings (a name -> the Node it matched, or a tuple of
Nodes for the rest of an n-ary node), and yields nothing when the node does not match.
The order is fixed and documented, because a rule takes the first match its replacement
accepts: children left to right, and for several sub-patterns the first sub-pattern's
choice first. Matching builds nothing, except that a `same` pattern calls its function
(which uses the builders) to know the node it must be.

The language:

- `any_(name, where=...)`: any node.
- `op(ops, *children, name=..., where=...)`: a node whose op is `ops` (one op name, or a
  tuple of them). With children, the node has exactly that many, matching in order;
  with none given, its children are not looked at (`leaf(ops)` requires none). `arg=`
  also requires the node's arg (a dimension, an exponent) to equal it.
- `some(ops, *pats, rest=...)`: an n-ary node (add, mul, matmul, hadamard) with distinct
  children matching each sub-pattern, in any positions; the children left over, in their
  order, bind to `rest`. With `rest=None` no child may be left over.
- `run(ops, *pats, before=..., after=..., at_end=...)`: consecutive children of a chain
  (a window of a matrix product); `before` and `after` bind the children on either side.
  `run_any(ops, {tag: pats, ...})` tries several windows at each position before moving
  on (position first, then the windows in order) and binds the window's tag to `case`.
- `const(value, where=...)`: a constant, or a fill of a constant (what
  `build.const_value` reads), equal to `value` or whose value meets `where`;
  `exactly_one()` is the constant node 1 itself (not a fill).
- `same(fn)`: the node that `fn` builds from the bindings made so far (`same(lambda u:
  b.neg(u))` is -u for the u already bound), compared by identity.
- `either(*pats)`: the matches of each alternative in turn.

A name bound twice must be bound to the same node (nodes are interned, so identity is
structural equality). `where` takes the node and returns a bool; `column`, `row`,
`scalar`, `matrix` and `has_props` are the usual ones.

`pattern.ops` are the ops a matching node can have (None: any), which the rule table
indexes rules by; `pattern.accepts(node)` is a cheap test that every match passes (ops,
args, `where`, numbers of children, the ops a sum or chain needs among its children),
so most nodes are refused before any generator or binding is made.

Op names are written as strings here (and compared with `in` on frozensets), so an op
enum whose members are equal to their strings (a StrEnum) drops in without changing a
pattern.

Functions of bindings (`same`, a rule's replacement and guard) are called with the
bindings their parameters name; `call_with` does it and `parameters` lists the names.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator, Mapping, Sequence

from ..errors import InternalError
from ..ir import build as b
from ..ir.dims import is_column, is_row, is_scalar
from ..ir.node import Node
from ..ir.ops import Op

Bound = Node | tuple[Node, ...]
Bindings = dict[str, Bound]
Predicate = Callable[[Node], bool]
OpNames = str | Sequence[str]


# ------------------------------------------------------------------ predicates


def column(n: Node) -> bool:
    return is_column(n.shape)


def row(n: Node) -> bool:
    return is_row(n.shape)


def scalar(n: Node) -> bool:
    return is_scalar(n.shape)


def matrix(n: Node) -> bool:
    """Neither a scalar nor a row or column vector."""
    return not (is_column(n.shape) or is_row(n.shape) or is_scalar(n.shape))


def has_props(*props: str) -> Predicate:
    """A variable declared with at least one of `props`."""
    wanted = frozenset(props)

    def test(n: Node) -> bool:
        return n.op == Op.VAR and bool(n.arg.props & wanted)

    return test


def not_op(*ops: str) -> Predicate:
    return lambda n: n.op not in ops


def all_of(*tests: Predicate) -> Predicate:
    def test(n: Node) -> bool:
        for t in tests:
            if not t(n):
                return False
        return True

    return test


# -------------------------------------------------------------- calling with bindings


@functools.cache  # rules call it on every match; functions are hashable and few
def parameters(fn: Callable[..., object]) -> tuple[str, ...] | None:
    """The binding names fn takes, in order; None when it takes **kwargs (then it gets
    them all). Other parameters are plain (positional or keyword) ones."""
    names = []
    for p in inspect.signature(fn).parameters.values():
        if p.kind is p.VAR_KEYWORD:
            return None
        if p.kind is not p.POSITIONAL_OR_KEYWORD:
            raise TypeError(f"{fn}: bindings are passed as plain parameters, not {p}")
        names.append(p.name)
    return tuple(names)


def call_with(fn: Callable[..., object], params: tuple[str, ...] | None,
              env: Mapping[str, Bound]) -> object:
    if params is None:
        return fn(**env)
    return fn(*[env[k] for k in params])  # parameters() lists them in order


def _bind(env: Bindings, name: str | None, value: Bound) -> Bindings | None:
    """env with name -> value; None when name is bound to something else already."""
    if name is None:
        return env
    old = env.get(name)
    if old is None:
        return {**env, name: value}
    same = old is value if isinstance(value, Node) else old == value
    return env if same else None


def _ops(ops: OpNames) -> frozenset[Op]:
    """The Op members a pattern names; a name that is no op fails when the rule module
    loads (a misspelt op would otherwise make a rule that never fires)."""
    names = (ops,) if isinstance(ops, str) else ops
    try:
        return frozenset(Op(name) for name in names)
    except ValueError:
        raise InternalError(f"a rewrite pattern names an unknown op among {names!r}") from None


# --------------------------------------------------------------------- patterns


class Pattern:
    """A left-hand side. `ops` are the ops a matching node can have (None: any), which
    the rule table uses to index rules by op."""

    ops: frozenset[str] | None = None

    def match(self, node: Node, env: Mapping[str, Bound] | None = None) -> Iterator[Bindings]:
        """Every way node matches, as bindings extending env."""
        return self._match(node, dict(env) if env else {})

    def _match(self, node: Node, env: Bindings) -> Iterator[Bindings]:
        raise NotImplementedError

    def accepts(self, node: Node) -> bool:
        """A cheap test that every match passes (ops, args, `where`, numbers of children,
        without names or `same`): most nodes fail here, before any generator is made."""
        return self.ops is None or node.op in self.ops

    def names(self) -> set[str]:
        """The names this pattern binds."""
        return set()

    def node_name(self) -> str | None:
        """The name, for a pattern whose one match of an accepted node binds only the node
        itself to it (`op("add", name="n")`); else None. Rules that search call their
        replacement on the node directly."""
        return None


def _match_seq(pats: Sequence[Pattern], nodes: Sequence[Node], env: Bindings,
               i: int = 0) -> Iterator[Bindings]:
    """pats[i:] against nodes[i:], pairwise (the lengths are equal)."""
    if i == len(pats):
        yield env
        return
    pat, node = pats[i], nodes[i]
    if not pat.accepts(node):
        return
    for e in pat._match(node, env):
        yield from _match_seq(pats, nodes, e, i + 1)


def _accept_all(pats: Sequence[Pattern], nodes: Sequence[Node]) -> bool:
    """Each node passes its pattern's `accepts`; the ops of all first (no calls)."""
    for pat, node in zip(pats, nodes, strict=True):
        if pat.ops is not None and node.op not in pat.ops:
            return False
    for pat, node in zip(pats, nodes, strict=True):
        if not pat.accepts(node):
            return False
    return True


def _accepted_by_some(pat: Pattern, nodes: Sequence[Node]) -> bool:
    ops = pat.ops
    for node in nodes:
        if (ops is None or node.op in ops) and pat.accepts(node):
            return True
    return False


def _names(pats: Sequence[Pattern]) -> set[str]:
    return set().union(*(p.names() for p in pats)) if pats else set()


_NO_ARG = object()  # op() without arg=: the node's arg is not looked at


class _Node(Pattern):
    def __init__(self, ops: OpNames | None, children: Sequence[Pattern] | None,
                 name: str | None, where: Predicate | None, arg: object = _NO_ARG):
        self.ops = None if ops is None else _ops(ops)
        self.children, self.name, self.where, self.arg = children, name, where, arg

    def _shallow(self, node: Node) -> bool:
        return ((self.ops is None or node.op in self.ops)
                and (self.arg is _NO_ARG or node.arg == self.arg)
                and (self.where is None or self.where(node)))

    def accepts(self, node: Node) -> bool:
        if not self._shallow(node):
            return False
        kids = self.children
        return kids is None or (len(kids) == len(node.children)
                                and _accept_all(kids, node.children))

    def _match(self, node: Node, env: Bindings) -> Iterator[Bindings]:
        if not self._shallow(node):
            return
        bound = _bind(env, self.name, node)
        if bound is None:
            return
        if self.children is None:
            yield bound
        elif len(node.children) == len(self.children):
            yield from _match_seq(self.children, node.children, bound)

    def names(self) -> set[str]:
        own = {self.name} if self.name else set()
        return own | _names(self.children or ())

    def node_name(self) -> str | None:
        return self.name if self.children is None else None


class _Some(Pattern):
    def __init__(self, ops: OpNames, pats: Sequence[Pattern], rest: str | None,
                 name: str | None, where: Predicate | None):
        self.ops: frozenset[str] = _ops(ops)
        self.pats, self.rest, self.name, self.where = tuple(pats), rest, name, where

    def accepts(self, node: Node) -> bool:
        if node.op not in self.ops or (self.where is not None and not self.where(node)):
            return False
        kids = node.children
        if self.rest is None and len(kids) != len(self.pats):
            return False
        present = {k.op for k in kids}
        for p in self.pats:
            if p.ops is not None and p.ops.isdisjoint(present):
                return False
        for p in self.pats:
            if not _accepted_by_some(p, kids):
                return False
        return True

    def _match(self, node: Node, env: Bindings) -> Iterator[Bindings]:
        if node.op not in self.ops or (self.where is not None and not self.where(node)):
            return
        bound = _bind(env, self.name, node)
        if bound is not None:
            yield from self._place(0, node.children, (), bound)

    def _place(self, i: int, kids: tuple[Node, ...], used: tuple[int, ...],
               env: Bindings) -> Iterator[Bindings]:
        if i == len(self.pats):
            rest = tuple(k for j, k in enumerate(kids) if j not in used)
            if self.rest is None:
                if not rest:
                    yield env
                return
            bound = _bind(env, self.rest, rest)
            if bound is not None:
                yield bound
            return
        pat = self.pats[i]
        for j, k in enumerate(kids):
            if j not in used and pat.accepts(k):
                for e in pat._match(k, env):
                    yield from self._place(i + 1, kids, (*used, j), e)

    def names(self) -> set[str]:
        own = {n for n in (self.name, self.rest) if n}
        return own | _names(self.pats)


class _Run(Pattern):
    def __init__(self, ops: OpNames, windows: Sequence[tuple[str | None, Sequence[Pattern]]],
                 before: str | None, after: str | None, at_end: bool, name: str | None):
        self.ops: frozenset[str] = _ops(ops)
        self.windows = tuple((t, tuple(p)) for t, p in windows)
        self.before, self.after, self.at_end, self.name = before, after, at_end, name

    def _windows(self, kids: tuple[Node, ...]) -> Iterator[tuple[int, int, str | None,
                                                                 tuple[Pattern, ...]]]:
        """(start, end, tag, patterns) of each window whose nodes pass `accepts`."""
        for i in range(len(kids)):
            for tag, pats in self.windows:
                end = i + len(pats)
                if end > len(kids) or (self.at_end and end != len(kids)):
                    continue
                if _accept_all(pats, kids[i:end]):
                    yield i, end, tag, pats

    def accepts(self, node: Node) -> bool:
        # the ops the windows need among the children, as sets (most chains have none
        # of them); the windows themselves are tested once, by _match
        if node.op not in self.ops:
            return False
        present = {k.op for k in node.children}
        return any(all(q.ops is None or not q.ops.isdisjoint(present) for q in pats)
                   for _, pats in self.windows)

    def _match(self, node: Node, env: Bindings) -> Iterator[Bindings]:
        if node.op not in self.ops:
            return
        bound = _bind(env, self.name, node)
        if bound is None:
            return
        kids = node.children
        for i, end, tag, pats in self._windows(kids):
            for e in _match_seq(pats, kids[i:end], bound):
                e2 = _bind(e, self.before, kids[:i])
                e2 = None if e2 is None else _bind(e2, self.after, kids[end:])
                if e2 is not None and tag is not None:
                    e2 = _bind(e2, "case", tag)  # type: ignore[arg-type]
                if e2 is not None:
                    yield e2

    def names(self) -> set[str]:
        own = {n for n in (self.name, self.before, self.after) if n}
        if any(t is not None for t, _ in self.windows):
            own.add("case")
        return own | set().union(*(_names(p) for _, p in self.windows))


class _Const(Pattern):
    def __init__(self, value: float | None, where: Callable[[float], bool] | None,
                 name: str | None, exact_node: bool):
        self.value, self.where, self.name, self.exact_node = value, where, name, exact_node
        self.ops = frozenset({"const"}) if exact_node else frozenset({"const", "fill"})

    def accepts(self, node: Node) -> bool:
        if self.exact_node and node.op != Op.CONST:
            return False
        v = b.const_value(node)
        if v is None or (self.value is not None and v != self.value):
            return False
        return self.where is None or self.where(v)

    def _match(self, node: Node, env: Bindings) -> Iterator[Bindings]:
        if not self.accepts(node):
            return
        bound = _bind(env, self.name, node)
        if bound is not None:
            yield bound

    def names(self) -> set[str]:
        return {self.name} if self.name else set()


class _Same(Pattern):
    def __init__(self, fn: Callable[..., Node], name: str | None):
        self.fn, self.params, self.name = fn, parameters(fn), name

    def _match(self, node: Node, env: Bindings) -> Iterator[Bindings]:
        if call_with(self.fn, self.params, env) is node:
            bound = _bind(env, self.name, node)
            if bound is not None:
                yield bound

    def names(self) -> set[str]:
        return {self.name} if self.name else set()


class _Either(Pattern):
    def __init__(self, pats: Sequence[Pattern]):
        self.pats = tuple(pats)
        kinds = [p.ops for p in self.pats]
        self.ops = None
        if all(k is not None for k in kinds):
            self.ops = frozenset(o for k in kinds for o in k or ())

    def accepts(self, node: Node) -> bool:
        return any(p.accepts(node) for p in self.pats)

    def _match(self, node: Node, env: Bindings) -> Iterator[Bindings]:
        for p in self.pats:
            yield from p._match(node, env)

    def names(self) -> set[str]:
        return _names(self.pats)


# ------------------------------------------------------------------- constructors


def any_(name: str | None = None, where: Predicate | None = None) -> Pattern:
    return _Node(None, None, name, where)


def op(ops: OpNames, *children: Pattern, name: str | None = None,
       where: Predicate | None = None, arg: object = _NO_ARG) -> Pattern:
    return _Node(ops, children or None, name, where, arg)


def leaf(ops: OpNames, name: str | None = None, where: Predicate | None = None) -> Pattern:
    return _Node(ops, (), name, where)


def some(ops: OpNames, *pats: Pattern, rest: str | None = None, name: str | None = None,
         where: Predicate | None = None) -> Pattern:
    return _Some(ops, pats, rest, name, where)


def run(ops: OpNames, *pats: Pattern, before: str | None = None, after: str | None = None,
        at_end: bool = False, name: str | None = None) -> Pattern:
    return _Run(ops, [(None, pats)], before, after, at_end, name)


def run_any(ops: OpNames, windows: Mapping[str, Sequence[Pattern]], before: str | None = None,
            after: str | None = None, name: str | None = None) -> Pattern:
    return _Run(ops, list(windows.items()), before, after, False, name)


def const(value: float | None = None, where: Callable[[float], bool] | None = None,
          name: str | None = None) -> Pattern:
    return _Const(value, where, name, exact_node=False)


def exactly_one(name: str | None = None) -> Pattern:
    return _Const(1.0, None, name, exact_node=True)


def same(fn: Callable[..., Node], name: str | None = None) -> Pattern:
    return _Same(fn, name)


def either(*pats: Pattern) -> Pattern:
    return _Either(pats)
