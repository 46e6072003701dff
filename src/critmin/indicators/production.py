"""Production side (World Mining Data): producer shares and concentration per commodity × year, and import
reliance where production is known.

* producer share   s_k = P_k / Σ_k P_k (P in the commodity's own unit; world = sum of country rows)
* hhi              10 000 · Σ_k s_k²;   top1 / top3 as for imports
* import reliance  (I − E) / (P + I − E) for an economy: I, E its imports and exports of the material's HS6
  codes (tonnes, BACI; for a group, extra-group flows), P its production (World Mining Data, tonnes; kg
  converted; commodities in other units — Mio m3, carats — are not computed). A net exporter (I < E) is
  stated as such in ``reliance_status``, as USGS marks net exporters "E" rather than a percentage: its ratio
  is negative while apparent consumption P + I − E is positive, and not a number (NaN) when it is zero or
  negative (exports of gross product weight above production in content; a ratio there would read as a
  reliance above 100 %). The bases differ in form (e.g. rare earths: production in REO content, trade in gross product weight), so the
  figure is indicative; see docs/indicators.md.
"""

from __future__ import annotations

from critmin.indicators.years import parse_years


def production_concentration(commodity: str | None = None, years=None, warehouse=None):
    """Per WMD commodity × year: world total, top-1 producer and share, top-3 share, HHI, n producers,
    China's share, and the year's production provenance ids."""
    from critmin.catalog import load_catalog
    from critmin.indicators.dependency import to_frame
    from critmin.indicators.imports import concentration_sql
    from critmin.indicators.provenance import add_provenance
    from critmin.tabletext import Rows
    from critmin.warehouse.handle import using

    where, params = ["TRUE"], []
    if commodity:
        m = load_catalog().material(commodity)
        where.append("commodity = ?")
        params.append(m.wmd_commodity or commodity)
    yrs = parse_years(years)
    if yrs:
        where.append(f"year IN ({', '.join(str(int(y)) for y in yrs)})")
    # production rows reuse the import-side maths: "exporter" = producer, "importer" = the world
    flows = (f"SELECT year, commodity, unit, country AS exporter, qty AS value_kusd, qty AS qty_t FROM production "
             f"WHERE {' AND '.join(where)}")
    sql = f"""SELECT commodity, unit, year, total_imports AS world_production, n_suppliers AS n_producers,
                     top1_supplier AS top1_producer, top1_share, top3_share, hhi, china_share
              FROM ({concentration_sql(flows, ['commodity', 'unit', 'year'], 'value')}) AS c
              ORDER BY commodity, year, unit"""
    with using(warehouse) as wh:
        df = to_frame(Rows(*wh.rows(sql, params)))
        df["world_production"] = df["world_production"].astype("float64")
        return add_provenance(df, wh, ("production",))


RELIANCE_SQL = """
WITH t AS (SELECT t.year, t.exporter, t.importer, t.qty_t FROM trade AS t JOIN sel_codes AS c ON t.hs6 = c.hs6
           WHERE t.qty_t IS NOT NULL AND t.year >= coalesce(c.first_year, 0) AND t.year <= coalesce(c.last_year, 9999)),
{sides},
p AS (SELECT e.importer AS entity, p.year, sum(p.qty_t) AS production_t, count(*) AS n_rows
      FROM production AS p JOIN sel_economy AS e ON e.iso3 = p.country AND e.year = p.year
      WHERE p.commodity = ? GROUP BY e.importer, p.year),
k AS (SELECT entity, year FROM imp UNION SELECT entity, year FROM exp UNION SELECT entity, year FROM p)
SELECT k.entity, k.year, p.production_t, p.n_rows, coalesce(imp.imports_t, 0) AS imports_t,
       coalesce(exp.exports_t, 0) AS exports_t
FROM k LEFT JOIN imp ON imp.entity = k.entity AND imp.year = k.year
       LEFT JOIN exp ON exp.entity = k.entity AND exp.year = k.year
       LEFT JOIN p ON p.entity = k.entity AND p.year = k.year
ORDER BY k.entity, k.year"""


def _side(name: str, inside: str, outside: str, column: str) -> str:
    """Extra-group flows whose ``inside`` party is a member of the entity that year and ``outside`` party is
    not (a country is its own single member), summed per entity and year."""
    return f"""{name} AS (SELECT e.importer AS entity, t.year, sum(t.qty_t) AS {column}
      FROM t JOIN sel_economy AS e ON e.iso3 = t.{inside} AND e.year = t.year
      LEFT JOIN sel_economy AS x ON x.importer = e.importer AND x.year = t.year AND x.iso3 = t.{outside}
      WHERE x.iso3 IS NULL GROUP BY e.importer, t.year)"""


def import_reliance(entity, material: str, years=None, warehouse=None):
    """Net import reliance of countries or groups (ISO3 codes, groups or names) for a material, per year
    (tonnes basis), with the year's trade and production provenance ids. One statement for every economy at
    once (:data:`RELIANCE_SQL`, the selection as in :mod:`critmin.indicators.imports`), so trade is scanned
    once per direction whatever the number of economies."""
    import pandas as pd

    from critmin.catalog import load_catalog
    from critmin.errors import UsageError
    from critmin.indicators.imports import code_rows, economies, select
    from critmin.indicators.provenance import add_provenance
    from critmin.warehouse.handle import using

    cat = load_catalog()
    mat = cat.material(material)
    if not mat.wmd_commodity:
        raise UsageError(f"{mat.id} has no production series in World Mining Data; import reliance needs one")
    if not cat.hs6_for(mat.id):
        raise UsageError(f"{mat.id} has no HS6 code in the trade data; import reliance needs its trade")
    econ = economies(entity)
    sql = RELIANCE_SQL.format(sides=",\n".join([_side("imp", "importer", "exporter", "imports_t"),
                                                 _side("exp", "exporter", "importer", "exports_t")]))
    with using(warehouse) as wh:
        yrs = parse_years(years)
        select(wh, econ, code_rows(cat, mat.id, None, None), yrs or wh.trade_years())
        columns, rows = wh.rows(sql, [mat.wmd_commodity])
        df = pd.DataFrame(rows, columns=columns)
        for c in ("production_t", "imports_t", "exports_t"):
            df[c] = df[c].astype("float64")
        # tonnes converted once at build time (qty_t); no production row = no production (0), a row whose unit
        # has no tonnes equivalent stays missing
        df["production_t"] = df["production_t"].where(df["n_rows"].notna(), 0.0)
        df["import_reliance"], df["reliance_status"] = reliance_ratio(
            df["production_t"], df["imports_t"], df["exports_t"])
        df["material_id"] = mat.id
        df["wmd_commodity"] = mat.wmd_commodity
        df = df[["entity", "material_id", "wmd_commodity", "year", "production_t", "imports_t", "exports_t",
                 "import_reliance", "reliance_status"]].sort_values(["entity", "year"]).reset_index(drop=True)
        return add_provenance(df, wh, ("trade", "production"))


def reliance_ratio(production, imports, exports):
    """Net import reliance (I − E) / (P + I − E) and a status per row: ``net importer``, ``net exporter``,
    ``no trade`` (I = E), or ``n/a: …`` where the ratio has no meaning; the ratio is NaN in the last case."""
    import numpy as np
    import pandas as pd

    p, i, e = (pd.Series(x, dtype="float64") for x in (production, imports, exports))
    net = i - e
    apparent = p + net
    defined = p.notna() & (apparent > 0)
    ratio = (net / apparent).where(defined)
    status = np.select(
        [p.isna(), net < 0, (net == 0) & defined, ~defined],
        ["n/a: no production figure in tonnes", "net exporter", "no net trade",
         "n/a: apparent consumption P + I − E is not positive"],
        default="net importer")
    status = np.where((net < 0) & ~defined & p.notna(),
                      "net exporter (n/a: exports exceed production + imports)", status)
    return ratio.to_numpy(), status
