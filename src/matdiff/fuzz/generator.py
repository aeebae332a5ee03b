"""Random well-typed expressions over the whole language, with the domains honoured.

Contract:

- `Generator(rng).expr(shape, depth, domain)` builds an `E` of that shape. Every op of
  the language appears (README "The language": all elementwise functions, sum tr det
  logdet inv norm1 norm2 diag vec softmax logsumexp kron expm, blocks, `^` and `.^`,
  transposes, scalar broadcasting, eye and the fills), over variables declared with
  the properties symmetric, spd, diagonal, orthogonal, positive, onehot, simplex.
- Domains are honoured by construction, whatever the values of the variables: a
  "pos" expression is positive (exp, softplus, sigmoid, a positive variable, sums and
  products of such), "unit" lies in (-0.6, 0.6) (arcsin/arccos), "small" is bounded by
  0.5 (tan), "spd" is symmetric positive definite, "inv" is invertible with positive
  determinant and bounded condition (`eye + 0.1*tanh(M)` with sizes at most 4, an spd,
  orthogonal or diagonal variable). So a case never leaves its function's domain.
- Sizes are size names n, m, p; inner dimensions of products are sometimes compound
  (`n+m` from blocks, `m*n` from vec and kron), built from parts in a random order.
- `Generator.variables` holds the declarations: name -> (shape, properties). Names
  follow the first-letter convention (scalars a-g, vectors h-z, matrices A-Z) and are
  all declared anyway, so the text is reproducible as a `matdiff` command.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np

from .tree import (
    ONE,
    SCALAR,
    Dim,
    E,
    Shape,
    atom,
    dim_add,
    dim_mul,
    is_atom,
    kind,
)

T = TypeVar("T")
SIZE_NAMES = ("n", "m", "p")
ELEMENTWISE = ("exp", "log", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "tanh",
               "sqrt", "abs", "sign", "sigmoid", "relu", "softplus", "step")
# Elementwise functions, by the domain their argument must lie in.
_FUNC_DOMAIN = {"log": "pos", "sqrt": "pos", "arcsin": "unit", "arccos": "unit",
                "tan": "small"}
_NAMES = {"scalar": "abcdfg", "col": "uvwxyzhk", "mat": "ABCMNPRTUVWXYZ"}
SQUARE_PROPS = ("symmetric", "spd", "diagonal", "orthogonal")


def _num(c: float) -> E:
    return E("num", SCALAR, (), float(c))


def call(name: str, *kids: E, shape: Shape | None = None) -> E:
    return E("call", shape if shape is not None else kids[0].shape, tuple(kids), name)


def binary(op: str, a: E, b: E) -> E:
    """The shape of a binary node: scalars broadcast; `*` of two non-scalars multiplies."""
    if op == "mul" and a.shape != SCALAR and b.shape != SCALAR:
        shape = (a.shape[0], b.shape[1])
    else:
        shape = b.shape if a.shape == SCALAR else a.shape
    return E(op, shape, (a, b))


def transpose(a: E) -> E:
    return E("T", (a.shape[1], a.shape[0]), (a,))


class Generator:
    def __init__(self, rng: np.random.Generator, sizes: tuple[str, ...] = SIZE_NAMES,
                 compound: float = 0.12) -> None:
        self.rng = rng
        self.sizes = sizes
        self.compound = compound
        self.variables: dict[str, tuple[Shape, frozenset[str]]] = {}

    # -------------------------------------------------------------- small helpers
    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def pick(self, options: Sequence[T]) -> T:
        return options[int(self.rng.integers(len(options)))]

    def size(self) -> Dim:
        return atom(str(self.pick(list(self.sizes))))

    def inner(self) -> Dim:
        """An inner dimension: usually a size name, sometimes a sum or a product."""
        if self.chance(self.compound):
            a, b = self.size(), self.size()
            return dim_mul(a, b) if self.chance(0.4) else dim_add(a, b)
        if self.chance(0.03):
            return ((), ())  # 2, from blocks of scalars
        return self.size()

    # ------------------------------------------------------------------- variables
    def var(self, shape: Shape, props: frozenset[str] | None = None) -> E:
        """A variable of that shape: an existing one (when props allow) or a new one."""
        same = [n for n, (s, p) in self.variables.items()
                if s == shape and (props is None or props <= p)]
        if same and (self.chance(0.7) or len(self.variables) > 9):
            return E("var", shape, (), self.pick(same))
        if props is None:
            props = self._props(shape)
        k = kind(shape)
        letters = _NAMES["col" if k == "row" else k]
        for letter in letters:
            if letter not in self.variables:
                name = letter
                break
        else:
            name = f"{letters[0]}{len(self.variables)}"
        self.variables[name] = (shape, props)
        return E("var", shape, (), name)

    def _props(self, shape: Shape) -> frozenset[str]:
        k = kind(shape)
        roll = self.rng.random()
        if k == "mat" and shape[0] == shape[1]:
            if roll < 0.45:
                return frozenset()
            return frozenset({self.pick([*SQUARE_PROPS, "positive"])})
        if k == "col" and roll < 0.06:
            return frozenset({self.pick(["onehot", "simplex"])})
        return frozenset({"positive"}) if roll < 0.15 else frozenset()

    def leaf(self, shape: Shape) -> E:
        compound = not (all(is_atom(d) or d == ONE for d in shape))
        if compound:
            return self.split(shape, 0)
        if shape == SCALAR and self.chance(0.25):
            return _num(self.pick([2, 3, 0.5, -1, 1.5]))
        if kind(shape) == "row":
            return transpose(self.var((shape[1], ONE)))
        return self.var(shape)

    # ----------------------------------------------------------------- the grammar
    def expr(self, shape: Shape, depth: int, domain: str = "real") -> E:
        if domain != "real":
            return self.in_domain(shape, depth, domain)
        if not all(is_atom(d) or d == ONE for d in shape):
            return self.compound_expr(shape, depth)
        if depth <= 0 or self.chance(0.12):
            return self.leaf(shape)
        producers = {"scalar": self._scalar, "col": self._col, "row": self._row,
                     "mat": self._mat}[kind(shape)](shape, depth - 1)
        return self.pick(producers)()

    def _common(self, shape: Shape, d: int) -> list[Callable[[], E]]:
        """Producers for any shape: arithmetic, elementwise functions, powers."""
        g = self.expr
        out: list[Callable[[], E]] = [
            lambda: binary("add", g(shape, d), g(shape, d)),
            lambda: binary("sub", g(shape, d), g(shape, d)),
            lambda: binary("mul", g(SCALAR, d), g(shape, d)),
            lambda: binary("mul", g(shape, d), g(SCALAR, d)),
            lambda: binary("div", g(shape, d), g(SCALAR, d, "pos")),
            lambda: E("neg", shape, (g(shape, d),)),
            lambda: self.elementwise(shape, d),
            lambda: self.elementwise(shape, d),
            lambda: self.elementwise(shape, d),
            lambda: self.power(shape, d),
        ]
        if shape != SCALAR:
            out += [
                lambda: binary("had", g(shape, d), g(shape, d)),
                lambda: binary("ediv", g(shape, d), g(shape, d, "pos")),
                lambda: binary(self.pick(["add", "sub"]), g(SCALAR, d), g(shape, d)),
                lambda: binary(self.pick(["add", "sub"]), g(shape, d), g(SCALAR, d)),
                lambda: binary("add", g(shape, d), self.fill(shape)),
                lambda: binary("had", self.fill(shape), g(shape, d)),
            ]
        return out

    def fill(self, shape: Shape) -> E:
        word = "vector" if kind(shape) == "col" else "matrix"
        if kind(shape) == "row":
            return transpose(E("fill", (shape[1], ONE), (), ("vector", self.pick([1, 2]))))
        return E("fill", shape, (), (word, self.pick([0, 1, 2, 0.5])))

    def elementwise(self, shape: Shape, d: int) -> E:
        name = str(self.pick(list(ELEMENTWISE)))
        return call(name, self.expr(shape, d, _FUNC_DOMAIN.get(name, "real")))

    def power(self, shape: Shape, d: int) -> E:
        op = "pow" if shape == SCALAR and self.chance(0.6) else "epow"
        roll = self.rng.random()
        if roll < 0.5:
            return E(op, shape, (self.expr(shape, d), _num(self.pick([2, 3]))))
        if roll < 0.7:
            return E(op, shape, (self.expr(shape, d, "pos"), _num(self.pick([0.5, -1, -2, 1.5]))))
        if roll < 0.85 or shape == SCALAR:
            return E(op, shape, (self.expr(shape, d, "pos"), self.expr(SCALAR, d, "small")))
        return E("epow", shape, (self.expr(shape, d, "pos"), self.expr(shape, d, "small")))

    def _scalar(self, shape: Shape, d: int) -> list[Callable[[], E]]:
        g = self.expr

        def square() -> Shape:
            n = self.inner()
            return (n, n)

        def any_shape() -> Shape:
            return self.pick([(self.inner(), ONE), (self.inner(), self.inner()),
                              (ONE, self.inner())])

        def quad() -> E:
            k1, k2 = self.inner(), self.inner()
            return binary("mul", binary("mul", transpose(g((k1, ONE), d)), g((k1, k2), d)),
                          g((k2, ONE), d))

        n2 = self.size()
        return [*self._common(shape, d),
                lambda: call("sum", g(any_shape(), d), shape=SCALAR),
                lambda: call("tr", g(square(), d), shape=SCALAR),
                lambda: call("det", g((n2, n2), d, "inv"), shape=SCALAR),
                lambda: call("logdet", g((n2, n2), d, "posdet"), shape=SCALAR),
                lambda: call("norm1", g(any_shape(), d), shape=SCALAR),
                lambda: call("norm2", g(any_shape(), d), shape=SCALAR),
                lambda: call("logsumexp", g(any_shape(), d), shape=SCALAR),
                lambda: self.inner_product(d),
                lambda: self.inner_product(d),
                quad,
                lambda: call("diag", g(SCALAR, d)),
                ]

    def inner_product(self, d: int) -> E:
        k = self.inner()
        return binary("mul", transpose(self.expr((k, ONE), d)), self.expr((k, ONE), d))

    def _col(self, shape: Shape, d: int) -> list[Callable[[], E]]:
        g = self.expr
        r = shape[0]
        return [*self._common(shape, d),
                lambda: self.product(shape, d),
                lambda: self.product(shape, d),
                lambda: call("softmax", g(shape, d)),
                lambda: call("diag", g((r, r), d), shape=shape),
                lambda: transpose(g((ONE, r), d)),
                ]

    def _row(self, shape: Shape, d: int) -> list[Callable[[], E]]:
        g = self.expr
        c = shape[1]
        return [*self._common(shape, d),
                lambda: transpose(g((c, ONE), d)),
                lambda: transpose(g((c, ONE), d)),
                lambda: self.product(shape, d)]

    def _mat(self, shape: Shape, d: int) -> list[Callable[[], E]]:
        g = self.expr
        r, c = shape
        out = [*self._common(shape, d),
               lambda: self.product(shape, d),
               lambda: self.product(shape, d),
               lambda: binary("mul", g((r, ONE), d), transpose(g((c, ONE), d))),
               lambda: transpose(g((c, r), d))]
        if r == c:
            out += [
                lambda: call("diag", g((r, ONE), d), shape=shape),
                lambda: call("inv", g(shape, d, "inv")),
                lambda: E("mpow", shape, (g(shape, d),), self.pick([2, 3])),
                lambda: E("mpow", shape, (g(shape, d, "inv"),), self.pick([-1, -2])),
                lambda: call("expm", g(shape, d, "small")),
                lambda: binary("add", g(shape, d), self.eye(shape, d)),
                lambda: binary("add", g(shape, d), transpose(g(shape, d))),
            ]
        return out

    def eye(self, shape: Shape, d: int, domain: str = "real") -> E:
        """eye or eye(n), sometimes scaled (by a positive scalar where domain is "pos")."""
        e = E("eye", shape, (), self.chance(0.5))
        return binary("mul", self.expr(SCALAR, d, domain), e) if self.chance(0.5) else e

    def product(self, shape: Shape, d: int) -> E:
        """A matrix product with a random inner dimension (two or three factors)."""
        r, c = shape
        k = self.inner()
        left = self.expr((r, k), d)
        if self.chance(0.3):
            k2 = self.inner()
            mid = self.expr((k, k2), d)
            return binary("mul", binary("mul", left, mid), self.expr((k2, c), d))
        return binary("mul", left, self.expr((k, c), d))

    # ------------------------------------------------------------ compound sizes
    def compound_expr(self, shape: Shape, depth: int) -> E:
        """Shapes with a size such as n+m or m*n: built from parts, sometimes wrapped in
        a shape-keeping op."""
        if depth > 0 and self.chance(0.4):
            d = depth - 1
            roll = self.rng.random()
            if roll < 0.4:
                return self.elementwise(shape, d)
            if roll < 0.7:
                return binary(self.pick(["add", "sub", "had"]), self.expr(shape, d),
                              self.expr(shape, d))
            return binary("mul", self.expr(SCALAR, d), self.expr(shape, d))
        return self.split(shape, depth - 1)

    def split(self, shape: Shape, d: int) -> E:
        r, c = shape
        for axis, dim in ((0, r), (1, c)):
            if len(dim) > 1:  # a sum: a block of two parts, in a random order
                terms = list(dim)
                self.rng.shuffle(terms)
                cut = int(self.rng.integers(1, len(terms)))
                a, b = tuple(sorted(terms[:cut])), tuple(sorted(terms[cut:]))
                if axis == 0:
                    return E("block", shape, (self.expr((a, c), d), self.expr((b, c), d)),
                             (2, 1))
                return E("block", shape, (self.expr((r, a), d), self.expr((r, b), d)), (1, 2))
        return self.product_dims(shape, d)

    def product_dims(self, shape: Shape, d: int) -> E:
        """Shapes with products of sizes: vec(M) for a column (or its transpose for a
        row), kron of two factors otherwise."""
        r, c = shape
        if kind(shape) in ("col", "row") and len((r if c == ONE else c)[0]) == 2:
            names = list((r if c == ONE else c)[0])
            self.rng.shuffle(names)
            if self.chance(0.6):
                v = call("vec", self.expr((atom(names[0]), atom(names[1])), d),
                         shape=(r if c == ONE else c, ONE))
            else:
                v = call("kron", self.expr((atom(names[0]), ONE), d),
                         self.expr((atom(names[1]), ONE), d), shape=(r if c == ONE else c, ONE))
            return v if c == ONE else transpose(v)
        rf, cf = (list(x[0]) if x != ONE else [] for x in (r, c))
        self.rng.shuffle(rf)
        self.rng.shuffle(cf)
        rf += [""] * (2 - len(rf))
        cf += [""] * (2 - len(cf))
        parts: list[Shape] = [(atom(a) if a else ONE, atom(b) if b else ONE)
                              for a, b in zip(rf, cf, strict=True)]
        return call("kron", self.expr(parts[0], d), self.expr(parts[1], d), shape=shape)

    # ------------------------------------------------------------------ domains
    def in_domain(self, shape: Shape, depth: int, domain: str) -> E:
        d = max(depth - 1, 0)
        g = self.expr
        if domain in ("spd", "posdet", "inv"):
            return self.square_domain(shape, d, domain)
        if domain == "pos":
            options: list[Callable[[], E]] = [
                lambda: call("exp", g(shape, d, "small") if depth > 2 else g(shape, d)),
                lambda: call("softplus", g(shape, d)),
                lambda: call("sigmoid", g(shape, d)),
                lambda: self.var(shape, frozenset({"positive"}))
                if kind(shape) in ("scalar", "col", "mat") and all(
                    is_atom(x) or x == ONE for x in shape) else call("exp", g(shape, d)),
                lambda: binary("add", g(shape, d, "pos"), g(shape, d, "pos")),
                lambda: binary("had" if shape != SCALAR else "mul", g(shape, d, "pos"),
                               g(shape, d, "pos")),
                lambda: binary("add", _num(1), E("epow", shape, (g(shape, d), _num(2)))),
            ]
            if shape == SCALAR:
                options += [lambda: _num(self.pick([2, 0.5])),
                            lambda: binary("add", call("norm2", g((self.size(), ONE), d),
                                                       shape=SCALAR), _num(0.5))]
            if depth <= 0:
                options = options[:4]
            return self.pick(options)()
        if domain == "unit":
            f = self.pick(["tanh", "sin", "cos", "sigmoid"])
            return binary("mul", _num(0.6), call(str(f), g(shape, d)))
        if domain == "small":
            f = self.pick(["tanh", "sin", "cos", "sigmoid"])
            return binary("mul", _num(self.pick([0.3, 0.5])), call(str(f), g(shape, d)))
        raise ValueError(f"unknown domain {domain}")

    def square_domain(self, shape: Shape, d: int, domain: str) -> E:
        """spd: symmetric positive definite; posdet: det > 0 (logdet); inv: invertible."""
        g = self.expr
        n = shape[0]
        spd: list[Callable[[], E]] = [
            lambda: self.var(shape, frozenset({"spd"})),
            lambda: self.var(shape, frozenset({"spd"})),
            lambda: binary("add", self._gram(shape, d), self.eye(shape, 0, "pos")),
            lambda: call("diag", g((n, ONE), d, "pos"), shape=shape),
            lambda: binary("add", g(shape, d, "spd"), g(shape, d, "spd")),
            lambda: call("inv", g(shape, d, "spd")),
        ]
        near_eye = [lambda: binary("add", E("eye", shape, (), self.chance(0.5)), binary(
            "mul", _num(0.1), call("tanh", g(shape, d))))]
        if domain == "spd":
            options = spd
        elif domain == "posdet":
            options = spd + near_eye * 3
        else:
            options = spd + near_eye * 3 + [
                lambda: self.var(shape, frozenset({"orthogonal"})),
                lambda: self.var(shape, frozenset({"diagonal"})),
                lambda: E("mpow", shape, (g(shape, d, "inv"),), self.pick([-1, 2])),
                lambda: transpose(g(shape, d, "inv")),
            ]
        if d <= 0:
            options = options[:2] + near_eye
        return self.pick(options)()

    def _gram(self, shape: Shape, d: int) -> E:
        """M*M' for an n×k M (positive semidefinite; plus eye it is spd). M is a
        variable so that both factors are the same."""
        k = self.size()
        m = self.var((shape[0], k)) if shape[0] != k else self.var(shape)
        return binary("mul", m, transpose(m))
