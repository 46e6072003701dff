"""Mirror statistics: the same flow as the importer declared it, as the exporter declared it, and as BACI
reconciled it.

A flow from e to i in year t and product k appears twice in Comtrade: in i's imports (CIF, flow M) and in e's
exports (FOB, flow X). The two differ by freight and insurance (CIF/FOB, a few per cent) and by errors,
confidentiality and re-exports (often much more); BACI reconciles them into one FOB figure. This table puts them
side by side so a user can see where their own extracts and BACI disagree before choosing a source.
"""

from __future__ import annotations


def mirror(hs6: list[str] | None = None, material: str | None = None, years=None, warehouse=None):
    """One row per (year, exporter, importer, hs6) present in the user's Comtrade extracts: ``import_declared_kusd``
    (M), ``export_declared_kusd`` (X), ``baci_kusd``, and the ratios ``m_over_x`` and ``baci_over_m``."""
    from critmin.catalog import load_catalog
    from critmin.errors import UsageError
    from critmin.indicators.years import parse_years
    from critmin.warehouse.handle import using

    codes = list(hs6 or [])
    if material:
        codes += load_catalog().hs6_for(load_catalog().material(material).id)
    yrs = parse_years(years)
    where, params = ["TRUE"], []
    if codes:
        where.append("hs6 IN (SELECT unnest(?::VARCHAR[]))")
        params.append(codes)
    if yrs:
        where.append("year IN (SELECT unnest(?::INTEGER[]))")
        params.append(list(yrs))
    cond = " AND ".join(where)
    with using(warehouse) as wh:
        df = wh.sql(f"""
            WITH ct AS (
                SELECT year, exporter, importer, hs6,
                       sum(value_kusd) FILTER (WHERE flow = 'M') AS import_declared_kusd,
                       sum(value_kusd) FILTER (WHERE flow = 'X') AS export_declared_kusd
                FROM trade_comtrade WHERE {cond} GROUP BY ALL),
            b AS (SELECT year, exporter, importer, hs6, sum(value_kusd) AS baci_kusd FROM trade
                  WHERE {cond} AND (year, hs6) IN (SELECT year, hs6 FROM ct) GROUP BY ALL)
            SELECT ct.*, b.baci_kusd,
                   import_declared_kusd / nullif(export_declared_kusd, 0) AS m_over_x,
                   b.baci_kusd / nullif(import_declared_kusd, 0) AS baci_over_m
            FROM ct LEFT JOIN b USING (year, exporter, importer, hs6)
            ORDER BY year, hs6, importer, exporter""", params * 2).df()
    if df.empty:
        raise UsageError("no Comtrade rows for this selection: load extracts with `critmin ingest comtrade FILE`")
    return df
