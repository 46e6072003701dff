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


def import_reliance(entity, material: str, years=None, warehouse=None):
    """Net import reliance of countries or groups (ISO3 codes, groups or names) for a material, per year
    (tonnes basis), with the year's trade and production provenance ids."""
    import ibis
    import pandas as pd
    from ibis import _

    from critmin.catalog import load_catalog
    from critmin.errors import UsageError
    from critmin.indicators.imports import economies
    from critmin.indicators.provenance import add_provenance
    from critmin.warehouse.handle import using

    cat = load_catalog()
    mat = cat.material(material)
    if not mat.wmd_commodity:
        raise UsageError(f"{mat.id} has no production series in World Mining Data; import reliance needs one")
    codes = cat.hs6_for(mat.id)
    if not codes:
        raise UsageError(f"{mat.id} has no HS6 code in the trade data; import reliance needs its trade")
    econ = economies(entity)
    with using(warehouse) as wh:
        yrs = parse_years(years)
        trade = wh.ibis.table("trade").filter(_.hs6.isin(codes) & _.qty_t.notnull())
        for h in (h for m in cat.expand(mat.id) for h in cat.materials[m].hs if h.first_year or h.last_year):
            trade = trade.filter((_.hs6 != h.hs6) | _.year.between(h.first_year or 0, h.last_year or 9999))
        prod = wh.ibis.table("production").filter(_.commodity == mat.wmd_commodity)
        if yrs:
            trade, prod = trade.filter(_.year.isin(yrs)), prod.filter(_.year.isin(yrs))
        # every economy at once: (entity, year, member) rows, countries as their own single member, so trade is
        # scanned once per direction whatever the number of economies (a loop per economy scanned it 3 × N times)
        ys = yrs or wh.trade_years()
        ent = ibis.memtable(pd.DataFrame([(e.id, y, m) for e in econ for y in ys
                                          for m in (e.members(y) if e.is_group else [e.id])],
                                         columns=["entity", "m_year", "iso3"]).astype({"m_year": "int32"}),
                            schema={"entity": "string", "m_year": "int32", "iso3": "string"})
        imp = _group_flow(trade, ent, "importer", "exporter").select("entity", "year", imports_t=_.qty_t,
                                                                       exports_t=ibis.literal(0.0))
        exp = _group_flow(trade, ent, "exporter", "importer").select("entity", "year", imports_t=ibis.literal(0.0),
                                                                       exports_t=_.qty_t)
        flows = imp.union(exp).group_by(["entity", "year"]).aggregate(imports_t=_.imports_t.sum(),
                                                                       exports_t=_.exports_t.sum())
        # tonnes converted once at build time (qty_t); a unit without a tonnes equivalent stays missing
        p = prod.join(ent, [prod.country == ent.iso3, prod.year == ent.m_year])
        pr = p.group_by(["entity", "year"]).aggregate(production_t=_.qty_t.sum(), _rows=_.count()).to_pandas()
        df = flows.to_pandas().merge(pr, on=["entity", "year"], how="outer").fillna(
            {"imports_t": 0.0, "exports_t": 0.0})
        df["production_t"] = df["production_t"].where(df["_rows"].notna(), 0.0)  # no row = no production
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


def _group_flow(trade, members, inside: str, outside: str):
    """Flows whose ``inside`` party is a member of an entity and ``outside`` party is not (extra-group flows),
    tagged with the entity; ``members``: (entity, m_year, iso3)."""
    j = trade.join(members, [trade[inside] == members.iso3, trade.year == members.m_year]).drop("iso3", "m_year")
    m2 = members.select(x_entity=members.entity, x_iso3=members.iso3, x_year=members.m_year)
    return j.anti_join(m2, [j.entity == m2.x_entity, j[outside] == m2.x_iso3, j.year == m2.x_year])
