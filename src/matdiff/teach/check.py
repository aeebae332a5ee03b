"""Checking a person's own derivative, and naming the lesson's pitfalls when it is wrong.

    v = check_answer("x'*A*x", "x", "2*A*x")
    v.correct, v.how, v.pitfall, v.condition, v.message
    # False, 'numerical', 'quadratic-form-transpose', "equal when A = A'", ...

The answer is parsed with the function's variables declared as the function has them
(kinds, sizes, properties), then compared with matdiff's derivative: first symbolically
(the simplified nodes are the same object), otherwise numerically at several random
inputs that honour the declarations. A wrong answer is compared with the lesson's
pitfalls (PITFALLS): the transposed layout, the quadratic form without its transpose
(right only for a symmetric A), `A` for `A'` in tr(A*X), X⁻¹ / X⁻ᵀ / the symmetric
form for log det, chain-rule factors in the wrong order (the answer does not type-check
or has the wrong shape), a missing product-rule term, a dropped factor 2, a sign.
For a symmetric X the structured derivative (--structured, 2*inv(X) - diag(diag(inv(X)))
for log det) and the unconstrained one (inv(X)) are told apart both ways. A scalar
function's second derivative is called its Hessian.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from ..api import derivative
from ..backends.text import to_text
from ..diff.derivative import Derivative, replace_vars, take_derivative, unconstrained_twins
from ..errors import MatdiffError, ShapeError
from ..ir import build as b
from ..ir.dims import is_column, is_row, is_scalar
from ..ir.node import Node
from ..ir.ops import Op
from ..ir.walk import topological
from ..parse import parse_with_env
from ..rewrite.driver import simplify
from .differs import Fix, ratio, term_combination, transpose_fix, where_it_differs
from .pitfalls import PITFALLS
from .samples import Samples as _Samples
from .samples import close as _close


@dataclass
class Verdict:
    correct: bool
    how: str  # 'symbolic' | 'numerical'
    message: str
    pitfall: str | None = None
    condition: str | None = None  # e.g. "equal when A = A'"
    expected: str = ""  # matdiff's derivative, as text
    answer: str = ""  # the answer as parsed, as text
    detail: str = ""  # where it differs, naming the derivative's terms (shown with it)

    def __str__(self) -> str:
        return self.text()

    def text(self, reveal: bool = True) -> str:
        head = "correct" if self.correct else "not correct"
        lines = [f"{head} ({self.how} check): {self.message}"]
        if self.pitfall:
            title, lesson = PITFALLS.get(self.pitfall, (self.pitfall, ""))
            lines.append(f"pitfall: {self.pitfall} ({title})")
            if lesson:
                lines.append(f"  {lesson}")
        if self.condition:
            lines.append(f"condition: {self.condition}")
        if reveal and not self.correct and self.detail:
            lines.append(f"where: {self.detail}")
        if reveal and not self.correct and self.expected:
            lines.append(f"the derivative: {self.expected}")
        return "\n".join(lines)


def _shape_text(shape: tuple) -> str:
    return f"{shape[0]}×{shape[1]}"


def declaration_of(v: Node) -> str:
    """The declaration string that gives a variable node back: 'matrix n m symmetric'."""
    r, c = v.shape
    props = " ".join(sorted(v.arg.props))
    if is_scalar(v.shape):
        kind = "scalar"
    elif c == 1:
        kind = f"vector {r}"
    elif r == 1:
        kind = f"matrix 1 {c}"
    else:
        kind = f"matrix {r} {c}"
    return f"{kind} {props}".strip()


def _env_of(expr: str | Node, variables: Mapping[str, str] | None) -> tuple[Node, dict]:
    if isinstance(expr, Node):
        env: dict[str, Node] = {}
        stack = [expr]
        while stack:
            n = stack.pop()
            if n.op == Op.VAR:
                env[n.arg.name] = n
            stack.extend(n.children)
        return expr, env
    return parse_with_env(expr, variables)


def _what(d: Derivative) -> str:
    """What the derivative is called: a scalar function's second derivative is its
    Hessian (the Jacobian of its gradient, but called the Hessian)."""
    if d.order == 2 and len(d.wrt) == 1 and is_scalar(d.function.shape):
        return "Hessian (Kronecker form)" if d.form == "kronecker" else "Hessian"
    return {"gradient": "gradient", "gradient_list": "gradient", "jacobian": "Jacobian",
            "by_scalar": "derivative", "kronecker": "derivative (Kronecker form)"}.get(
                d.form, "derivative")


def check_answer(
    expr: str | Node,
    wrt: str,
    answer: str,
    variables: Mapping[str, str] | None = None,
    layout: str = "numerator",
    order: int = 1,
    structured: bool = False,
    trials: int = 4,
    seed: int = 0,
) -> Verdict:
    """Whether `answer` is the derivative of `expr` by `wrt`, and if not, why."""
    d = derivative(expr, wrt, variables, order=order, layout=layout, structured=structured)
    f, env = _env_of(expr, variables)
    if d.expr is None:
        raise MatdiffError(
            "this derivative has no closed matrix form to compare an answer with",
            hint="check it with 'matdiff steps' (its differential) instead")
    decls = {name: declaration_of(v) for name, v in env.items()}
    for k, v in (variables or {}).items():
        decls.setdefault(k, v)
    expected = d.expr
    what = _what(d)
    if not isinstance(answer, str) or not answer.strip():
        raise MatdiffError("the answer is empty", hint="write a derivative, e.g. 2*A*x")
    try:
        ans, ans_env = parse_with_env(answer, decls)
    except ShapeError as e:
        fix = transpose_fix(answer, decls, expected, [f, expected, *d.wrt], seed)
        if fix is not None:
            return _transpose_verdict(fix, what, expected, answer,
                                      f"your answer does not type-check ({e.message}); ")
        return Verdict(
            False, "symbolic",
            f"your answer does not type-check: {e.message}. Dimensions must align; the "
            f"{what} is {_shape_text(expected.shape)} ({to_text(expected)} has that shape)",
            pitfall="chain-rule-order", expected=to_text(expected), answer=answer)
    stray = sorted(set(ans_env) - set(env))
    if stray:
        return Verdict(
            False, "symbolic",
            f"your answer uses {', '.join(stray)}, which the function does not have "
            f"(its variables: {', '.join(sorted(env))})",
            pitfall="stray-variable", expected=to_text(expected), answer=to_text(ans))
    ans_s = simplify(ans)
    base = dict(expected=to_text(expected), answer=to_text(ans_s))
    if ans_s is expected:
        return Verdict(True, "symbolic", f"your answer is the {what}", **base)
    def fixed() -> Verdict | None:
        return _fix_verdict(answer, decls, d, f, ans_s, expected, what, seed)

    return _numerical(d, f, env, ans_s, expected, what, layout, trials, seed, base, fixed)


def _transpose_verdict(fix: Fix, what: str, expected: Node, answer: str,
                       head: str = "") -> Verdict:
    more = "more" if fix.pitfall == "missing-transpose" else "fewer"
    return Verdict(False, "numerical" if not head else "symbolic",
                   f"{head}your answer is right with one transpose {more}", fix.pitfall,
                   expected=to_text(expected), answer=answer,
                   detail=f"{fix.change}: {fix.text} is the {what}")


def _fix_verdict(answer: str, decls: dict, d: Derivative, f: Node, ans: Node,
                 expected: Node, what: str, seed: int) -> Verdict | None:
    """The missing- or extra-transpose verdict for an answer one transpose from right."""
    fix = transpose_fix(answer, decls, expected, [f, expected, *d.wrt], seed)
    if fix is None:
        return None
    return _transpose_verdict(fix, what, expected, to_text(ans))


# --------------------------------------------------------------------------- numerics


def _square_matrices(env: Mapping[str, Node]) -> list[Node]:
    return [v for v in env.values()
            if v.shape[0] == v.shape[1] and not is_scalar(v.shape)
            and not v.arg.symmetric]


def _occurrences(f: Node, name: str) -> int:
    """How many times the variable is used (shared subtrees counted each time)."""
    if f.op == Op.VAR:
        return int(f.arg.name == name)
    if name not in f.free:
        return 0
    return sum(_occurrences(c, name) for c in f.children)


def _has_op(f: Node, ops: set[str]) -> bool:
    return any(n.op in ops for n in topological([f]))


def _symmetric_condition(nodes: list[Node], env: Mapping[str, Node], ans: Node,
                         expected: Node, trials: int, seed: int) -> tuple[str, list[str]] | None:
    """When symmetric matrices make the answer right: ("equal when A = A'", [names])."""
    cands = _square_matrices(env)
    options = [[v.arg.name] for v in cands]
    if len(cands) > 1:
        options.append([v.arg.name for v in cands])
    for names in options:
        s = _Samples(nodes, trials, seed + 17, frozenset(names))
        if _close(s.values(ans), s.values(expected)):
            if len(names) == 1:
                return f"equal when {names[0]} = {names[0]}' (symmetric)", names
            return f"equal when {', '.join(names)} are symmetric", names
    return None


def _numerical(d, f: Node, env, ans: Node, expected: Node, what: str, layout: str,
               trials: int, seed: int, base: dict,
               fixed: Callable[[], Verdict | None] = lambda: None) -> Verdict:
    """Compare the answer with the derivative at random inputs; a wrong one is tested
    against the pitfalls in turn (`_PITFALL_TESTS`); the first that explains it wins."""
    nodes = [f, expected, ans, *d.wrt]
    if ans.shape != expected.shape:
        return _wrong_shape(d, nodes, ans, expected, what, layout, trials, seed, base, fixed)
    s = _Samples(nodes, trials, seed)
    A = s.values(ans)
    if A is None:
        raise MatdiffError("your answer cannot be evaluated at the sample inputs "
                           "(outside a function's domain)")
    E = s.values(expected)
    if _close(A, E):
        return Verdict(True, "numerical", f"your answer equals the {what} "
                       f"({to_text(expected)}) at {len(A)} random inputs", **base)
    sym = _symmetric_condition(nodes, env, ans, expected, trials, seed)
    case = _Case(d=d, f=f, ans=ans, expected=expected, what=what, layout=layout,
                 trials=trials, seed=seed, base=base, fixed=fixed, nodes=nodes, s=s, A=A,
                 E=E, sym=sym, cond=sym[0] if sym else None,
                 has_logdet=_has_op(f, {"logdet", "det"}))
    for test in _PITFALL_TESTS:
        verdict = test(case)
        if verdict is not None:
            return verdict
    # no known pitfall: say where the answer differs, naming the derivative's terms
    example, terms_words = where_it_differs(ans, expected, [f, *d.wrt], seed)
    return Verdict(False, "numerical",
                   f"your answer differs from the {what} at random inputs (no known pitfall "
                   "explains the difference)" + (f"; {example}" if example else ""), None,
                   case.cond, detail=terms_words, **base)


def _wrong_shape(d, nodes: list[Node], ans: Node, expected: Node, what: str, layout: str,
                 trials: int, seed: int, base: dict,
                 fixed: Callable[[], Verdict | None]) -> Verdict:
    """Another shape: the transpose, one transpose off, or factors in the wrong order."""
    es, as_ = expected.shape, ans.shape
    shape_msg = f"your answer is {_shape_text(as_)}; the {what} is {_shape_text(es)}"
    if as_ == (es[1], es[0]):
        s = _Samples(nodes, trials, seed)
        if _close(s.values(ans), s.values(b.transpose(expected))):
            X0 = d.wrt[0]
            if d.form == "gradient" and layout != "strict" and not (
                    is_column(X0.shape) or is_row(X0.shape) or is_scalar(X0.shape)):
                return Verdict(False, "numerical", shape_msg + ": your answer is the "
                               "transpose of the gradient. " + _TRACE_NOTE,
                               "trace-transpose", **base)
            return Verdict(False, "numerical", shape_msg + ": your answer is its "
                           "transpose. " + _layout_note(d, layout), "layout-transposed",
                           **base)
    one_off = fixed()
    if one_off is not None:
        return one_off
    return Verdict(False, "numerical", shape_msg + ". Check the order of the factors "
                   "(dimensions must align) and the layout", "chain-rule-order", **base)


@dataclass
class _Case:
    """A wrong answer of the right shape, with what the pitfall tests look at."""

    d: Derivative
    f: Node
    ans: Node
    expected: Node
    what: str
    layout: str
    trials: int
    seed: int
    base: dict
    fixed: Callable[[], Verdict | None]
    nodes: list[Node]
    s: _Samples  # the sample inputs
    A: list[np.ndarray]  # the answer's values at them
    E: list[np.ndarray] | None  # the derivative's
    sym: tuple[str, list[str]] | None  # symmetric matrices that make the answer right
    cond: str | None  # the condition under which the answer is right, if any
    has_logdet: bool

    def verdict(self, message: str, pitfall: str | None,
                condition: str | None = None) -> Verdict:
        return Verdict(False, "numerical", message, pitfall, condition, **self.base)


def _transposed(c: _Case) -> Verdict | None:
    """1. the transpose of the right answer (layout, tr(A*X)'s A', or log det's inv(X))."""
    es = c.expected.shape
    square = es[0] == es[1] and not is_scalar(es)
    if not (square and _close(c.A, c.s.values(b.transpose(c.expected)))):
        return None
    if c.d.form in ("jacobian", "by_scalar", "kronecker") or c.layout == "strict":
        return c.verdict(f"your answer is the transpose of the {c.what}. "
                         + _layout_note(c.d, c.layout), "layout-transposed", c.cond)
    if c.has_logdet:
        X = c.d.wrt[0]
        return c.verdict(_logdet_message(c.ans, c.expected, X), "logdet-inverse",
                         c.cond or f"equal when {X.arg.name} is symmetric")
    return c.verdict(f"your answer is the transpose of the gradient {to_text(c.expected)}. "
                     + _TRACE_NOTE, "trace-transpose", c.cond)


def _structured_mixup(c: _Case) -> Verdict | None:
    """2. the derivative on symmetric matrices (log det's 2*inv(X) - diag(diag(inv(X))))
    given for the unconstrained one, or the other way round."""
    X = c.d.wrt[0]
    if c.d.form != "gradient" or X.shape[0] != X.shape[1] or is_scalar(X.shape):
        return None
    if c.d.structured:
        got = _unconstrained_for_structured(c.d, c.nodes, c.s, c.A, X, c.has_logdet, c.what)
        return None if got is None else c.verdict(*got)
    expected = c.expected
    structured = b.sub(b.add(expected, b.transpose(expected)), b.diag(b.diag(expected)))
    ssym = _Samples(c.nodes, c.trials, c.seed + 5, frozenset({X.arg.name}))
    if not _close(ssym.values(c.ans), ssym.values(structured)):
        return None
    pit = "logdet-inverse" if c.has_logdet else "symmetric-structured"
    n, g = X.arg.name, to_text(expected)
    msg = ("your answer is the derivative on symmetric matrices, G + G' - "
           f"diag(diag(G)) with G = {g} (each {n}_ij = {n}_ji counted once, "
           "Cookbook 138). ")
    if _is_symmetric(X):
        plain = _unconstrained_text(c.d)
        same = f" (= {plain} for symmetric {n})" if plain and plain != g else ""
        msg += (f"{n} is declared symmetric, so that is the structured derivative: "
                "ask for it with --structured. Without it the derivative is the "
                f"unconstrained one (all entries independent): {g}{same}")
        cond = "right with --structured (the derivative on symmetric matrices)"
    else:
        msg += (f"For a general {n} (all entries independent) the gradient is {g}; "
                f"declare {n} symmetric and ask for the structured derivative "
                "(--structured) to get yours")
        cond = (f"right when {n} is symmetric and the derivative is taken on "
                "symmetric matrices (--structured)")
    return c.verdict(msg, pit, cond)


def _one_transpose_off(c: _Case) -> Verdict | None:
    """3. one transpose missing or too many (2*X*(X*w - y) for 2*X'*(X*w - y))."""
    one_off = c.fixed()
    if one_off is not None:
        one_off.condition = c.cond
    return one_off


def _symmetric_only(c: _Case) -> Verdict | None:
    """4. right only for symmetric matrices (the quadratic form's missing transpose)."""
    if c.sym is None:
        return None
    names, X = c.sym[1], c.d.wrt[0]
    if c.has_logdet and names == [X.arg.name]:
        return c.verdict(_logdet_message(c.ans, c.expected, X), "logdet-inverse", c.cond)
    quad = any(_occurrences(c.f, v.arg.name) >= 2 for v in c.d.wrt)
    pit = "quadratic-form-transpose" if quad else "symmetric-only"
    msg = (f"your answer agrees with the {c.what} {to_text(c.expected)} only when "
           f"{' and '.join(names)} {'is' if len(names) == 1 else 'are'} symmetric")
    if quad:
        wrt_names = ",".join(v.arg.name for v in c.d.wrt)
        msg += (f": {wrt_names} appears twice, and the product rule gives a term for "
                "each occurrence; the second brings a transpose")
    return c.verdict(msg, pit, c.cond)


def _constant_multiple(c: _Case) -> Verdict | None:
    """5. a constant multiple: a factor 2, a sign, another constant."""
    k = ratio(c.A, c.E) if c.E is not None else None
    if k is None:
        return None
    if abs(k - 0.5) < 1e-6 or abs(k - 2.0) < 1e-6:
        msg = ("your answer is half the " if k < 1 else "your answer is twice the ") + \
            f"{c.what}: a factor 2 {'dropped' if k < 1 else 'too many'}"
        return c.verdict(msg, "factor-2", c.cond)
    if abs(k + 1.0) < 1e-6:
        return c.verdict(f"your answer is minus the {c.what}", "sign-error", c.cond)
    if abs(k) > 1e-9:
        return c.verdict(f"your answer is {k:.6g} times the {c.what}", "constant-factor",
                         c.cond)
    return None


def _missing_terms(c: _Case) -> Verdict | None:
    """6. product-rule terms missing or with the wrong sign."""
    terms = term_combination(c.d, c.s, c.A)
    return None if terms is None else c.verdict(terms[0], terms[1], c.cond)


# The pitfalls a wrong answer of the right shape is tested for, in this order.
_PITFALL_TESTS: tuple[Callable[[_Case], Verdict | None], ...] = (
    _transposed, _structured_mixup, _one_transpose_off, _symmetric_only,
    _constant_multiple, _missing_terms,
)


def _is_symmetric(X: Node) -> bool:
    return bool(X.arg.props & {"symmetric", "spd"})


def _engine_layout(layout: str) -> str:
    """The engine's layout under a strict-layout request (strict is a layer over
    numerator layout, strict_layout.py)."""
    return "numerator" if layout == "strict" else layout


def _unconstrained_text(d: Derivative) -> str:
    """The unconstrained derivative as it reads before the declared properties simplify
    it (inv(X)' for log det): the derivative of the property-free twin."""
    twins = unconstrained_twins([d.function, *d.wrt])
    if not twins:
        return ""
    try:
        plain = take_derivative(replace_vars(d.function, twins),
                                [twins.get(v, v) for v in d.wrt], order=d.order,
                                layout=_engine_layout(d.layout))
    except MatdiffError:
        return ""
    return to_text(plain.expr) if plain.expr is not None else ""


def _unconstrained_for_structured(
    d: Derivative, nodes: list[Node], s: _Samples, A: list[np.ndarray], X: Node,
    has_logdet: bool, what: str,
) -> tuple[str, str, str | None] | None:
    """With --structured: an answer that is the unconstrained gradient G (log det's
    inv(X)), or G + G' with the diagonal counted twice. (message, pitfall, condition)"""
    try:
        G = take_derivative(d.function, list(d.wrt), order=d.order,
                            layout=_engine_layout(d.layout)).expr
    except MatdiffError:
        return None
    if G is None:
        return None
    n, g = X.arg.name, to_text(G)
    pit = "logdet-inverse" if has_logdet else "symmetric-structured"
    struct = f"G + G' - diag(diag(G)) = {to_text(d.expr)}" if d.expr is not None else ""
    if _close(A, s.values(G)):
        plain = _unconstrained_text(d)
        same = f" (= {plain} for symmetric {n})" if plain and plain != g else ""
        return (f"your answer is the unconstrained gradient G = {g}{same}, with all "
                f"entries of {n} independent. With --structured the derivative is taken "
                f"on symmetric matrices, each {n}_ij = {n}_ji one variable (Cookbook 138): "
                f"the {what} is {struct}",
                pit, "right without --structured (the unconstrained derivative)")
    if _close(A, s.values(b.add(G, b.transpose(G)))):
        return (f"your answer is G + G' with G = {g}, which counts the diagonal twice: "
                f"an off-diagonal variable {n}_ij = {n}_ji appears twice in {n}, a "
                f"diagonal {n}_ii once, so subtract diag(diag(G)): {struct} "
                "(Cookbook 138)", "symmetric-structured", None)
    return None


_TRACE_NOTE = ("The gradient G is read off df = tr(G'*dX), so the factor M in front of dX "
               "in tr(M*dX) gives G = M', with a transpose (d tr(A*X)/dX = A', not A)")


def _layout_note(d, layout: str) -> str:
    if d.form in ("gradient", "gradient_list") and layout == "strict":
        return ("In strict numerator layout (most textbooks' tables, --layout strict) the "
                "gradient of a scalar is the transpose of the variable's shape (a row for a "
                "vector); yours has the variable's shape, the lesson's numerator layout "
                "(the default)")
    if d.form in ("gradient", "gradient_list"):
        return ("In the lesson's (numerator) layout the gradient of a scalar has the "
                "variable's shape (a column for a vector); a row is strict numerator "
                "layout, most textbooks' tables: check it with --layout strict")
    other = "numerator" if layout == "denominator" else "denominator"
    return (f"That is the {other}-layout form; you asked for {layout} layout (the "
            "layouts are transposes of each other: d(A*x)/dx = A in numerator, A' in "
            "denominator)")


def _logdet_message(ans: Node, expected: Node, X: Node) -> str:
    n = X.arg.name
    return (f"for log det({n}) (or det) with a general invertible {n} the gradient has "
            f"inv({n})' = {n}⁻ᵀ, not inv({n}): {to_text(expected)}. The two agree when "
            f"{n} is symmetric; declare it symmetric (then inv({n}) is right for the "
            "unconstrained derivative, and 2*inv(X) - diag(diag(inv(X))) on symmetric "
            "matrices)")
