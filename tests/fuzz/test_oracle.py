"""The differential test's own parts are checked before they judge matdiff.

Correctness tests of the fuzzer (nothing here asks matdiff for a derivative):
- the generator's text parses with its declarations to the shape the generator meant,
  and a sample of cases covers the whole language;
- the oracle (JAX autodiff of the fuzzer's own translation) agrees with closed forms
  written by hand, in matdiff's value conventions and printed (matrix) forms, and with
  central finite differences of the NumPy translation on random cases;
- the shrinker reduces a failing case to a minimal one.
"""

from __future__ import annotations

import shlex

import numpy as np
import pytest

import matdiff
from matdiff import cli
from matdiff.fuzz import known, numeric, oracle
from matdiff.fuzz.case import Case, random_case
from matdiff.fuzz.expected import expected
from matdiff.fuzz.generator import ELEMENTWISE, binary, call, transpose
from matdiff.fuzz.oracle import Failure, resolve
from matdiff.fuzz.reference import HAVE_JAX
from matdiff.fuzz.shrink import shrink
from matdiff.fuzz.tree import ONE, SCALAR, E, atom, shape_value

needs_jax = pytest.mark.skipif(not HAVE_JAX, reason="the autodiff oracle needs JAX")

N = atom("n")
SIZES = {"n": 3, "m": 4, "p": 2}


def var(name: str, shape) -> E:
    return E("var", shape, (), name)


def case(expr: E, decls: dict, wrt, **kw) -> Case:
    wrt = (wrt,) if isinstance(wrt, str) else tuple(wrt)
    return Case(expr, decls, wrt, sizes=SIZES, seed=kw.pop("seed", 5), **kw)


# ------------------------------------------------------------------------- generator

SAMPLE = [random_case(10_000 + i) for i in range(300)]


def test_generated_text_parses_to_the_generated_shape():
    refused = []
    for c in SAMPLE:
        try:
            node = matdiff.parse(c.text, c.declarations())
        except matdiff.MatdiffError as exc:
            f = Failure("parse", "refused", f"{type(exc).__name__}: {exc}")
            refused.append((c.command(), known.classify(c, f), str(exc).splitlines()[0]))
            continue
        got = tuple(resolve(d, c.sizes) for d in node.shape)
        assert got == shape_value(c.expr.shape, c.sizes), c.command()
    # Only a known open fault class may refuse generated text (issue 9 fault 3).
    assert all(k is not None for _, k, _ in refused), refused


def test_the_sample_covers_the_language():
    text = " ".join(c.text for c in SAMPLE)
    words = [*ELEMENTWISE, "sum(", "tr(", "det(", "logdet(", "inv(", "norm1(", "norm2(",
             "diag(", "vec(", "softmax(", "logsumexp(", "kron(", "expm(", "eye", "vector(",
             "matrix(", "[", ";", ".^", "^", ".*", "./", "'", "/"]
    missing = [w for w in words if w not in text]
    assert not missing, f"never generated: {missing}"
    decls = " ".join(d for c in SAMPLE for d in c.declarations().values())
    for prop in ("symmetric", "spd", "diagonal", "orthogonal", "positive"):
        assert prop in decls, prop
    assert {c.order for c in SAMPLE} == {1, 2, 3}
    assert {c.layout for c in SAMPLE} == {"numerator", "denominator"}
    assert any(c.structured for c in SAMPLE)
    assert any(len(c.wrt) > 1 for c in SAMPLE)
    kinds = {shape_value(c.decls[c.wrt[0]][0], c.sizes)[1] == 1 for c in SAMPLE}
    assert kinds == {True, False}  # by vectors or scalars, and by matrices


def test_commands_are_accepted_by_the_cli(capsys):
    for c in SAMPLE[:3]:
        argv = shlex.split(c.command())[1:] + ["--plain"]
        code = cli.main(argv)
        assert code in (0, 1), c.command()  # 1: matdiff's own error message, no traceback
        capsys.readouterr()


# -------------------------------------------------------------- oracle, closed forms


@needs_jax
def test_gradient_of_a_quadratic_form_has_the_variables_shape():
    x, A = var("x", (N, ONE)), var("A", (N, N))
    f = binary("mul", binary("mul", transpose(x), A), x)
    c = case(f, {"x": ((N, ONE), frozenset()), "A": ((N, N), frozenset())}, "x", order=2)
    v = c.values()
    exp = expected(c)
    a, xv = v["A"], v["x"].reshape(-1)
    np.testing.assert_allclose(exp.laid[0], (a + a.T) @ xv)
    np.testing.assert_allclose(exp.laid[1], a + a.T)
    np.testing.assert_allclose(exp.printed, a + a.T)
    assert exp.form == "jacobian"


@needs_jax
def test_inverse_by_its_matrix_is_minus_kron_in_printed_form():
    X = var("X", (N, N))
    c = case(call("inv", X), {"X": ((N, N), frozenset({"spd"}))}, "X")
    Xi = np.linalg.inv(c.values()["X"])
    exp = expected(c)
    want = -np.einsum("ik,lj->ijkl", Xi, Xi)  # D[i,j,k,l] = dF_ij/dX_kl
    np.testing.assert_allclose(exp.laid[0], want, atol=1e-12)
    np.testing.assert_allclose(exp.printed, -np.kron(Xi.T, Xi), atol=1e-12)
    den = expected(case(call("inv", X), {"X": ((N, N), frozenset({"spd"}))}, "X",
                        layout="denominator"))
    np.testing.assert_allclose(den.laid[0], want.transpose(2, 3, 0, 1), atol=1e-12)
    np.testing.assert_allclose(den.printed, -np.kron(Xi.T, Xi).T, atol=1e-12)


@needs_jax
def test_jacobian_layouts():
    x, A = var("x", (N, ONE)), var("A", (atom("m"), N))
    decls = {"x": ((N, ONE), frozenset()), "A": ((atom("m"), N), frozenset())}
    num = expected(case(binary("mul", A, x), decls, "x"))
    den = expected(case(binary("mul", A, x), decls, "x", layout="denominator"))
    a = case(A, decls, "x").values()["A"]
    np.testing.assert_allclose(num.laid[0], a)
    np.testing.assert_allclose(num.printed, a)
    np.testing.assert_allclose(den.laid[0], a.T)
    np.testing.assert_allclose(den.printed, a.T)


@needs_jax
def test_structured_gradient_of_logdet():
    S = var("S", (N, N))
    decls = {"S": ((N, N), frozenset({"spd"}))}
    c = case(call("logdet", S, shape=SCALAR), decls, "S", structured=True)
    Si = np.linalg.inv(c.values()["S"])
    exp = expected(c)
    want = 2 * Si - np.diag(np.diag(Si))
    np.testing.assert_allclose(exp.laid[0], want, atol=1e-12)
    np.testing.assert_allclose(exp.printed, want, atol=1e-12)


@needs_jax
def test_list_of_scalars():
    a, b = var("a", SCALAR), var("b", SCALAR)
    f = binary("mul", E("pow", SCALAR, (a, E("num", SCALAR, (), 2.0))), b)
    decls = {"a": (SCALAR, frozenset()), "b": (SCALAR, frozenset())}
    c = case(f, decls, ["a", "b"], order=2)
    v = c.values()
    av, bv = float(v["a"][0, 0]), float(v["b"][0, 0])
    exp = expected(c)
    np.testing.assert_allclose(exp.laid[0], [2 * av * bv, av**2])
    np.testing.assert_allclose(exp.laid[1], [[2 * bv, 2 * av], [2 * av, 0]])
    g = expected(case(f, decls, ["a", "b"]))
    np.testing.assert_allclose(g.printed, [[2 * av * bv], [av**2]])


@needs_jax
def test_third_order_by_a_vector_is_the_kronecker_form_of_the_hessian():
    x = var("x", (N, ONE))
    f = call("sum", E("epow", (N, ONE), (x, E("num", SCALAR, (), 3.0))), shape=SCALAR)
    c = case(f, {"x": ((N, ONE), frozenset())}, "x", order=3)
    xv = c.values()["x"].reshape(-1)
    exp = expected(c)
    D3 = np.zeros((3, 3, 3))
    for i in range(3):
        D3[i, i, i] = 6
    np.testing.assert_allclose(exp.laid[2], D3, atol=1e-12)
    np.testing.assert_allclose(exp.laid[1], np.diag(6 * xv), atol=1e-12)
    # M[i + n*j, k] = dH_ij/dx_k with H = diag(6x)
    np.testing.assert_allclose(exp.printed, D3.transpose(1, 0, 2).reshape(9, 3), atol=1e-12)
    assert exp.printed.shape == (9, 3)


# ------------------------------------------------------- oracle, finite differences

KINKS = ("abs", "sign", "relu", "step", "norm1")


def _smooth_cases(count: int):
    out = []
    i = 0
    while len(out) < count:
        c = random_case(20_000 + i, max_depth=3)
        i += 1
        if c.order <= 2 and not any(k + "(" in c.text for k in KINKS):
            out.append(c)
    return out


@needs_jax
@pytest.mark.parametrize("c", _smooth_cases(12), ids=lambda c: c.text[:40])
def test_oracle_agrees_with_finite_differences(c):
    jx = expected(c, "jax")
    fd = expected(c, "fd")
    np.testing.assert_allclose(fd.value, jx.value, rtol=1e-12, atol=1e-12)
    for k, (a, b) in enumerate(zip(fd.laid, jx.laid, strict=True), start=1):
        scale = max(1.0, float(np.max(np.abs(b)))) if np.size(b) else 1.0
        assert np.shape(a) == np.shape(b)
        np.testing.assert_allclose(a, b, rtol=0, atol=numeric.TOLERANCE[k] * 10 * scale,
                                   err_msg=c.command())


# ------------------------------------------------------------------------ shrinking


def test_shrink_finds_the_minimal_failing_expression(monkeypatch):
    """A matdiff that refuses anything with sin in it: the shrinker keeps sin and the
    variable, and drops the rest."""
    real = oracle.derive

    def refusing(c):
        if "sin(" in c.text:
            raise matdiff.DiffError("no sin today")
        return real(c)

    monkeypatch.setattr(oracle, "derive", refusing)
    x, A = var("x", (N, ONE)), var("A", (N, N))
    big = binary("add", call("sum", call("sin", binary("mul", A, x)), shape=SCALAR),
                 call("norm2", call("exp", x), shape=SCALAR))
    c = case(big, {"x": ((N, ONE), frozenset()), "A": ((N, N), frozenset())}, "x")
    result = oracle.run_case(c, checks=("value",), oracle="fd")
    assert result.status == "fail"
    small, f = shrink(c, result.failures[0], oracle="fd")
    assert f.check == "derive" and "no sin today" in f.detail
    assert "sin(" in small.text and small.expr.size < big.size
    assert small.text in ("sum(sin(x))", "sum(sin(A*x))"), small.text


# ------------------------------------------------------------------- known classes


def test_known_classes_match_narrowly(monkeypatch):
    x = var("x", (N, ONE))
    c = case(call("sum", x, shape=SCALAR), {"x": ((N, ONE), frozenset())}, "x")
    refused = Failure("parse", "refused", "ShapeError: cannot multiply [A, B] (p×p+n) by "
                      "[u; v] (n+p)")
    # every class is fixed: none is excused now; the recognisers are checked as they
    # would work were the fixed classes listed again
    assert known.KNOWN == {} and known.classify(c, refused) is None
    monkeypatch.setattr(known, "KNOWN", known.FIXED)
    assert known.classify(c, refused) == "dim-sum-order"
    assert known.classify(c, refused, strict=True) is None
    other_sum = Failure("parse", "refused", "ShapeError: cannot multiply (n+p) by (m+q)")
    assert known.classify(c, other_sum) is None
    printed_zero = Failure("printed", "shape", "re-read as (n, n)", printed="matrix(0)")
    assert known.classify(c, printed_zero) == "unsized-printing"
    # a wrong shape with no fill in the result and a non-constant answer is open
    plain = Failure("numpy", "shape", "order 1: got shape (3,), expected (3, 3)",
                    printed="A*x")
    assert known.classify(c, plain) is None
    plain.fill_like = True
    assert known.classify(c, plain) == "fill-dropped"
    wrong_value = Failure("value", "mismatch", "max error 0.4", printed="A*x")
    assert known.classify(c, wrong_value) is None
