"""Dependency of an importer (country or group) on its suppliers, per material / stage / HS6 and year.

Thin orchestration over :mod:`critmin.indicators.imports` (the maths) and :mod:`.trends`: resolves names
through the catalog, runs the Ibis expressions on the warehouse, returns pandas DataFrames.
"""

from __future__ import annotations

from critmin.errors import UsageError
from critmin.indicators.imports import (
    BASES,
    Basis,
    concentration,
    importer_flows,
    supplier_shares,
    with_material,
)
from critmin.indicators.years import parse_years


def _resolve_importers(spec: str | list[str]) -> tuple[list[str], list[str]]:
    from critmin.catalog import load_catalog

    cat = load_catalog()
    names = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec) if s.strip()]
    countries, groups = [], []
    for n in names:
        if cat.is_group(n) or cat.is_group(n.upper()):
            groups.append(n if cat.is_group(n) else n.upper())
        elif cat.is_country(n.upper()):
            countries.append(n.upper())
        else:
            raise UsageError(f"unknown importer '{n}': expected an ISO3 code or a group ({', '.join(cat.groups)})")
    return countries, groups


def _selection(con, importer, material, stage, hs6, years):
    """Flows into the importer(s) for the material / stage / HS6 selection and years (Ibis table)."""
    from ibis import _

    from critmin.catalog import load_catalog

    cat = load_catalog()
    mat_id = cat.material(material).id if material else None
    if stage is not None:
        cat.hs6_for(mat_id or "rare_earths", stage)  # validates the stage name
    if mat_id and not cat.hs6_for(mat_id, stage):
        raise UsageError(f"material '{mat_id}' has no HS6 code{' at stage ' + stage if stage else ''} in the trade data")
    countries, groups = _resolve_importers(importer)
    trade = con.table("trade")
    yrs = parse_years(years)
    if yrs:
        trade = trade.filter(_.year.isin(yrs))
    flows = importer_flows(trade, con.table("group_members"), countries, groups)
    return with_material(flows, con.table("material_hs6"), mat_id, stage, hs6)


def dependency(importer: str, material: str | None = None, stage: str | None = None, hs6: list[str] | None = None,
               years=None, basis: Basis = "value", by: str | None = None, warehouse=None):
    """Concentration and dependency table, with year-on-year trends.

    ``by``: 'material' (default), 'stage' (one row per stage), or 'hs6' (one row per code).
    Columns: importer, material_id, [stage | hs6], year, basis, total_imports (kusd or t), n_suppliers,
    top1_supplier, top1_share, top3_share, hhi, china_share, unit_value_usd_per_kg, and trends
    yoy_imports, yoy_unit_value, top1_share_change_pp, china_share_change_pp.
    """
    from critmin.indicators.engine import duckdb_backend
    from critmin.indicators.trends import add_trends

    if basis not in BASES:
        raise UsageError(f"basis '{basis}': expected value or qty")
    by = by or ("stage" if stage else "material")
    if by not in ("material", "stage", "hs6"):
        raise UsageError(f"by '{by}': expected material, stage or hs6")
    con = duckdb_backend(warehouse)
    try:
        flows = _selection(con, importer, material, stage, hs6, years)
        keys = ["importer", "material_id", *([by] if by != "material" else []), "year"]
        conc = concentration(flows, keys, basis)
        uv = unit_values(flows, keys)
        df = conc.join(uv, keys).to_pandas()
    finally:
        con.disconnect()
    if df.empty:
        raise UsageError(f"no imports found for {importer} / {material or hs6} / years {years or 'all'}")
    df.insert(len(keys), "basis", basis)
    group_keys = [k for k in keys if k != "year"]
    return add_trends(df, group_keys)


def unit_values(flows, keys: list[str]):
    """Unit value in USD/kg (= thousand USD per tonne) over flows that report a quantity."""
    from ibis import _

    q = flows.filter(_.qty_t.notnull() & (_.qty_t > 0))
    return q.group_by(keys).aggregate(unit_value_usd_per_kg=_.value_kusd.sum() / _.qty_t.sum())


def suppliers(importer: str, material: str | None = None, stage: str | None = None, hs6: list[str] | None = None,
              years=None, basis: Basis = "value", warehouse=None):
    """Supplier shares: one row per importer × material × year × supplier, largest first."""
    from critmin.indicators.engine import duckdb_backend

    con = duckdb_backend(warehouse)
    try:
        flows = _selection(con, importer, material, stage, hs6, years)
        keys = ["importer", "material_id", *(["stage"] if stage else []), "year"]
        df = supplier_shares(flows, keys, basis).to_pandas()
    finally:
        con.disconnect()
    df = df.rename(columns={"exporter": "supplier", "amount": "imports_kusd" if basis == "value" else "imports_t"})
    return df.sort_values([*keys, "rank"]).reset_index(drop=True)


def all_importers(basis: Basis = "value", warehouse=None, con=None):
    """Every country importer × HS6 × year of the trade table (the benchmark's full grid), as an Ibis expr's
    pandas result."""
    from critmin.indicators.engine import duckdb_backend

    own = con is None
    con = con or duckdb_backend(warehouse)
    try:
        return concentration(con.table("trade"), ["importer", "hs6", "year"], basis).to_pyarrow()
    finally:
        if own:
            con.disconnect()
