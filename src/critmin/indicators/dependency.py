"""Dependency of an importer (country or group) on its suppliers, per material / stage / HS6 and year.

Thin orchestration over :mod:`critmin.indicators.imports` (the maths) and :mod:`.trends`: names resolve through
:mod:`critmin.catalog.economies`, the Ibis expressions run on the warehouse handle, results come back as pandas
DataFrames carrying their provenance ids (:mod:`.provenance`).
"""

from __future__ import annotations

from critmin.errors import EmptyResult, UsageError
from critmin.indicators.imports import (
    BASES,
    Basis,
    concentration,
    economies,
    economy_flows,
    supplier_shares,
    with_material,
)
from critmin.indicators.trade_source import table_of
from critmin.indicators.years import parse_years


def _selection(wh, econ, material, stage, hs6, years, source: str = "baci"):
    """Flows into the economies for the material / stage / HS6 selection and years (Ibis table), from BACI or
    the user's Comtrade extracts (:mod:`.trade_source`)."""
    from ibis import _

    from critmin.catalog import load_catalog
    from critmin.indicators.trade_source import trade_table

    cat = load_catalog()
    mat_id = cat.material(material).id if material else None
    if stage is not None:
        cat.hs6_for(mat_id or "rare_earths", stage)  # validates the stage name
    if mat_id and not cat.hs6_for(mat_id, stage):
        raise UsageError(f"material '{mat_id}' has no HS6 code{' at stage ' + stage if stage else ''} in the trade data")
    trade = trade_table(wh, source)
    yrs = parse_years(years)
    if yrs:
        trade = trade.filter(_.year.isin(yrs))
    flows = economy_flows(trade, econ, yrs or wh.trade_years())
    members = cat.expand(mat_id) if mat_id and cat.materials[mat_id].members else None
    return with_material(flows, wh.ibis.table("material_hs6"), mat_id, stage, hs6, members)


def _names(econ) -> str:
    return ",".join(e.id for e in econ)


def dependency(importer, material: str | None = None, stage: str | None = None, hs6: list[str] | None = None,
               years=None, basis: Basis = "value", by: str | None = None, warehouse=None, source: str = "baci"):
    """Concentration and dependency table, with year-on-year trends.

    ``source``: ``baci`` (the reconciled ``trade`` table) or ``comtrade`` (the user's Comtrade extracts,
    reporter side; :mod:`critmin.indicators.trade_source`).

    ``importer``: ISO3 codes, groups or country names (comma-separated or a list; see
    :func:`critmin.catalog.economies.resolve`). ``by``: 'material' (default), 'stage' (one row per stage), or
    'hs6' (one row per code). Columns: importer, material_id, [stage | hs6], year, basis, total_imports (kusd or
    t), n_suppliers, top1_supplier, top1_share, top3_share, hhi, china_share, unit_value_usd_per_kg, trends
    yoy_imports, yoy_unit_value, top1_share_change_pp, china_share_change_pp, and provenance_ids.
    """
    from critmin.indicators.provenance import add_provenance
    from critmin.indicators.trends import add_trends
    from critmin.warehouse.handle import using

    if basis not in BASES:
        raise UsageError(f"basis '{basis}': expected value or qty")
    by = by or ("stage" if stage else "material")
    if by not in ("material", "stage", "hs6"):
        raise UsageError(f"by '{by}': expected material, stage or hs6")
    econ = economies(importer)
    yrs = parse_years(years)
    # the year before each asked year comes along, so year-on-year changes are computed before the filter
    wide = sorted(set(yrs) | {y - 1 for y in yrs}) if yrs else None
    with using(warehouse) as wh:
        flows = _selection(wh, econ, material, stage, hs6, wide, source)
        keys = ["importer", "material_id", *([by] if by != "material" else []), "year"]
        conc = concentration(flows, keys, basis)
        uv = unit_values(flows, keys)
        df = conc.join(uv, keys).to_pandas()
        df.insert(len(keys), "basis", basis)
        df = add_trends(df, [k for k in keys if k != "year"])
        if yrs:
            df = df[df["year"].isin(yrs)].reset_index(drop=True)
        if df.empty:
            raise EmptyResult(f"no imports found for {_names(econ)} / {material or hs6} / years {years or 'all'}")
        return add_provenance(df, wh, (table_of(source),))


def unit_values(flows, keys: list[str]):
    """Unit value in USD/kg (= thousand USD per tonne) over flows that report a quantity."""
    from ibis import _

    q = flows.filter(_.qty_t.notnull() & (_.qty_t > 0))
    return q.group_by(keys).aggregate(unit_value_usd_per_kg=_.value_kusd.sum() / _.qty_t.sum())


def suppliers(importer, material: str | None = None, stage: str | None = None, hs6: list[str] | None = None,
              years=None, basis: Basis = "value", warehouse=None, source: str = "baci"):
    """Supplier shares: one row per importer × material × year × supplier, largest first (rank 0), with the
    year's provenance ids (``source`` as in :func:`dependency`)."""
    from critmin.indicators.provenance import add_provenance
    from critmin.warehouse.handle import using

    econ = economies(importer)
    with using(warehouse) as wh:
        flows = _selection(wh, econ, material, stage, hs6, years, source)
        keys = ["importer", "material_id", *(["stage"] if stage else []), "year"]
        df = supplier_shares(flows, keys, basis).to_pandas()
        df = df.rename(columns={"exporter": "supplier", "amount": "imports_kusd" if basis == "value" else "imports_t"})
        return add_provenance(df.sort_values([*keys, "rank"]).reset_index(drop=True), wh, (table_of(source),))


def all_importers(basis: Basis = "value", warehouse=None, con=None):
    """Every country importer × HS6 × year of the trade table (the benchmark's full grid), as Arrow. ``con``: an
    Ibis backend to run on (e.g. Spark) instead of the warehouse handle's."""
    from critmin.warehouse.handle import using

    if con is not None:
        return concentration(con.table("trade"), ["importer", "hs6", "year"], basis).to_pyarrow()
    with using(warehouse) as wh:
        return concentration(wh.ibis.table("trade"), ["importer", "hs6", "year"], basis).to_pyarrow()
