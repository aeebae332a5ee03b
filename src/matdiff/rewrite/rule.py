"""The rewrite rule record: a name, the identity it states, its left-hand sides as
patterns (rewrite/pattern.py), replacements built from the bindings, and examples.

Contract: `Rule.apply(node)` tries the rule's cases in order; for each case, the matches
of its pattern in the pattern's order; it returns the first replacement that is not None
(a replacement may decline: "only when shorter"), or None when nothing fires. A case's
`guard`, when given, must accept the bindings first. Replacements and guards take the
bindings their parameters name and build only through `matdiff.ir.build`'s public
functions. `ops` (from the patterns) are the ops a rule is indexed by.

A rule whose match is a genuine search over a sum's terms (grouping terms by a factor,
a gcd of all coefficients) has a pattern that names the node (`op("add", name="n")`)
and a procedural replacement; its `search` field says why, so the table shows which
rules are still procedural. `examples` are inputs the rule must fire on (text and
declarations): tests/rewrite/test_rewrite_rules.py checks each numerically.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..ir.node import Node
from .pattern import Pattern, call_with, parameters

Example = tuple[str, dict[str, str]]


@dataclass(frozen=True)
class Case:
    """One left-hand side and what it becomes."""

    pattern: Pattern
    build: Callable[..., Node | None]
    guard: Callable[..., bool] | None = None

    def __post_init__(self) -> None:
        bound = self.pattern.names()
        for fn in (self.build, self.guard):
            params = parameters(fn) if fn is not None else ()
            missing = set(params or ()) - bound
            if missing:
                raise TypeError(f"{fn} takes {sorted(missing)}, which the pattern never binds")
        # looked up once here: apply runs for every node of the rule's op
        object.__setattr__(self, "_params", (
            parameters(self.build), parameters(self.guard) if self.guard else None))
        # a replacement of the bare node (a rule that searches) is called directly
        whole = self.pattern.node_name()
        object.__setattr__(self, "_direct", whole is not None and self.guard is None
                           and parameters(self.build) == (whole,))


@dataclass(frozen=True)
class Rule:
    name: str
    doc: str
    cases: tuple[Case, ...]
    examples: tuple[Example, ...] = ()
    search: str | None = None  # why the match is procedural, for rules that search

    @property
    def ops(self) -> tuple[str, ...]:
        """The ops of the nodes this rule can fire on, in the order first declared."""
        out: list[str] = []
        for c in self.cases:
            if c.pattern.ops is None:
                raise TypeError(f"rule {self.name}: a top-level pattern must name its op")
            out += sorted(o for o in c.pattern.ops if o not in out)
        return tuple(out)

    @property
    def fn(self) -> Callable[..., Node | None]:
        """The first case's replacement (where code asks which module a rule is from)."""
        return self.cases[0].build

    @property
    def op(self) -> str:
        """The op the rule is indexed by (the first, for a rule with several)."""
        return self.ops[0]

    def apply(self, n: Node) -> Node | None:
        for c in self.cases:
            # this runs for every node of the rule's op: most fail `accepts`, cheaply
            if not c.pattern.accepts(n):
                continue
            if c._direct:  # type: ignore[attr-defined]
                direct = c.build(n)
                if direct is not None:
                    return direct
                continue
            build, guard = c.build, c.guard
            build_params, guard_params = c._params  # type: ignore[attr-defined]
            for env in c.pattern.match(n):
                if guard is not None and not call_with(guard, guard_params, env):
                    continue
                out = call_with(build, build_params, env)
                if out is not None:
                    return out  # type: ignore[return-value]
        return None


Replacement = Callable[..., Node | None]
CaseSpec = tuple[Pattern, Replacement] | tuple[Pattern, Replacement, Callable[..., bool]]


def rule(name: str, doc: str, *cases: CaseSpec, examples: tuple[Example, ...] = (),
         search: str | None = None) -> Rule:
    """A rule from (pattern, replacement[, guard]) cases."""
    return Rule(name, doc, tuple(Case(*c) for c in cases), tuple(examples), search)
