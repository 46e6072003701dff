"""Supplier-side questions the incident stages ask, on the same flows as the dependency table (SQL and Ibis,
engine-portable; groups as extra-group flows through :func:`critmin.indicators.imports.flows_sql`).

* flow totals       n rows, Σ v (thousand USD), Σ q (t) of the raw trade rows behind a dependency cell — the
                    importer's (extra-group) imports of the HS6 codes in a year, and those from one supplier
* importers         which economies import the codes (q > 0, extra-group) in a year
* alternatives      suppliers other than the shocked one ranked by
                    score = mean(pct_rank(capacity), pct_rank(PV), pct_rank(ties))
                    capacity = spare production max(P_k − X_k, 0) (World Mining Data production of the latest
                    year ≤ t, tonnes, minus exports X_k of the codes; exports alone when the material has no
                    production series), PV = WGI political stability estimate (latest year ≤ t), ties = the
                    importer's imports from k (thousand USD); no capacity or ties scores 0 on that criterion
"""

from __future__ import annotations


def _flows(wh, econ: list, hs6: list[str], year: int) -> str:
    """Imports of ``hs6`` in ``year`` into the economies (extra-group for groups): the indicators' flows
    statement (:func:`critmin.indicators.imports.flows_sql`), the selection registered on the handle first. The
    raw rows of every code count, in any year (no live-year window)."""
    from critmin.indicators.imports import flows_sql, select

    select(wh, econ, [("", "", str(h), None, None) for h in hs6], [int(year)])
    return flows_sql("trade")


def flow_totals(economy, hs6: list[str], year: int, supplier: str | None = None, warehouse=None) -> dict:
    """``{"n_rows", "value_kusd", "qty_t", "supplier_rows": {...}}`` over the economy's (extra-group) imports of
    ``hs6`` in ``year``; ``supplier_rows`` the same for flows from ``supplier`` ({} without one). A sum over no
    rows is NaN."""
    from critmin.indicators.imports import economies
    from critmin.warehouse.handle import using

    with using(warehouse) as wh:
        f = _flows(wh, economies(economy), hs6, year)
        s = "exporter = ?"
        _, rows = wh.rows(f"""SELECT count(*), sum(value_kusd), sum(qty_t),
                                     coalesce(sum(CASE WHEN {s} THEN 1 ELSE 0 END), 0),
                                     sum(CASE WHEN {s} THEN value_kusd END), sum(CASE WHEN {s} THEN qty_t END)
                              FROM ({f}) AS f""", [supplier or ""] * 3)
    n, v, q, sn, sv, sq = rows[0]
    nan = float("nan")
    out = {"n_rows": int(n), "value_kusd": nan if v is None else v, "qty_t": nan if q is None else q}
    out["supplier_rows"] = ({"n_rows": int(sn), "value_kusd": nan if sv is None else sv,
                             "qty_t": nan if sq is None else sq} if supplier else {})
    return out


def importers_with_imports(candidates, hs6: list[str], year: int, warehouse=None) -> list[str]:
    """The ids of the candidate economies (in the order given) with (extra-group) imports of ``hs6`` in
    ``year`` that report a quantity above zero."""
    from critmin.indicators.imports import economies
    from critmin.warehouse.handle import using

    econ = economies(candidates) if candidates else []
    if not econ:
        return []
    with using(warehouse) as wh:
        _, rows = wh.rows(f"SELECT DISTINCT importer FROM ({_flows(wh, econ, hs6, year)}) AS f WHERE qty_t > 0")
        found = {r[0] for r in rows}
    return [e.id for e in econ if e.id in found]


def _latest(table, year: int, **eq):
    """``table`` (Ibis) restricted to ``eq`` and to its latest year ≤ ``year``, and that year (None if none)."""
    from ibis import _

    for col, v in eq.items():
        table = table.filter(table[col] == v)
    latest = table.filter(_.year <= int(year)).year.max().to_pyarrow().as_py()
    return table.filter(_.year == (latest if latest is not None else -1)), latest


def alternative_suppliers(importer, hs6: list[str], year: int, exclude: set[str], commodity: str | None = None,
                          warehouse=None):
    """Every exporter or producer of the codes outside ``exclude``, ranked by the composite score (module
    docstring), best first. Columns: iso3, exports_t, exports_kusd, production_t, production_year, tie_kusd,
    pv_estimate, governance_year, tie_share, spare_t, capacity_rank, governance_rank, ties_rank, score,
    provenance_ids (the trade, production and governance records of the years used). ``.attrs``: "capacity",
    the capacity column used (spare_t, or exports_t when there is no production series), and "provenance",
    table -> ';'-joined ids."""
    import pandas as pd
    from ibis import _

    from critmin.indicators.imports import economies
    from critmin.indicators.provenance import SEP, by_year
    from critmin.warehouse.handle import using

    with using(warehouse) as wh:
        trade = wh.ibis.table("trade").filter((_.year == int(year)) & _.hs6.isin(list(hs6)))
        exports = trade.group_by(iso3=_.exporter).aggregate(exports_t=_.qty_t.sum(),
                                                             exports_kusd=_.value_kusd.sum()).to_pandas()
        cols, rows = wh.rows(f"SELECT exporter AS iso3, sum(value_kusd) AS tie_kusd "
                             f"FROM ({_flows(wh, economies(importer), hs6, year)}) AS f GROUP BY exporter")
        ties = pd.DataFrame(rows, columns=cols).astype({"iso3": "object", "tie_kusd": "float64"})
        prod, pyear = pd.DataFrame({"iso3": pd.Series(dtype=str), "production_t": pd.Series(dtype=float),
                                    "production_year": pd.Series(dtype=float)}), None
        if commodity:
            p, pyear = _latest(wh.ibis.table("production"), year, commodity=commodity)
            # World Mining Data in tonnes, converted once at build time (qty_t)
            prod = p.group_by(iso3=_.country).aggregate(
                production_t=_.qty_t.sum(),
                production_year=_.year.max()).to_pandas()
        g, gyear = _latest(wh.ibis.table("governance"), year, indicator="pv_estimate")
        gov = g.select(iso3=_.country, pv_estimate=_.value, governance_year=_.year).to_pandas()
        used = [(t, y) for t, y in (("trade", year), ("production", pyear), ("governance", gyear)) if y is not None]
        prov = {t: by_year(wh, (t,)).get(int(y), "") for t, y in used}
    df = exports.merge(prod, on="iso3", how="outer").merge(ties, on="iso3", how="left").merge(gov, on="iso3",
                                                                                              how="left")
    df = df[~df["iso3"].isin(exclude) & ((df["exports_t"].fillna(0) > 0) | (df["production_t"].fillna(0) > 0))]
    df = df.copy()
    df["tie_kusd"] = df["tie_kusd"].fillna(0.0)
    total_tie = float(ties["tie_kusd"].sum()) or 1.0
    df["tie_share"] = df["tie_kusd"] / total_tie
    has_prod = df["production_t"].notna().any()
    df["spare_t"] = (df["production_t"] - df["exports_t"].fillna(0)).clip(lower=0) if has_prod else float("nan")
    capacity = "spare_t" if has_prod else "exports_t"

    def pct_rank(x, positive_only: bool):
        r = x.rank(pct=True, method="max").fillna(0.0)
        return r.where(x.fillna(0) > 0, 0.0) if positive_only else r

    ranks = pd.DataFrame({
        "capacity": pct_rank(df[capacity], True),  # no spare capacity (or unknown) scores 0
        "governance": pct_rank(df["pv_estimate"], False),
        "ties": pct_rank(df["tie_kusd"], True),  # no imports from the country scores 0
    })
    df["capacity_rank"], df["governance_rank"], df["ties_rank"] = (ranks["capacity"], ranks["governance"],
                                                                   ranks["ties"])
    df["score"] = ranks.mean(axis=1)
    df = df.sort_values(["score", capacity], ascending=False, kind="stable").reset_index(drop=True)
    df["provenance_ids"] = SEP.join(sorted({i for ids in prov.values() for i in ids.split(SEP) if i}))
    df.attrs.update(capacity=capacity, provenance=prov)
    return df
