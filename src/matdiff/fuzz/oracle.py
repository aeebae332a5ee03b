"""Run one case through matdiff and compare every answer with the oracle.

Contract:

- `run_case(case, checks=CHECKS, time_limit=20.0, oracle="jax")` returns a `Result`
  with `status` "pass", "fail" (a failure of no known class), "known" (failures, all of
  classes listed in known.KNOWN), "invalid" (the oracle's own values are not finite or not
  of a sane size: a generator problem, counted, never a pass) or "documented" (matdiff
  refuses a derivative the README says it does not give, such as expm(X) by X), and a
  `Failure` per failed check, each with the known fault class it belongs to, if any
  (known.py).
- Checks, in order: "parse" (the text is accepted with the case's declarations and has
  the generated shape), "derive" (matdiff.derivative finishes within `time_limit`
  seconds without an error; "timeout" otherwise), "value" (`d.evaluate`), "printed"
  (`str(d)` parsed back with the same declarations and evaluated by matdiff.evaluate:
  its shape and value are the printed matrix of expected.py; not applicable when the
  result has no matrix form), "numpy", "jax", "torch" (`d.to_code(backend)` executed:
  the value and every order 1..k it returns). A backend whose package is missing is
  listed in `Result.unavailable`, never silently passed.
- Comparisons need the same shape, then |got - want| <= rtol * max(1, max|want|)
  entrywise (rtol 1e-6 against JAX; expected.py's for finite differences).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import matdiff
from matdiff.backends.evaluate import walk as walk_nodes

from . import known, reference
from .case import Case
from .expected import Expected, expected
from .reference import DEFAULT_ORACLE, jax
from .tree import shape_value

try:  # optional: the PyTorch backend's check needs it
    import torch
except ImportError:  # pragma: no cover - exercised only where torch is not installed
    torch = None  # type: ignore[assignment]

CHECKS = ("value", "printed", "numpy", "jax", "torch")
# Oracle values above this are too large for a relative comparison to mean much.
MAX_SCALE = 1e7


@dataclass
class Failure:
    check: str
    kind: str  # mismatch, shape, error, refused, timeout
    detail: str
    output: int = -1  # generated code: 0 the value, k the order-k derivative
    printed: str = ""
    known: str | None = None
    # A shape failure where the expected value is a constant fill (all entries equal)
    # and the answer has fewer entries: the signature of a dropped fill factor.
    fill_like: bool = False
    # The derivative's expression holds a constant fill (vector(c), matrix(c)) and its
    # printed text does not read back to the same expression.
    fill_lost: bool = False
    # The function itself (as matdiff built it) holds a fill: generated code that gets
    # even the function's value wrong in shape is computing the fill as a scalar.
    fill_in_function: bool = False


@dataclass
class Result:
    case: Case
    status: str = "pass"
    failures: list[Failure] = field(default_factory=list)
    not_applicable: list[str] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)
    reason: str = ""
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage

    @property
    def open_failures(self) -> list[Failure]:
        return [f for f in self.failures if f.known is None]


class Timeout(Exception):
    pass


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise Timeout in the main thread after `seconds` (SIGALRM; no-op elsewhere)."""
    def fire(signum: int, frame: Any) -> None:
        raise Timeout(f"took more than {seconds:g} s")

    try:
        old = signal.signal(signal.SIGALRM, fire)
    except ValueError:  # not the main thread: no limit can be set
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _brief(a: np.ndarray) -> str:
    flat = np.asarray(a, dtype=float).reshape(-1)
    head = ", ".join(f"{v:.4g}" for v in flat[:4])
    return f"[{head}{', ...' if flat.size > 4 else ''}]"


def constant_fill(want: np.ndarray, got_size: int) -> bool:
    """want has several entries, all equal, and the answer fewer entries than that."""
    return bool(want.size > 1 and got_size < want.size and np.ptp(want) <= 1e-9 * max(
        1.0, float(np.max(np.abs(want)))))


def _numpy(got: Any) -> Any:
    if torch is not None and isinstance(got, torch.Tensor):
        return got.detach().cpu().numpy()
    return got


def compare(got: Any, want: np.ndarray, rtol: float, floor: float = 1.0
            ) -> tuple[str, str] | None:
    """None when equal; else (kind, summary) with kind "shape" or "mismatch". The
    tolerance is rtol * max(floor, max|want|)."""
    got = _numpy(got)
    try:
        g = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return "mismatch", f"got a non-numeric {type(got).__name__}"
    want = np.asarray(want, dtype=float)
    if g.shape != want.shape:
        return "shape", (f"got shape {g.shape} {_brief(g)}, expected {want.shape} "
                         f"{_brief(want)}")
    scale = max(floor, float(np.max(np.abs(want)))) if want.size else floor
    err = float(np.max(np.abs(g - want))) if want.size else 0.0
    if not np.all(np.isfinite(g)) or err > rtol * scale:
        return "mismatch", (f"max error {err:.3g} (scale {scale:.3g}): got {_brief(g)}, "
                            f"expected {_brief(want)}")
    return None


def resolve(dim: Any, sizes: dict[str, int]) -> int:
    """A matdiff size (an int, `n`, `m+n`, `m*n`, `1+m`) as a number."""
    if isinstance(dim, int):
        return dim
    total = 0
    for term in str(dim).split("+"):
        prod = 1
        for f in term.split("*"):
            f = f.strip()
            prod *= int(f) if f.isdigit() else sizes[f]
        total += prod
    return total


def _error(check: str, exc: BaseException, **kw: Any) -> Failure:
    kind = "timeout" if isinstance(exc, Timeout) else (
        "refused" if isinstance(exc, matdiff.MatdiffError) else "error")
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return Failure(check, kind, f"{type(exc).__name__}: {first}", **kw)


def derive(case: Case) -> matdiff.Derivative:
    return matdiff.derivative(case.text, wrt=",".join(case.wrt),
                              variables=case.declarations(), order=case.order,
                              layout=case.layout, structured=case.structured)


def _valid(exp: Expected) -> str:
    for a in (exp.value, *exp.laid, exp.printed):
        arr = np.asarray(a, dtype=float)
        if not np.all(np.isfinite(arr)):
            return "the oracle's value is not finite"
        if arr.size and float(np.max(np.abs(arr))) > MAX_SCALE:
            return f"the oracle's values exceed {MAX_SCALE:g}"
    return ""


def run_case(case: Case, checks: tuple[str, ...] = CHECKS, time_limit_s: float = 20.0,
             oracle: str = DEFAULT_ORACLE, strict: bool = False) -> Result:
    start = time.perf_counter()
    result = Result(case)
    try:
        with np.errstate(all="ignore"):
            exp = expected(case, oracle)
        result.reason = _valid(exp)
        result.timings["oracle"] = time.perf_counter() - start
    except (FloatingPointError, ValueError, np.linalg.LinAlgError) as exc:
        result.reason = f"the oracle failed: {exc}"
    if result.reason:
        result.status = "invalid"
        result.seconds = time.perf_counter() - start
        return result
    mark = time.perf_counter()
    d = _front(case, result, time_limit_s)
    result.timings["derive"] = time.perf_counter() - mark
    if d is not None:
        for check in checks:
            mark = time.perf_counter()
            if check == "value":
                _check_value(case, d, exp, result)
            elif check == "printed":
                _check_printed(case, d, exp, result)
            else:
                _check_code(case, d, exp, result, check, time_limit_s)
            result.timings[check] = time.perf_counter() - mark
    for f in result.failures:
        f.known = known.classify(case, f, strict)
    if any(f.known in known.DOCUMENTED for f in result.failures):
        result.status = "documented"
    elif result.open_failures:
        result.status = "fail"
    elif result.failures:
        result.status = "known"  # every failure is of a class listed in known.KNOWN
    result.seconds = time.perf_counter() - start
    return result


def _front(case: Case, result: Result, limit: float) -> matdiff.Derivative | None:
    """The parse and derive checks; the derivative, or None when either failed."""
    try:
        node = matdiff.parse(case.text, case.declarations())
        got = tuple(resolve(x, case.sizes) for x in node.shape)
        if got != shape_value(case.expr.shape, case.sizes):
            result.failures.append(Failure("parse", "shape", f"matdiff types it {node.shape}"))
            return None
    except Exception as exc:  # noqa: BLE001 - any escape is a finding
        result.failures.append(_error("parse", exc))
        return None
    try:
        with time_limit(limit):
            return derive(case)
    except Exception as exc:  # noqa: BLE001
        result.failures.append(_error("derive", exc))
        return None


def _run(check: str, result: Result, fn: Callable[[], None], **kw: Any) -> None:
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - any escape is a finding
        result.failures.append(_error(check, exc, **kw))


def fill_lost(d: Any, case: Case) -> bool:
    """The derivative's expression holds a fill (vector(c), matrix(c)) and its printed
    text does not read back to the same expression: the fill was written as a scalar."""
    if d.expr is None or not any(n.op == "fill" for n in walk_nodes([d.expr])):
        return False
    try:
        return matdiff.parse(str(d), case.declarations()) is not d.expr
    except matdiff.MatdiffError:
        return True


def _check_value(case: Case, d: Any, exp: Expected, result: Result) -> None:
    def go() -> None:
        got = d.evaluate(**case.user_values())
        bad = compare(got, exp.laid[-1], exp.rtol, exp.scale)
        if bad:
            result.failures.append(Failure("value", bad[0], bad[1], printed=str(d),
                                           fill_like=constant_fill(exp.laid[-1],
                                                                   np.size(got))))

    _run("value", result, go, printed=str(d))


def _check_printed(case: Case, d: Any, exp: Expected, result: Result) -> None:
    if d.expr is None:
        result.not_applicable.append("printed")
        return
    printed = str(d)

    def go() -> None:
        node = matdiff.parse(printed, case.declarations())
        shape = tuple(resolve(x, case.sizes) for x in node.shape)
        got = np.asarray(matdiff.evaluate(node, case.user_values(), sizes=case.sizes))
        if shape != exp.printed.shape or got.size != exp.printed.size:
            result.failures.append(Failure(
                "printed", "shape", f"re-read as {node.shape} = {shape}, expected "
                f"{exp.printed.shape} ({exp.form}) {_brief(exp.printed)}", printed=printed,
                fill_like=constant_fill(exp.printed, got.size)))
            return
        bad = compare(got.reshape(shape), exp.printed, exp.rtol, exp.scale)
        if bad:
            result.failures.append(Failure("printed", bad[0], bad[1], printed=printed,
                                           fill_lost=fill_lost(d, case)))

    _run("printed", result, go, printed=printed)


def available(backend: str) -> bool:
    if backend == "jax":
        return reference.HAVE_JAX
    if backend == "torch":
        return torch is not None
    return True


def _check_code(case: Case, d: Any, exp: Expected, result: Result, backend: str,
                limit: float) -> None:
    if not available(backend):
        result.unavailable.append(backend)
        return

    def go() -> None:
        with time_limit(limit):
            source = d.to_code(backend)
            namespace: dict[str, Any] = {}
            exec(compile(source, f"<matdiff-fuzz-{backend}>", "exec"), namespace)  # noqa: S102
            fn = namespace["f_and_grad"]
            # JAX code is compiled whole (the contract says it is jit-compatible, and one
            # compilation beats op-by-op dispatch), except code looping over basis
            # directions (index forms), which jit would unroll into a huge graph.
            if backend == "jax" and "\n    for " not in source:
                fn = jax.jit(fn)
            outs = fn(**case.user_values())
        wants = [exp.value, exp.laid[-1]] if len(case.wrt) > 1 else [exp.value, *exp.laid]
        if len(outs) != len(wants):
            result.failures.append(Failure(backend, "shape", f"returned {len(outs)} "
                                           f"outputs, expected {len(wants)}"))
            return
        for i, (got, want) in enumerate(zip(outs, wants, strict=True)):
            bad = compare(got, want, exp.rtol, exp.scale)
            if bad:
                what = "the value" if i == 0 else f"order {i}"
                result.failures.append(Failure(
                    backend, bad[0], f"{what}: {bad[1]}", output=i, printed=str(d),
                    fill_like=constant_fill(np.asarray(want), int(np.size(_numpy(got)))),
                    fill_lost=fill_lost(d, case), fill_in_function=any(
                        n.op == "fill" for n in walk_nodes([d.function]))))
                return

    _run(backend, result, go, printed=str(d))
