"""Matrix Cookbook (Petersen & Pedersen, Nov 15 2012), sections 2.1-2.8.

Each identity is checked three ways:

- test_value: the engine's value against central finite differences of a plain NumPy
  reference of f, at two sizes, in the layout conventions of SPEC §2 (numerator
  layout: scalar by X has X's shape; F (p×q) by X (m×n) is D[i,j,k,l] = dF_ij/dX_kl);
- test_formula: the engine's value against the Cookbook's closed form in NumPy;
- test_reference_self_check: the Cookbook formula against the finite differences,
  without the engine (guards the tests themselves; also documents where the Cookbook
  itself is wrong, see eq. 92).

Equation numbers follow the 2012 edition (the numbering SymPy's test-suite cites).
Where no number is cited the test names its section. The Cookbook's own layout for
scalar-by-matrix is the lesson's (shape of X), so its formulas apply unchanged.
"""

from __future__ import annotations

import importlib.util
import pathlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest


def _helpers():
    name = "_matdiff_diff_helpers"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, pathlib.Path(__file__).with_name("conftest.py"))
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


H = _helpers()
inv = np.linalg.inv
det = np.linalg.det
tr = np.trace
mp = np.linalg.matrix_power

TWO_SIZES = [{"n": 3, "m": 4, "p": 2}, {"n": 4, "m": 2, "p": 3}]
TALL = [{"n": 2, "m": 4, "p": 3}, {"n": 3, "m": 5, "p": 2}]  # m > n: X (m×n) tall


@dataclass
class Identity:
    id: str  # names the equation, e.g. "eq_100_tr_XA"
    f: str
    wrt: str
    variables: dict[str, str]
    ref: Callable[[dict], Any]
    formula: Callable[[dict], Any] | None = None
    domains: dict[str, str] = field(default_factory=dict)
    sizes: list[dict] = field(default_factory=lambda: TWO_SIZES)
    kwargs: dict[str, Any] = field(default_factory=dict)
    fd: str = "plain"  # "plain", "symmetric" (structured), "diagonal" (structured)


def V(**decls):
    return decls


MN = "matrix m n"
NN = "matrix n n"
MM = "matrix m m"

IDS: list[Identity] = []


def add(*args, **kwargs):
    IDS.append(Identity(*args, **kwargs))


Y = lambda v: v["A"] + v["t"] * v["B"]  # noqa: E731  (the Y(t) of §2.1 / eq. 46 / 59)

# ------------------------------------------------------------------ §2.1 basic rules
# Differentials are checked as derivatives by a scalar t through Y = A + t*B.

add("eq_36_tr_by_scalar", "tr(A + t*B)", "t", V(t="scalar", A=NN, B=NN),
    lambda v: tr(Y(v)), lambda v: tr(v["B"]))
add("eq_37_product_rule", "(A + t*B)*(C + t*D)", "t",
    V(t="scalar", A=MN, B=MN, C="matrix n p", D="matrix n p"),
    lambda v: Y(v) @ (v["C"] + v["t"] * v["D"]),
    lambda v: v["B"] @ (v["C"] + v["t"] * v["D"]) + Y(v) @ v["D"])
add("eq_38_hadamard_product_rule", "(A + t*B) .* (C + t*D)", "t",
    V(t="scalar", A=MN, B=MN, C=MN, D=MN),
    lambda v: Y(v) * (v["C"] + v["t"] * v["D"]),
    lambda v: v["B"] * (v["C"] + v["t"] * v["D"]) + Y(v) * v["D"])
add("eq_39_kronecker_product_rule", "kron(A + t*B, C)", "t",
    V(t="scalar", A=MN, B=MN, C="matrix p p"),
    lambda v: np.kron(Y(v), v["C"]), lambda v: np.kron(v["B"], v["C"]))
add("eq_40_inverse_differential", "inv(A + t*B)", "t", V(t="scalar", A=NN, B=NN),
    lambda v: inv(Y(v)), lambda v: -inv(Y(v)) @ v["B"] @ inv(Y(v)),
    domains={"A": "invertible", "B": "small", "t": "small"})
add("eq_42_det_differential", "det(A + t*B)", "t", V(t="scalar", A=NN, B=NN),
    lambda v: det(Y(v)), lambda v: det(Y(v)) * tr(inv(Y(v)) @ v["B"]),
    domains={"A": "invertible", "B": "small", "t": "small"})
add("eq_43_logdet_differential", "log(det(A + t*B))", "t", V(t="scalar", A=NN, B=NN),
    lambda v: np.log(det(Y(v))), lambda v: tr(inv(Y(v)) @ v["B"]),
    domains={"A": "spd", "B": "small", "t": "small"})
add("eq_44_transpose_differential", "(A + t*B)'", "t", V(t="scalar", A=MN, B=MN),
    lambda v: Y(v).T, lambda v: v["B"].T)

# ------------------------------------------------------------ §2.1.1 determinants

add("eq_49_det_X", "det(X)", "X", V(X=NN), lambda v: det(v["X"]),
    lambda v: det(v["X"]) * inv(v["X"]).T, domains={"X": "invertible"})
add("eq_51_det_AXB", "det(A*X*B)", "X", V(A=NN, X=NN, B=NN),
    lambda v: det(v["A"] @ v["X"] @ v["B"]),
    lambda v: det(v["A"] @ v["X"] @ v["B"]) * inv(v["X"]).T,
    domains={"A": "invertible", "X": "invertible", "B": "invertible"})
add("eq_52_det_XtAX_square", "det(X'*A*X)", "X", V(A=NN, X=NN),
    lambda v: det(v["X"].T @ v["A"] @ v["X"]),
    lambda v: 2 * det(v["X"].T @ v["A"] @ v["X"]) * inv(v["X"]).T,
    domains={"A": "invertible", "X": "invertible"})


def _xtax(v, A=None):
    A = v["A"] if A is None else A
    return v["X"].T @ A @ v["X"]


add("eq_53_det_XtAX_tall_A_symmetric", "det(X'*A*X)", "X", V(A="matrix m m symmetric", X=MN),
    lambda v: det(_xtax(v)),
    lambda v: 2 * det(_xtax(v)) * v["A"] @ v["X"] @ inv(_xtax(v)),
    domains={"A": "spd"}, sizes=TALL)
add("eq_54_det_XtAX_tall_A_general", "det(X'*A*X)", "X", V(A=MM, X=MN),
    lambda v: det(_xtax(v)),
    lambda v: det(_xtax(v)) * (v["A"] @ v["X"] @ inv(_xtax(v))
                               + v["A"].T @ v["X"] @ inv(_xtax(v, v["A"].T))),
    domains={"A": "invertible"}, sizes=TALL)
add("eq_55_logdet_XtX_pinv", "log(det(X'*X))", "X", V(X=MN),
    lambda v: np.log(det(v["X"].T @ v["X"])), lambda v: 2 * np.linalg.pinv(v["X"]).T,
    sizes=TALL)
add("eq_57_log_abs_det", "log(abs(det(X)))", "X", V(X=NN),
    lambda v: np.log(abs(det(v["X"]))), lambda v: inv(v["X"]).T,
    domains={"X": "negdet"})
add("eq_58_det_X_power_k", "det(X^3)", "X", V(X=NN),
    lambda v: det(mp(v["X"], 3)), lambda v: 3 * det(mp(v["X"], 3)) * inv(v["X"]).T,
    domains={"X": "invertible"})

# ---------------------------------------------------------------- §2.2 inverses

add("eq_59_inverse_by_scalar", "inv(A + t*B)", "t", V(t="scalar", A=MM, B=MM),
    lambda v: inv(Y(v)), lambda v: -inv(Y(v)) @ v["B"] @ inv(Y(v)),
    domains={"A": "invertible", "B": "small", "t": "small"})
add("eq_60_inverse_index_form", "inv(X)", "X", V(X=NN), lambda v: inv(v["X"]),
    lambda v: -np.einsum("ik,lj->ijkl", inv(v["X"]), inv(v["X"])),
    domains={"X": "invertible"})
add("eq_61_a_invX_b", "a'*inv(X)*b", "X", V(a="vector n", X=NN, b="vector n"),
    lambda v: v["a"] @ inv(v["X"]) @ v["b"],
    lambda v: -inv(v["X"]).T @ np.outer(v["a"], v["b"]) @ inv(v["X"]).T,
    domains={"X": "invertible"})
add("eq_62_det_invX", "det(inv(X))", "X", V(X=NN), lambda v: det(inv(v["X"])),
    lambda v: -det(inv(v["X"])) * inv(v["X"]).T, domains={"X": "invertible"})
add("eq_63_tr_A_invX_B", "tr(A*inv(X)*B)", "X", V(A=MN, X=NN, B="matrix n m"),
    lambda v: tr(v["A"] @ inv(v["X"]) @ v["B"]),
    lambda v: -(inv(v["X"]) @ v["B"] @ v["A"] @ inv(v["X"])).T,
    domains={"X": "invertible"})
add("eq_64_tr_inv_X_plus_A", "tr(inv(X + A))", "X", V(X=NN, A=NN),
    lambda v: tr(inv(v["X"] + v["A"])),
    lambda v: -(inv(v["X"] + v["A"]) @ inv(v["X"] + v["A"])).T,
    domains={"X": "invertible", "A": "small"})

# ------------------------------------------------- §2.4.1 first-order forms

add("eq_69_xt_a", "x'*a", "x", V(x="vector n", a="vector n"),
    lambda v: v["x"] @ v["a"], lambda v: v["a"])
add("eq_69_at_x", "a'*x", "x", V(x="vector n", a="vector n"),
    lambda v: v["a"] @ v["x"], lambda v: v["a"])
add("eq_70_at_X_b", "a'*X*b", "X", V(a="vector m", X=MN, b="vector n"),
    lambda v: v["a"] @ v["X"] @ v["b"], lambda v: np.outer(v["a"], v["b"]))
add("eq_71_at_Xt_b", "a'*X'*b", "X", V(a="vector n", X=MN, b="vector m"),
    lambda v: v["a"] @ v["X"].T @ v["b"], lambda v: np.outer(v["b"], v["a"]))
add("eq_72_at_X_a", "a'*X*a", "X", V(a="vector n", X=NN),
    lambda v: v["a"] @ v["X"] @ v["a"], lambda v: np.outer(v["a"], v["a"]))
add("eq_72_at_Xt_a", "a'*X'*a", "X", V(a="vector n", X=NN),
    lambda v: v["a"] @ v["X"].T @ v["a"], lambda v: np.outer(v["a"], v["a"]))
add("eq_73_X_by_X", "X", "X", V(X=MN), lambda v: v["X"],
    lambda v: np.einsum("ik,jl->ijkl", np.eye(v["X"].shape[0]), np.eye(v["X"].shape[1])))
add("eq_74_XA_index_form", "X*A", "X", V(X=MN, A="matrix n p"),
    lambda v: v["X"] @ v["A"],
    lambda v: np.einsum("ik,lj->ijkl", np.eye(v["X"].shape[0]), v["A"]))
add("eq_75_XtA_index_form", "X'*A", "X", V(X=MN, A="matrix m p"),
    lambda v: v["X"].T @ v["A"],
    lambda v: np.einsum("il,kj->ijkl", np.eye(v["X"].shape[1]), v["A"]))

# ------------------------------------------------ §2.4.2 second-order forms

add("eq_77_bt_Xt_X_c", "b'*X'*X*c", "X", V(b="vector n", X=MN, c="vector n"),
    lambda v: v["b"] @ v["X"].T @ v["X"] @ v["c"],
    lambda v: v["X"] @ (np.outer(v["b"], v["c"]) + np.outer(v["c"], v["b"])))
add("eq_78_bilinear_affine", "(B*x + b)'*C*(D*x + d)", "x",
    V(x="vector n", B=MN, b="vector m", C="matrix m p", D="matrix p n", d="vector p"),
    lambda v: (v["B"] @ v["x"] + v["b"]) @ v["C"] @ (v["D"] @ v["x"] + v["d"]),
    lambda v: v["B"].T @ v["C"] @ (v["D"] @ v["x"] + v["d"])
    + v["D"].T @ v["C"].T @ (v["B"] @ v["x"] + v["b"]))
add("eq_79_XtBX_index_form", "X'*B*X", "X", V(X=MN, B=MM),
    lambda v: v["X"].T @ v["B"] @ v["X"],
    # d(X'BX)_kl / dX_ij = delta_lj (X'B)_ki + delta_kj (BX)_il, laid out [k,l,i,j]
    lambda v: np.einsum("lj,ki->klij", np.eye(v["X"].shape[1]), v["X"].T @ v["B"])
    + np.einsum("kj,il->klij", np.eye(v["X"].shape[1]), v["B"] @ v["X"]))
add("eq_81_xt_B_x", "x'*B*x", "x", V(x="vector n", B=NN),
    lambda v: v["x"] @ v["B"] @ v["x"], lambda v: (v["B"] + v["B"].T) @ v["x"])
add("eq_82_bt_Xt_D_X_c", "b'*X'*D*X*c", "X", V(b="vector n", X=MN, D=MM, c="vector n"),
    lambda v: v["b"] @ v["X"].T @ v["D"] @ v["X"] @ v["c"],
    lambda v: v["D"].T @ v["X"] @ np.outer(v["b"], v["c"])
    + v["D"] @ v["X"] @ np.outer(v["c"], v["b"]))
add("eq_83_Xb_plus_c_quadratic", "(X*b + c)'*D*(X*b + c)", "X",
    V(X=MN, b="vector n", c="vector m", D=MM),
    lambda v: (v["X"] @ v["b"] + v["c"]) @ v["D"] @ (v["X"] @ v["b"] + v["c"]),
    lambda v: np.outer((v["D"] + v["D"].T) @ (v["X"] @ v["b"] + v["c"]), v["b"]))

W_SYM = "matrix m m symmetric"


def _r(v):
    return v["x"] - v["A"] @ v["s"]


def _wq(v):
    return _r(v) @ v["W"] @ _r(v)


add("eq_84_weighted_ls_by_s", "(x - A*s)'*W*(x - A*s)", "s",
    V(x="vector m", A=MN, s="vector n", W=W_SYM), _wq,
    lambda v: -2 * v["A"].T @ v["W"] @ _r(v))
add("eq_85_weighted_dist_by_x", "(x - s)'*W*(x - s)", "x",
    V(x="vector m", s="vector m", W=W_SYM),
    lambda v: (v["x"] - v["s"]) @ v["W"] @ (v["x"] - v["s"]),
    lambda v: 2 * v["W"] @ (v["x"] - v["s"]))
add("eq_86_weighted_dist_by_s", "(x - s)'*W*(x - s)", "s",
    V(x="vector m", s="vector m", W=W_SYM),
    lambda v: (v["x"] - v["s"]) @ v["W"] @ (v["x"] - v["s"]),
    lambda v: -2 * v["W"] @ (v["x"] - v["s"]))
add("eq_87_weighted_ls_by_x", "(x - A*s)'*W*(x - A*s)", "x",
    V(x="vector m", A=MN, s="vector n", W=W_SYM), _wq,
    lambda v: 2 * v["W"] @ _r(v))
add("eq_88_weighted_ls_by_A", "(x - A*s)'*W*(x - A*s)", "A",
    V(x="vector m", A=MN, s="vector n", W=W_SYM), _wq,
    lambda v: -2 * np.outer(v["W"] @ _r(v), v["s"]))

# --------------------------------------------- §2.4.3 higher order and non-linear


def _eq91(v, k=3):
    X, a, b = v["X"], v["a"], v["b"]
    return sum(mp(X, r).T @ np.outer(a, b) @ mp(X, k - 1 - r).T for r in range(k))


def _eq92_correct(v, k=2):
    """d/dX a'(X^k)'X^k b, derived: sum_r (X^r)' X^k (b a' + a b') (X^(k-1-r))'.

    The Cookbook prints the first term as X^(k-1-r) a b' (X^k)' X^r, the transpose of
    the right term; test_eq_92_cookbook_erratum documents that."""
    X, a, b = v["X"], v["a"], v["b"]
    Xk = mp(X, k)
    return sum(mp(X, r).T @ Xk @ (np.outer(b, a) + np.outer(a, b)) @ mp(X, k - 1 - r).T
               for r in range(k))


add("eq_91_at_X3_b", "a'*X^3*b", "X", V(a="vector n", X=NN, b="vector n"),
    lambda v: v["a"] @ mp(v["X"], 3) @ v["b"], _eq91, domains={"X": "small"})
add("eq_92_at_X2t_X2_b", "a'*(X^2)'*X^2*b", "X", V(a="vector n", X=NN, b="vector n"),
    lambda v: (mp(v["X"], 2) @ v["a"]) @ (mp(v["X"], 2) @ v["b"]), _eq92_correct)
add("eq_93_s_A_r_chain", "exp(x)'*A*(C*x)", "x",
    V(x="vector n", A="matrix n m", C="matrix m n"),
    lambda v: np.exp(v["x"]) @ v["A"] @ (v["C"] @ v["x"]),
    # [ds/dx]' A r + [dr/dx]' A' s  with s = exp(x), r = C x
    lambda v: np.diag(np.exp(v["x"])) @ v["A"] @ v["C"] @ v["x"]
    + v["C"].T @ v["A"].T @ np.exp(v["x"]))


def _rayleigh_grad(v):
    A, B, x = v["A"], v["B"], v["x"]
    num, den = x @ A.T @ A @ x, x @ B.T @ B @ x
    return 2 * A.T @ A @ x / den - 2 * num * B.T @ B @ x / den**2


add("eq_94_generalized_rayleigh_quotient", "((A*x)'*(A*x))/((B*x)'*(B*x))", "x",
    V(x="vector n", A=MN, B=MN),
    lambda v: np.sum((v["A"] @ v["x"]) ** 2) / np.sum((v["B"] @ v["x"]) ** 2),
    _rayleigh_grad)

# ------------------------------------------------------ §2.4.4 gradient and Hessian

add("sec_2_4_4_gradient", "x'*A*x + b'*x", "x", V(x="vector n", A=NN, b="vector n"),
    lambda v: v["x"] @ v["A"] @ v["x"] + v["b"] @ v["x"],
    lambda v: (v["A"] + v["A"].T) @ v["x"] + v["b"])
add("sec_2_4_4_hessian", "x'*A*x + b'*x", "x", V(x="vector n", A=NN, b="vector n"),
    lambda v: v["x"] @ v["A"] @ v["x"] + v["b"] @ v["x"],
    lambda v: v["A"] + v["A"].T, kwargs={"order": 2})

# ------------------------------------------------------------- §2.5 traces

add("sec_2_5_tr_matrix_function_expm", "tr(expm(X))", "X", V(X=NN),
    lambda v: tr(H.expm(v["X"])), lambda v: H.expm(v["X"]).T, domains={"X": "small"})
add("eq_99_tr_X", "tr(X)", "X", V(X=NN), lambda v: tr(v["X"]),
    lambda v: np.eye(v["X"].shape[0]))
add("eq_100_tr_XA", "tr(X*A)", "X", V(X=MN, A="matrix n m"),
    lambda v: tr(v["X"] @ v["A"]), lambda v: v["A"].T)
add("eq_101_tr_AXB", "tr(A*X*B)", "X", V(A="matrix p m", X=MN, B="matrix n p"),
    lambda v: tr(v["A"] @ v["X"] @ v["B"]), lambda v: v["A"].T @ v["B"].T)
add("eq_102_tr_AXtB", "tr(A*X'*B)", "X", V(A="matrix p n", X=MN, B="matrix m p"),
    lambda v: tr(v["A"] @ v["X"].T @ v["B"]), lambda v: v["B"] @ v["A"])
add("eq_103_tr_XtA", "tr(X'*A)", "X", V(X=MN, A=MN),
    lambda v: tr(v["X"].T @ v["A"]), lambda v: v["A"])
add("eq_104_tr_AXt", "tr(A*X')", "X", V(A=MN, X=MN),
    lambda v: tr(v["A"] @ v["X"].T), lambda v: v["A"])
add("eq_105_tr_kron_AX", "tr(kron(A, X))", "X", V(A="matrix p p", X=NN),
    lambda v: tr(np.kron(v["A"], v["X"])), lambda v: tr(v["A"]) * np.eye(v["X"].shape[0]))
add("eq_106_tr_X2", "tr(X^2)", "X", V(X=NN), lambda v: tr(v["X"] @ v["X"]),
    lambda v: 2 * v["X"].T)
add("eq_106_tr_XX", "tr(X*X)", "X", V(X=NN), lambda v: tr(v["X"] @ v["X"]),
    lambda v: 2 * v["X"].T)
add("eq_107_tr_X2B", "tr(X^2*B)", "X", V(X=NN, B=NN),
    lambda v: tr(v["X"] @ v["X"] @ v["B"]),
    lambda v: (v["X"] @ v["B"] + v["B"] @ v["X"]).T)
add("eq_108_tr_XtBX", "tr(X'*B*X)", "X", V(X=MN, B=MM),
    lambda v: tr(v["X"].T @ v["B"] @ v["X"]), lambda v: (v["B"] + v["B"].T) @ v["X"])
add("eq_109_tr_BXXt", "tr(B*X*X')", "X", V(X=MN, B=MM),
    lambda v: tr(v["B"] @ v["X"] @ v["X"].T), lambda v: (v["B"] + v["B"].T) @ v["X"])
add("eq_110_tr_XXtB", "tr(X*X'*B)", "X", V(X=MN, B=MM),
    lambda v: tr(v["X"] @ v["X"].T @ v["B"]), lambda v: (v["B"] + v["B"].T) @ v["X"])
add("eq_111_tr_XBXt", "tr(X*B*X')", "X", V(X=MN, B=NN),
    lambda v: tr(v["X"] @ v["B"] @ v["X"].T), lambda v: v["X"] @ (v["B"].T + v["B"]))
add("eq_112_tr_BXtX", "tr(B*X'*X)", "X", V(X=MN, B=NN),
    lambda v: tr(v["B"] @ v["X"].T @ v["X"]), lambda v: v["X"] @ (v["B"].T + v["B"]))
add("eq_113_tr_XtXB", "tr(X'*X*B)", "X", V(X=MN, B=NN),
    lambda v: tr(v["X"].T @ v["X"] @ v["B"]), lambda v: v["X"] @ (v["B"].T + v["B"]))
add("eq_114_tr_AXBX", "tr(A*X*B*X)", "X", V(A="matrix n m", X=MN, B="matrix n m"),
    lambda v: tr(v["A"] @ v["X"] @ v["B"] @ v["X"]),
    lambda v: v["A"].T @ v["X"].T @ v["B"].T + v["B"].T @ v["X"].T @ v["A"].T)
add("eq_115_tr_XtX", "tr(X'*X)", "X", V(X=MN), lambda v: tr(v["X"].T @ v["X"]),
    lambda v: 2 * v["X"])
add("eq_115_tr_XXt", "tr(X*X')", "X", V(X=MN), lambda v: tr(v["X"] @ v["X"].T),
    lambda v: 2 * v["X"])
add("eq_116_tr_BtXtCXB", "tr(B'*X'*C*X*B)", "X", V(B="matrix n p", X=MN, C=MM),
    lambda v: tr(v["B"].T @ v["X"].T @ v["C"] @ v["X"] @ v["B"]),
    lambda v: (v["C"].T + v["C"]) @ v["X"] @ v["B"] @ v["B"].T)
add("eq_117_tr_XtBXC", "tr(X'*B*X*C)", "X", V(X=MN, B=MM, C=NN),
    lambda v: tr(v["X"].T @ v["B"] @ v["X"] @ v["C"]),
    lambda v: v["B"] @ v["X"] @ v["C"] + v["B"].T @ v["X"] @ v["C"].T)
add("eq_118_tr_AXBXtC", "tr(A*X*B*X'*C)", "X",
    V(A="matrix p m", X=MN, B=NN, C="matrix m p"),
    lambda v: tr(v["A"] @ v["X"] @ v["B"] @ v["X"].T @ v["C"]),
    lambda v: v["A"].T @ v["C"].T @ v["X"] @ v["B"].T + v["C"] @ v["A"] @ v["X"] @ v["B"])


def _axbc(v):
    return v["A"] @ v["X"] @ v["B"] + v["C"]


add("eq_119_tr_AXBplusC_squared", "tr((A*X*B + C)*(A*X*B + C)')", "X",
    V(A="matrix p m", X=MN, B="matrix n p", C="matrix p p"),
    lambda v: tr(_axbc(v) @ _axbc(v).T),
    lambda v: 2 * v["A"].T @ _axbc(v) @ v["B"].T)
add("eq_120_tr_kron_XX", "tr(kron(X, X))", "X", V(X=NN),
    lambda v: tr(np.kron(v["X"], v["X"])), lambda v: 2 * tr(v["X"]) * np.eye(len(v["X"])))
add("eq_120_trX_times_trX", "tr(X)*tr(X)", "X", V(X=NN),
    lambda v: tr(v["X"]) ** 2, lambda v: 2 * tr(v["X"]) * np.eye(len(v["X"])))
add("eq_121_tr_Xk", "tr(X^3)", "X", V(X=NN), lambda v: tr(mp(v["X"], 3)),
    lambda v: 3 * mp(v["X"], 2).T)
add("eq_122_tr_AXk", "tr(A*X^3)", "X", V(A=NN, X=NN),
    lambda v: tr(v["A"] @ mp(v["X"], 3)),
    lambda v: sum((mp(v["X"], r) @ v["A"] @ mp(v["X"], 2 - r)).T for r in range(3)))


def _eq123(v):
    B, X, C = v["B"], v["X"], v["C"]
    return (C @ X @ X.T @ C @ X @ B @ B.T + C.T @ X @ B @ B.T @ X.T @ C.T @ X
            + C @ X @ B @ B.T @ X.T @ C @ X + C.T @ X @ X.T @ C.T @ X @ B @ B.T)


add("eq_123_tr_BtXtCXXtCXB", "tr(B'*X'*C*X*X'*C*X*B)", "X",
    V(B="matrix n p", X=MN, C=MM),
    lambda v: tr(v["B"].T @ v["X"].T @ v["C"] @ v["X"] @ v["X"].T @ v["C"] @ v["X"]
                 @ v["B"]),
    _eq123, domains={"X": "small"})
add("eq_124_tr_A_invX_B", "tr(A*inv(X)*B)", "X", V(A=MN, X=NN, B="matrix n m"),
    lambda v: tr(v["A"] @ inv(v["X"]) @ v["B"]),
    lambda v: -inv(v["X"]).T @ v["A"].T @ v["B"].T @ inv(v["X"]).T,
    domains={"X": "invertible"})


def _xcx(v):
    return v["X"].T @ v["C"] @ v["X"]


add("eq_125_tr_inv_XtCX_A", "tr(inv(X'*C*X)*A)", "X",
    V(X=MN, C="matrix m m symmetric", A=NN),
    lambda v: tr(inv(_xcx(v)) @ v["A"]),
    lambda v: -(v["C"] @ v["X"] @ inv(_xcx(v))) @ (v["A"] + v["A"].T) @ inv(_xcx(v)),
    domains={"C": "spd"}, sizes=TALL)
add("eq_126_tr_inv_XtCX_XtBX", "tr(inv(X'*C*X)*(X'*B*X))", "X",
    V(X=MN, C="matrix m m symmetric", B="matrix m m symmetric"),
    lambda v: tr(inv(_xcx(v)) @ v["X"].T @ v["B"] @ v["X"]),
    lambda v: -2 * v["C"] @ v["X"] @ inv(_xcx(v)) @ v["X"].T @ v["B"] @ v["X"]
    @ inv(_xcx(v)) + 2 * v["B"] @ v["X"] @ inv(_xcx(v)),
    domains={"C": "spd"}, sizes=TALL)


def _acx(v):
    return inv(v["A"] + _xcx(v))


add("eq_127_tr_inv_A_XtCX_XtBX", "tr(inv(A + X'*C*X)*(X'*B*X))", "X",
    V(X=MN, C="matrix m m symmetric", B="matrix m m symmetric", A="matrix n n symmetric"),
    lambda v: tr(_acx(v) @ v["X"].T @ v["B"] @ v["X"]),
    lambda v: -2 * v["C"] @ v["X"] @ _acx(v) @ v["X"].T @ v["B"] @ v["X"] @ _acx(v)
    + 2 * v["B"] @ v["X"] @ _acx(v),
    domains={"C": "spd", "A": "spd"}, sizes=TALL)

# ------------------------------------------------------------- §2.6 vector norms

add("eq_129_norm2_x_minus_a", "norm2(x - a)", "x", V(x="vector n", a="vector n"),
    lambda v: np.linalg.norm(v["x"] - v["a"]),
    lambda v: (v["x"] - v["a"]) / np.linalg.norm(v["x"] - v["a"]))


def _eq130(v):
    r = v["x"] - v["a"]
    nr = np.linalg.norm(r)
    return np.eye(len(r)) / nr - np.outer(r, r) / nr**3


add("eq_130_normalized_difference_jacobian", "(x - a)/norm2(x - a)", "x",
    V(x="vector n", a="vector n"),
    lambda v: (v["x"] - v["a"]) / np.linalg.norm(v["x"] - v["a"]), _eq130)
add("eq_131_norm2_x_squared", "norm2(x)^2", "x", V(x="vector n"),
    lambda v: v["x"] @ v["x"], lambda v: 2 * v["x"])
add("eq_131_xt_x", "x'*x", "x", V(x="vector n"), lambda v: v["x"] @ v["x"],
    lambda v: 2 * v["x"])

# ------------------------------------------------------------- §2.7 matrix norms

add("eq_132_frobenius_squared", "norm2(X)^2", "X", V(X=MN),
    lambda v: np.sum(v["X"] ** 2), lambda v: 2 * v["X"])
add("eq_132_frobenius", "norm2(X)", "X", V(X=MN),
    lambda v: np.linalg.norm(v["X"]), lambda v: v["X"] / np.linalg.norm(v["X"]))

# ------------------------------------------------------- §2.8 structured matrices

SYM = "matrix n n symmetric"
add("eq_139_tr_AX_symmetric", "tr(A*X)", "X", V(A=NN, X=SYM),
    lambda v: tr(v["A"] @ v["X"]),
    lambda v: v["A"] + v["A"].T - v["A"] * np.eye(len(v["A"])),
    kwargs={"structured": True}, fd="symmetric")
add("eq_140_det_symmetric", "det(X)", "X", V(X=SYM), lambda v: det(v["X"]),
    lambda v: det(v["X"]) * (2 * inv(v["X"]) - inv(v["X"]) * np.eye(len(v["X"]))),
    domains={"X": "spd"}, kwargs={"structured": True}, fd="symmetric")
add("eq_141_logdet_symmetric", "log(det(X))", "X", V(X=SYM),
    lambda v: np.log(det(v["X"])),
    lambda v: 2 * inv(v["X"]) - inv(v["X"]) * np.eye(len(v["X"])),
    domains={"X": "spd"}, kwargs={"structured": True}, fd="symmetric")
add("eq_138_at_X_b_symmetric", "a'*X*b", "X", V(a="vector n", X=SYM, b="vector n"),
    lambda v: v["a"] @ v["X"] @ v["b"],
    lambda v: (np.outer(v["a"], v["b"]) + np.outer(v["b"], v["a"])
               - np.diag(v["a"] * v["b"])),
    kwargs={"structured": True}, fd="symmetric")
add("eq_142_tr_AX_diagonal", "tr(A*X)", "X", V(A=NN, X="matrix n n diagonal"),
    lambda v: tr(v["A"] @ v["X"]), lambda v: v["A"] * np.eye(len(v["A"])),
    kwargs={"structured": True}, fd="diagonal")

# ------------------------------------------- elementwise functions and exponentials
# Not Cookbook §2 equations: §2.1 eq. 38 (Hadamard products) applied to elementwise
# functions, and the matrix exponential of the lesson (§2) / MATH.md.

add("elementwise_sum_exp_X", "sum(exp(X))", "X", V(X=MN),
    lambda v: np.sum(np.exp(v["X"])), lambda v: np.exp(v["X"]))
add("elementwise_sum_log_X", "sum(log(X))", "X", V(X="matrix m n positive"),
    lambda v: np.sum(np.log(v["X"])), lambda v: 1 / v["X"])
add("elementwise_sum_sqrt_X", "sum(sqrt(X))", "X", V(X="matrix m n positive"),
    lambda v: np.sum(np.sqrt(v["X"])), lambda v: 0.5 / np.sqrt(v["X"]))
add("elementwise_a_sinX_b", "a'*sin(X)*b", "X", V(a="vector m", X=MN, b="vector n"),
    lambda v: v["a"] @ np.sin(v["X"]) @ v["b"],
    lambda v: np.outer(v["a"], v["b"]) * np.cos(v["X"]))
add("elementwise_tanh_Ax_jacobian", "tanh(A*x)", "x", V(A=MN, x="vector n"),
    lambda v: np.tanh(v["A"] @ v["x"]),
    lambda v: np.diag(1 - np.tanh(v["A"] @ v["x"]) ** 2) @ v["A"])
add("elementwise_x_square_jacobian", "x .* x", "x", V(x="vector n"),
    lambda v: v["x"] * v["x"], lambda v: np.diag(2 * v["x"]))
add("elementwise_x_power_3_jacobian", "x.^3", "x", V(x="vector n"),
    lambda v: v["x"] ** 3, lambda v: np.diag(3 * v["x"] ** 2))
add("elementwise_sigmoid_jacobian", "sigmoid(x)", "x", V(x="vector n"),
    lambda v: H.sigmoid(v["x"]),
    lambda v: np.diag(H.sigmoid(v["x"]) * (1 - H.sigmoid(v["x"]))))
add("elementwise_x_over_y_by_y", "x ./ y", "y", V(x="vector n", y="vector n positive"),
    lambda v: v["x"] / v["y"], lambda v: np.diag(-v["x"] / v["y"] ** 2))
add("elementwise_arctan_scalar_chain", "sum(arctan(a*x))", "a", V(a="scalar", x="vector n"),
    lambda v: np.sum(np.arctan(v["a"] * v["x"])),
    lambda v: np.sum(v["x"] / (1 + (v["a"] * v["x"]) ** 2)))
add("logsumexp_gradient", "logsumexp(x)", "x", V(x="vector n"),
    lambda v: np.log(np.sum(np.exp(v["x"]))), lambda v: H.softmax(v["x"]))
add("softmax_jacobian", "softmax(x)", "x", V(x="vector n"),
    lambda v: H.softmax(v["x"]),
    lambda v: np.diag(H.softmax(v["x"])) - np.outer(H.softmax(v["x"]), H.softmax(v["x"])))
add("norm1_gradient", "norm1(x)", "x", V(x="vector n"),
    lambda v: np.sum(np.abs(v["x"])), lambda v: np.sign(v["x"]))
add("expm_tA_by_t", "expm(t*A)", "t", V(t="scalar", A=NN),
    lambda v: H.expm(v["t"] * v["A"]), lambda v: v["A"] @ H.expm(v["t"] * v["A"]),
    domains={"A": "small"})
add("expm_tA_x0_by_t", "expm(t*A)*x0", "t", V(t="scalar", A=NN, x0="vector n"),
    lambda v: H.expm(v["t"] * v["A"]) @ v["x0"],
    lambda v: v["A"] @ H.expm(v["t"] * v["A"]) @ v["x0"], domains={"A": "small"})
add("exp_scalar_quadratic", "exp(-0.5*x'*S*x)", "x", V(x="vector n", S="matrix n n spd"),
    lambda v: np.exp(-0.5 * v["x"] @ v["S"] @ v["x"]),
    lambda v: -np.exp(-0.5 * v["x"] @ v["S"] @ v["x"]) * v["S"] @ v["x"],
    domains={"x": "small"})

IDS_BY_NAME = {c.id: c for c in IDS}
assert len(IDS_BY_NAME) == len(IDS), "duplicate identity ids"
PARAMS = [pytest.param(c, id=c.id) for c in IDS]
WITH_FORMULA = [pytest.param(c, id=c.id) for c in IDS if c.formula is not None]


def _values(c: Identity, sizes, seed):
    return H.sample(np.random.default_rng(seed), c.variables, sizes, c.domains)


def _fd(c: Identity, vals):
    def f_of(w):
        return c.ref({**vals, c.wrt: w})

    if c.kwargs.get("order", 1) == 2:
        return H.numhess(f_of, vals[c.wrt])
    if c.fd == "symmetric":
        return H.numdiff_symmetric(f_of, vals[c.wrt])
    if c.fd == "diagonal":
        return H.numdiff_diagonal(f_of, vals[c.wrt])
    return H.numdiff(f_of, vals[c.wrt])


def _derive(c: Identity):
    return H.derive(c.f, c.wrt, c.variables, **c.kwargs)


@pytest.mark.parametrize("c", PARAMS)
def test_value(c: Identity):
    d = _derive(c)
    for k, sizes in enumerate(c.sizes):
        vals = _values(c, sizes, 1000 + k)
        H.assert_close(H.evaluate(d, vals), _fd(c, vals),
                       what=f"{c.id}: d/d{c.wrt} {c.f} vs FD at sizes {sizes}")


@pytest.mark.parametrize("c", WITH_FORMULA)
def test_formula(c: Identity):
    d = _derive(c)
    vals = _values(c, c.sizes[0], 2000)
    H.assert_close(H.evaluate(d, vals), c.formula(vals), rtol=1e-8,
                   what=f"{c.id}: d/d{c.wrt} {c.f} vs the Cookbook formula")


@pytest.mark.parametrize("c", WITH_FORMULA)
def test_reference_self_check(c: Identity):
    """No engine: the Cookbook formula agrees with finite differences of the reference
    (so a failure of test_value/test_formula is the engine's, not the test's)."""
    for k, sizes in enumerate(c.sizes):
        vals = _values(c, sizes, 3000 + k)
        H.assert_close(c.formula(vals), _fd(c, vals), what=f"{c.id} self-check")


def test_eq_92_cookbook_erratum():
    """Cookbook eq. 92 prints the first term as X^(n-1-r) a b' (X^n)' X^r; FD says its
    transpose (X^r)' X^n b a' (X^(n-1-r))' is right. Kept to justify _eq92_correct."""
    rng = np.random.default_rng(92)
    X, a, b = rng.standard_normal((3, 3)), rng.standard_normal(3), rng.standard_normal(3)
    v = {"X": X, "a": a, "b": b}
    fd = H.numdiff(lambda Z: (mp(Z, 2) @ a) @ (mp(Z, 2) @ b), X)
    printed = sum(mp(X, 1 - r) @ np.outer(a, b) @ mp(X, 2).T @ mp(X, r)
                  + mp(X, r).T @ mp(X, 2) @ np.outer(a, b) @ mp(X, 1 - r).T for r in range(2))
    H.assert_close(_eq92_correct(v), fd)
    assert not np.allclose(printed, fd, rtol=1e-4)


# Printed forms for a handful of the classic ones (the rest are covered by value).

FORMS = {
    "eq_99_tr_X": ("eye", "eye(n)",),
    "eq_100_tr_XA": ("A'",),
    "eq_101_tr_AXB": ("A'*B'", "(B*A)'"),
    "eq_102_tr_AXtB": ("B*A",),
    "eq_103_tr_XtA": ("A",),
    "eq_104_tr_AXt": ("A",),
    "eq_106_tr_X2": ("2*X'",),
    "eq_108_tr_XtBX": ("(B + B')*X", "(B' + B)*X", "B*X + B'*X"),
    "eq_111_tr_XBXt": ("X*(B + B')", "X*(B' + B)", "X*B + X*B'", "X*B' + X*B"),
    "eq_115_tr_XtX": ("2*X",),
    "eq_115_tr_XXt": ("2*X",),
    "eq_69_xt_a": ("a",),
    "eq_70_at_X_b": ("a*b'",),
    "eq_71_at_Xt_b": ("b*a'",),
    "eq_72_at_X_a": ("a*a'",),
    "eq_81_xt_B_x": ("(B + B')*x", "(B' + B)*x", "B*x + B'*x"),
    "eq_49_det_X": ("det(X)*inv(X)'", "det(X)*inv(X')"),
    "eq_61_a_invX_b": ("-inv(X)'*a*b'*inv(X)'", "-inv(X')*a*b'*inv(X')"),
    "eq_131_xt_x": ("2*x",),
    "eq_132_frobenius_squared": ("2*X",),
    "eq_141_logdet_symmetric": ("2*inv(X) - diag(diag(inv(X)))",
                                "-diag(diag(inv(X))) + 2*inv(X)"),
    "sec_2_4_4_hessian": ("A + A'", "A' + A"),
    "logsumexp_gradient": ("softmax(x)",),
    # Printed results that should come out simplified (a person writes the Cookbook's
    # form; MATH.md: collect common factors, recognise equal terms).
    "eq_54_det_XtAX_tall_A_general": (
        "det(X'*A*X)*(A*X*inv(X'*A*X) + A'*X*inv(X'*A*X)')",
        "det(X'*A*X)*(A*X*inv(X'*A*X) + A'*X*inv(X'*A'*X))",
        "det(X'*A*X)*(A'*X*inv(X'*A*X)' + A*X*inv(X'*A*X))",
    ),
    "eq_57_log_abs_det": ("inv(X)'", "inv(X')"),
    "eq_58_det_X_power_k": ("3*det(X^3)*inv(X)'", "3*det(X^3)*inv(X')", "3*det(X)^3*inv(X)'"),
    "eq_62_det_invX": ("-inv(X)'/det(X)", "-det(inv(X))*inv(X)'", "-det(inv(X))*inv(X')"),
    "eq_121_tr_Xk": ("3*(X^2)'", "3*X'*X'", "3*(X*X)'", "3*X'^2"),
}


@pytest.mark.parametrize("name", sorted(FORMS))
def test_form(name):
    H.assert_form(_derive(IDS_BY_NAME[name]), *FORMS[name])


@pytest.mark.parametrize("c", PARAMS)
def test_pasteable(c: Identity):
    """SPEC §3: the plain-text result is in the input language and can be pasted back.
    Every identity of the cookbook has a matrix form to paste."""
    d = _derive(c)
    assert d.expr is not None, f"no matrix form printed for {c.id}: {d}"
    H.assert_pasteable(d, c.variables, _values(c, c.sizes[0], 4000))


SCALAR_GRADIENTS = [
    pytest.param(c, id=c.id) for c in IDS
    if c.kwargs.get("order", 1) == 1
    and np.ndim(c.ref(_values(c, c.sizes[0], 0))) == 0
    and not c.variables[c.wrt].startswith("scalar")
]


@pytest.mark.parametrize("c", SCALAR_GRADIENTS)
def test_scalar_gradient_has_matrix_form(c: Identity):
    """MATH.md: gradients of scalar functions always have a matrix form; SPEC §2: print
    it whenever it exists (d.expr is None only where no matrix form exists)."""
    d = _derive(c)
    assert getattr(d, "expr", None) is not None, (
        f"{c.id}: no matrix form for the gradient of {c.f}; printed {d}")
