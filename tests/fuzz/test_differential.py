"""The differential test's CI sample: random expressions over the whole language,
differentiated by matdiff and checked against an independent oracle.

Correctness tests. The oracle is the fuzzer's own translation of each random tree
(matdiff.fuzz.reference), never matdiff's evaluator:
- with JAX installed, JAX autodiff of the jax.numpy translation, for every check:
  `d.evaluate`, the printed result read back, the generated NumPy, JAX and PyTorch code;
- always (JAX or not), central finite differences of the NumPy translation for a
  larger sample, checking `d.evaluate`, the printed result and the NumPy code (and the
  PyTorch code when torch is installed); it is about ten times cheaper per case.
A backend whose package is missing is reported as not run. The long form is
`python -m matdiff.fuzz --cases 5000 --seed S`.

A failure of a class listed in matdiff.fuzz.known.KNOWN (open faults of issue 9, and
what the fuzzer found) is counted and printed, not failed; every other failure fails
the test with its shrunk `matdiff ...` reproduction. MATDIFF_FUZZ_CASES and
MATDIFF_FUZZ_FD_CASES override the sample sizes (defaults 120 and 400: together about
a minute and a half on an idle two-core machine).
"""

from __future__ import annotations

import os

import pytest

from matdiff.fuzz import known
from matdiff.fuzz.reference import HAVE_JAX
from matdiff.fuzz.runner import Summary, run

JAX_CASES = int(os.environ.get("MATDIFF_FUZZ_CASES", "120"))
FD_CASES = int(os.environ.get("MATDIFF_FUZZ_FD_CASES", "400"))


def _judge(summary: Summary, cases: int, capsys) -> None:
    report = summary.report()
    with capsys.disabled():
        print("\n" + report)
    assert summary.statuses["invalid"] <= cases * 0.05, report  # the generator's domains
    assert summary.checks_run["value"] >= cases * 0.8, report  # the checks really ran
    if summary.open_failures:
        lines = [f"[{key}]\n  {command}\n  fails {f.check} ({f.kind}): {f.detail}"
                 for key, command, f in summary.shrink_groups(3)]
        pytest.fail(report + "\n\nminimal reproductions:\n" + "\n".join(lines))


@pytest.mark.skipif(not HAVE_JAX, reason="the autodiff oracle needs JAX")
def test_random_expressions_agree_with_jax_autodiff(capsys):
    _judge(run(JAX_CASES, seed=9), JAX_CASES, capsys)


def test_random_expressions_agree_with_finite_differences(capsys):
    checks = ("value", "printed", "numpy", "torch")
    _judge(run(FD_CASES, seed=10, checks=checks, oracle="fd"), FD_CASES, capsys)


def test_known_classes_name_where_they_are_tracked():
    for table in (known.KNOWN, known.DOCUMENTED):
        for name, why in table.items():
            assert name in known._PREDICATES, name
            assert "issue" in why or "fuzz finding" in why or "README" in why, name


def test_command_line_long_form_prints_a_summary(capsys):
    from matdiff.fuzz.__main__ import main

    code = main(["--cases", "4", "--seed", "1", "--only-values", "--shrink", "0",
                 "--progress", "2", "--oracle", "fd"])
    out = capsys.readouterr().out
    assert "[2/4]" in out and "matdiff.fuzz: 4 cases, seed 1" in out
    assert "checks run: value" in out and "excluded as known open fault classes" in out
    assert code == (1 if "open failures: 0 in" not in out else 0)
