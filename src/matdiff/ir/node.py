"""The one expression node type.

A `Node` is immutable and interned: `make` returns the existing node when an equal one
(same op, same children, same arg, same shape) is alive, so structural equality is
identity, hashing is O(1) and shared subexpressions are shared objects. Nodes are built
by the builders (ir/build.py re-exports them), which fold constants and keep
canonical forms; `make` itself only interns, and checks that the op is an `Op`.

`arg` carries what is not a child: a variable's `VarInfo`, a constant's value, a matrix
power's exponent, a block's grid layout.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputValueError, InternalError, MatdiffError
from .dims import Shape
from .ops import Op
from .walk import topological

_KEY_LIMIT = 256

PROPERTIES = ("symmetric", "spd", "diagonal", "orthogonal", "positive", "onehot", "simplex")


# The printers, by name ("text", "latex"): backends/text.py and backends/latex.py register
# themselves when imported (matdiff/__init__.py imports them), so a node prints without
# this lowest layer importing the printers above it.
PRINTERS: dict[str, Callable[[Node], str]] = {}

# The builders behind the Python operators (`+`, `@`, `*`, `.T`, ...), by name: the
# ir/build.py facade fills this when imported (ir/__init__.py imports it), so the node
# does not import the builders, which import the node.
OPERATORS: dict[str, Callable[..., Node]] = {}


@dataclass(frozen=True)
class VarInfo:
    """A variable's name and declared properties (symmetric, spd, ...)."""

    name: str
    props: frozenset[str] = field(default_factory=frozenset)

    @property
    def symmetric(self) -> bool:
        return bool(self.props & {"symmetric", "spd", "diagonal"})


class Node:
    """An expression: what `matdiff.parse` returns and `matdiff.vector`/`matrix`/`scalar`
    build. `op` names the operation, `children` are its operands, `shape` its (symbolic)
    shape; nodes are immutable and interned. Operators follow NumPy: `@` the matrix
    product, `*` scaling or the elementwise product, `**` the elementwise power, `.T` the
    transpose; `str(node)` is the input language."""

    __slots__ = (
        "op", "children", "arg", "shape", "_key", "_free", "_size", "_tsize", "_depth",
        "__weakref__",
    )

    op: Op
    children: tuple[Node, ...]
    arg: Any
    shape: Shape
    _key: str | None
    _free: frozenset[str] | None
    _size: int | None
    _tsize: int | None
    _depth: int | None

    def __repr__(self) -> str:
        try:
            return f"<{PRINTERS['text'](self)}>"
        except Exception:  # repr must never fail, even on a half-supported node
            return f"<Node {self.op} {self.shape}>"

    def __str__(self) -> str:
        return PRINTERS["text"](self)

    @property
    def key(self) -> str:
        """A deterministic structural key, used to order the terms of canonical nodes."""
        k = self._key
        if k is None:
            for n in topological([self], lambda n: n._key is not None):
                n._key = _key_of(n)
            k = self._key
        return k  # type: ignore[return-value]

    @property
    def free(self) -> frozenset[str]:
        """Names of the variables (and `d:` differentials) this expression depends on."""
        f = self._free
        if f is None:
            for n in topological([self], lambda n: n._free is not None):
                n._free = _free_of(n)
            f = self._free
        return f  # type: ignore[return-value]

    @property
    def transposed_size(self) -> int:
        """How much of the tree sits under a transpose (a transposed leaf counts 1)."""
        t = self._tsize
        if t is None:
            for n in topological([self], lambda n: n._tsize is not None):
                n._tsize = (n.children[0].size if n.op is Op.TRANSPOSE else
                            sum(c._tsize for c in n.children))  # type: ignore[misc]
            t = self._tsize
        return t  # type: ignore[return-value]

    @property
    def size(self) -> int:
        """Number of nodes in the tree (shared nodes counted each time they are used)."""
        s = self._size
        if s is None:
            for n in topological([self], lambda n: n._size is not None):
                n._size = 1 + sum(c._size for c in n.children)  # type: ignore[misc]
            s = self._size
        return s  # type: ignore[return-value]

    @property
    def depth(self) -> int:
        """Nodes on the longest path from here to a leaf (a leaf has depth 1)."""
        d = self._depth
        if d is None:
            for n in topological([self], lambda n: n._depth is not None):
                n._depth = 1 + max((c._depth or 0 for c in n.children), default=0)
            d = self._depth
        return d  # type: ignore[return-value]

    # NumPy would otherwise broadcast its own operators over a node: `M @ x` with an
    # array M must come to __rmatmul__ and fail clearly.
    __array_ufunc__ = None

    # Operators for the Python API, with NumPy's meanings: `@` matrix product, `*`
    # scaling or elementwise product, `/` elementwise division, `**` elementwise power,
    # `.T` transpose. The builders come from OPERATORS (filled by ir/build.py).

    def __add__(self, other: object) -> Node:
        return _arith("add", self, other)

    def __radd__(self, other: object) -> Node:
        return _arith("add", other, self)

    def __sub__(self, other: object) -> Node:
        return _arith("sub", self, other)

    def __rsub__(self, other: object) -> Node:
        return _arith("sub", other, self)

    def __neg__(self) -> Node:
        return _arith("neg", self)

    def __matmul__(self, other: object) -> Node:
        return _arith("matmul", self, other)

    def __rmatmul__(self, other: object) -> Node:
        return _arith("matmul", other, self)

    def __mul__(self, other: object) -> Node:
        return _arith("times", self, other)

    def __rmul__(self, other: object) -> Node:
        return _arith("times", other, self)

    def __truediv__(self, other: object) -> Node:
        return _arith("ediv", self, other)

    def __rtruediv__(self, other: object) -> Node:
        return _arith("ediv", other, self)

    def __pow__(self, other: object) -> Node:
        return _arith("power", self, other)

    def __rpow__(self, other: object) -> Node:
        return _arith("power", other, self)

    @property
    def T(self) -> Node:  # noqa: N802 - NumPy's name
        """The transpose, `x'` in the language."""
        return OPERATORS["transpose"](self)

    def _repr_latex_(self) -> str:
        return f"${PRINTERS['latex'](self)}$"


class OperandError(MatdiffError, TypeError):
    """A Python value that cannot be part of an expression (an array, a string, None):
    a MatdiffError like every user error, and a TypeError as Python's operators raise."""


def as_node(x: object) -> Node:
    """A node, or a Python number as a constant; anything else is an OperandError."""
    if isinstance(x, Node):
        return x
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        try:
            value = float(x)
        except OverflowError:
            raise OperandError("a number above 1e308 is too large for a constant") from None
        return OPERATORS["const"](value)
    if hasattr(x, "shape"):
        raise OperandError(
            f"cannot mix an array of shape {x.shape} into a matdiff expression: declare a "  # type: ignore[attr-defined]
            "symbol (matdiff.matrix('M', 'n', 'n')) and pass the array when evaluating"
        )
    shown = repr(x) if len(repr(x)) <= 40 else type(x).__name__
    raise OperandError(f"cannot use {shown} in a matdiff expression",
                       hint="use numbers and matdiff symbols (matdiff.vector('x', 'n'))")


def _key_of(n: Node) -> str:
    """n's key from its children's (already computed) keys."""
    inner = ",".join(c._key for c in n.children)  # type: ignore[misc]
    k = f"{n.op}[{n.arg!r}]({inner})" if n.arg is not None else f"{n.op}({inner})"
    if len(k) > _KEY_LIMIT:
        # Deep trees would make keys quadratic in size: keep a readable prefix and a
        # stable digest of the rest (the order stays deterministic).
        digest = hashlib.blake2b(k.encode(), digest_size=12).hexdigest()
        k = f"{k[:_KEY_LIMIT // 2]}#{digest}"
    return k


def _free_of(n: Node) -> frozenset[str]:
    """n's free names from its children's (already computed) ones."""
    if n.op is Op.VAR:
        return frozenset((n.arg.name,))
    if n.op is Op.DVAR:
        return frozenset((dvar_key(n.arg),))
    if len(n.children) == 1:
        return n.children[0]._free  # type: ignore[return-value]
    return frozenset().union(*(c._free for c in n.children))  # type: ignore[arg-type]


def _arith(builder: str, *operands: object) -> Node:
    """An operator of the Python API: the builder `builder` over the operands as nodes.
    `*` scales by a scalar and is elementwise otherwise, as in NumPy. Constant folding
    that overflows is a user error, as it is in parsed text."""
    nodes = [as_node(x) for x in operands]
    try:
        if builder == "times":
            a, c = nodes
            if a.shape == (1, 1) or c.shape == (1, 1):
                return OPERATORS["mul"](a, c)
            return OPERATORS["hadamard"](a, c)
        if builder == "power" and nodes[0].shape == (1, 1) and nodes[1].shape != (1, 1):
            # 2 ** x is 2 .^ x elementwise, as the language reads `2.^x`
            nodes[0] = OPERATORS["fill"](nodes[0], nodes[1].shape)
        return OPERATORS[builder](*nodes)
    except (OverflowError, ZeroDivisionError):
        raise InputValueError("a constant is too large to compute",
                              hint="rescale the constants of the expression") from None


def variables_in(nodes: Iterable[Node]) -> dict[str, Node]:
    """The `var` nodes under `nodes`, by name (the first met), without recursion."""
    found: dict[str, Node] = {}
    stack = list(nodes)
    seen: set[int] = set()
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if n.op is Op.VAR:
            found.setdefault(n.arg.name, n)
        stack.extend(n.children)
    return found


def dvar_key(arg: tuple[str, int]) -> str:
    return f"d:{arg[0]}:{arg[1]}"


_interned: weakref.WeakValueDictionary[tuple[Any, ...], Node] = weakref.WeakValueDictionary()


def make(op: Op, children: tuple[Node, ...], arg: Any, shape: Shape) -> Node:
    """The interning factory. Callers are the builders; they have checked the shapes.
    `op` is an `Op` member; anything else (a string, even one naming an op) is an
    InternalError, so an op cannot be misspelt."""
    if type(op) is not Op:
        raise InternalError(f"make needs an Op member, got {op!r} (see ir.ops.as_op)")
    ident = (op, tuple(id(c) for c in children), arg, shape)
    node = _interned.get(ident)
    if node is not None:
        return node
    node = object.__new__(Node)
    node.op = op
    node.children = children
    node.arg = arg
    node.shape = shape
    node._key = None
    node._free = None
    node._size = None
    node._tsize = None
    node._depth = None
    _interned[ident] = node
    return node
