"""THE derivative table, read from the op table: the differential of every op.

Contract: `RULES[op]` is `RECORDS[op].differential` (ir/ops.py; the rules are written
beside each op's other mathematics in ir/ops_*.py, as JAX registers a primitive's JVP
beside it). Each rule receives the node, its children and the children's differentials
(`None` for a child that does not depend on the variable) and returns the node's
differential, built with the builders. The `formula` is what the step-by-step derivation
shows, and `cite` names the Matrix Cookbook (Petersen & Pedersen, 2012) equation where
there is one. `FUSED` holds the rules for an op applied directly to another that replace
the inner op's own. tests/diff/test_derivative_rules.py checks every entry numerically
against central differences at random inputs from the op's domain, and fails for an op
with no entry.
"""

from __future__ import annotations

from ..ir.ops import RECORDS, Differential
from ..ir.ops_core import MAX_EXPANDED_POWER  # noqa: F401 - re-exported
from ..ir.ops_elementwise import ELEMENTWISE_SLOPES  # noqa: F401 - re-exported
from ..ir.ops_linear import broadcast_back, inner  # noqa: F401 - re-exported
from ..ir.ops_matrix import FUSED  # noqa: F401 - re-exported

DiffRule = Differential  # the former name

RULES: dict[str, Differential] = {
    op: rec.differential for op, rec in RECORDS.items() if rec.differential is not None
}
