"""What every printer decides alike; the printers (text.py, latex.py, unicode.py) only
spell it.

The contract, shared by `to_text`, `to_latex` and `to_unicode`:

- Precedence levels, low to high: ADD (sums), CIRC (the elementwise and Kronecker
  products `⊙ ⊗ \\odot`; the text printer has none and writes `.*` at MUL), MUL
  (products), NEG (a leading minus), POW (powers), ATOM (names, calls, brackets). A
  printer returns each piece with its level, and `wrap` parenthesises a piece whose
  level is below the one its place needs; `superscript_base` does the same for a base
  that takes a superscript, which must also not end in one already.
- Subtractions: a term whose coefficient is negative (`negative_coefficient`) prints
  as a subtraction of its negation, after all the added terms (`spell_sum`); so does a
  broadcast scalar whose value has a negative coefficient (`signed`).
- Division bars: a factor raised to a negative constant power goes under the bar as
  its positive power (`split_fraction`); in a product's `/` (every printer) only
  scalar factors do, in an elementwise quotient any factor. So `a*X.^-1` keeps its
  elementwise inverse as a factor (`a*(1 ./ X)`, `aX∘⁻¹`, `a X^{\\circ -1}`) and never
  reads as a division by a matrix. A product's constant coefficient is written apart
  from its factors (`split_coefficient`).
- Numbers are spelled the same everywhere (`format_number`), and the function of a
  derivative equation is `f` unless it is a matrix (`function_letter`).
- Fills (every entry one scalar) print as `vector(c)` / `matrix(c)` (text), `𝟙`, `1`
  only where the rest of the printed expression sizes them (`unsized_fills`: a sum's
  other terms, the neighbours in a product); everywhere else with their sizes
  (`zeros(m, n)`, `c*ones(m, n)`, `𝟙ₙ`), so that a printed result read back with the
  same declarations has the same shape (issue 9). A fill in a sum that its other terms
  size prints as the bare scalar (`1 - y`).
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar

from ..ir.build import const, const_value, neg, power
from ..ir.dims import Dim, is_column, is_row, is_scalar, is_square
from ..ir.node import Node
from ..ir.ops import Op

ADD, CIRC, MUL, NEG, POW, ATOM = 1, 2, 3, 4, 5, 6


def format_number(v: float) -> str:
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def wrap(printed: Sequence, min_level: int, left: str = "(", right: str = ")") -> str:
    """A printed piece (text, level, ...) in a place that needs `min_level`."""
    text, level = printed[0], printed[1]
    return f"{left}{text}{right}" if level < min_level else text


def superscript_base(printed: Sequence, left: str = "(", right: str = ")") -> str:
    """A base that takes a superscript: an atom without a superscript of its own."""
    text, level, has_superscript = printed[0], printed[1], printed[2]
    return f"{left}{text}{right}" if level < ATOM or has_superscript else text


def negative_coefficient(e: Node) -> bool:
    """Whether `e` prints with a leading minus (as a subtraction, inside a sum)."""
    if e.op == Op.CONST:
        return e.arg < 0
    if e.op == Op.MUL and e.children[0].op == Op.CONST:
        return e.children[0].arg < 0
    if e.op == Op.FILL:
        return negative_coefficient(e.children[0])
    return False


def signed(e: Node) -> tuple[bool, Node]:
    """(whether `e` prints as a minus, what prints after the minus)."""
    if negative_coefficient(e):
        return True, neg(e)
    return False, e


def spell_sum(e: Node, show: Callable[[Node, int], str], later: int) -> tuple[str, int]:
    """An `add`: the added terms, then the subtracted ones, each shown by `show(term,
    min_level)`; a term after the first, or subtracted, needs level `later`. A broadcast
    scalar in a matrix sum that the other terms size is written as the scalar: `1 - y`."""
    terms: list[Node] = []
    for t in e.children:
        if t.op == Op.FILL and not is_scalar(e.shape) and sized_by_context(t):
            # broadcast scalars, one term each: `a + 2*x - 1`
            value = t.children[0]
            terms += list(value.children) if value.op == Op.ADD else [value]
        else:
            terms.append(t)
    order = [t for t in terms if not negative_coefficient(t)]
    order += [t for t in terms if negative_coefficient(t)]
    out = ""
    for i, term in enumerate(order):
        is_neg, shown = signed(term)
        text = show(shown, later if (is_neg or i > 0) else ADD)
        if i == 0:
            out = f"-{text}" if is_neg else text
        else:
            out += (" - " if is_neg else " + ") + text
    return out, (ADD if len(terms) > 1 else NEG)


def split_coefficient(e: Node) -> tuple[float, list[Node]]:
    """A `mul`'s constant coefficient (1 when it has none) and its other factors."""
    children = list(e.children)
    if children[0].op == Op.CONST:
        return children[0].arg, children[1:]
    return 1.0, children


def negative_power(c: Node) -> bool:
    if c.op != Op.POW:
        return False
    v = const_value(c.children[1])
    return v is not None and is_scalar(c.children[1].shape) and v < 0


def invert(c: Node) -> Node:
    """`c`, a negative power, as the positive power that goes under the bar."""
    return power(c.children[0], const(-float(const_value(c.children[1]) or 0.0)))


def split_fraction(factors: Iterable[Node], *, elementwise: bool) -> tuple[list[Node], list[Node]]:
    """Numerator and denominator factors, each in the order given; the denominator's
    inverted. Only scalars go under a product's `/`; under an elementwise `./`, any."""
    num: list[Node] = []
    den: list[Node] = []
    for c in factors:
        if negative_power(c) and (elementwise or is_scalar(c.shape)):
            den.append(invert(c))
        else:
            num.append(c)
    return num, den


def spell_quotient(num: list[str], den: list[str], times: str, over: str, one: str) -> str:
    """An elementwise quotient: `a times b over c over d`, `one` for an empty numerator."""
    text = times.join(num) if num else one
    for d in den:
        text += over + d
    return text


def block_cells(e: Node) -> list[list[Node]]:
    """A `block`'s children, row by row."""
    rows, cols = e.arg
    return [[e.children[r * cols + c] for c in range(cols)] for r in range(rows)]


def function_letter(f: Node) -> str:
    """The function's name in a derivative equation: `F` for a matrix, else `f`."""
    return "f" if (is_scalar(f.shape) or is_column(f.shape) or is_row(f.shape)) else "F"


# ------------------------------------------------------------------ sizing of fills

Known = tuple[bool, bool]  # whether the printed text tells the rows, the columns
_SIZED_BY_CONTEXT: ContextVar[frozenset[Node]] = ContextVar("sized_by_context",
                                                            default=frozenset())
_WRITABLE_DIM = re.compile(r"[\w+*() ]+")


def writable_dim(d: Dim) -> str | None:
    """A size as the language writes it (`n`, `3`, `m*n`, `m+n`, `m*n + p`: sums and
    products of names and whole numbers, as parse/typing.py reads them), or None."""
    text = str(d)
    parts = [p.strip() for p in re.split(r"[*+()]", text) if p.strip()]
    if _WRITABLE_DIM.fullmatch(text) and parts and all(
            p.isdigit() or p.isidentifier() for p in parts):
        return text
    return None


def fill_sizes(e: Node) -> tuple[str, str] | None:
    """The sizes a fill prints with (`ones(m, n)`), or None where one cannot be written."""
    r, c = writable_dim(e.shape[0]), writable_dim(e.shape[1])
    return (r, c) if r is not None and c is not None else None


def sized_by_context(e: Node) -> bool:
    """Whether the fill `e` may print without its sizes in the expression being printed
    (see `printing`); a fill met outside it prints with them."""
    return e in _SIZED_BY_CONTEXT.get() or fill_sizes(e) is None


class printing:  # noqa: N801 - used as `with printing(root):`
    """The context of one printed expression: which of its fills the rest sizes."""

    def __init__(self, root: Node) -> None:
        self.root = root

    def __enter__(self) -> None:
        self.token = _SIZED_BY_CONTEXT.set(unsized_fills(self.root))

    def __exit__(self, *exc: object) -> None:
        _SIZED_BY_CONTEXT.reset(self.token)


def _post_order(root: Node) -> list[Node]:
    seen: set[int] = set()
    order: list[Node] = []
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((c, False) for c in node.children)
    return order


def _own_known(n: Node, kids: list[Known]) -> Known:
    """Which sizes of `n` its own printed text tells (a fill: only its 1s)."""
    op = n.op
    if op in (Op.VAR, Op.DVAR, Op.CONST, Op.COMMUTATION) or is_scalar(n.shape):
        r, c = True, True
    elif op == Op.EYE:
        r = c = writable_dim(n.shape[0]) is not None
    elif op == Op.FILL:
        r, c = False, False
    elif op in (Op.ADD, Op.HADAMARD):
        r, c = any(k[0] for k in kids), any(k[1] for k in kids)
    elif op in (Op.MUL,):
        r, c = kids[-1]
    elif op == Op.MATMUL:
        r, c = kids[0][0], kids[-1][1]
    elif op == Op.TRANSPOSE:
        c, r = kids[0]
    elif op in (Op.INV, Op.EXPM, Op.MPOW):
        r = c = kids[0][0] or kids[0][1]
    elif op == Op.DIAG and is_square(n.shape):  # diag(v): n×n from the column v
        r = c = kids[0][0]
    elif op == Op.DIAG:  # the diagonal of a square matrix
        r, c = kids[0][0] or kids[0][1], True
    elif op == Op.VEC:
        r, c = kids[0][0] and kids[0][1], True
    elif op == Op.KRON:
        r, c = kids[0][0] and kids[1][0], kids[0][1] and kids[1][1]
    elif op == Op.BLOCK:
        r, c = _block_known(n, kids)
    elif op == Op.RESHAPE:
        r, c = True, True
    elif op in (Op.SUMDIM, Op.LOGSUMEXPDIM):  # sum(X, 1) is 1×n: X's columns; (X, 2): m×1
        r, c = (True, kids[0][1]) if n.arg == 1 else (kids[0][0], True)
    elif op == Op.POW and not is_scalar(n.children[1].shape):  # an exponent of one shape
        r, c = kids[0][0] or kids[1][0], kids[0][1] or kids[1][1]
    else:  # elementwise functions, softmax: the argument's shape
        r, c = kids[0] if kids else (False, False)
    return r or n.shape[0] == 1, c or n.shape[1] == 1


def _block_known(n: Node, kids: list[Known]) -> Known:
    rows, cols = n.arg
    grid = [kids[i * cols:(i + 1) * cols] for i in range(rows)]
    return (all(any(k[0] for k in row) for row in grid),
            all(any(grid[i][j][1] for i in range(rows)) for j in range(cols)))


def _child_contexts(n: Node, ctx: Known, known: dict[int, Known]) -> list[Known]:
    """What the surroundings tell each child of `n` about its sizes, given `ctx`."""
    ks = [known[id(c)] for c in n.children]
    op = n.op
    if op in (Op.ADD, Op.HADAMARD):
        out = []
        for i in range(len(ks)):
            others = ks[:i] + ks[i + 1:]
            out.append((ctx[0] or any(k[0] for k in others),
                        ctx[1] or any(k[1] for k in others)))
        return out
    if op == Op.MUL:
        return [(True, True)] * (len(ks) - 1) + [ctx]
    if op == Op.MATMUL:
        last = len(ks) - 1
        return [(ctx[0] if i == 0 else ks[i - 1][1], ctx[1] if i == last else ks[i + 1][0])
                for i in range(len(ks))]
    if op == Op.TRANSPOSE:
        return [(ctx[1], ctx[0])]
    if op in (Op.INV, Op.EXPM, Op.MPOW):
        return [(ctx[0] or ctx[1],) * 2]
    if op == Op.DIAG:
        if is_square(n.shape):  # diag(v): v's size is the matrix's
            return [(ctx[0] or ctx[1], True)]
        return [(ctx[0], ctx[0])]
    if op == Op.POW and not is_scalar(n.children[1].shape):
        return [(ctx[0] or ks[1][0], ctx[1] or ks[1][1]),
                (ctx[0] or ks[0][0], ctx[1] or ks[0][1])]
    if op in (Op.SUMDIM, Op.LOGSUMEXPDIM):  # the summed dimension is told by nothing outside
        return [(False, ctx[1]) if n.arg == 1 else (ctx[0], False)]
    if op == Op.BLOCK:
        rows, cols = n.arg
        grid = [ks[i * cols:(i + 1) * cols] for i in range(rows)]
        return [(any(k[0] for k in grid[i]), any(grid[x][j][1] for x in range(rows)))
                for i in range(rows) for j in range(cols)]
    if op in (Op.VEC, Op.KRON, Op.RESHAPE, Op.FILL) or is_scalar(n.shape) or op == Op.SOFTMAX:
        return [(False, False)] * len(ks) if op != Op.SOFTMAX else [ctx]
    return [ctx] * len(ks)  # elementwise functions keep the shape


# Whether a node has a fill under it, kept while the node lives: code generation prints
# every subexpression for its comments, and most contain no fill (nothing to decide).
_HAS_FILL: weakref.WeakKeyDictionary[Node, bool] = weakref.WeakKeyDictionary()


def _has_fill(root: Node) -> bool:
    done = _HAS_FILL.get(root)
    if done is not None:
        return done
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if node in _HAS_FILL:
            continue
        if expanded:
            _HAS_FILL[node] = node.op == Op.FILL or any(_HAS_FILL[c] for c in node.children)
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in node.children if c not in _HAS_FILL)
    return _HAS_FILL[root]


def unsized_fills(root: Node) -> frozenset[Node]:
    """The fills of `root` that every place they are printed sizes without them."""
    if not _has_fill(root):
        return frozenset()
    known: dict[int, Known] = {}
    for n in _post_order(root):
        known[id(n)] = _own_known(n, [known[id(c)] for c in n.children])
    ok: set[Node] = set()
    bad: set[Node] = set()
    seen: set[tuple[int, Known]] = set()
    stack: list[tuple[Node, Known]] = [(root, (False, False))]
    while stack:
        n, ctx = stack.pop()
        ctx = (ctx[0] or n.shape[0] == 1, ctx[1] or n.shape[1] == 1)
        if (id(n), ctx) in seen:
            continue
        seen.add((id(n), ctx))
        if n.op == Op.FILL:
            (ok if ctx == (True, True) else bad).add(n)
        stack.extend(zip(n.children, _child_contexts(n, ctx, known), strict=True))
    return frozenset(ok - bad)
