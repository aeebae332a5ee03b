"""Known open fault classes and documented limitations: the only failures not counted.

Contract:

- `KNOWN` names each fault class that is known and still open (issue 9's five classes
  and what the fuzzer found besides, see /work/findings/fuzz.md), with where it is
  tracked. A failure matching a class listed there is reported as "known: <class>" and
  counted per class in every summary; it does not fail the run. When a class is fixed,
  delete its entry: its cases then count as failures again if they still fail. After
  the fixes of issue 9 are merged the lead empties KNOWN.
- `DOCUMENTED` names refusals the README documents (matdiff says it gives no matrix
  form); a case refused that way has status "documented", counted, never a pass.
- `classify(case, failure, strict=False)` returns the name of the first class in KNOWN
  or DOCUMENTED whose predicate matches, else None (strict: KNOWN is ignored, so every
  open fault counts, as it will once KNOWN is empty). Each predicate is narrow: the
  check that failed, the kind of failure and a pattern in the message or the printed
  result.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .case import STRUCTURE, Case
from .tree import kind

# Empty: issue 9's five classes and the five the fuzzer found besides are fixed (the
# recognisers below stay, so that a class that comes back can be listed by name with the
# issue that tracks it). A 1,500-case --strict run had no open failure.
KNOWN: dict[str, str] = {}

# What the classes were, for the record (see _PREDICATES).
FIXED: dict[str, str] = {
    "structured-codegen": "issue 9 fault 1: generated code of order >= 2 for a symmetric/"
                          "spd/diagonal/orthogonal variable gets the lower orders wrong",
    "fill-dropped": "issue 9 fault 2: constant-fill factors dropped when terms combine "
                    "(printed result or generated code of the wrong shape)",
    "dim-sum-order": "issue 9 fault 3: sizes m+n and n+m treated as different",
    "forgotten-size": "issue 9 fault 4: a size that simplification removed cannot be bound",
    "unsized-printing": "issue 9 fault 5: printed results that do not paste back (bare "
                        "matrix(0), unsized fills, reshape)",
    "torch-constant-scalar": "fuzz finding: PyTorch code calls torch functions on Python "
                             "numbers (exp(1.5), sigmoid(-1), step of a constant)",
    "codegen-vanished-variable": "fuzz finding: generated functions refuse a variable that "
                                 "simplification removed from the function (u - u)",
    "structured-index-form": "fuzz finding: a structured derivative without a matrix form "
                             "(index form) evaluates to the unconstrained one",
    "list-denominator-codegen": "fuzz finding: generated code for a vector function by a "
                                "list of scalars ignores the denominator layout",
    "codegen-scalar-fill": "fuzz finding: generated code computes a zero or a fill "
                           "(matrix(0), vector(0)', a zero block) as a 0-d scalar and then "
                           "fails on it (IndexError, LinAlgError, matmul of a 0-d array) "
                           "or returns the function's value in the wrong shape",
}

DOCUMENTED: dict[str, str] = {
    "expm-no-closed-form": "README: expm(X) by a general X has no closed form; matdiff "
                           "says so (NoMatrixForm)",
}

BACKENDS = ("numpy", "jax", "torch")
_FILL = re.compile(r"\b(vector|matrix)\(|\breshape\(")
# What NumPy, JAX and torch say when handed a 0-d array where an array was needed.
_SCALAR_ARRAY = re.compile(r"invalid index to scalar variable|0-dimensional array|"
                           r"does not have enough dimensions \(has 0|got 0-D|\b0D\b|"
                           r"0-d (array|tensor)|tensor of dimension 0")
_SUM = re.compile(r"[A-Za-z0-9_*]+(?:\+[A-Za-z0-9_*]+)+")


def _permuted_sums(text: str) -> bool:
    """Two sizes in the text that are the same sum in another order (m+n and n+m)."""
    sums = set(_SUM.findall(text))
    by_parts: dict[tuple[str, ...], set[str]] = {}
    for s in sums:
        by_parts.setdefault(tuple(sorted(s.split("+"))), set()).add(s)
    return any(len(v) > 1 for v in by_parts.values())


def _structured_codegen(case: Case, f: Any) -> bool:
    props = case.decls[case.wrt[0]][1] if len(case.wrt) == 1 else frozenset()
    return (f.check in BACKENDS and case.order >= 2 and bool(props & STRUCTURE)
            and 1 <= f.output < case.order)


def _fill_dropped(case: Case, f: Any) -> bool:
    """A printed result or generated code of too few entries where the derivative is a
    constant fill (`sum(X + sum(X))` by X gives 7.0, not a matrix of 7s), of the wrong
    shape with a fill constant in the result, or a wrong number from a result whose fill
    does not survive printing (a sum over a fill taken as a sum over a scalar)."""
    if f.check not in (*BACKENDS, "printed"):
        return False
    if f.kind == "shape":
        return f.fill_like or bool(_FILL.search(f.printed))
    if f.kind == "mismatch":  # `sum(matrix(1 - 2*a))` computed as sum(1 - 2*a)
        return f.fill_lost
    # the code then fails on the shapes it was given (reshape, or torch's outer of a 0-d)
    wrong_size = re.search(r"reshape|outer|is invalid for input of size", f.detail)
    return f.kind == "error" and bool(wrong_size) and bool(_FILL.search(f.printed))


def _unsized_printing(case: Case, f: Any) -> bool:
    """The printed result has a fill constant that does not re-read at its size, or the
    result holds a fill that the printed text writes as a bare scalar (`vector(0.5 + a)`
    printed `(0.5 + a)` inside norm2: a wrong number when pasted back)."""
    if f.check != "printed":
        return False
    return bool(_FILL.search(f.printed)) or f.printed.strip() == "0" or (
        "cannot infer the size" in f.detail) or (f.kind == "mismatch" and f.fill_lost) or (
        "entries of block" in f.detail and "0 (scalar)" in f.detail)  # a bare 0 in a block


_PREDICATES: dict[str, Callable[[Case, Any], bool]] = {
    "expm-no-closed-form": lambda c, f: f.check == "derive" and "NoMatrixForm" in f.detail
    and "expm" in f.detail,
    "dim-sum-order": lambda c, f: f.kind in ("refused", "error") and _permuted_sums(f.detail),
    "forgotten-size": lambda c, f: "cannot be told from the values given" in f.detail,
    "structured-codegen": _structured_codegen,
    "torch-constant-scalar": lambda c, f: f.check == "torch" and f.kind == "error" and bool(
        re.search(r"must be Tensor, not (float|int|bool)|'(bool|float|int)' object has no "
                  r"attribute", f.detail)),
    "codegen-vanished-variable": lambda c, f: f.check in BACKENDS
    and "unexpected keyword argument" in f.detail,
    "unsized-printing": _unsized_printing,  # a printed fill constant: fault 5 before 2
    "fill-dropped": _fill_dropped,
    "codegen-scalar-fill": lambda c, f: f.check in BACKENDS and (
        (f.kind == "error" and bool(_SCALAR_ARRAY.search(f.detail)))
        or (f.kind == "shape" and f.output == 0 and f.fill_in_function)),
    "structured-index-form": lambda c, f: c.structured and f.check in ("value", *BACKENDS)
    and f.kind == "mismatch" and f.printed.startswith("df ="),
    # a square Jacobian (m = k) left untransposed is a mismatch rather than a shape
    "list-denominator-codegen": lambda c, f: f.check in BACKENDS and len(c.wrt) > 1
    and c.layout == "denominator" and f.kind in ("shape", "mismatch")
    and kind(c.expr.shape) == "col",
}


def classify(case: Case, failure: Any, strict: bool = False) -> str | None:
    """The failure's class; with strict=True only DOCUMENTED limitations are excused."""
    for name, predicate in _PREDICATES.items():
        listed = name in DOCUMENTED or (name in KNOWN and not strict)
        if listed and predicate(case, failure):
            return name
    return None
