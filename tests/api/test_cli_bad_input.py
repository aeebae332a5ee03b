"""The command line given the fuzzers' kinds of bad input, as a user runs it (a
subprocess): a non-zero exit status, an `error:` line on stderr (argparse's
`matdiff: error:` for a malformed option), and never a Python
traceback. A fixed sample: character soup, near-valid text, nesting past the limit,
bad declarations, orders, layouts and huge sizes. Correctness test of the CLI's error
contract."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from matdiff.parse import MAX_DEPTH

CASES = [
    ["x'*A*", "--wrt", "x"],
    ["é∑→ \\\"#@!", "--wrt", "x"],
    ["x'*A*x", "--wrt", "q"],
    ["x'*A*x", "--wrt", ""],
    ["(" * (MAX_DEPTH + 5) + "x" + ")" * (MAX_DEPTH + 5), "--wrt", "x"],
    ["exp(" * (MAX_DEPTH + 1) + "x", "--wrt", "x"],
    ["x'*A*x", "--wrt", "x", "--var", "A: matrix n n n"],
    ["x'*A*x", "--wrt", "x", "--var", "x: vector 0"],
    ["x'*A*x", "--wrt", "x", "--order", "13"],
    ["x'*A*x", "--wrt", "x", "--order", "1.5"],
    ["x'*A*x", "--wrt", "x", "--layout", "sideways"],
    ["x'*x", "--wrt", "x", "--var", "x: vector 99999999999999", "--check"],
    ["x/1e-320", "--wrt", "x"],
    ["x'*A*x", "--wrt", "x", "--code", "fortran"],
    ["check-answer", "x'*A*x", "--wrt", "x", "--answer", "2*A*"],
]


@pytest.mark.parametrize("argv", CASES, ids=[" ".join(c)[:40] for c in CASES])
def test_cli_bad_input_is_one_clean_error(argv):
    env = dict(os.environ)
    env.pop("MATDIFF_DEBUG", None)
    proc = subprocess.run([sys.executable, "-m", "matdiff.cli", *argv], capture_output=True,
                          text=True, timeout=120, env=env)
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr
    # matdiff's own `error: ...`, or argparse's `matdiff: error: ...` for a bad option
    assert any(line.startswith(("error:", "matdiff: error:"))
               for line in proc.stderr.splitlines()), proc.stderr
