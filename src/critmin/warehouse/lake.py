"""The Parquet lake: the warehouse exported as Parquet for engines beyond one machine (Spark), and a read-only
warehouse handle over it that runs on Spark.

Layout (one folder; ``manifest.json`` says what is in it)::

    LAKE/manifest.json                   format, critmin version, source warehouse, provenance records, and per
                                         table: columns and types, partition columns, rows, files (rows, bytes,
                                         sha256)
    LAKE/trade/year=2022/data_0.parquet  data tables with a year column are partitioned by year (Hive style),
                                         so a cluster reads only the years a query asks for
    LAKE/materials/data_0.parquet        catalog and provenance tables are one file each

The lake is written into a temporary folder beside the target and renamed into place, so a reader sees the
old lake or the new one, never half of one. An existing lake is replaced only when asked (``replace=True``,
``critmin export --replace``); a folder that is not a lake is never replaced.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from critmin.errors import CritminError, InputError, UsageError

MANIFEST = "manifest.json"
FORMAT = "critmin-lake"
FORMAT_VERSION = 1
# Large tables with a year column: written partitioned by year.
PARTITIONED = ("trade", "trade_comtrade", "production", "governance")
# Tables a lake never carries: run bookkeeping that stays with the DuckDB file it describes.
SKIPPED = ("build_history",)

# DuckDB column types -> Spark SQL types (what the lake's Parquet files hold, read back with the same schema)
_SPARK_TYPES = {"VARCHAR": "string", "INTEGER": "int", "BIGINT": "bigint", "DOUBLE": "double", "BOOLEAN": "boolean",
                "SMALLINT": "smallint", "FLOAT": "float", "DATE": "date", "TIMESTAMP": "timestamp",
                "HUGEINT": "decimal(38,0)"}


class LakeError(CritminError):
    """A lake folder that is missing, incomplete or does not match its manifest."""


@dataclass
class LakeReport:
    path: Path
    tables: dict[str, int]  # table -> rows
    files: int
    bytes: int
    seconds: float
    replaced: bool


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def is_lake(path: Path) -> bool:
    return (Path(path) / MANIFEST).is_file()


def export_lake(out, warehouse=None, tables: list[str] | None = None, replace: bool = False,
                progress=None) -> LakeReport:
    """Write the warehouse's tables into a Parquet lake at ``out`` (see the module docstring).

    ``replace``: an existing lake at ``out`` is replaced only when True; otherwise, and for a non-empty folder
    that is not a lake, the export is refused before anything is written. ``progress(table)`` is called before
    each table.
    """
    import os
    import shutil
    import tempfile
    import time

    import critmin
    from critmin.warehouse.handle import using
    from critmin.warehouse.schema import PROVENANCE_YEAR_TABLES

    t0 = time.perf_counter()
    out = Path(out).expanduser()
    existed = out.exists()
    if existed:
        if not out.is_dir():
            raise UsageError(f"{out} exists and is not a folder; choose another --out")
        if not is_lake(out) and any(out.iterdir()):
            raise UsageError(f"{out} is a non-empty folder without {MANIFEST}: not a critmin lake, so it is never "
                             "replaced; choose an empty or new folder")
        if is_lake(out) and not replace:
            raise UsageError(f"{out} already holds a lake; pass --replace to write over it")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp"))
    except OSError as exc:
        raise InputError(str(out), None, None, "a writable folder for the lake", exc.strerror or str(exc)) from None
    try:
        with using(warehouse) as wh:
            have = wh.tables()
            names = list(tables) if tables else [t for t in have if t not in SKIPPED]
            unknown = [t for t in names if t not in have]
            if unknown:
                raise UsageError(f"no table {', '.join(unknown)} in {wh.path}; tables: {', '.join(have)}")
            manifest = {
                "format": FORMAT, "format_version": FORMAT_VERSION, "critmin_version": critmin.__version__,
                "created_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "warehouse": str(wh.path), "tables": {},
                "provenance": wh.provenance().astype(str).to_dict(orient="records")
                if "provenance" in have else [],
            }
            for name in names:
                if progress:
                    progress(name)
                manifest["tables"][name] = _write_table(wh, name, tmp)
            # which provenance feeds which year, from the warehouse's lookup: a Spark handle then labels rows
            # and lists years without a pass over the (possibly huge) table
            manifest["provenance_year"] = {
                t: [[int(y), str(p), int(n)] for y, p, n in wh.provenance_year_rows(t)]
                for t in PROVENANCE_YEAR_TABLES if t in names}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
        verify_lake(tmp, checksums=False)
        os.chmod(tmp, 0o777 & ~_umask())
        if existed:
            old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".old"))
            os.replace(out, old / "lake")
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    files = [f for t in manifest["tables"].values() for f in t["files"]]
    return LakeReport(out, {n: t["rows"] for n, t in manifest["tables"].items()}, len(files),
                      sum(f["bytes"] for f in files), time.perf_counter() - t0, existed)


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_table(wh, name: str, root: Path) -> dict:
    """One table into ``root/name``: its columns, partitioning, rows and files for the manifest."""
    rel = wh.con.table(name)
    columns = [[c, str(t)] for c, t in zip(rel.columns, rel.types, strict=True)]
    part = ["year"] if name in PARTITIONED and "year" in rel.columns else []
    target = root / name
    if part:
        # the path is passed as an argument, never as SQL text
        rel.write_parquet(str(target), compression="zstd", partition_by=part, overwrite=True)
    else:
        target.mkdir()
        rel.write_parquet(str(target / "data_0.parquet"), compression="zstd")
    files = []
    for f in sorted(target.rglob("*.parquet")):
        files.append({"path": f.relative_to(root).as_posix(), "rows": _parquet_rows(f), "bytes": f.stat().st_size,
                      "sha256": _sha256(f)})
    rows = int(wh.con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0])
    if sum(f["rows"] for f in files) != rows:
        raise LakeError(f"{target}: wrote {sum(f['rows'] for f in files)} rows of table {name}, expected {rows}")
    return {"columns": columns, "partition_by": part, "rows": rows, "files": files}


def read_manifest(lake) -> dict:
    """The lake's manifest, checked for its format; a missing or foreign manifest is a :class:`LakeError`."""
    path = Path(lake).expanduser() / MANIFEST
    if not path.is_file():
        raise LakeError(f"{path.parent}: no lake here ({MANIFEST} missing); write one with "
                        f"`critmin export --out {path.parent}`")
    try:
        m = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(str(path), None, None, "the JSON manifest written by critmin export", str(exc)) from None
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise InputError(str(path), None, "format", f"'{FORMAT}'", m.get("format") if isinstance(m, dict) else m)
    if m.get("format_version") != FORMAT_VERSION:
        raise InputError(str(path), None, "format_version", f"{FORMAT_VERSION} (this critmin)",
                         m.get("format_version"))
    return m


def verify_lake(lake, checksums: bool = True) -> dict:
    """Check every file the manifest lists: present, with its rows (Parquet footer), bytes and (``checksums``)
    sha256, and the table totals; no unlisted Parquet files. Returns the manifest; raises :class:`InputError`
    naming the file and field on the first group of mismatches."""
    root = Path(lake).expanduser()
    m = read_manifest(root)
    problems: list[tuple[str, str, str, object]] = []
    listed = set()
    for name, t in m["tables"].items():
        total = 0
        for f in t["files"]:
            p = root / f["path"]
            listed.add(p.resolve())
            if not p.is_file():
                problems.append((str(p), "file", "present (listed in the manifest)", "missing"))
                continue
            if p.stat().st_size != f["bytes"]:
                problems.append((str(p), "bytes", str(f["bytes"]), p.stat().st_size))
            n = _parquet_rows(p)
            total += n
            if n != f["rows"]:
                problems.append((str(p), "rows", str(f["rows"]), n))
            if checksums and _sha256(p) != f["sha256"]:
                problems.append((str(p), "sha256", f["sha256"], "a different checksum"))
        if total != t["rows"] and not problems:
            problems.append((str(root / MANIFEST), f"tables.{name}.rows", str(t["rows"]), total))
    extra = [p for p in root.rglob("*.parquet") if p.resolve() not in listed]
    problems += [(str(p), "file", "listed in the manifest", "an unlisted file") for p in extra]
    if problems:
        file, field, expected, got = problems[0]
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise InputError(file, None, field, expected + more, got)
    return m


# ------------------------------------------------------------------------------------------------- Spark
def spark_session(master: str | None = None, driver_memory: str | None = None):
    """The process's SparkSession (created on first use): master and driver memory from the settings
    ``spark_master`` / ``spark_driver_memory`` unless given. A session already running is reused as it is
    (Spark allows one per process)."""
    import os

    from critmin.extras import require
    from critmin.settings import get

    require("spark", "the Spark engine")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    session = (SparkSession.builder.master(get("spark_master", master)).appName("critmin")
            .config("spark.driver.memory", get("spark_driver_memory", driver_memory))
            .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", str(get("spark_shuffle_partitions")))
            .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    return session


def _spark_schema(columns: list[list[str]]) -> str | None:
    """The Spark DDL schema of a table's columns, or None when a type has no plain equivalent here (lists,
    structs, maps of other areas' tables): Spark then takes the types from the Parquet files."""
    out = []
    for c, t in columns:
        base = t.split("(")[0]
        if base == "DECIMAL":
            out.append(f"`{c}` {t.lower()}")
        elif base in _SPARK_TYPES:
            out.append(f"`{c}` {_SPARK_TYPES[base]}")
        else:
            return None
    return ", ".join(out)


class SparkWarehouse:
    """A read-only warehouse handle over a lake, running on Spark: what the indicator code asks of a
    :class:`~critmin.warehouse.handle.Warehouse` (``ibis``, ``trade_years``, ``provenance``,
    ``provenance_by_year``, ``provenance_years``, ``tables``, ``sql``, ``rows``, ``register``), with the lake's
    tables as temporary views of the session.

    ``sql`` takes the DuckDB SQL the indicator code writes and runs it on Spark through SQLGlot, so a query is
    written once. Views are named after the tables, so one lake at a time per session.
    """

    engine = "spark"
    read_only = True

    def __init__(self, lake, session=None, verify: bool = False):
        self.path = Path(lake).expanduser()
        self._memo: dict = {}
        self.manifest = verify_lake(self.path) if verify else read_manifest(self.path)
        self.session = session if session is not None else spark_session()
        for name, t in self.manifest["tables"].items():
            # an explicit schema: Parquet types as exported, partition column typed as in the warehouse
            schema = _spark_schema(t["columns"])
            reader = self.session.read if schema is None else self.session.read.schema(schema)
            if t["files"]:
                df = reader.parquet(str(self.path / name))
            elif schema is not None:  # an empty table: a partitioned write leaves no file to read
                df = self.session.createDataFrame([], schema)
            else:
                continue
            df.select(*[f"`{c}`" for c, _ in t["columns"]]).createOrReplaceTempView(name)

    def __enter__(self) -> SparkWarehouse:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Views stay until the session ends; the session is shared, so it is not stopped here."""

    @property
    def ibis(self):
        be = self.__dict__.get("_ibis")
        if be is None:
            import ibis

            be = self.__dict__["_ibis"] = ibis.pyspark.connect(self.session)
        return be

    def tables(self) -> list[str]:
        return sorted(self.manifest["tables"])

    def sql(self, query: str, params: list | None = None) -> SparkResult:
        """Run DuckDB-dialect SQL (``?`` parameters allowed; a list parameter after IN expands) on Spark; a CTE
        read more than once is computed once (cached as a temporary view, dropped when the result is read)."""
        import uuid

        lifted, rest = lift_shared_ctes(query, params, prefix=f"cte_{uuid.uuid4().hex[:8]}")
        views = []
        for name, body in lifted:
            df = self.session.sql(body).cache()
            df.createOrReplaceTempView(name)
            views.append((name, df))
        return SparkResult(self.session.sql(rest), views, self.session)

    @property
    def con(self) -> SparkWarehouse:
        """Cursor-style access for code written against ``Warehouse.con`` (``con.execute(sql).fetchall()``)."""
        return self

    def execute(self, query: str, params: list | None = None) -> SparkResult:
        """Cursor-style :meth:`sql`, for code written against a DuckDB cursor."""
        return self.sql(query, params)

    def spark_rows(self, spark_sql: str) -> tuple[list[str], list[tuple]]:
        """Columns and rows of a statement already in Spark's dialect."""
        frame = self.session.sql(spark_sql)
        return list(frame.columns), [tuple(r) for r in frame.collect()]

    def schema(self) -> dict[str, set[str]]:
        """Tables and their columns, from the manifest."""
        return {n: {c for c, _ in t["columns"]} for n, t in self.manifest["tables"].items()}

    def trade_years(self, table: str = "trade") -> list[int]:
        if table not in ("trade", "trade_comtrade"):
            raise UsageError(f"unknown trade table '{table}'")
        key = ("years", table)  # a lake never changes after export: each answer is computed once per handle
        if key not in self._memo:
            looked_up = self.manifest.get("provenance_year", {}).get(table)
            self._memo[key] = (sorted({int(r[0]) for r in looked_up}) if looked_up is not None else
                               [int(r[0]) for r in self.sql(f"SELECT DISTINCT year FROM {table} ORDER BY 1").fetchall()])
        return list(self._memo[key])

    def provenance(self):
        import pandas as pd

        cols = ["provenance_id", "source", "table", "row_count", "vintage", "licence", "sha256", "file", "loaded_at"]
        df = pd.DataFrame(self.manifest["provenance"])
        if df.empty:
            return pd.DataFrame(columns=cols)
        df["row_count"] = pd.to_numeric(df["row_count"], errors="coerce").astype("Int64")
        return df[cols].sort_values(["table", "source"]).reset_index(drop=True)

    def provenance_years(self, table: str = "trade") -> list[tuple[int, str]]:
        df = self.provenance_by_year(table)
        return [(int(y), str(p)) for y, p in zip(df["year"], df["provenance_id"], strict=True)]

    def register(self, name: str, columns: dict[str, str], rows: list[tuple]) -> None:
        """A small temporary view of the session (the selection an indicator statement joins on)."""
        types = {"VARCHAR": "STRING", "INTEGER": "INT", "DOUBLE": "DOUBLE", "BIGINT": "BIGINT"}
        schema = ", ".join(f"`{c}` {types[t]}" for c, t in columns.items())
        self.session.createDataFrame([tuple(r) for r in rows], schema).createOrReplaceTempView(name)

    def rows(self, query: str, params: list | None = None) -> tuple[list[str], list[tuple]]:
        """Column names and row tuples of a DuckDB-dialect statement run on Spark."""
        res = self.sql(query, params)
        return list(res.frame.columns), res.fetchall()

    def provenance_by_year(self, table: str = "trade"):
        if table not in ("trade", "trade_comtrade", "production", "governance"):
            raise UsageError(f"no provenance by year for table '{table}'")
        key = ("provenance_by_year", table)
        looked_up = self.manifest.get("provenance_year", {}).get(table)
        if key not in self._memo and looked_up is not None:  # written at export (lakes before it: counted here)
            import pandas as pd

            prov = {p["provenance_id"]: p for p in self.manifest["provenance"]}

            def text(pid, col):  # the manifest holds the provenance table as text ('None' for a missing value)
                v = prov[pid].get(col)
                return None if v in (None, "None", "nan") else v

            self._memo[key] = pd.DataFrame(
                [(y, pid, text(pid, "source"), text(pid, "vintage"), n) for y, pid, n in sorted(looked_up)
                 if pid in prov],  # as the join on provenance does
                columns=["year", "provenance_id", "source", "vintage", "rows"])
        if key not in self._memo:
            self._memo[key] = self.sql(f"""SELECT t.year, t.provenance_id, p.source, p.vintage, count(*) AS rows
                                           FROM {table} t JOIN provenance p USING (provenance_id)
                                           GROUP BY t.year, t.provenance_id, p.source, p.vintage
                                           ORDER BY t.year, t.provenance_id""").df()
        return self._memo[key].copy()

    def __repr__(self) -> str:
        return f"SparkWarehouse({str(self.path)!r})"


class SparkResult:
    """The part of a DuckDB relation the indicator code uses (``df``, ``fetchall``, ``fetchone``)."""

    def __init__(self, frame, views=(), session=None):
        self.frame = frame
        self._views, self._session = list(views), session

    def close(self) -> None:
        """Drop the cached views of lifted CTEs (after the result was read or written)."""
        for name, df in self._views:
            df.unpersist()
            self._session.catalog.dropTempView(name)
        self._views = []

    def df(self):
        try:
            return self.frame.toPandas()
        finally:
            self.close()

    def fetchall(self) -> list[tuple]:
        try:
            return [tuple(r) for r in self.frame.collect()]
        finally:
            self.close()

    def fetchone(self):
        try:
            rows = self.frame.take(1)
        finally:
            self.close()
        return tuple(rows[0]) if rows else None


def to_spark(query: str, params: list | None = None) -> str:
    """DuckDB SQL with ``?`` parameters as Spark SQL: parameters become literals (a list after IN becomes the
    IN list), then SQLGlot rewrites the dialect."""
    return _bound_tree(query, params).sql(dialect="spark")


def _bound_tree(query: str, params: list | None = None):
    """The statement parsed from DuckDB SQL, with ``?`` parameters replaced by literals."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(query, read="duckdb")
    values = list(params or [])

    def lit(v):
        if isinstance(v, bool):
            return exp.Boolean(this=v)
        if isinstance(v, int | float):
            return exp.Literal.number(v)
        return exp.Literal.string(str(v))

    def bind(node):
        ph = node.args.get("field") if isinstance(node, exp.In) else None
        if ph is None and isinstance(node, exp.In) and len(node.expressions) == 1:
            ph = node.expressions[0]
        if isinstance(ph, exp.Placeholder):  # `x IN ?` with a list: the list's items
            v = values.pop(0)
            items = v if isinstance(v, list | tuple) else [v]
            return exp.In(this=node.this, expressions=[lit(x) for x in items])
        if isinstance(node, exp.Placeholder):
            return lit(values.pop(0))
        return node

    if params:
        tree = tree.transform(bind)
    return tree


def lift_shared_ctes(query: str, params: list | None = None, prefix: str = "cte") -> tuple[list[tuple[str, str]], str]:
    """Spark SQL of a DuckDB statement with every CTE that is read more than once lifted out: ([(view name, Spark
    SQL of its body)], Spark SQL of the rest). DuckDB computes such a CTE once; Spark inlines a CTE at each
    reference, so a CTE over the trade table read four times scans the table four times. The caller caches each
    lifted body as a temporary view (in order: a body may read an earlier one) and runs the rest."""
    from sqlglot import exp

    tree = _bound_tree(query, params)
    with_ = tree.args.get("with_")
    if with_ is None:
        return [], tree.sql(dialect="spark")
    names = [c.alias_or_name for c in with_.expressions]
    reads = dict.fromkeys(names, 0)
    for t in tree.find_all(exp.Table):
        if not t.args.get("db") and t.name in reads:
            reads[t.name] += 1
    rename = {n: f"{prefix}_{n}" for n in names if reads[n] > 1}
    if not rename:
        return [], tree.sql(dialect="spark")

    def renamed(node):
        if isinstance(node, exp.Table) and not node.args.get("db") and node.name in rename:
            return exp.to_table(rename[node.name]).as_(node.alias_or_name)  # keeps the name it was read under
        return node

    tree = tree.transform(renamed)
    with_ = tree.args["with_"]
    lifted, kept = [], []
    for cte in list(with_.expressions):
        name = cte.alias_or_name
        if name not in rename:
            kept.append(cte)
            continue
        body = cte.this.copy()
        for k in kept:  # the earlier CTEs it may read that stay inline
            body = body.with_(k.alias_or_name, k.this.copy())
        lifted.append((rename[name], body.sql(dialect="spark")))
    if kept:
        with_.set("expressions", kept)
    else:
        tree.set("with_", None)
    return lifted, tree.sql(dialect="spark")
