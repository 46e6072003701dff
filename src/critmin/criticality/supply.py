"""The warehouse side of supply risk: governance-weighted concentration of global supply and of an economy's
sourcing, and its import reliance, for every material × year × economy in one DuckDB query.

* global supply (GS): World Mining Data production (``production.qty_t``) by country, shares S_i per material-year;
* sourcing of economy e: its members' own production (by member) plus its imports by exporter (BACI ``trade``,
  tonnes, the material's HS6 codes at every stage; for a group only flows from outside the group), shares of the
  sum;
* IR = (I − E)/(P + I − E) bounded to [0, 1] (:func:`critmin.criticality.method.import_reliance`);
* ``window`` years (default 1): quantities summed over the years ending with the target year, as the
  Commission's five-year averages;
* HHI_WGI = Σ S_i² · WGI_i with WGI_i the supplier's governance score scaled 0–10
  (:func:`critmin.criticality.method.scale_wgi`; the warehouse holds the WGI *political stability* dimension).

Members of groups come from :func:`critmin.catalog.economies.membership_frame` (a user group needs no rebuild).
"""

from __future__ import annotations

WGI_INDICATOR = "pv_estimate"

_SQL = """
WITH prod_y AS (
    SELECT m.material_id, p.year AS data_year, p.country, sum(p.qty_t) AS q
    FROM production p JOIN crit_materials m ON p.commodity = m.commodity
    WHERE p.qty_t > 0 AND p.year IN (SELECT data_year FROM crit_years)
    GROUP BY ALL),
prod AS (
    SELECT material_id, w.year, country, sum(q) AS q
    FROM prod_y JOIN crit_years w USING (data_year) GROUP BY ALL),
gs AS (
    SELECT material_id, year, country, q / sum(q) OVER (PARTITION BY material_id, year) AS s FROM prod),
gs_hhi AS (
    SELECT material_id, year,
           sum(s * s * coalesce(w.wgi, $missing)) AS hhi_wgi_gs,
           coalesce(sum(s) FILTER (WHERE w.wgi IS NULL), 0) AS gs_share_without_wgi,
           arg_max(country, s) AS top_producer, max(s) AS top_producer_share, count(*) AS n_producers
    FROM gs LEFT JOIN crit_wgi w USING (year, country)
    GROUP BY ALL),
tr AS (  -- each flow twice: seen from its importer (inbound) and from its exporter
    SELECT h.material_id, t.year AS data_year, t.importer AS own, t.exporter AS other, t.qty_t AS q, TRUE AS inbound
    FROM trade t JOIN crit_hs h ON t.hs6 = h.hs6
    WHERE t.qty_t > 0 AND t.year IN (SELECT data_year FROM crit_years)
    UNION ALL
    SELECT h.material_id, t.year, t.exporter, t.importer, t.qty_t, FALSE
    FROM trade t JOIN crit_hs h ON t.hs6 = h.hs6
    WHERE t.qty_t > 0 AND t.year IN (SELECT data_year FROM crit_years)),
ext AS (  -- flows between a member of the economy and a non-member (for a country: all its flows)
    SELECT e.economy, tr.material_id, w.year, tr.other, tr.q, tr.inbound
    FROM tr JOIN crit_members e ON tr.own = e.iso3 AND tr.data_year = e.year
    LEFT JOIN crit_members x ON x.economy = e.economy AND x.year = tr.data_year AND x.iso3 = tr.other
    JOIN crit_years w ON w.data_year = tr.data_year
    WHERE x.iso3 IS NULL),
imp AS (SELECT economy, material_id, year, other AS supplier, sum(q) AS q FROM ext WHERE inbound GROUP BY ALL),
exp AS (SELECT economy, material_id, year, sum(q) AS exports_t FROM ext WHERE NOT inbound GROUP BY ALL),
dom AS (
    SELECT e.economy, p.material_id, w.year, p.country AS supplier, sum(p.q) AS q
    FROM prod_y p JOIN crit_members e ON p.country = e.iso3 AND p.data_year = e.year
    JOIN crit_years w ON w.data_year = p.data_year
    GROUP BY ALL),
src AS (
    SELECT *, q / sum(q) OVER (PARTITION BY economy, material_id, year) AS s
    FROM (SELECT * FROM imp UNION ALL SELECT * FROM dom)),
src_hhi AS (
    SELECT economy, material_id, src.year, sum(s * s * coalesce(w.wgi, $missing)) AS hhi_wgi_sourcing
    FROM src LEFT JOIN crit_wgi w ON w.year = src.year AND w.country = src.supplier
    GROUP BY ALL),
imp_tot AS (
    SELECT economy, material_id, year, sum(q) AS imports_t, arg_max(supplier, q) AS top_import_source,
           max(q) / sum(q) AS top_import_source_share
    FROM imp GROUP BY ALL),
dom_tot AS (SELECT economy, material_id, year, sum(q) AS production_t FROM dom GROUP BY ALL),
econ AS (SELECT DISTINCT economy FROM crit_members)
SELECT econ.economy, g.material_id, g.year, g.hhi_wgi_gs, s.hhi_wgi_sourcing,
       coalesce(d.production_t, 0) AS production_t, coalesce(i.imports_t, 0) AS imports_t,
       coalesce(x.exports_t, 0) AS exports_t, i.top_import_source, i.top_import_source_share,
       g.top_producer, g.top_producer_share, g.n_producers, g.gs_share_without_wgi
FROM gs_hhi g CROSS JOIN econ
LEFT JOIN src_hhi s ON s.economy = econ.economy AND s.material_id = g.material_id AND s.year = g.year
LEFT JOIN imp_tot i ON i.economy = econ.economy AND i.material_id = g.material_id AND i.year = g.year
LEFT JOIN exp x ON x.economy = econ.economy AND x.material_id = g.material_id AND x.year = g.year
LEFT JOIN dom_tot d ON d.economy = econ.economy AND d.material_id = g.material_id AND d.year = g.year
ORDER BY 1, 2, 3
"""


def window_years(years: list[int], window: int, have: list[int]) -> list[tuple[int, int]]:
    """(data_year, year) pairs: each target year draws on the ``window`` years ending with it that have data
    (the Commission averages its inputs over five years; ``window=1`` is the year alone)."""
    return [(d, y) for y in years for d in range(y - window + 1, y + 1) if d in have]


def wgi_frame(wh, overrides: dict[str, float] | None = None, pairs: list[tuple[int, int]] | None = None):
    """(year, country, wgi): the warehouse's WGI estimates scaled 0–10 (averaged over a target year's window
    when ``pairs`` maps data years to target years), with scenario ``overrides`` (ISO3 → scaled score, every
    year) applied."""
    import pandas as pd

    from critmin.criticality.method import scale_wgi

    g = wh.sql(f"SELECT year, country, value FROM governance WHERE indicator = '{WGI_INDICATOR}'").df()
    g["wgi"] = scale_wgi(g["value"])
    g = g.drop(columns="value")
    if pairs is not None:
        w = pd.DataFrame(pairs, columns=["data_year", "target"])
        g = (g.merge(w, left_on="year", right_on="data_year").groupby(["target", "country"], as_index=False)["wgi"]
             .mean().rename(columns={"target": "year"}))
    for iso, value in (overrides or {}).items():
        years = sorted(set(g["year"]))
        g = pd.concat([g[g["country"] != iso],
                       pd.DataFrame({"year": years, "country": iso, "wgi": float(value)})], ignore_index=True)
    return g


def supply_frame(wh, economies: list, materials: list, years: list[int], *, wgi_overrides=None,
                 wgi_missing: float = 5.0, window: int = 1, have: list[int] | None = None):
    """One row per economy × material × year that has world production: HHI_WGI of global supply and of the
    economy's sourcing, its production, imports and exports (t), top producer and top import source. With
    ``window`` > 1 a year's quantities are summed over the ``window`` years ending with it (shares of the sum,
    i.e. a volume-weighted average) and the governance scores averaged over the same years; ``have``: the years
    with production data."""
    import pandas as pd

    from critmin.catalog.economies import membership_frame

    pairs = window_years(years, window, have if have is not None else years)
    data_years = sorted({d for d, _ in pairs})
    members = membership_frame(economies, data_years).rename(columns={"group_id": "economy"})
    countries = [e for e in economies if not e.is_group]
    members = pd.concat([members, pd.DataFrame([(e.id, y, e.id) for e in countries for y in data_years],
                                               columns=["economy", "year", "iso3"])], ignore_index=True)
    views = {
        "crit_members": members.astype({"year": "int32"}),
        "crit_materials": pd.DataFrame([(m.id, m.wmd_commodity) for m in materials if m.wmd_commodity],
                                       columns=["material_id", "commodity"]),
        "crit_hs": pd.DataFrame([(m.id, h) for m in materials for h in m.hs6()], columns=["material_id", "hs6"]),
        "crit_wgi": wgi_frame(wh, wgi_overrides, pairs if window > 1 else None).astype({"year": "int32"}),
        "crit_years": pd.DataFrame(pairs, columns=["data_year", "year"]).astype("int32"),
    }
    for name, frame in views.items():
        wh.con.register(name, frame)
    try:
        return wh.con.execute(_SQL, {"missing": float(wgi_missing)}).df()
    finally:
        for name in views:
            wh.con.unregister(name)
