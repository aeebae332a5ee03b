"""The work behind each JSON endpoint, as plain functions of plain data.

Contract: every `*_job(**request)` takes the fields of a validated request (strings,
numbers, a dict of declarations) and returns a JSON-ready dict; it never touches HTTP.
Errors a user can cause are `MatdiffError`s, turned into `error_payload` by the caller
(the same message, hint and caret column the command line prints). Anything else is a
bug in matdiff: it propagates to the worker (pool.py), which logs its traceback on the
server and answers 500 without it. Only the extra renderings of a result (LaTeX of its
parts) degrade to None on a `MatdiffError`, so a result too deep to typeset still
comes back as text.

These functions run in worker processes (see pool.py): they only see the request's
data, parse the user's text with matdiff's parser (nothing is ever eval'd), and return
data that pickles.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..api import derivative, parse, variables_of
from ..backends.codegen import generate
from ..backends.latex import derivative_latex, to_latex
from ..backends.text import to_text
from ..backends.unicode import derivative_unicode
from ..errors import MatdiffError
from ..ir.dims import format_shape, is_column, is_scalar, kind_of
from ..report import FORM_NOTE, LAYOUT_NOTE, report
from ..teach.check import check_answer
from ..teach.steps import derivation
from ..verify.check import check_derivative

# Bounds on the request fields (the HTTP layer checks them before a job starts).
MAX_EXPRESSION = 2_000
MAX_ORDER = 4
MAX_VARIABLES = 40
MAX_DECLARATION = 200
BACKENDS = ("numpy", "jax", "torch")


def error_payload(e: MatdiffError, field: str | None = None) -> dict[str, Any]:
    """The JSON body of an error a user caused: what, where (caret column), and a hint."""
    span = list(e.span) if e.span is not None else None
    return {
        "error": {
            "message": e.message,
            "hint": e.hint,
            "column": e.column,
            "span": span,
            "text": e.text,
            "field": field,
            "kind": type(e).__name__.rstrip("_"),
            "rendered": str(e),
        }
    }


# ------------------------------------------------------------------ shared pieces


def _declarations(variables: Mapping[str, str] | None) -> dict[str, str] | None:
    if not variables:
        return None
    return {str(k).strip(): str(v).strip() for k, v in variables.items() if str(v).strip()}


def _derive(request: Mapping[str, Any]):
    return derivative(
        request["expression"],
        wrt=request["wrt"],
        variables=_declarations(request.get("variables")),
        order=int(request.get("order", 1)),
        layout=request.get("layout", "numerator"),
        structured=bool(request.get("structured", False)),
    )


def _dims_of(node: Any) -> list[str]:
    r, c = node.shape
    if is_scalar(node.shape):
        return []
    if is_column(node.shape):
        return [str(r)]
    return [str(r), str(c)]


def describe_variable(name: str, node: Any, declared: bool = False) -> dict[str, Any]:
    """One variable as the page shows and edits it; `declaration` reads back in."""
    kind = kind_of(node.shape)
    dims = _dims_of(node)
    props = sorted(node.arg.props)
    decl_kind = "matrix" if kind == "row vector" else kind
    return {
        "name": name,
        "kind": kind,
        "dims": dims,
        "size": "" if kind == "scalar" else format_shape(node.shape),
        "props": props,
        "declared": declared,
        "declaration": " ".join([decl_kind, *dims, *props]),
    }


def _variables_list(env: Mapping[str, Any], declared: Mapping[str, str] | None) -> list[dict]:
    names = sorted(env, key=lambda s: (s.lower(), s))
    return [describe_variable(n, env[n], bool(declared and n in declared)) for n in names]


def _optional_render(fn: Any, *args: Any) -> str | None:
    """str(fn(*args)), or None when this input cannot be rendered so (a MatdiffError,
    such as a result too deep to typeset): an extra rendering must never cost the user
    the derivative itself. A bug is not hidden: it propagates."""
    try:
        return str(fn(*args))
    except MatdiffError:
        return None


def _try_latex(node: Any) -> str | None:
    return _optional_render(to_latex, node)


def _head(d: Any) -> tuple[str, str]:
    names = ",".join(v.arg.name for v in d.wrt)
    if d.order == 1:
        return f"df/d{names}", r"\frac{\partial f}{\partial " + names + "}"
    k = d.order
    return (
        f"d^{k}f/d{names}^{k}",
        r"\frac{\partial^{" + str(k) + r"} f}{\partial " + names + "^{" + str(k) + "}}",
    )


# ------------------------------------------------------------------------ the jobs


def variables_job(expression: str, variables: Mapping[str, str] | None = None, **_: Any) -> dict:
    """The variables of an expression with inferred kinds, sizes and properties."""
    decls = _declarations(variables)
    env = variables_of(expression, decls)

    node = parse(expression, decls)

    return {
        "expression": expression,
        "function": to_text(node),
        "function_kind": kind_of(node.shape),
        "function_size": format_shape(node.shape),
        "variables": _variables_list(env, decls),
    }


def derivative_job(**request: Any) -> dict:
    """The derivative with everything the page shows at once."""
    d = _derive(request)
    decls = _declarations(request.get("variables"))
    env = variables_of(request["expression"], decls)
    head_text, head_latex = _head(d)
    function_latex = _try_latex(d.function)
    latex = _optional_render(derivative_latex, d)
    result_latex = _try_latex(d.expr) if d.expr is not None else None
    unicode = _optional_render(derivative_unicode, d)
    differential = None
    differential_latex = None
    if d.differentials:
        differential = to_text(d.differentials[-1])
        differential_latex = _try_latex(d.differentials[-1])
    if d.structured:
        space = "symmetric matrices (entries X_ij = X_ji move together)"
    elif any(v.arg.symmetric for v in d.wrt):
        space = "unconstrained (all entries independent)"
    else:
        space = None
    return {
        "expression": request["expression"],
        "wrt": [v.arg.name for v in d.wrt],
        "order": d.order,
        "function": to_text(d.function),
        "function_latex": function_latex,
        "head": head_text,
        "head_latex": head_latex,
        "result": str(d),
        "result_latex": result_latex,
        "latex": latex,
        "unicode": unicode,
        "form": d.form,
        "form_note": FORM_NOTE.get(d.form, d.form),
        "layout": d.layout,
        "layout_note": LAYOUT_NOTE.get(d.layout, d.layout),
        "structured": d.structured,
        "space": space,
        "note": d.note or None,
        "differential": differential,
        "differential_latex": differential_latex,
        "variables": _variables_list(env, decls),
        "report": report(d),
    }


def steps_job(**request: Any) -> dict:
    steps = derivation(_derive(request))
    return {"text": str(steps.text()), "latex": _optional_render(steps.latex)}


def code_job(backend: str = "numpy", **request: Any) -> dict:
    if backend not in BACKENDS:
        raise MatdiffError(f"unknown code backend {backend!r}", hint="use numpy, jax or torch")
    d = _derive(request)
    return {"backend": backend, "code": str(generate(d, backend))}


def check_answer_job(answer: str, **request: Any) -> dict:
    v = check_answer(
        request["expression"],
        request["wrt"],
        answer,
        variables=_declarations(request.get("variables")),
        layout=request.get("layout", "numerator"),
    )
    return {
        "correct": bool(v.correct),
        "how": _plain(getattr(v, "how", None)),
        "message": _plain(getattr(v, "message", None)),
        "pitfall": _plain(getattr(v, "pitfall", None)),
        "condition": _plain(getattr(v, "condition", None)),
    }


def _plain(x: Any) -> Any:
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    return str(x)


# ----------------------------------------------------------------- numerical check


def _rounded(a: np.ndarray, limit: int = 64) -> Any:
    if a.size > limit:
        return None
    return np.round(a.astype(float), 6).tolist()


def check_job(seed: int = 0, **request: Any) -> dict:
    """The derivative at one random input (honouring declared properties) against central
    finite differences: matdiff.verify.check, as `d.check()` and `matdiff --check`."""

    d = _derive(request)
    rtol, atol = 1e-5, 1e-7
    r = check_derivative(d, trials=1, seed=int(seed), rtol=rtol, atol=atol)
    symbolic = r.details.get("symbolic")
    numeric = r.details.get("numeric")
    values = r.details.get("values") or {}
    return {
        "seed": int(seed),
        "sizes": {k: int(v) for k, v in sorted(r.sizes.items())},
        "shape": list(np.shape(symbolic)) if symbolic is not None else [],
        "rtol": rtol,
        "atol": atol,
        "space": r.space,
        "values": {k: _rounded(np.asarray(v)) for k, v in sorted(values.items())
                   if not k.startswith("d:")},
        "passed": bool(r.passed),
        "message": r.message,
        "max_abs_error": None if np.isnan(r.max_abs_error) else float(r.max_abs_error),
        "max_rel_error": None if np.isnan(r.max_rel_error) else float(r.max_rel_error),
        "symbolic": None if symbolic is None else _rounded(np.asarray(symbolic)),
        "numeric": None if numeric is None else _rounded(np.asarray(numeric)),
    }


# The lesson's examples, one click away on the page (and served at /api/examples).
EXAMPLES: list[dict[str, Any]] = [
    {"expression": "x'*A*x", "wrt": "x", "variables": {}},
    {"expression": "tr(A*X*B)", "wrt": "X", "variables": {}},
    {"expression": "log(det(X))", "wrt": "X", "variables": {}},
    {"expression": "norm2(A*x - b)^2", "wrt": "x", "variables": {"b": "vector m"}},
    {"expression": "log(1 + exp(w'*x))", "wrt": "x", "variables": {}},
    {"expression": "-y'*log(softmax(z))", "wrt": "z", "variables": {"y": "vector n onehot"}},
    {"expression": "0.5*norm2(relu(W*x) - y)^2", "wrt": "W", "variables": {}},
    {"expression": "a'*inv(X)*b", "wrt": "X", "variables": {"a": "vector n", "b": "vector n"}},
]


JOBS = {
    "variables": variables_job,
    "derivative": derivative_job,
    "steps": steps_job,
    "code": code_job,
    "check": check_job,
    "check-answer": check_answer_job,
}
