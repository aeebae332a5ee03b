"""`python -m matdiff ...`: the `matdiff` command, for when its script is not on PATH.

Contract: the same arguments, output and exit status as `matdiff` (cli.main).
"""

import sys

from .cli import main

sys.exit(main())
