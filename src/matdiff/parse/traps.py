"""Typing traps: a function that is not a scalar only because a name's first letter made
it a vector (or matrix) and a scalar broadcast over it.

`norm2(X*w - y)^2 + lambda*norm2(w)^2` reads as a scalar to the person who typed it, but
`lambda` is a vector by its first letter (h-z), so `lambda*norm2(w)^2` is a vector, the
scalar `norm2(X*w - y)^2` broadcasts over it, f is a vector, and its derivative by w is a
Jacobian with a `vector(1)` in it where a gradient was meant. Nothing is wrong with the
typing; what is wrong is that nobody said so.

Contract: `broadcast_traps(text, variables=None, wrt=())` returns the traps of `text`
typed with the declarations `variables` (a list of two or more `wrt` names is typed
scalar, as `matdiff.derivative` types it), each a `Trap` naming the variables to declare
scalar. A trap is reported when all of these hold:

- f, as typed, is not a scalar;
- some `+ - .* ./ .^` broadcasts a scalar side that reduces a vector or matrix variable
  to a scalar (`norm2(w)^2`; not a constant or a scalar variable: `x + 1` and
  `exp(x) + c` are meant to be vectors) over a non-scalar side that holds the trap's
  names, which the scalar side does not hold;
- those names are undeclared and non-scalar only by their first letter;
- declared scalar, they make f a scalar that type-checks: one name at a time, each such
  name a trap of its own; else the fewest of the by-letter names off the scalar sides
  (dropped greedily), together one trap.

It returns [] for text that does not parse or type-check (the parser reports those) and
never raises. The cost is one typing of `text` plus one per candidate name (at most
MAX_CANDIDATES, and as many again to drop unneeded names), no derivative.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from ..errors import MatdiffError
from ..ir.dims import Shape, format_shape, is_scalar, kind_of
from . import syntax as s
from .declarations import declared
from .typing import Typing, infer

MAX_CANDIDATES = 8
_ELEMENTWISE = ("+", "-", ".*", "./", ".^")


@dataclass(frozen=True)
class Trap:
    """Variables whose first letter alone made f a non-scalar (see the contract)."""

    names: tuple[str, ...]
    kinds: tuple[str, ...]  # each name's kind by its first letter: "vector" or "matrix"
    function_kind: str  # f as typed: "vector", "row vector", "matrix"
    function_size: str  # f as typed: "p", "1×p", "m×n"

    @property
    def declarations(self) -> tuple[str, ...]:
        """What to declare: `lambda: scalar`, one for each name."""
        return tuple(f"{n}: scalar" for n in self.names)

    @property
    def option(self) -> str:
        """The command line's options for the declarations: `--var "lambda: scalar"`."""
        return " ".join(f'--var "{d}"' for d in self.declarations)

    @property
    def message(self) -> str:
        """What happened, in a sentence, without the fix's spelling."""
        kinds = set(self.kinds)
        if len(self.names) == 1 or len(kinds) > 1:
            who = _join(f"{n} is a {k} by its first letter ({_LETTERS[k]})"
                        for n, k in zip(self.names, self.kinds, strict=True))
        else:
            k = self.kinds[0]
            who = f"{_join(self.names)} are {k}s by their first letters ({_LETTERS[k]})"
        it = "it" if len(self.names) == 1 else "them"
        return (f"f is a {self.function_kind} ({self.function_size}) only because {who} "
                f"and the scalar terms broadcast over {it}")


_LETTERS = {"vector": "h-z", "matrix": "A-Z"}


def _join(parts: Iterable[str]) -> str:
    items = list(parts)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def broadcast_traps(text: str, variables: Mapping[str, str] | None = None,
                    wrt: Sequence[str] = ()) -> list[Trap]:
    """The typing traps of `text` (see the contract)."""
    decls = dict(variables or {})
    if len(wrt) > 1:
        for name in wrt:
            decls.setdefault(name, "scalar")
    try:
        tree = s.parse_ast(text)
        typing = infer(text, tree, declared(decls))
    except (MatdiffError, RecursionError):
        return []
    f_shape = typing.shape(tree)
    if is_scalar(f_shape):
        return []
    by_letter = {n for n in typing.var_shapes if n not in decls
                 and not is_scalar(typing.var_shape(n))}
    sides = _broadcasts(tree, typing)
    candidates = sorted(sides.others & by_letter)
    fixes: list[tuple[str, ...]] = [(n,) for n in candidates[:MAX_CANDIDATES]
                                    if _scalar_with(text, tree, decls, (n,))]
    if not fixes and sides.found:
        # several names together (`norm2(w)^2 + mu*sum(w) + nu*norm1(w)`): every
        # by-letter name off the scalar sides, then those not needed dropped one by one
        names = sorted(by_letter - sides.held)[:MAX_CANDIDATES]
        if names and _scalar_with(text, tree, decls, names):
            for n in list(names):
                rest = [m for m in names if m != n]
                if rest and _scalar_with(text, tree, decls, rest):
                    names = rest
            fixes = [tuple(names)]
    size = format_shape(f_shape)
    return [Trap(fix, tuple(_kind(n) for n in fix), kind_of(f_shape), size) for fix in fixes]


def _kind(name: str) -> str:
    return "vector" if name[0].islower() else "matrix"


def _scalar_with(text: str, tree: s.Ast, decls: dict[str, str],
                 names: Sequence[str]) -> bool:
    """Whether f type-checks as a scalar with `names` declared scalar."""
    try:
        typing = infer(text, tree, declared({**decls, **{n: "scalar" for n in names}}))
    except (MatdiffError, RecursionError):
        return False
    return is_scalar(typing.shape(tree))


@dataclass
class _Sides:
    """What the broadcasts of a tree hold, gathered over all of them."""

    found: bool = False  # a broadcast whose scalar side reduces a vector or matrix
    held: set[str] = field(default_factory=set)  # names on such scalar sides
    others: set[str] = field(default_factory=set)  # names on the other sides, less those


def _broadcasts(tree: s.Ast, typing: Typing) -> _Sides:
    """The broadcasts whose scalar side reduces a vector or matrix variable to a scalar
    (`norm2(w)^2`, `x'*A*x`; not a constant, not a scalar variable: `exp(x) + c` is meant
    to be a vector): the variables on their scalar sides, and those on their other sides
    that the scalar side does not hold (the names that might have made that side
    non-scalar). The names of a chain's prefix are kept as a set, so a long chain costs
    its length times its number of distinct names, not its length squared."""
    out = _Sides()
    for chain in _chains(tree):
        parts = [chain.first, *(step.operand for step in chain.steps)]
        if any(id(p) not in typing.shapes for p in parts):
            continue  # a size written as an expression (`ones(n*m, 1)`), not a value
        acc = typing.shape(chain.first)
        left = set(_variables([chain.first], typing))
        for step in chain.steps:
            shape = typing.shape(step.operand)
            right = set(_variables([step.operand], typing))
            if step.op in _ELEMENTWISE and is_scalar(acc) != is_scalar(shape):
                held, other = (left, right) if is_scalar(acc) else (right, left)
                if any(not is_scalar(typing.var_shape(n)) for n in held):
                    out.found = True
                    out.held |= held
                    out.others |= other - held
            acc = _after(step.op, acc, shape)
            left |= right
    return out


def _after(op: str, a: Shape, b: Shape) -> Shape:
    """The shape of `a op b`, as typing.py gives it (only whether it is a scalar and, for
    a product, its outer sizes matter here)."""
    if op == "*":
        return b if is_scalar(a) else a if is_scalar(b) else (a[0], b[1])
    if op in ("/", "^"):
        return a
    return b if is_scalar(a) else a


def _chains(tree: s.Ast) -> Iterator[s.Chain]:
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, s.Chain):
            yield node
        stack.extend(_children(node))


def _children(node: s.Ast) -> list[s.Ast]:
    if isinstance(node, s.Group):
        return [node.inner]
    if isinstance(node, (s.Neg, s.Transpose)):
        return [node.operand]
    if isinstance(node, s.Chain):
        return [node.first, *(st.operand for st in node.steps)]
    if isinstance(node, s.Call):
        return list(node.args)
    if isinstance(node, s.Block):
        return [c for row in node.rows for c in row]
    return []


def _variables(nodes: Iterable[s.Ast], typing: Typing) -> list[str]:
    """The variables named in the subtrees `nodes`, in order."""
    out: list[str] = []
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, s.Name) and node.name in typing.var_shapes:
            out.append(node.name)
        stack.extend(_children(node))
    return out
