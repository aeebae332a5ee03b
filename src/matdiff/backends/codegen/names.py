"""Generated code, the Python names of the variables.

A variable may be called anything a Python identifier can be (`matdiff.vector("np")`,
`--var "lambda: scalar"`), but the generated function must stay valid and mean what it
says: `def f(*, lambda):` does not compile, and a parameter `np` hides the module the body
calls (`np.exp(x)` on an array).

Contract:

- `body_names(be)` are the names a generated function's body refers to besides its
  inputs, temporaries and sizes: the backend's module alias (`np`, `jnp`, `torch`, `xp`),
  `float`, the backend's helper functions (`_array`, `_expect`, ...), `jax` for JAX
  (`jax.scipy.linalg.expm`) and the array API's entry names (`xp`, `_device`, `_dtype`,
  `array_api_compat`, `array_namespace`). tests/backends/test_codegen_names.py checks,
  on generated code, that the body refers to nothing else.
- `parameter_names(names, taken)` maps each variable's name to the Python identifier the
  generated code uses for it: the name itself when it is an identifier, no keyword
  (`keyword.iskeyword`; soft keywords such as `match` are valid parameters) and not in
  `taken`; otherwise the name with `_` appended (`lambda_`, `np_`), more underscores
  until it is neither taken nor another variable's name or identifier (Python compares
  identifiers NFKC-normalized, so that is how they are compared here). Deterministic: it
  depends only on the set of names and `taken`. A name that is no identifier at all
  (not made by the parser or `matdiff.vector`, but possible through a Node) has its other
  characters replaced by `_`.
- `renamed(mapping)` is the part of such a mapping that differs, and
  `renaming_note(renamed, taken)` the docstring line saying so, in the user's names
  ("lambda_ is the variable lambda (a Python keyword)").

The generated function takes the Python names; `compile_source` (module.py) wraps it so
that a caller may give the variables' own names (`f(**{"lambda": 0.1})`).
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from collections.abc import Iterable, Mapping

from .spelling import Backend

# The array API backend's entry lines bind these (spelling.py's prologue and constants).
ARRAY_API_NAMES = frozenset({"xp", "_device", "_dtype", "array_api_compat",
                             "array_namespace"})


def body_names(be: Backend) -> frozenset[str]:
    """The names a generated body of backend `be` uses besides its own (see above)."""
    names = {be.module, "float", *be.helpers}
    if be.name == "jax":
        names.add("jax")
    if be.name == "array_api":
        names |= ARRAY_API_NAMES
    return frozenset(names)


def _key(name: str) -> str:
    """How Python compares identifiers: NFKC-normalized."""
    return unicodedata.normalize("NFKC", name)


def _fits(name: str, taken: Iterable[str]) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name) and name not in taken


def parameter_names(names: Iterable[str], taken: Iterable[str]) -> dict[str, str]:
    """Each variable name -> the identifier the generated code uses for it."""
    names = list(dict.fromkeys(names))
    taken_keys = {_key(t) for t in taken}
    name_keys = {_key(n) for n in names}
    out: dict[str, str] = {}
    used: set[str] = set()
    # names that fit keep themselves first, so that a renamed one never takes them
    # (`lambda` next to a variable `lambda_` becomes `lambda__`)
    for name in sorted(names):
        if _fits(name, ()) and _key(name) not in taken_keys and _key(name) not in used:
            out[name] = name
            used.add(_key(name))
    for name in sorted(set(names) - set(out)):
        base = name if name.isidentifier() else _identifier(name)
        candidate = base + "_"
        while (not _fits(candidate, ()) or _key(candidate) in taken_keys
               or _key(candidate) in used or _key(candidate) in name_keys):
            candidate += "_"
        out[name] = candidate
        used.add(_key(candidate))
    return {name: out[name] for name in names}


def _identifier(name: str) -> str:
    """Characters an identifier cannot have replaced by `_`, a leading digit prefixed."""
    text = re.sub(r"\W", "_", name) or "_"
    return "v" + text if text[0].isdigit() else text


def renamed(mapping: Mapping[str, str]) -> dict[str, str]:
    """The variables whose Python name is not their own."""
    return {user: py for user, py in mapping.items() if user != py}


def renaming_note(renames: Mapping[str, str], taken: Iterable[str]) -> list[str]:
    """The docstring line naming the renamed parameters (`taken`: the names the code
    uses), or none."""
    if not renames:
        return []
    taken = set(taken)
    parts = []
    for user, py in renames.items():
        why = ("a Python keyword" if keyword.iskeyword(user) else
               "not a Python name" if not user.isidentifier() else
               "a name this code uses" if _key(user) in {_key(t) for t in taken} else
               "the Python name of another variable")
        parts.append(f"{py} is the variable {user} ({why})")
    return ["Parameters renamed: " + "; ".join(parts) + "."]
