"""Shape inference: AST + declarations -> a shape for every node and every variable.

Contract: `infer(text, tree, decls)` walks the tree once, giving each node a shape of two
dimension terms and equating terms as the operations require (`unify.Solver`); then it
names the sizes left unknown and returns a `Typing` whose `shape(node)` is a final
`ir.dims.Shape`. Every ill-typed input raises `ShapeError` (or `NameError_` for a name
used wrongly) with the text, the span of the offending subexpression (a binary
operation: from its left operand's start to its right operand's end; a call: the whole
call) and, where one is likely, a hint.

Kinds are decided by syntax: numbers are scalars; an undeclared variable is a scalar
(a-g), a column vector (h-z) or a matrix (A-Z), as on matrixcalculus.org; a declared one
has its declared kind. Only sizes are inferred, so "is it a scalar?" is always known
while walking, which is what lets `*` choose between scaling and the matrix product.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from ..errors import InternalError, MatdiffError, NameError_, ShapeError
from ..ir.dims import Shape, format_shape
from ..ir.ops import DIM_FUNCTIONS, FUNCTION_ARITY, RECORDS, as_op
from . import syntax as s
from .declarations import Declaration
from .sized import SIZED, SIZED_FILLS, SizedConstants
from .unify import ONE, Fixed, Prod, Solver, Sum, Term, is_one, key, normal

TShape = tuple[Term, Term]
SCALAR_T: TShape = (ONE, ONE)
CONSTANTS = ("eye", "vector", "matrix", "zeros", "ones")
# Names people bring from elsewhere, and what this language calls them.
ALIASES = {
    "trace": "tr", "ln": "log", "inverse": "inv", "determinant": "det", "norm": "norm2",
    "logistic": "sigmoid", "expit": "sigmoid", "lse": "logsumexp", "asin": "arcsin",
    "acos": "arccos", "atan": "arctan", "sgn": "sign", "diagm": "diag", "kronecker": "kron",
    "transpose": "the postfix ' (x')", "identity": "eye", "I": "eye",
    "heaviside": "step", "exmp": "expm", "mexp": "expm", "sum1": "sum",
}


@dataclass
class Typing:
    solver: Solver
    shapes: dict[int, TShape]
    var_shapes: dict[str, TShape]
    var_props: dict[str, frozenset[str]]

    def shape(self, node: s.Ast) -> Shape:
        r, c = self.shapes[id(node)]
        return (self.solver.value(r, {}), self.solver.value(c, {}))

    def var_shape(self, name: str) -> Shape:
        r, c = self.var_shapes[name]
        return (self.solver.value(r, {}), self.solver.value(c, {}))


def infer(text: str, tree: s.Ast, decls: dict[str, tuple[Declaration, str]]) -> Typing:
    reserved = {d for decl, _ in decls.values() for d in decl.dims if isinstance(d, str)}
    t = _Typer(text, decls, Solver(reserved))
    t.visit(tree)
    for name in decls:  # declared but unused variables get shapes too, named after
        t.variable(name)
    t.default_sizes()
    for term, name in t.named_sizes:
        # `eye(n)` that nothing else sized keeps its own size name, symbolic
        if not t.solver.anchored(term):
            t.solver.equate(term, Fixed(name), lambda: ShapeError("internal: size name"))
    for node, label in t.sized:
        r, c = t.shapes[id(node)]
        if not (t.solver.anchored(r) and t.solver.anchored(c)):
            raise ShapeError(
                f"cannot infer the size of {label} here", text=text, span=node.span,
                hint=f"use {label} next to a variable whose size it shares (A + eye, "
                "x'*vector(1)); alone, it takes the size of the variables only when they "
                "all have one size",
            )
    t.solver.finish()
    return Typing(t.solver, t.shapes, t.var_shapes, t.var_props)


def is_scalar(sh: TShape) -> bool:
    return is_one(sh[0]) and is_one(sh[1])


def is_column(sh: TShape) -> bool:
    return is_one(sh[1]) and not is_one(sh[0])


def is_row(sh: TShape) -> bool:
    return is_one(sh[0]) and not is_one(sh[1])


_OPWORDS = {
    "+": ("add", "and"), "-": ("subtract", "from"), ".*": ("multiply elementwise", "and"),
    "./": ("divide elementwise", "by"), ".^": ("raise elementwise", "to the power"),
}


class _Typer(SizedConstants):
    def __init__(self, text: str, decls: dict[str, tuple[Declaration, str]], solver: Solver):
        self.text = text
        self.decls = decls
        self.solver = solver
        self.shapes: dict[int, TShape] = {}
        self.var_shapes: dict[str, TShape] = {}
        self.var_props: dict[str, frozenset[str]] = {}
        self.sized: list[tuple[s.Ast, str]] = []  # eye / vector(c) / matrix(c) nodes
        self.named_sizes: list[tuple[Term, str]] = []  # the n of eye(n), undeclared

    # ------------------------------------------------------------------ messages

    def src(self, node: s.Ast) -> str:
        a, b = node.span
        piece = self.text[a:b]
        return piece if len(piece) <= 40 else piece[:37] + "..."

    def fmt(self, sh: TShape) -> str:
        names = self.solver.names()
        return format_shape((self.solver.value(sh[0], names), self.solver.value(sh[1], names)))

    def describe(self, node: s.Ast, sh: TShape) -> str:
        return f"{self.src(node)} ({self.fmt(sh)})"

    def error(self, message: str, span: s.Span, hint: str | None = None,
              cls: type[MatdiffError] = ShapeError) -> MatdiffError:
        return cls(message, text=self.text, span=span, hint=hint)

    def transposed_text(self, node: s.Ast) -> str:
        """How to write node' (or node itself when node is a transpose)."""
        if isinstance(node, s.Transpose):
            return self.src(node.operand)
        if isinstance(node, (s.Name, s.Call, s.Group, s.Num, s.Block)):
            return self.src(node) + "'"
        return f"({self.src(node)})'"

    def default_sizes(self) -> None:
        """Size a free-floating eye / vector(c) / matrix(c) when only one size is in play.

        `2*tr(X)*eye` is how the printer writes a gradient; nothing in the text sizes the
        eye, but when every variable (used or declared) has the one size n, n is the only
        sensible reading. With several sizes the choice is left to the user (an error)."""
        sizes: dict[object, Term] = {}
        named = {key(t) for t, _ in self.named_sizes}  # `ones(m, n)` keeps m and n
        for sh in self.var_shapes.values():
            for d in sh:
                if not is_one(d):
                    sizes[key(d)] = normal(d)
        if len(sizes) != 1:
            return
        (only,) = sizes.values()
        for node, _ in self.sized:
            def unsized(span: s.Span = node.span) -> MatdiffError:
                return self.error("cannot size this from the expression's variables", span)

            for d in self.shapes[id(node)]:
                if not self.solver.anchored(d) and key(d) not in named:
                    self.solver.equate(d, only, unsized)

    # ------------------------------------------------------------------ walking

    def visit(self, node: s.Ast) -> TShape:
        sh = self._visit(node)
        self.shapes[id(node)] = sh
        return sh

    def _visit(self, node: s.Ast) -> TShape:
        if isinstance(node, s.Num):
            return SCALAR_T
        if isinstance(node, s.Name):
            return self.name(node)
        if isinstance(node, s.Group):
            return self.visit(node.inner)
        if isinstance(node, s.Neg):
            return self.visit(node.operand)
        if isinstance(node, s.Transpose):
            r, c = self.visit(node.operand)
            return (c, r)
        if isinstance(node, s.Chain):
            return self.chain(node)
        if isinstance(node, s.Call):
            return self.call(node)
        if isinstance(node, s.Block):
            return self.block(node)
        raise TypeError(f"unknown syntax node {node!r}")

    def name(self, node: s.Name) -> TShape:
        n = node.name
        if n in FUNCTION_ARITY or n in DIM_FUNCTIONS:
            raise self.error(f"{n} is a function and needs an argument", node.span,
                             hint=f"write {n}(...)", cls=NameError_)
        if n == "eye":
            d = self.solver.fresh(anchored=False)
            self.sized.append((node, "eye"))
            return (d, d)
        if n in ("vector", "matrix"):
            raise self.error(f"{n} needs an argument: {n}(c) has every entry equal to c",
                             node.span, hint=f"write {n}(1) for all ones", cls=NameError_)
        if n in ("zeros", "ones", "reshape") and n not in self.decls:
            raise self.error(f"{n} needs its arguments", node.span,
                             hint=f"write {SIZED_FILLS[n]}", cls=NameError_)
        return self.variable(n)

    def variable(self, n: str) -> TShape:
        if n in self.var_shapes:
            return self.var_shapes[n]
        decl = self.decls[n][0] if n in self.decls else None
        kind = decl.kind if decl else ("scalar" if n[0] in "abcdefg" else
                                       "vector" if n[0].islower() else "matrix")
        dims = list(decl.dims) if decl else []
        terms: list[Term] = [Fixed(d) for d in dims]
        if kind == "scalar":
            sh: TShape = SCALAR_T
        elif kind == "vector":
            sh = (terms[0] if terms else self.solver.fresh(), ONE)
        elif terms:
            sh = (terms[0], terms[1])
        else:
            r = self.solver.fresh()
            square = decl is not None and bool(decl.props & {"symmetric", "spd", "diagonal",
                                                              "orthogonal"})
            sh = (r, r if square else self.solver.fresh())
        self.var_shapes[n] = sh
        self.var_props[n] = decl.props if decl else frozenset()
        return sh

    # --------------------------------------------------------------- operators

    def chain(self, node: s.Chain) -> TShape:
        # The left operand of each step is everything before it: `x'*A` in `x'*A*x`.
        lnode: s.Ast = node.first
        acc = self.visit(node.first)
        for step in node.steps:
            right = self.visit(step.operand)
            span = (node.first.span[0], step.operand.span[1])
            acc = self.binary(step.op, lnode, acc, step.operand, right, span)
            lnode = _Piece(span)
        return acc

    def binary(self, op: str, lnode: s.Ast, a: TShape, rn: s.Ast, b: TShape,
               span: s.Span) -> TShape:
        if op == "*":
            return self.matmul(lnode, a, rn, b, span)
        if op == "/":
            if not is_scalar(b):
                ls, rs = self.src(lnode), self.src(rn)
                hint = (f"use {ls} ./ {rs} for elementwise division" if not is_scalar(a)
                        and self.solver.compatible(a[0], b[0]) else
                        "use ./ for elementwise division")
                if not is_scalar(a) and not is_column(b) and not is_row(b):
                    hint += f", or {ls}*inv({rs}) for the matrix inverse"
                raise self.error(f"'/' divides by a scalar, but {self.describe(rn, b)} is "
                                 f"not one", span, hint=hint)
            return a
        if op == "^":
            return self.mpower(lnode, a, rn, b, span)
        if op == ".^" and is_scalar(a):
            return b
        # + - .* ./ .^ : same shapes, a scalar broadcasts
        if is_scalar(a):
            return b
        if is_scalar(b):
            return a
        verb, prep = _OPWORDS[op]
        if op == "-":
            message = f"cannot subtract {self.describe(rn, b)} from {self.describe(lnode, a)}"
        else:
            message = f"cannot {verb} {self.describe(lnode, a)} {prep} {self.describe(rn, b)}"

        def err() -> MatdiffError:
            hint = None
            if (self.solver.compatible(a[0], b[1]) and self.solver.compatible(a[1], b[0])):
                hint = (f"did you mean {self.src(lnode)} {op} {self.transposed_text(rn)}?")
            return self.error(message, span, hint=hint)

        self.solver.equate(a[0], b[0], err)
        self.solver.equate(a[1], b[1], err)
        return a

    def matmul(self, ln: s.Ast, a: TShape, rn: s.Ast, b: TShape, span: s.Span) -> TShape:
        if is_scalar(a):
            return b
        if is_scalar(b):
            return a

        def err() -> MatdiffError:
            ok = self.solver.compatible
            lt, rt = self.transposed_text(ln), self.transposed_text(rn)
            lw = self.src(ln)
            options = []
            if ok(a[0], b[0]):
                options.append(f"{lt}*{self.src(rn)}")
            if ok(a[1], b[1]):
                options.append(f"{lw}*{rt}")
            if ok(a[0], b[1]):
                options.append(f"{lt}*{rt}")
            if options:
                hint = f"did you mean {options[0]}?"
            elif ok(a[0], b[0]) and ok(a[1], b[1]):
                hint = "use .* for the elementwise product"
            else:
                hint = None
            return self.error(f"cannot multiply {self.describe(ln, a)} by "
                              f"{self.describe(rn, b)}", span, hint=hint)

        self.solver.equate(a[1], b[0], err)
        return (a[0], b[1])

    def mpower(self, ln: s.Ast, a: TShape, rn: s.Ast, b: TShape, span: s.Span) -> TShape:
        if not is_scalar(b):
            hint = f"use {self.src(ln)} .^ {self.src(rn)} for an elementwise power"
            if self.src(rn) == "T":  # x^T as on paper: the transpose is x'
                hint = (f"the transpose is written with a quote: {self.src(ln)}' "
                        "(here T is read as a matrix named T)")
            raise self.error(f"the exponent of ^ must be a scalar, but "
                             f"{self.describe(rn, b)} is not one", span, hint=hint)
        if is_scalar(a):
            return a
        what = "a vector" if is_column(a) or is_row(a) else "not square"

        def err() -> MatdiffError:
            return self.error(
                f"^ is the matrix power and needs a square matrix; "
                f"{self.describe(ln, a)} is {what}", span,
                hint=f"use {self.src(ln)}.^{self.src(rn)} for an elementwise power")

        if what == "a vector":
            raise err()
        self.solver.equate(a[0], a[1], err)
        return a

    # --------------------------------------------------------------- calls

    def call(self, node: s.Call) -> TShape:
        n = node.name
        if n in SIZED_FILLS and (n in ("zeros", "ones", "reshape") or len(node.args) > 1):
            return self.sized_fill(node)
        if n in ("vector", "matrix"):
            self.arity(node, 1)
            c = self.visit(node.args[0])
            if not is_scalar(c):
                raise self.error(f"{n}(c) needs a scalar c, but {self.describe(node.args[0], c)}"
                                 " is not one", node.span,
                                 hint=f"{n}(c) is a {n} with every entry equal to c")
            self.sized.append((node, f"{n}({self.src(node.args[0])})"))
            d = self.solver.fresh(anchored=False)
            return (d, ONE) if n == "vector" else (d, self.solver.fresh(anchored=False))
        if n in SIZED:
            return self.sized_constant(node)
        if n in DIM_FUNCTIONS and (len(node.args) >= 2 or n == "mean"):
            return self.dim_call(node)
        if n not in FUNCTION_ARITY:
            self.unknown_function(node)
        self.arity(node, FUNCTION_ARITY[n])
        args = [self.visit(a) for a in node.args]
        # The op's one shape rule (ir/shapes.py), run over this parser's terms: sizes
        # that must be equal are unified, errors point at the call.
        rule = RECORDS[as_op(n)].shape
        if rule is None:
            raise InternalError(f"{n} has no shape rule")
        return rule(_CallDims(self, node), *args)  # type: ignore[no-any-return]

    def dim_call(self, node: s.Call) -> TShape:
        """`sum(X, dim)`, `softmax(Z, dim)`, `logsumexp(Z, dim)`, `mean(X)`, `mean(X, dim)`:
        dim is the literal 1 (down each column) or 2 (along each row), as in MATLAB."""
        n = node.name
        if len(node.args) not in (1, 2):
            raise self.error(f"{n} takes 1 or 2 arguments, got {len(node.args)}", node.span,
                             hint=f"write {n}(X) or {n}(X, 1) / {n}(X, 2)", cls=NameError_)
        x = self.visit(node.args[0])
        if len(node.args) == 1:
            return SCALAR_T  # mean(X): the mean of all entries
        dim = dim_literal(node.args[1])
        if dim is None:
            raise self.error(
                f"the dim argument of {n} must be the number 1 or 2, got "
                f"{self.src(node.args[1])}", node.args[1].span,
                hint=f"{n}({self.src(node.args[0])}, 1) acts down each column, "
                     f"{n}({self.src(node.args[0])}, 2) along each row")
        self.shapes[id(node.args[1])] = SCALAR_T
        if n == "softmax":
            return x
        return (ONE, x[1]) if dim == 1 else (x[0], ONE)

    def square(self, node: s.Call, arg: s.Ast, x: TShape, hint: str | None = None) -> None:
        what = "a vector" if is_column(x) or is_row(x) else "not square"

        def err() -> MatdiffError:
            return self.error(f"{node.name} needs a square matrix, but "
                              f"{self.describe(arg, x)} is {what}", node.span, hint=hint)

        if what == "a vector":
            raise err()
        self.solver.equate(x[0], x[1], err)

    def arity(self, node: s.Call, want: int) -> None:
        got = len(node.args)
        if got != want:
            usage = {1: f"{node.name}(x)", 2: f"{node.name}(A, B)"}[want]
            plural = "argument" if want == 1 else "arguments"
            raise self.error(f"{node.name} takes {want} {plural}, got {got}", node.span,
                             hint=f"write {usage}", cls=NameError_)

    def unknown_function(self, node: s.Call) -> None:
        n = node.name
        if n in self.decls or (n in self.var_shapes):
            raise self.error(f"{n} is a variable, not a function", node.name_span,
                             hint=f"write {n}*(...) for a product; indexing is not supported",
                             cls=NameError_)
        known = [*FUNCTION_ARITY, *CONSTANTS]
        alias = ALIASES.get(n) or ALIASES.get(n.lower())
        close = difflib.get_close_matches(n.lower(), known, n=1, cutoff=0.6)
        if alias:
            hint: str | None = f"did you mean {alias}?"
        elif close:
            hint = f"did you mean {close[0]}?"
        elif len(n) <= 2:
            hint = f"write {n}*(...) for a product"
        else:
            hint = "the functions are " + ", ".join(sorted(FUNCTION_ARITY))
        raise self.error(f"unknown function '{n}'", node.name_span, hint=hint, cls=NameError_)

    # --------------------------------------------------------------- blocks

    def block(self, node: s.Block) -> TShape:
        grid = [[self.visit(e) for e in row] for row in node.rows]
        width = len(node.rows[0])
        for i, row in enumerate(node.rows):
            if len(row) != width:
                span = (row[0].span[0], row[-1].span[1])
                entries = "entry" if len(row) == 1 else "entries"
                raise self.error(f"row {i + 1} of the block has {len(row)} {entries}, "
                                 f"row 1 has {width}", span,
                                 hint="every row of [a, b; c, d] needs the same number of "
                                      "entries")
        for i in range(len(node.rows)):
            first = grid[i][0]
            for j in range(1, width):
                e = grid[i][j]

                def err(i: int = i, j: int = j, e: TShape = e, first: TShape = first
                        ) -> MatdiffError:
                    return self.error(
                        f"entries of block row {i + 1} must have the same number of rows: "
                        f"{self.describe(node.rows[i][0], first)} and "
                        f"{self.describe(node.rows[i][j], e)}", node.rows[i][j].span)

                self.solver.equate(first[0], e[0], err)
        for j in range(width):
            first = grid[0][j]
            for i in range(1, len(grid)):
                e = grid[i][j]

                def err2(i: int = i, j: int = j, e: TShape = e, first: TShape = first
                         ) -> MatdiffError:
                    return self.error(
                        f"entries of block column {j + 1} must have the same number of "
                        f"columns: {self.describe(node.rows[0][j], first)} and "
                        f"{self.describe(node.rows[i][j], e)}", node.rows[i][j].span)

                self.solver.equate(first[1], e[1], err2)
        rows: Term = grid[0][0][0]
        for i in range(1, len(grid)):
            rows = Sum(rows, grid[i][0][0])
        cols: Term = grid[0][0][1]
        for j in range(1, width):
            cols = Sum(cols, grid[0][j][1])
        return (rows, cols)


class _Piece(s.Ast):
    """A stretch of text standing for an already-combined left operand."""


def dim_literal(node: s.Ast) -> int | None:
    """The dim of `sum(X, dim)` when it is written as the number 1 or 2, else None."""
    while isinstance(node, s.Group):
        node = node.inner
    if isinstance(node, s.Num) and node.value in (1, 2):
        return int(node.value)
    return None


class _CallDims:
    """The dims algebra (ir/shapes.py) of a function call being typed: sizes are this
    parser's terms, `square` unifies rows with columns, errors carry the call's span."""

    one = ONE

    def __init__(self, typer: _Typer, node: s.Call) -> None:
        self.typer = typer
        self.node = node

    def mul(self, a: Term, b: Term) -> Term:
        return b if is_one(a) else a if is_one(b) else Prod(a, b)

    def is_one(self, d: Term) -> bool:
        return is_one(d)

    def square(self, x: TShape, name: str, message: str | None = None,
               hint: str | None = None) -> None:
        self.typer.square(self.node, self.node.args[0], x, hint=hint)

    def column(self, x: TShape, name: str) -> None:
        if is_one(x[1]):
            return
        t, node, arg = self.typer, self.node, self.node.args[0]
        a = t.src(arg)
        hint = (f"{name}({t.transposed_text(arg)})' works on the column"
                if is_row(x) else f"for a batch write {name}({a}, 1) (per column) "
                f"or {name}({a}, 2) (per row)")
        raise t.error(f"{name} needs a column vector, but {t.describe(arg, x)} is not one",
                      node.span, hint=hint)
