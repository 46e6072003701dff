"""From a scenario to arrays: resolve names with the catalog, read the baseline flows and production from
the warehouse, merge reported groups into single importer nodes and compute spare capacity.

Rules (docs/stress.md §Rules):

* Flows are the BACI bilateral quantities (``qty_t``) of the baseline year summed over the scenario's HS6
  codes. Rows without a quantity get one from their value at the median unit value of the same HS6 and year;
  the share imputed is reported.
* A reported group (e.g. EU27) is one importer node: its members' imports from outside the group are summed
  and flows between members are dropped (they are internal to the node).
* Spare capacity of a supplier outside the shocked set = max(0, production − exports) when the shock hits the
  ore/concentrate stage (or every stage) and the material has
  a World Mining Data production series within two years of the baseline (WMD unit, usually tonnes of
  content such as REO), else — a stated assumption — its baseline exports of the same HS6 codes; the
  scenario's ``spare_share_of_headroom`` or ``spare_share_of_exports`` says which share can be mobilised.
  Mine output never counts as capacity of a refined stage (a compound or metal shock). Re-export hubs (the
  chain data's hub rule) get no spare capacity.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from critmin.errors import InputError, UsageError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from critmin.catalog.economies import Economy
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


def _economies(spec: str, year: int, file: str, fld: str, catalog) -> list[Economy]:
    """The economies a scenario field names (resolved by the catalog: ISO3 codes, groups, country names; a
    comma-separated list), each existing in ``year``; an InputError names the file and the field."""
    from critmin.catalog.economies import resolve

    try:
        found = resolve(str(spec), catalog)
    except UsageError as exc:
        hint = "; ".join(re.findall(r"did you mean [^)]*\?", str(exc))) or f"groups: {', '.join(sorted(catalog.groups))}"
        raise InputError(file, None, fld, f"ISO3 codes, country names or groups known to the catalog ({hint})",
                         spec) from None
    for e in found:
        if not e.members(year):
            g = catalog.groups[e.id]
            raise InputError(file, None, fld, f"a group that exists in {year} (group {e.id} exists for years "
                             f"{g.valid_from or '…'}–{g.valid_to or '…'})", spec)
    return found


def _members(economies: list[Economy], year: int) -> list[str]:
    return list(dict.fromkeys(m for e in economies for m in e.members(year)))


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
    sup = _economies(sc.shock.supplier, year, file, "shock.supplier", cat)
    supplier, sup_members = ",".join(e.id for e in sup), _members(sup, year)
    tmembers: set[str] = set()
    for k, c in enumerate(sc.shock.targets.countries):
        tmembers |= set(_members(_economies(c, year, file, f"shock.targets.countries.{k}", cat), year))
    groups: dict[str, list[str]] = {}
    report = None
    if sc.importers is not None:
        report = []
        for k, c in enumerate(sc.importers):
            for e in _economies(c, year, file, f"importers.{k}", cat):
                if e.is_group:
                    groups[e.id] = e.members(year)
                report.append(e.id)
        report = list(dict.fromkeys(report))
    for iso in sc.parameters.stock_days_by_importer:
        _economies(iso, year, file, f"parameters.stock_days_by_importer.{iso}", cat)
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
    df = wh.sql(
        f"""
        with t as (select exporter, importer, hs6, value_kusd, qty_t from trade
                   where year = ? and hs6 in ({placeholders(hs6)})),
             uv as (select hs6, median(value_kusd / qty_t) as uv from t where qty_t > 0 group by hs6)
        select t.exporter, t.importer, t.hs6, t.value_kusd,
               coalesce(nullif(t.qty_t, 0), t.value_kusd / uv.uv) as qty_t,
               (t.qty_t is null or t.qty_t = 0) as imputed
        from t left join uv using (hs6)
        """,
        [int(year), *hs6],
    ).df()
    return df


def placeholders(values: list) -> str:
    """``?, ?, …`` for an SQL ``in (…)`` list: the values travel as bound parameters, never as SQL text."""
    return ", ".join("?" * len(values))


def read_production(wh, commodity: str | None, year: int) -> tuple[pd.DataFrame | None, int | None, str | None]:
    """WMD production in tonnes (``qty_t``, converted once at build time, so kg-reported metals match the
    tonnes of trade) by country for the year nearest to ``year`` (within 2 years), its year and unit."""
    if not commodity:
        return None, None, None
    years = wh.sql("select distinct year from production where commodity = ? and qty_t is not null",
                   [commodity]).df()
    if years.empty:
        return None, None, None
    ys = years["year"].astype(int).to_numpy()
    best = int(ys[np.argmin(np.abs(ys - year))])
    if abs(best - year) > 2:
        return None, None, None
    df = wh.sql("""select country, qty_t as qty, 't' as unit from production
                   where commodity = ? and year = ? and qty_t is not null""", [commodity, best]).df()
    return df, best, "t"


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
    # re-export hubs (the chain data's hub rule, one place): no production of the material and imports of the
    # same codes at least `hubs.import_ratio` of their exports; they pass the shocked supplier's goods on and
    # cannot replace them, so they get no spare capacity
    from critmin.stress.chain_data import load_chains

    ratio = load_chains().hubs.import_ratio.bounds()[0]
    imports_of = trade[trade["qty_t"].notna()].groupby("importer")["qty_t"].sum()
    producing = set() if production is None or production.empty else \
        set(production.loc[production["qty"] > 0, "country"])
    hubs = sorted(e for k, e in enumerate(exporters) if not supplier[k] and exports[k] > 0 and e not in producing
                  and float(imports_of.get(e, 0.0)) >= ratio * exports[k])
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
    if hubs:
        spare = np.where(np.isin(np.array(exporters, dtype=object), hubs), 0.0, spare)
        notes.append(f"re-export hubs given no spare capacity (imports ≥ {ratio:g} × exports, no production; "
                     f"ASSUMPTION ratio, chains.yaml hubs): {', '.join(hubs)}")
    _ = pd  # pandas used above via frames
    return Baseline(exporters, importers, annual, spare, supplier, target, spare_source, spare_param, notes,
                    members_of)


MONTHLY_COLUMNS = ("month", "exporter", "importer", "qty_t")
_MONTH = re.compile(r"^(0?[1-9]|1[0-2])$")
_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,15}$")


def parse_monthly_feed(path: str, file_field: str = "baseline.monthly_feed") -> pd.DataFrame:
    """The rows of a monthly feed CSV (month 1–12, exporter, importer, qty_t), every month present.

    Each bad row raises InputError with the file, the line and the field: a month that is not 1–12, a code
    that is not an ISO3/group id, tonnes that are negative, NaN, infinite or not a number, or a row repeating
    another on every column but qty_t (extra columns such as hs6 may split a flow into several rows).
    """
    import csv
    import io

    import pandas as pd

    from critmin.readtext import read_text

    reader = csv.reader(io.StringIO(read_text(path, f"a readable CSV file ({file_field})"), newline=""))
    rows, seen = [], {}
    try:
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in MONTHLY_COLUMNS if c not in header]
        if missing:
            raise InputError(path, 1, missing[0], "a header with columns " + ", ".join(MONTHLY_COLUMNS), header)
        twice = [h for k, h in enumerate(header) if h in header[:k]]
        if twice:
            raise InputError(path, 1, twice[0], "each column once in the header", twice[0])
        pos = {c: header.index(c) for c in MONTHLY_COLUMNS}
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise InputError(path, line, "(row)", f"{len(header)} fields like the header", len(cells))
            month, exp, imp, qty = (cells[pos[c]].strip() for c in MONTHLY_COLUMNS)
            if not _MONTH.match(month):
                raise InputError(path, line, "month", "an integer 1–12", month)
            for fld, code in (("exporter", exp), ("importer", imp)):
                if not _CODE.match(code):
                    raise InputError(path, line, fld, "an ISO3 code or group id in capitals (e.g. CHN, EU27)", code)
            try:
                q = float(qty)
            except ValueError:
                q = float("nan")
            if not (math.isfinite(q) and q >= 0):
                raise InputError(path, line, "qty_t", "a finite number of tonnes >= 0", qty)
            key = tuple(c.strip() for k, c in enumerate(cells) if k != pos["qty_t"])
            if key in seen:
                raise InputError(path, line, "month", f"one row per month, exporter and importer (this one is "
                                 f"already at line {seen[key]})", month)
            seen[key] = line
            rows.append((int(month), exp, imp, q))
    except csv.Error as exc:  # a NUL byte, a field over the csv module's size limit, …
        raise InputError(path, reader.line_num or None, file_field, "a well-formed CSV file", str(exc)) from None
    absent = sorted(set(range(1, 13)) - {r[0] for r in rows})
    if absent:
        raise InputError(path, None, "month", "rows for every month 1–12 (a missing month would be a month "
                         "without trade)", ", ".join(map(str, absent)))
    return pd.DataFrame(rows, columns=list(MONTHLY_COLUMNS))


def monthly_array(df: pd.DataFrame, base: Baseline, path: str) -> np.ndarray:
    """(12, E, I) monthly flows from the feed's rows, importers merged into the baseline's nodes; rows outside
    the baseline network are left out, but a feed with no flow inside it is refused (an all-zero network)."""
    node_of = {m: n for n, ms in base.node_members.items() for m in ms}
    df = df.assign(node=df["importer"].map(lambda c: node_of.get(c, c)))
    ei = {e: k for k, e in enumerate(base.exporters)}
    ii = {i: k for k, i in enumerate(base.importers)}
    known_e = df["exporter"].isin(ei)
    if not known_e.any():
        raise InputError(path, None, "exporter", f"exporters of the baseline (e.g. {', '.join(base.exporters[:5])})",
                         df["exporter"].iloc[0])
    df = df[known_e & df["node"].isin(ii)]
    if df.empty:
        raise InputError(path, None, "importer", f"importers of the baseline (e.g. {', '.join(base.importers[:5])})",
                         "none of them")
    out = np.zeros((12, len(base.exporters), len(base.importers)))
    np.add.at(out, (df["month"].to_numpy(int) - 1, df["exporter"].map(ei).to_numpy(int),
                    df["node"].map(ii).to_numpy(int)), df["qty_t"].to_numpy(float))
    return out


def read_monthly_feed(path: str, base: Baseline, file_field: str = "baseline.monthly_feed") -> np.ndarray:
    """(12, E, I) monthly flows from a CSV (month, exporter, importer, qty_t); nodes merged like the baseline."""
    return monthly_array(parse_monthly_feed(path, file_field), base, path)
