"""The report notes a declared name that f does not use, with the name it most likely
meant (QA: a misspelt --var was accepted without a word). Printed text only."""

from matdiff.cli import main

RIDGE = "norm2(X*w - y)^2 + lambda*norm2(w)^2"


def test_misspelt_declaration_is_noted_with_the_name_meant(capsys):
    main([RIDGE, "--wrt", "w", "--var", "lamda: scalar"])
    out = capsys.readouterr().out
    assert "note: lamda is declared but f does not use it; did you mean lambda?" in out


def test_unrelated_unused_declaration_is_noted_without_a_guess(capsys):
    main(["x'*A*x", "--wrt", "x", "--var", "Q: matrix n n"])
    assert "note: Q is declared but f does not use it\n" in capsys.readouterr().out


def test_a_name_folded_away_still_counts_as_used(capsys):
    main(["(A - A)*x + x", "--wrt", "x", "--var", "A: matrix n n"])
    assert "declared but f does not use" not in capsys.readouterr().out
