"""The op table is complete: every `Op` has its record and a line in every table keyed by
it, so an op cannot be added half-way (issue 10, item 1).

Consistency checks of the tables against each other, not of the mathematics (that is
tests/diff/test_derivative_rules.py for the differentials, tests/diff/test_transpose_rules.py
for the transposes and Kronecker forms, tests/backends/test_evaluate.py for the values).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import matdiff
from matdiff.backends.codegen.spelling import BACKENDS, STRUCTURAL
from matdiff.backends.evaluate import has_rule
from matdiff.backends.latex import MACROS, OPERATORNAMES, TYPESET
from matdiff.errors import InternalError
from matdiff.ir import build as b
from matdiff.ir.node import make
from matdiff.ir.ops import ELEMENTWISE_FUNCTIONS, FUNCTION_ARITY, RECORDS, Op

ALL = list(Op)
CATEGORIES = {"leaf", "nary", "elementwise", "function", "special"}
CALLABLE = [op for op in Op if RECORDS[op].category in ("function", "elementwise")]


def test_every_op_has_one_record_in_enum_order():
    assert list(RECORDS) == ALL
    for op, rec in RECORDS.items():
        assert rec.op is op
        assert rec.category in CATEGORIES


@pytest.mark.parametrize("op", ALL)
def test_record_has_builder_differential_and_value(op):
    rec = RECORDS[op]
    assert rec.build is not None, f"{op} has no builder"
    if rec.category == "leaf":
        assert rec.differential is None  # the differential walk handles the leaves
    else:
        assert rec.differential is not None, f"{op} has no differential"
        assert rec.differential.formula.startswith("d(")
    if op in (Op.VAR, Op.DVAR):
        assert rec.numpy is None  # read from the values given
    else:
        assert rec.numpy is not None, f"{op} has no NumPy value"
    assert has_rule(op)


@pytest.mark.parametrize("op", CALLABLE)
def test_functions_have_a_shape_rule_and_an_arity(op):
    """The parser types a call with the op's shape rule (parse/typing.py)."""
    rec = RECORDS[op]
    assert rec.shape is not None
    assert FUNCTION_ARITY[op.value] == (rec.arity or 1)


def test_elementwise_list_is_the_elementwise_records():
    assert list(ELEMENTWISE_FUNCTIONS) == [
        op.value for op in Op if RECORDS[op].category == "elementwise"]
    assert all(RECORDS[Op(n)].domain == d for n, d in ELEMENTWISE_FUNCTIONS.items())


def test_linear_is_having_a_transpose_rule():
    linear = {op for op in Op if RECORDS[op].linear}
    assert linear == {op for op in Op if RECORDS[op].transpose is not None}
    # the linear maps of the language, and the products (linear in the factor with dX)
    assert {Op.ADD, Op.TRANSPOSE, Op.TR, Op.SUM, Op.DIAG, Op.VEC, Op.RESHAPE,
            Op.SUMDIM, Op.FILL, Op.BLOCK, Op.MUL, Op.MATMUL, Op.HADAMARD} <= linear
    assert not linear & {Op.INV, Op.DET, Op.EXPM, Op.POW, Op.SOFTMAX, Op.EXP}
    assert all(RECORDS[op].vec_jacobian is None or RECORDS[op].linear for op in Op)


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_every_op_has_a_spelling_in_every_code_backend(backend):
    table = BACKENDS[backend].unary
    assert all(type(k) is Op for k in table)
    missing = [op.value for op in Op if op not in table and op not in STRUCTURAL]
    assert missing == [], f"{backend} has no spelling for {missing}"


def test_every_function_has_a_latex_form():
    missing = [op.value for op in CALLABLE
               if op not in MACROS and op not in OPERATORNAMES and op not in TYPESET]
    assert missing == []


def test_make_refuses_a_name_that_is_no_op():
    with pytest.raises(InternalError, match="needs an Op member"):
        make("addd", (b.ONE, b.ONE), None, (1, 1))


def test_make_refuses_even_a_string_that_names_an_op():
    """Callers write Op.ADD, never "add": a string is refused whatever it says."""
    with pytest.raises(InternalError, match="needs an Op member"):
        make("add", (b.ONE, b.ONE), None, (1, 1))


def test_nodes_hold_the_enum_member():
    x = b.var("x", (3, 1))
    e = b.add(b.func("exp", x), x)
    assert e.op is Op.ADD and type(e.op) is Op
    assert e.op == "add"  # StrEnum: string comparisons keep working during the move
    assert {c.op for c in e.children} == {Op.EXP, Op.VAR}


# An op compared as a string ("add") instead of a member (Op.ADD): a typo there would
# silently never match. fuzz/ and parse/ have their own trees with their own op names.
_STRING_OP = re.compile(
    r"""\bop\s*(?:==|!=)\s*["'](\w+)["']|\bop\s+(?:not\s+)?in\s+[(\[{]\s*["'](\w+)["']""")
_OP_NAMES = {op.value for op in Op}


def _string_op(line: str) -> bool:
    """Whether the line compares an op with a string that names an Op (parse trees'
    own ops, "+" or "call", are not Ops)."""
    return any(m.group(1) in _OP_NAMES or m.group(2) in _OP_NAMES
               for m in _STRING_OP.finditer(line))
_SRC = Path(matdiff.__file__).parent


def test_no_op_is_written_as_a_string():
    found = []
    for path in sorted(_SRC.rglob("*.py")):
        rel = path.relative_to(_SRC)
        if rel.parts[0] in ("fuzz", "parse"):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if _string_op(line) and not line.lstrip().startswith("#"):
                found.append(f"{rel}:{number}: {line.strip()}")
    assert found == []


def test_the_string_scan_catches_a_string_op():
    assert _string_op('if n.op == "add":')
    assert _string_op('if node.op in ("tr", "sum"):')
    assert not _string_op("if n.op == Op.ADD:")
    assert not _string_op('if op in ("+", "-"):')
