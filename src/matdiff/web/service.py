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

import re
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..api import derivative, parse, variables_of
from ..backends.codegen import generate
from ..backends.echo_latex import echo_latex
from ..backends.latex import derivative_latex, to_latex
from ..backends.text import to_text
from ..backends.unicode import derivative_unicode
from ..errors import MatdiffError, MatdiffWarning
from ..ir.dims import format_shape, is_column, is_scalar, kind_of
from ..parse.echo import as_written
from ..parse.traps import broadcast_traps
from ..report import abbreviate, describe_form, layout_note, names_in_use, report
from ..teach.check import check_answer
from ..teach.derivation import Derivation, _latex_printer
from ..teach.steps import derivation
from ..verify.check import check_derivative
from ..verify.numeric import ATOL, RTOL

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
    with warnings.catch_warnings():  # the response carries the traps (`traps`)
        warnings.simplefilter("ignore", MatdiffWarning)
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


# The names a person gives the unknown they differentiate by (the parameter, not the
# data): in X*w it is w, in norm2(A*x - b)^2 it is x, in relu(W*x) it is W.
PARAMETER_NAMES = ("w", "W", "theta", "beta", "x", "X", "z", "Z", "t", "S", "P", "U", "V")


def suggest_wrt(env: Mapping[str, Any]) -> str:
    """The variable a person most likely means to differentiate by: a conventional
    parameter name first (w before X in X*w), then a vector, a matrix, a scalar."""
    for name in PARAMETER_NAMES:
        if name in env:
            return name
    names = sorted(env, key=lambda s: (s.lower(), s))
    for kind in ("vector", "matrix", "scalar"):
        for name in names:
            if kind_of(env[name].shape) == kind:
                return name
    return names[0] if names else ""


# Undeclared names that the first-letter rule makes vectors (h-z), not called as functions.
_VECTOR_BY_LETTER = re.compile(r"(?<![A-Za-z0-9_.])([h-z][A-Za-z0-9_]*)\b(?!\s*\()")


def _scalar_fixes(expression: str, decls: Mapping[str, str] | None) -> list[str]:
    """The names that, declared scalar one at a time, make an ill-typed expression type-
    check (`t*x`: t or x): what a person who meant a scalar would declare."""
    names = sorted({m.group(1) for m in _VECTOR_BY_LETTER.finditer(expression)}
                   - set(decls or {}))
    fixes = []
    for name in names[:8]:
        try:
            parse(expression, {**(decls or {}), name: "scalar"})
        except MatdiffError:
            continue
        fixes.append(name)
    return fixes


def traps_payload(expression: str, decls: Mapping[str, str] | None,
                  wrt: list[str] | None = None) -> list[dict]:
    """The typing traps of the expression (parse/traps.py) as the page shows them: the
    message, and the declarations its buttons make."""
    return [{"names": list(t.names), "declarations": list(t.declarations),
             "option": t.option, "message": t.message}
            for t in broadcast_traps(expression, decls, wrt or [])]


def variables_job(expression: str, variables: Mapping[str, str] | None = None, **_: Any) -> dict:
    """The variables of an expression with inferred kinds, sizes and properties, and the
    variable the page differentiates by until the user picks one (`suggested_wrt`)."""

    decls = _declarations(variables)
    try:
        env = variables_of(expression, decls)
    except MatdiffError as e:
        fixes = _scalar_fixes(expression, decls)
        if fixes:  # the page turns these into "declare t: scalar" buttons
            e.hint = ((e.hint + " Or " if e.hint else "") + "declare a scalar: "
                      + " ".join(f'--var "{n}: scalar"' for n in fixes))
        raise
    node = parse(expression, decls)
    return {
        "expression": expression,
        "function": to_text(node),
        "function_kind": kind_of(node.shape),
        "function_size": format_shape(node.shape),
        "variables": _variables_list(env, decls),
        "suggested_wrt": suggest_wrt(env),
        "traps": traps_payload(expression, decls),
    }


def derivative_job(**request: Any) -> dict:
    """The derivative with everything the page shows at once."""
    d = _derive(request)
    decls = _declarations(request.get("variables"))
    env = variables_of(request["expression"], decls)
    head_text, head_latex = _head(d)
    # f as typed ((x - m)', backends/echo_latex.py); the node's LaTeX if that fails
    function_latex = (_optional_render(echo_latex, request["expression"], decls)
                      or _try_latex(d.function))
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
        "function": as_written(request["expression"]),  # as typed: (x - m)'
        "function_latex": function_latex,
        "head": head_text,
        "head_latex": head_latex,
        "result": str(d),
        "result_latex": result_latex,
        "latex": latex,
        "unicode": unicode,
        "form": d.form,
        "form_note": describe_form(d),
        "display": _display(d, latex),
        "layout": d.layout,
        "layout_note": layout_note(d),
        "structured": d.structured,
        "space": space,
        "note": d.note or None,
        "differential": differential,
        "differential_latex": differential_latex,
        "variables": _variables_list(env, decls),
        "report": report(d, request["expression"], decls),
        "traps": traps_payload(request["expression"], decls, [v.arg.name for v in d.wrt]),
    }


def _display(d: Any, latex: str | None) -> dict | None:
    """The result as the page typesets it: a long result with its repeated parts named,
    `X'*diag(s .* (1 - s))*X` where s = sigmoid(...), as the command line's report shows
    it, so that it fits a narrow screen. None when the result is short (or has no matrix
    form): the page then typesets `latex` as it is."""
    if d.expr is None:
        return None
    try:
        short, named = abbreviate(d.expr, names_in_use(d))
    except MatdiffError:  # a display nicety: never cost the user the derivative
        return None
    if not named:
        return None
    # The head as the full result's LaTeX writes it (a Hessian by w: ∂²f/∂w∂wᵀ).
    head_latex = latex.split(" = ", 1)[0] if latex and " = " in latex else _head(d)[1]
    result = _try_latex(short)
    where = [{"name": n, "text": str(sub), "latex": _try_latex(sub)} for n, sub in named]
    if result is None or any(w["latex"] is None for w in where):
        return None
    return {"latex": f"{head_latex} = {result}", "where": where}


def steps_job(**request: Any) -> dict:
    """The derivation as text, and as sections of steps (each with its typeset equation
    and the rule that justifies it) that the page lays out one under another."""
    d = _derive(request)
    steps = derivation(d)
    try:
        sections = _step_sections(steps)
    except MatdiffError:  # a step too deep to typeset: the page falls back to the text
        sections = None
    return {
        "text": str(steps.text()),
        "intro": [str(line).strip() for line in steps.intro],
        "function_latex": _try_latex(d.function),
        "sections": sections,
        "conclusion": [str(line).strip() for line in steps.conclusion],
    }


def _step_sections(steps: Derivation) -> list[dict]:
    tex = _latex_printer()  # the steps' own LaTeX printer: it knows their display nodes
    return [{"title": str(title), "steps": [_step_payload(s, tex) for s in group]}
            for title, group in steps._groups()]


def _step_payload(s: Any, to_latex: Any) -> dict:
    """One step: its equation as LaTeX (None where it cannot be typeset; `text` is
    always there), why it holds, and a note. A differential shows the rule as applied
    before its terms are collected, as the text does: d(2*x'*x) = 2*(dx'*x + x'*dx) = ..."""
    text = str(s.text()).strip().split("\n")[0].strip()
    why = s.rule + (f"; {s.cite}" if s.cite else "")
    try:
        lhs = to_latex(s.lhs) if s.lhs is not None else ""
        rhs = to_latex(s.rhs)
        if s.relation == "d":
            applied = getattr(s, "applied", None)
            shown = getattr(s, "shown_applied", lambda: "")()
            middle = f"{to_latex(applied)} = " if shown and applied is not None else ""
            latex = rf"\mathrm{{d}}\left({lhs}\right) = {middle}{rhs}"
        elif s.relation == "note":
            latex = None
        elif s.relation in ("identify", "jacobian", "by_scalar"):
            left = lhs or _label_tex(s.label)
            latex = rf"{left} \;\Rightarrow\; {_label_tex(s.note_symbol())} = {rhs}"
        else:
            left = lhs or (_label_tex(s.label) if s.label else "")
            latex = rf"{left} = {rhs}"
    except MatdiffError:  # too deep to typeset: the step's text is always there
        latex = None
    return {"text": text, "latex": latex, "why": why, "note": s.note or None,
            "relation": s.relation}


_HEAD = re.compile(r"d(?:\^(\d+))?f/d([A-Za-z][A-Za-z0-9_,]*?)(?:\^\d+)?$")


def _label_tex(label: str) -> str:
    """A step's left side written in words ("df", "df/dX", "G1") as mathematics."""
    if label == "df":
        return r"\mathrm{d}f"
    m = _HEAD.match(label)
    if m:
        k, names = m.groups()
        if k:
            return rf"\frac{{\partial^{{{k}}} f}}{{\partial {names}^{{{k}}}}}"
        return rf"\frac{{\partial f}}{{\partial {names}}}"
    m = re.fullmatch(r"([A-Za-z])(\d+)", label)
    if m:
        return f"{m.group(1)}_{{{m.group(2)}}}"
    if re.fullmatch(r"[A-Za-z]", label):
        return label
    return _tex_text(label)


def _tex_text(s: str) -> str:
    """Plain words inside math: KaTeX's \\text with its special characters escaped."""
    out = "".join("\\" + c if c in "_&%#${}" else c for c in s)
    return r"\text{" + out.replace("^", r"\^{}") + "}"


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


# Random inputs per check: the same as `matdiff --check` and `Derivative.check()`.
CHECK_TRIALS = 3


def check_job(seed: int = 0, **request: Any) -> dict:
    """The derivative at CHECK_TRIALS random inputs (honouring declared properties)
    against central finite differences: matdiff.verify.check, as `d.check()` and
    `matdiff --check` do, with the same message."""

    d = _derive(request)
    r = check_derivative(d, trials=CHECK_TRIALS, seed=int(seed), rtol=RTOL, atol=ATOL)
    symbolic = r.details.get("symbolic")
    numeric = r.details.get("numeric")
    values = r.details.get("values") or {}
    return {
        "seed": int(seed),
        "sizes": {k: int(v) for k, v in sorted(r.sizes.items())},
        "shape": list(np.shape(symbolic)) if symbolic is not None else [],
        "rtol": RTOL,
        "atol": ATOL,
        "space": r.space,
        "values": {k: _rounded(np.asarray(v)) for k, v in sorted(values.items())
                   if not k.startswith("d:")},
        "trials": CHECK_TRIALS,
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
    # the batched form (issue 11, item 6): a softmax per column, labels one-hot per column
    {"expression": "-sum(Y .* log(softmax(W*X, 1)))", "wrt": "W",
     "variables": {"Y": "matrix onehot"}},
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
