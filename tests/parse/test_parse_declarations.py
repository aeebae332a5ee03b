"""Declarations: `vector n`, `matrix n n symmetric`, and the CLI line form."""

from __future__ import annotations

import pytest

from matdiff.parse import Declaration, parse_declaration, parse_declaration_line


@pytest.mark.parametrize(
    "text, kind, dims, props",
    [
        ("scalar", "scalar", (), set()),
        ("vector", "vector", (), set()),
        ("vector n", "vector", ("n",), set()),
        ("vector m onehot", "vector", ("m",), {"onehot"}),
        ("vector 3 simplex positive", "vector", (3,), {"simplex", "positive"}),
        ("matrix", "matrix", (), set()),
        ("matrix n", "matrix", ("n", "n"), set()),
        ("matrix n m", "matrix", ("n", "m"), set()),
        ("matrix 3 4", "matrix", (3, 4), set()),
        ("matrix n n symmetric", "matrix", ("n", "n"), {"symmetric"}),
        ("matrix n n spd", "matrix", ("n", "n"), {"spd"}),
        ("matrix spd", "matrix", (), {"spd"}),
        ("matrix n diagonal", "matrix", ("n", "n"), {"diagonal"}),
        ("matrix k k orthogonal", "matrix", ("k", "k"), {"orthogonal"}),
        ("matrix n, m", "matrix", ("n", "m"), set()),
        ("  matrix   n   m  positive ", "matrix", ("n", "m"), {"positive"}),
        ("scalar positive", "scalar", (), {"positive"}),
    ],
)
def test_declarations(text, kind, dims, props):
    d = parse_declaration(text)
    assert d == Declaration(kind, dims, frozenset(props))


def test_declaration_line():
    assert parse_declaration_line("A: matrix n n symmetric") == (
        "A", Declaration("matrix", ("n", "n"), frozenset({"symmetric"})))
    assert parse_declaration_line("  x0 :vector 3") == ("x0", Declaration("vector", (3,)))


def test_declaration_shape_and_str():
    assert parse_declaration("vector n").shape() == ("n", 1)
    assert parse_declaration("matrix").shape() is None
    assert str(parse_declaration("matrix n n spd")) == "matrix n n spd"
