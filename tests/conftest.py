"""Hypothesis profiles for the whole suite.

- `ci` (the default): at least 200 examples per property, derandomized so a CI run is
  reproducible, no deadline (the machine may be busy; speed is measured in bench/, not
  asserted here).
- `deep`: for a long local search, random and ten times as many examples:
  `HYPOTHESIS_PROFILE=deep python -m pytest tests/diff/test_random_expressions.py`.

A test's own `@settings(max_examples=...)` still wins over the profile.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]

settings.register_profile("ci", max_examples=200, deadline=None, derandomize=True,
                          suppress_health_check=_QUIET)
settings.register_profile("deep", max_examples=2000, deadline=None,
                          suppress_health_check=_QUIET)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
