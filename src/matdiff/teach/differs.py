"""Where a wrong answer differs from the derivative, when no broad pitfall explains it.

Contract:
- `transpose_fix(answer, decls, expected, nodes, seed)` looks for one transpose that
  makes the answer right: a `'` added after a variable or a closing parenthesis, or one
  removed. It returns a `Fix` (the corrected text, what changed, the pitfall
  "missing-transpose" or "extra-transpose") or None. A corrected answer counts only when
  it type-checks, has the derivative's shape and equals it at random inputs.
- `ratio(A, E)` is c when the answer's values are c times the derivative's;
  `term_combination(d, s, A)` finds the answer as the derivation's identification
  terms with some dropped or negated (a product-rule term missing, a sign).
- `where_it_differs(ans, expected, nodes, seed)` is a small numeric counterexample
  (sizes 2, entries rounded to one decimal: the variables' values and both results) and
  a sentence naming the terms that differ (both sides multiplied out, the answer's terms
  matched numerically against the derivative's; it names the derivative's terms, so a
  check that hides the derivative hides it too).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from ..backends.text import to_text
from ..diff.derivative import Derivative
from ..errors import MatdiffError
from ..ir import build as b
from ..ir.node import Node, variables_in
from ..ir.ops import Op
from ..parse import parse_with_env
from ..rewrite.driver import simplify
from ..verify.numeric import close as close_arrays
from ..verify.numeric import scale_of
from .samples import Samples, close
from .steps import derivation

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_VARIANTS = 60


@dataclass(frozen=True)
class Fix:
    text: str  # the answer with the transpose added or removed
    change: str  # "X' where your answer has X"
    pitfall: str


def _variants(answer: str, names: set[str]) -> Iterator[tuple[str, str, str]]:
    """(variant, change, pitfall) for each single transpose added or removed."""
    for m in _IDENT.finditer(answer):
        name, end = m.group(0), m.end()
        if name not in names or answer[end:end + 1] == "(":
            continue
        if answer[end:end + 1] == "'":
            yield (answer[:end] + answer[end + 1:], f"{name} where your answer has {name}'",
                   "extra-transpose")
        else:
            yield (answer[:end] + "'" + answer[end:], f"{name}' where your answer has {name}",
                   "missing-transpose")
    for i, ch in enumerate(answer):
        if ch != ")":
            continue
        group = _group_before(answer, i)
        if answer[i + 1:i + 2] == "'":
            yield (answer[:i + 1] + answer[i + 2:],
                   f"{group} where your answer has {group}'", "extra-transpose")
        else:
            yield (answer[:i + 1] + "'" + answer[i + 1:],
                   f"{group}' where your answer has {group}", "missing-transpose")


def _group_before(text: str, close_at: int) -> str:
    depth = 0
    for j in range(close_at, -1, -1):
        depth += {")": 1, "(": -1}.get(text[j], 0)
        if depth == 0:
            start = j
            while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
                start -= 1  # a function call: keep its name with its parentheses
            return text[start:close_at + 1]
    return text[:close_at + 1]


def transpose_fix(answer: str, decls: Mapping[str, str], expected: Node,
                  nodes: list[Node], seed: int = 0, trials: int = 3) -> Fix | None:
    """One transpose added or removed that makes the answer right (see the docstring)."""
    names = set(variables_in(nodes))
    for k, (text, change, pitfall) in enumerate(_variants(answer, names)):
        if k >= MAX_VARIANTS:
            break
        try:
            node, _ = parse_with_env(text, dict(decls))
        except MatdiffError:
            continue
        if node.shape != expected.shape:
            continue
        s = Samples([*nodes, node], trials, seed + 11)
        if close(s.values(node), s.values(expected)):
            return Fix(text, change, pitfall)
    return None


# ------------------------------------------------------------- where it differs


def _terms(e: Node, limit: int = 8) -> list[Node]:
    """The additive terms of e with products multiplied out over sums
    (2*X'*(X*w - y) -> 2*X'*X*w, -2*X'*y); e itself past `limit` terms."""
    if e.op == Op.ADD:
        out = [t for c in e.children for t in _terms(c, limit)]
    elif e.op in (Op.MUL, Op.MATMUL, Op.HADAMARD):
        combos: list[list[Node]] = [[]]
        for c in e.children:
            combos = [[*k, t] for k in combos for t in _terms(c, limit)]
            if len(combos) > limit:
                return [e]
        out = [b.rebuild(e, k) for k in combos]
    else:
        out = [e]
    return out if len(out) <= limit else [e]


def _term_words(ans: Node, expected: Node, s: Samples) -> str:
    """Which of the answer's terms match none of the derivative's, and the reverse."""
    mine, theirs = _terms(ans), _terms(expected)
    if len(mine) == 1 and len(theirs) == 1:
        return ""
    left = list(theirs)
    extra, flipped = [], []
    for t in mine:
        tv = s.values(t)
        match = next((u for u in left if u.shape == t.shape and close(tv, s.values(u))),
                     None)
        neg = None if match is not None else next(
            (u for u in left if u.shape == t.shape and close(tv, s.values(b.neg(u)))), None)
        if match is not None:
            left.remove(match)
        elif neg is not None:
            left.remove(neg)
            flipped.append((t, neg))
        else:
            extra.append(t)
    parts = [f"your term {to_text(t)} has the wrong sign (the derivative has {to_text(u)})"
             for t, u in flipped]
    if extra:
        parts.append(("your term " if len(extra) == 1 else "your terms ")
                     + ", ".join(to_text(t) for t in extra)
                     + (" matches" if len(extra) == 1 else " match")
                     + " no term of the derivative")
    if left:
        parts.append(("the derivative's term " if len(left) == 1 else "the derivative's terms ")
                     + ", ".join(to_text(u) for u in left)
                     + (" is" if len(left) == 1 else " are") + " missing from yours")
    if not flipped and len(extra) == len(mine) and len(left) == len(theirs):
        return ("no term of your answer matches a term of the derivative (multiplied out: "
                + to_text(b.add(*theirs)) + ")")
    return "; ".join(parts)


def _fmt(a: np.ndarray) -> str:
    a = np.asarray(a, dtype=float)
    if a.size == 1:
        return f"{float(a.reshape(-1)[0]):.4g}"
    if a.ndim == 2 and a.shape[1] == 1:
        a = a.reshape(-1)
    text = np.array2string(a, separator=", ", max_line_width=10_000,
                           formatter={"float_kind": lambda v: f"{v:.4g}"})
    return " ".join(text.split())


def _small_point(nodes: list[Node], ans: Node, expected: Node, seed: int) -> str:
    dims = {d for v in variables_in(nodes).values() for d in v.shape
            if isinstance(d, str) and d.isidentifier()}
    s = Samples(nodes, 1, seed + 23, sizes={d: 2 for d in dims})
    if not s.points:
        return ""
    point = s.points[0]
    rounded = {k: np.round(np.asarray(v, dtype=float), 1) for k, v in point.items()}
    for candidate in (rounded, point):
        s.points = [candidate]
        a, e = s.values(ans), s.values(expected)
        if a is not None and e is not None and not close(a, e):
            shown = variables_in([ans, expected, *nodes])
            at = ", ".join(f"{k} = {_fmt(candidate[k])}" for k in sorted(shown)
                           if k in candidate)
            sizes = ", ".join(f"{d} = 2" for d in sorted(dims))
            return (f"for example ({sizes}) at {at}: your answer is {_fmt(a[0])}, the "
                    f"derivative is {_fmt(e[0])}")
    return ""


def where_it_differs(ans: Node, expected: Node, nodes: list[Node],
                     seed: int = 0) -> tuple[str, str]:
    """(a small counterexample, in numbers; which terms differ, naming the derivative's
    terms): see the module docstring. Either may be empty."""
    s = Samples([*nodes, ans], 3, seed + 19)
    return (_small_point([*nodes, ans], ans, expected, seed),
            _term_words(simplify(ans), expected, s))


# ------------------------------------------------------- multiples and terms


def ratio(A: list[np.ndarray], E: list[np.ndarray]) -> float | None:
    a = np.concatenate([x.ravel() for x in A])
    e = np.concatenate([y.ravel() for y in E])
    ee = float(e @ e)
    if ee < 1e-12:
        return None
    c = float(a @ e) / ee
    if close_arrays(a, c * e, rtol=1e-7, atol=1e-9, scale=scale_of(e)):
        return c
    return None


def _combine(signs: tuple[int, ...], values: list[np.ndarray]) -> np.ndarray:
    out = np.zeros_like(values[0], dtype=float)
    for sg, v in zip(signs, values, strict=True):
        out = out + sg * v
    return out


def term_combination(d: Derivative, s: Samples, A: list[np.ndarray]) -> tuple[str, str] | None:
    """The answer as the product rule's contributions with some dropped or negated."""
    if d.order != 1 or len(d.wrt) != 1 or d.layout != "numerator" or d.structured:
        return None
    try:
        der = derivation(d)
    except MatdiffError:
        return None
    terms = [(st.lhs, st.rhs) for st in der.steps
             if st.section == "identification" and st.lhs is not None
             and st.relation in ("identify", "jacobian", "by_scalar")]
    if not 2 <= len(terms) <= 5:
        return None
    vals: list[list[np.ndarray]] = []
    for _, c in terms:
        v = s.values(c)
        if v is None:
            return None
        vals.append(v)
    for signs in itertools.product((1, 0, -1), repeat=len(terms)):
        if all(x == 1 for x in signs) or all(x == 0 for x in signs):
            continue
        combo = [_combine(signs, [v[k] for v in vals]) for k in range(len(A))]
        if close(A, combo):
            missing = [to_text(t) for (t, _), sg in zip(terms, signs, strict=True) if sg == 0]
            flipped = [to_text(t) for (t, _), sg in zip(terms, signs, strict=True) if sg == -1]
            if missing:
                return (f"your answer lacks the contribution of the differential's term "
                        f"{', '.join(missing)}: every occurrence of the variable "
                        "contributes a term (product rule)", "missing-term")
            return (f"the contribution of {', '.join(flipped)} has the wrong sign",
                    "sign-error")
    return None

