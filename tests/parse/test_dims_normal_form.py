"""Sizes have one normal form: `m+n` and `n+m` are the same size (issue 9 fault 3).

Correctness tests. The dimension arithmetic of ir/dims.py is checked against integer
arithmetic at random sizes; expressions whose blocks meet in a different order type
check, and their derivatives are compared with NumPy closed forms written here.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import matdiff
from matdiff.errors import ShapeError
from matdiff.ir.dims import dim_add, dim_mul, dim_names, dim_terms, format_shape, resolve_dim

SIZES = {"m": 3, "n": 5, "p": 2, "q": 7}


@pytest.mark.parametrize("a, b", [("n", "m"), ("m+n", "p"), ("2*n", "n"), ("m*n", "p+1"),
                                  (3, "n"), ("n+m", "q*p")])
def test_sum_and_product_are_commutative_and_exact(a, b):
    assert dim_add(a, b) == dim_add(b, a)
    assert dim_mul(a, b) == dim_mul(b, a)
    va, vb = resolve_dim(a, SIZES), resolve_dim(b, SIZES)
    assert resolve_dim(dim_add(a, b), SIZES) == va + vb
    assert resolve_dim(dim_mul(a, b), SIZES) == va * vb


def test_normal_form_examples():
    assert dim_add("n", "m") == "m+n"
    assert dim_add("n", "n") == "2*n"
    assert dim_add(dim_add("n", "m"), "n") == "m+2*n"
    assert dim_mul(dim_add("n", "m"), "p") == "m*p+n*p"  # products of sums multiplied out
    assert dim_mul("n", "m") == "m*n"
    assert dim_add(2, 3) == 5 and dim_mul(0, "n") == 0 and dim_add(0, "n") == "n"
    assert dim_add("n", 1) == "n+1"
    assert dim_terms("n*m+2+m") == [(1, ("m",)), (1, ("m", "n")), (2, ())]
    assert dim_names("m*p+n") == {"m", "n", "p"}


def test_associativity_over_all_orders():
    parts = ["n", "m", "p", "2*q"]
    forms = set()
    for perm in itertools.permutations(parts):
        total = 0
        for d in perm:
            total = dim_add(total, d)
        forms.add(total)
    assert forms == {"m+n+p+2*q"}


def test_shapes_with_sums_are_parenthesised_in_messages():
    assert format_shape((1, "m+n")) == "1×(m+n)"
    assert format_shape(("m+n", 1)) == "m+n"


DECL = {"x": "vector m", "y": "vector n"}


def _values(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"x": rng.standard_normal(3), "y": rng.standard_normal(5)}


@pytest.mark.parametrize("text", ["sum([x; y] .* [y; x])", "[x; y]'*[y; x]"])
def test_blocks_in_either_order_type_check_and_differentiate(text):
    """f = u'v with u = [x; y], v = [y; x]: df/dx[k] = v[k] + u[n + k] (x: m, y: n)."""
    d = matdiff.derivative(text, wrt="x", variables=DECL)
    v = _values()
    u, w = np.concatenate([v["x"], v["y"]]), np.concatenate([v["y"], v["x"]])
    n = 5
    want = w[:3] + u[n:n + 3]
    np.testing.assert_allclose(d.evaluate(**v), want, rtol=1e-12)
    assert d.check()


def test_undeclared_blocks_in_either_order():
    env = matdiff.variables_of("sum([x; y] .* [y; x])")
    assert {env["x"].shape, env["y"].shape} == {("n", 1), ("m", 1)}


def test_an_unknown_size_is_solved_from_a_sum():
    """[x; y] + [z; x]: n + m = z + n, so z has y's size."""
    env = matdiff.variables_of("[x; y] + [z; x]", {"x": "vector n", "y": "vector m"})
    assert env["z"].shape == ("m", 1)
    d = matdiff.derivative("sum(exp([x; y] + [z; x]))", wrt="z",
                           variables={"x": "vector n", "y": "vector m"})
    rng = np.random.default_rng(1)
    x, y, z = rng.standard_normal(2), rng.standard_normal(4), rng.standard_normal(4)
    s = np.exp(np.concatenate([x, y]) + np.concatenate([z, x]))
    np.testing.assert_allclose(d.evaluate(x=x, y=y, z=z), s[:4], rtol=1e-12)


def test_products_of_sums_are_one_size():
    """kron([x; y], z) has (m+n)*p rows, [kron(x, z); kron(y, z)] has m*p + n*p."""
    text = "sum(kron([x; y], z) .* [kron(x, z); kron(y, z)])"
    variables = {"x": "vector m", "y": "vector n", "z": "vector p"}
    d = matdiff.derivative(text, wrt="z", variables=variables)
    rng = np.random.default_rng(2)
    x, y, z = rng.standard_normal(3), rng.standard_normal(2), rng.standard_normal(4)
    u = np.concatenate([x, y])
    # f = |u|^2 |z|^2, so df/dz = 2 |u|^2 z
    np.testing.assert_allclose(d.evaluate(x=x, y=y, z=z), 2 * (u @ u) * z, rtol=1e-12)


def test_different_sizes_are_still_refused_without_a_transpose_hint():
    with pytest.raises(ShapeError) as err:
        matdiff.parse("[x; y] .* [x; x]", DECL)
    assert "(m+n) and" in str(err.value) and "2*m" in str(err.value)
    assert "did you mean" not in (err.value.hint or "")


@pytest.mark.parametrize("wrt", ["x", "z"])
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_generated_code_binds_a_sum_size_from_any_input(backend, wrt):
    """z (m+2*n) comes first among the inputs; the code binds n and m from x and y and
    checks z against m+2*n. Closed form: f = sum(exp(z .* u)), u = [x; y; x]."""
    if backend == "torch":
        torch = pytest.importorskip("torch")
    from matdiff.backends.codegen import compile_function

    d = matdiff.derivative("sum(exp(z .* [x; y; x]))", wrt=wrt)
    rng = np.random.default_rng(4)
    x, y, z = rng.standard_normal(3), rng.standard_normal(2), rng.standard_normal(8)
    u = np.concatenate([x, y, x])
    e = np.exp(z * u)
    want = e * u if wrt == "z" else z[:3] * e[:3] + z[5:] * e[5:]
    fn = compile_function(d, backend)
    args = {"x": x, "y": y, "z": z}
    if backend == "torch":
        args = {k: torch.tensor(v) for k, v in args.items()}
    value, grad = fn(**args)
    np.testing.assert_allclose(float(value), e.sum(), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(grad), want, rtol=1e-12)
    with pytest.raises(ValueError, match="z must have shape"):
        fn(**{**args, "z": args["z"][:7]})


def test_structured_variable_sized_by_a_block_is_differentiated_as_typed():
    """S symmetric of size m+n, inferred from a block: d(z'*S'*u)/dS is u*z' (S' as typed,
    all entries independent), not z*u'. Before, a compound size made matdiff fall back
    to the simplified function z'*S*u."""
    d = matdiff.derivative("z'*S'*[x; y]", wrt="S", variables={
        "S": "matrix symmetric", "x": "vector n", "y": "vector m"})
    rng = np.random.default_rng(5)
    x, y, z = rng.standard_normal(2), rng.standard_normal(3), rng.standard_normal(5)
    M = rng.standard_normal((5, 5))
    S = M + M.T
    u = np.concatenate([x, y])
    np.testing.assert_allclose(d.evaluate(S=S, x=x, y=y, z=z), np.outer(u, z), rtol=1e-12)
    assert d.check()
