"""The syntax tree and the parser: tokens -> AST with spans.

Contract: `parse_ast(text)` returns the AST of `text` or raises `ParseError` (malformed
text) or `LimitError` (too long, nested deeper than `MAX_DEPTH`). It knows nothing of
shapes or of which names are functions; `typing.py` and `lower.py` do.

Precedence, low to high (MATLAB's): `+ -`; `* / .* ./`; unary `- +`; then postfix `'`
and `^ .^` at one level, applied left to right: `A^2'` is `(A^2)'`, `A'^2` is `(A')^2`,
`a^b^c` is `(a^b)^c`. The exponent is an atom (number, name, call, parenthesised
expression, block) that may carry a sign (`X^-1`, `2^-x`); it never takes a following
`'`, so `X^-1'` is `(X^-1)'`.

Chains of left-associative operators are kept flat (`Chain`), and runs of prefix signs
or postfix primes are folded, so the depth of the tree is the nesting depth of the text
(parentheses, brackets, calls, exponents): later passes recurse over the tree and must
not hit Python's recursion limit on a long but flat input such as `a+a+...+a`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import LimitError, ParseError
from .lexer import Token, tokenize

# Each level of nesting costs the recursive passes (syntax, typing, lowering) about nine
# Python frames, and the derivative of the deepest text is up to about four times as
# deep, which the printers (2.5 frames a level) and code generation must take too: 50
# levels keep every pass inside the default recursion limit of 1000 frames with room for
# the caller's own stack.
MAX_DEPTH = 50

Span = tuple[int, int]


@dataclass(frozen=True, eq=False)
class Ast:
    span: Span


@dataclass(frozen=True, eq=False)
class Num(Ast):
    value: float
    text: str


@dataclass(frozen=True, eq=False)
class Name(Ast):
    name: str


@dataclass(frozen=True, eq=False)
class Call(Ast):
    name: str
    name_span: Span
    args: tuple[Ast, ...]


@dataclass(frozen=True, eq=False)
class Group(Ast):
    """Parentheses: kept so messages quote the operand as written."""

    inner: Ast


@dataclass(frozen=True, eq=False)
class Neg(Ast):
    operand: Ast


@dataclass(frozen=True, eq=False)
class Transpose(Ast):
    operand: Ast


@dataclass(frozen=True, eq=False)
class Step:
    op: str
    op_span: Span
    operand: Ast


@dataclass(frozen=True, eq=False)
class Chain(Ast):
    """`first op1 x1 op2 x2 ...`, evaluated left to right; all ops of one precedence."""

    first: Ast
    steps: tuple[Step, ...]


@dataclass(frozen=True, eq=False)
class Block(Ast):
    rows: tuple[tuple[Ast, ...], ...]


ADDITIVE = ("+", "-")
MULTIPLICATIVE = ("*", "/", ".*", "./")
POWER = ("^", ".^")


def parse_ast(text: str) -> Ast:
    tokens = tokenize(text)
    if tokens[0].kind == "eof":
        raise ParseError("the expression is empty", text=text, span=(0, 0),
                         hint="type an expression such as x'*A*x")
    parser = _Parser(text, tokens)
    tree = parser.expression()
    tok = parser.peek()
    if tok.kind != "eof":
        parser.unexpected(tok)
    return tree


class _Parser:
    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.pos = 0
        self.depth = 0
        # the innermost open bracket, for "missing )" messages
        self.open: list[Token] = []

    # ------------------------------------------------------------------ helpers

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        tok = self.tokens[self.pos]
        if tok.kind != "eof":
            self.pos += 1
        return tok

    def error(self, message: str, span: Span, hint: str | None = None) -> ParseError:
        return ParseError(message, text=self.text, span=span, hint=hint)

    def enter(self, tok: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise LimitError(
                f"the expression is nested more than {MAX_DEPTH} levels deep",
                text=self.text, span=tok.span,
                hint="split it into smaller expressions",
            )

    def leave(self) -> None:
        self.depth -= 1

    def unexpected(self, tok: Token) -> None:
        """Raise the most helpful error for a token that cannot come here."""
        if tok.kind == ")":
            raise self.error("unbalanced parentheses: this ')' has no matching '('", tok.span,
                             hint="remove it or add a '(' before it")
        if tok.kind == "]":
            raise self.error("this ']' has no matching '['", tok.span)
        if tok.kind in ("num", "name", "(", "["):
            prev = self.tokens[self.pos - 1] if self.pos else None
            hint = "use * for a product"
            if self.open and self.open[-1].kind == "[":
                hint = "separate the entries of a block with ',' (or rows with ';')"
            elif tok.kind == "(" and prev is not None and prev.kind in ("num", ")"):
                hint = "write * before '(' for a product"
            raise self.error(f"missing operator before {_describe(tok)}", tok.span, hint=hint)
        if tok.kind in (",", ";") and not self.open:
            raise self.error(f"unexpected {_describe(tok)}", tok.span,
                             hint="',' and ';' separate entries inside [ ] or arguments of "
                                  "a function")
        raise self.error(f"unexpected {_describe(tok)}", tok.span)

    def expect_close(self, opener: Token, closer: str) -> Token:
        tok = self.peek()
        if tok.kind == closer:
            return self.advance()
        if tok.kind == "eof":
            raise self.error(
                f"unbalanced {'parentheses' if closer == ')' else 'brackets'}: "
                f"'{opener.text}' is never closed", opener.span,
                hint=f"add a '{closer}' at the end",
            )
        self.unexpected(tok)
        raise AssertionError("unreachable")

    # -------------------------------------------------------------- grammar

    def expression(self) -> Ast:
        return self.chain(ADDITIVE, self.term)

    def term(self) -> Ast:
        return self.chain(MULTIPLICATIVE, self.unary)

    def chain(self, ops: tuple[str, ...], operand) -> Ast:  # type: ignore[no-untyped-def]
        first = operand()
        steps: list[Step] = []
        entered = 0
        group = None
        while (tok := self.peek()).kind == "op" and tok.text in ops:
            self.advance()
            # Switching between `*`/`/` and `.*`/`./` nests products in the IR
            # (matmul inside hadamard inside matmul ...): count it as nesting.
            g = tok.text.startswith(".")
            if ops is MULTIPLICATIVE and steps and g != group:
                self.enter(tok)
                entered += 1
            group = g
            steps.append(Step(tok.text, tok.span, operand()))
        self.depth -= entered
        if not steps:
            return first
        return Chain((first.span[0], steps[-1].operand.span[1]), first, tuple(steps))

    def signs(self) -> tuple[int, Token | None]:
        """Fold a run of prefix signs: the number of minuses and the first sign token."""
        minus, first = 0, None
        while (tok := self.peek()).kind == "op" and tok.text in ADDITIVE:
            self.advance()
            first = first or tok
            minus += tok.text == "-"
        return minus, first

    def unary(self) -> Ast:
        minus, first = self.signs()
        operand = self.power()
        if first is None or minus % 2 == 0:
            return operand
        return Neg((first.start, operand.span[1]), operand)

    def power(self) -> Ast:
        """Postfix `'` and `^ .^`: one precedence level, applied left to right."""
        node = self.primary()
        steps: list[Step] = []
        entered = 0
        while True:
            tok = self.peek()
            if tok.kind == "op" and tok.text in POWER:
                self.advance()
                # each step nests the IR one level deeper: (a^b)^c
                self.enter(tok)
                entered += 1
                steps.append(Step(tok.text, tok.span, self.exponent()))
            elif tok.kind == "'":
                if steps:
                    # the transpose applies to the power so far: A^2' is (A^2)'
                    node = _power_chain(node, steps)
                    steps = []
                    self.enter(tok)
                    entered += 1
                node = self.primes(node)
            else:
                break
        self.depth -= entered
        return _power_chain(node, steps) if steps else node

    def exponent(self) -> Ast:
        """The operand of `^`/`.^`: an optionally signed atom, without postfix primes."""
        minus, first = self.signs()
        operand = self.primary()
        if first is None or minus % 2 == 0:
            return operand
        return Neg((first.start, operand.span[1]), operand)

    def primes(self, node: Ast) -> Ast:
        """Fold the run of `'` after `node`: x' is a transpose, x'' is x."""
        primes = 0
        end = node.span[1]
        while (tok := self.peek()).kind == "'":
            self.advance()
            primes += 1
            end = tok.end
        if primes % 2:
            return Transpose((node.span[0], end), node)
        # x'' is x; keep the span of what was written
        return Group((node.span[0], end), node)

    def primary(self) -> Ast:
        tok = self.peek()
        if tok.kind == "num":
            self.advance()
            assert tok.value is not None
            return Num(tok.span, tok.value, tok.text)
        if tok.kind == "name":
            self.advance()
            if self.peek().kind == "(":
                return self.call(tok)
            return Name(tok.span, tok.text)
        if tok.kind == "(":
            self.advance()
            self.enter(tok)
            self.open.append(tok)
            if self.peek().kind == ")":
                raise self.error("empty parentheses", (tok.start, self.peek().end),
                                 hint="put an expression inside ( )")
            inner = self.expression()
            close = self.expect_close(tok, ")")
            self.open.pop()
            self.leave()
            return Group((tok.start, close.end), inner)
        if tok.kind == "[":
            return self.block()
        if tok.kind == "eof":
            prev = self.tokens[self.pos - 1]
            raise self.error(f"missing operand after {_describe(prev)}", tok.span,
                             hint="the expression ends too early")
        if tok.kind == "op" and tok.text in ("*", "/", ".*", "./", "^", ".^"):
            before = self.tokens[self.pos - 1] if self.pos else None
            if before is not None and before.kind == "op":
                hint = "use ^ for powers" if (before.text, tok.text) == ("*", "*") else None
                raise self.error(f"two operators in a row: '{before.text}' then '{tok.text}'",
                                 tok.span, hint=hint)
            raise self.error(f"missing operand before '{tok.text}'", tok.span)
        if tok.kind in (")", "]", ",", ";"):
            where = f" after {_describe(self.tokens[self.pos - 1])}" if self.pos else ""
            raise self.error(f"missing operand{where}", tok.span)
        if tok.kind == "'":
            raise self.error("a transpose ' needs something before it", tok.span)
        self.unexpected(tok)
        raise AssertionError("unreachable")

    def call(self, name: Token) -> Ast:
        lparen = self.advance()
        self.enter(lparen)
        self.open.append(lparen)
        args: list[Ast] = []
        if self.peek().kind != ")":
            args.append(self.expression())
            while self.peek().kind == ",":
                self.advance()
                args.append(self.expression())
        close = self.expect_close(lparen, ")")
        self.open.pop()
        self.leave()
        return Call((name.start, close.end), name.text, name.span, tuple(args))

    def block(self) -> Ast:
        lbrack = self.advance()
        self.enter(lbrack)
        self.open.append(lbrack)
        if self.peek().kind == "]":
            raise self.error("empty block matrix", (lbrack.start, self.peek().end),
                             hint="write entries such as [a, b; c, d]")
        rows: list[tuple[Ast, ...]] = []
        row: list[Ast] = [self.expression()]
        while (tok := self.peek()).kind in (",", ";"):
            self.advance()
            if tok.kind == ";":
                rows.append(tuple(row))
                row = []
            row.append(self.expression())
        rows.append(tuple(row))
        close = self.expect_close(lbrack, "]")
        self.open.pop()
        self.leave()
        return Block((lbrack.start, close.end), tuple(rows))


def _power_chain(base: Ast, steps: list[Step]) -> Chain:
    return Chain((base.span[0], steps[-1].operand.span[1]), base, tuple(steps))


def _describe(tok: Token | None) -> str:
    if tok is None:
        return "the start"
    if tok.kind == "eof":
        return "the end of the expression"
    if tok.kind == "num":
        return f"the number {tok.text}"
    if tok.kind == "name":
        return f"'{tok.text}'"
    return f"'{tok.text}'"
