#!/usr/bin/env bash
# Rebuild the backtest figures in docs/figures/ from the bundled data (BACI in the warehouse, the published
# 2025 magnet figures in src/critmin/stress/data/). Fixed draws and seeds, so the same figures come out (Plotly gives each page a new div id).
# Usage: bash scripts/backtest_figures.sh   (uses the warehouse in CRITMIN_WAREHOUSE; run `critmin build` first)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CRITMIN=${CRITMIN:-critmin}
$CRITMIN stress backtest --episode 2010 --model all --draws 20000 --seed 0 --cdn \
  --chart docs/figures/stress_backtest_2010_law.html > /dev/null
$CRITMIN stress backtest --episode 2025 --draws 20000 --seed 0 --cdn \
  --chart docs/figures/stress_backtest_2025.html > /dev/null
echo "wrote docs/figures/stress_backtest_2010_law.html docs/figures/stress_backtest_2025.html"
