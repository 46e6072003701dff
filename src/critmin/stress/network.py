"""From a scenario to arrays: resolve names with the catalog, read the baseline flows and production from
the warehouse, merge reported groups into single importer nodes and compute spare capacity.

Rules (docs/stress.md §Rules):

* Flows are the BACI bilateral quantities (``qty_t``) of the baseline year summed over the scenario's HS6
  codes. Rows without a quantity get one from their value at the median unit value of the same HS6 and year;
  the share imputed is reported.
* A reported group (e.g. EU27) is one importer node: its members' imports from outside the group are summed
  and flows between members are dropped (they are internal to the node).
* Spare capacity of a supplier outside the shocked set = max(0, production − exports) when the material has
  a World Mining Data production series within two years of the baseline (WMD unit, usually tonnes of
  content such as REO), else — a stated assumption — its baseline exports of the same HS6 codes; the
  scenario's ``spare_share_of_headroom`` or ``spare_share_of_exports`` says which share can be mobilised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from critmin.errors import InputError, UsageError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from critmin.stress.scenario import Scenario


@dataclass
class Resolved:
    """The scenario's names resolved by the catalog."""

    material: str
    material_name_en: str
    material_name_zh: str
    wmd_commodity: str | None
    hs6: list[str]
    supplier: str
    supplier_members: list[str]
    targets_mode: str
    target_members: set[str]
    report: list[str] | None  # reported node names (None = top 10 by exposure)
    groups: dict[str, list[str]] = field(default_factory=dict)  # node name -> member ISO3 (merged nodes)


def _country_or_group(cat, code: str, year: int, file: str, fld: str) -> list[str]:
    code = str(code).strip()
    if not (cat.is_group(code) or cat.is_group(code.upper()) or cat.is_country(code.upper())):
        raise InputError(file, None, fld, "an ISO3 country code or a group known to the catalog "
                         f"({', '.join(sorted(cat.groups))})", code)
    try:
        return cat.members(code, year)
    except UsageError as exc:
        raise InputError(file, None, fld, str(exc), code) from None


def resolve(sc: Scenario, cat=None) -> Resolved:
    """Check every name in the scenario against the catalog; InputError names the file and field."""
    if cat is None:
        from critmin.catalog import load_catalog

        cat = load_catalog()
    file = sc.source_file or "<scenario>"
    year = sc.baseline.year
    try:
        mat = cat.material(sc.shock.material)
    except UsageError:
        raise InputError(file, None, "shock.material", "a material id or name known to the catalog "
                         f"(e.g. {', '.join(sorted(cat.materials)[:6])}, …)", sc.shock.material) from None
    if sc.shock.hs6:
        hs6 = [str(h).zfill(6) for h in sc.shock.hs6]
        bad = [h for h in hs6 if h not in mat.hs6()]
        if bad:
            raise InputError(file, None, "shock.hs6", f"HS6 codes of {mat.id} ({', '.join(mat.hs6())})", bad)
    else:
        try:
            hs6 = cat.hs6_for(mat.id, sc.shock.stage)
        except UsageError as exc:
            raise InputError(file, None, "shock.stage", str(exc).split("; expected ", 1)[-1], sc.shock.stage) from None
        if not hs6:
            stages = sorted({h.stage for h in mat.hs})
            raise InputError(file, None, "shock.stage", f"a stage with HS6 codes for {mat.id} ({', '.join(stages)})",
                             sc.shock.stage)
    supplier = sc.shock.supplier.strip()
    sup_members = _country_or_group(cat, supplier, year, file, "shock.supplier")
    tmembers: set[str] = set()
    for k, c in enumerate(sc.shock.targets.countries):
        tmembers |= set(_country_or_group(cat, c, year, file, f"shock.targets.countries.{k}"))
    groups: dict[str, list[str]] = {}
    report = None
    if sc.importers is not None:
        report = []
        for k, c in enumerate(sc.importers):
            members = _country_or_group(cat, c, year, file, f"importers.{k}")
            name = c.strip() if cat.is_group(c.strip()) else c.strip().upper()
            if cat.is_group(name):
                groups[name] = members
            report.append(name)
    for iso in sc.parameters.stock_days_by_importer:
        _country_or_group(cat, iso, year, file, f"parameters.stock_days_by_importer.{iso}")
    # a merged node must be wholly targeted or wholly exempt
    for name, members in groups.items():
        hit = {m for m in members if _targeted(m, sc.shock.targets.mode, tmembers)}
        if hit and len(hit) != len(members):
            raise InputError(file, None, "importers", f"group {name} wholly inside or outside the targets "
                             "(list its members separately to report a partly exempted group)", name)
    return Resolved(mat.id, mat.name_en, mat.name_zh, mat.wmd_commodity, hs6, supplier, sup_members,
                    sc.shock.targets.mode, tmembers, report, groups)


def _targeted(iso: str, mode: str, members: set[str]) -> bool:
    if mode == "all":
        return True
    if mode == "only":
        return iso in members
    return iso not in members


def read_trade(wh, hs6: list[str], year: int) -> pd.DataFrame:
    """Baseline bilateral flows (exporter, importer, qty_t) with quantities imputed where missing."""
    codes = ", ".join(f"'{h}'" for h in hs6)
    df = wh.sql(
        f"""
        with t as (select exporter, importer, hs6, value_kusd, qty_t from trade
                   where year = {int(year)} and hs6 in ({codes})),
             uv as (select hs6, median(value_kusd / qty_t) as uv from t where qty_t > 0 group by hs6)
        select t.exporter, t.importer, t.hs6, t.value_kusd,
               coalesce(nullif(t.qty_t, 0), t.value_kusd / uv.uv) as qty_t,
               (t.qty_t is null or t.qty_t = 0) as imputed
        from t left join uv using (hs6)
        """
    ).df()
    return df


def read_production(wh, commodity: str | None, year: int) -> tuple[pd.DataFrame | None, int | None, str | None]:
    """WMD production by country for the year nearest to ``year`` (within 2 years), its year and unit."""
    if not commodity:
        return None, None, None
    c = commodity.replace("'", "''")
    years = wh.sql(f"select distinct year from production where commodity = '{c}' and qty is not null").df()
    if years.empty:
        return None, None, None
    ys = years["year"].astype(int).to_numpy()
    best = int(ys[np.argmin(np.abs(ys - year))])
    if abs(best - year) > 2:
        return None, None, None
    df = wh.sql(f"select country, qty, unit from production where commodity = '{c}' and year = {best}").df()
    unit = df["unit"].dropna().iloc[0] if df["unit"].notna().any() else None
    return df, best, unit


@dataclass
class Baseline:
    """The arrays the engine needs plus what the user should be told about them."""

    exporters: list[str]
    importers: list[str]
    annual: np.ndarray  # (E, I) tonnes per year
    spare_annual: np.ndarray  # (E,) tonnes per year before the mobilisation share
    supplier: np.ndarray
    target: np.ndarray
    spare_source: str
    spare_param: str  # which scenario parameter scales the spare capacity
    notes: list[str]
    node_members: dict[str, list[str]]
    monthly: np.ndarray | None = None  # (12, E, I) if a monthly feed was given
    provenance_ids: list[str] = field(default_factory=list)


def build_baseline(res: Resolved, trade: pd.DataFrame, production: pd.DataFrame | None = None,
                   production_year: int | None = None, production_unit: str | None = None,
                   year: int | None = None) -> Baseline:
    """Arrays from tidy frames (``trade``: exporter, importer, qty_t[, imputed]; ``production``: country, qty)."""
    import pandas as pd

    notes: list[str] = []
    tr = trade[["exporter", "importer", "qty_t"]].copy()
    tr = tr[tr["qty_t"].notna() & (tr["qty_t"] > 0)]
    if "imputed" in trade:
        total = trade["qty_t"].sum()
        imp = trade.loc[trade["imputed"].astype(bool), "qty_t"].sum()
        if total > 0 and imp > 0:
            notes.append(f"{imp / total:.1%} of baseline tonnes imputed from value at the median unit value")
    if tr.empty:
        raise UsageError(f"no trade in HS6 {', '.join(res.hs6)} in {year}: nothing to stress")
    node_of: dict[str, str] = {}
    for name, members in res.groups.items():
        for m in members:
            node_of[m] = name
    tr["node"] = tr["importer"].map(lambda c: node_of.get(c, c))
    # drop flows internal to a merged node
    internal = tr["exporter"].map(node_of).fillna("\0") == tr["node"]
    if internal.any():
        notes.append(f"{tr.loc[internal, 'qty_t'].sum():,.0f} t of flows inside merged groups dropped")
    tr = tr[~internal]
    producers: list[str] = []
    if production is not None and not production.empty:
        producers = sorted(set(production.loc[production["qty"] > 0, "country"]) - set(res.supplier_members))
    exporters = sorted(set(tr["exporter"]) | set(producers))
    importers = sorted(set(tr["node"]))
    ei = {e: k for k, e in enumerate(exporters)}
    ii = {i: k for k, i in enumerate(importers)}
    annual = np.zeros((len(exporters), len(importers)))
    g = tr.groupby(["exporter", "node"], sort=False)["qty_t"].sum()
    rows = np.array([ei[e] for e, _ in g.index], dtype=int)
    cols = np.array([ii[i] for _, i in g.index], dtype=int)
    np.add.at(annual, (rows, cols), g.to_numpy())
    supplier = np.array([e in set(res.supplier_members) for e in exporters])
    if not supplier.any() or annual[supplier].sum() <= 0:
        raise UsageError(f"{res.supplier} exported no {res.material} ({', '.join(res.hs6)}) in {year}")
    members_of = {i: res.groups.get(i, [i]) for i in importers}
    target = np.array([all(_targeted(m, res.targets_mode, res.target_members) for m in members_of[i])
                       for i in importers])
    exports = annual.sum(axis=1)
    if production is not None and not production.empty:
        prod = production.groupby("country")["qty"].sum()
        p = np.array([float(prod.get(e, 0.0)) for e in exporters])
        spare = np.maximum(0.0, p - exports)
        spare_source = (f"World Mining Data {production_year} production ({production_unit or 'unit as published'}) "
                        "minus baseline exports, suppliers outside the shocked set")
        if production_year != year:
            notes.append(f"production of {production_year} used for baseline {year} (nearest WMD year)")
        spare_param = "spare_share_of_headroom"
    else:
        spare = exports.copy()
        spare_source = ("assumption: no production series for this material and year; spare capacity is a share "
                        "(spare_share_of_exports) of each other supplier's baseline exports")
        spare_param = "spare_share_of_exports"
    spare = np.where(supplier, 0.0, spare)
    _ = pd  # pandas used above via frames
    return Baseline(exporters, importers, annual, spare, supplier, target, spare_source, spare_param, notes,
                    members_of)


def read_monthly_feed(path: str, base: Baseline, file_field: str = "baseline.monthly_feed") -> np.ndarray:
    """(12, E, I) monthly flows from a CSV (month, exporter, importer, qty_t); nodes merged like the baseline."""
    import io

    import pandas as pd

    from critmin.readtext import read_text

    text = read_text(path, f"a readable CSV file ({file_field})")
    try:
        df = pd.read_csv(io.StringIO(text), dtype={"exporter": str, "importer": str})
    except ValueError as exc:  # pandas' parser errors
        raise InputError(path, None, file_field, "a CSV file with columns month, exporter, importer, qty_t",
                         str(exc).splitlines()[0]) from None
    need = {"month", "exporter", "importer", "qty_t"}
    if not need <= set(df.columns):
        raise InputError(path, None, ", ".join(sorted(need - set(df.columns))), "columns month, exporter, importer, qty_t")
    bad = df[~df["month"].between(1, 12)]
    if len(bad):
        raise InputError(path, int(bad.index[0]) + 2, "month", "an integer 1–12", bad["month"].iloc[0])
    node_of = {m: n for n, ms in base.node_members.items() for m in ms}
    df["node"] = df["importer"].map(lambda c: node_of.get(c, c))
    ei = {e: k for k, e in enumerate(base.exporters)}
    ii = {i: k for k, i in enumerate(base.importers)}
    df = df[df["exporter"].isin(ei) & df["node"].isin(ii)]
    out = np.zeros((12, len(base.exporters), len(base.importers)))
    np.add.at(out, (df["month"].to_numpy(int) - 1, df["exporter"].map(ei).to_numpy(int),
                    df["node"].map(ii).to_numpy(int)), df["qty_t"].to_numpy(float))
    return out
