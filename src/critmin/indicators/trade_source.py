"""Which trade table an indicator reads: BACI's reconciled flows (``trade``) or the user's UN Comtrade
extracts (``trade_comtrade``) as reporter-side data.

BACI reconciles each flow from both declarations (FOB values). Comtrade rows are what one country declared, so
an importer's dependency is read from its own import declarations (flow M, CIF values): the reporter side.
Where an importer declared nothing for a product and year, its partners' export declarations (flow X, FOB)
stand in — the mirror — and each row says which side it came from (``declared_by``). Monthly extracts are
summed to the year. The output has the columns of ``trade`` the indicators read, so every indicator statement
runs on it as is.
"""

from __future__ import annotations

SOURCES = ("baci", "comtrade")


def table_of(source: str) -> str:
    """The warehouse table behind a source (for provenance)."""
    return "trade_comtrade" if source == "comtrade" else "trade"


def trade_sql(wh, source: str = "baci") -> str:
    """The trade relation for ``source`` as SQL text (a table name or a subquery with the ``trade`` columns
    the indicators read: year, exporter, importer, hs6, value_kusd, qty_t, provenance_id)."""
    from critmin.errors import UsageError

    if source not in SOURCES:
        raise UsageError(f"trade source '{source}': expected one of {', '.join(SOURCES)}")
    if source == "baci":
        return "trade"
    if wh.con.execute("SELECT count(*) FROM trade_comtrade").fetchone()[0] == 0:
        raise UsageError("no Comtrade rows in the warehouse: load extracts with `critmin ingest comtrade FILE`")

    def side(which: str) -> str:
        return f"""SELECT year, exporter, importer, hs6, sum(value_kusd) AS value_kusd, sum(qty_t) AS qty_t,
                          min(provenance_id) AS provenance_id
                   FROM trade_comtrade WHERE {which} GROUP BY year, exporter, importer, hs6"""

    return f"""(
        SELECT m.*, 'importer' AS declared_by FROM ({side("flow = 'M'")}) AS m
        UNION ALL
        SELECT x.*, 'exporter (mirror)' AS declared_by FROM ({side("flow = 'X'")}) AS x
        WHERE NOT EXISTS (SELECT 1 FROM trade_comtrade AS r WHERE r.flow = 'M' AND r.year = x.year
                          AND r.importer = x.importer AND r.hs6 = x.hs6))"""
