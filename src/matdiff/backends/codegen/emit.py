"""Expression DAG -> straight-line code: one operation per line, each node computed once.

Contract: `Emitter(backend, dim_code).code(node)` returns the code of a node's value
(a name or a short inline expression) and appends the lines that compute it. Nodes are
interned, so a node reached twice (within one root or across the value and the
derivatives) is computed once and named (CSE over the DAG). What is run is the cheapest
equal form, not the printed one (what a person writes is not always cheapest to run):

- matrix chains are ordered by the matrix-chain DP; when the best order depends on the
  sizes (tried at several sizes), the decision is left to run time (`multi_dot`);
- `diag(v)*M` runs as `v[:, None] * M`, `M*diag(v)` as `M * v[None, :]`;
- a sum of matrices multiplied down to a vector is distributed (`(A + A')*x` runs as
  `A @ x + A.T @ x`) when the cost model (flops and memory traffic) says so, and the sum
  is not needed anyway;
- vectors are 1-D arrays, so `x'*A*x` is `x @ (A @ x)` and `a*b'` an outer product;
  `norm2(u)^2` is `u @ u` (a matrix's: the sum of its squared entries);
- a symmetric product G'*G or G'*diag(d)*G with d provably non-negative (gram.py) runs as
  the Gram matrix `B.T @ B` of B = sqrt(d) .* G, computed once: NumPy runs `B.T @ B` (one
  buffer, transposed) as BLAS syrk, one triangle mirrored, half the flops of the general
  product `X.T @ (d[:, None] * X)`, and the result is exactly symmetric.

The cost model and the chain order are chain.py's, the parentheses and comments
syntax.py's, each op's spelling per backend spelling.py's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from ...errors import MatdiffError
from ...ir.dims import Dim, user_shape
from ...ir.node import Node, make
from ...ir.ops import Op
from ..evaluate import resolve, walk
from .chain import (
    DEFAULT_SIZE,
    FLOPS_PER_ELEMENT,
    ChainFactor,
    DiagInterval,
    chain_cost,
    chain_plan,
    size_names,
    size_trials,
    sum_cost,
)
from .gram import gram_split, kind
from .spelling import Backend
from .spelling_dim import register_dim_spellings
from .syntax import node_comment, paren, paren_sum

register_dim_spellings()  # the batched ops' spellings, for every backend (issue 11, item 6)

__all__ = ["Emitter", "kind"]


class Emitter:
    def __init__(self, backend: Backend, dim_code: Callable[[Dim], str],
                 reserved: Iterable[str], roots: Iterable[Node]) -> None:
        self.be = backend
        self.dim_code = dim_code
        self.lines: list[str] = []
        self.memo: dict[Node, str] = {}
        self.helpers: set[str] = set()
        self.used_ops: set[str] = set()
        self.reserved = set(reserved)
        self.counter = 0
        self.roots = set(roots)
        self.uses: Counter[Node] = Counter()
        for n in walk(list(self.roots)):
            for c in n.children:
                self.uses[c] += 1

    # ------------------------------------------------------------------ bookkeeping

    def fresh(self) -> str:
        while True:
            self.counter += 1
            name = f"t{self.counter}"
            if name not in self.reserved:
                return name

    def assign(self, expr: str, comment: str = "") -> str:
        name = self.fresh()
        line = f"{name} = {expr}"
        if comment:
            line += f"  # {comment}"
        self.lines.append(line)
        return name

    def bind(self, node: Node, name: str) -> None:
        self.memo[node] = name

    # ------------------------------------------------------------------------ nodes

    def code(self, node: Node) -> str:
        """Code of a node's value; children are emitted on demand, so a planner (sums
        distributed over products, diagonal factors kept as vectors) can skip them."""
        got = self.memo.get(node)
        if got is None:
            got = self._emit(node)
            self.memo[node] = got
        return got

    def _emit(self, n: Node) -> str:
        op = n.op
        self.used_ops.add(op)
        if op == Op.VAR:
            return self.memo[n]  # bound at entry
        if op == Op.CONST:
            v = float(n.arg)
            return f"({v!r})" if v < 0 else repr(v)
        if op == Op.TRANSPOSE:
            c = self.code(n.children[0])
            if kind(n.shape) != "mat":
                return c
            return self.be.transpose.format(c) if c.isidentifier() else self.assign(
                self.be.transpose.format(c), node_comment(n))
        expr = self._expression(n)
        return self.assign(expr, node_comment(n))

    def _arrays(self, children: tuple[Node, ...] | list[Node], kids: list[str]) -> list[str]:
        """Constant arguments as 0-d arrays where the backend's functions refuse Python
        floats (torch, the array API: exp(2)); NumPy and JAX take floats."""
        if self.be.name in ("numpy", "jax"):
            return kids
        ones = self.be.ones.format("()")
        return [f"({k} * {ones})" if c.op == Op.CONST else k
                for c, k in zip(children, kids, strict=True)]

    def _expression(self, n: Node) -> str:
        op = n.op
        if op == Op.MATMUL:
            return self._matmul(n)
        if op == Op.ADD:
            return self._add(n)
        if op in (Op.MUL, Op.HADAMARD):
            return self._product(n)
        special = self._cheaper_form(n)
        if special is not None:
            return special
        kids = [self.code(c) for c in n.children]
        if op in (Op.POW, Op.EYE, Op.FILL, Op.COMMUTATION, Op.MPOW, Op.KRON, Op.BLOCK,
                  Op.VEC, Op.RESHAPE, Op.DIAG):
            return self._structural(n, kids)
        return self._function(n, kids)

    def _cheaper_form(self, n: Node) -> str | None:
        """A form cheaper or safer to run than the op as written, or None."""
        op = n.op
        be = self.be
        inner = _one_plus_exp(n.children[0]) if op == Op.LOG else None
        if inner is not None:
            # log(1 + exp(u)) is softplus(u): no overflow for large u
            u = self._arrays([inner], [self.code(inner)])[0]
            return be.unary["softplus"].format(u)
        if op == Op.TR and self._fresh_product(n.children[0]):
            # tr(F1*...*Fk) = sum((F1*...*Fk-1) .* Fk'): O(n^2) for the last product
            factors = list(n.children[0].children)
            head = self.code_chain(factors[:-1])
            last = self.code(factors[-1])
            return f"{be.module}.sum({paren(head)} * {be.transpose.format(paren(last))})"
        squared = _squared_norm(n)
        if squared is not None and n.children[0] not in self.memo:
            # norm2(u)^2 as u @ u: one pass, no square root squared again
            u = self.code(squared)
            if kind(squared.shape) == "mat":
                return f"{be.module}.sum({paren(u)} * {paren(u)})"
            return f"{paren(u)} @ {paren(u)}"
        return None

    def _structural(self, n: Node, kids: list[str]) -> str:
        """Powers, constants of a shape, and the ops that build or reshape arrays."""
        op = n.op
        be = self.be
        if op == Op.POW:
            return f"{paren(kids[0])} ** {paren(kids[1])}"
        if op == Op.EYE:
            return be.eye.format(self.dim_code(n.shape[0]))
        if op == Op.FILL:
            shape = user_shape(n.shape)
            if not shape:
                return kids[0]
            return f"{paren(kids[0])} * {be.ones.format(self._shape_code(shape))}"
        if op == Op.COMMUTATION:
            self.helpers.add("_commutation")
            m, k = n.arg
            return self.be.commutation.format(self.dim_code(m), self.dim_code(k))
        if op == Op.MPOW:
            return be.unary["mpow"].format(kids[0], int(n.arg))
        if op == Op.KRON:
            a = self._as2d(n.children[0], kids[0])
            b = self._as2d(n.children[1], kids[1])
            return self._from2d(n, be.unary["kron"].format(a, b))
        if op == Op.BLOCK:
            self.helpers.add("_block")
            rows, cols = n.arg
            grid = [
                "[" + ", ".join(self._as2d(n.children[r * cols + c], kids[r * cols + c])
                                for c in range(cols)) + "]"
                for r in range(rows)
            ]
            return self._from2d(n, "_block([" + ", ".join(grid) + "])")
        return self._reshaped(n, kids)

    def _reshaped(self, n: Node, kids: list[str]) -> str:
        """vec, reshape and diag: the child's entries in another shape."""
        be = self.be
        child = n.children[0]
        if n.op == Op.VEC:
            if kind(child.shape) != "mat":
                return kids[0]
            return f"{be.transpose.format(kids[0])}.reshape(-1)"
        if n.op == Op.RESHAPE:
            flat = kids[0]
            if kind(child.shape) == "mat":
                flat = f"{be.transpose.format(kids[0])}.reshape(-1)"
            if kind(n.shape) != "mat":
                return flat
            r, c = (self.dim_code(d) for d in n.shape)
            return be.transpose.format(f"{flat}.reshape({c}, {r})")
        # diag
        if kind(child.shape) == "scalar":
            return kids[0]
        return be.unary["diag"].format(kids[0])

    def _function(self, n: Node, kids: list[str]) -> str:
        """Functions of the language, with their forms on a scalar argument."""
        op = n.op
        be = self.be
        if op == Op.NORM2 and kind(n.children[0].shape) == "scalar":
            return be.unary["abs"].format(*self._arrays(n.children, kids))
        scalar_child = kind(n.children[0].shape) == "scalar"
        if op in (Op.TR, Op.SUM, Op.DET, Op.LOGDET, Op.INV) and scalar_child:
            return {"tr": kids[0], "sum": kids[0], "det": kids[0],
                    "logdet": be.unary["log"].format(*self._arrays(n.children, kids)),
                    "inv": f"1.0 / {paren(kids[0])}"}[op]
        if op in (Op.SOFTMAX, Op.LOGSUMEXP, Op.EXPM):
            self.helpers.add("_" + op)
        if op in (Op.SUMDIM, Op.SOFTMAXDIM, Op.LOGSUMEXPDIM):
            # the dim is the node's arg; the child is a matrix (the builders fold vectors);
            # spellings in spelling_dim.py, registered for every backend
            if op != Op.SUMDIM:
                self.helpers.add("_" + op[:-3] + "_dim")
            return be.unary[op].format(kids[0], int(n.arg) - 1)
        if op in be.unary:
            return be.unary[op].format(*self._arrays(n.children, kids))
        if op == Op.DVAR:
            raise MatdiffError("a differential cannot be turned into code")
        raise MatdiffError(f"code generation has no rule for the op {op!r}")

    # --------------------------------------------------------------- 2-D views

    def _as2d(self, node: Node, code: str) -> str:
        k = kind(node.shape)
        if k == "mat":
            return code
        if k == "col":
            return f"{paren(code)}[:, None]"
        if k == "row":
            return f"{paren(code)}[None, :]"
        return f"{self.be.module}.reshape({self.be.asarray.replace('value', code)}, (1, 1))"

    def _from2d(self, node: Node, code: str) -> str:
        k = kind(node.shape)
        if k == "mat":
            return code
        if k == "scalar":
            return f"{paren(code)}[0, 0]"
        return f"{paren(code)}.reshape(-1)"

    def _shape_code(self, shape: tuple[Dim, ...]) -> str:
        parts = [self.dim_code(d) for d in shape]
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"

    # ------------------------------------------------------------------ sums

    def _fresh_product(self, x: Node) -> bool:
        """A matrix product needed only here, not yet computed."""
        return (x.op == Op.MATMUL and x not in self.memo and x not in self.roots
                and self.uses[x] <= 1 and kind(x.children[-1].shape) == "mat"
                and kind(x.children[0].shape) == "mat")

    def _signed_terms(self, n: Node) -> list[tuple[float, Node, list[Node]]]:
        """Each term as (coefficient, the term itself, its non-constant factors)."""
        out: list[tuple[float, Node, list[Node]]] = []
        for t in n.children:
            if t.op == Op.MUL and t.children[0].op == Op.CONST:
                out.append((float(t.children[0].arg), t, list(t.children[1:])))
            else:
                out.append((1.0, t, [t]))
        return out

    def _add(self, n: Node) -> str:
        parts: list[str] = []
        # a constant added to an array broadcasts, so it needs no array of its own, but
        # only when another term is that array (vector(1) + vector(c) is no scalar)
        broadcast = kind(n.shape) != "scalar" and any(c.op != Op.FILL for c in n.children)
        for coef, term, factors in self._signed_terms(n):
            if coef < 0 and term not in self.memo and self.uses[term] <= 1:
                body = self._scaled(-coef, factors)
                parts.append(("- " if parts else "-") + paren_sum(body))
            elif term.op == Op.FILL and broadcast:
                parts.append(("+ " if parts else "") + self.code(term.children[0]))
            else:
                parts.append(("+ " if parts else "") + self.code(term))
        return " ".join(parts)

    def _scaled(self, coef: float, factors: list[Node]) -> str:
        codes = [self.code(f) for f in factors]
        if coef != 1.0:
            codes.insert(0, repr(coef))
        return " * ".join(paren(c) for c in codes)

    def _product(self, n: Node) -> str:
        codes = [self.code(c) for c in n.children]
        if n.op == Op.MUL and n.children[0].op == Op.CONST and n.children[0].arg == -1.0:
            rest = " * ".join(paren(c) for c in codes[1:])
            return f"-{rest}" if len(codes) == 2 else f"-({rest})"
        return " * ".join(paren(c) for c in codes)

    # ---------------------------------------------------------- matrix products

    def code_chain(self, factors: list[Node]) -> str:
        """Code of a product of factors (interned as a node so it is shared)."""
        if len(factors) == 1:
            return self.code(factors[0])
        shape = (factors[0].shape[0], factors[-1].shape[1])
        node = make(Op.MATMUL, tuple(factors), None, shape)
        got = self.memo.get(node)
        if got is None:
            got = self._matmul(node, named=True)
            self.memo[node] = got
        return got

    def _matmul(self, n: Node, named: bool = False) -> str:
        factors = list(n.children)
        gram = self._gram(factors)
        if gram is not None:
            return self.assign(gram, node_comment(n)) if named else gram
        dist = self._distribution(n, factors)
        if dist is not None:
            i, terms = dist
            expr = ""
            for coef, _, term_factors in terms:
                sub = factors[:i] + term_factors + factors[i + 1:]
                code = self.code_chain(sub)
                if abs(coef) != 1.0:
                    code = f"{abs(coef)!r} * {code}"
                sign = "-" if coef < 0 else "+"
                expr = (f"{expr} {sign} {code}" if expr else
                        (f"-{code}" if coef < 0 else code))
            return self.assign(expr, node_comment(n)) if named else expr
        expr = self._ordered(n, factors)
        return self.assign(expr, node_comment(n)) if named else expr

    def _gram(self, factors: list[Node]) -> str | None:
        """`B.T @ B` for a chain G'*diag(d)*G (d >= 0) or G'*G, when the cost model says
        it is cheaper than the chain itself (it is, unless G is a large product)."""
        split = gram_split(factors)
        if split is None:
            return None
        d, right = split
        shape = (right[0].shape[0], right[-1].shape[1])
        if kind(shape) != "mat":
            return None
        sizes = dict.fromkeys(size_names(factors), DEFAULT_SIZE)
        r, c = (resolve(x, sizes) for x in shape)
        scale = 2.0 * r * c if d is not None else 0.0
        syrk = r * c * c / FLOPS_PER_ELEMENT + r * c + c * c  # half of 2*r*c*c flops
        if chain_cost(right, sizes) + scale + syrk >= chain_cost(factors, sizes):
            return None
        g = self.code_chain(right)
        if d is not None:
            root = self.be.unary["sqrt"].format(self.code(d))
            g = self.assign(f"{paren(root)}[:, None] * {paren(g)}",
                            "B = sqrt(d) .* G: the product is B'*B")
        elif not g.isidentifier():
            g = self.assign(g, "G: the product is G'*G")
        return self.be.gram.format(g)

    def _distribution(self, n: Node, factors: list[Node]):
        """(index, terms) when distributing a sum factor over the chain is cheaper."""
        if kind(n.shape) == "mat":
            return None
        for i, f in enumerate(factors):
            if f.op != Op.ADD or f in self.memo or f in self.roots or self.uses[f] > 1:
                continue
            terms = self._signed_terms(f)
            if any(len(tf) != 1 for _, _, tf in terms):
                continue
            sizes = dict.fromkeys(size_names(factors), DEFAULT_SIZE)
            whole = chain_cost(factors, sizes) + sum_cost(f, sizes)
            split = sum(
                chain_cost(factors[:i] + [t] + factors[i + 1:], sizes) for t in f.children
            )
            if split < whole:
                return i, terms
        return None

    def _ordered(self, n: Node, factors: list[Node]) -> str:
        fs = [ChainFactor(f) for f in factors]
        plans = {chain_plan(fs, s) for s in size_trials(factors)} if len(fs) > 2 else {0}
        if len(plans) == 1 or any(f.diag for f in fs):
            plan = chain_plan(fs, dict.fromkeys(size_names(factors), DEFAULT_SIZE))
            return self._follow(fs, plan, top=True)
        return self._runtime_chain(factors)

    def _follow(self, fs: list[ChainFactor], plan, top: bool = False) -> str:
        """Emit the products of a plan (nested (left, right) index tuples)."""

        def go(p) -> tuple[ChainFactor, str]:
            if isinstance(p, int):
                f = fs[p]
                child = f.node.children[0] if f.diag else f.node
                return f, self.code(child)
            (lo, hi), left, right = p
            sub = make(Op.MATMUL, tuple(f.node for f in fs[lo:hi + 1]), None,
                       (fs[lo].node.shape[0], fs[hi].node.shape[1]))
            if not all(f.diag for f in fs[lo:hi + 1]) and sub in self.memo:
                return ChainFactor(sub), self.memo[sub]
            lf, lc = go(left)
            rf, rc = go(right)
            expr = self._pair(lf, lc, rf, rc)
            if all(f.diag for f in fs[lo:hi + 1]):
                d = DiagInterval(sub)
                return d, self.assign(expr, node_comment(sub))  # type: ignore[return-value]
            if top and (lo, hi) == (0, len(fs) - 1):
                return ChainFactor(sub), expr
            name = self.assign(expr, node_comment(sub))
            self.memo[sub] = name
            return ChainFactor(sub), name

        return go(plan)[1]

    def _pair(self, lf, lc: str, rf, rc: str) -> str:
        """The product of two factors given their code (a diag factor by its vector)."""
        lk = "diag" if lf.diag else kind(lf.node.shape)
        rk = "diag" if rf.diag else kind(rf.node.shape)
        if lk == "diag" and rk == "mat":
            return f"{paren(lc)}[:, None] * {paren(rc)}"
        if lk == "mat" and rk == "diag":
            return f"{paren(lc)} * {paren(rc)}[None, :]"
        if "diag" in (lk, rk) or "scalar" in (lk, rk):
            return f"{paren(lc)} * {paren(rc)}"
        if lk == "col" and rk == "row":
            return self.be.outer.format(lc, rc)
        if (self.be.vector_matrix and lk == "mat" and rk == "col"
                and lf.node.op == Op.TRANSPOSE):
            # M'*u as u @ M: XLA on CPU copies a transposed operand of a matrix-vector
            # product to run M.T @ u (5-50x slower for logistic regression's X'*r)
            return f"{paren(rc)} @ {paren(self.code(lf.node.children[0]))}"
        return f"{paren(lc)} @ {paren(rc)}"

    def _runtime_chain(self, factors: list[Node]) -> str:
        """Order left to run time: multi_dot runs the chain DP at the actual sizes."""
        codes = []
        last = len(factors) - 1
        for i, f in enumerate(factors):
            c = self.code(f)
            k = kind(f.shape)
            if (i == 0 and k == "row") or (i == last and k == "col") or k == "mat":
                codes.append(c)
            else:
                codes.append(self._as2d(f, c))
        if self.be.multi_dot.startswith("_"):
            self.helpers.add(self.be.multi_dot.split("(")[0])
        return self.be.multi_dot.format(", ".join(codes))


def _squared_norm(n: Node) -> Node | None:
    """u when n is norm2(u)^2 (u a vector or matrix), else None."""
    if n.op != Op.POW or n.children[0].op != Op.NORM2:
        return None
    e = n.children[1]
    if e.op != Op.CONST or float(e.arg) != 2.0:
        return None
    u = n.children[0].children[0]
    return None if kind(u.shape) == "scalar" else u


def _one_plus_exp(x: Node) -> Node | None:
    """u when x is 1 + exp(u) (the constant possibly a fill of 1), else None."""
    if x.op != Op.ADD or len(x.children) != 2:
        return None
    one, e = x.children
    if one.op == Op.FILL:
        one = one.children[0]
    if one.op == Op.CONST and one.arg == 1.0 and e.op == Op.EXP:
        return e.children[0]
    return None
