"""The pattern language of rewrite/pattern.py and the rule record of rewrite/rule.py.

Correctness tests of matching, on nodes parsed from text: what matches, what does not,
what each name binds, and the documented order of matches (a rule takes the first match
its replacement accepts, so the order is behaviour). Then the rule table's own promises:
every rule is in the driver's order once, procedural rules say why, and no rule reaches
into the builders' private helpers.
"""

from __future__ import annotations

import enum
import pathlib
import re

import pytest

from matdiff.ir import build as b
from matdiff.ir.walk import topological
from matdiff.parse import parse
from matdiff.rewrite import rules as table
from matdiff.rewrite.pattern import (
    any_,
    column,
    const,
    either,
    exactly_one,
    has_props,
    leaf,
    matrix,
    op,
    row,
    run,
    run_any,
    same,
    scalar,
    some,
)
from matdiff.rewrite.rule import rule
from matdiff.rewrite.terms import split_coefficient


def p(text: str, decl: dict[str, str] | None = None):
    return parse(text, decl)


def texts(matches, *names):
    """Each match as a tuple of the printed bindings `names` (a tuple binding as a list)."""
    out = []
    for m in matches:
        row_ = []
        for n in names:
            v = m[n]
            row_.append([str(x) for x in v] if isinstance(v, tuple) else str(v))
        out.append(tuple(row_))
    return out


# ------------------------------------------------------------------ op and children


def test_op_matches_its_op_only():
    e = p("tr(A)")
    assert texts(op("tr", name="t").match(e), "t") == [("tr(A)",)]
    assert list(op("det").match(e)) == []
    assert texts(op(("det", "tr"), any_("x")).match(e), "x") == [("A",)]


def test_op_names_may_be_a_str_enum():
    """The op table may become a StrEnum: its members match nodes whose op is the string,
    and string patterns match nodes whose op is the member."""

    class FakeOp(enum.StrEnum):
        TR = "tr"

    assert list(op(FakeOp.TR).match(p("tr(A)")))
    assert list(op((FakeOp.TR, "det"), any_()).match(p("det(A)")))
    assert "tr" in frozenset({FakeOp.TR}) and FakeOp.TR in frozenset({"tr"})


def test_fixed_children_need_the_same_number_in_order():
    e = p("s'*(y ./ s)")  # matmul(transpose(s), hadamard)
    pat = op("matmul", op("transpose", any_("a")), op("hadamard", name="h"))
    assert texts(pat.match(e), "a", "h") == [("s", "y ./ s")]
    swapped = op("matmul", op("hadamard"), op("transpose"))
    assert list(swapped.match(e)) == []
    assert list(op("matmul", any_()).match(e)) == []  # one child pattern, two children


def test_leaf_needs_no_children_and_arg_must_equal():
    y = p("Y", {"Y": "matrix onehot"})
    assert list(leaf("var").match(y))
    assert not list(leaf("var").match(p("tr(A)")))
    by_columns, by_rows = p("sum(Y, 1)"), p("sum(Y, 2)")
    assert list(op("sumdim", arg=1).match(by_columns))
    assert not list(op("sumdim", arg=1).match(by_rows))


def test_where_predicates_on_shapes_and_properties():
    x, r, s = p("x"), p("x'"), p("a")
    A = p("A")
    assert [column(x), row(r), scalar(s), matrix(A)] == [True] * 4
    assert not any([column(r), row(x), scalar(x), matrix(x), matrix(s)])
    onehot = p("y", {"y": "vector n onehot"})
    assert has_props("onehot", "simplex")(onehot)
    assert not has_props("onehot")(x)
    assert list(any_("v", where=column).match(x)) and not list(any_(where=column).match(A))


# --------------------------------------------------------------------- repeated names


def test_a_repeated_name_must_be_the_same_node():
    pat = op("matmul", op("transpose", any_("u")), any_("u"))
    assert texts(pat.match(p("x'*x")), "u") == [("x",)]
    assert list(pat.match(p("x'*y"))) == []


def test_bindings_given_in_are_respected():
    x = p("x")
    assert list(any_("u").match(x, {"u": x}))
    assert list(any_("u").match(x, {"u": p("y")})) == []


# ------------------------------------------------------------------------- some


def test_some_finds_children_in_any_position_and_binds_the_rest_in_order():
    e = p("y .* z .* sign(x) .* x")
    pat = some("hadamard", op("sign", any_("u")), any_("u"), rest="rest")
    assert texts(pat.match(e), "u", "rest") == [("x", ["y", "z"])]


def test_some_uses_each_child_once():
    e = p("sign(x) .* y")
    pat = some("hadamard", op("sign", any_("u")), any_("u"))
    assert list(pat.match(e)) == []


def test_some_without_rest_needs_every_child_used():
    e = p("x .* y .* z")
    assert list(some("hadamard", any_(), any_()).match(e)) == []
    assert len(list(some("hadamard", any_(), any_(), any_()).match(e))) == 6


def test_some_yields_first_subpattern_first_left_to_right():
    e = p("x .* y .* z")
    pat = some("hadamard", any_("first"), any_("second"), rest="rest")
    got = texts(pat.match(e), "first", "second")
    assert got[:3] == [("x", "y"), ("x", "z"), ("y", "x")]
    assert len(got) == 6


# -------------------------------------------------------------------------- run


def test_run_matches_consecutive_factors_and_binds_both_sides():
    e = p("A*diag(x)*diag(y)*B")
    pat = run("matmul", op("diag", any_("a")), op("diag", any_("c")),
              before="pre", after="post")
    assert texts(pat.match(e), "a", "c", "pre", "post") == [("x", "y", ["A"], ["B"])]
    assert list(run("matmul", op("diag"), leaf("var", where=matrix)).match(p("diag(x)*A*diag(y)")))


def test_run_at_end_only_matches_the_last_factors():
    pat = run("matmul", op("diag"), any_("v", where=column), before="pre", at_end=True)
    assert texts(pat.match(p("A*diag(x)*y")), "v", "pre") == [("y", ["A"])]
    assert list(pat.match(p("diag(x)*B*y"))) == []


def test_run_any_tries_every_window_at_a_position_before_moving_on():
    e = p("A*B*C")
    pat = run_any("matmul", {"first": (any_("p"), any_("q")), "second": (any_("p"), any_("q"))},
                  before="pre")
    got = texts(pat.match(e), "case", "p")
    assert got == [("first", "A"), ("second", "A"), ("first", "B"), ("second", "B")]


# -------------------------------------------------------------- constants and same


def test_const_reads_constants_and_fills_of_constants():
    e = p("x + vector(2)")
    assert texts(some("add", const(2.0, name="c"), any_("v")).match(e), "c", "v") == [
        ("2*ones(n, 1)", "x")]
    assert list(const(where=lambda v: v > 0).match(b.const(3)))
    assert not list(const(where=lambda v: v > 0).match(b.const(-3)))
    assert not list(const(1.0).match(p("x")))


def test_exactly_one_is_the_constant_node_only():
    assert list(exactly_one().match(b.ONE))
    assert not list(exactly_one().match(b.fill(b.ONE, (3, 1))))
    assert not list(exactly_one().match(b.const(2)))


def test_same_compares_with_what_the_bindings_build():
    pat = some("hadamard", op("sigmoid", any_("u")), op("sigmoid", same(lambda u: b.neg(u))))
    # either sigmoid can be the first: -(-x) is x
    assert texts(pat.match(p("sigmoid(x) .* sigmoid(-x)")), "u") == [("x",), ("-x",)]
    assert list(pat.match(p("sigmoid(x) .* sigmoid(y)"))) == []
    assert list(pat.match(p("sigmoid(2*x) .* sigmoid(-2*x)")))


def test_either_yields_each_alternative_in_turn():
    e = p("tr(A)")
    pat = either(op("tr", any_("x"), name="which"), any_("which"))
    assert texts(pat.match(e), "which") == [("tr(A)",), ("tr(A)",)]
    assert pat.ops is None
    assert either(op("tr"), op("det")).ops == frozenset({"tr", "det"})


# -------------------------------------------------------------------- the record


def test_a_replacement_naming_an_unbound_name_is_refused_when_declared():
    with pytest.raises(TypeError, match="never binds"):
        rule("bad", "doc", (op("tr", any_("x")), lambda y: y))


def test_apply_takes_the_first_match_the_replacement_accepts():
    seen = []

    def second_only(u, rest):
        seen.append(str(u))
        return None if len(seen) == 1 else b.hadamard(*rest)

    r = rule("drop-second", "doc", (some("hadamard", any_("u"), rest="rest"), second_only))
    out = r.apply(p("x .* y"))
    assert seen == ["x", "y"] and str(out) == "x"
    assert r.ops == ("hadamard",) and r.op == "hadamard"


def test_a_guard_skips_matches_and_cases_are_tried_in_order():
    r = rule(
        "guarded", "doc",
        (op("matmul", any_("a"), any_("c")), lambda a: a, lambda a: column(a)),
        (op("matmul", any_("a"), any_("c")), lambda c: c),
    )
    assert str(r.apply(p("A*B"))) == "B"  # the first case's guard refuses A
    assert r.apply(p("tr(A)")) is None


def test_a_top_level_pattern_names_its_op():
    r = rule("anything", "doc", (any_("x"), lambda x: x))
    with pytest.raises(TypeError, match="must name its op"):
        _ = r.ops


# -------------------------------------------------------------------- the table


def test_the_table_orders_every_rule_once():
    assert len(table.ORDER) == len(set(table.ORDER)) == len(table.RULES)
    assert set(table.ORDER) == set(table._ALL)
    for op_name, rules in table.RULES_BY_OP.items():
        for r in rules:
            assert op_name in r.ops


def test_procedural_rules_say_why_and_are_few():
    procedural = [r for r in table.RULES if r.search is not None]
    assert all(r.search.strip() for r in procedural)
    assert len(procedural) < len(table.RULES) / 2, [r.name for r in procedural]


def test_rules_build_through_public_builders_only():
    folder = pathlib.Path(table.__file__).parent
    private = re.compile(r"\bb\._[a-z]|\bbuild\._[a-z]|\bmake\(")
    for path in folder.glob("*.py"):
        for i, line in enumerate(path.read_text().splitlines(), 1):
            assert not private.search(line), f"{path.name}:{i}: {line.strip()}"


@pytest.mark.parametrize("text", [
    "2*x", "x", "x + vector(3)", "3", "-2*a*b*x", "a*b", "-x/3", "2*A*B*x - C*x",
])
def test_split_coefficient_rebuilds_the_term(text):
    t = p(text)
    c, base = split_coefficient(t)
    assert b.scale(c, base) is t
    assert base.op != "mul" or base.children[0].op != "const"


def test_split_coefficient_of_a_fill_is_its_value_times_ones():
    c, base = split_coefficient(b.fill(b.const(3), (4, 1)))
    assert c == 3.0 and base is b.fill(b.ONE, (4, 1))


def _example_nodes():
    roots = [p(text, decl or None) for r in table.RULES for text, decl in r.examples]
    return list(topological(roots, lambda n: False))


def test_accepts_never_refuses_a_node_that_matches():
    """`accepts` is a shortcut before matching: over every node of every rule's examples,
    a pattern that matches a node accepts it (a wrong shortcut would hide matches)."""
    nodes = _example_nodes()
    checked = 0
    for r in table.RULES:
        for case in r.cases:
            for n in nodes:
                if next(case.pattern.match(n), None) is not None:
                    assert case.pattern.accepts(n), (r.name, str(n))
                    checked += 1
    assert checked >= len(table.RULES)


def test_a_rule_that_searches_gets_the_node_and_may_decline():
    seen = []

    def search(n):
        seen.append(n)
        return None if len(seen) == 1 else b.ONE

    r = rule("searching", "doc", (op("add", name="n"), search), search="a test")
    e = p("x + y")
    assert r.apply(e) is None and seen == [e]
    assert r.apply(e) is b.ONE
    assert r.apply(p("x .* y")) is None and len(seen) == 2
