"""Lowering: a typed AST -> IR nodes, built only through `matdiff.ir.build`.

Contract: `lower(text, tree, typing)` builds the node for `tree` bottom-up with the
shapes `typing` settled, so each node is built once with its final shape. Typing has
already rejected ill-shaped input; what remains to check here needs values: the
exponent of a matrix power must be an integer constant. Any `MatdiffError` a builder
raises gets the span of the node being built; numeric overflow while folding constants
becomes a `ValueError_` with a span too.
"""

from __future__ import annotations

from ..errors import MatdiffError, ShapeError, ValueError_
from ..ir import build
from ..ir.batched import call_dim
from ..ir.dims import is_scalar
from ..ir.node import Node
from ..ir.ops import DIM_FUNCTIONS
from . import syntax as s
from .typing import Typing, dim_literal


class _Lowerer:
    def __init__(self, text: str, typing: Typing) -> None:
        self.text = text
        self.typing = typing
        self.vars: dict[str, Node] = {}

    def variable(self, name: str) -> Node:
        node = self.vars.get(name)
        if node is None:
            node = build.var(name, self.typing.var_shape(name), self.typing.var_props[name])
            self.vars[name] = node
        return node

    def lower(self, node: s.Ast) -> Node:
        try:
            return self._lower(node)
        except MatdiffError as e:
            raise e.with_source(self.text, node.span) from None
        except (OverflowError, ZeroDivisionError):
            raise ValueError_("a constant is too large to compute",
                              text=self.text, span=node.span,
                              hint="use smaller numbers") from None

    def _lower(self, node: s.Ast) -> Node:
        if isinstance(node, s.Num):
            return build.const(node.value)
        if isinstance(node, s.Name):
            if node.name == "eye":
                return build.eye(self.typing.shape(node)[0])
            return self.variable(node.name)
        if isinstance(node, s.Group):
            return self.lower(node.inner)
        if isinstance(node, s.Neg):
            return build.neg(self.lower(node.operand))
        if isinstance(node, s.Transpose):
            return build.transpose(self.lower(node.operand))
        if isinstance(node, s.Chain):
            return self.chain(node)
        if isinstance(node, s.Call):
            if node.name in DIM_FUNCTIONS and (len(node.args) == 2 or node.name == "mean"):
                return self.dim_call(node)
            if node.name == "eye":
                return build.eye(self.typing.shape(node)[0])
            if node.name == "commutation":
                m, k = (self.typing.shape(a)[0] for a in node.args)
                return build.commutation(m, k)
            if node.name in ("zeros", "ones"):
                return build.fill(build.ZERO if node.name == "zeros" else build.ONE,
                                  self.typing.shape(node))
            if node.name == "reshape" or len(node.args) > 1 and node.name in ("vector",
                                                                              "matrix"):
                # the sizes are not expressions: only the first argument is lowered
                first = self.lower(node.args[0])
                shape = self.typing.shape(node)
                if node.name == "reshape":
                    return build.reshape(first, shape)
                return build.fill(first, shape)
            args = [self.lower(a) for a in node.args]
            if node.name in ("vector", "matrix"):
                return build.fill(args[0], self.typing.shape(node))
            return build.call(node.name, args)
        if isinstance(node, s.Block):
            return build.block([[self.lower(e) for e in row] for row in node.rows])
        raise TypeError(f"unknown syntax node {node!r}")

    def chain(self, node: s.Chain) -> Node:
        acc = self.lower(node.first)
        if node.steps[0].op in s.ADDITIVE:
            # one n-ary add: `a+a+...+a` stays linear in the number of terms
            terms = [acc]
            for step in node.steps:
                x = self.lower(step.operand)
                terms.append(x if step.op == "+" else build.neg(x))
            return self.built(lambda: build.add(*terms), node.span)
        for step in node.steps:
            x = self.lower(step.operand)
            span = (node.span[0], step.operand.span[1])
            acc = self.built(lambda a=acc, x=x, step=step: self.binary(step, a, x), span)
        return acc

    def built(self, make, span: s.Span) -> Node:  # type: ignore[no-untyped-def]
        try:
            return make()
        except MatdiffError as e:
            raise e.with_source(self.text, span) from None

    def dim_call(self, node: s.Call) -> Node:
        """sum(X, 1) and friends: the dim is a literal the typer has checked."""
        dim = dim_literal(node.args[1]) if len(node.args) == 2 else None
        return call_dim(node.name, self.lower(node.args[0]), dim)

    def binary(self, step: s.Step, a: Node, b: Node) -> Node:
        op = step.op
        if op == "*":
            return build.matmul(a, b)
        if op == "/":
            return build.div(a, b)
        if op == ".*":
            return build.hadamard(a, b)
        if op == "./":
            return build.ediv(a, b)
        if op == ".^":
            if is_scalar(a.shape) and not is_scalar(b.shape):
                a = build.fill(a, b.shape)  # 2.^x: the base broadcasts
            return build.power(a, b)
        # ^
        if is_scalar(a.shape):
            return build.power(a, b)
        k = build.const_value(b)
        if k is None or not float(k).is_integer():
            shown = self.text[step.operand.span[0]:step.operand.span[1]]
            raise ShapeError(
                f"a matrix power needs an integer exponent, got {shown}",
                hint=f"use .^{shown} for an elementwise power",
            )
        return build.mpower(a, int(k))


def lower(text: str, tree: s.Ast, typing: Typing) -> tuple[Node, dict[str, Node]]:
    """The node for `tree`, and name -> var node of every typed variable."""
    lw = _Lowerer(text, typing)
    node = lw.lower(tree)
    env = {name: lw.variable(name) for name in typing.var_shapes}
    return node, env
