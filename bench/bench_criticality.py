"""Benchmark: supply risk by the EU method for every material × every year × four economies (EU27, USA, JPN,
CHN), warm, against a naive per-material loop in the same run; the two results are compared value by value.

* critmin: ``critmin.criticality.assess("EU27,USA,JPN,CHN")`` — one DuckDB query for the whole grid, on one
  open warehouse handle (warm: catalog loaded, connection open; median of 3).
* reference — naive loop: per economy × material, four queries (world production, the economy's imports by
  exporter, its exports, its members' production), then per year the formula in Python
  (:mod:`critmin.criticality.method`), as a script written against the warehouse would do.

Run: OPENBLAS_NUM_THREADS=1 CRITMIN_WAREHOUSE=... python bench/bench_criticality.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).parent))

ECONOMIES = "EU27,USA,JPN,CHN"


def naive(wh, economies, materials, years):
    """The per-material loop: SR per economy × material × year from small queries and Python arithmetic."""
    import pandas as pd

    from critmin.criticality import method

    gov = wh.sql("SELECT year, country, value FROM governance WHERE indicator = 'pv_estimate'").df()
    wgi = {(int(y), c): float(method.scale_wgi(v)) for y, c, v in gov.itertuples(index=False)}
    rows = []
    for e in economies:
        for m in materials:
            prod = wh.sql("SELECT year, country, sum(qty_t) q FROM production WHERE commodity = ? AND qty_t > 0 "
                          "GROUP BY ALL", [m.wmd_commodity]).df()
            codes = m.hs6()
            trade = (wh.sql(f"SELECT year, exporter, importer, qty_t q FROM trade WHERE qty_t > 0 AND hs6 IN "
                            f"({','.join('?' * len(codes))})", codes).df() if codes else
                     pd.DataFrame(columns=["year", "exporter", "importer", "q"]))
            for y in years:
                members = set(e.members(y))
                p = prod[prod["year"] == y].set_index("country")["q"]
                if p.empty:
                    continue
                w = [wgi.get((y, c), 5.0) for c in p.index]
                hhi_gs = method.hhi_wgi(p / p.sum(), w)
                t = trade[trade["year"] == y]
                imp = t[t["importer"].isin(members) & ~t["exporter"].isin(members)].groupby("exporter")["q"].sum()
                exp = t[t["exporter"].isin(members) & ~t["importer"].isin(members)]["q"].sum()
                dom = p[p.index.isin(members)]
                supply = pd.concat([imp, dom]) if len(imp) and len(dom) else (imp if len(imp) else dom)
                if codes and supply.sum() > 0:
                    eus = method.hhi_wgi(supply / supply.sum(), [wgi.get((y, c), 5.0) for c in supply.index])
                    ir = float(method.import_reliance(dom.sum(), imp.sum(), exp))
                else:
                    eus, ir = hhi_gs, 1.0
                rows.append((e.id, m.id, y, float(method.supply_risk(hhi_gs, eus, ir))))
    return pd.DataFrame(rows, columns=["economy", "material_id", "year", "sr_naive"])


def main() -> None:
    from _results import write_section
    from critmin.catalog import load_catalog
    from critmin.criticality import assess
    from critmin.indicators.imports import economies as resolve
    from critmin.warehouse.handle import Warehouse

    with Warehouse.open() as wh:
        assess(ECONOMIES, warehouse=wh)  # warm-up: catalog, data files, connection
        times, df = [], None
        for _ in range(3):
            t0 = time.perf_counter()
            df = assess(ECONOMIES, warehouse=wh)
            times.append(time.perf_counter() - t0)
        ours = statistics.median(times)
        econ = resolve(ECONOMIES)
        mats = [m for m in load_catalog().materials.values() if m.wmd_commodity]
        years = sorted(df["year"].unique().tolist())
        t0 = time.perf_counter()
        ref = naive(wh, econ, mats, years)
        ref_s = time.perf_counter() - t0
    both = df.merge(ref, on=["economy", "material_id", "year"], how="outer", indicator=True)
    matched = both[both["_merge"] == "both"]
    max_diff = float((matched["sr"] - matched["sr_naive"]).abs().max())
    body = f"""
SR for every material with a production series × every year with production × four economies ({ECONOMIES}):
**{len(df):,} rows** ({df['material_id'].nunique()} materials, years {years[0]}–{years[-1]}).

| run | seconds | ratio |
|---|---:|---:|
| `assess()`, one query, warm (median of 3: {', '.join(f'{x:.2f}' for x in times)}) | {ours:.2f} | 1.00 |
| naive loop (4 queries per economy × material, formula per year in Python) | {ref_s:.2f} | {ref_s / ours:.1f} |

Agreement: {len(matched):,} rows in both, {int((both['_merge'] != 'both').sum())} in one only; largest absolute
SR difference {max_diff:.2e}. Target: ≤ 2 s warm.
"""
    write_section("criticality", body)
    print(body)


if __name__ == "__main__":
    main()
