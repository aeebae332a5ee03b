"""The public Python API: derivatives from strings or from symbols with operators.

    d = matdiff.derivative("x'*A*x", wrt="x", variables={"A": "matrix n n"})
    str(d), d.expr, d.evaluate(x=..., A=...)

    x = matdiff.vector("x", "n"); A = matdiff.matrix("A", "n", "n")
    matdiff.derivative(x.T @ A @ x, wrt=x)

Symbols are ordinary expression nodes; the operators follow NumPy: `@` is the matrix
product, `*` scales or multiplies elementwise, `**` is the elementwise power, `.T` the
transpose. Everything here is a thin layer over parse/, diff/ and the builders.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from . import results  # noqa: F401 - gives the result records their methods
from .backends.evaluate import bind_sizes, to_user
from .backends.evaluate import evaluate as evaluate_node
from .diff.derivative import STRUCTURE_PROPS, Derivative, take_derivative
from .diff.hvp import HessianVectorProduct, take_hvp
from .errors import DeclarationError, DiffError, LimitError, MatdiffError
from .ir import build as b
from .ir.batched import BY_FUNCTION as DIM_FORMS
from .ir.dims import format_shape, is_scalar
from .ir.node import PROPERTIES, Node, as_node, variables_in
from .optimize import ScipyObjective, hessian_linear_operator, objective
from .optimize import minimize as _minimize
from .parse import parse_with_env
from .strict_layout import STRICT, strict

Expr = str | Node
Variables = Mapping[str, str] | None


def parse(text: str, variables: Variables = None) -> Node:
    """Parse and type-check an expression of the language."""
    node, _ = parse_with_env(text, variables)
    return node


def variables_of(text: str, variables: Variables = None) -> dict[str, Node]:
    """The variables of an expression with their inferred shapes and properties."""
    _, env = parse_with_env(text, variables)
    return env


def evaluate(
    expr: Expr,
    values: Mapping[str, Any] | None = None,
    *,
    variables: Variables = None,
    sizes: Mapping[str, int] | None = None,
    **kw: Any,
) -> Any:
    """The value of an expression (text or node) at the given values, in user shapes
    (a float for a scalar, 1-D for a vector). `sizes` names sizes no value tells
    (`eye(n)` alone)."""
    if values is not None and not isinstance(values, Mapping):
        raise MatdiffError(f"values must map names to values, got {type(values).__name__}")
    if sizes is not None and not isinstance(sizes, Mapping):
        raise MatdiffError(f"sizes must map size names to numbers, got {type(sizes).__name__}",
                           hint="e.g. sizes={'n': 3}")
    for name, size in (sizes or {}).items():
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_SIZE:
            raise MatdiffError(
                f"the size {name} must be a whole number from 1 to {MAX_SIZE}, got {size!r}"
            )
    if isinstance(expr, str):
        node = parse(expr, variables)
    elif isinstance(expr, Node):
        node = expr
    else:
        raise MatdiffError(
            f"evaluate needs an expression (text or a matdiff expression), got "
            f"{type(expr).__name__}"
        )
    merged = dict(values or {})
    merged.update(kw)
    sizes = _sizes_from_declared(node, variables, merged, sizes)
    return to_user(evaluate_node(node, merged, sizes=sizes), node.shape)


def _sizes_from_declared(node: Node, variables: Variables, values: Mapping[str, Any],
                         sizes: Mapping[str, int] | None) -> Mapping[str, int] | None:
    """Sizes bound from the values of declared variables the expression does not hold:
    a pasted-back result (`kron(eye(n), ones(1, m))` for sum(X, 1) by X) is evaluated
    with the declarations and values of the function it came from."""
    if not isinstance(variables, Mapping):
        return sizes
    present = set(node.free)
    extra = [parse(name, {name: variables[name]}) for name in variables
             if isinstance(name, str) and name in values and name not in present]
    if not extra:
        return sizes
    return bind_sizes(extra, {v.arg.name: values[v.arg.name] for v in extra}, sizes)


MAX_SIZE = 100_000


def _free_vars(node: Node) -> dict[str, Node]:
    return variables_in([node])


def _wrt_names(wrt: Any) -> list[str | Node]:
    if isinstance(wrt, str):
        names = [w.strip() for w in wrt.split(",")]
        if len(names) > 1 and not all(names):
            raise DiffError(f"an empty name in the list of variables {wrt!r}",
                            hint="separate the names by single commas, e.g. x1,x2")
        return [w for w in names if w]
    if isinstance(wrt, Node):
        return [wrt]
    if isinstance(wrt, (list, tuple)) and all(isinstance(w, (str, Node)) for w in wrt):
        return list(wrt)
    raise DiffError(
        f"wrt must name the variable (a string such as 'x', 'x1,x2', or a symbol), "
        f"got {wrt!r}",
        hint="e.g. matdiff.derivative(\"x'*A*x\", wrt=\"x\")",
    )


def _parse_for(expr: str, names: list[str | Node], variables: Variables) -> tuple[
    Node, dict[str, Node]
]:
    """Parse, typing an undeclared list of variables (wrt='x1,x2') as scalars, and
    suggesting a scalar declaration when a variable typed as a vector by its first
    letter (t, x1) makes the expression ill-typed."""
    decls = dict(variables or {})
    plain = [n for n in names if isinstance(n, str)]
    if len(plain) > 1:
        for n in plain:
            decls.setdefault(n, "scalar")
    try:
        return parse_with_env(expr, decls or None)
    except MatdiffError as err:
        # only names typed as vectors (h-z): a matrix (A-Z) is not "typed as a vector",
        # and softmax(Z) by Z must keep its own hint (softmax(Z, 1) / softmax(Z, 2))
        guess = [n for n in plain if n not in decls and n.isidentifier()
                 and "h" <= n[0] <= "z"]
        if not guess:
            raise
        trial = dict(decls, **{n: "scalar" for n in guess})
        try:
            parse_with_env(expr, trial)
        except MatdiffError:
            raise err from None
        listed = ", ".join(guess)
        err.hint = (
            f"{listed} {'is' if len(guess) == 1 else 'are'} typed as a vector by "
            f"{'its' if len(guess) == 1 else 'their'} first letter; if "
            f"{'it is a scalar' if len(guess) == 1 else 'they are scalars'}, declare it: "
            + ", ".join(f'--var "{n}: scalar"' for n in guess)
            + " (in Python variables={"
            + ", ".join(f"'{n}': 'scalar'" for n in guess)
            + "})"
        )
        raise


def _resolve(expr: Expr, wrt: str | Node | Sequence[str | Node], variables: Variables) -> tuple[
    Node, list[Node]
]:
    names = _wrt_names(wrt)
    if variables is not None and not isinstance(variables, Mapping):
        raise MatdiffError(
            f"variables must map names to declarations, got {type(variables).__name__}",
            hint="e.g. variables={'A': 'matrix n n symmetric', 'x': 'vector n'}",
        )
    if isinstance(expr, str):
        node, env = _parse_for(expr, names, variables)
    elif isinstance(expr, Node):
        node, env = expr, _free_vars(expr)
    else:
        raise MatdiffError(
            f"an expression must be text or a matdiff expression, got {type(expr).__name__}",
            hint="e.g. matdiff.derivative(\"x'*A*x\", wrt=\"x\")",
        )
    if not names:
        raise DiffError("name the variable to differentiate by", hint="e.g. wrt='x'")
    out = []
    for w in names:
        if isinstance(w, Node):
            if w.op != "var":
                raise DiffError("can only differentiate with respect to a variable")
            out.append(w)
            continue
        if w not in env:
            known = ", ".join(sorted(env)) or "none"
            hint = (
                f"declare it (e.g. variables={{'{w}': 'vector n'}}) to get a zero "
                "derivative of the right shape, or pick one of the variables"
                if w.isidentifier() else "name a variable of the expression"
            )
            raise DiffError(
                f"'{w}' is not a variable of the expression (its variables: {known})",
                hint=hint,
            )
        out.append(env[w])
    names_out = [v.arg.name for v in out]
    twice = sorted({n for n in names_out if names_out.count(n) > 1})
    if twice:
        raise DiffError(f"{twice[0]} is listed twice in wrt",
                        hint="name each variable once: wrt='a,b'")
    return node, out


def _as_typed(text: str, variables: Variables, env: dict[str, Node]) -> Node | None:
    """`text` built with the shapes the parse inferred but without symmetric/diagonal/
    orthogonal properties, so `S'` stays a transpose (None when nothing has them)."""
    if not any(v.arg.props & STRUCTURE_PROPS for v in env.values()):
        return None
    node, _ = parse_with_env(text, variables, without_props=STRUCTURE_PROPS)
    return node


def derivative(
    expr: Expr,
    wrt: str | Node | Sequence[str | Node],
    variables: Variables = None,
    order: int = 1,
    layout: str = "numerator",
    structured: bool = False,
) -> Derivative:
    """The derivative of `expr` by `wrt` (a name, a comma list of scalars, or a symbol).
    `layout` is "numerator" (the default: gradients have the variable's shape),
    "denominator" (Jacobians transposed) or "strict" (strict numerator layout, most
    textbooks' tables: a gradient is the transpose, a row for a vector)."""
    if layout not in LAYOUTS:
        raise DiffError(f"unknown layout {layout!r}",
                        hint="use 'numerator', 'denominator' or 'strict'")
    node, wrt_nodes = _resolve(expr, wrt, variables)
    if not isinstance(order, int) or isinstance(order, bool):
        raise DiffError(f"order must be a whole number, got {order!r}")
    as_typed = None
    declared: list[Node] = []
    if isinstance(expr, str):
        decls = _declarations(expr, wrt, variables)
        env = variables_of(expr, decls)
        declared = list(env.values())  # sizes of variables simplification may remove
        if len(wrt_nodes) == 1:
            as_typed = _as_typed(expr, decls, env)
    try:
        d = take_derivative(node, wrt_nodes, order=order,
                            layout="numerator" if layout == STRICT else layout,
                            structured=structured, as_typed=as_typed, variables=declared)
    except RecursionError:
        # A safety net: the Kronecker-form pass (diff/adjoint.py's vec_jacobian) still
        # recurses once per level of a non-scalar function; everything else is iterative.
        raise LimitError(
            f"the expression is too deep for this derivative ({node.depth} levels)",
            hint="gradients of scalar functions take any depth; split the expression",
        ) from None
    return strict(d) if layout == STRICT else d


LAYOUTS = ("numerator", "denominator", STRICT)


def _declarations(expr: str, wrt: Any, variables: Variables) -> Variables:
    """The declarations _resolve parsed with (a wrt list types its names as scalars)."""
    names = [n for n in _wrt_names(wrt) if isinstance(n, str)]
    if len(names) <= 1:
        return variables
    decls = dict(variables or {})
    for n in names:
        decls.setdefault(n, "scalar")
    return decls


def _fixed_order(name: str, order: int, kw: Mapping[str, Any]) -> None:
    """grad/jacobian/hessian fix the order; say so instead of a TypeError."""
    if "order" in kw:
        raise DiffError(f"{name} is the derivative of order {order}; it takes no order",
                        hint="use matdiff.derivative(expr, wrt, order=k)")


def grad(expr: Expr, wrt: Any, variables: Variables = None, **kw: Any) -> Derivative:
    """The gradient of a scalar function: `derivative(expr, wrt, variables, order=1)`,
    with an error if the function is not a scalar.

        >>> str(matdiff.grad("x'*A*x", wrt="x"))
        "(A + A')*x"

    The result has the variable's shape (in both layouts). Keyword arguments (`layout`,
    `structured`) are those of `derivative`.
    """
    _fixed_order("grad", 1, kw)
    d = derivative(expr, wrt, variables, order=1, **kw)
    if not is_scalar(d.function.shape):
        raise DiffError(
            f"grad needs a scalar function; this one is {format_shape(d.function.shape)}",
            hint="use jacobian() or derivative() for vector and matrix functions",
        )
    return d


def jacobian(expr: Expr, wrt: Any, variables: Variables = None, **kw: Any) -> Derivative:
    """The first derivative of a vector (or matrix) function: the Jacobian m×n in
    numerator layout, n×m with `layout="denominator"`; a Kronecker form for matrices.

        >>> str(matdiff.jacobian("A*x", wrt="x"))
        'A'

    Same as `derivative(expr, wrt, variables, order=1, **kw)`.
    """
    _fixed_order("jacobian", 1, kw)
    return derivative(expr, wrt, variables, order=1, **kw)


def hessian(expr: Expr, wrt: Any, variables: Variables = None, **kw: Any) -> Derivative:
    """The second derivative: by a vector, the n×n Hessian; by a matrix, the Hessian in
    Kronecker form (d²f = vec(dX)'*H*vec(dX)).

        >>> str(matdiff.hessian("x'*A*x", wrt="x"))
        "A + A'"

    Same as `derivative(expr, wrt, variables, order=2, **kw)`.
    """
    _fixed_order("hessian", 2, kw)
    return derivative(expr, wrt, variables, order=2, **kw)


# ---------------------------------------------------------------- symbols and operators


def _dims(dims: Iterable[str | int]) -> tuple[Any, ...]:
    out: list[Any] = []
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, (int, str)):
            raise DeclarationError(f"a size is a whole number or a name such as n, got {d!r}")
        if isinstance(d, int) or d.isdigit():
            if int(d) < 1:
                raise DeclarationError(f"a size must be at least 1, got {d}")
            out.append(int(d))
        elif d.isidentifier():
            out.append(d)
        else:
            raise DeclarationError(
                f"a size is a whole number or a name such as n, got {d!r}",
                hint="one size per argument: matdiff.matrix('A', 'n', 'm')",
            )
    return tuple(out)


def _symbol(name: str, shape: tuple[Any, Any], props: tuple[str, ...]) -> Node:
    if not isinstance(name, str) or not name.isidentifier():
        raise DeclarationError(f"a variable name is letters, digits and _, got {name!r}")
    unknown = [p for p in props if p not in PROPERTIES]
    if unknown:
        raise DeclarationError(
            f"unknown property {unknown[0]!r}", hint="properties: " + ", ".join(PROPERTIES)
        )
    square_only = set(props) & {"symmetric", "spd", "diagonal", "orthogonal"}
    if square_only and shape[0] != shape[1]:
        raise DeclarationError(f"{name} is declared {', '.join(props)} but is not square")
    if set(props) & {"onehot", "simplex"} and shape == (1, 1):
        # on a matrix they hold per column (a batch of labels), on a vector for the vector
        raise DeclarationError(f"{name} is declared {', '.join(props)} but is a scalar")
    return b.var(name, shape, props)


def scalar(name: str, *props: str) -> Node:
    """A scalar variable for building expressions with operators, e.g.
    `matdiff.scalar("t", "positive")`; properties as in declarations."""
    return _symbol(name, (1, 1), props)


def vector(name: str, n: str | int = "n", *props: str) -> Node:
    """A column vector variable of size `n` (a name such as "n" or a number), with
    optional properties ("positive", "onehot", "simplex"):

        >>> x = matdiff.vector("x", "n")
        >>> str(matdiff.derivative(x.T @ x, wrt=x))
        '2*x'
    """
    (d,) = _dims([n])
    return _symbol(name, (d, 1), props)


def matrix(name: str, m: str | int = "n", n: str | int | None = None, *props: str) -> Node:
    """An m×n matrix variable (square n×n when `n` is left out), with optional properties
    ("symmetric", "spd", "diagonal", "orthogonal", "positive"):

        >>> A = matdiff.matrix("A", "n", "n", "symmetric")
        >>> x = matdiff.vector("x", "n")
        >>> str(matdiff.derivative(x.T @ A @ x, wrt=x))
        '2*A*x'
    """
    r, c = _dims([m, m if n is None else n])
    return _symbol(name, (r, c), props)


def _node(x: Any) -> Node:
    return as_node(x)


def _unary(name: str):
    def f(x: Any) -> Node:
        return b.call(name, [_node(x)])

    f.__name__ = name
    f.__doc__ = f"{name}(x) as in the expression language"
    return f


tr = _unary("tr")
det = _unary("det")
logdet = _unary("logdet")
inv = _unary("inv")
diag = _unary("diag")
vec = _unary("vec")
def _with_dim(name: str):
    """`name(x)`, or `name(x, dim)` with MATLAB's dim (1: per column, 2: per row)."""
    def f(x: Any, dim: int | None = None) -> Node:
        if dim is None:
            return b.call(name, [_node(x)])
        return DIM_FORMS[name](_node(x), dim)

    f.__name__ = name
    f.__doc__ = (f"{name}(x) as in the expression language; {name}(x, 1) acts on each "
                 f"column, {name}(x, 2) on each row")
    return f


softmax = _with_dim("softmax")
logsumexp = _with_dim("logsumexp")


def mean(x: Any, dim: int | None = None) -> Node:
    """mean(x) (all entries), mean(x, 1) (each column's), mean(x, 2) (each row's)."""
    return b.mean(_node(x), dim)
expm = _unary("expm")
norm1 = _unary("norm1")
norm2 = _unary("norm2")
exp = _unary("exp")
log = _unary("log")
sin = _unary("sin")
cos = _unary("cos")
tan = _unary("tan")
tanh = _unary("tanh")
sqrt = _unary("sqrt")
sigmoid = _unary("sigmoid")
relu = _unary("relu")
softplus = _unary("softplus")


def sum(x: Any, dim: int | None = None) -> Node:  # noqa: A001 - the language's name
    """sum(x) as in the expression language: the sum of all entries (a scalar);
    sum(x, 1) the row of column sums, sum(x, 2) the column of row sums."""
    return b.sum_(_node(x)) if dim is None else b.sum_dim(_node(x), dim)


def kron(a: Any, c: Any) -> Node:
    """kron(a, c) as in the expression language: the Kronecker product."""
    return b.kron(_node(a), _node(c))


# ------------------------------------------------- Hessian-vector products (diff/hvp.py)


def hvp(
    expr: Expr,
    wrt: str | Node,
    variables: Variables = None,
    direction: str | None = None,
    structured: bool = False,
) -> HessianVectorProduct:
    """H·v of a scalar `expr` by one variable, in closed form, the Hessian never formed:
    `str(h)`, `h.evaluate(..., v=...)`, `h.to_code(backend)` (a function taking `v`).
    The direction is `v` (X's shape) unless the expression uses that name (then `v2`, ...;
    `h.direction` names it) or `direction` names another."""
    node, wrt_nodes = _resolve(expr, wrt, variables)
    if len(wrt_nodes) != 1:
        raise DiffError("a Hessian-vector product is by one variable",
                        hint="e.g. matdiff.hvp(expr, wrt='w')")
    as_typed = None
    if isinstance(expr, str):
        decls = _declarations(expr, wrt, variables)
        as_typed = _as_typed(expr, decls, variables_of(expr, decls))
    return take_hvp(node, wrt_nodes[0], as_typed=as_typed, direction=direction,
                    structured=structured)


def hessian_operator(expr: Expr, wrt: str | Node, variables: Variables = None,
                     **values: Any) -> Any:
    """The Hessian at `values` as a `scipy.sparse.linalg.LinearOperator` on vectors
    flattened in C order (`np.ravel`), each matvec one generated H·v: never formed."""
    return hessian_linear_operator(hvp(expr, wrt, variables), values)


# ------------------------------------------------------- optimizers (optimize.py, SciPy)


def to_scipy(expr: Expr, wrt: str | Node, variables: Variables = None,
             **data: Any) -> ScipyObjective:
    """`fun`, `jac`, `fun_and_jac`, `hessp` of a scalar objective by one variable on
    flat vectors, the other variables fixed at `data`: generated NumPy code."""
    d = grad(expr, wrt, variables)
    if len(d.wrt) != 1:
        raise DiffError("an objective is minimized over one variable")
    return objective(d, data, as_typed=d.as_typed)


def minimize(expr: Expr, wrt: str | Node, x0: Any, method: str = "trust-ncg",
             variables: Variables = None, options: Mapping[str, Any] | None = None,
             tol: float | None = None, **data: Any) -> Any:
    """Minimize a scalar objective over one variable with scipy.optimize.minimize,
    wired with the generated value, gradient and H·v; `x` of the result has the
    variable's shape. `data` gives the other variables' values."""
    obj = to_scipy(expr, wrt, variables, **data)
    kw: dict[str, Any] = {}
    if options is not None:
        kw["options"] = dict(options)
    if tol is not None:
        kw["tol"] = tol
    return _minimize(obj, x0, method=method, **kw)
