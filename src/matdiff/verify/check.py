"""The numerical check of a derivative against central finite differences.

    >>> d = matdiff.derivative("x'*A*x", wrt="x")
    >>> check_derivative(d).message
    'numerical check passed: 3 random inputs (n=3), max relative error ... against ...'

Contract:

- `check_derivative(d, trials, seed, rtol, atol)` evaluates the symbolic derivative `d`
  at `trials` random inputs drawn by `sample_values` (declared properties and the
  domains of the ops honoured; every symbolic size a distinct small integer, the same
  sizes for all trials) and compares it with a reference built by central differences
  with a relative step:
  - order 1: `fd_derivative` of the function by the variable;
  - order k > 1: central differences, entry by entry, of the value of the order k-1
    derivative (taken by `take_derivative` in numerator layout), so each order is
    checked against the one below it;
  - a list of scalar variables: the per-variable results stacked on the last axis
    (a gradient is the vector of partials, a Jacobian m×k);
  - `structured=True`: the steps move X_kl and X_lk together (symmetric or spd X, the
    derivative on symmetric matrices, G + G' - diag(diag(G))) or only the diagonal
    (diagonal X, diag(diag(G))), the convention the engine uses.
  Both sides are compared in numerator layout (a denominator-layout value has its
  variable axes moved back to the end).
- Entries agree when |a - b| <= atol·s + rtol·max(|a|, |b|), s = max(1, largest
  reference entry): finite-difference noise grows with the size of the values.
  `max_rel_error` is the largest |a - b| over the largest entry of either side. The
  differences, steps and closeness are verify/numeric.py's (one toolkit for every check).
- A draw at which the derivative or its reference cannot be evaluated (a value outside
  a domain, a non-finite result) is replaced by a new draw, at most 10 per trial; after
  that the result is a failure that says why. A shape mismatch fails at once.
- The result is a `CheckResult` whose `message` is one readable line.

The higher-order reference evaluates the lower derivative at inputs that break the
declared properties (one entry of a symmetric X moves alone), so its variables are
rebuilt without properties for that evaluation; the expression itself is unchanged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..backends.evaluate import evaluate, to_user
from ..diff.derivative import replace_vars, take_derivative, unconstrained_twins
from ..errors import MatdiffError
from ..ir import build as b
from ..ir.node import Node
from ..ir.ops import Op
from ..ir.walk import substitute, topological
from .finite_diff import fd_derivative
from .numeric import (
    ATOL,
    DEFAULT_STEP,
    RTOL,
    close,
    entrywise,
    errors,
    relative_step,
    scale_of,
    worst_entry,
)
from .sample import sample_values

MAX_DRAWS = 10

# What a draw outside a domain (or an ill-conditioned one) raises.
_EVAL_ERRORS = (MatdiffError, ArithmeticError, np.linalg.LinAlgError, ValueError)


@dataclass
class CheckResult:
    passed: bool
    trials: int
    max_abs_error: float
    max_rel_error: float
    sizes: dict[str, int]
    message: str
    space: str = "full"  # full, symmetric or diagonal: how the variable moved
    details: dict[str, Any] = field(default_factory=dict, repr=False)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return self.message


class _Unevaluable(Exception):
    """This draw cannot be evaluated (domain, conditioning, non-finite values)."""


def check_derivative(
    d: Any,
    trials: int = 3,
    seed: int = 0,
    rtol: float = RTOL,
    atol: float = ATOL,
    h: float = DEFAULT_STEP,
) -> CheckResult:
    """Check the derivative `d` numerically at `trials` random inputs (see the module)."""
    if trials < 1:
        raise ValueError(f"trials must be 1 or more, got {trials}")
    rng = np.random.default_rng(int(seed))
    space = _space(d)
    try:
        reference = _reference(d, space, h)
    except MatdiffError as e:
        return CheckResult(False, 0, float("nan"), float("nan"), {},
                           f"numerical check failed: no reference derivative of order "
                           f"{d.order - 1} to difference ({_one_line(e)})", space)

    sizes: dict[str, int] | None = None
    tally = _Tally()
    for trial in range(1, trials + 1):
        sizes, drawn, last_error = _draw(d, reference, rng, sizes)
        if drawn is None:
            return CheckResult(
                False,
                trial,
                tally.max_abs if trial > 1 else float("nan"),
                tally.max_rel if trial > 1 else float("nan"),
                sizes,
                f"numerical check failed: trial {trial} could not be evaluated at "
                f"{MAX_DRAWS} random inputs{_sizes_text(sizes)}: {last_error}",
                space,
            )
        values, symbolic, numeric = drawn
        symbolic = _to_numerator(symbolic, d, values, sizes)
        failed = _compare(symbolic, numeric, values, sizes, tally, rtol=rtol, atol=atol,
                          trial=trial, trials=trials, space=space)
        if failed is not None:
            return failed
    what = {"symmetric": " (on symmetric matrices)", "diagonal": " (on diagonal matrices)"}
    return CheckResult(
        True,
        trials,
        tally.max_abs,
        tally.max_rel,
        sizes or {},
        f"numerical check passed: {trials} random input{'s' if trials != 1 else ''}"
        f"{_sizes_text(sizes)}, max relative error {tally.max_rel:.1e} against central "
        f"differences{what.get(space, '')}",
        space,
        {"symbolic": symbolic, "numeric": numeric, "values": values},  # the last trial
    )


@dataclass
class _Tally:
    """The largest errors over the trials so far."""

    max_abs: float = 0.0
    max_rel: float = 0.0


def _draw(
    d: Any, reference: Reference, rng: np.random.Generator, sizes: dict[str, int] | None
) -> tuple[dict[str, int], tuple[dict, np.ndarray, np.ndarray] | None, str]:
    """Random inputs until both sides can be evaluated, at most MAX_DRAWS of them:
    (the sizes, fixed by the first draw; (values, symbolic, numeric), or None when no
    draw could be evaluated; the last draw's error)."""
    last_error = ""
    for _draw_number in range(MAX_DRAWS):
        # every variable the derivative was declared with: one that simplification
        # removed may still carry a size ((A - A)*x)
        roots = [d.function, *d.wrt, *getattr(d, "variables", ())]
        values, drawn = sample_values(roots, rng, sizes=sizes)
        if sizes is None:
            sizes = {k: int(v) for k, v in sorted(drawn.items())}
        try:
            symbolic = _finite(np.asarray(d.evaluate(values), dtype=float))
            numeric = _finite(reference(values, sizes))
        except (_Unevaluable, *_EVAL_ERRORS) as e:
            last_error = _one_line(e)
            continue
        return sizes, (values, symbolic, numeric), ""
    return sizes or {}, None, last_error


def _compare(
    symbolic: np.ndarray,
    numeric: np.ndarray,
    values: dict,
    sizes: dict[str, int],
    tally: _Tally,
    *,
    rtol: float,
    atol: float,
    trial: int,
    trials: int,
    space: str,
) -> CheckResult | None:
    """One trial's comparison: None when the two sides agree (the tally updated), else
    the failure (a shape mismatch, or the worst entry)."""
    if symbolic.shape != numeric.shape:
        return CheckResult(
            False,
            trial,
            float("nan"),
            float("nan"),
            sizes,
            f"numerical check failed: the derivative has shape {symbolic.shape}, "
            f"finite differences give {numeric.shape}{_sizes_text(sizes)}",
            space,
        )
    abs_err, rel_err = errors(symbolic, numeric)
    tally.max_abs = max(tally.max_abs, abs_err)
    tally.max_rel = max(tally.max_rel, rel_err)
    scale = scale_of(numeric)
    if close(symbolic, numeric, rtol, atol, scale):
        return None
    where = worst_entry(symbolic, numeric, rtol, atol, scale)
    return CheckResult(
        False,
        trial,
        tally.max_abs,
        tally.max_rel,
        sizes,
        f"numerical check failed: trial {trial} of {trials}{_sizes_text(sizes)}, "
        f"max relative error {rel_err:.1e} against central differences; worst "
        f"entry {where}: {float(symbolic[where]):.6g} symbolic vs "
        f"{float(numeric[where]):.6g} numeric",
        space,
        {"symbolic": symbolic, "numeric": numeric, "values": values},
    )


# ------------------------------------------------------------------------ the reference


def _space(d: Any) -> str:
    if not d.structured:
        return "full"
    props: set[str] = set()
    for v in d.wrt:
        props |= set(v.arg.props)
    if "diagonal" in props:
        return "diagonal"
    if props & {"symmetric", "spd"}:
        return "symmetric"
    return "full"


Reference = Callable[[Mapping[str, Any], Mapping[str, int]], np.ndarray]


def _reference(d: Any, space: str, h: float) -> Reference:
    """A function of (values, sizes) giving the finite-difference derivative, numerator."""
    names = [v.arg.name for v in d.wrt]
    # Unconstrained derivatives are of the function as typed (S' a transpose even for a
    # symmetric S), and the higher ones of the unconstrained lower derivative: the
    # gradient of logdet(S) is inv(S)' off the symmetric matrices, though inv(S) on them.
    twins = {} if d.structured else unconstrained_twins([d.function, *d.wrt])
    source = d.function
    if twins:
        source = d.as_typed if d.as_typed is not None else replace_vars(d.function, twins)
    if d.order == 1:
        fd_space = "symmetric" if space == "symmetric" else "full"

        def first(values: Mapping[str, Any], sizes: Mapping[str, int]) -> np.ndarray:
            parts = [
                np.asarray(
                    fd_derivative(source, n, values, h=h, space=fd_space, sizes=sizes),
                    dtype=float,
                )
                for n in names
            ]
            out = parts[0] if len(parts) == 1 else np.stack(parts, axis=-1)
            return _diagonal_only(out) if space == "diagonal" else out

        return first

    lower = take_derivative(
        source,
        [twins.get(v, v) for v in d.wrt],
        order=d.order - 1,
        layout="numerator",
        structured=d.structured,
        variables=[twins.get(v, v) for v in getattr(d, "variables", ())],
    )
    lower = _without_props(lower)

    def prev(values: Mapping[str, Any]) -> np.ndarray:
        return np.asarray(lower.evaluate(dict(values)), dtype=float)

    def higher(values: Mapping[str, Any], sizes: Mapping[str, int]) -> np.ndarray:
        parts = [_central(prev, values, n, space, h) for n in names]
        return parts[0] if len(parts) == 1 else np.stack(parts, axis=-1)

    return higher


def _central(
    g: Callable[[Mapping[str, Any]], np.ndarray],
    values: Mapping[str, Any],
    name: str,
    space: str,
    h: float,
) -> np.ndarray:
    """Central differences of g (array-valued) by each entry of values[name]:
    shape g + shape(values[name]), the step relative to the size of the variable."""
    x0 = np.array(values[name], dtype=float)
    square = x0.ndim == 2 and x0.shape[0] == x0.shape[1]
    if space in ("symmetric", "diagonal") and not square:
        raise MatdiffError(f"{name} is not square, so it has no {space} derivative")
    vals = dict(values)

    def at(point: np.ndarray) -> np.ndarray:
        vals[name] = float(point) if point.ndim == 0 else point
        return g(vals)

    return entrywise(at, x0, relative_step(x0, h), space)


def _diagonal_only(G: np.ndarray) -> np.ndarray:
    """Keep the entries by the diagonal of a square matrix variable (the last two axes)."""
    if G.ndim < 2 or G.shape[-1] != G.shape[-2]:
        return G
    mask = np.eye(G.shape[-1], dtype=bool)
    return np.where(mask, G, 0.0)


def _without_props(d: Any) -> Any:
    """The same derivative with its variables stripped of declared properties, so it
    can be evaluated where a step breaks them (one entry of a symmetric X)."""
    roots = [d.function, *d.wrt, *d.differentials, *([d.expr] if d.expr is not None else [])]
    plain = {n: b.var(n.arg.name, n.shape) for n in topological(roots)
             if n.op == Op.VAR and n.arg.props}

    def go(n: Node) -> Node:
        return substitute(n, plain, b.rebuild)

    return dataclasses.replace(
        d,
        function=go(d.function),
        wrt=tuple(go(v) for v in d.wrt),
        expr=None if d.expr is None else go(d.expr),
        differentials=tuple(go(x) for x in d.differentials),
        variables=tuple(go(v) for v in d.variables),
    )


# ------------------------------------------------------------------------ helpers


def _to_numerator(
    value: np.ndarray, d: Any, values: Mapping[str, Any], sizes: Mapping[str, int]
) -> np.ndarray:
    """A derivative's value in numerator layout (denominator puts the variable axes first)."""
    if d.layout != "denominator":
        return value
    f0 = evaluate(d.function, values, sizes=sizes, check_props=False)
    nf = np.ndim(to_user(f0, d.function.shape))
    if nf == 0 or value.ndim <= nf:
        return value
    nx = value.ndim - nf
    return np.transpose(value, [*range(nx, value.ndim), *range(nx)])


def _finite(a: np.ndarray) -> np.ndarray:
    if not np.all(np.isfinite(a)):
        raise _Unevaluable("the value is not finite at this input")
    return a


def _sizes_text(sizes: Mapping[str, int] | None) -> str:
    if not sizes:
        return ""
    return " (" + ", ".join(f"{k}={v}" for k, v in sorted(sizes.items())) + ")"


def _one_line(e: BaseException) -> str:
    text = getattr(e, "message", None) or str(e) or type(e).__name__
    return " ".join(str(text).split())
