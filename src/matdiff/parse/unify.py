"""Symbolic dimensions under inference: variables, union-find, deferred constraints.

Contract: a `Term` is a `DimVar` (an unknown size), a `Fixed` size (an `int`, a rigid
declared name such as `"n"`, or a product/sum already in `ir.dims` canonical form) or a
product/sum of terms (`Prod`, `Sum`, from `vec`, `kron` and block matrices). Terms are
compared as polynomials in their unknowns and size names (`key`), so `m+n` and `n+m`,
or `(m+n)*p` and `m*p+n*p`, are one size, and known sizes fold to `ir.dims` normal form
(`dim_add`, `dim_mul`). `Solver.equate` makes two terms equal or raises the error its
caller supplies; an equation linear in an unknown that occurs once (`[x; y]` against a
declared `m+n` once x is m) is solved for it; any other constraint between compound
terms waits until enough is known (`settle`).
`finish` names every size left unknown from the pool n, m, p, q, ... in the order the
unknowns were created (the order of first appearance in the text), skipping names that
declarations use, and checks the constraints still waiting.

Symbolic sizes are never 1: kinds (scalar, vector, matrix) are decided by syntax and
declarations, so a DimVar never binds to the size 1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..errors import MatdiffError
from ..ir.dims import Dim, dim_add, dim_mul, dim_terms

_POOL = ("n", "m", "p", "q", "r", "s", "k", "l", "t", "u", "v", "w")


class DimVar:
    __slots__ = ("order", "parent", "binding", "anchored")

    def __init__(self, order: int, anchored: bool) -> None:
        self.order = order
        self.parent: DimVar | None = None
        self.binding: Term | None = None
        # True when the size belongs to a variable of the expression; an eye or a fill
        # whose size never meets one cannot be sized.
        self.anchored = anchored


@dataclass(frozen=True)
class Fixed:
    value: Dim


@dataclass(frozen=True, eq=False)
class Prod:
    a: Term
    b: Term


@dataclass(frozen=True, eq=False)
class Sum:
    a: Term
    b: Term


Term = DimVar | Fixed | Prod | Sum
ONE = Fixed(1)


def _root(v: DimVar) -> DimVar:
    while v.parent is not None:
        if v.parent.parent is not None:
            v.parent = v.parent.parent  # path halving
        v = v.parent
    return v


def normal(t: Term) -> Term:
    """Follow bindings and compute products/sums of known sizes."""
    if isinstance(t, DimVar):
        r = _root(t)
        return normal(r.binding) if r.binding is not None else r
    if isinstance(t, Fixed):
        return t
    a, b = normal(t.a), normal(t.b)
    if isinstance(t, Prod):
        if isinstance(a, Fixed) and isinstance(b, Fixed):
            return Fixed(dim_mul(a.value, b.value))
        if a == ONE:
            return b
        if b == ONE:
            return a
        return Prod(a, b)
    if isinstance(a, Fixed) and isinstance(b, Fixed):
        return Fixed(dim_add(a.value, b.value))
    return Sum(a, b)


# A size as a polynomial: monomial (sorted atoms) -> coefficient. An atom is an unknown
# ("v", id of its root) or a size name ("f", name).
Atom = tuple[str, object]
Poly = dict[tuple[Atom, ...], int]


def poly(t: Term, atoms: dict[Atom, Term] | None = None) -> Poly:
    """t as a polynomial; `atoms` collects the term each atom stands for."""
    t = normal(t)
    atoms = {} if atoms is None else atoms
    if isinstance(t, DimVar):
        atom: Atom = ("v", id(t))
        atoms[atom] = t
        return {(atom,): 1}
    if isinstance(t, Fixed):
        out: Poly = {}
        for coef, names in dim_terms(t.value):
            mono: tuple[Atom, ...] = tuple(("f", n) for n in names)
            for n in names:
                atoms[("f", n)] = Fixed(n)
            out[mono] = out.get(mono, 0) + coef
        return out
    pa, pb = poly(t.a, atoms), poly(t.b, atoms)
    total: Poly = {}
    if isinstance(t, Sum):
        for m, c in [*pa.items(), *pb.items()]:
            total[m] = total.get(m, 0) + c
    else:
        for ma, ca in pa.items():
            for mb, cb in pb.items():
                m = tuple(sorted(ma + mb, key=repr))
                total[m] = total.get(m, 0) + ca * cb
    return {m: c for m, c in total.items() if c}


def key(t: Term) -> object:
    """Equal for terms that are the same size whatever their unknowns are."""
    return tuple(sorted(poly(t).items(), key=repr))


def _from_poly(p: Poly, atoms: dict[Atom, Term]) -> Term:
    total: Term | None = None
    for mono, coef in sorted(p.items(), key=repr):
        term: Term = Fixed(coef)
        for atom in mono:
            term = atoms[atom] if term == ONE else Prod(term, atoms[atom])
        total = term if total is None else Sum(total, term)
    return normal(total if total is not None else Fixed(0))


def _difference(a: Term, b: Term) -> tuple[Poly, dict[Atom, Term]]:
    atoms: dict[Atom, Term] = {}
    diff = poly(a, atoms)
    for mono, c in poly(b, atoms).items():
        diff[mono] = diff.get(mono, 0) - c
    return {m: c for m, c in diff.items() if c}, atoms


def _vars(t: Term) -> Iterable[DimVar]:
    t = normal(t)
    if isinstance(t, DimVar):
        yield t
    elif isinstance(t, (Prod, Sum)):
        yield from _vars(t.a)
        yield from _vars(t.b)


def is_one(t: Term) -> bool:
    return normal(t) == ONE


ErrorFactory = Callable[[], MatdiffError]


class Solver:
    def __init__(self, reserved: Iterable[str] = ()) -> None:
        self.vars: list[DimVar] = []
        self.waiting: list[tuple[Term, Term, ErrorFactory]] = []
        self.reserved = set(reserved)

    def fresh(self, anchored: bool = True) -> DimVar:
        v = DimVar(len(self.vars), anchored)
        self.vars.append(v)
        return v

    def equate(self, a: Term, b: Term, error: ErrorFactory) -> None:
        if not self._unify(a, b, error):
            raise error()

    def compatible(self, a: Term, b: Term) -> bool:
        """Could a and b be made equal? (for hints; binds nothing)."""
        a, b = normal(a), normal(b)
        if isinstance(a, DimVar) or isinstance(b, DimVar):
            other = b if isinstance(a, DimVar) else a
            return other != ONE
        if isinstance(a, Fixed) and isinstance(b, Fixed):
            return a.value == b.value
        diff, _ = _difference(a, b)
        return any(atom[0] == "v" for mono in diff for atom in mono)

    def _unify(self, a: Term, b: Term, error: ErrorFactory) -> bool:
        a, b = normal(a), normal(b)
        if a is b or key(a) == key(b):
            return True
        if isinstance(b, DimVar) and not isinstance(a, DimVar):
            a, b = b, a
        if isinstance(a, DimVar):
            if isinstance(b, DimVar):
                ra, rb = (a, b) if a.order <= b.order else (b, a)
                rb.parent = ra
                ra.anchored = ra.anchored or rb.anchored
                return True
            if b == ONE or any(v is a for v in _vars(b)):
                return False
            a.binding = b
            self.settle()
            return True
        if isinstance(a, Fixed) and isinstance(b, Fixed):
            return a.value == b.value
        solved = self._solve_linear(a, b)
        if solved is None:
            self.waiting.append((a, b, error))
            return True
        return solved

    def _solve_linear(self, a: Term, b: Term) -> bool | None:
        """Solve a = b for an unknown that occurs once, alone, with coefficient 1 (sizes
        add and multiply like positive integers, so `x + y = x + n` gives y = n): True
        when solved, False when the sizes can never be equal, None when it must wait."""
        diff, atoms = _difference(a, b)
        if not any(atom[0] == "v" for mono in diff for atom in mono):
            return not diff
        for mono, coef in diff.items():
            if len(mono) != 1 or mono[0][0] != "v" or abs(coef) != 1:
                continue
            if any(mono[0] in other for other in diff if other != mono):
                continue
            rest = {m: -c * coef for m, c in diff.items() if m != mono}
            if any(c < 0 for c in rest.values()):
                continue  # v = n - y: wait until y is known
            value = _from_poly(rest, atoms)
            if value == ONE or value == Fixed(0):
                return False  # a symbolic size is never 1 (nor 0)
            var = atoms[mono[0]]
            assert isinstance(var, DimVar)
            var.binding = value
            self.settle()
            return True
        return None

    def settle(self) -> None:
        """Retry the waiting constraints whose sides are now simple enough."""
        progress = True
        while progress:
            progress = False
            for item in list(self.waiting):
                a, b, error = item
                na, nb = normal(a), normal(b)
                simple = isinstance(na, DimVar) or isinstance(nb, DimVar) or (
                    isinstance(na, Fixed) and isinstance(nb, Fixed))
                if not simple and key(na) != key(nb):
                    solved = self._solve_linear(na, nb)
                    if solved is None:
                        continue
                    if item in self.waiting:
                        self.waiting.remove(item)
                    progress = True
                    if not solved:
                        raise error()
                    continue
                if item in self.waiting:
                    self.waiting.remove(item)
                progress = True
                if not self._unify(na, nb, error):
                    raise error()

    def anchored(self, t: Term) -> bool:
        return all(_root(v).anchored for v in _vars(t))

    def names(self) -> dict[int, str]:
        """Provisional names of the unknown sizes (root order -> name), for messages."""
        used = set(self.reserved)
        out: dict[int, str] = {}
        pool = _name_pool()
        for v in self.vars:
            if v.parent is None and v.binding is None:
                name = next(p for p in pool if p not in used)
                used.add(name)
                out[id(v)] = name
        return out

    def value(self, t: Term, names: dict[int, str] | None = None) -> Dim:
        """The size t stands for; unknowns by their (provisional) names."""
        names = self.names() if names is None else names
        t = normal(t)
        if isinstance(t, Fixed):
            return t.value
        if isinstance(t, DimVar):
            return names.get(id(t), "?")
        a, b = self.value(t.a, names), self.value(t.b, names)
        return dim_mul(a, b) if isinstance(t, Prod) else dim_add(a, b)

    def finish(self) -> None:
        """Name the unknown sizes for good and check what was still waiting."""
        self.settle()
        # Last resort for products of unknowns (kron(A, B)*vec(X)): match factor by
        # factor. Sizes multiply commutatively, so this is one of the valid solutions.
        for a, b, error in list(self.waiting):
            na, nb = normal(a), normal(b)
            if isinstance(na, Prod) and isinstance(nb, Prod):
                self.waiting.remove((a, b, error))
                self.equate(na.a, nb.a, error)
                self.equate(na.b, nb.b, error)
        self.settle()
        names = self.names()
        for v in self.vars:
            if id(v) in names:
                v.binding = Fixed(names[id(v)])
        for a, b, error in self.waiting:
            if self.value(a, {}) != self.value(b, {}):
                raise error()
        self.waiting.clear()


def _name_pool() -> Iterable[str]:
    yield from _POOL
    yield from (c for c in "abcdefghijoxyz" if c not in _POOL)
    i = 1
    while True:
        for base in _POOL:
            yield f"{base}{i}"
        i += 1
