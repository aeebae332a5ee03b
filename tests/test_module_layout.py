"""The module layout after the splits of issue 10 (items 5 and 10): a consistency check
of the source itself, not of the mathematics.

- Every name a caller imported from `matdiff.api`, `matdiff.backends.index_form` and
  `matdiff.backends.codegen` before these modules were split is still importable from
  there, and is the object the new module defines (no second copy).
- The modules split here import matdiff modules at the top only: an import inside a
  function, which would hide an import cycle, fails the test (optional heavy
  dependencies such as jax or torch may still be imported late, with a comment).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import matdiff

SRC = Path(matdiff.__file__).parent

# name -> the module that now defines it, for each module that was split
MOVED = {
    "matdiff.api": {
        "parse": "matdiff.api.parsing", "variables_of": "matdiff.api.parsing",
        "evaluate": "matdiff.api.evaluation", "MAX_SIZE": "matdiff.api.evaluation",
        "derivative": "matdiff.api.derivatives", "grad": "matdiff.api.derivatives",
        "jacobian": "matdiff.api.derivatives", "hessian": "matdiff.api.derivatives",
        "LAYOUTS": "matdiff.api.derivatives",
        "scalar": "matdiff.api.symbols", "vector": "matdiff.api.symbols",
        "matrix": "matdiff.api.symbols", "tr": "matdiff.api.symbols",
        "softmax": "matdiff.api.symbols", "sum": "matdiff.api.symbols",
        "kron": "matdiff.api.symbols", "mean": "matdiff.api.symbols",
        "hvp": "matdiff.api.optimizers", "hessian_operator": "matdiff.api.optimizers",
        "to_scipy": "matdiff.api.optimizers", "minimize": "matdiff.api.optimizers",
    },
    "matdiff.backends.index_form": {
        "Index": "matdiff.backends.index_terms", "Factor": "matdiff.backends.index_terms",
        "Term": "matdiff.backends.index_terms", "Slot": "matdiff.backends.index_terms",
        "IndexForm": "matdiff.backends.index_form",
        "index_expr": "matdiff.backends.index_form",
        "index_tensor": "matdiff.backends.index_form",
        "index_form": "matdiff.backends.index_form",
    },
    "matdiff.backends.codegen": {
        "generate": "matdiff.backends.codegen",
        "compile_function": "matdiff.backends.codegen",
        "helpers_used": "matdiff.backends.codegen.module",
        "BACKENDS": "matdiff.backends.codegen.spelling",
    },
    "matdiff.backends.codegen.emit": {
        "Emitter": "matdiff.backends.codegen.emit", "kind": "matdiff.backends.codegen.gram",
        "user_shape": "matdiff.backends.codegen.emit",
    },
    "matdiff.backends.codegen.expression": {
        "generate_function": "matdiff.backends.codegen.expression",
        "generate_prepared": "matdiff.backends.codegen.expression",
        "compile_generated": "matdiff.backends.codegen.expression",
    },
}


@pytest.mark.parametrize("old, name", [(o, n) for o, names in MOVED.items() for n in names])
def test_public_name_still_importable(old: str, name: str) -> None:
    got = getattr(importlib.import_module(old), name)
    assert got is getattr(importlib.import_module(MOVED[old][name]), name)


SPLIT = [
    "api", "results.py", "backends/index_form.py", "backends/index_terms.py",
    "backends/index_simplify.py", "backends/index_names.py", "backends/index_print.py",
    "backends/index_numeric.py", "backends/codegen/__init__.py",
    "backends/codegen/emit.py", "backends/codegen/expression.py",
    "backends/codegen/inputs.py", "backends/codegen/outputs.py",
    "backends/codegen/basis.py", "backends/codegen/module.py",
    "backends/codegen/chain.py", "backends/codegen/syntax.py", "backends/render.py",
    "backends/layout.py",
]


def _files() -> list[Path]:
    out: list[Path] = []
    for rel in SPLIT:
        p = SRC / rel
        out += sorted(p.glob("*.py")) if p.is_dir() else [p]
    return out


def _late_matdiff_imports(tree: ast.Module) -> list[int]:
    """Line numbers of imports of matdiff modules (relative, or by the package's name)
    inside a function or method."""
    lines = []
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.ImportFrom) and (
                node.level > 0 or (node.module or "").split(".")[0] == "matdiff"
            ):
                lines.append(node.lineno)
            elif isinstance(node, ast.Import) and any(
                a.name.split(".")[0] == "matdiff" for a in node.names
            ):
                lines.append(node.lineno)
    return sorted(set(lines))


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_function_level_imports_of_matdiff(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert _late_matdiff_imports(tree) == [], f"{path.name}: import inside a function"


def test_the_check_finds_a_late_import() -> None:
    """The scan above is not vacuous: it sees a relative import in a method."""
    tree = ast.parse("class C:\n    def f(self):\n        from .x import y\n")
    assert _late_matdiff_imports(tree) == [3]
