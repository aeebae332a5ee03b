"""One entry point for every output format of a derivative.

`render(d, fmt)`:

- "text" (or "plain"): the result in the input language, as `str(d)`;
- "latex": the derivative equation in LaTeX (backends/latex.py);
- "unicode": the derivative equation in Unicode math (backends/unicode.py);
- "index": the derivative tensor in Einstein notation (backends/index_form.py);
- "numpy", "jax", "torch": a Python function computing the value and the derivative,
  from `matdiff.backends.codegen.generate(d, backend)`.

An unknown format is a `MatdiffError`.
"""

from __future__ import annotations

from typing import Any

from ..errors import MatdiffError
from .codegen import generate
from .index_form import index_form
from .latex import derivative_latex
from .unicode import derivative_unicode

FORMATS = ("text", "plain", "latex", "unicode", "index", "numpy", "jax", "torch",
           "array_api")
CODE_BACKENDS = ("numpy", "jax", "torch", "array_api")


def render(d: Any, fmt: str = "text") -> str:
    """The derivative `d` written in the format `fmt` (see the module docstring)."""
    fmt = fmt.lower()
    if fmt in ("text", "plain"):
        return str(d)
    if fmt == "latex":
        return derivative_latex(d)
    if fmt == "unicode":
        return derivative_unicode(d)
    if fmt == "index":
        return index_form(d)
    if fmt in CODE_BACKENDS:
        return generate(d, fmt)
    raise MatdiffError(
        f"unknown output format {fmt!r}",
        hint="use one of " + ", ".join(FORMATS),
    )
