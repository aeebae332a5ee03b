"""The error hierarchy of matdiff.

Every error a user can cause is a `MatdiffError`. Errors tied to a place in the input text
carry the text and the span, and `str(error)` renders one line saying what is wrong, the
text with a caret under the offending part, and a hint when one is likely. Nothing here
imports the rest of the package, so every layer can raise these.
"""

from __future__ import annotations


class MatdiffError(Exception):
    """Base of every error matdiff raises on purpose (bad input, no closed form, ...)."""

    def __init__(
        self,
        message: str,
        *,
        text: str | None = None,
        span: tuple[int, int] | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.text = text
        self.span = span
        self.hint = hint

    def with_source(self, text: str, span: tuple[int, int] | None) -> MatdiffError:
        """Attach the input text and span if the error has none yet; returns self."""
        if self.text is None:
            self.text = text
            self.span = span
        return self

    @property
    def column(self) -> int | None:
        """0-based column of the caret, or None when the error has no place."""
        return None if self.span is None else self.span[0]

    def __str__(self) -> str:
        lines = [f"error: {self.message}"]
        if self.text is not None and self.span is not None and "\n" not in self.text:
            start, end = self.span
            start = max(0, min(start, len(self.text)))
            end = max(start + 1, min(end, len(self.text) + 1))
            lines.append("  " + self.text)
            lines.append("  " + " " * start + "^" * (end - start))
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


class ParseError(MatdiffError):
    """Malformed text: unknown characters, unbalanced parentheses, missing operands."""


class NameError_(MatdiffError, KeyError):
    """An unknown function or a misused name (a `KeyError` too, so `except KeyError`
    catches a value missing for a name)."""


class ShapeError(MatdiffError):
    """Operands whose shapes do not fit the operation."""


class DeclarationError(MatdiffError):
    """A variable declaration that cannot be read or contradicts the expression."""


class DiffError(MatdiffError):
    """A derivative that cannot be taken (for example with respect to a non-variable)."""


class NoMatrixForm(DiffError):
    """No closed matrix form exists for a derivative; callers fall back to index form."""


class ValueError_(MatdiffError, ValueError):
    """Numeric values that contradict the declarations or lie outside a function's domain
    (a `ValueError` too, so `except ValueError` works as it does for NumPy)."""


class LimitError(MatdiffError):
    """Input too long or too deeply nested, or work over its budget."""


class MatdiffWarning(UserWarning):
    """Something the user probably did not mean, though the input is valid: a name whose
    first letter alone made the function a vector (the typing trap), say."""


class InternalError(Exception):
    """A bug in matdiff, not in the input: an invariant of the engine did not hold. Not a
    `MatdiffError`, so that no caller mistakes it for bad input and carries on."""

    def __init__(self, message: str) -> None:
        super().__init__(f"{message} (this is a bug in matdiff; please report it)")


# Public names without the trailing underscore used to avoid shadowing builtins here.
UnknownNameError = NameError_
InputValueError = ValueError_
