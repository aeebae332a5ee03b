"""Random well-typed expressions generated from the op table (`matdiff.ir.ops.RECORDS`).

Contract:

- `BUILDERS[op]` lists, for every op of the table except `dvar`, the ways the strategy
  builds a node with that op: `(result kind, argument kinds, build)` where a kind is
  "S" (scalar), "V" (vector n) or "M" (matrix n×n) and `build(*args)` uses only the
  public builder functions. `dvar` (the differential dX) is never user input: the
  strategy `differentials` makes it, as d(f) of a random f. The tests check that
  `set(BUILDERS) | {"dvar"} == set(RECORDS)`, so an op added to the table without a way
  to generate it fails, and that each builder really produces its op (no fold hides it).
- Each op's arguments are passed through `GUARDS[RECORDS[op].domain]` first, an expression
  whose values lie in the op's domain for every real input (`log` gets softplus(tanh(e)),
  `logdet` gets T*T' + I with T = tanh(E), `inv` gets 3*I + tanh(E)/2, ...): any input
  values are then in the domain of every op of the expression, at any depth.
- `expressions(kind, depth)` draws an expression of that kind with at most `depth`
  nested builders (a leaf at each level with probability 1/3, so shallow
  expressions come first and failures shrink to small ones).
- `rooted(op, depth)` draws an expression whose outermost builder is `op`'s, so every
  op is checked however unevenly Hypothesis draws from `expressions`.
- `values_for(nodes, seed)` gives every variable of the expressions a value (n = 3).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from matdiff.backends.evaluate import walk
from matdiff.diff.differential import differential
from matdiff.errors import NoMatrixForm
from matdiff.ir import build as b
from matdiff.ir.node import Node, dvar_key
from matdiff.ir.ops import ELEMENTWISE_FUNCTIONS, RECORDS

N = "n"
SIZE = 3  # the value of n in every evaluation
SHAPES = {"S": (1, 1), "V": (N, 1), "M": (N, N)}
VARS = {
    "S": [b.var("a", SHAPES["S"]), b.var("c", SHAPES["S"])],
    "V": [b.var("x", SHAPES["V"]), b.var("y", SHAPES["V"])],
    "M": [b.var("A", SHAPES["M"]), b.var("B", SHAPES["M"])],
}
DECLARATIONS = {"a": "scalar", "c": "scalar", "x": "vector n", "y": "vector n",
                "A": "matrix n n", "B": "matrix n n"}
CONSTANTS = [b.const(2), b.const(0.5), b.const(-1.5)]


def _bounded(e: Node) -> Node:
    return b.func("tanh", e)


def _positive(e: Node) -> Node:
    # softplus(tanh(e)) is in [0.31, 1.32]; not exp(...), which log(exp(u)) = u would fold
    return b.func("softplus", _bounded(e))


def _eye_like(e: Node) -> Node:
    return b.eye(e.shape[0])


GUARDS: dict[str, Callable[[Node], Node]] = {
    "real": lambda e: e,
    "square": lambda e: e,
    "positive": _positive,
    "unit": lambda e: b.mul(b.const(0.5), _bounded(e)),  # in (-1/2, 1/2)
    # away from the kinks of abs, sign, relu, step at 0; the sign of e's first use
    "nonzero": lambda e: b.mul(b.const(-1.0), _positive(e)) if _odd(e) else _positive(e),
    "small": lambda e: b.mul(b.const(0.3), _bounded(e)),
    # |tanh(E)/2| <= n/2 < 3 in norm, so 3*I + tanh(E)/2 is invertible (n = 3)
    "invertible": lambda e: b.add(b.mul(b.const(3.0), _eye_like(e)),
                                  b.mul(b.const(0.5), _bounded(e))),
    # T*T' + I with T = tanh(E): symmetric with eigenvalues >= 1
    "spd": lambda e: b.add(b.matmul(_bounded(e), b.transpose(_bounded(e))), _eye_like(e)),
}


def _odd(e: Node) -> bool:
    """A deterministic coin from the expression, so both signs of `nonzero` occur."""
    return len(list(walk([e]))) % 2 == 1


def _guarded(op: str, build: Callable[..., Node]) -> Callable[..., Node]:
    guard = GUARDS[RECORDS[op].domain]
    return lambda *args: build(*(guard(x) for x in args))


def _kron_matrix(p: Node, q: Node) -> Node:
    """kron(p, q) of two n-vectors laid out as an n×n matrix (q*p')."""
    return b.reshape(b.kron(p, q), SHAPES["M"])


def _transposed_by_commutation(m: Node) -> Node:
    """reshape(K(n,n)*vec(M), n, n) = M'."""
    return b.reshape(b.matmul(b.commutation(N, N), b.vec(m)), SHAPES["M"])


Builder = tuple[str, tuple[str, ...], Callable[..., Node]]

BUILDERS: dict[str, list[Builder]] = {
    "var": [(k, (), None) for k in VARS],  # leaves: drawn from VARS
    "const": [("S", (), None)],  # leaves: drawn from CONSTANTS
    "eye": [("M", (), None)],  # leaf: eye(n)
    "commutation": [("M", ("M",), _transposed_by_commutation)],
    "add": [(k, (k, k), b.add) for k in "SVM"],
    "mul": [("S", ("S", "S"), b.mul), ("V", ("S", "V"), b.mul), ("M", ("S", "M"), b.mul)],
    "matmul": [
        ("M", ("M", "M"), b.matmul), ("V", ("M", "V"), b.matmul),
        ("S", ("V", "V"), lambda p, q: b.matmul(b.transpose(p), q)),
        ("S", ("V", "M", "V"), lambda p, m, q: b.matmul_chain([b.transpose(p), m, q])),
    ],
    "hadamard": [("V", ("V", "V"), b.hadamard), ("M", ("M", "M"), b.hadamard)],
    "pow": [
        ("S", ("S",), lambda s: b.power(s, b.const(2))),
        ("S", ("S", "S"), lambda s, t: b.power(_positive(s), t)),
        ("V", ("V",), lambda v: b.power(_positive(v), b.const(-0.5))),
        ("M", ("M", "S"), lambda m, s: b.power(_positive(m), _bounded(s))),
    ],
    "fill": [("V", ("S",), lambda s: b.fill(s, SHAPES["V"])),
             ("M", ("S",), lambda s: b.fill(s, SHAPES["M"]))],
    "block": [("S", ("M", "V"), lambda m, v: b.sum_(b.block([[m, v]]))),
              ("S", ("V", "V"), lambda p, q: b.sum_(b.block([[p], [q]])))],
    "reshape": [("M", ("V", "V"), _kron_matrix)],
    "transpose": [("M", ("M",), b.transpose),
                  ("S", ("V", "M"), lambda v, m: b.matmul_chain([b.transpose(v), m, v]))],
    "mpow": [("M", ("M",), lambda m: b.mpower(m, 2)),
             ("M", ("M",), lambda m: b.mpower(_bounded(m), 3)),
             ("M", ("M",), lambda m: b.mpower(GUARDS["invertible"](m), -2))],
    "kron": [("M", ("V", "V"), _kron_matrix),
             # sum(kron(A, B)) folds to sum(A)*sum(B): a smooth scalar that keeps the kron
             ("S", ("M", "V"), lambda m, v: b.logsumexp(b.vec(b.kron(m, v))))],
    "tr": [("S", ("M",), b.tr)],
    "sum": [("S", ("V",), b.sum_), ("S", ("M",), b.sum_)],
    "diag": [("M", ("V",), b.diag), ("V", ("M",), b.diag)],
    "vec": [("S", ("M",), lambda m: b.logsumexp(b.vec(m)))],
    "det": [("S", ("M",), _guarded("det", b.det))],
    "logdet": [("S", ("M",), _guarded("logdet", b.logdet))],
    "inv": [("M", ("M",), _guarded("inv", b.inv))],
    "norm1": [("S", ("V",), _guarded("norm1", b.norm1))],
    # norm2 is defined everywhere but has no derivative at 0 (relu(-u) is 0): keep away
    "norm2": [("S", ("V",), lambda v: b.norm2(GUARDS["nonzero"](v))),
              ("S", ("M",), lambda m: b.norm2(GUARDS["nonzero"](m)))],
    "softmax": [("V", ("V",), b.softmax)],
    "logsumexp": [("S", ("V",), b.logsumexp)],
    # the batched forms (MATLAB's dim): along the rows, a column; along the columns, a
    # matrix of the same shape
    "sumdim": [("V", ("M",), lambda m: b.sum_dim(m, 2))],
    "softmaxdim": [("M", ("M",), lambda m: b.softmax_dim(m, 1)),
                   ("M", ("M",), lambda m: b.softmax_dim(m, 2))],
    "logsumexpdim": [("V", ("M",), lambda m: b.logsumexp_dim(m, 2))],
    # d expm(X) has a matrix form only for X = s*A with A constant (MATH.md): the second
    # builder makes that shape, so a derivative by a variable of s exists
    "expm": [("M", ("M",), _guarded("expm", b.expm)),
             ("M", ("S", "M"), lambda s, m: b.expm(b.mul(GUARDS["small"](s), _bounded(m))))],
}
for _name in ELEMENTWISE_FUNCTIONS:
    # exp grows fast: its argument is bounded too, so depth-6 values stay finite
    _fn = (lambda name: lambda e: b.func(name, e))(_name)
    _build = _guarded(_name, _fn) if _name != "exp" else (lambda e: b.func("exp", _bounded(e)))
    BUILDERS[_name] = [(k, (k,), _build) for k in "SVM"]


LEAVES = {"S": VARS["S"] + CONSTANTS, "V": VARS["V"], "M": [*VARS["M"], b.eye(N)]}


def _leaves(kind: str) -> st.SearchStrategy[Node]:
    return st.sampled_from(LEAVES[kind])


# kind -> op -> that op's builders of the kind: the op is drawn first, so det (one
# builder) comes up as often as exp (one per kind) or matmul (four).
BY_KIND: dict[str, dict[str, list[Builder]]] = {
    kind: {op: [e for e in BUILDERS[op] if e[0] == kind and e[2] is not None]
           for op in sorted(BUILDERS)}
    for kind in "SVM"
}
for _ops in BY_KIND.values():
    for _op in [op for op, entries in _ops.items() if not entries]:
        del _ops[_op]


@st.composite
def expressions(draw, kind: str, depth: int) -> Node:
    """An expression of `kind` ("S", "V", "M") at most `depth` builders deep.

    One composite that draws its own subexpressions (a graph of nested strategies, one
    per kind and depth, costs Hypothesis far more to walk than the drawing itself)."""
    if depth <= 0 or draw(st.integers(0, 2)) == 0:  # a leaf with probability 1/3
        return draw(_leaves(kind))
    op = draw(st.sampled_from(sorted(BY_KIND[kind])))
    _, arg_kinds, build = draw(st.sampled_from(BY_KIND[kind][op]))
    return build(*(draw(expressions(k, depth - 1)) for k in arg_kinds))


@st.composite
def rooted(draw, op: str, depth: int) -> Node:
    """An expression whose outermost builder is one of `op`'s, with random arguments
    at most `depth - 1` deep (Hypothesis draws ops unevenly: this reaches each)."""
    _, arg_kinds, build = draw(st.sampled_from([e for e in BUILDERS[op] if e[2] is not None]))
    return build(*(draw(expressions(k, depth - 1)) for k in arg_kinds))


def free_vars(*nodes: Node) -> dict[str, Node]:
    return {n.arg.name: n for n in walk(list(nodes)) if n.op == "var"}


def sizes_known(e: Node) -> bool:
    """Whether a variable's value tells n, or no shape needs it."""
    needs_n = any(N in n.shape for n in walk([e]))
    return not needs_n or any(v.shape != (1, 1) for v in free_vars(e).values())


@st.composite
def differentials(draw, depth: int) -> tuple[Node, Node, Node, Node]:
    """(f, X, dX, d(f)) for a random f and one of its variables X: d(f) is linear in dX
    (and may not hold it, where f is constant in X: relu(-softplus(...)) = 0)."""
    f = draw(st.sampled_from("SVM").flatmap(lambda k: expressions(k, depth)))
    variables = free_vars(f)
    assume(variables and sizes_known(f))
    x = variables[draw(st.sampled_from(sorted(variables)))]
    dx = b.dvar(x.arg.name, x.shape)
    try:
        df = differential(f, x, dx)
    except NoMatrixForm as err:  # d expm(X) for a general X: documented, not a bug
        assert "expm" in err.message, err.message
        assume(False)
        raise
    assume(df is not None)
    return f, x, dx, df


def values_for(nodes: list[Node], seed: int) -> dict[str, float | np.ndarray]:
    """Values in user form for every variable (uniform in [-1, 1]) and differential."""
    rng = np.random.default_rng(seed)
    out: dict[str, float | np.ndarray] = {}
    for n in walk(nodes):
        if n.op not in ("var", "dvar"):
            continue
        key = n.arg.name if n.op == "var" else dvar_key(n.arg)
        r, c = n.shape
        if (r, c) == (1, 1):
            out[key] = float(rng.uniform(-1, 1))
        elif c == 1:
            out[key] = rng.uniform(-1, 1, SIZE)
        else:
            out[key] = rng.uniform(-1, 1, (SIZE, SIZE))
    return out
