"""Every differential rule of the op table (`RECORDS[op].differential`, ir/ops_*.py),
checked numerically over the whole table.

For each op, small instances (arguments drawn from the op's domain) are differentiated
by the rule table, and the differential in a random direction V is compared with the
central difference (f(X + hV) - f(X - hV)) / 2h. An op without a rule, or without an
instance here, fails the table test, so no rule lands unchecked.
"""

from __future__ import annotations

import numpy as np
import pytest

from matdiff.backends.evaluate import evaluate
from matdiff.diff.differential import differential
from matdiff.ir import build as b
from matdiff.ir.node import dvar_key
from matdiff.ir.ops import ELEMENTWISE_FUNCTIONS, RECORDS

LEAVES = {"var", "dvar", "const", "eye", "commutation"}


def v(name, shape, *props):
    return b.var(name, shape, props)


X = v("X", (3, 3))
Y = v("Y", (3, 3))
P = v("P", (3, 2))
Q = v("Q", (2, 4))
S = v("S", (3, 3), "spd")
x = v("x", (3, 1))
y = v("y", (3, 1))
a = v("a", (1, 1))
c = v("c", (1, 1))
t = v("t", (1, 1))

# op -> list of (expression, {variable: domain}) instances
INSTANCES = {
    "add": [(b.add(X, b.transpose(Y)), {})],
    "mul": [(b.mul(a, X), {}), (b.mul(a, c, x), {})],
    "matmul": [(b.matmul(P, Q), {}), (b.matmul_chain([b.transpose(x), X, y]), {})],
    "hadamard": [(b.hadamard(X, Y), {}), (b.hadamard(x, y, x), {})],
    "pow": [
        (b.power(X, b.const(2.5)), {"X": "positive"}),
        (b.power(a, c), {"a": "positive"}),
        (b.power(x, b.const(-1)), {"x": "positive"}),
    ],
    "fill": [(b.fill(a, (3, 2)), {})],
    "block": [(b.block([[a, c], [b.mul(a, c), a]]), {}), (b.block([[x], [a]]), {})],
    "reshape": [(b.reshape(b.vec(P), (2, 3)), {})],
    "transpose": [(b.transpose(P), {})],
    "mpow": [(b.mpower(X, 3), {})],
    "kron": [(b.kron(P, Q), {}), (b.kron(x, y), {}),
             (b.kron(b.transpose(x), b.transpose(y)), {})],
    "tr": [(b.tr(X), {})],
    "sum": [(b.sum_(P), {})],
    "diag": [(b.diag(x), {}), (b.diag(X), {})],
    "vec": [(b.vec(P), {})],
    "det": [(b.det(X), {"X": "invertible"})],
    "logdet": [(b.logdet(S), {})],
    "inv": [(b.inv(X), {"X": "invertible"})],
    "norm1": [(b.norm1(P), {"P": "nonzero"})],
    "norm2": [(b.norm2(P), {}), (b.norm2(x), {})],
    "softmax": [(b.softmax(x), {})],
    "logsumexp": [(b.logsumexp(x), {}), (b.logsumexp(P), {})],
    # only the scalar in expm(t*A) may vary (see test_expm_of_general_matrix_says_so)
    "expm": [(b.expm(b.mul(t, X)), {"t": "small", "X": "small", "only": "t"})],
}
# The batched forms (issue 11, item 6), along both dims, on a rectangular P (3×2).
INSTANCES["sumdim"] = [(b.sum_dim(P, 1), {}), (b.sum_dim(P, 2), {})]
INSTANCES["softmaxdim"] = [(b.softmax_dim(P, 1), {}), (b.softmax_dim(P, 2), {}),
                           (b.softmax_dim(b.matmul(X, P), 1), {})]
INSTANCES["logsumexpdim"] = [(b.logsumexp_dim(P, 1), {}), (b.logsumexp_dim(P, 2), {})]
for _f, _dom in ELEMENTWISE_FUNCTIONS.items():
    INSTANCES[_f] = [(b.func(_f, x), {"x": _dom}), (b.func(_f, a), {"a": _dom})]


def draw(shape, domain, rng):
    if domain == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if domain == "unit":
        return rng.uniform(-0.8, 0.8, shape)
    if domain == "nonzero":
        return rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    if domain == "small":
        return rng.uniform(-0.5, 0.5, shape)
    if domain == "invertible":
        return 3 * np.eye(shape[0]) + rng.normal(size=shape)
    return rng.normal(size=shape)


def variables(e):
    out, stack = {}, [e]
    while stack:
        n = stack.pop()
        if n.op == "var":
            out[n.arg.name] = n
        stack.extend(n.children)
    return out


def sample(e, domains, rng):
    vals = {}
    for name, node in variables(e).items():
        shape = node.shape
        if "spd" in node.arg.props:
            m = rng.normal(size=shape)
            vals[name] = m @ m.T + shape[0] * np.eye(shape[0])
        else:
            vals[name] = draw(shape, domains.get(name, "real"), rng)
    return vals


def test_every_op_has_a_rule_and_an_instance():
    for op, rec in RECORDS.items():
        if op in LEAVES:
            continue
        assert rec.differential is not None, f"op {op} has no derivative rule"
        assert op in INSTANCES, f"op {op} has no numerical check instance here"


CASES = [
    pytest.param(op, i, id=f"{op}-{i}")
    for op, items in INSTANCES.items()
    for i in range(len(items))
]


@pytest.mark.parametrize("op,index", CASES)
def test_rule_matches_central_differences(op, index):
    expr, domains = INSTANCES[op][index]
    assert expr.op == op, f"instance for {op} was folded to {expr.op}"
    rng = np.random.default_rng(abs(hash((op, index))) % 2**32)
    for name, var in variables(expr).items():
        if domains.get("only", name) != name:
            continue
        for _trial in range(2):
            vals = sample(expr, domains, rng)
            dX = b.dvar(name, var.shape)
            d = differential(expr, var, dX)
            V = rng.normal(size=var.shape)
            if "spd" in var.arg.props:
                V = V + V.T
            h = 1e-6
            plus = dict(vals, **{name: vals[name] + h * V})
            minus = dict(vals, **{name: vals[name] - h * V})
            fd = (evaluate(expr, plus) - evaluate(expr, minus)) / (2 * h)
            direction = {dvar_key(dX.arg): V}
            got = np.zeros_like(fd) if d is None else evaluate(d, dict(vals, **direction))
            np.testing.assert_allclose(got, fd, rtol=1e-5, atol=1e-6, err_msg=f"{op} by {name}")


def test_expm_of_general_matrix_says_so():
    from matdiff.errors import NoMatrixForm

    with pytest.raises(NoMatrixForm, match="no closed matrix form"):
        differential(b.expm(X), X, b.dvar("X", X.shape))
