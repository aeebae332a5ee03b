"""Generated code for variables named like Python keywords or like names the code uses.

`lambda` cannot be a parameter, and a parameter `np` (`jnp`, `torch`, `xp`, `float`,
`_array`, ...) would hide what the body calls. Such a variable is passed under a Python
name of its own (`lambda_`, codegen/names.py), the compiled function takes the
variable's own name, and the code's error messages name the variable as the user does.

Correctness tests: the generated functions of every backend (JAX and PyTorch skipped only
when not installed) against NumPy closed forms written here; `minimize` with `lambda`
against the ridge closed form; the printed code (CLI, `to_code`) compiles and runs under
its Python names. The body-names test checks, on generated code for every case of
test_codegen.py, that a body refers to no global name besides `body_names` (what the
renaming keeps clear of), so that a template calling a new global fails here.
"""

from __future__ import annotations

import ast
import importlib.util
import keyword
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.linalg

import matdiff
from matdiff.backends.codegen import compile_function, generate
from matdiff.backends.codegen.expression import compile_generated
from matdiff.backends.codegen.inputs import backend_named
from matdiff.backends.codegen.names import body_names, parameter_names
from matdiff.cli import main

BACKENDS = ["numpy", "jax", "torch", "array_api"]
RNG = np.random.default_rng(7)
X = RNG.standard_normal((6, 3))
Y = RNG.standard_normal(6)
W = RNG.standard_normal(3)
V = RNG.standard_normal(3)
A = 0.3 * RNG.standard_normal((3, 3))


@dataclass
class Case:
    id: str
    f: str
    wrt: str
    variables: dict[str, str]
    values: dict[str, Any]
    # closed form: values -> (value, gradient)
    want: Callable[[dict[str, Any]], tuple[Any, Any]]
    backends: tuple[str, ...] = tuple(BACKENDS)


def _ridge(v):
    r = v["X"] @ v["w"] - v["y"]
    lam = v["lambda"]
    return r @ r + lam * v["w"] @ v["w"], 2 * (v["X"].T @ r + lam * v["w"])


def _scaled_square(name):
    def want(v):
        return v[name] * v["x"] @ v["x"], 2 * v[name] * v["x"]
    return want


def _weights_exp(name):
    def want(v):
        return v[name] @ np.exp(v["x"]), v[name] * np.exp(v["x"])
    return want


def _keywords(v):
    x = v["x"]
    return (v["def"] * x @ x + v["class"] @ x + v["if"] * v["None"],
            2 * v["def"] * x + v["class"])


CASES = [
    Case("lambda", "norm2(X*w - y)^2 + lambda*norm2(w)^2", "w", {"lambda": "scalar"},
         {"X": X, "y": Y, "w": W, "lambda": 0.7}, _ridge),
    Case("def-class-if-None", "def*x'*x + class'*x + if*None", "x",
         {"def": "scalar", "class": "vector n", "if": "scalar", "None": "scalar"},
         {"x": W, "def": 1.3, "class": V, "if": 2.0, "None": -0.5}, _keywords),
    *(Case(name, f"{name}'*exp(x)", "x", {name: "vector n"}, {name: V, "x": W},
           _weights_exp(name)) for name in ("np", "jnp", "torch", "xp")),
    Case("float", "float*norm2(x)^2", "x", {"float": "scalar"}, {"float": 0.4, "x": W},
         _scaled_square("float")),
    # a renamed variable never takes another variable's name (lambda_ is one here)
    Case("lambda-and-lambda_", "lambda*norm2(x)^2 + lambda_*sum(x)", "x",
         {"lambda": "scalar", "lambda_": "scalar"}, {"lambda": 0.3, "lambda_": 2.0, "x": W},
         lambda v: (v["lambda"] * v["x"] @ v["x"] + v["lambda_"] * np.sum(v["x"]),
                    2 * v["lambda"] * v["x"] + v["lambda_"])),
    # temporaries are t1, t2, ...: a variable t1 stays t1 and the temporaries move on
    Case("t1", "t1*norm2(x)^2", "x", {"t1": "scalar"}, {"t1": 1.5, "x": W},
         _scaled_square("t1")),
    # jax is what the JAX code calls expm through: tr(expm(A)) by A is expm(A)'
    Case("jax", "jax*tr(expm(A))", "A", {"jax": "scalar", "A": "matrix n n"},
         {"jax": 1.7, "A": A},
         lambda v: (v["jax"] * np.trace(scipy.linalg.expm(v["A"])),
                    v["jax"] * scipy.linalg.expm(v["A"]).T)),
]


def _helper_case() -> tuple[Any, dict[str, Any], Callable]:
    """`_array` and `_expect` (the entry helpers) as variable names: only a symbol can
    be called so (the parser's names start with a letter)."""
    a = matdiff.vector("_array")
    e = matdiff.vector("_expect")
    x = matdiff.vector("x")
    f = matdiff.sum(a.T @ matdiff.exp(x)) + matdiff.sum(e.T @ x)
    d = matdiff.grad(f, x)
    values = {"_array": V, "_expect": V[::-1].copy(), "x": W}
    return d, values, lambda v: (v["_array"] @ np.exp(v["x"]) + v["_expect"] @ v["x"],
                                 v["_array"] * np.exp(v["x"]) + v["_expect"])


def _setup(backend: str) -> Callable[[Any], Any]:
    """Skip a backend whose library is missing; the conversion of its inputs."""
    if backend == "jax":
        jax = pytest.importorskip("jax")
        jax.config.update("jax_enable_x64", True)
        jnp = pytest.importorskip("jax.numpy")
        return lambda v: jnp.asarray(v)
    if backend == "torch":
        torch = pytest.importorskip("torch")
        return lambda v: torch.as_tensor(v, dtype=torch.float64)
    if backend == "array_api":
        pytest.importorskip("array_api_compat")
    return lambda v: v


def _close(got, want, what: str) -> None:
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9, err_msg=what)


def _raw_function(source: str, name: str):
    """The printed module compiled as a user would (no matdiff wrapper)."""
    namespace: dict[str, Any] = {}
    exec(compile(source, "<printed>", "exec"), namespace)  # noqa: S102 - generated code under test
    return namespace[name]


def _check_function(d, values, want, backend: str) -> None:
    convert = _setup(backend)
    source = generate(d, backend)
    args = {k: convert(v) for k, v in values.items()}
    value, grad = compile_function(d, backend)(**args)
    want_value, want_grad = want(values)
    what = f"[{backend}]\n{source}"
    _close(value, want_value, "value " + what)
    _close(grad, want_grad, "gradient " + what)
    # the printed code alone runs under its Python names, with the same result
    raw = _raw_function(source, "f_and_grad")
    renamed = source.renamed
    value2, grad2 = raw(**{renamed.get(k, k): v for k, v in args.items()})
    _close(value2, want_value, "printed value " + what)
    _close(grad2, want_grad, "printed gradient " + what)
    # no parameter is a keyword or a name the body uses
    params = _parameters(source, "f_and_grad")
    assert not any(keyword.iskeyword(p) for p in params), params
    assert not set(params) & body_names(backend_named(backend)), params


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_names_compute_the_closed_form(case: Case, backend: str):
    """Correctness: value and gradient against the NumPy closed form."""
    d = matdiff.grad(case.f, case.wrt, variables=case.variables)
    _check_function(d, case.values, case.want, backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_helper_names_compute_the_closed_form(backend: str):
    """Correctness: variables named _array and _expect, the helpers every module has."""
    d, values, want = _helper_case()
    _check_function(d, values, want, backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_keyword_compiles(backend: str):
    """Every Python keyword as a variable name: the module compiles, its parameter is
    the keyword with `_` appended, and the result is k*|x|^2's (correctness)."""
    convert = _setup(backend)
    for word in keyword.kwlist:
        d = matdiff.grad(f"{word}*norm2(x)^2", "x", variables={word: "scalar"})
        source = generate(d, backend)
        compile(source, f"<{word}>", "exec")
        assert source.renamed == {word: word + "_"}
        assert f"{word}_ is the variable {word} (a Python keyword)" in source
        value, grad = compile_function(d, backend)(**{word: convert(2.0), "x": convert(W)})
        _close(value, 2.0 * W @ W, f"{word} [{backend}]")
        _close(grad, 4.0 * W, f"{word} [{backend}]")


def test_error_messages_name_the_variable():
    """The code's entry checks name `lambda`, not the parameter lambda_."""
    d = matdiff.grad("norm2(X*w - y)^2 + lambda*norm2(w)^2", "w",
                     variables={"lambda": "scalar"})
    source = generate(d, "numpy")
    assert 'lambda_ = _array("lambda", lambda_, "scalar")' in source
    f = compile_function(d, "numpy")
    with pytest.raises(ValueError, match="^lambda must be a scalar"):
        f(X=X, y=Y, w=W, **{"lambda": np.ones(2)})
    d = matdiff.grad("np'*x", "x", variables={"np": "vector n"})
    with pytest.raises(ValueError, match=r"^np must be a vector"):
        compile_function(d, "numpy")(x=W, np=np.ones((2, 2)))
    d = matdiff.grad("x'*A*np", "x", variables={"np": "vector n", "A": "matrix m n"})
    source = generate(d, "numpy")
    assert '_expect("np", np_, (n,), "(n,)")' in source  # A binds n, np is checked
    with pytest.raises(ValueError, match=r"^np must have shape \(n,\) = \(3,\)"):
        compile_function(d, "numpy")(x=Y, A=X, np=np.ones(4))


def test_compiled_function_takes_either_name_but_not_both():
    d = matdiff.grad("lambda*norm2(x)^2", "x", variables={"lambda": "scalar"})
    f = compile_function(d, "numpy")
    assert f.__matdiff_renamed__ == {"lambda": "lambda_"}
    assert "def f_and_grad(*, lambda_, x):" in f.__matdiff_source__
    by_user = f(x=W, **{"lambda": 0.5})
    by_python = f(x=W, lambda_=0.5)
    assert by_user[0] == by_python[0] == pytest.approx(0.5 * W @ W)
    with pytest.raises(TypeError, match="one variable under two names"):
        f(x=W, lambda_=0.5, **{"lambda": 0.5})
    # nothing renamed: the generated function itself, as before
    plain = compile_function(matdiff.grad("x'*x", "x"), "numpy")
    assert not hasattr(plain, "__matdiff_renamed__")
    assert plain.__code__.co_kwonlyargcount == 1


def test_minimize_with_lambda_reaches_the_ridge_solution():
    """Correctness: argmin |Xw - y|^2 + lambda |w|^2 = (X'X + lambda I)^-1 X'y."""
    lam = 0.1
    for method in ("trust-ncg", "L-BFGS-B"):
        result = matdiff.minimize("norm2(X*w - y)^2 + lambda*norm2(w)^2", "w", np.zeros(3),
                                  method=method, variables={"lambda": "scalar"},
                                  X=X, y=Y, **{"lambda": lam})
        want = np.linalg.solve(X.T @ X + lam * np.eye(3), X.T @ Y)
        np.testing.assert_allclose(result.x, want, rtol=1e-6, atol=1e-8, err_msg=method)


def test_scipy_objective_and_hessian_operator_with_lambda():
    """Correctness: to_scipy's gradient and H·p, the Hessian operator's matvec, against
    2(X'(Xw - y) + lambda w) and 2(X'X + lambda I)p."""
    lam = 0.25
    expr = "norm2(X*w - y)^2 + lambda*norm2(w)^2"
    obj = matdiff.to_scipy(expr, "w", variables={"lambda": "scalar"}, X=X, y=Y,
                           **{"lambda": lam})
    _close(obj.jac(W), 2 * (X.T @ (X @ W - Y) + lam * W), "jac")
    hessian = 2 * (X.T @ X + lam * np.eye(3))
    _close(obj.hessp(W, V), hessian @ V, "hessp")
    op = matdiff.hessian(expr, "w", variables={"lambda": "scalar"}).as_linear_operator(
        {"X": X, "y": Y, "w": W, "lambda": lam})
    _close(op.matvec(V), hessian @ V, "matvec")


@pytest.mark.parametrize("backend", BACKENDS)
def test_hvp_code_with_hostile_names(backend: str):
    """Correctness: H·v of np'*exp(x) + lambda*|x|^2 (H = diag(np .* exp(x)) + 2 lambda I)
    with a direction called `apply` (the prepared code's closure is renamed), plain and
    prepared, compiled and as printed."""
    convert = _setup(backend)
    h = matdiff.hvp("np'*exp(x) + lambda*norm2(x)^2", "x", direction="apply",
                    variables={"np": "vector n", "lambda": "scalar"})
    lam = 0.6
    want = V * np.exp(W) * W[::-1] + 2 * lam * W[::-1]
    values = {"np": convert(V), "x": convert(W), "lambda": convert(lam)}
    direction = convert(W[::-1].copy())
    _close(h.compile(backend)(**values, apply=direction), want, f"hvp [{backend}]")
    prepared = h.compile(backend, prepared=True)(**values)
    _close(prepared(direction), want, f"prepared hvp [{backend}]")
    for is_prepared, name in ((False, "hvp"), (True, "prepare_hvp")):
        source = h.to_code(backend, prepared=is_prepared)
        raw = _raw_function(source, name)
        args = {source.renamed.get(k, k): v for k, v in values.items()}
        got = raw(**args)(direction) if is_prepared else raw(**args, apply=direction)
        _close(got, want, f"printed {name} [{backend}]\n{source}")
        assert compile_generated(source, name, backend) is not None


@pytest.mark.parametrize("backend", BACKENDS)
def test_cli_code_compiles(backend: str, capsys):
    """The issue's command prints code that compiles and names lambda_ in its docstring."""
    assert main(["norm2(X*w - y)^2 + lambda*norm2(w)^2", "--wrt", "w", "--var",
                 "lambda: scalar", "--code", backend]) == 0
    out = capsys.readouterr().out
    start = out.index('"""Generated by matdiff.')
    source = out[start:]
    compile(source, "<cli>", "exec")
    assert "def f_and_grad(*, lambda_, w, X, y):" in source
    assert "lambda_ is the variable lambda (a Python keyword)" in source


def test_parameter_names_rules():
    """The naming rule itself: kept when fit, `_` appended otherwise, never another
    variable's name or identifier (NFKC: `ｘ` is `x` to Python), deterministic."""
    taken = {"np", "float"}
    assert parameter_names(["x", "lambda", "np"], taken) == {
        "x": "x", "lambda": "lambda_", "np": "np_"}
    assert parameter_names(["lambda", "lambda_"], taken) == {
        "lambda": "lambda__", "lambda_": "lambda_"}
    assert parameter_names(["np", "np_"], taken) == {"np": "np__", "np_": "np_"}
    assert parameter_names(["lambda_", "lambda"], taken) == {
        "lambda_": "lambda_", "lambda": "lambda__"}
    wide = parameter_names(["x", "ｘ"], taken)
    assert wide["x"] == "x" and wide["ｘ"] not in ("x", "ｘ")
    assert parameter_names(["2x", "a-b"], taken) == {"2x": "v2x_", "a-b": "a_b_"}
    for mapping in (wide, parameter_names(["def", "def_", "def__"], taken)):
        params = list(mapping.values())
        source = f"def f(*, {', '.join(params)}):\n    pass\n"
        compile(source, "<params>", "exec")  # distinct identifiers, no keyword


# ------------------------------------------------------------- what a body refers to

_spec = importlib.util.spec_from_file_location(
    "matdiff_codegen_cases", Path(__file__).with_name("test_codegen.py"))
if "matdiff_codegen_cases" in sys.modules:
    cases = sys.modules["matdiff_codegen_cases"]
else:
    cases = importlib.util.module_from_spec(_spec)
    sys.modules[_spec.name] = cases  # dataclasses look their module up there
    _spec.loader.exec_module(cases)


def _parameters(source: str, name: str) -> list[str]:
    fn = next(n for n in ast.parse(source).body
              if isinstance(n, ast.FunctionDef) and n.name == name)
    return [a.arg for a in fn.args.kwonlyargs]


def _free_names(source: str, name: str) -> set[str]:
    """Names function `name` reads that it (or a function inside it) does not bind."""
    fn = next(n for n in ast.parse(source).body
              if isinstance(n, ast.FunctionDef) and n.name == name)
    bound: set[str] = set()
    read: set[str] = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.FunctionDef):
            bound.add(node.name)
        elif isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
    return read - bound


@pytest.mark.parametrize("backend", BACKENDS)
def test_body_refers_only_to_body_names(backend: str):
    """Consistency of names.body_names with the templates: over every case of
    test_codegen.py (every op, the higher orders) and their H·v code, the globals a
    generated body reads are all in body_names(backend), the names renaming avoids."""
    allowed = body_names(backend_named(backend))
    seen: set[str] = set()
    for case in cases.ALL:
        d = cases._derive(case)
        for check in (True, False):
            free = _free_names(generate(d, backend, check=check), "f_and_grad")
            assert free <= allowed, f"{case.id}: {sorted(free - allowed)}"
            seen |= free
    h = matdiff.hvp("-y'*log(sigmoid(X*w)) + sum(exp(w))", "w")
    for prepared, name in ((False, "hvp"), (True, "prepare_hvp")):
        free = _free_names(h.to_code(backend, prepared=prepared), name)
        assert free <= allowed, f"hvp: {sorted(free - allowed)}"
    # the check sees the module's uses (the array API binds xp, from _namespace)
    assert ("_namespace" if backend == "array_api" else backend_named(backend).module) in seen
