#!/usr/bin/env bash
# Set up a fresh virtual environment and run critmin's main job on the embedded default data.
# Usage: bash scripts/run.sh
source "$(dirname "$0")/_venv.sh"
"$VENV/bin/python" -m pip install -q -e .   # the core only: the main job needs no extra (see pyproject extras)
"$VENV/bin/critmin" build
"$VENV/bin/critmin" monitor --out critmin-report   # the main job: report.html, alerts.json, alerts.csv
