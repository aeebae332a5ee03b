"""The library's finish (issue 13): `matdiff --version`, `python -m matdiff`, package
metadata (authors, URLs, the SPDX license string, py.typed), docstrings on the public
API that cite nothing outside the repository, hints that do not mislead, and a README
that says what the full test run needs.
"""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

import matdiff
from matdiff.cli import cli_hint, main
from matdiff.errors import MatdiffError

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "matdiff"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


# ------------------------------------------------------------- version and entry points


def test_version_option(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"matdiff {matdiff.__version__}"
    assert matdiff.__version__ == PYPROJECT["project"]["version"]


def _python_m_matdiff(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "matdiff", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def test_python_dash_m_matdiff():
    r = _python_m_matdiff("x'*A*x", "--wrt", "x", "--plain")
    assert (r.returncode, r.stdout.strip()) == (0, "(A + A')*x"), r.stderr
    bad = _python_m_matdiff("x'*A*", "--wrt", "x")
    assert bad.returncode == 2 and "error:" in bad.stderr and "Traceback" not in bad.stderr


# ---------------------------------------------------------------------- metadata


def test_pyproject_metadata():
    project = PYPROJECT["project"]
    assert project["license"] == "MIT"  # the SPDX string; the table form is deprecated
    for f in project["license-files"]:
        assert (ROOT / f).is_file(), f
    assert project["authors"] and all(a.get("name") for a in project["authors"])
    assert {"Homepage", "Source", "Issues"} <= set(project["urls"])
    assert all(u.startswith("https://") for u in project["urls"].values())
    # setuptools reads the string form from 77 on (PEP 639)
    requires = PYPROJECT["build-system"]["requires"]
    assert any(re.fullmatch(r"setuptools>=(\d+).*", r) and int(
        re.fullmatch(r"setuptools>=(\d+).*", r).group(1)) >= 77 for r in requires)


def test_py_typed_is_shipped():
    assert (SRC / "py.typed").is_file()
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["matdiff"]


# -------------------------------------------------------------------- docstrings


def _public_callables():
    for name in matdiff.__all__:
        obj = getattr(matdiff, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            yield name, obj
        if inspect.isclass(obj) and name in ("Derivative", "Node"):
            for attr, value in vars(obj).items():
                if attr.startswith("_"):
                    continue
                f = value.fget if isinstance(value, property) else value
                if callable(f):
                    yield f"{name}.{attr}", f


@pytest.mark.parametrize("name,obj", list(_public_callables()), ids=lambda x: str(x))
def test_public_api_has_docstrings(name, obj):
    doc = inspect.getdoc(obj) or ""
    assert len(doc.strip()) >= 10, f"{name} has no docstring"


def test_no_docstring_cites_files_outside_the_repository():
    cites = re.compile(r"\b(SPEC|MATH|STYLE)\b(\.md)?")
    found = []
    for path in SRC.rglob("*.py"):
        for i, line in enumerate(path.read_text().splitlines(), 1):
            if cites.search(line):
                found.append(f"{path.relative_to(ROOT)}:{i}: {line.strip()}")
    assert not found, "\n".join(found)


def test_docstring_examples_hold():
    """The examples the new docstrings show, run (consistency with the engine)."""
    assert str(matdiff.grad("x'*A*x", wrt="x")) == "(A + A')*x"
    assert str(matdiff.jacobian("A*x", wrt="x")) == "A"
    assert str(matdiff.hessian("x'*A*x", wrt="x")) == "A + A'"
    x = matdiff.vector("x", "n")
    assert str(matdiff.derivative(x.T @ x, wrt=x)) == "2*x"
    A = matdiff.matrix("A", "n", "n", "symmetric")
    assert str(matdiff.derivative(x.T @ A @ x, wrt=x)) == "2*A*x"
    d = matdiff.derivative("x'*A*x", wrt="x")
    assert np.allclose(d.evaluate(x=np.ones(3), A=np.eye(3)), [2, 2, 2])
    assert d.to_latex() == r"\frac{\partial f}{\partial x} = \left(A + A^{\top}\right) x"
    assert d.to_unicode() == "∂f/∂x = (A + Aᵀ)x"


def test_printed_steps_read_as_the_derivation():
    d = matdiff.derivative("log(det(X))", wrt="X")
    printed = str(d.steps())
    assert printed == d.steps().text()
    assert printed.startswith("f = log(det(X))") and "DerivationStep(" not in printed


# ------------------------------------------------------------------------- hints


def test_x_caret_t_hint_says_transpose_is_a_quote():
    with pytest.raises(MatdiffError) as e:
        matdiff.derivative("x^T*A*x", wrt="x")
    assert "x'" in e.value.hint and ".^" not in e.value.hint
    with pytest.raises(MatdiffError) as e:  # a real elementwise power keeps its hint
        matdiff.derivative("x^y", wrt="x")
    assert ".^" in e.value.hint


def test_cli_hints_use_the_command_lines_syntax(capsys):
    assert main(["x'*A*x", "--wrt", "y"]) == 2
    err = capsys.readouterr().err
    assert '--var "y: vector n"' in err and "variables=" not in err
    assert main(["t*x", "--wrt", "t"]) == 2
    err = capsys.readouterr().err
    assert '--var "t: scalar"' in err and "variables=" not in err and "Python" not in err
    # Python keeps Python's syntax
    with pytest.raises(MatdiffError) as e:
        matdiff.derivative("x'*A*x", wrt="y")
    assert "variables={'y': 'vector n'}" in e.value.hint


def test_cli_hint_translation():
    assert cli_hint("e.g. variables={'a': 'scalar', 'B': 'matrix n n'}") == (
        'e.g. --var "a: scalar" --var "B: matrix n n"')
    assert cli_hint(None) is None
    assert cli_hint("use .* for the elementwise product") == "use .* for the elementwise product"


def test_a_non_square_value_is_named_for_itself():
    """The error is about A (its value is not square), not x, which bound n first."""
    d = matdiff.derivative("x'*A*x", wrt="x")
    with pytest.raises(MatdiffError) as e:
        d.evaluate(x=np.ones(3), A=np.ones((3, 2)))
    assert e.value.message.startswith("A is 3×2 but it is a square matrix n×n")
    assert "3×2" in e.value.message and not re.search(r"\bx\b", e.value.message)


# ------------------------------------------------------------------------ README


def test_readme_says_what_the_full_test_run_installs():
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Examples")[0]
    assert "exactly what CI runs" not in quick or "bash .ci/run" in quick
    for needed in ("chromium", "jax", "torch"):
        assert needed in quick.lower(), needed
