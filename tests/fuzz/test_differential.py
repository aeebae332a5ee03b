"""The differential test's CI sample: random expressions over the whole language,
differentiated by matdiff and checked against an independent oracle.

Correctness test: the oracle is JAX autodiff of the fuzzer's own translation of each
random tree to jax.numpy (matdiff.fuzz.reference), never matdiff's evaluator; for every
case `d.evaluate`, the printed result read back, and the generated NumPy, JAX and
PyTorch code must equal it (the JAX and PyTorch code checks are reported as not run
when those packages are missing). The long form is
`python -m matdiff.fuzz --cases 5000 --seed S`.

A failure of a class listed in matdiff.fuzz.known.KNOWN (open faults of issue 9, and
what the fuzzer found) is counted and printed, not failed; every other failure fails
this test with its shrunk `matdiff ...` reproduction. MATDIFF_FUZZ_CASES overrides the
number of cases (default 200: about a minute on an idle two-core machine).
"""

from __future__ import annotations

import os

import pytest

pytest.importorskip("jax", reason="the oracle is JAX autodiff")

from matdiff.fuzz import known  # noqa: E402 - after the skip: the oracle imports JAX
from matdiff.fuzz.runner import run  # noqa: E402

CASES = int(os.environ.get("MATDIFF_FUZZ_CASES", "200"))
SEED = 9


def test_random_expressions_agree_with_the_oracle(capsys):
    summary = run(CASES, SEED)
    report = summary.report()
    with capsys.disabled():
        print("\n" + report)
    assert summary.statuses["invalid"] <= CASES * 0.05, report  # the generator's domains
    assert summary.checks_run["value"] >= CASES * 0.8, report  # the checks really ran
    if summary.open_failures:
        lines = [f"[{key}]\n  {command}\n  fails {f.check} ({f.kind}): {f.detail}"
                 for key, command, f in summary.shrink_groups(3)]
        pytest.fail(report + "\n\nminimal reproductions:\n" + "\n".join(lines))


def test_known_classes_name_where_they_are_tracked():
    for table in (known.KNOWN, known.DOCUMENTED):
        for name, why in table.items():
            assert name in known._PREDICATES, name
            assert "issue" in why or "fuzz finding" in why or "README" in why, name


def test_command_line_long_form_prints_a_summary(capsys):
    from matdiff.fuzz.__main__ import main

    code = main(["--cases", "4", "--seed", "1", "--only-values", "--shrink", "0",
                 "--progress", "2"])
    out = capsys.readouterr().out
    assert "[2/4]" in out and "matdiff.fuzz: 4 cases, seed 1" in out
    assert "checks run: value" in out and "excluded as known open fault classes" in out
    assert code == (1 if "open failures: 0 in" not in out else 0)
