"""Where indicator expressions run: an Ibis backend over the warehouse (DuckDB by default, PySpark optional).

Indicator maths is written once as Ibis expressions (see :mod:`critmin.indicators.imports`); this module
only hands out tables. Ibis compiles the same expression to DuckDB SQL or Spark SQL.
"""

from __future__ import annotations

from pathlib import Path

from critmin.errors import WarehouseMissing
from critmin.settings import warehouse_path


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
    """An Ibis PySpark backend (local[2] unless a session is given). Needs the ``spark`` extra and Java 17."""
    import os

    import ibis

    from critmin.extras import require

    require("spark", "the Spark engine")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    if session is None:
        from pyspark.sql import SparkSession

        session = (SparkSession.builder.master("local[2]").appName("critmin")
                   .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
                   .config("spark.driver.memory", "1g").getOrCreate())
    return ibis.pyspark.connect(session)
