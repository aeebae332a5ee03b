"""The lexer: text -> tokens with spans.

Contract: `tokenize(text)` returns the tokens of `text` in order, ending with one `eof`
token whose span is `(len(text), len(text))`, or raises `ParseError` with the text and
the span of the offending characters. Every token carries its `(start, end)` span
(0-based, end exclusive) so later errors can put a caret under it.

Kinds: `num` (value: float), `name`, `op` (`+ - * / .* ./ ^ .^`), `'` (transpose, also
`.'`), `(`, `)`, `[`, `]`, `,`, `;`, `eof`. Whitespace (newlines included) separates
tokens and is otherwise ignored. A `'` is always the transpose: the language has no
strings.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..errors import LimitError, ParseError

# Long enough for every printed result to paste back (a third derivative of a short
# function can print 16,000 characters), short enough to bound the work on bad input.
MAX_LENGTH = 100_000


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int
    end: int
    value: float | None = None

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)


# A number: digits with an optional fraction, or a leading-dot fraction; optional exponent.
# `2.*x` is `2 .* x` as in MATLAB: a dot followed by an operator character is not part of
# the number, so the lookahead below refuses it.
_NUMBER = re.compile(r"(\d+(\.(?![*/^'])\d*)?|\.\d+)([eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_TWO_CHAR = {".*": "op", "./": "op", ".^": "op", ".'": "'"}
_ONE_CHAR = {
    "+": "op", "-": "op", "*": "op", "/": "op", "^": "op", "'": "'",
    "(": "(", ")": ")", "[": "[", "]": "]", ",": ",", ";": ";",
}
# Characters people commonly type from other languages, with what to write instead.
_FOREIGN_HINTS = {
    "@": "use * for the matrix product",
    "×": "use * for the matrix product",
    "·": "use * for the matrix product",
    "⊙": "use .* for the elementwise product",
    "∘": "use .* for the elementwise product",
    "⊗": "use kron(A, B) for the Kronecker product",
    "ᵀ": "use ' for the transpose (x')",
    "−": "that is a Unicode minus; type '-'",
    "√": "use sqrt(x)",
    "\\": "use inv(A)*b (there is no left division)",
    "=": "write only the expression to differentiate, without '='",
    "{": "use [ ] for block matrices",
    "}": "use [ ] for block matrices",
    "\"": "the language has no strings",
    "_": "names start with a letter",
}


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_LENGTH:
        raise LimitError(
            f"the expression is {len(text)} characters long; the limit is {MAX_LENGTH}",
            hint="split the expression into smaller parts",
        )
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        m = _NUMBER.match(text, i)
        if m and (ch.isdigit() or (ch == "." and m.end() > i + 1)):
            tokens.append(_number(text, m.start(), m.end()))
            i = m.end()
            if i < n and (text[i].isalpha() or text[i] == "_"):
                j = i
                while j < n and (text[j].isalnum() or text[j] == "_"):
                    j += 1
                raise ParseError(
                    f"missing operator between {text[m.start():i]} and {text[i:j]}",
                    text=text, span=(i, i + 1),
                    hint=f"write {text[m.start():i]}*{text[i:j]} for a product",
                )
            continue
        m = _NAME.match(text, i)
        if m:
            tokens.append(Token("name", m.group(), i, m.end()))
            i = m.end()
            continue
        two = text[i : i + 2]
        if two in _TWO_CHAR:
            tokens.append(Token(_TWO_CHAR[two], two, i, i + 2))
            i += 2
            continue
        if ch in _ONE_CHAR:
            tokens.append(Token(_ONE_CHAR[ch], ch, i, i + 1))
            i += 1
            continue
        raise ParseError(
            f"unexpected character {ch!r}", text=text, span=(i, i + 1),
            hint=_FOREIGN_HINTS.get(ch, "the language uses + - * / .* ./ ^ .^ ' ( ) [ ] , ;"),
        )
    tokens.append(Token("eof", "", n, n))
    return tokens


def _number(text: str, start: int, end: int) -> Token:
    s = text[start:end]
    value = float(s)
    if math.isinf(value):
        raise ParseError(
            f"the number {s} is too large", text=text, span=(start, end),
            hint="numbers must be finite double-precision values (below about 1.8e308)",
        )
    return Token("num", s, start, end, value)
