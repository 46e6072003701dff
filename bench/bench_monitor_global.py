"""Benchmark: `critmin monitor --importer all` (every economy in the data) warm, with change points detected by
critmin's own PELT (critmin.alerts.pelt) against the same run with ruptures' Pelt (the previous path), in the
same session.

* new: ``python -m critmin monitor --importer all`` as shipped.
* old (reference): the same command in a process where ``critmin.alerts.pelt.pelt_l2`` is replaced by a call to
  ``ruptures.Pelt(model="l2")`` (imported on first use, as before) and ``KnowledgeBase.measures`` is rebuilt on
  every access again.

Each side has its own copy of one built warehouse (the monitor stores each run there and compares with the
previous one), runs once to warm the caches, then twice more, interleaved with the other side. The
situations.csv of each pair of runs must be byte-identical, else the script fails. The default run (four
economies) is run once per side too and its level distribution printed. PYTHONHASHSEED is fixed (see main).

Run: OPENBLAS_NUM_THREADS=1 python bench/bench_monitor_global.py [--warehouse PATH] [--runs 2]
"""

from __future__ import annotations

import argparse
import collections
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).parent))

AS_OF = "2026-11-23"

OLD_PATH = """
import sys
import critmin.alerts.pelt as pelt
import critmin.kb.loader as loader

def ruptures_pelt(x, pen, min_size=2, jump=1):
    import ruptures as rpt
    return rpt.Pelt(model="l2", min_size=min_size, jump=jump).fit(x).predict(pen=pen)

pelt.pelt_l2 = ruptures_pelt
loader.KnowledgeBase.measures = property(loader.KnowledgeBase.measures.func)
from critmin.cli import main
sys.argv = ["critmin", *sys.argv[1:]]
main()
"""


def _run(side: str, wh: Path, out: Path, extra: list[str], env: dict) -> float:
    args = ["monitor", "--warehouse", str(wh), "--out", str(out), "--as-of", AS_OF, "--no-progress", *extra]
    cmd = [sys.executable, "-m", "critmin", *args] if side == "new" else [sys.executable, "-c", OLD_PATH, *args]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{side} run failed: {proc.stderr[-2000:]}")
    return time.perf_counter() - t0


def _levels(out: Path) -> dict[str, int]:
    with open(out / "situations.csv", encoding="utf-8-sig", newline="") as f:
        return dict(sorted(collections.Counter(r["level"] or "none" for r in csv.DictReader(f)).items()))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--warehouse", help="a built warehouse to copy (default: build one)")
    ap.add_argument("--runs", type=int, default=2)
    opts = ap.parse_args()

    base = Path(tempfile.mkdtemp(prefix="bench_monitor_global_"))
    # a fixed hash seed: without it two processes can name different (equal) "worst share" places on a card
    # (set order), whatever the detector (seen once: NOR cobalt metal, stage vs its one HS6 code)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
    env.pop("CRITMIN_WAREHOUSE", None)
    src = Path(opts.warehouse) if opts.warehouse else base / "built.duckdb"
    if not opts.warehouse:
        from critmin.warehouse.build import build_warehouse

        build_warehouse(src, progress=False)
    whs = {side: base / f"{side}.duckdb" for side in ("old", "new")}
    for wh in whs.values():
        shutil.copy(src, wh)

    load_before = os.getloadavg()
    times: dict[str, list[float]] = {"old": [], "new": []}
    for i in range(opts.runs + 1):  # run 0 warms the caches and is not counted
        for side in ("old", "new"):
            t = _run(side, whs[side], base / f"{side}{i}", ["--importer", "all"], env)
            if i:
                times[side].append(t)
            print(f"global {side} run {i}: {t:.1f} s", flush=True)
        a = (base / f"old{i}" / "situations.csv").read_bytes()
        b = (base / f"new{i}" / "situations.csv").read_bytes()
        if a != b:
            raise SystemExit(f"run {i}: situations.csv differs between the old and new path")
    default = {side: _run(side, whs[side], base / f"{side}_default", [], env) for side in ("old", "new")}
    if (base / "old_default" / "situations.csv").read_bytes() != (base / "new_default" / "situations.csv").read_bytes():
        raise SystemExit("default run: situations.csv differs between the old and new path")
    load_after = os.getloadavg()

    g_levels = _levels(base / f"new{opts.runs}")
    d_levels = _levels(base / "new_default")
    old_m, new_m = statistics.median(times["old"]), statistics.median(times["new"])
    fmt = ", ".join
    body = f"""`python bench/bench_monitor_global.py` — `critmin monitor --importer all --as-of {AS_OF}` warm, each side in
a fresh process on its own copy of one warehouse, interleaved, after one uncounted warm-up run per side. Load
average (1, 5, 15 min) {', '.join(f'{x:.1f}' for x in load_before)} before and
{', '.join(f'{x:.1f}' for x in load_after)} after (2 cores shared with other engineers).

| global run (221 economies) | runs (s) | median (s) | ratio to old |
|---|---|---:|---:|
| old: ruptures Pelt, measures rebuilt per access | {fmt(f'{t:.1f}' for t in times['old'])} | {old_m:.1f} | 1.00× |
| new: critmin.alerts.pelt, measures cached | {fmt(f'{t:.1f}' for t in times['new'])} | {new_m:.1f} | {new_m / old_m:.2f}× |

Default run (four economies), one run each: old {default['old']:.1f} s, new {default['new']:.1f} s.
situations.csv byte-identical between the two paths in every pair of runs (global and default).
Levels of the global run: {fmt(f'{k} {v:,}' for k, v in g_levels.items())}.
Levels of the default run: {fmt(f'{k} {v:,}' for k, v in d_levels.items())}.
"""
    print(body)
    from _results import write_section

    write_section("monitor global run: change points without ruptures (issue 12)", body)


if __name__ == "__main__":
    main()
