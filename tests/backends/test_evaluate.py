"""The reference evaluator against direct NumPy, op by op, and its errors.

`CASES` has one entry per op of the op table; `test_every_op_has_a_case` fails when an
op lands without one, so nothing reaches the evaluator unchecked. Each case builds an
expression that really contains its op (checked, since the builders fold a lot) and a
NumPy reference over the same values, sampled from the op's input domain.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from matdiff.backends.evaluate import (
    bind_sizes,
    commutation_matrix,
    evaluate,
    expm,
    has_rule,
    to_internal,
    to_user,
    walk,
)
from matdiff.errors import InputValueError, MatdiffError
from matdiff.ir import build as b
from matdiff.ir.node import Node, dvar_key, make
from matdiff.ir.ops import ELEMENTWISE_FUNCTIONS, OPS, RECORDS, Op
from matdiff.verify.sample import sample_values

# Shared variables: n×n square, n×m and m×n rectangles, vectors, scalars.
A = b.var("A", ("n", "n"))
B = b.var("B", ("n", "n"))
C = b.var("C", ("n", "m"))
R = b.var("R", ("m", "n"))
x = b.var("x", ("n", 1))
y = b.var("y", ("n", 1))
s = b.var("s", (1, 1))
t = b.var("t", (1, 1))

Ref = Callable[[dict[str, Any]], Any]


def _np(v: Any) -> np.ndarray:
    return np.asarray(v, dtype=float)


def col(v: Any) -> np.ndarray:
    return _np(v).reshape(-1, 1)


def _elementwise_ref(name: str) -> Callable[[np.ndarray], np.ndarray]:
    table: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "exp": np.exp, "log": np.log, "sin": np.sin, "cos": np.cos, "tan": np.tan,
        "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan, "tanh": np.tanh,
        "sqrt": np.sqrt, "abs": np.abs, "sign": np.sign,
        "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
        "relu": lambda z: np.where(z > 0, z, 0.0),
        "softplus": lambda z: np.log(1 + np.exp(z)),
        "step": lambda z: np.where(z > 0, 1.0, 0.0),
    }
    return table[name]


def _expm_series(a: np.ndarray, terms: int = 60) -> np.ndarray:
    out = np.eye(a.shape[0])
    term = np.eye(a.shape[0])
    for k in range(1, terms):
        term = term @ a / k
        out = out + term
    return out


def _cases() -> dict[str, tuple[Node, Ref]]:
    v = b.var("v", ("m*n", 1))
    cases: dict[str, tuple[Node, Ref]] = {
        "var": (A, lambda d: _np(d["A"])),
        "dvar": (b.matmul(A, b.dvar("A", ("n", "n"))),
                 lambda d: _np(d["A"]) @ _np(d[dvar_key(("A", 1))])),
        "const": (b.mul(b.const(2.5), A), lambda d: 2.5 * _np(d["A"])),
        "eye": (b.add(A, b.eye("n")), lambda d: _np(d["A"]) + np.eye(len(d["A"]))),
        "commutation": (b.matmul(b.commutation("m", "n"), b.vec(R)),
                        lambda d: _np(d["R"]).T.reshape(-1, 1, order="F")),
        "add": (b.add(A, B, b.transpose(A)), lambda d: _np(d["A"]) + d["B"] + _np(d["A"]).T),
        "mul": (b.mul(s, t, A), lambda d: d["s"] * d["t"] * _np(d["A"])),
        "matmul": (b.matmul(b.matmul(A, C), R), lambda d: _np(d["A"]) @ d["C"] @ d["R"]),
        "hadamard": (b.hadamard(A, B), lambda d: _np(d["A"]) * d["B"]),
        "pow": (b.power(A, b.const(1.5)), lambda d: _np(d["A"]) ** 1.5),
        "fill": (b.add(b.fill(s, ("n", "m")), C), lambda d: d["s"] + _np(d["C"])),
        "block": (b.block([[A, C], [R, b.eye("m")]]),
                  lambda d: np.block([[d["A"], d["C"]], [d["R"], np.eye(len(d["R"]))]])),
        "reshape": (b.add(b.reshape(v, ("m", "n")), R),
                    lambda d: _np(d["v"]).reshape(_np(d["R"]).shape, order="F") + d["R"]),
        "transpose": (b.transpose(C), lambda d: _np(d["C"]).T),
        "mpow": (b.mpower(A, 3), lambda d: _np(d["A"]) @ d["A"] @ d["A"]),
        "kron": (b.kron(A, R), lambda d: np.kron(d["A"], d["R"])),
        "tr": (b.tr(A), lambda d: np.trace(d["A"])),
        "sum": (b.sum_(C), lambda d: np.sum(d["C"])),
        "diag": (b.add(b.diag(A), b.matmul(b.diag(x), y)),
                 lambda d: col(np.diag(d["A"])) + col(_np(d["x"]) * d["y"])),
        "vec": (b.vec(C), lambda d: _np(d["C"]).reshape(-1, 1, order="F")),
        "det": (b.det(A), lambda d: np.linalg.det(d["A"])),
        "logdet": (b.logdet(A), lambda d: math.log(np.linalg.det(d["A"]))),
        "inv": (b.inv(A), lambda d: np.linalg.inv(d["A"])),
        "norm1": (b.norm1(C), lambda d: np.abs(d["C"]).sum()),
        "norm2": (b.norm2(C), lambda d: math.sqrt((_np(d["C"]) ** 2).sum())),
        "softmax": (b.softmax(x), lambda d: col(np.exp(d["x"]) / np.exp(d["x"]).sum())),
        "logsumexp": (b.logsumexp(C), lambda d: math.log(np.exp(d["C"]).sum())),
        "expm": (b.expm(A), lambda d: _expm_series(_np(d["A"]))),
    }
    for name in ELEMENTWISE_FUNCTIONS:
        fn = _elementwise_ref(name)
        cases[name] = (b.func(name, C), lambda d, fn=fn: fn(_np(d["C"])))
    cases.update(_batched_cases())
    return cases


def _batched_cases() -> dict[str, tuple[Node, Ref]]:
    """sum/softmax/logsumexp with MATLAB's dim (1: per column, 2: per row), both dims in
    one expression, against NumPy's axis = dim - 1 written out directly."""
    def softmax_cols(z: np.ndarray) -> np.ndarray:
        return np.exp(z) / np.exp(z).sum(axis=0)

    return {
        "sumdim": (b.add(b.sum_dim(C, 1), b.transpose(b.sum_dim(R, 2))),
                   lambda d: _np(d["C"]).sum(axis=0) + _np(d["R"]).sum(axis=1)),
        "softmaxdim": (b.add(b.softmax_dim(C, 1), b.transpose(b.softmax_dim(R, 2))),
                       lambda d: softmax_cols(_np(d["C"])) + softmax_cols(_np(d["R"]).T)),
        "logsumexpdim": (
            b.add(b.logsumexp_dim(C, 1), b.transpose(b.logsumexp_dim(R, 2))),
            lambda d: np.log(np.exp(_np(d["C"])).sum(axis=0))
            + np.log(np.exp(_np(d["R"])).sum(axis=1)),
        ),
    }


CASES = _cases()


def test_every_op_has_a_case() -> None:
    missing = sorted(set(OPS) - set(CASES))
    assert not missing, f"ops without an evaluator test case: {missing}"
    unknown = sorted(set(CASES) - set(OPS))
    assert not unknown, f"test cases for ops not in the table: {unknown}"


def test_every_op_has_an_evaluation_rule() -> None:
    assert [op for op in OPS if not has_rule(op)] == []


@pytest.mark.parametrize("op", sorted(OPS))
def test_case_contains_its_op(op: str) -> None:
    node, _ = CASES[op]
    assert op in {n.op for n in walk([node])}, f"builders folded {op} away in {node}"


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("op", sorted(OPS))
def test_op_matches_numpy(op: str, seed: int) -> None:
    node, ref = CASES[op]
    rng = np.random.default_rng(seed)
    values, sizes = sample_values(node, rng, domains=_case_domains(op))
    got = evaluate(node, values)
    want = np.asarray(ref(values), dtype=float)
    rows = sizes.get("n", 0)
    assert got.ndim == 2 and got.dtype == float
    if want.ndim < 2:
        want = want.reshape(got.shape)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10, err_msg=f"{op} n={rows}")


def _case_domains(op: str) -> dict[str, str]:
    """The domain the case's variables need: the op's own, applied to its operands."""
    domain = OPS[op].domain
    if op in ELEMENTWISE_FUNCTIONS:
        return {"C": domain}
    if op == "pow":
        return {"A": "positive"}
    if op in ("det", "inv", "logdet", "expm"):
        return {"A": domain}
    return {}


def test_result_shapes_are_concrete_and_user_forms() -> None:
    values = {"A": np.eye(3) * 2, "C": np.ones((3, 2)), "x": np.arange(3.0)}
    assert evaluate(b.tr(A), values).shape == (1, 1)
    assert evaluate(b.matmul(A, x), values).shape == (3, 1)
    assert evaluate(b.transpose(x), values).shape == (1, 3)
    assert evaluate(C, values).shape == (3, 2)
    assert evaluate(b.kron(A, C), values).shape == (9, 6)
    assert to_user(evaluate(b.tr(A), values), (1, 1)) == 6.0
    assert to_user(evaluate(b.transpose(x), values), (1, "n")).shape == (3,)
    assert to_user(evaluate(x, values), ("n", 1)).shape == (3,)
    assert to_user(evaluate(C, values), ("n", "m")).shape == (3, 2)


def test_to_internal_accepts_the_user_forms() -> None:
    assert to_internal(2.0, (1, 1)).shape == (1, 1)
    assert to_internal(np.float64(2.0), (1, 1)).shape == (1, 1)
    assert to_internal(np.array(2.0), (1, 1)).shape == (1, 1)
    assert to_internal([1, 2, 3], ("n", 1)).shape == (3, 1)
    assert to_internal(np.ones((3, 1)), ("n", 1)).shape == (3, 1)
    assert to_internal([1, 2, 3], (1, "n")).shape == (1, 3)
    assert to_internal(np.ones((2, 3)), ("n", "m")).shape == (2, 3)
    assert to_internal(np.arange(3), ("n", 1)).dtype == float


def test_column_and_row_vector_values_accepted_for_vectors() -> None:
    e = b.matmul(b.transpose(x), y)
    for xv in ([1.0, 2.0], np.array([[1.0], [2.0]]), np.array([[1.0, 2.0]])):
        assert evaluate(e, {"x": xv, "y": [3.0, 4.0]})[0, 0] == 11.0


def test_shared_subexpressions_computed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    record = RECORDS[Op.INV]
    original = record.numpy
    assert original is not None

    def counting(n, k, s):  # type: ignore[no-untyped-def]
        calls.append(n)
        return original(n, k, s)

    monkeypatch.setitem(RECORDS, Op.INV, dataclasses.replace(record, numpy=counting))
    iA = b.inv(A)
    e = b.add(b.matmul(iA, B), b.matmul(B, iA), b.tr(iA))
    evaluate(e, {"A": 3 * np.eye(2) + 0.1, "B": np.ones((2, 2))})
    assert len(calls) == 1


def test_sizes_given_explicitly_fix_leaf_only_dims() -> None:
    e = b.add(b.eye("k"), b.fill(b.const(2.0), ("k", "k")))
    with pytest.raises(InputValueError, match="size k"):
        evaluate(e, {})
    np.testing.assert_allclose(evaluate(e, {}, sizes={"k": 2}), np.eye(2) + 2)


def test_commutation_matrix_definition() -> None:
    X = np.arange(6.0).reshape(2, 3)
    K = commutation_matrix(2, 3)
    np.testing.assert_array_equal(K @ X.reshape(-1, order="F"), X.T.reshape(-1, order="F"))


def test_expm_known_values() -> None:
    theta = 7.0  # large norm: several squarings
    rot = np.array([[0.0, theta], [-theta, 0.0]])
    want = np.array([[math.cos(theta), math.sin(theta)], [-math.sin(theta), math.cos(theta)]])
    np.testing.assert_allclose(expm(rot), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(expm(np.diag([1.0, -2.0, 3.0])), np.diag(np.exp([1, -2, 3])))
    np.testing.assert_allclose(expm(np.zeros((3, 3))), np.eye(3))
    nil = np.array([[0.0, 1.0], [0.0, 0.0]])
    np.testing.assert_allclose(expm(nil), np.eye(2) + nil)


def test_numerically_careful_formulas() -> None:
    big = np.array([1000.0, 1001.0, 999.0])
    sm = evaluate(b.softmax(x), {"x": big}).ravel()
    np.testing.assert_allclose(sm, np.exp(big - 1001) / np.exp(big - 1001).sum())
    lse = evaluate(b.logsumexp(x), {"x": big})[0, 0]
    assert lse == pytest.approx(1001 + math.log(1 + math.exp(-1) + math.exp(-2)))
    z = np.array([-1000.0, 0.0, 1000.0])
    np.testing.assert_allclose(evaluate(b.func("sigmoid", x), {"x": z}).ravel(), [0, 0.5, 1])
    np.testing.assert_allclose(evaluate(b.func("softplus", x), {"x": z}).ravel(),
                               [0, math.log(2), 1000])
    # logdet of a matrix whose det under/overflows is still finite
    X = b.var("X", ("n", "n"))
    val = evaluate(b.logdet(X), {"X": 1e-3 * np.eye(200)})[0, 0]
    assert val == pytest.approx(200 * math.log(1e-3))


# ------------------------------------------------------------------------------ errors


def _raises(e: Node, values: dict[str, Any], *fragments: str) -> InputValueError:
    with pytest.raises(InputValueError) as info:
        evaluate(e, values)
    msg = str(info.value)
    for f in fragments:
        assert f in msg, f"{f!r} not in {msg!r}"
    assert isinstance(info.value, MatdiffError)
    return info.value


def test_missing_variable() -> None:
    _raises(b.matmul(A, x), {"A": np.eye(2)}, "no value for x", "vector n")
    _raises(b.matmul(A, b.dvar("x", ("n", 1))), {"A": np.eye(2)}, "no value for dx")


def test_contradictory_sizes_name_both_and_where_they_meet() -> None:
    M = b.var("A", ("m", "n"))
    e = b.add(b.norm2(b.matmul(M, x)), s)
    _raises(e, {"A": np.ones((3, 4)), "x": np.ones(5), "s": 1.0},
            "A is 3×4", "x has 5 entries", "A*x", "(n)")


def test_square_declaration_contradicted() -> None:
    _raises(b.tr(A), {"A": np.ones((2, 3))}, "A is 2×3", "n×n")


def test_wrong_kind_of_value() -> None:
    _raises(b.tr(A), {"A": np.ones(3)}, "A", "matrix n×n", "1-D")
    _raises(b.mul(s, A), {"A": np.eye(2), "s": [1.0, 2.0]}, "s is a scalar")
    _raises(b.sum_(x), {"x": np.ones((2, 2))}, "x is a vector n")
    _raises(b.sum_(x), {"x": [1.0, float("nan")]}, "non-finite")
    _raises(b.sum_(x), {"x": [1.0, 2j]}, "complex")
    _raises(b.sum_(x), {"x": "ab"}, "not an array of numbers")


def test_domain_errors_name_function_and_subexpression() -> None:
    xm1 = b.sub(x, b.const(1.0))
    _raises(b.func("log", xm1), {"x": [2.0, 0.5]}, "log", "non-positive", "log(")
    _raises(b.func("sqrt", x), {"x": [1.0, -1.0]}, "sqrt", "negative", "sqrt(x)")
    _raises(b.func("arcsin", x), {"x": [1.5]}, "arcsin", "outside [-1, 1]")
    _raises(b.func("arccos", x), {"x": [-1.5]}, "arccos")
    _raises(b.inv(A), {"A": np.ones((2, 2))}, "inv", "singular", "inv(A)")
    _raises(b.mpower(A, -2), {"A": np.ones((2, 2))}, "singular")
    _raises(b.logdet(A), {"A": -np.eye(3)}, "logdet", "negative determinant")
    _raises(b.logdet(A), {"A": np.zeros((2, 2))}, "logdet", "singular")
    _raises(b.power(x, b.const(0.5)), {"x": [-1.0, 1.0]}, "negative base")
    _raises(b.power(x, b.const(-1.0)), {"x": [0.0, 1.0]}, "zero to a negative power")
    _raises(b.func("exp", x), {"x": [1000.0]}, "exp", "non-finite")


def test_det_of_singular_matrix_is_zero_not_an_error() -> None:
    assert evaluate(b.det(A), {"A": np.ones((2, 2))})[0, 0] == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("props", "value", "fragment"),
    [
        (("symmetric",), [[1.0, 2.0], [0.0, 1.0]], "symmetric"),
        (("spd",), [[1.0, 2.0], [2.0, 1.0]], "positive definite"),
        (("diagonal",), [[1.0, 2.0], [2.0, 1.0]], "diagonal"),
        (("orthogonal",), [[1.0, 1.0], [0.0, 1.0]], "orthogonal"),
        (("positive",), [[1.0, -1.0], [1.0, 1.0]], "positive"),
    ],
)
def test_declared_properties_checked(props: tuple[str, ...], value: Any, fragment: str) -> None:
    P = b.var("P", ("n", "n"), props)
    _raises(b.tr(P), {"P": np.array(value)}, "P is declared", fragment)
    # the same value is accepted when properties are not checked
    evaluate(b.tr(P), {"P": np.array(value)}, check_props=False)


def test_vector_properties_checked() -> None:
    h = b.var("h", ("n", 1), ["onehot"])
    p = b.var("p", ("n", 1), ["simplex"])
    _raises(b.sum_(h), {"h": [1.0, 1.0, 0.0]}, "onehot")
    _raises(b.sum_(p), {"p": [0.5, 0.6]}, "simplex")
    assert evaluate(b.sum_(h), {"h": [0.0, 1.0, 0.0]})[0, 0] == 1.0
    assert evaluate(b.sum_(p), {"p": [0.25, 0.75]})[0, 0] == 1.0


def test_symmetric_value_within_tolerance_accepted() -> None:
    S = b.var("S", ("n", "n"), ["symmetric"])
    v = np.array([[1.0, 2.0], [2.0 + 1e-13, 1.0]])
    assert evaluate(b.tr(S), {"S": v})[0, 0] == 2.0


def test_bind_sizes_and_compound_dims() -> None:
    v = b.var("v", ("m*n", 1))
    e = b.add(b.reshape(v, ("m", "n")), R)
    assert bind_sizes(e, {"v": np.ones(6), "R": np.ones((2, 3))}) == {"m": 2, "n": 3}
    with pytest.raises(InputValueError, match="v has 5 entries"):
        bind_sizes(e, {"v": np.ones(5), "R": np.ones((2, 3))})
    # a size solved from a product when the other factor is known
    w = b.var("w", ("m*n", 1))
    assert bind_sizes([w, x], {"w": np.ones(12), "x": np.ones(4)}) == {"n": 4, "m": 3}


def test_block_sizes_are_sums() -> None:
    e = b.block([[A, C], [R, b.eye("m")]])
    got = evaluate(e, {"A": np.eye(2), "C": np.ones((2, 3)), "R": np.zeros((3, 2))})
    assert got.shape == (5, 5)


# -------------------------------------------------------------------------- deep trees


def test_deep_nesting_does_not_recurse() -> None:
    e = x
    for _ in range(5000):
        e = b.func("sin", b.mul(b.const(0.5), e))
    out = evaluate(e, {"x": [0.1, 0.2]})
    assert out.shape == (2, 1) and np.all(np.isfinite(out))


def test_deep_nested_additions() -> None:
    # y + tanh(y + tanh(...)): additions that do not flatten into one n-ary node. Made
    # with `make` because the builders' term ordering walks whole subtrees (see report);
    # the point here is that the evaluator itself never recurses.
    depth = 5000
    xv, yv = np.array([0.1, -0.2]), np.array([0.3, 0.1])
    e = x
    for _ in range(depth):
        e = make(Op.ADD, (y, make(Op.TANH, (e,), None, e.shape)), None, e.shape)
    out = evaluate(e, {"x": xv, "y": yv})
    z = xv
    for _ in range(depth):
        z = yv + np.tanh(z)
    np.testing.assert_allclose(out.ravel(), z)


def test_deep_additions_with_builders() -> None:
    depth = 150  # deeper trips the builders' recursive term ordering (reported)
    e = x
    for _ in range(depth):
        e = b.add(y, b.func("tanh", e))
    out = evaluate(e, {"x": [0.1, -0.2], "y": [0.3, 0.1]})
    assert out.shape == (2, 1)


def test_error_message_on_deep_tree_does_not_fail() -> None:
    e = x
    for _ in range(3000):
        e = b.func("sin", b.mul(b.const(0.5), e))
    shifted = make(Op.ADD, (e, b.fill(b.const(-10.0), e.shape)), None, e.shape)
    e = b.func("log", shifted)
    with pytest.raises(InputValueError, match="log"):
        evaluate(e, {"x": [0.1]})


def test_integer_declared_sizes_checked() -> None:
    x3 = b.var("x", (3, 1))
    _raises(b.sum_(x3), {"x": [1.0, 2.0, 3.0, 4.0]}, "x is a vector 3", "has 4 entries")
    A23 = b.var("A", (2, 3))
    _raises(b.sum_(A23), {"A": np.ones((2, 2))}, "A is a matrix 2×3", "is 2×2")
