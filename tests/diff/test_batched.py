"""The batched forms with MATLAB's dim (issue 11, item 6), end to end.

Correctness tests: values of `sum(X, dim)`, `mean`, `softmax(Z, dim)`,
`logsumexp(Z, dim)` against NumPy written out here (axis = dim - 1); derivatives through
them against central finite differences of the function (the engine's evaluator only
evaluates the function, the reference is the difference quotient) and, for the batched
cross-entropy, against the closed form (softmax(W*X) - Y)*X' computed in NumPy.
Printed-form tests check the text separately from the values; paste-back tests parse
the printed result again. Consistency checks (marked so in their docstrings) compare
generated code with the engine's own evaluator.
"""

from __future__ import annotations

import numpy as np
import pytest

import matdiff
from matdiff.backends.codegen import compile_function
from matdiff.backends.latex import to_latex
from matdiff.backends.text import to_text
from matdiff.backends.unicode import to_unicode
from matdiff.errors import InputValueError, MatdiffError
from matdiff.ir import build as b
from matdiff.parse import parse

RNG = np.random.default_rng(20261201)


def softmax_cols(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=0))
    return e / e.sum(axis=0)


def onehot_cols(m: int, p: int, rng: np.random.Generator) -> np.ndarray:
    y = np.zeros((m, p))
    y[rng.integers(m, size=p), np.arange(p)] = 1.0
    return y


# ------------------------------------------------------------------------ values

X34 = RNG.normal(size=(3, 4))
VALUE_CASES = [
    ("sum(X, 1)", lambda X: X.sum(axis=0)),
    ("sum(X, 2)", lambda X: X.sum(axis=1)),
    ("sum(X)", lambda X: X.sum()),
    ("mean(X)", lambda X: X.mean()),
    ("mean(X, 1)", lambda X: X.mean(axis=0)),
    ("mean(X, 2)", lambda X: X.mean(axis=1)),
    ("softmax(X, 1)", softmax_cols),
    ("softmax(X, 2)", lambda X: softmax_cols(X.T).T),
    ("logsumexp(X, 1)", lambda X: np.log(np.exp(X).sum(axis=0))),
    ("logsumexp(X, 2)", lambda X: np.log(np.exp(X).sum(axis=1))),
    ("logsumexp(X)", lambda X: np.log(np.exp(X).sum())),
    ("sum(X', 2)", lambda X: X.sum(axis=0)),
    ("sum(X, 1)'", lambda X: X.sum(axis=0)),
    ("softmax(X', 1)", lambda X: softmax_cols(X.T)),
]


@pytest.mark.parametrize("text,ref", VALUE_CASES, ids=[c[0] for c in VALUE_CASES])
def test_value_against_numpy(text, ref):
    """Correctness: each batched form's value against NumPy's axis = dim - 1."""
    got = matdiff.evaluate(text, {"X": X34})
    np.testing.assert_allclose(np.ravel(got), np.ravel(ref(X34)), rtol=1e-12, atol=1e-12)


def test_symbolic_mean_counts_entries():
    """Correctness: mean with symbolic sizes divides by the count at evaluation."""
    got = matdiff.evaluate("mean(X, 2)", {"X": X34}, variables={"X": "matrix m n"})
    np.testing.assert_allclose(got, X34.mean(axis=1), rtol=1e-12)


def test_large_logits_do_not_overflow():
    """Correctness: the per-column softmax and logsumexp are max-shifted."""
    z = np.array([[1000.0, -1000.0], [1001.0, -999.0]])
    np.testing.assert_allclose(matdiff.evaluate("softmax(Z, 1)", {"Z": z}),
                               softmax_cols(z - z.max(axis=0)), rtol=1e-12)
    np.testing.assert_allclose(matdiff.evaluate("logsumexp(Z, 1)", {"Z": z}),
                               [1001 + np.log1p(np.exp(-1)), -999 + np.log1p(np.exp(-1))])


# -------------------------------------------------------------------- derivatives

def _fd_gradient(f, X, h=1e-6):
    g = np.zeros_like(X)
    for idx in np.ndindex(*X.shape):
        e = np.zeros_like(X)
        e[idx] = h
        g[idx] = (f(X + e) - f(X - e)) / (2 * h)
    return g


GRAD_CASES = [
    # (expression, wrt, declarations, shapes of the variables)
    ("-sum(Y .* log(softmax(W*X, 1)))", "W", {"Y": "matrix onehot"},
     {"W": (3, 4), "X": (4, 5), "Y": (3, 5)}),
    ("-sum(Y .* log(softmax(W*X, 1)))", "W", {}, {"W": (3, 4), "X": (4, 5), "Y": (3, 5)}),
    ("sum(softmax(Q*K', 2) .* V)", "Q", {}, {"Q": (4, 3), "K": (5, 3), "V": (4, 5)}),
    ("sum((softmax(Q*K', 2)*V) .* G)", "Q", {},
     {"Q": (4, 3), "K": (5, 3), "V": (5, 2), "G": (4, 2)}),
    ("sum((softmax(Q*K', 2)*V) .* G)", "K", {},
     {"Q": (4, 3), "K": (5, 3), "V": (5, 2), "G": (4, 2)}),
    ("sum(logsumexp(W*X, 1))", "W", {}, {"W": (3, 4), "X": (4, 5)}),
    ("sum(logsumexp(Z, 2) .^ 2)", "Z", {}, {"Z": (3, 4)}),
    ("sum(Z, 1)*sum(Z, 2)*c", "Z", {"c": "scalar"}, {"Z": (3, 3), "c": (1, 1)}),
    ("mean(X)^2 + mean(X, 1)*u", "X", {}, {"X": (3, 4), "u": (4, 1)}),
    ("v'*mean(X .^ 2, 2)", "X", {}, {"X": (3, 4), "v": (3, 1)}),
    ("u'*softmax(Z, 1)*v", "Z", {}, {"Z": (3, 4), "u": (3, 1), "v": (4, 1)}),
]


def _values(shapes, decls, rng):
    vals = {}
    for name, shape in shapes.items():
        if "onehot" in decls.get(name, ""):
            vals[name] = onehot_cols(*shape, rng)
        elif name == "Y":
            vals[name] = rng.uniform(0.1, 1.0, shape)
        else:
            vals[name] = rng.normal(size=shape)
    return vals


@pytest.mark.parametrize("text,wrt,decls,shapes", GRAD_CASES,
                         ids=[f"{c[0]} by {c[1]}{' ' + str(c[2]) if c[2] else ''}"
                              for c in GRAD_CASES])
def test_gradient_against_finite_differences(text, wrt, decls, shapes):
    """Correctness: the gradient's value against central differences of the function."""
    d = matdiff.derivative(text, wrt, variables=decls)
    rng = np.random.default_rng(5)
    for _ in range(2):
        vals = _values(shapes, decls, rng)

        def f(W, vals=vals):
            return float(matdiff.evaluate(text, dict(vals, **{wrt: W}), variables=decls))

        want = _fd_gradient(f, vals[wrt])
        got = np.reshape(matdiff.evaluate(d.expr, vals), want.shape)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


def test_batched_cross_entropy_against_closed_form():
    """Correctness: (softmax(W*X) - Y)*X' computed in NumPy, for one-hot columns."""
    d = matdiff.derivative("-sum(Y .* log(softmax(W*X, 1)))", "W",
                           variables={"Y": "matrix onehot"})
    rng = np.random.default_rng(1)
    W, X = rng.normal(size=(3, 4)), rng.normal(size=(4, 6))
    Y = onehot_cols(3, 6, rng)
    want = (softmax_cols(W @ X) - Y) @ X.T
    got = matdiff.evaluate(d.expr, {"W": W, "X": X, "Y": Y})
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_jacobian_of_column_softmax_by_a_column():
    """Correctness: the Jacobian of softmax(z, 1) = softmax(z) is diag(s) - s*s'."""
    d = matdiff.derivative("softmax(z, 1)", "z")
    z = np.array([0.3, -1.2, 2.0])
    s = np.exp(z) / np.exp(z).sum()
    np.testing.assert_allclose(matdiff.evaluate(d.expr, {"z": z}),
                               np.diag(s) - np.outer(s, s), rtol=1e-12)


# ------------------------------------------------------------------ printed forms

def test_batched_cross_entropy_prints_as_the_textbook():
    """Printed form: the one-hot declaration gives (softmax(W*X, 1) - Y)*X'."""
    d = matdiff.derivative("-sum(Y .* log(softmax(W*X, 1)))", "W",
                           variables={"Y": "matrix onehot"})
    assert str(d.expr) == "(softmax(W*X, 1) - Y)*X'"


def test_batched_cross_entropy_without_declaration_keeps_the_column_sums():
    """Printed form: without onehot the column sums of Y stay, written sum(Y, 1)."""
    d = matdiff.derivative("-sum(Y .* log(softmax(W*X, 1)))", "W")
    assert str(d.expr) == "(softmax(W*X, 1) .* (vector(1)*sum(Y, 1)) - Y)*X'"


@pytest.mark.parametrize("text,printed", [
    ("sum(X, 1)", "sum(X, 1)"),
    ("sum(X, 2)", "sum(X, 2)"),
    ("sum(X', 1)", "sum(X, 2)'"),
    ("sum(X, 1)'", "sum(X, 1)'"),
    ("sum(x, 1)", "sum(x)"),
    ("sum(x', 2)", "sum(x)"),
    ("sum(x, 2)", "x"),
    ("softmax(z, 1)", "softmax(z)"),
    ("softmax(z', 2)", "softmax(z)'"),
    ("softmax(Q*K', 2)", "softmax(Q*K', 2)"),
    ("logsumexp(Z, 2)", "logsumexp(Z, 2)"),
    ("logsumexp(z, 1)", "logsumexp(z)"),
    ("sum(3*X, 1)", "3*sum(X, 1)"),
    ("mean(X, 1)", "sum(X, 1)/sum(ones(n, 1))"),
])
def test_printed_text(text, printed):
    """Printed form: the folds of the builders, in the input language."""
    assert to_text(parse(text)) == printed


def test_latex_and_unicode():
    """Printed form: LaTeX and Unicode write the dim as MATLAB does."""
    e = parse("softmax(W*X, 1)")
    assert to_latex(e) == r"\operatorname{softmax}\left(W X, 1\right)"
    assert to_unicode(e) == "softmax(WX, 1)"
    assert to_latex(parse("sum(X, 2)")) == r"\operatorname{sum}\left(X, 2\right)"


@pytest.mark.parametrize("text,wrt,decls", [
    ("-sum(Y .* log(softmax(W*X, 1)))", "W", {"Y": "matrix onehot"}),
    ("-sum(Y .* log(softmax(W*X, 1)))", "W", {}),
    ("sum(softmax(Q*K', 2) .* V)", "Q", {}),
    ("sum(logsumexp(Z, 2) .^ 2)", "Z", {}),
])
def test_printed_result_pastes_back(text, wrt, decls):
    """Paste-back: the printed gradient parses to the same expression."""
    d = matdiff.derivative(text, wrt, variables=decls)
    env = matdiff.variables_of(text, decls)
    # the variables as the derivative has them: sizes and properties declared
    declared = {name: " ".join(["matrix", *map(str, v.shape), *sorted(v.arg.props)])
                for name, v in env.items()}
    back = parse(str(d.expr), declared)
    assert back is d.expr, (str(back), str(d.expr))


# ------------------------------------------------------------------ generated code

@pytest.mark.parametrize("backend", ["numpy", "jax", "torch"])
def test_generated_gradient_matches_the_evaluator(backend):
    """Consistency check: generated code against the engine's evaluator."""
    module = pytest.importorskip({"numpy": "numpy", "jax": "jax", "torch": "torch"}[backend])
    if backend == "jax":
        module.config.update("jax_enable_x64", True)  # as tests/backends/test_codegen.py
    d = matdiff.derivative("-sum(Y .* log(softmax(W*X, 1))) + sum(logsumexp(W*X, 2))", "W",
                           variables={"Y": "matrix onehot"})
    fn = compile_function(d, backend=backend)
    rng = np.random.default_rng(3)
    W, X = rng.normal(size=(3, 4)), rng.normal(size=(4, 5))
    Y = onehot_cols(3, 5, rng)
    got = fn(W=W, X=X, Y=Y)
    got = got[-1] if isinstance(got, tuple) else got
    want = matdiff.evaluate(d.expr, {"W": W, "X": X, "Y": Y})
    np.testing.assert_allclose(np.asarray(got, dtype=float), want, rtol=1e-8, atol=1e-12)


# ------------------------------------------------------------------------- errors

@pytest.mark.parametrize("text,message,caret,hint", [
    ("softmax(Z)", "softmax needs a column vector", "^^^^^^^^^^",
     "softmax(Z, 1) (per column) or softmax(Z, 2) (per row)"),
    ("sum(X, 3)", "must be the number 1 or 2", "       ^", "sum(X, 1) acts down each column"),
    ("sum(X, n)", "must be the number 1 or 2", "       ^", "sum(X, 2) along each row"),
    ("softmax(Z, 0)", "must be the number 1 or 2", "           ^", "softmax(Z, 1)"),
    ("mean(X, 1, 2)", "mean takes 1 or 2 arguments", "^^^^^^^^^^^^^", "mean(X)"),
])
def test_errors_have_a_caret_and_a_hint(text, message, caret, hint):
    with pytest.raises(MatdiffError) as info:
        parse(text)
    shown = str(info.value)
    assert message in shown
    assert "\n  " + caret + "\n" in shown
    assert hint in shown


def test_onehot_matrix_value_is_checked_per_column():
    with pytest.raises(InputValueError, match="in every column"):
        matdiff.evaluate("sum(Y, 1)", {"Y": np.array([[1.0, 1.0], [0.0, 1.0]])},
                         variables={"Y": "matrix onehot"})


def test_onehot_on_a_scalar_is_refused():
    with pytest.raises(MatdiffError, match="needs a vector or a matrix"):
        parse("a", {"a": "scalar onehot"})


def test_derivative_of_softmax_of_a_matrix_keeps_the_batched_hint():
    """The API's first-letter suggestion (declare a scalar) is for vectors only: Z is a
    matrix, and the hint names the two batched forms."""
    with pytest.raises(MatdiffError) as info:
        matdiff.derivative("softmax(Z)", "Z")
    assert "softmax(Z, 1) (per column) or softmax(Z, 2) (per row)" in str(info.value)


def test_python_api_builds_the_parsed_expression():
    """The Python API's dim argument gives the node the parser gives."""
    W, X = matdiff.matrix("W", "m", "n"), matdiff.matrix("X", "n", "p")
    Y = matdiff.matrix("Y", "m", "p", "onehot")
    f = -matdiff.sum(Y * matdiff.log(matdiff.softmax(W @ X, 1)))
    decls = {"W": "matrix m n", "X": "matrix n p", "Y": "matrix m p onehot"}
    assert f is parse("-sum(Y .* log(softmax(W*X, 1)))", decls)
    assert str(matdiff.derivative(f, W)) == "(softmax(W*X, 1) - Y)*X'"
    assert matdiff.mean(X, 2) is parse("mean(X, 2)", decls)
    assert matdiff.logsumexp(X, 1) is parse("logsumexp(X, 1)", decls)
    assert matdiff.sum(X, 2) is parse("sum(X, 2)", decls)
    with pytest.raises(MatdiffError, match="must be 1 or 2"):
        matdiff.sum(X, 3)


@pytest.mark.parametrize("text,wrt,decls,shapes", [
    ("-sum(Y .* log(softmax(W*X, 1)))", "W", {"Y": "matrix onehot"},
     {"W": (3, 4), "X": (4, 5), "Y": (3, 5)}),
    ("sum(softmax(Q*K', 2) .* V)", "Q", {}, {"Q": (4, 3), "K": (5, 3), "V": (4, 5)}),
    ("sum(logsumexp(Z, 2) .^ 2)", "Z", {}, {"Z": (3, 4)}),
])
def test_second_order_against_finite_differences(text, wrt, decls, shapes):
    """Correctness: H·v and the full Hessian through the batched forms against central
    differences of the gradient (itself checked against finite differences of the
    function above; differencing the function twice would be too noisy)."""
    d1 = matdiff.derivative(text, wrt, variables=decls)
    h = matdiff.hvp(text, wrt, variables=decls)
    d2 = matdiff.derivative(text, wrt, variables=decls, order=2)
    rng = np.random.default_rng(9)
    vals = _values(shapes, decls, rng)
    V = rng.normal(size=shapes[wrt])
    step = 1e-5

    def grad(W):
        return np.asarray(matdiff.evaluate(d1.expr, dict(vals, **{wrt: W})))

    want = (grad(vals[wrt] + step * V) - grad(vals[wrt] - step * V)) / (2 * step)
    got = h.evaluate(vals, **{h.direction.arg.name: V})
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    H = np.asarray(d2.evaluate(vals))  # (m, n, m, n): d grad[i,j] / d W[k,l]
    np.testing.assert_allclose(np.einsum("ijkl,kl->ij", H, V), want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("text,wrt,printed", [
    ("sum(A*x)", "x", "A'*vector(1)"),  # unchanged by the batched rules
    ("u'*A*vector(1)", "u", "sum(A, 2)"),
    ("sum(logsumexp(W*X, 1))", "W", "softmax(W*X, 1)*X'"),
    ("sum(sum(X, 2))", "X", "ones(n, m)"),
])
def test_ones_read_as_sums_where_it_helps(text, wrt, printed):
    """Printed form: products with ones print as sums along a dim, except A'*vector(1)."""
    assert str(matdiff.derivative(text, wrt).expr) == printed


def test_builder_folds_keep_the_value():
    """Correctness of the folds in ir/batched.py: each folded node against NumPy."""
    X = b.var("X", (3, 4))
    x = b.var("x", (3, 1))
    vals = {"X": RNG.normal(size=(3, 4)), "x": RNG.normal(size=3)}
    Xv, xv = vals["X"], vals["x"]
    cases = [
        (b.sum_dim(b.fill(b.const(2), (3, 4)), 1), np.full(4, 6.0)),
        (b.sum_dim(b.mul(b.const(3), X), 2), 3 * Xv.sum(axis=1)),
        (b.sum_dim(b.transpose(X), 1), Xv.sum(axis=1)),
        (b.softmax_dim(b.transpose(x), 1), np.ones(3)),  # one entry per column
        (b.softmax_dim(b.transpose(X), 2), softmax_cols(Xv).T),
        (b.logsumexp_dim(b.transpose(x), 2), np.log(np.exp(xv).sum())),
        (b.logsumexp_dim(b.transpose(X), 1), np.log(np.exp(Xv).sum(axis=1))),
        (b.mean(X, 1), Xv.mean(axis=0)),
        (b.mean(x), xv.mean()),
    ]
    for node, want in cases:
        got = matdiff.evaluate(node, vals)
        np.testing.assert_allclose(np.ravel(got), np.ravel(want), rtol=1e-12, err_msg=str(node))
