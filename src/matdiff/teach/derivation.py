"""The record of a step-by-step derivation and how it is printed (text and LaTeX).

Contract:
- A `Derivation` is the derivative it explains, an intro, a list of `DerivationStep`s in
  four sections ("differentials", "identification", "simplification", "result"; a
  Hessian's second-order steps have stage 2) and a conclusion.
- Every step carries the nodes it relates and how (`relation`): "d" (rhs is the
  differential of lhs; `applied`, when set, is the rule applied before terms are
  collected, equal to rhs), "=" (rhs equals lhs), "identify" (lhs, linear in dX, equals
  tr(rhs'*dX)), "jacobian" (vec(lhs) = rhs*vec(dX)), "by_scalar" (lhs = rhs*dt), "note".
  teach/stepcheck.py checks one numerically.
- `text()` and `latex()` only format: nodes are printed by teach/shown.py's `show`
  (a sum of transposes as the transpose of the sum), nothing is derived here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..backends.latex import to_latex
from ..diff.derivative import Derivative
from ..ir.node import Node
from .shown import show, tidy

SECTIONS = ("differentials", "identification", "simplification", "result")

SECTION_TITLES = {
    "differentials": "1. Differentials of the parts (rule table, bottom-up)",
    "identification": "2. Identification: bring df into canonical form",
    "simplification": "3. Simplification",
    "result": "Result",
}


@dataclass
class DerivationStep:
    section: str
    rule: str  # the rule's name or formula, as shown
    lhs: Node | None
    rhs: Node
    relation: str  # "d", "=", "identify", "jacobian", "by_scalar", "note"
    cite: str = ""
    note: str = ""
    label: str = ""  # how the left side is written, e.g. "df" or "tr(G1'*dX)"
    dvar: Node | None = None  # the differential the step is linear in, where it matters
    name: str = ""  # the symbol the identification step defines (G1, J, ...)
    stage: int = 1  # 2 for the second-order part of a Hessian
    applied: Node | None = None  # "d": the rule applied, before terms are collected

    def shown_applied(self) -> str:
        """The applied rule as printed, or "" where it reads as the result does."""
        if self.applied is None:
            return ""
        text = show(self.applied)
        return "" if text == show(self.rhs) else text

    def text(self) -> str:
        lhs = show(self.lhs) if self.lhs is not None else ""
        left = self.label or lhs
        rhs = show(self.rhs)
        if self.relation == "d":
            middle = self.shown_applied()
            body = f"d({lhs}) = " + (f"{middle} = {rhs}" if middle else rhs)
        elif self.relation == "note":
            body = self.label
        elif self.relation in ("identify", "jacobian", "by_scalar"):
            body = f"{left}   ⇒   {self.note_symbol()} = {rhs}"
        else:
            body = f"{left} = {rhs}" if left else f"= {rhs}"
        why = self.rule + (f"; {self.cite}" if self.cite else "")
        extra = f"\n        ({self.note})" if self.note else ""
        return f"    {body}\n        [{why}]{extra}" if why else f"    {body}{extra}"

    def __str__(self) -> str:
        return self.text()

    def note_symbol(self) -> str:
        return self.name or {"identify": "G", "jacobian": "J", "by_scalar": "M"}.get(
            self.relation, "")


@dataclass
class Derivation:
    derivative: Derivative
    steps: list[DerivationStep] = field(default_factory=list)
    intro: list[str] = field(default_factory=list)
    conclusion: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        """The derivation as text: print(d.steps()) reads as `matdiff steps` prints."""
        return self.text()

    @property
    def result(self) -> Node | None:
        return self.derivative.expr

    def section(self, name: str, stage: int | None = None) -> list[DerivationStep]:
        return [s for s in self.steps
                if s.section == name and (stage is None or s.stage == stage)]

    def _groups(self) -> list[tuple[str, list[DerivationStep]]]:
        out = []
        stages = sorted({s.stage for s in self.steps})
        for stage in stages:
            for sec in SECTIONS[:-1]:
                steps = self.section(sec, stage)
                if steps:
                    title = SECTION_TITLES[sec]
                    if len(stages) > 1 and sec != "result":
                        if stage == 2:
                            title = title.replace("df", "dg")
                        title = ("First order: " if stage == 1 else
                                 "Second order (differentiate g again): ") + title
                    out.append((title, steps))
        if self.section("result"):
            out.append((SECTION_TITLES["result"], self.section("result")))
        return out

    def text(self) -> str:
        lines = list(self.intro)
        for title, steps in self._groups():
            lines.append("")
            lines.append(title)
            lines.extend(s.text() for s in steps)
        if self.conclusion:
            lines.append("")
            lines.extend(self.conclusion)
        return "\n".join(lines)

    def latex(self) -> str:
        tex = _latex_printer()
        rows = []
        for line in self.intro:
            rows.append(r"\text{" + _tex_escape(line.strip()) + r"}")
        for title, steps in self._groups():
            rows.append(r"&\textbf{" + _tex_escape(title) + "}")
            for s in steps:
                why = _tex_escape(s.rule + (f"; {s.cite}" if s.cite else ""))
                if s.relation == "d":
                    row = rf"d\left({tex(s.lhs)}\right) &= {tex(s.rhs)}"
                    if s.shown_applied() and s.applied is not None:
                        row = (rf"d\left({tex(s.lhs)}\right) &= {tex(s.applied)} "
                               rf"= {tex(s.rhs)}")
                elif s.relation == "note":
                    row = r"&\text{" + _tex_escape(s.label) + "}"
                elif s.relation in ("identify", "jacobian", "by_scalar"):
                    left = tex(s.lhs) if s.lhs is not None else ""
                    sym = _tex_escape(s.note_symbol())
                    row = rf"{left} &\Rightarrow \text{{{sym}}} = {tex(s.rhs)}"
                else:
                    left = (tex(s.lhs) if s.lhs is not None else
                            r"\text{" + _tex_escape(s.label) + "}" if s.label else "")
                    row = rf"{left} &= {tex(s.rhs)}"
                rows.append(row + r" && \text{" + why + "}")
        for line in self.conclusion:
            rows.append(r"\text{" + _tex_escape(line.strip()) + r"}")
        return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"


def _tex_escape(s: str) -> str:
    out = s
    for a, c in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("&", r"\&"), ("%", r"\%"),
                 ("#", r"\#"), ("$", r"\$"), ("{", r"\{"), ("}", r"\}"), ("^", r"\^{}")):
        out = out.replace(a, c)
    return out


def _latex_printer():
    """The LaTeX printer on the steps' display nodes; text in \\texttt for a node it
    does not know (a differential dX, a commutation matrix)."""

    def tex(n: Node | None) -> str:
        if n is None:
            return ""
        try:
            return to_latex(tidy(n))
        except Exception:  # noqa: BLE001 - any node the LaTeX printer cannot print
            return r"\texttt{" + _tex_escape(show(n)) + "}"

    return tex
