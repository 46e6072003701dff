#!/usr/bin/env bash
# Set up a fresh virtual environment and run the whole test suite (fast, slow, browser and Spark tiers).
# Usage: bash scripts/test.sh [pytest args...]
source "$(dirname "$0")/_venv.sh"
"$VENV/bin/python" -m pip install -q -e ".[all,dev]"   # every extra: the tests cover discourse, compliance, Spark, polars
# Browser tests use Debian's Chromium (never a downloaded browser).
if { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; } && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
    || echo "warning: could not install chromium; browser tests will fail" >&2
fi
export OPENBLAS_NUM_THREADS=1
export CRITMIN_REQUIRE_SPARK=${CRITMIN_REQUIRE_SPARK:-1}  # Spark tests run for real, never silently skipped
export SPARK_LOCAL_IP=127.0.0.1
"$VENV/bin/ruff" check src tests bench
"$VENV/bin/python" -m pytest -q "$@"
