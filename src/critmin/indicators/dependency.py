"""Dependency of an importer (country or group) on its suppliers, per material / stage / HS6 and year.

Thin orchestration over :mod:`critmin.indicators.imports` (the maths) and :mod:`.trends`: names resolve through
:mod:`critmin.catalog.economies`, the statements run on the warehouse handle (DuckDB, or Spark over a lake), and
rows carry their provenance ids (:mod:`.provenance`). ``*_rows`` functions return
:class:`~critmin.tabletext.Rows` (what the CLI prints, no pandas); the plain functions return pandas DataFrames.
"""

from __future__ import annotations

from critmin.errors import EmptyResult, UsageError
from critmin.indicators.imports import BASES, Basis, economies
from critmin.indicators.trade_source import table_of
from critmin.indicators.years import parse_years

FLOAT_COLUMNS = frozenset({"total_imports", "top1_share", "top3_share", "hhi", "china_share",
                           "unit_value_usd_per_kg", "yoy_imports", "yoy_unit_value", "top1_share_change_pp",
                           "china_share_change_pp", "share", "imports_kusd", "imports_t", "amount"})


def _select(wh, econ, material, stage, hs6, years, source: str = "baci") -> str:
    """Register the selection (economies by year, codes) on ``wh`` and return the flows statement."""
    from critmin.catalog import load_catalog
    from critmin.indicators.imports import code_rows, flows_sql, select
    from critmin.indicators.trade_source import trade_sql

    cat = load_catalog()
    mat_id = cat.material(material).id if material else None
    if stage is not None:
        cat.hs6_for(mat_id or "rare_earths", stage)  # validates the stage name
    if mat_id and not cat.hs6_for(mat_id, stage):
        raise UsageError(f"material '{mat_id}' has no HS6 code{' at stage ' + stage if stage else ''} in the trade data")
    trade = trade_sql(wh, source)
    select(wh, econ, code_rows(cat, mat_id, stage, hs6), years or wh.trade_years(table_of(source)))
    return flows_sql(trade)


def _names(econ) -> str:
    return ",".join(e.id for e in econ)


def to_frame(rows):
    """:class:`~critmin.tabletext.Rows` as a pandas DataFrame, float columns as floats (missing = NaN)."""
    df = rows.to_pandas()
    for c in df.columns:
        if c in FLOAT_COLUMNS:
            df[c] = df[c].astype("float64")
    return df


def dependency_rows(importer, material: str | None = None, stage: str | None = None, hs6: list[str] | None = None,
                    years=None, basis: Basis = "value", by: str | None = None, warehouse=None,
                    source: str = "baci"):
    """:func:`dependency` as :class:`~critmin.tabletext.Rows` (the CLI's hot path: no pandas, no Ibis)."""
    from critmin.indicators.imports import concentration_sql, unit_value_sql
    from critmin.indicators.provenance import add_provenance
    from critmin.indicators.trends import trends_sql
    from critmin.tabletext import Rows
    from critmin.warehouse.handle import using

    if basis not in BASES:
        raise UsageError(f"basis '{basis}': expected value or qty")
    by = by or ("stage" if stage else "material")
    if by not in ("material", "stage", "hs6"):
        raise UsageError(f"by '{by}': expected material, stage or hs6")
    econ = economies(importer)
    yrs = parse_years(years)
    # the year before each asked year comes along, so year-on-year changes are computed before the filter
    wide = sorted(set(yrs) | {y - 1 for y in yrs}) if yrs else None
    with using(warehouse) as wh:
        flows = _select(wh, econ, material, stage, hs6, wide, source)
        keys = ["importer", "material_id", *([by] if by != "material" else []), "year"]
        k = ", ".join(keys)
        on = " AND ".join(f"c.{x} = u.{x}" for x in keys)
        # the flows once, as a common table both aggregates read (inlined twice they are joined twice)
        f = "SELECT * FROM f"
        conc = (f"SELECT c.*, u.unit_value_usd_per_kg FROM ({concentration_sql(f, keys, basis)}) AS c "
                f"JOIN ({unit_value_sql(f, keys)}) AS u ON {on}")
        cols = ", ".join([*keys, "total_imports", "n_suppliers", "top1_supplier",
                          "top1_share", "top3_share", "hhi", "china_share", "unit_value_usd_per_kg", "yoy_imports",
                          "yoy_unit_value", "top1_share_change_pp", "china_share_change_pp"])
        where = f"WHERE year IN ({', '.join(str(int(y)) for y in yrs)})" if yrs else ""
        columns, rows = wh.rows(f"WITH f AS ({flows}) "
                                f"SELECT {cols} FROM ({trends_sql(conc, keys[:-1])}) AS d {where} ORDER BY {k}")
        if not rows:
            raise EmptyResult(f"no imports found for {_names(econ)} / {material or hs6} / years {years or 'all'}")
        at = len(keys)  # the basis, after the year
        rows = [(*r[:at], basis, *r[at:]) for r in rows]
        return add_provenance(Rows.typed([*columns[:at], "basis", *columns[at:]], rows), wh, (table_of(source),))


def dependency(importer, material: str | None = None, stage: str | None = None, hs6: list[str] | None = None,
               years=None, basis: Basis = "value", by: str | None = None, warehouse=None, source: str = "baci"):
    """Concentration and dependency table, with year-on-year trends (a pandas DataFrame).

    ``source``: ``baci`` (the reconciled ``trade`` table) or ``comtrade`` (the user's Comtrade extracts,
    reporter side; :mod:`critmin.indicators.trade_source`).

    ``importer``: ISO3 codes, groups or country names (comma-separated or a list; see
    :func:`critmin.catalog.economies.resolve`). ``by``: 'material' (default), 'stage' (one row per stage), or
    'hs6' (one row per code). Columns: importer, material_id, [stage | hs6], year, basis, total_imports (kusd or
    t), n_suppliers, top1_supplier, top1_share, top3_share, hhi, china_share, unit_value_usd_per_kg, trends
    yoy_imports, yoy_unit_value, top1_share_change_pp, china_share_change_pp, and provenance_ids.
    """
    return to_frame(dependency_rows(importer, material, stage, hs6, years, basis, by, warehouse, source))


def suppliers_rows(importer, material: str | None = None, stage: str | None = None, hs6: list[str] | None = None,
                   years=None, basis: Basis = "value", warehouse=None, source: str = "baci", top: int | None = None):
    """:func:`suppliers` as :class:`~critmin.tabletext.Rows`; ``top``: only the largest N per year."""
    from critmin.indicators.imports import supplier_sql
    from critmin.indicators.provenance import add_provenance
    from critmin.tabletext import Rows
    from critmin.warehouse.handle import using

    econ = economies(importer)
    with using(warehouse) as wh:
        flows = _select(wh, econ, material, stage, hs6, parse_years(years), source)
        keys = ["importer", "material_id", *(["stage"] if stage else []), "year"]
        amount = "imports_kusd" if basis == "value" else "imports_t"
        cols = ", ".join([*keys, "exporter AS supplier", f"amount AS {amount}", "share", "rank"])
        limit = f"WHERE rank < {int(top)}" if top is not None else ""
        columns, rows = wh.rows(f"SELECT {cols} FROM ({supplier_sql(flows, keys, basis)}) AS s {limit} "
                                f"ORDER BY {', '.join(keys)}, rank")
        return add_provenance(Rows.typed(columns, rows), wh, (table_of(source),))


def suppliers(importer, material: str | None = None, stage: str | None = None, hs6: list[str] | None = None,
              years=None, basis: Basis = "value", warehouse=None, source: str = "baci"):
    """Supplier shares: one row per importer × material × year × supplier, largest first (rank 0), with the
    year's provenance ids (``source`` as in :func:`dependency`)."""
    return to_frame(suppliers_rows(importer, material, stage, hs6, years, basis, warehouse, source))


def write_all_importers(path, basis: Basis = "value", warehouse=None) -> None:
    """The full grid of :func:`all_importers` written to Parquet by the engine itself, never through Python: a
    file from DuckDB, a folder of parts from Spark (on a cluster, written by the executors). At full BACI size
    the grid has tens of millions of rows, more than a driver should hold."""
    from critmin.indicators.imports import concentration_sql
    from critmin.warehouse.handle import using

    sql = concentration_sql("SELECT * FROM trade", ["importer", "hs6", "year"], basis)
    with using(warehouse) as wh:
        if getattr(wh, "engine", None) == "spark":
            res = wh.sql(sql)
            try:
                res.frame.write.mode("overwrite").parquet(str(path))
            finally:
                res.close()
        else:
            wh.con.sql(sql).write_parquet(str(path))  # the path as an argument, never as SQL text


def all_importers(basis: Basis = "value", warehouse=None):
    """Every country importer × HS6 × year of the trade table (the benchmark's full grid), as Arrow."""
    from critmin.indicators.imports import concentration_sql
    from critmin.warehouse.handle import using

    sql = concentration_sql("SELECT * FROM trade", ["importer", "hs6", "year"], basis)
    with using(warehouse) as wh:
        if getattr(wh, "engine", None) == "spark":
            import pyarrow as pa

            return pa.Table.from_pandas(wh.sql(sql).df(), preserve_index=False)
        return wh.con.sql(sql).to_arrow_table()
