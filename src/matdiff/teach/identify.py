"""Identification in a derivation: each term of df brought into a canonical form, with
the identity used and why, then the theorem that reads the derivative off.

Contract:
- `identification(der, df, X, dX, form, fname, second)` appends to `der` one step per
  term of `df` (its contribution G_i with term = tr(G_i'*dX), J_i with
  vec(term) = J_i*vec(dX), or M_i with term = M_i*dt) and the theorem step, and returns
  (symbol, sum of the contributions), or None when there is no closed matrix form.
- Which identification is used is the engine's decision, `form` (a `Derivative.form`:
  gradient, jacobian, kronecker, by_scalar), not a second classification by shapes.
- The contributions are computed by the engine's own identification (diff/adjoint's
  `adjoint` and `vec_jacobian`) applied term by term; the words of each step
  (`tricks`) name the identities with the term's own factors:
  `vec(A*dX*B) = kron(B', A)*vec(dX)`.
"""

from __future__ import annotations

from ..backends.text import to_text
from ..diff.adjoint import adjoint, vec_jacobian
from ..errors import NoMatrixForm
from ..ir import build as b
from ..ir.dims import is_column, is_row, is_scalar
from ..ir.node import Node, dvar_key, variables_in
from ..ir.ops import Op
from ..ir.walk import substitute as walk_substitute
from .derivation import Derivation, DerivationStep
from .shown import rename_placeholders, show

# the engine's form -> the kind of identification step and the symbol it defines
KINDS = {"gradient": ("identify", "G"), "by_scalar": ("by_scalar", "M"),
         "jacobian": ("jacobian", "J"), "kronecker": ("jacobian", "M")}


def substitute(expr: Node, target: Node, value: Node) -> Node:
    """expr with every occurrence of `target` (by identity) replaced by `value`."""
    return walk_substitute(expr, {target: value}, b.rebuild)


def split_terms(L: Node) -> tuple[list[Node], bool]:
    """The additive terms of a differential, distributing tr, sum and scalar factors
    over sums (tr(A + B) = tr(A) + tr(B)); and whether any distribution happened."""
    out: list[Node] = []
    split = False
    stack = [L]
    while stack:
        n = stack.pop(0)
        if n.op == Op.ADD:
            stack[0:0] = list(n.children)
            continue
        if n.op in (Op.TR, Op.SUM) and n.children[0].op == Op.ADD:
            split = True
            build = b.tr if n.op == Op.TR else b.sum_
            stack[0:0] = [build(t) for t in n.children[0].children]
            continue
        out.append(n)
    return out, split


def _path_ops(term: Node, key: str) -> list[tuple[Node, int]]:
    """The nodes from the root to the differential, with the child index taken."""
    path: list[tuple[Node, int]] = []
    n = term
    while n.op != Op.DVAR:
        idx = [i for i, c in enumerate(n.children) if key in c.free]
        if len(idx) != 1:
            break
        path.append((n, idx[0]))
        n = n.children[idx[0]]
    return path


def _chain_text(factors: tuple[Node, ...]) -> str:
    return "*".join(show(f) if f.op in (Op.VAR, Op.DVAR, Op.TRANSPOSE, Op.INV) or not f.children
                    else f"({show(f)})" for f in factors)


class _Words:
    """Builds the words of the identification steps: identities with the term's own
    factors where they are known, and generic ones with placeholders (and index
    letters) that are none of the user's names."""

    def __init__(self, dX: Node, taken: set[str]) -> None:
        self.dX = dX
        self.dx = to_text(dX)
        self.taken = taken
        self.said: list[str] = []

    def say(self, s: str) -> None:
        if s not in self.said:
            self.said.append(s)

    def g(self, generic: str) -> str:
        """A generic identity, its placeholders clear of the user's names."""
        return rename_placeholders(generic, self.taken)

    def letter(self, x: str) -> str:
        return rename_placeholders(x, self.taken)


def _core(inner: Node) -> str:
    return show(inner) if inner.op in (Op.DVAR, Op.TRANSPOSE) else f"({show(inner)})"


def _vec_words(w: _Words, node: Node, i: int) -> str:
    """The Kronecker identity for a product with the differential at position i, with
    the product's own factors."""
    left, right = node.children[:i], node.children[i + 1:]
    core = _core(node.children[i])
    if is_column(node.children[i].shape) and not right:
        return (f"{_chain_text(left)}*{core} is a matrix times the vector {core}: "
                "the Jacobian is that matrix")
    L = _chain_text(left) if left else "I"
    R = _chain_text(right) if right else "I"
    kron_r = f"({R})'" if len(right) > 1 else f"{R}'" if right else "I"
    written = "*".join(x for x in (_chain_text(left), core, _chain_text(right)) if x)
    j, k = w.letter("j"), w.letter("k")
    return (f"vec({written}) = kron({kron_r}, {L})*vec({core}), because column {j} of "
            f"{written} is the sum over {k} of {R}[{k}, {j}]*{L}*{core}[:, {k}]")


def _jacobian_words(w: _Words, term: Node) -> None:
    path = _path_ops(term, dvar_key(w.dX.arg))
    if all(node.op == Op.MUL for node, _ in path):
        what = w.dx if is_column(w.dX.shape) else f"vec({w.dx})"
        w.say(f"{what} = I*{what}: a multiple of the differential itself gives a multiple "
              "of the identity")
    for node, i in path:
        op = node.op
        if op == Op.MATMUL:
            w.say(_vec_words(w, node, i))
        elif op == Op.TRANSPOSE:
            if is_column(node.children[0].shape) or is_row(node.children[0].shape):
                w.say(f"a transposed vector has the same entries: vec({w.dx}') = {w.dx}")
            else:
                w.say(f"vec({w.dx}') = K*vec({w.dx}) with K the commutation matrix, which "
                      "reorders the entries of a matrix into those of its transpose")
        elif op == Op.HADAMARD:
            others = [c for j, c in enumerate(node.children) if j != i]
            v = w.letter("v")
            shown = f" with {v} = {show(others[0])}" if len(others) == 1 else ""
            w.say(f"an elementwise product is a diagonal matrix: {v} .* {w.dx} = "
                  f"diag({v})*{w.dx}{shown}, since each entry is multiplied by its own "
                  "factor" + w.g(" (for matrices vec(V .* dX) = diag(vec(V))*vec(dX))"))
        elif op == Op.MUL:
            w.say("scalar factors move out (linearity)")
        elif op == Op.SUM:
            w.say(w.g("sum(v) = ones'*v") + ": the sum is a product with a row of ones")
        elif op == Op.SUMDIM:  # issue 11, item 6: sums along a dim are products with ones
            w.say(f"sum({w.dx}, 1) = vector(1)'*{w.dx} and sum({w.dx}, 2) = {w.dx}*vector(1)"
                  ": a sum along a dim is a product with ones")
        elif op == Op.DIAG:
            w.say(f"diag({w.dx}) is the matrix with {w.dx} on its diagonal")
        elif op == Op.TR:
            w.say(f"tr({w.dx}) = vec(I)'*vec({w.dx}): the trace adds up the diagonal "
                  "entries")


def tricks(term: Node, dX: Node, kind: str, taken: set[str] | None = None) -> str:
    """The identities that bring one term into canonical form, in words; `taken` are the
    user's names, which no placeholder of a generic identity may be."""
    w = _Words(dX, set(taken or ()))
    if kind == "identify":
        _gradient_words(w, term)
    elif kind == "jacobian":
        _jacobian_words(w, term)
    else:
        w.say(f"the derivative by a scalar is the factor multiplying {w.dx}: set "
              f"{w.dx} = 1")
    if not w.said:
        matrix_var = not (is_column(dX.shape) or is_row(dX.shape) or is_scalar(dX.shape))
        w.say(f"already in the form tr(G'*{w.dx})" if matrix_var else
              f"already in the form g'*{w.dx}")
    return "; ".join(w.said)


def _trace_words(w: _Words, node: Node, transposed: bool) -> None:
    """tr(L*dX*R) = tr(R*L*dX) = tr(M*dX), and G = M' (with the term's factors)."""
    chain = node.children[0]
    key = dvar_key(w.dX.arg)
    M = ""
    if chain.op == Op.MATMUL:
        ci = [j for j, c in enumerate(chain.children) if key in c.free][0]
        left, right = chain.children[:ci], chain.children[ci + 1:]
        core = _core(chain.children[ci])
        if right:
            before = "*".join(x for x in (_chain_text(left), core, _chain_text(right)) if x)
            after = "*".join(x for x in (_chain_text(right), _chain_text(left), core) if x)
            w.say(f"cyclic property of the trace: tr({before}) = tr({after})")
        factors = (*right, *left)
        if chain.children[ci].op == Op.DVAR and factors:
            M = _chain_text(factors)
    if transposed:
        w.say(w.g("a trace equals the trace of the transpose: tr(M') = tr(M)"))
    why = w.g(" (this transpose is why d tr(A*X)/dX = A')")
    if M:
        Mt = f"({M})'" if len(factors) > 1 else f"{M}'"
        w.say(f"tr({M}*{w.dx}) is the inner product of {Mt} with {w.dx}, so G = {Mt}{why}")
    else:
        m = w.letter("M")
        w.say(f"tr({m}*{w.dx}) = tr(({m}')'*{w.dx}) is the inner product of {m}' with "
              f"{w.dx}, so G = {m}'{why}")


def _gradient_words(w: _Words, term: Node) -> None:
    path = _path_ops(term, dvar_key(w.dX.arg))
    matrix_var = not (is_column(w.dX.shape) or is_row(w.dX.shape) or is_scalar(w.dX.shape))
    transposed = any(n.op == Op.TRANSPOSE for n, _ in path)
    a, c = w.letter("a"), w.letter("c")
    for node, i in path:
        op = node.op
        if op == Op.MUL:
            w.say("scalar factors move out (linearity)")
        elif op == Op.TR:
            _trace_words(w, node, transposed)
        elif op == Op.MATMUL and not matrix_var:
            if i == 0 or transposed:
                w.say(f"a scalar equals its transpose: {w.dx}'*{a} = {a}'*{w.dx}")
            if i > 0:
                w.say(f"the factors in front of {w.dx} form g' in g'*{w.dx}, so g is their "
                      "transpose")
        elif op == Op.MATMUL and is_scalar(node.shape) and not any(
                n.op == Op.TR for n, _ in path) and node.children[i].op == Op.DVAR:
            left, right = node.children[:i], node.children[i + 1:]
            L, R = _chain_text(left), _chain_text(right)
            written = "*".join(x for x in (L, w.dx, R) if x)
            moved = "*".join(x for x in (R, L) if x)
            Mt = f"({moved})'" if len(left) + len(right) > 1 else f"{moved}'"
            w.say(f"a scalar is its own trace, and the trace is cyclic: {written} = "
                  f"tr({moved}*{w.dx}), the inner product of {Mt} with {w.dx}, so G = {Mt}")
        elif op == Op.MATMUL and is_scalar(node.shape) and not any(
                n.op == Op.TR for n, _ in path):
            w.say(f"a scalar is its own trace, and the trace is cyclic: {a}'*{w.dx}*{c} = "
                  f"tr({c}*{a}'*{w.dx}) = tr(({a}*{c}')'*{w.dx}), so G = {a}*{c}'")
        elif op == Op.HADAMARD:
            w.say(w.g("the elementwise product moves across the inner product: "
                      "sum(A .* (M .* dX)) = sum((A .* M) .* dX)"))
        elif op == Op.SUM:
            w.say(w.g("sum(M) = tr(ones'*M)") + ": the sum is the inner product with ones")
        elif op == Op.SUMDIM:  # issue 11, item 6
            w.say(f"the column sums sum({w.dx}, 1) pair with a row c as "
                  f"tr((vector(1)*c)'*{w.dx}): c is repeated down the rows (row sums "
                  "likewise across the columns)")
        elif op == Op.DIAG:
            w.say(f"diag moves across the inner product (diag({w.dx}) <-> diag(G))")


def inner_label(G_name: str, dX: Node) -> str:
    dx = to_text(dX)
    if is_scalar(dX.shape):
        return f"{G_name}*{dx}"
    if is_column(dX.shape):
        return f"{G_name}'*{dx}"
    return f"tr({G_name}'*{dx})"


def _contribution(kind: str, t: Node, dX: Node, name: str) -> tuple[Node, str]:
    if kind == "identify":
        return adjoint(t, dX, b.ONE), f"{show(t)} = {inner_label(name, dX)}"
    if kind == "by_scalar":
        return substitute(t, dX, b.ONE), f"{show(t)} = {name}*{to_text(dX)}"
    vec_l = show(t) if is_column(t.shape) else f"vec({show(t)})"
    vec_r = to_text(dX) if is_column(dX.shape) else f"vec({to_text(dX)})"
    return vec_jacobian(t, dX), f"{vec_l} = {name}*{vec_r}"


def identification(
    der: Derivation, df: Node, X: Node, dX: Node, form: str, fname: str, second: bool,
) -> tuple[str, Node] | None:
    """The identification steps of df (see the module docstring)."""
    terms, split = split_terms(df)
    if split:
        der.steps.append(DerivationStep(
            "identification", "linearity of the trace: tr(A + B) = tr(A) + tr(B)", df,
            b.add(*terms), "=", label=f"d{fname} = {show(df)}"))
    if form not in KINDS:
        der.steps.append(DerivationStep(
            "identification", "no closed matrix form", None, df, "note",
            label="no closed matrix form; the derivative is given by its differential "
            "(index form)"))
        return None
    kind, sym = KINDS[form]
    taken = set(variables_in([der.derivative.function, df]))
    if kind == "jacobian" and second and sym == "J":
        sym = "H"
    contributions: list[Node] = []
    try:
        for i, t in enumerate(terms, 1):
            name = sym + (str(i) if len(terms) > 1 else "")
            c, label = _contribution(kind, t, dX, name)
            contributions.append(c)
            der.steps.append(DerivationStep(
                "identification", tricks(t, dX, kind, taken), t, c, kind, label=label,
                dvar=dX, name=name))
    except NoMatrixForm as e:
        der.steps.append(DerivationStep(
            "identification", "no closed matrix form", None, df, "note",
            label=f"{e.message}; the derivative is given by its differential (index form)"))
        return None
    total = b.add(*contributions)
    theorem = _theorem(der, kind, sym, form, X, dX, fname, second, len(terms))
    der.steps.append(DerivationStep("identification", theorem, None, total, "=", label=sym))
    return sym, total


def _theorem(der: Derivation, kind: str, sym: str, form: str, X: Node, dX: Node,
             fname: str, second: bool, n_terms: int) -> str:
    x = X.arg.name
    if kind == "identify":
        out = (f"first identification theorem: d{fname} = {inner_label(sym, dX)} "
               f"⇒ ∂{fname}/∂{x} = {sym}")
        if n_terms > 1:
            out += f" = {' + '.join(sym + str(i) for i in range(1, n_terms + 1))}"
        return out
    if kind == "by_scalar":
        return (f"d{fname} = M*d{x} ⇒ d{fname}/d{x} = M (each entry of d{fname} is its "
                f"derivative by {x} times d{x})")
    why = (f"entry i of {sym}*d{x} is the sum over j of {sym}[i, j]*d{x}_j, which is the "
           f"first-order change of {fname}_i, so {sym}[i, j] = ∂{fname}_i/∂{x}_j")
    if form == "jacobian":
        if second:
            return (f"d{fname} = H*d{x} ⇒ the Hessian H = ∂g/∂{x}, and d²f = d{x}'*H*d{x} "
                    f"({why})")
        return f"d{fname} = J*d{x} ⇒ the Jacobian ∂{fname}/∂{x} = J ({why})"
    why = (f"M is the Jacobian of vec({fname}) by vec({x}): M[(i,j), (k,l)] = "
           f"∂{fname}_ij/∂{x}_kl, with vec stacking the columns")
    if second and is_scalar(der.derivative.function.shape):
        return (f"vec(d{fname}) = M*vec(d{x}) ⇒ the Hessian (Kronecker form) is M, and "
                f"d²f = vec(d{x})'*M*vec(d{x}) ({why})")
    return f"vec(d{fname}) = M*vec(d{x}) ⇒ the derivative (Kronecker form) is M ({why})"
