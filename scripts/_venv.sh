# Sourced by run.sh and test.sh: create (once) and upgrade the project's virtual environment.
# Sets VENV; the caller installs the extras it needs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV=${CRITMIN_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
