"""Samplers: every declared property and every op domain is honoured; sizes differ."""

from __future__ import annotations

import numpy as np
import pytest

from matdiff.backends.evaluate import check_properties, evaluate, to_internal
from matdiff.ir import build as b
from matdiff.ir.ops import OPS
from matdiff.verify.sample import (
    DOMAINS,
    input_domains,
    sample_array,
    sample_sizes,
    sample_value,
    sample_values,
)

SEEDS = range(20)


def rngs():
    return [np.random.default_rng(seed) for seed in SEEDS]


def test_sizes_are_distinct_and_small() -> None:
    for rng in rngs():
        sizes = sample_sizes(["n", "m", "p"], rng)
        assert set(sizes) == {"n", "m", "p"}
        assert len(set(sizes.values())) == 3
        assert all(2 <= v <= 5 for v in sizes.values())


def test_sizes_widen_when_there_are_many_names() -> None:
    names = [f"d{i}" for i in range(7)]
    sizes = sample_sizes(names, np.random.default_rng(0))
    assert len(set(sizes.values())) == 7 and min(sizes.values()) >= 2


def test_sizes_split_compound_dims_and_avoid_given_values() -> None:
    sizes = sample_sizes(["m*n", "n+p"], np.random.default_rng(1), avoid=[2, 3])
    assert set(sizes) == {"m", "n", "p"}
    assert not set(sizes.values()) & {2, 3}


def test_sizes_vary_with_the_seed() -> None:
    seen = {tuple(sample_sizes(["n", "m"], rng).values()) for rng in rngs()}
    assert len(seen) > 3


def _matrix(props: tuple[str, ...], n: int = 4, domain: str = "real", seed: int = 0):
    return sample_array(props, (n, n), np.random.default_rng(seed), domain)


@pytest.mark.parametrize("seed", SEEDS)
def test_symmetric(seed: int) -> None:
    a = _matrix(("symmetric",), seed=seed)
    np.testing.assert_array_equal(a, a.T)
    assert np.any(a != np.diag(np.diag(a)))


@pytest.mark.parametrize("seed", SEEDS)
def test_spd(seed: int) -> None:
    a = _matrix(("spd",), seed=seed)
    np.testing.assert_array_equal(a, a.T)
    assert np.linalg.eigvalsh(a).min() > 0.5
    np.linalg.cholesky(a)


@pytest.mark.parametrize("seed", SEEDS)
def test_diagonal(seed: int) -> None:
    a = _matrix(("diagonal",), seed=seed)
    np.testing.assert_array_equal(a, np.diag(np.diag(a)))
    assert np.all(np.diag(a) != 0)


@pytest.mark.parametrize("seed", SEEDS)
def test_orthogonal(seed: int) -> None:
    q = _matrix(("orthogonal",), seed=seed)
    np.testing.assert_allclose(q.T @ q, np.eye(4), atol=1e-12)
    np.testing.assert_allclose(q @ q.T, np.eye(4), atol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_positive(seed: int) -> None:
    a = sample_array(("positive",), (3, 5), np.random.default_rng(seed))
    assert np.all((a >= 0.5) & (a <= 2.0))


@pytest.mark.parametrize("seed", SEEDS)
def test_onehot(seed: int) -> None:
    v = sample_array(("onehot",), (5, 1), np.random.default_rng(seed))
    assert sorted(v.ravel()) == [0, 0, 0, 0, 1]


@pytest.mark.parametrize("seed", SEEDS)
def test_simplex(seed: int) -> None:
    v = sample_array(("simplex",), (5, 1), np.random.default_rng(seed))
    assert np.all(v > 0) and v.sum() == pytest.approx(1.0)


def test_onehot_positions_vary() -> None:
    positions = {int(np.argmax(sample_array(("onehot",), (5, 1), rng))) for rng in rngs()}
    assert len(positions) >= 3


@pytest.mark.parametrize(
    "props",
    [("symmetric", "positive"), ("diagonal", "positive"), ("spd", "diagonal"),
     ("symmetric",), ("spd",), ("orthogonal",), ("positive",)],
)
@pytest.mark.parametrize("domain", DOMAINS)
def test_properties_pass_the_evaluators_checks(props, domain) -> None:
    for rng in rngs()[:5]:
        a = sample_array(props, (4, 4), rng, domain)
        check_properties("X", a, props)  # raises if any property is broken


@pytest.mark.parametrize("seed", SEEDS)
def test_domains(seed: int) -> None:
    rng = np.random.default_rng(seed)
    shape = (4, 4)
    a = sample_array((), shape, rng, "positive")
    assert np.all((a >= 0.5) & (a <= 2))
    a = sample_array((), shape, rng, "unit")
    assert np.all(np.abs(a) < 0.8)
    a = sample_array((), shape, rng, "nonzero")
    assert np.all((np.abs(a) >= 0.3) & (np.abs(a) <= 2))
    assert np.any(a < 0) and np.any(a > 0)
    a = sample_array((), shape, rng, "small")
    assert np.all(np.abs(a) <= 0.5)
    a = sample_array((), shape, rng, "invertible")
    assert np.linalg.cond(a) < 50
    a = sample_array((), shape, rng, "spd")
    assert np.allclose(a, a.T) and np.linalg.eigvalsh(a).min() > 0
    a = sample_array((), shape, rng, "square")
    assert a.shape == shape


def test_unknown_domain_rejected() -> None:
    with pytest.raises(ValueError, match="unknown domain"):
        sample_array((), (2, 2), np.random.default_rng(0), "complex")


def test_sample_value_user_forms() -> None:
    rng = np.random.default_rng(0)
    sizes = {"n": 3, "m": 4}
    assert isinstance(sample_value(b.var("s", (1, 1)), sizes, rng), float)
    assert sample_value(b.var("x", ("n", 1)), sizes, rng).shape == (3,)
    assert sample_value(b.var("r", (1, "m")), sizes, rng).shape == (4,)
    assert sample_value(b.var("A", ("n", "m")), sizes, rng).shape == (3, 4)
    assert sample_value(b.var("K", ("m*n", 1)), sizes, rng).shape == (12,)


def test_input_domains_follow_the_ops_fed() -> None:
    X = b.var("X", ("n", "n"))
    Y = b.var("Y", ("n", "n"))
    x = b.var("x", ("n", 1))
    z = b.var("z", ("n", 1))
    e = b.add(b.logdet(X), b.tr(b.inv(Y)), b.sum_(b.func("log", x)), b.sum_(b.func("sin", z)))
    assert input_domains([e]) == {"X": "spd", "Y": "invertible", "x": "positive"}
    # a variable feeding two ops takes the stricter domain
    e2 = b.add(b.det(X), b.logdet(X))
    assert input_domains([e2]) == {"X": "spd"}
    # powers: integer exponents keep the sign, fractional ones need positive bases
    assert input_domains([b.sum_(b.power(x, b.const(2.0)))]) == {}
    assert input_domains([b.sum_(b.power(x, b.const(0.5)))]) == {"x": "positive"}
    assert input_domains([b.sum_(b.power(x, b.const(-1.0)))]) == {"x": "nonzero"}


@pytest.mark.parametrize("op", sorted(op for op, o in OPS.items() if o.category == "elementwise"))
def test_sampled_values_evaluate_inside_every_elementwise_domain(op: str) -> None:
    x = b.var("x", ("n", 1))
    e = b.func(op, x)
    for rng in rngs():
        values, _ = sample_values(e, rng)
        evaluate(e, values)  # no domain error


def test_sample_values_covers_variables_differentials_and_props() -> None:
    A = b.var("A", ("n", "n"), ["spd"])
    y = b.var("y", ("m", 1), ["onehot"])
    C = b.var("C", ("m", "n"))
    dA = b.dvar("A", ("n", "n"))
    e = b.add(b.tr(b.matmul(b.matmul(C, A), b.transpose(C))), b.sum_(y), b.tr(dA))
    for rng in rngs():
        values, sizes = sample_values(e, rng)
        assert set(values) == {"A", "y", "C", "d:A:1"}
        assert sizes["n"] != sizes["m"]
        a = to_internal(values["A"], A.shape)
        np.linalg.cholesky(a)
        assert values["y"].sum() == 1.0 and values["y"].shape == (sizes["m"],)
        assert values["C"].shape == (sizes["m"], sizes["n"])
        evaluate(e, values)


def test_sample_values_domains_and_sizes_overrides() -> None:
    x = b.var("x", ("n", 1))
    A = b.var("A", ("n", "n"))
    e = b.add(b.sum_(x), b.tr(A))
    values, sizes = sample_values([e], np.random.default_rng(3), domains={"x": "positive",
                                                                         "A": "spd"},
                                  sizes={"n": 7})
    assert sizes == {"n": 7}
    assert np.all(values["x"] >= 0.5) and values["x"].shape == (7,)
    assert np.linalg.eigvalsh(values["A"]).min() > 0


def test_sample_values_is_reproducible() -> None:
    A = b.var("A", ("n", "m"))
    v1, s1 = sample_values(A, np.random.default_rng(42))
    v2, s2 = sample_values(A, np.random.default_rng(42))
    assert s1 == s2
    np.testing.assert_array_equal(v1["A"], v2["A"])
