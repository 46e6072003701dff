"""Where indicator expressions run: DuckDB on the warehouse file (the default) or Spark on its Parquet lake.

Indicator maths is written once: SQL statements in DuckDB's dialect (:mod:`critmin.indicators.imports`,
GeoPolRisk; Spark runs them transpiled by SQLGlot) and Ibis expressions (import reliance, the incident stages'
supplier questions); this module only chooses the handle they run on.
:func:`open_engine` gives a :class:`~critmin.warehouse.handle.Warehouse` for ``duckdb`` and a
:class:`~critmin.warehouse.lake.SparkWarehouse` for ``spark``; both answer the same questions (``ibis``,
``trade_years``, ``provenance_by_year``, ``sql``), so the indicator functions take either as ``warehouse``.
"""

from __future__ import annotations

from pathlib import Path

from critmin.errors import UsageError, WarehouseMissing
from critmin.settings import warehouse_path

ENGINES = ("duckdb", "spark")


def engine_name(explicit: str | None = None) -> str:
    """``--engine``, else ``CRITMIN_ENGINE``, else duckdb; anything else is refused naming the choices."""
    from critmin.settings import get

    name = str(get("engine", explicit)).strip().lower()
    if name not in ENGINES:
        raise UsageError(f"engine '{name}': expected one of {', '.join(ENGINES)}")
    return name


def lake_path(explicit=None, warehouse=None) -> Path:
    """The lake for ``--engine spark``: ``--lake``, else ``CRITMIN_LAKE``, else the warehouse path with the
    suffix ``.lake`` (``critmin export`` writes there by default)."""
    from critmin.settings import get

    lake = get("lake", None if explicit is None else str(explicit))
    return Path(lake).expanduser() if lake else warehouse_path(warehouse).with_suffix(".lake")


def open_engine(engine: str | None = None, warehouse=None, lake=None, read_only: bool = True):
    """An open handle on the chosen engine (close it, or use it as a context manager)."""
    from critmin.warehouse.handle import Warehouse

    if engine_name(engine) == "duckdb":
        return Warehouse.open(warehouse, read_only=read_only)
    from critmin.warehouse.lake import SparkWarehouse

    return SparkWarehouse(lake_path(lake, warehouse))


def duckdb_backend(path=None):
    """An Ibis DuckDB backend on the warehouse file, read-only (opened through the writer protocol's
    :func:`critmin.warehouse.lock.connect`, so it waits while a writer has the file instead of failing)."""
    import ibis

    from critmin.warehouse.lock import connect

    p = warehouse_path(path)
    if not Path(p).exists():
        raise WarehouseMissing(str(p))
    return ibis.duckdb.from_connection(connect(Path(p), read_only=True))


def spark_backend(session=None):
    """An Ibis PySpark backend on ``session``, else on :func:`critmin.warehouse.lake.spark_session` (master and
    driver memory from the settings). Needs the ``spark`` extra and Java 17."""
    import ibis

    from critmin.extras import require

    require("spark", "the Spark engine")
    from critmin.warehouse.lake import spark_session

    return ibis.pyspark.connect(session if session is not None else spark_session())
