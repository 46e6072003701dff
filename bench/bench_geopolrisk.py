"""Benchmark: the full GeoPolRisk grid through geopolrisk-py 2.0.1 and through `critmin geopolrisk`, one run.

Grid: years 2018–2024 × USA, JPN, DEU, FRA, ITA, KOR, IND, BRA, CAN, GBR, CHN, AUS × the package's 53
default raw materials = 4,452 cells. Both sides run as fresh processes, so process start, imports and data
loading are included:

- peer: ``python -c`` importing geopolrisk-py and calling ``gprs_calc`` (HOME points at a temp dir, because the
  package writes logs, an Excel file and a SQLite file under ~/Documents/geopolrisk);
- critmin: the ``critmin geopolrisk ... --format csv --out FILE`` command on a warehouse built from the same
  bundled data (the build itself is not timed: it is the equivalent of installing the package's databases).

Every value (score, cf, hhi, import_risk, price) of every cell is compared at rtol 1e-9.
Run: python bench/bench_geopolrisk.py [--warehouse PATH] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _results import write_section  # noqa: E402

COUNTRIES = ["USA", "JPN", "DEU", "FRA", "ITA", "KOR", "IND", "BRA", "CAN", "GBR", "CHN", "AUS"]
# BACI numeric codes, which geopolrisk-py accepts for countries
PEER_CODES = {"USA": 842, "JPN": 392, "DEU": 276, "FRA": 251, "ITA": 380, "KOR": 410, "IND": 699, "BRA": 76,
              "CAN": 124, "GBR": 826, "CHN": 156, "AUS": 36}
YEARS = list(range(2018, 2025))
VALUES = {
    "GeoPolRisk Score": "score",
    "GeoPolRisk Characterization Factor [eq. Kg-Cu/Kg]": "cf",
    "HHI": "hhi",
    "Import Risk": "import_risk",
    "Price": "price",
}

PEER = """
import sys
from geopolrisk.assessment.main import gprs_calc
from geopolrisk.assessment.utils import default_rmlist, cvtcountry
r = gprs_calc({years!r}, {codes!r}, default_rmlist())
r["code"] = [int(cvtcountry(c, type="ISO")) for c in r["Country [Economic Entity]"]]
r.to_parquet(sys.argv[1])
"""


def _critmin_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("critmin")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "critmin"]


def run_peer(out: Path, home: Path) -> float:
    code = PEER.format(years=YEARS, codes=[PEER_CODES[c] for c in COUNTRIES])
    env = {**os.environ, "HOME": str(home), "TQDM_DISABLE": "1"}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(out)], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def run_critmin(out: Path, warehouse: Path) -> float:
    cmd = [*_critmin_cmd(), "geopolrisk", "--countries", ",".join(COUNTRIES),
           "--years", f"{YEARS[0]}-{YEARS[-1]}", "--format", "csv", "--out", str(out), "--warehouse", str(warehouse)]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def compare(peer_file: Path, ours_file: Path) -> dict:
    import numpy as np
    import pandas as pd

    peer = pd.read_parquet(peer_file)
    code_to_iso3 = {v: k for k, v in PEER_CODES.items()}
    peer = peer.rename(columns=VALUES).assign(
        iso3=lambda d: d["code"].map(code_to_iso3), material=lambda d: d["Raw Material"],
        year=lambda d: d["Year"].astype(int))
    ours = pd.read_csv(ours_file, float_precision="round_trip")
    m = ours.merge(peer, on=["iso3", "material", "year"], how="outer", suffixes=("", "_peer"), indicator=True)
    both = m["_merge"] == "both"
    out = {"cells_peer": len(peer), "cells_critmin": len(ours), "cells_matched": int(both.sum()),
           "values_checked": 0, "values_off": 0, "max_rel": 0.0}
    for c in VALUES.values():
        a = m.loc[both, c].astype(float).to_numpy()
        b = m.loc[both, f"{c}_peer"].astype(float).to_numpy()
        ok = np.isclose(a, b, rtol=1e-9, atol=0)
        rel = np.where(b != 0, np.abs(a - b) / np.abs(np.where(b != 0, b, 1)), np.abs(a))
        out["values_checked"] += len(a)
        out["values_off"] += int((~ok).sum())
        out["max_rel"] = max(out["max_rel"], float(rel.max()) if len(rel) else 0.0)
    out["exactly_equal"] = int(sum((m.loc[both, c].astype(float) == m.loc[both, f"{c}_peer"].astype(float)).sum()
                                   for c in VALUES.values()))
    return out


def warm_in_process(warehouse: Path, repeat: int = 5) -> float:
    import duckdb

    from critmin.indicators.geopolrisk import geopolrisk_rows

    con = duckdb.connect(str(warehouse), read_only=True)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        geopolrisk_rows(COUNTRIES, None, f"{YEARS[0]}-{YEARS[-1]}", con=con)
        times.append(time.perf_counter() - t0)
    con.close()
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", help="existing warehouse (default: build one from the bundled data)")
    ap.add_argument("--repeat", type=int, default=5, help="critmin runs (the median is reported)")
    ap.add_argument("--no-write", action="store_true", help="print, do not update bench/RESULTS.md")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        if args.warehouse:
            wh = Path(args.warehouse)
        else:
            from critmin.warehouse.build import build_warehouse

            wh = d / "critmin.duckdb"
            build_warehouse(wh, progress=False)
        home = d / "home"
        home.mkdir()
        ours_times = [run_critmin(d / "critmin.csv", wh)]  # one before the peer, the rest after
        peer_time = run_peer(d / "peer.parquet", home)
        ours_times += [run_critmin(d / "critmin.csv", wh) for _ in range(max(args.repeat - 1, 0))]
        result = compare(d / "peer.parquet", d / "critmin.csv")
        warm = warm_in_process(wh)
        shutil.rmtree(home, ignore_errors=True)

    ours = statistics.median(ours_times)
    ratio = peer_time / ours
    ok = result["values_off"] == 0 and result["cells_matched"] == result["cells_peer"] == result["cells_critmin"]
    body = f"""
Full grid, one run: years {YEARS[0]}–{YEARS[-1]} × {len(COUNTRIES)} economies ({', '.join(COUNTRIES)}) × the 53
default raw materials of geopolrisk-py = {result['cells_peer']:,} cells. Each side a fresh process (start, imports and
data loading included); machine: 2 cores, 24 GB, shared with other jobs during the run.

| implementation | wall time | ratio |
|---|---|---|
| geopolrisk-py 2.0.1, `python -c` … `gprs_calc(years, countries, default_rmlist())` | {peer_time:.1f} s | 1× |
| `critmin geopolrisk … --format csv --out FILE` (median of {len(ours_times)}: {', '.join(f'{x:.2f}' for x in ours_times)} s) | **{ours:.2f} s** | **{ratio:,.0f}× faster** |
| `critmin.indicators.geopolrisk.geopolrisk_rows` in a warm process (median of 5) | {warm * 1000:.0f} ms | {peer_time / warm:,.0f}× |

- Goal ≥ 200× end to end: {'met' if ratio >= 200 else 'NOT met'} ({ratio:,.0f}×).
- Parity (rtol 1e-9, every value): {result['values_checked']:,} values of {result['cells_matched']:,} matched cells
  ({result['cells_peer']:,} from the peer, {result['cells_critmin']:,} from critmin); {result['values_off']} outside tolerance,
  max relative difference {result['max_rel']:.1e}, {result['exactly_equal']:,} bit-identical. {'PASS' if ok else 'FAIL'}.
- The warehouse was built beforehand from the same bundled data and is not part of the timing.
"""
    print(body)
    if not args.no_write:
        write_section("geopolrisk", body)
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
