"""The warehouse handle returned by ``critmin.open()``: tables out as Arrow, pandas or polars."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from critmin.errors import UsageError, WarehouseMissing
from critmin.settings import warehouse_path


class Warehouse:
    """A read-only view of one warehouse file (``read_only=False`` for writers such as ingest).

    A writable handle holds the writer lock (:mod:`critmin.warehouse.lock`) until it is closed, so no build
    can swap the file under it and no other writer interleaves; ``command`` is recorded in the lock file so
    a waiting command can say who it waits for.
    """

    def __init__(self, path: Path, read_only: bool = True, command: str = "write"):
        from contextlib import ExitStack

        from critmin.warehouse.lock import connect, writer_lock

        self.path = Path(path)
        self.read_only = read_only
        if not self.path.exists():
            raise WarehouseMissing(str(self.path))
        self._stack = ExitStack()
        try:
            if not read_only:
                self._stack.enter_context(writer_lock(self.path, command))
            self.con = connect(self.path, read_only=read_only)
        except BaseException:
            self._stack.close()
            raise
        from critmin.warehouse.schema import outdated

        missing = outdated(self.con)  # one catalog query: an older file fails here in one sentence, not in a query
        if missing:
            self.close()
            from critmin.errors import WarehouseOutdated

            raise WarehouseOutdated(str(self.path), missing)

    @classmethod
    def open(cls, path=None, read_only: bool = True, command: str = "write") -> Warehouse:
        return cls(warehouse_path(path), read_only=read_only, command=command)

    @classmethod
    def create_or_open(cls, path=None, command: str = "write") -> Warehouse:
        """A writable handle, creating an empty warehouse file (and its folder) under the writer lock when
        there is none yet — for areas that may be used before the first build (discourse)."""
        from critmin.warehouse.lock import connect, writer_lock

        p = warehouse_path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        with writer_lock(p, command):
            if not p.exists():
                connect(p, read_only=False).close()
            return cls(p, read_only=False, command=command)  # re-entrant: the lock is handed over

    # context manager -------------------------------------------------------------------------------------
    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.con.close()
        finally:
            self._stack.close()

    # one handle, passed down ------------------------------------------------------------------------------
    @property
    def ibis(self):
        """An Ibis DuckDB backend on this handle's own connection (no second connection is opened)."""
        be = self.__dict__.get("_ibis")
        if be is None:
            import ibis

            be = self.__dict__["_ibis"] = ibis.duckdb.from_connection(self.con)
        return be

    @contextmanager
    def transaction(self):
        """A transaction on this (writable) handle: committed when the block ends, rolled back if it raises."""
        if self.read_only:
            raise UsageError(f"{self.path} was opened read-only; open it with read_only=False to write")
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def trade_years(self, table: str = "trade") -> list[int]:
        """The years present in a trade table, ascending."""
        if table not in ("trade", "trade_comtrade"):
            raise UsageError(f"unknown trade table '{table}'")
        sql, params = self._provenance_year_sql(table)  # the lookup when the file has one: no scan of the table
        return [r[0] for r in self.con.execute(f"SELECT DISTINCT year FROM ({sql}) ORDER BY 1", params).fetchall()]

    def _provenance_year_sql(self, table: str) -> tuple[str, list]:
        """(year, provenance_id, rows) of ``table``: read from the ``provenance_year`` lookup a build or ingest
        writes; counted from the table itself in a file that has no lookup yet."""
        from critmin.warehouse.schema import PROVENANCE_YEAR_TABLES

        if table not in PROVENANCE_YEAR_TABLES:
            raise UsageError(f"no provenance by year for table '{table}'")
        fresh = self.__dict__.setdefault("_lookup_fresh", {})
        if table not in fresh:
            has = bool(self.con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                "AND table_name = 'provenance_year'").fetchone()[0])
            # a lookup whose row total differs from the table's (rows written by something other than a build
            # or an ingest) would silently drop years: then the table itself is counted. count(*) of a whole
            # DuckDB table reads row-group metadata, not the rows.
            fresh[table] = has and self.con.execute(
                f'SELECT (SELECT coalesce(sum(rows), 0) FROM provenance_year WHERE "table" = ?) '
                f"= (SELECT count(*) FROM {table})", [table]).fetchone()[0]
        if fresh[table]:
            return 'SELECT year, provenance_id, rows FROM provenance_year WHERE "table" = ?', [table]
        return f"SELECT year, provenance_id, count(*) AS rows FROM {table} GROUP BY year, provenance_id", []

    def provenance_year_rows(self, table: str = "trade") -> list[tuple[int, str, int]]:
        """(year, provenance_id, rows) of a table, from the lookup when it is fresh."""
        sql, params = self._provenance_year_sql(table)
        return self.con.execute(f"SELECT year, provenance_id, rows FROM ({sql}) ORDER BY 1, 2", params).fetchall()

    def provenance_years(self, table: str = "trade") -> list[tuple[int, str]]:
        """(year, provenance_id) pairs of a table, for labelling indicator rows (no pandas)."""
        sql, params = self._provenance_year_sql(table)
        return self.con.execute(f"SELECT year, provenance_id FROM ({sql}) ORDER BY 1, 2", params).fetchall()

    def provenance_by_year(self, table: str = "trade"):
        """Which provenance records feed which years of a table: (year, provenance_id, source, vintage, rows)."""
        sql, params = self._provenance_year_sql(table)
        return self.con.execute(f"""SELECT t.year, t.provenance_id, p.source, p.vintage, t.rows
                                    FROM ({sql}) t JOIN provenance p USING (provenance_id)
                                    ORDER BY t.year, t.provenance_id""", params).df()

    def register(self, name: str, columns: dict[str, str], rows: list[tuple]) -> None:
        """A small temporary table on this connection (a selection an indicator statement joins on: codes,
        economies), replacing one of the same name; the file itself is not written."""
        register(self.con, name, columns, rows)

    def rows(self, query: str, params: list | None = None) -> tuple[list[str], list[tuple]]:
        """Column names and row tuples of a statement (no pandas, no Arrow)."""
        cur = self.con.execute(query, params) if params else self.con.execute(query)
        return [d[0] for d in cur.description], cur.fetchall()

    # reading -----------------------------------------------------------------------------------------------
    def tables(self) -> list[str]:
        return [r[0] for r in self.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() ORDER BY 1").fetchall()]

    def sql(self, query: str, params: list | None = None):
        """A DuckDB relation (``.df()``, ``.arrow()``, ``.pl()``) for ``query``."""
        return self.con.sql(query, params=params) if params else self.con.sql(query)

    def table(self, name: str, fmt: Literal["arrow", "pandas", "polars"] = "pandas", *,
              columns: list[str] | None = None, where: dict | None = None, limit: int | None = None):
        """A warehouse table, read by DuckDB with the selection pushed down (only those columns and rows leave
        the file). ``where``: ``{column: value}`` (equality) or ``{column: [values]}`` (any of), combined with AND;
        values are bound as parameters, never pasted into SQL."""
        if name not in self.tables():
            raise UsageError(f"no table '{name}' in {self.path}; tables: {', '.join(self.tables())}")
        if fmt not in ("arrow", "pandas", "polars"):
            raise UsageError(f"unknown format '{fmt}'; expected arrow, pandas or polars")
        have = [r[0] for r in self.con.execute(f'DESCRIBE "{name}"').fetchall()]
        wanted = list(columns or have)
        unknown = [c for c in [*wanted, *(where or {})] if c not in have]
        if unknown:
            from critmin.suggest import hint

            raise UsageError(f"table '{name}' has no column {', '.join(map(repr, unknown))}"
                             f"{hint(unknown[0], have)}; columns: {', '.join(have)}")
        sql = "SELECT " + ", ".join(f'"{c}"' for c in wanted) + f' FROM "{name}"'
        params: list = []
        conds = []
        for col, value in (where or {}).items():
            if isinstance(value, list | tuple | set | frozenset):
                conds.append(f'"{col}" IN (' + ", ".join("?" for _ in value) + ")" if value else "FALSE")
                params.extend(value)
            else:
                conds.append(f'"{col}" = ?')
                params.append(value)
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        if limit is not None:
            if int(limit) < 0:
                raise UsageError(f"limit {limit}: expected a number ≥ 0")
            sql += f" LIMIT {int(limit)}"
        rel = self.con.sql(sql, params=params) if params else self.con.sql(sql)
        if fmt == "arrow":
            return rel.to_arrow_table()
        if fmt == "polars":
            from critmin.extras import require

            require("polars", "a polars table")
            return rel.pl()
        return rel.df()

    def provenance(self):
        """One row per loaded file; ``uv_flagged``: its trade rows the unit-value screen marked
        (:mod:`critmin.warehouse.unit_value`; an older warehouse without the column counts none)."""
        cols = {r[0] for r in self.con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'trade' AND database_name = current_database()"
        ).fetchall()}
        flagged = ("(SELECT count(uv_flag) FROM trade t WHERE t.provenance_id = p.provenance_id)"
                   if "uv_flag" in cols else "NULL")
        return self.sql(f"""SELECT provenance_id, source, "table", row_count,
                                   CASE WHEN "table" = 'trade' THEN {flagged} END AS uv_flagged,
                                   vintage, licence, sha256, file, loaded_at
                            FROM provenance p ORDER BY "table", source""").df()

    def summary(self):
        """Rows, years and coverage per data table, for `critmin summary`."""
        import pandas as pd

        rows = []
        for t, year_col in (("trade", "year"), ("trade_comtrade", "year"), ("production", "year"),
                            ("governance", "year")):
            n, lo, hi = self.con.execute(f"SELECT count(*), min({year_col}), max({year_col}) FROM {t}").fetchall()[0]
            rows.append({"table": t, "rows": n, "first_year": lo, "last_year": hi})
        out = pd.DataFrame(rows)
        for col in ("first_year", "last_year"):
            out[col] = out[col].astype("Int64")
        return out

    def export_parquet(self, out_dir, tables: list[str] | None = None) -> list[Path]:
        """Write tables as Parquet files (one per table) into ``out_dir``, atomically per file."""
        import os

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name in tables or self.tables():
            if name not in self.tables():
                raise UsageError(f"no table '{name}' in {self.path}")
            target = out / f"{name}.parquet"
            tmp = out / f".{name}.parquet.tmp"
            self.con.table(name).write_parquet(str(tmp), compression="zstd")  # the path is never SQL text
            os.replace(tmp, target)
            written.append(target)
        return written

    def __repr__(self) -> str:
        return f"Warehouse({str(self.path)!r})"


def register(con, name: str, columns: dict[str, str], rows: list[tuple]) -> None:
    """``rows`` as the temporary table ``name`` on a DuckDB connection (one INSERT of column lists)."""
    cols = ", ".join(f"{c} {t}" for c, t in columns.items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({cols})")
    if rows:
        lists = [list(col) for col in zip(*rows, strict=True)]
        sel = ", ".join(f"unnest(?::{t}[])" for t in columns.values())
        con.execute(f"INSERT INTO {name} SELECT {sel}", lists)


@contextmanager
def using(warehouse=None, *, read_only: bool = True, command: str = "write") -> Iterator[Warehouse]:
    """The handle to work with: ``warehouse`` itself when it is already an open :class:`Warehouse` (it stays
    open: whoever opened it closes it), else one opened from a path / None (--warehouse, CRITMIN_WAREHOUSE,
    the default) and closed at the end. Domain functions take ``warehouse`` and use this, so a face (CLI,
    server) can open one handle per command and pass it down."""
    # an open handle: a Warehouse, or the read-only Spark handle over a lake (critmin.warehouse.lake, which
    # imports this module, hence the duck typing)
    if isinstance(warehouse, Warehouse) or getattr(warehouse, "engine", None) == "spark":
        if not read_only and warehouse.read_only:
            raise UsageError(f"{warehouse.path} was opened read-only but this operation writes to it")
        yield warehouse
        return
    wh = Warehouse.open(warehouse, read_only=read_only, command=command)
    try:
        yield wh
    finally:
        wh.close()
