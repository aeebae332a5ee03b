"""The numeric toolkit (verify/numeric.py) against closed forms: central differences of
functions whose derivatives are known by hand (sin, exp, x'Ax, det, log det, a symmetric
and a diagonal variable), the step rule, and closeness at the edges of its scale (values
near 0, large values, infinities, NaN, shapes). Correctness tests: every reference is a
formula written here, never the engine."""

from __future__ import annotations

import numpy as np
import pytest

from matdiff.verify.numeric import (
    ATOL,
    DEFAULT_STEP,
    RTOL,
    central_difference,
    close,
    directional,
    entrywise,
    errors,
    random_direction,
    relative_step,
    scale_of,
    tolerance,
    worst_entry,
)

RNG = np.random.default_rng(20261201)
A = RNG.normal(size=(4, 4))
X = 3 * np.eye(3) + 0.3 * RNG.normal(size=(3, 3))  # det > 0, not symmetric
S = X @ X.T  # spd


# ------------------------------------------------------------------ steps


def test_relative_step_grows_with_the_size_of_x_and_never_shrinks_below_h() -> None:
    assert relative_step(np.array([0.1, -0.5])) == DEFAULT_STEP
    assert relative_step(np.array([[2.0, -40.0]]), h=1e-5) == pytest.approx(4e-4)
    assert relative_step(np.zeros((0, 3))) == DEFAULT_STEP
    assert relative_step(-7.0, h=1e-6) == pytest.approx(7e-6)


# ------------------------------------------------------------------ differences


@pytest.mark.parametrize(("f", "df", "x"), [
    (np.sin, np.cos, 0.3),
    (np.exp, np.exp, 1.7),
    (np.log, lambda t: 1 / t, 0.25),
    (lambda t: t ** 3, lambda t: 3 * t ** 2, -2.0),
    (np.tanh, lambda t: 1 - np.tanh(t) ** 2, 40.0),  # large x: a relative step
])
def test_directional_scalar_functions(f, df, x) -> None:
    assert float(directional(f, x, 1.0)) == pytest.approx(df(x), rel=1e-8, abs=1e-12)


def test_central_difference_is_exact_for_a_quadratic_with_any_step() -> None:
    """A central difference has no truncation error on a quadratic: (x'Ax)' v = x'(A+A')v."""
    x, v = RNG.normal(size=4), RNG.normal(size=4)
    want = x @ (A + A.T) @ v
    for step in (1e-3, 1e-1, 1.0):
        assert central_difference(lambda z: z @ A @ z, x, v, step) == pytest.approx(want)


def test_central_difference_uses_the_step_as_given() -> None:
    # (f(x+s) - f(x-s)) / 2s for exp: exp(x)·sinh(s)/s, visibly different from exp(x)
    s = 0.5
    got = central_difference(np.exp, 1.0, 1.0, s)
    assert got == pytest.approx(np.exp(1.0) * np.sinh(s) / s, rel=1e-14)


def test_directional_of_log_det_is_the_trace_of_inv_x_times_v() -> None:
    V = RNG.normal(size=(3, 3))
    got = directional(lambda M: np.log(np.linalg.det(M)), X, V)
    assert got.shape == ()
    assert float(got) == pytest.approx(np.trace(np.linalg.solve(X, V)), rel=1e-7)


def test_random_direction_is_standard_normal_of_the_shape_and_reproducible() -> None:
    d = random_direction(np.random.default_rng(3), (2, 5))
    assert d.shape == (2, 5)
    np.testing.assert_array_equal(d, np.random.default_rng(3).normal(size=(2, 5)))
    many = random_direction(np.random.default_rng(4), (20_000,))
    assert abs(float(np.mean(many))) < 0.05 and abs(float(np.std(many)) - 1) < 0.05


def test_entrywise_gradient_of_a_quadratic_form() -> None:
    x = RNG.normal(size=4)
    g = entrywise(lambda z: z @ A @ z, x, relative_step(x))
    assert g.shape == (4,)
    np.testing.assert_allclose(g, (A + A.T) @ x, rtol=1e-8)


def test_entrywise_jacobian_has_the_shape_of_f_then_x() -> None:
    x = RNG.normal(size=4)
    J = entrywise(lambda z: np.tanh(A @ z)[:3], x, 1e-6)
    assert J.shape == (3, 4)
    np.testing.assert_allclose(J, ((1 - np.tanh(A @ x) ** 2)[:, None] * A)[:3], rtol=1e-7)


def test_entrywise_matrix_by_matrix_is_the_four_index_derivative_of_inv() -> None:
    D = entrywise(np.linalg.inv, X, relative_step(X))
    Xi = np.linalg.inv(X)
    np.testing.assert_allclose(D, -np.einsum("ik,lj->ijkl", Xi, Xi), rtol=1e-6, atol=1e-9)


def test_entrywise_scalar_variable() -> None:
    got = entrywise(lambda t: np.array([np.sin(t), t ** 2]), 0.7, 1e-6)
    assert got.shape == (2,)
    np.testing.assert_allclose(got, [np.cos(0.7), 1.4], rtol=1e-8)


def test_entrywise_symmetric_space_is_g_plus_g_transpose_minus_its_diagonal() -> None:
    """d log det(S) on symmetric matrices: 2 inv(S) - diag(diag(inv(S))) (Cookbook 138)."""
    def logdet(M):
        return np.log(np.linalg.det(M))

    Si = np.linalg.inv(S)
    full = entrywise(logdet, S, relative_step(S))
    sym = entrywise(logdet, S, relative_step(S), space="symmetric")
    np.testing.assert_allclose(full, Si.T, rtol=1e-6)
    np.testing.assert_allclose(sym, 2 * Si - np.diag(np.diag(Si)), rtol=1e-6)
    np.testing.assert_array_equal(sym, sym.T)  # the mirrored half is copied, not redone


def test_entrywise_diagonal_space_moves_only_the_diagonal() -> None:
    D = np.diag([1.0, 2.0, 4.0])
    got = entrywise(lambda M: np.log(np.linalg.det(M)), D, 1e-6, space="diagonal")
    np.testing.assert_allclose(got, np.diag([1.0, 0.5, 0.25]), rtol=1e-7)
    assert np.count_nonzero(got - np.diag(np.diag(got))) == 0


def test_entrywise_evaluates_f_twice_per_moved_entry_and_no_more() -> None:
    calls = []

    def f(M):
        calls.append(1)
        return np.sum(M)

    entrywise(f, np.ones((3, 3)), 1e-6)
    assert len(calls) == 18
    calls.clear()
    entrywise(f, np.ones((3, 3)), 1e-6, space="symmetric")
    assert len(calls) == 12  # 6 entries on or above the diagonal
    calls.clear()
    entrywise(f, np.ones((3, 3)), 1e-6, space="diagonal")
    assert len(calls) == 6


def test_entrywise_refuses_a_bad_space() -> None:
    with pytest.raises(ValueError, match="square"):
        entrywise(np.sum, np.ones((2, 3)), 1e-6, space="symmetric")
    with pytest.raises(ValueError, match="space must be"):
        entrywise(np.sum, np.ones((2, 2)), 1e-6, space="upper")


def test_entrywise_of_an_empty_variable_is_empty_of_the_right_shape() -> None:
    got = entrywise(lambda z: np.array([1.0, 2.0]), np.zeros((0,)), 1e-6)
    assert got.shape == (2, 0)


# ------------------------------------------------------------------ closeness


def test_default_tolerances_are_the_checks() -> None:
    assert (RTOL, ATOL, DEFAULT_STEP) == (1e-5, 1e-7, 1e-6)


def test_tolerance_is_atol_times_scale_plus_rtol_times_the_larger_side() -> None:
    got = tolerance([1.0, -300.0], [2.0, 100.0], rtol=1e-3, atol=1e-2, scale=5.0)
    np.testing.assert_allclose(got, [0.05 + 2e-3, 0.05 + 0.3])


def test_close_relative_part_is_symmetric_in_its_arguments() -> None:
    a, b = 1.0, 1.0 + 1.5e-5  # |a-b| = 1.5e-5: within rtol·max(|a|, |b|) at rtol 1.5e-5
    assert close(a, b, rtol=1.5e-5, atol=0.0) == close(b, a, rtol=1.5e-5, atol=0.0)
    assert not close(a, b, rtol=1e-5, atol=0.0)


def test_close_near_zero_is_decided_by_the_absolute_term() -> None:
    assert close(0.0, 5e-8)  # ATOL 1e-7
    assert not close(0.0, 5e-7)
    assert close(0.0, 5e-7, scale=10.0)  # the same noise on values of size 10


def test_close_with_large_values_scales() -> None:
    big = 1e8
    assert close(big, big * (1 + 5e-6))
    assert not close(big, big * (1 + 5e-5))
    # at scale s the absolute term is atol·s: a 0-entry next to entries of size 1e6
    assert not close([0.0, 1e6], [0.05, 1e6], rtol=1e-5, atol=1e-7)
    assert close([0.0, 1e6], [0.05, 1e6], rtol=1e-5, atol=1e-7, scale=scale_of([0.0, 1e6]))


def test_scale_of_is_at_least_one() -> None:
    assert scale_of([0.1, -0.2]) == 1.0
    assert scale_of([[3.0, -40.0]]) == 40.0
    assert scale_of(np.zeros(0)) == 1.0


def test_close_needs_the_same_shape() -> None:
    assert not close(np.ones(2), np.ones((2, 1)))
    assert close(np.ones((2, 1)), np.ones((2, 1)))


def test_close_non_finite_entries() -> None:
    inf, nan = np.inf, np.nan
    assert close([1.0, inf], [1.0, inf])  # the same infinity
    assert not close([inf], [-inf])
    assert not close([inf], [1.0])  # |inf - 1| <= rtol·inf would hold: not close
    assert not close([1.0], [inf])
    assert not close([nan], [nan])
    assert not close([nan], [1.0])
    assert not close([inf, 1.0], [inf, 2.0])  # the finite entries still count


def test_worst_entry_and_errors() -> None:
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    b = np.array([[1.0, 2.0], [3.2, 4.1]])
    assert worst_entry(a, b) == (1, 0)
    assert worst_entry(1.0, 2.0) == ()
    abs_err, rel_err = errors(a, b)
    assert abs_err == pytest.approx(0.2)
    assert rel_err == pytest.approx(0.2 / 4.1)
    assert errors(np.zeros(3), np.zeros(3)) == (0.0, 0.0)
