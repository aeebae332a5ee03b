"""Generated code for one expression: a function of named inputs returning its value.

    source = generate_function(expr, args, backend, name, doc)
    fn = compile_generated(source, name, backend)
    fn(x=..., A=..., v=...)            # the value of expr, in its user shape
    source = generate_prepared(expr, args, v, backend, name, doc)
    apply = compile_generated(source, name, backend)(x=..., A=...); apply(v)

Contract: the module has the same form as the derivative code's (codegen/__init__.py):
it imports only its backend, its one public function takes `args` (variable nodes) as
keyword arguments by name (a keyword or a name the code uses by a Python name made from
it, `lambda_`, names.py; `compile_generated`'s function takes the variables' own names
either way), converts and checks them on entry (a ValueError names the
input and the expected shape), binds the symbolic sizes from them, and computes `expr`
as straight-line code through the same Emitter (each shared subexpression once, matrix
chains in the cheapest order, `diag(v)*M` as a scaling). A scalar comes back as a float
(NumPy) or a 0-d array, a vector 1-D, a matrix 2-D. Used for Hessian-vector products,
whose function returns H·v alone, so that an optimizer's inner loop pays for nothing
else. The prepared form splits the work at one input (the direction): everything that
does not depend on it is computed once by the outer function, which returns a closure
`apply(v)` computing the rest (for logistic regression the outer function computes
X*w and the weights, and each H·v is two matrix-vector products, not three).
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Mapping
from typing import Any

from ...errors import MatdiffError
from ...ir.node import Node
from ...ir.ops import Op
from ..evaluate import walk
from .emit import Emitter, kind
from .inputs import Sizes, backend_named, constants, entry_lines
from .module import Source, compile_source, helpers_used
from .names import body_names, parameter_names, renamed, renaming_note
from .outputs import scalar_out


def generate_function(expr: Node, args: list[Node], backend: str, name: str,
                      doc: list[str]) -> Source:
    """The source of a module defining `name(*, args...)` returning expr's value."""
    be = backend_named(backend)
    _check_name(name)
    names = parameter_names([v.arg.name for v in args], body_names(be))
    reserved = {*names, *names.values(), name, "jax", *body_names(be)}
    sizes = Sizes(reserved)
    entry = entry_lines(args, names, sizes, be)
    em = Emitter(be, sizes.code, reserved | set(sizes.names.values()), [expr])
    for v in args:
        em.bind(v, names[v.arg.name])
    out = scalar_out(em.code(expr), kind(expr.shape), be)
    entry += constants(be, args, names, em)  # the array API's dtype and device of constants
    body = [f'"""{doc[0]}', "", *doc[1:], *_note(be, names), '"""', *entry, *em.lines,
            f"return {out}"]
    return _assemble(be, em, name, [names[v.arg.name] for v in args], doc, body, names)


def generate_prepared(expr: Node, args: list[Node], direction: Node, backend: str,
                      name: str, doc: list[str]) -> Source:
    """The source of a module defining `name(*, args...)` (all but `direction`) that
    computes what expr needs and does not depend on the direction, and returns
    `apply(direction)` computing the rest: the Hessian's state at a point, computed
    once for the many H·v products an optimizer's inner loop asks for there."""
    be = backend_named(backend)
    _check_name(name)
    fixed = [a for a in args if a is not direction]
    names = parameter_names([v.arg.name for v in args], body_names(be))
    reserved = {*names, *names.values(), name, "jax", *body_names(be)}
    apply = "apply"
    while apply in reserved:  # a variable may be called apply
        apply = "_" + apply
    reserved.add(apply)
    sizes = Sizes(reserved)
    entry = entry_lines(fixed, names, sizes, be)
    inner_entry = entry_lines([direction], names, sizes, be)
    em = Emitter(be, sizes.code, reserved | set(sizes.names.values()), [expr])
    for v in args:
        em.bind(v, names[v.arg.name])
    key = direction.arg.name
    for n in walk([expr]):
        if key not in n.free:
            continue
        for c in n.children:
            if key in c.free or c.op in (Op.VAR, Op.CONST):
                continue
            # diag(d) in a product runs as a scaling by d: compute d, not diag(d)
            if c.op == Op.DIAG and kind(c.children[0].shape) in ("col", "row"):
                c = c.children[0]
            em.code(c)
    outer, em.lines = em.lines, []
    out = scalar_out(em.code(expr), kind(expr.shape), be)
    inner_lines, em.lines = em.lines, outer + em.lines
    entry += constants(be, fixed or args, names, em)  # bound outside: apply sees them
    em.lines = inner_lines
    inner = [*inner_entry, *em.lines, f"return {out}"]
    body = [f'"""{doc[0]}', "", *doc[1:], *_note(be, names), '"""', *entry, *outer, "",
            f"def {apply}({names[key]}):",
            *("    " + line for line in
              [f'"""The product with {key} at the values given to {name}."""', *inner]),
            "", f"return {apply}"]
    return _assemble(be, em, name, [names[v.arg.name] for v in fixed], doc, body, names)


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise MatdiffError(f"{name!r} is not a valid Python function name")


def _note(be: Any, names: Mapping[str, str]) -> list[str]:
    """The docstring line naming the parameters that are not their variables' names."""
    return renaming_note(renamed(names), body_names(be))


def _assemble(be: Any, em: Emitter, name: str, params: list[str], doc: list[str],
              body: list[str], names: Mapping[str, str]) -> Source:
    """The module: docstring (the function's first line), imports, the helpers the body
    calls, and `def name(*, params):` with the body."""
    imports = list(be.imports)
    if be.name == "jax" and "expm" in em.used_ops:
        imports.append("import jax.scipy.linalg")
    helpers = helpers_used(be, em, body)
    parts = ['"""Generated by matdiff. ' + doc[0] + '"""', "", *imports]
    for h in helpers:
        parts += ["", "", be.helpers[h].strip("\n")]
    parts += ["", "", f"def {name}(*, {', '.join(params)}):"]
    parts += ["    " + line if line else "" for line in body]
    return Source("\n".join(parts) + "\n", renamed(names))


def compile_generated(source: str, name: str, backend: str) -> Callable[..., Any]:
    """Compile a generated module and return its function (source kept for tracebacks
    and in `fn.__matdiff_source__`); it takes the variables' own names (module.py)."""
    return compile_source(source, name, f"{backend}-expr")
