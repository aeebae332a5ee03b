"""Variable declarations: `vector n`, `matrix n n symmetric`, `x: vector m onehot`.

Contract: `parse_declaration(text)` returns a `Declaration` (kind, dims, props) or raises
`DeclarationError` with a caret into `text`; `parse_declaration_line("A: matrix n n")`
also reads the name. A declaration is checked on its own: known kind and properties,
the right number of dims for the kind, structural properties only where they make sense
(symmetric/spd/diagonal/orthogonal on square matrices, onehot/simplex on vectors, and on
matrices meaning each column: a batch of one-hot labels or of probability vectors).

Dims: `vector` takes 0 or 1 dim, `matrix` 0, 1 (square: `matrix n` is n×n) or 2, `scalar`
none. Omitted dims are inferred from the expression. Named dims are rigid: `n` is never
equal to `m` or to a number. `dims` is normalised: `()` when omitted, `(n,)` for a
vector, `(n, n)` for `matrix n`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ..errors import DeclarationError
from ..ir.dims import Dim, Shape
from ..ir.node import PROPERTIES
from ..ir.ops import FUNCTION_ARITY

KINDS = ("scalar", "vector", "matrix")
SQUARE_PROPS = frozenset({"symmetric", "spd", "diagonal", "orthogonal"})
VECTOR_PROPS = frozenset({"onehot", "simplex"})
# Names the expression language reserves; a variable cannot take them.
RESERVED = frozenset(FUNCTION_ARITY) | {"eye", "vector", "matrix", "commutation", "mean"}
_MAX_DECLARATION = 1_000
_MOST_DIMS = {"scalar": 0, "vector": 1, "matrix": 2}  # sizes a kind takes at most

_WORD = re.compile(r"[A-Za-z0-9_]+|\S")
_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class Declaration:
    kind: str  # 'scalar' | 'vector' | 'matrix'
    dims: tuple[Dim, ...] = ()
    props: frozenset[str] = field(default_factory=frozenset)

    def shape(self) -> Shape | None:
        """The declared shape, or None when some size is left to inference."""
        if self.kind == "scalar":
            return (1, 1)
        if self.kind == "vector":
            return (self.dims[0], 1) if self.dims else None
        return (self.dims[0], self.dims[1]) if self.dims else None

    def __str__(self) -> str:
        dims = self.dims[:1] if self.kind == "vector" else self.dims
        return " ".join([self.kind, *map(str, dims), *sorted(self.props)])


# Makes the DeclarationError for a message and a span of the declaration text.
_Fail = Callable[..., DeclarationError]
_Span = tuple[int, int]


def parse_declaration(text: str, *, context: str = "", offset: int = 0) -> Declaration:
    """Read `kind dims... props...`. `context`/`offset`: the full text shown in errors
    (for example `x: vector n`) and where `text` starts in it."""
    shown = context or text

    def fail(message: str, span: _Span, hint: str | None = None) -> DeclarationError:
        return DeclarationError(message, text=shown,
                                span=(span[0] + offset, span[1] + offset), hint=hint)

    if len(text) > _MAX_DECLARATION:
        raise fail(f"the declaration is longer than {_MAX_DECLARATION} characters", (0, 0))
    words = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)
             if m.group() != ","]
    if not words:
        raise fail("the declaration is empty", (0, max(1, len(text))),
                   hint="write scalar, vector n or matrix n m, then properties")
    kind = _kind(words[0], fail)
    dims, props = _dims_and_props(kind, words[1:], fail)
    _check_count(kind, dims, fail)
    values = tuple(d for d, _ in dims)
    if kind == "matrix" and len(values) == 1:
        values = (values[0], values[0])
    _check_props(kind, values, props, fail)
    return Declaration(kind, values, frozenset(props))


def _kind(word: tuple[str, int, int], fail: _Fail) -> str:
    """The first word: scalar, vector or matrix (a near miss gets a suggestion)."""
    kind, ks, ke = word
    if kind not in KINDS:
        close = difflib.get_close_matches(kind.lower(), KINDS, n=1, cutoff=0.5)
        raise fail(f"unknown kind '{kind}'", (ks, ke),
                   hint=f"did you mean {close[0]}?" if close
                   else "a declaration starts with scalar, vector or matrix")
    return kind


def _dims_and_props(
    kind: str, words: list[tuple[str, int, int]], fail: _Fail
) -> tuple[list[tuple[Dim, _Span]], dict[str, _Span]]:
    """The words after the kind: sizes (names or positive integers), then properties;
    each with its span for the errors."""
    dims: list[tuple[Dim, _Span]] = []
    props: dict[str, _Span] = {}
    most = _MOST_DIMS[kind]
    for word, s, e in words:
        if word in PROPERTIES:
            props[word] = (s, e)
        elif word.isdigit():
            if int(word) < 1:
                raise fail("a size must be a positive integer", (s, e))
            if props:
                raise fail("sizes come before properties", (s, e),
                           hint=f"write {kind} <sizes> <properties>")
            dims.append((int(word), (s, e)))
        elif _IDENT.match(word):
            close = difflib.get_close_matches(word.lower(), PROPERTIES, n=1, cutoff=0.75)
            # `sym` where no size fits any more: a shortened property, not a size
            close = close or [p for p in PROPERTIES if len(word) >= 3 and len(dims) >= most
                              and p.startswith(word.lower())][:1]
            if close or props:
                raise fail(f"unknown property '{word}'", (s, e),
                           hint=f"did you mean {close[0]}?" if close
                           else "properties: " + ", ".join(PROPERTIES))
            dims.append((word, (s, e)))
        else:
            raise fail(f"unexpected '{word}' in a declaration", (s, e),
                       hint="sizes are names or positive integers separated by spaces, "
                            "such as matrix n m")
    return dims, props


def _check_count(kind: str, dims: list[tuple[Dim, _Span]], fail: _Fail) -> None:
    """At most the kind's number of sizes; the caret covers the extra ones."""
    most = _MOST_DIMS[kind]
    if len(dims) > most:
        extra = dims[most][1]
        have = {0: "no size", 1: "one size", 2: "two sizes"}[most]
        raise fail(f"a {kind} has {have}, got {len(dims)}", (extra[0], dims[-1][1][1]),
                   hint={"scalar": "write just scalar", "vector": "write vector n",
                         "matrix": "write matrix n m"}[kind])


def _check_props(kind: str, values: tuple[Dim, ...], props: dict[str, _Span],
                 fail: _Fail) -> None:
    """Structural properties only where they make sense (see the module docstring)."""
    for prop, span in props.items():
        if prop in SQUARE_PROPS:
            if kind != "matrix":
                raise fail(f"'{prop}' needs a square matrix, not a {kind}", span)
            if len(values) == 2 and values[0] != values[1]:
                raise fail(f"'{prop}' needs a square matrix, not {values[0]}×{values[1]}",
                           span, hint=f"write matrix {values[0]} {values[0]} {prop}")
        if prop in VECTOR_PROPS and kind == "scalar":
            # on a matrix they hold per column: a batch of one-hot labels (issue 11, 6)
            raise fail(f"'{prop}' needs a vector or a matrix (per column), not a scalar",
                       span)


def parse_declaration_line(line: str) -> tuple[str, Declaration]:
    """Read `name: kind dims... props...`."""
    name, sep, rest = line.partition(":")
    if not sep:
        raise DeclarationError("a declaration line needs a ':' after the name",
                               text=line, span=(0, max(1, len(line))),
                               hint="write for example  A: matrix n n symmetric")
    stripped = name.strip()
    start = len(name) - len(name.lstrip())
    check_name(stripped, text=line, span=(start, start + max(1, len(stripped))))
    return stripped, parse_declaration(rest, context=line, offset=len(name) + 1)


def check_name(name: str, *, text: str, span: tuple[int, int]) -> None:
    if not _IDENT.match(name):
        raise DeclarationError(f"'{name}' is not a valid variable name", text=text, span=span,
                               hint="names start with a letter, then letters, digits or _")
    if name in RESERVED:
        raise DeclarationError(f"'{name}' is a function or constant of the language, "
                               "not a variable name", text=text, span=span)


def declared(variables: object) -> dict[str, tuple[Declaration, str]]:
    """Read a `variables` mapping of name -> declaration text (or Declaration).

    Returns name -> (declaration, the text shown in errors about it)."""
    if variables is None:
        return {}
    if not isinstance(variables, Mapping):
        raise DeclarationError("variables must be a mapping of name -> declaration, "
                               "such as {'x': 'vector n'}")
    out: dict[str, tuple[Declaration, str]] = {}
    for name, spec in variables.items():
        if not isinstance(name, str):
            raise DeclarationError(f"variable names must be strings, got {name!r}")
        line = f"{name}: {spec}"
        check_name(name, text=line, span=(0, max(1, len(name))))
        if isinstance(spec, Declaration):
            out[name] = (spec, line)
        elif isinstance(spec, str):
            out[name] = (parse_declaration(spec, context=line, offset=len(name) + 2), line)
        else:
            raise DeclarationError(f"the declaration of {name} must be a string such as "
                                   f"'vector n', got {spec!r}")
    return out
