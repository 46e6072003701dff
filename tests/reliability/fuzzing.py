"""Fuzz settings shared by every ``test_fuzz_*.py``: a light run in the test suite, a long run from
``bench/fuzz.py`` (which sets CRITMIN_FUZZ_EXAMPLES)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

FUZZ_EXAMPLES = int(os.environ.get("CRITMIN_FUZZ_EXAMPLES", "150"))

fuzz = settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=os.environ.get("CRITMIN_FUZZ_SEED") is None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])
