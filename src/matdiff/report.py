"""The human-readable report of a derivative that the command line prints.

It names the function, the variables with their inferred kinds and sizes, the result,
what kind of result it is and in which layout, and, where there is no matrix form, the
differential and the index form instead.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Iterator, Mapping

from .backends.evaluate import walk
from .backends.index_form import index_form
from .backends.text import to_text
from .diff.derivative import DENOMINATOR_TRANSPOSED, Derivative
from .errors import MatdiffError
from .ir import build as b
from .ir.dims import dim_names, format_shape, is_column, is_row, is_scalar, kind_of
from .ir.node import Node, variables_in
from .ir.walk import substitute
from .parse.echo import as_written
from .parse.traps import broadcast_traps

LAYOUT_NOTE = {
    "numerator": "numerator layout (gradients have the variable's shape; Jacobians are m×n)",
    "denominator": "denominator layout (Jacobians are n×m, the transpose of numerator layout)",
    "strict": "strict numerator layout (a gradient is the transpose of the variable's "
    "shape: a row for a vector; Jacobians are m×n)",
}

FORM_NOTE = {
    "gradient": "gradient",
    "gradient_list": "gradient (by the listed scalars, stacked)",
    "by_scalar": "derivative by a scalar (the shape of the function)",
    "jacobian": "Jacobian",
    "kronecker": "Kronecker form M with vec(dF) = M*vec(dX)",
    "index": "index form (no closed matrix form)",
}


def trap_notes(d: Derivative, text: str | None,
               variables: Mapping[str, str] | None) -> list[str]:
    """A note for each typing trap of `text` (parse/traps.py): what made f non-scalar,
    and the declaration that makes it the scalar the person most likely meant."""
    if text is None:
        return []
    wrt = [v.arg.name for v in d.wrt]
    notes = []
    for t in broadcast_traps(text, variables, wrt):
        kind = {1: "a gradient", 2: "a Hessian"}.get(d.order)
        then = f" (then {d.name()} is {kind})" if kind and not set(t.names) & set(wrt) else ""
        notes += [f"  note: {t.message}", f"  hint: for a scalar f, declare {t.option}{then}"]
    return notes


def unused_declaration_notes(d: Derivative, text: str | None,
                             variables: Mapping[str, str] | None) -> list[str]:
    """A note for each declared name that f does not use: most often a misspelling
    (`--var "lamda: scalar"` for lambda), which otherwise leaves the name it meant
    typed by its first letter without a word. A name in the text counts as used even
    where the builders folded it away (`(A - A)*x`)."""
    used = set(variables_in([d.function])) | set(re.findall(r"[A-Za-z_]\w*", text or ""))
    notes = []
    for name in sorted(set(variables or {}) - used):
        close = difflib.get_close_matches(name, sorted(used), n=1, cutoff=0.6)
        meant = f"; did you mean {close[0]}?" if close else ""
        notes.append(f"  note: {name} is declared but f does not use it{meant}")
    return notes


def describe_variables(nodes: list[Node]) -> str:
    seen = variables_in(nodes)
    parts = []
    for name in sorted(seen):
        v = seen[name]
        props = " " + " ".join(sorted(v.arg.props)) if v.arg.props else ""
        kind = kind_of(v.shape)
        size = "" if kind == "scalar" else f" {format_shape(v.shape)}"
        parts.append(f"{name}: {kind}{size}{props}")
    return ", ".join(parts)


def layout_note(d: Derivative) -> str:
    """The layout, and what it means for this kind of result only: the shape of a
    gradient is said of gradients, m×n of Jacobians, and nothing more of Hessians."""
    hessian = d.order == 2 and is_scalar(d.function.shape)
    if d.layout == "strict":
        return LAYOUT_NOTE["strict"]
    if d.form in ("gradient", "gradient_list") and d.order == 1:
        return LAYOUT_NOTE[d.layout] if d.layout == "numerator" else "denominator layout"
    if d.layout == "denominator":
        if d.form in DENOMINATOR_TRANSPOSED and not hessian:
            return "denominator layout (the transpose of the numerator layout's matrix)"
        return "denominator layout"
    if d.form == "jacobian" and not hessian:
        return "numerator layout (Jacobians are m×n: a row for each entry of f)"
    return "numerator layout"


def report(d: Derivative, text: str | None = None,
           variables: Mapping[str, str] | None = None) -> str:
    """The report; given the `text` typed and its `variables`, f is echoed as typed
    (`(x - m)'`) and typing traps are noted (parse/traps.py)."""
    order = "" if d.order == 1 else f"^{d.order}"
    shown = d.as_typed if d.as_typed is not None else d.function
    declared = describe_variables([d.function, *d.wrt, *d.variables])
    echo = as_written(text) if text is not None else to_text(shown)
    lines = [f"f = {echo}", f"  where {declared}", *trap_notes(d, text, variables),
             *unused_declaration_notes(d, text, variables)]
    head = d.name()
    if d.expr is not None:
        limit = max(60, SWELL_LIMIT * len(to_text(shown)))
        short, abbreviations = abbreviate(d.expr, names_in_use(d), limit=limit)
        lines.append(f"{head} = {to_text(short)}")
        for name, sub in abbreviations:
            lines.append(f"  where {name} = {to_text(sub)}")
        lines.append(f"  {describe_form(d)}, {layout_note(d)}")
        if d.structured:
            lines.append(f"  {structure_note(d)}")
        elif any(v.arg.symmetric for v in d.wrt):
            lines.append("  unconstrained derivative (all entries independent); "
                         "--structured gives it on symmetric matrices")
    elif d.form == "zero":
        lines.append(f"{head} = 0")
        lines.append(f"  {d.note}")
    else:
        lines.append(f"{head}: no closed matrix form; given by its differential")
        if d.structured:
            lines.append(f"  values {structure_note(d)}")
    if d.differentials and d.form in ("kronecker", "index"):
        directions = ""
        if len(d.dvars) > 1:
            listed = ", ".join(to_text(v) for v in d.dvars)
            directions = f" (linear in each of the directions {listed})"
        lines.append(f"  differential: d{order}f = {to_text(d.differentials[-1])}{directions}")
        try:
            lines.append(f"  index form: {index_form(d)}")
        except MatdiffError as e:  # some structures (blocks) have no Einstein form here
            lines.append(f"  index form: not available ({e.message})")
    return "\n".join(lines)


def structure_note(d: Derivative) -> str:
    X = d.wrt[0].arg.name
    if "diagonal" in d.wrt[0].arg.props:
        return f"on the space of diagonal matrices (only the diagonal of {X} moves)"
    return f"on the space of symmetric matrices (entries {X}_ij = {X}_ji move together)"


def names_in_use(d: Derivative) -> set[str]:
    """The names a reader of d already has: its variables and its sizes."""
    nodes = [d.function, *d.wrt, *d.variables]
    if d.expr is not None:
        nodes.append(d.expr)
    found = set(variables_in(nodes))
    for n in walk(nodes):
        for dim in n.shape:
            found |= dim_names(dim)
    return found


def describe_form(d: Derivative) -> str:
    """What the result is, in words: a Hessian is not called a Jacobian."""
    scalar_f = is_scalar(d.function.shape)
    if d.order == 2 and scalar_f and d.form in ("jacobian", "gradient", "kronecker"):
        if d.form == "kronecker":
            X = d.wrt[0].arg.name
            return f"Hessian in Kronecker form: d²f = vec(d{X})'*H*vec(d{X}_2)"
        return "Hessian"
    if d.form == "kronecker" and len(d.wrt) == 1:
        return f"Kronecker form M with vec(dF) = M*vec(d{d.wrt[0].arg.name})"
    if d.form == "by_scalar" and d.layout == "denominator":
        return "derivative by a scalar"  # the layout note says it is transposed
    return FORM_NOTE.get(d.form, d.form)


# Names for the parts a long result shares, by kind, so that each reads back under the
# first-letter rule as what it stands for (a-g scalars, h-z vectors, A-Z matrices); d, e
# and f are left out (differentials, Euler's number, the function). Numbered after.
_NAME_POOLS = {
    "scalar": ("a", "b", "c", "g"),
    "vector": ("s", "u", "v", "r", "q", "p", "h", "k"),
    "matrix": ("M", "P", "Q", "R", "S", "U", "V", "L"),  # not H: the Hessian
}
_DEFINITION_COST = 12
# A printed result, and each of its definitions, is at most this many times as long as
# the function it came from (or 60 characters).
SWELL_LIMIT = 20  # "  where u = " costs about this much


def _base(name: str) -> str:
    return name.rstrip("0123456789_").lower()


def _names(kind: str, taken: set[str]) -> Iterator[str]:
    """Names for parts of one kind that neither are nor look like a taken name: with x1
    taken, no x..; with S taken, no s (case-insensitive, digits ignored)."""
    avoid = {_base(t) for t in taken}
    pool = _NAME_POOLS[kind]
    for i in itertools.count():
        for base in pool:
            name = base if i == 0 else f"{base}{i}"
            if _base(name) not in avoid and name not in taken:
                yield name


_NEVER_NAMED = ("var", "dvar", "const", "fill", "eye", "commutation", "transpose")
_SHORTEST_NAMED = 4  # a repeated part shorter than this stays as it is


def _references(roots: list[Node]) -> dict[Node, int]:
    """How many times each node of the DAG is a child (with multiplicity)."""
    refs: dict[Node, int] = {r: 1 for r in roots}
    for n in walk(roots):
        for c in n.children:
            refs[c] = refs.get(c, 0) + 1
    return refs


class _Namer:
    """Hands out names for parts by kind and keeps their definitions, in order."""

    def __init__(self, taken: set[str]) -> None:
        self.pools = {kind: _names(kind, taken) for kind in _NAME_POOLS}
        self.by_text: dict[tuple[str, object], Node] = {}  # one name for one reading
        self.definitions: list[tuple[str, Node]] = []

    def known(self, part: Node) -> Node | None:
        return self.by_text.get((to_text(part), part.shape))

    def name(self, part: Node) -> Node:
        """The stand-in for part (u, or u' for a row: the name is of the column)."""
        got = self.known(part)
        if got is not None:
            return got
        row = is_row(part.shape)
        kind = "scalar" if is_scalar(part.shape) else "vector" if row or is_column(
            part.shape) else "matrix"
        name = next(self.pools[kind])
        column = b.transpose(part) if row else part
        self.definitions.append((name, column))
        stand_in = b.var(name, column.shape)
        got = b.transpose(stand_in) if row else stand_in
        self.by_text[(to_text(part), part.shape)] = got
        return got


def _name_repeated(e: Node, namer: _Namer) -> Node:
    """e with every part it repeats named when the name saves more than it costs."""
    refs = _references([e])
    short: dict[Node, Node] = {}
    for n in walk([e]):  # children first: a definition uses names defined before it
        kids = [short[c] for c in n.children]
        same = all(k is c for k, c in zip(kids, n.children, strict=True))
        shown = n if same else b.rebuild(n, kids)
        known = namer.known(shown)
        if known is not None:  # two parts that read the same once their parts are named
            shown = known
        elif n is not e and shown.op not in _NEVER_NAMED:
            length = len(to_text(shown))
            if length >= _SHORTEST_NAMED and (refs.get(n, 0) - 1) * length > _DEFINITION_COST:
                shown = namer.name(shown)
        short[n] = shown
    return short[e]


def _name_largest(e: Node, namer: _Namer, limit: int) -> Node:
    """e with its largest parts named until its text fits in `limit` characters."""
    while len(to_text(e)) > limit:
        parts = [n for n in walk([e]) if n is not e and n.op not in _NEVER_NAMED
                 and n.free and len(to_text(n)) > 2]
        if not parts:
            break
        largest = max(parts, key=lambda n: (len(to_text(n)), n.key))
        e = _replace_node(e, largest, namer.name(largest))
    return e


def abbreviate(e: Node, taken: set[str], width: int = 60, limit: int | None = None
               ) -> tuple[Node, list[tuple[str, Node]]]:
    """A long result (over `width` characters) with the parts it repeats named, so that
    its printed length is linear in the size of its DAG, and then its largest parts
    until it and each definition fit in `limit` characters: the logistic Hessian reads
    `X'*diag(y.^2 .* s .* (1 - s))*X` where s = sigmoid(-y .* (X*w)). Returns the short
    form and the definitions, each in terms of the names defined before it. `taken` are
    the names the reader already has (variables, sizes): no part name is, or looks like,
    one of them (case and digits aside), and each name's first letter types it as what
    it stands for (a-g scalars, h-z vectors, A-Z matrices; a row vector is named as the
    column it transposes, `u'`). Only for display: `str(d)` stays the whole expression."""
    # (a tree of more than 4*width nodes prints longer than width: no need to print it)
    if e.size <= 4 * width and len(to_text(e)) <= width:
        return e, []
    namer = _Namer(taken)
    short = _name_repeated(e, namer)
    if limit is not None:
        short = _name_largest(short, namer, limit)
        done = 0
        while done < len(namer.definitions):  # definitions added meanwhile are shortened too
            name, part = namer.definitions[done]
            namer.definitions[done] = (name, _name_largest(part, namer, limit))
            done += 1
    return short, _in_dependency_order(namer.definitions)


def _in_dependency_order(definitions: list[tuple[str, Node]]) -> list[tuple[str, Node]]:
    """Each definition after the definitions of the names it uses."""
    by_name = dict(definitions)
    out: list[tuple[str, Node]] = []
    placed: set[str] = set()

    def place(name: str) -> None:
        if name in placed:
            return
        placed.add(name)
        for used in sorted(by_name[name].free & by_name.keys()):
            place(used)
        out.append((name, by_name[name]))

    for name, _ in definitions:
        place(name)
    return out


def _replace_node(e: Node, target: Node, value: Node) -> Node:
    return substitute(e, {target: value}, b.rebuild)
