"""Benchmark: `critmin build` on the bundled data vs a minimal hand-written load (the floor).

The reference reads the same SQLite table with sqlite3 and writes it to DuckDB with no validation, no code
mapping, no catalog and no provenance: what any build must at least spend. Both run as fresh processes, so
process start is included. Run: python bench/bench_build.py [--repeat N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _results import write_section  # noqa: E402

REFERENCE = r"""
import importlib.util, sqlite3, sys, duckdb, pyarrow as pa
lib = list(importlib.util.find_spec('geopolrisk').submodule_search_locations)[0] + '/lib/baci.db'
rows = sqlite3.connect(lib).execute('select t, i, j, k, v, q from baci_trade').fetchall()
cols = list(zip(*rows))
tbl = pa.table({n: pa.array(c) for n, c in zip('tijkvq', cols)})
con = duckdb.connect(sys.argv[1])
con.execute("create table trade as select cast(t as int) as year, cast(i as int) as exporter, "
            "cast(j as int) as importer, lpad(cast(k as varchar), 6, '0') as hs6, "
            "cast(v as double) as value_kusd, cast(q as double) as qty_t from tbl")
con.close()
"""


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    crit, ref = [], []
    with tempfile.TemporaryDirectory() as d:
        for k in range(args.repeat):
            crit.append(timed([sys.executable, "-m", "critmin", "build", "--force", "--quiet",
                               "--warehouse", f"{d}/c{k}.duckdb"]))
            ref.append(timed([sys.executable, "-c", REFERENCE, f"{d}/r{k}.duckdb"]))
    best_c, best_r = min(crit), min(ref)
    body = f"""
`critmin build` (bundled BACI 1.26 M rows + WMD + WGI + catalog, validated, atomic) against a minimal
load of the same BACI table into DuckDB (no validation, no code mapping, no provenance). Fresh process each,
best of {args.repeat}.

| run | best (s) | all runs (s) |
|---|---|---|
| critmin build | {best_c:.1f} | {', '.join(f'{x:.1f}' for x in crit)} |
| minimal load (reference floor) | {best_r:.1f} | {', '.join(f'{x:.1f}' for x in ref)} |

Ratio critmin / floor: **{best_c / best_r:.2f}×**. Budget in issue 2: ≤ 45 s → {'met' if best_c <= 45 else 'NOT met'}.
"""
    write_section("build", body)
    print(body)


if __name__ == "__main__":
    main()
