"""The Python API for notebooks and scripts: one call per question, each returning a :class:`Result`.

``critmin.dependency(...)``, ``critmin.crma(...)``, ``critmin.geopolrisk(...)``, ``critmin.reliance(...)``,
``critmin.monitor(...)`` and ``critmin.stress(...)`` are these functions (see docs/python.md). They are the same
functions the CLI calls, so a number in a notebook is the number on the terminal. A result keeps its rows
and the provenance records behind them; it converts to pandas, polars or Arrow without touching the warehouse
again.

Every function takes ``warehouse``: an open handle (``critmin.open()``), a path, or None for the default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import polars as pl
    import pyarrow as pa


@dataclass(frozen=True)
class Result:
    """Rows of one indicator call, with the call that made them and the provenance records they rest on.

    ``detail`` holds the domain object when there is one (the monitor's files and counts, the stress test's
    monthly paths and downstream tables).
    """

    name: str
    frame: pd.DataFrame
    params: dict[str, Any]
    provenance: pd.DataFrame
    detail: Any = field(default=None, repr=False)

    def to_pandas(self) -> pd.DataFrame:
        """The rows as a pandas DataFrame (a copy: changing it leaves the result alone)."""
        return self.frame.copy()

    def to_arrow(self) -> pa.Table:
        import pyarrow as pa

        return pa.Table.from_pandas(self.frame, preserve_index=False)

    def to_polars(self) -> pl.DataFrame:
        """The rows as a polars DataFrame (needs the ``polars`` extra)."""
        from critmin.extras import require

        require("polars", "Result.to_polars()")
        import polars as pl

        return pl.from_arrow(self.to_arrow())

    def __len__(self) -> int:
        return len(self.frame)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items() if v is not None)
        return f"<critmin.Result {self.name}({args}): {len(self.frame)} rows × {self.frame.shape[1]} columns>"

    def _repr_html_(self) -> str:  # notebooks show the table
        return f"<p>{self.__repr__()[1:-1]}</p>" + self.frame.head(50).to_html(index=False)


def _provenance(frame: pd.DataFrame, wh) -> pd.DataFrame:
    """The provenance records named in ``frame['provenance_ids']`` (all of them when the column is absent)."""
    from critmin.indicators.provenance import split

    records = wh.provenance()
    if "provenance_ids" not in frame.columns:
        return records
    ids = {i for cell in frame["provenance_ids"].unique() for i in split(cell)}
    return records[records["provenance_id"].isin(ids)].reset_index(drop=True)


def _result(name: str, params: dict, run, warehouse, detail=None) -> Result:
    from critmin.warehouse.handle import using

    with using(warehouse) as wh:
        frame = run(wh)
        return Result(name, frame, params, _provenance(frame, wh), detail)


def dependency(importer, material: str | None = None, *, stage: str | None = None, hs6: list[str] | None = None,
               years=None, basis: str = "value", by: str | None = None, warehouse=None) -> Result:
    """Supplier concentration and dependency per year (HHI, top-1/top-3 and China shares, year-on-year changes).

    ``importer``: ISO3 codes, groups (EU27, G7, MSP, user groups) or country names in English or Chinese.
    Shares are fractions 0–1. See :func:`critmin.indicators.dependency.dependency` for the columns.
    """
    from critmin.indicators.dependency import dependency as run

    params = dict(importer=importer, material=material, stage=stage, hs6=hs6, years=years, basis=basis, by=by)
    return _result("dependency", params, lambda wh: run(importer, material, stage, hs6, years, basis, by, wh),
                   warehouse)


def suppliers(importer, material: str | None = None, *, stage: str | None = None, years=None,
              basis: str = "value", warehouse=None) -> Result:
    """Each supplier's share of the importer's imports per year; ``rank`` 1 is the largest."""
    from critmin.indicators.dependency import suppliers as run

    def go(wh):
        df = run(importer, material, stage, None, years, basis, wh)
        return df.assign(rank=df["rank"] + 1)

    return _result("suppliers", dict(importer=importer, material=material, stage=stage, years=years, basis=basis),
                   go, warehouse)


def crma(importer="EU27", years=None, *, cap: float | None = None, materials: list[str] | None = None,
         all_rows: bool = False, warehouse=None) -> Result:
    """Material × stage × year rows where one third country supplies more than ``cap`` (CRMA Art. 5(1)(b));
    every row with ``all_rows=True``. ``cap`` None: the catalog's ``crma_single_country_cap`` benchmark."""
    from critmin.indicators.crma import crma_check, default_cap

    cap = default_cap() if cap is None else cap

    params = dict(importer=importer, years=years, cap=cap, materials=materials, all_rows=all_rows)
    return _result("crma", params,
                   lambda wh: crma_check(importer, years, cap, materials, wh, only_breaches=not all_rows), warehouse)


def geopolrisk(importers, materials: list[str] | None = None, years="2018-2024", *, corrected: bool = False,
               detail: bool = False, warehouse=None) -> Result:
    """GeoPolRisk score, characterisation factor, HHI, import risk and price per economy × material × year
    (geopolrisk-py 2.0.1 parity; ``corrected=True`` fixes its documented quirks)."""
    from critmin.indicators.geopolrisk import geopolrisk as run

    importers = [importers] if isinstance(importers, str) else list(importers)
    materials = [materials] if isinstance(materials, str) else materials
    params = dict(importers=importers, materials=materials, years=years, corrected=corrected)
    return _result("geopolrisk", params,
                   lambda wh: run(importers, materials, years, warehouse=wh, gpr_compat=not corrected, detail=detail),
                   warehouse)


def reliance(importer, material: str, years=None, *, warehouse=None) -> Result:
    """Net import reliance (I − E) / (P + I − E) per year, with production from World Mining Data."""
    from critmin.indicators.production import import_reliance

    return _result("reliance", dict(importer=importer, material=material, years=years),
                   lambda wh: import_reliance(importer, material, years, wh), warehouse)


def production(material: str | None = None, years=None, *, warehouse=None) -> Result:
    """Producer concentration per commodity and year (World Mining Data)."""
    from critmin.indicators.production import production_concentration

    return _result("production", dict(material=material, years=years),
                   lambda wh: production_concentration(material, years, wh), warehouse)


def monitor(out="critmin-report", *, lang: str = "en", importers=None, years=None, as_of=None, materials=None,
            save: bool = False, warehouse=None) -> Result:
    """Run the monitoring job: rows are the alerts; ``detail`` is the :class:`~critmin.monitor.api.MonitorResult`
    (report.html, alerts.json and alerts.csv written into ``out``). ``save=True`` stores the alerts in the
    warehouse for ``critmin incident open``."""
    from critmin.monitor.api import run_monitor
    from critmin.warehouse.handle import using

    params = dict(out=str(out), lang=lang, importers=importers, years=years, as_of=as_of, materials=materials)
    if save:  # the job opens its own writable handle (it holds the writer lock from first read to stored alerts)
        res = run_monitor(out, lang, importers, years, as_of, warehouse=warehouse, materials=materials, save=True)
        with using(warehouse) as wh:
            return Result("monitor", res.alerts, params, _provenance(res.alerts, wh), res)
    with using(warehouse) as wh:  # one read-only handle for the job and the provenance
        res = run_monitor(out, lang, importers, years, as_of, warehouse=wh, materials=materials, save=False)
        return Result("monitor", res.alerts, params, _provenance(res.alerts, wh), res)


def stress(scenario=None, *, supplier: str | None = None, material: str | None = None, stage: str | None = None,
           cut: float | None = None, months: int | None = None, importers: list[str] | None = None,
           draws: int | None = None, seed: int | None = 0, warehouse=None) -> Result:
    """A stress test: either a ``scenario`` (YAML path, mapping or Scenario) or a quick one from ``supplier``,
    ``material``, ``cut`` (fraction) and ``months``. Rows are the per-importer summary (shortfall bands,
    stock-out month); ``detail`` is the :class:`~critmin.stress.result.StressResult`."""
    from critmin.errors import UsageError
    from critmin.stress.api import run
    from critmin.warehouse.handle import using

    if scenario is None:
        if None in (supplier, material, cut, months):
            raise UsageError("stress(): give a scenario, or supplier, material, cut and months")
        from critmin.stress.quick import quick_scenario

        kw = {"draws": draws} if draws is not None else {}
        scenario = quick_scenario(supplier, material, cut, months, stage=stage, importers=importers, seed=seed, **kw)
    params = dict(scenario=getattr(scenario, "name", scenario), supplier=supplier, material=material, stage=stage,
                  cut=cut, months=months, draws=draws)
    with using(warehouse) as wh:
        res = run(scenario, warehouse=wh, draws=draws)
        frame = res.table().reset_index(drop=True)
        return Result("stress", frame, params, _provenance(frame, wh), res)


__all__ = ["Result", "crma", "dependency", "geopolrisk", "monitor", "production", "reliance", "stress", "suppliers"]
