#!/usr/bin/env bash
# Set up a fresh virtual environment and run critmin's main job on the embedded default data.
# Usage: bash scripts/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${CRITMIN_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e .
"$VENV/bin/critmin" build
"$VENV/bin/critmin" monitor --out critmin-report   # the main job: report.html, alerts.json, alerts.csv
