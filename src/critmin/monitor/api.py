"""``run_monitor``: the main job — build the warehouse if missing, compute, evaluate, write the report and the
alert files, and store the alerts in the warehouse for incidents."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from critmin.monitor.compute import MonitorData


@dataclass
class MonitorResult:
    run_id: str
    out_dir: Path
    html: Path
    alerts_json: Path
    alerts_csv: Path
    alerts: pd.DataFrame
    counts: dict[str, int]
    built_warehouse: bool
    saved: bool
    save_error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    data: MonitorData | None = None


def alerts_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """alerts.json records: lists for the hs6 set, provenance ids and cited events."""
    out = []
    for r in table.to_dict(orient="records"):
        r = {k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
        r["hs6"] = [h for h in (r["hs6"] or "").split(",") if h]
        r["provenance_ids"] = [p for p in (r["provenance_ids"] or "").split(";") if p]
        r["cited_events"] = [e for e in (r["cited_events"] or "").split(";") if e]
        r["year"] = int(r["period"][:4]) if str(r["period"])[:4].isdigit() else None
        out.append(r)
    return out


@contextmanager
def _steps(progress: bool, lang: str):
    """A rich progress bar over the monitor's stages (stderr); a no-op when ``progress`` is False."""
    from critmin.i18n import t

    if not progress:
        yield lambda name: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    names = ["dependency", "crma", "alerts", "report", "save"]
    with Progress(TextColumn("critmin monitor"), BarColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("", total=len(names))
        state = {"n": 0}

        def step(name: str) -> None:
            bar.update(task, completed=state["n"], description=t(f"monitor.cli.step.{name}", lang))
            state["n"] += 1

        yield step
        bar.update(task, completed=len(names))


def run_monitor(out: str | Path = "critmin-report", lang: str = "en", importers=None, years=None, as_of=None,
                warehouse=None, materials=None, feed=None, rules=None, progress: bool = False, save: bool = True,
                build_if_missing: bool = True, engine: str | None = None, lake=None) -> MonitorResult:
    """Run the monitoring job; returns where the files went and the alerts table.

    Writes ``report.html`` (offline, bilingual headings), ``alerts.json`` and ``alerts.csv`` into ``out`` (each
    atomically), and with ``save`` stores the alerts in the warehouse tables ``monitor_runs`` /
    ``monitor_alerts`` (what ``critmin incident open --alert ID`` reads).

    ``warehouse``: an open :class:`~critmin.warehouse.handle.Warehouse` (writable to save), or a path / None —
    then the warehouse is built there if missing and ONE handle is opened for the whole job (writable when
    saving, so the writer lock is held from the first read to the stored alerts).
    ``engine='spark'`` computes on Spark over the Parquet lake (``lake``, see :func:`critmin.indicators.engine.
    lake_path`); the alerts are still stored in the warehouse, where incidents read them.
    """
    from critmin.i18n import current_lang
    from critmin.monitor.compute import resolve_importers
    from critmin.warehouse.handle import Warehouse

    t0 = time.perf_counter()
    lang = current_lang(lang)
    economies = [e.id for e in resolve_importers(importers)]  # a misspelt importer costs no build
    job = (Path(out), lang, economies, years, as_of, materials, feed, rules, progress)
    spark = _spark_handle(engine, warehouse, lake)
    if isinstance(warehouse, Warehouse):
        return _run(warehouse, *job, save, None, False, {}, t0, spark)
    path, built = _built(warehouse, build_if_missing, progress, lang)
    timings = {"build_s": time.perf_counter() - t0} if built else {}
    wh, save_error = _open(path, save)
    with wh:
        return _run(wh, *job, save and save_error is None, save_error, built, timings, t0, spark)


def _spark_handle(engine, warehouse, lake):
    """The Spark handle on the lake when the engine is spark (opened before any build), else None."""
    from critmin.indicators.engine import engine_name, lake_path

    if engine_name(engine) != "spark":
        return None
    from critmin.warehouse.lake import SparkWarehouse

    return SparkWarehouse(lake_path(lake, getattr(warehouse, "path", warehouse)))


def _built(warehouse, build_if_missing: bool, progress: bool, lang: str) -> tuple[Path, bool]:
    """The warehouse path, built first when the file is missing; and whether it was built."""
    import critmin
    from critmin.i18n import t
    from critmin.settings import warehouse_path

    path = warehouse_path(warehouse)
    if path.exists():
        return path, False
    if not build_if_missing:
        from critmin.errors import WarehouseMissing

        raise WarehouseMissing(str(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        from critmin.errors import InputError

        raise InputError(str(path), None, None, "a writable location for the warehouse",
                         exc.strerror or str(exc)) from None
    if progress:
        import sys

        print(t("monitor.cli.building", lang, path=path), file=sys.stderr)
    critmin.build(str(path), progress=progress)
    return path, True


def _open(path: Path, save: bool):
    """The job's one handle: writable when saving. When another writer keeps the file longer than we wait, a
    read-only handle and the reason instead, so the report and alert files are still written and the user is
    told why the alerts were not stored."""
    from critmin.warehouse.handle import Warehouse
    from critmin.warehouse.lock import WarehouseBusy

    if not save:
        return Warehouse.open(path), None
    try:
        return Warehouse.open(path, read_only=False, command="monitor"), None
    except WarehouseBusy as exc:
        return Warehouse.open(path), f"alerts not stored in {path}: the warehouse is locked by another process ({exc})"


def _run(wh, out_dir: Path, lang, importers, years, as_of, materials, feed, rules, progress: bool, save: bool,
         save_error, built: bool, timings: dict[str, float], t0: float, compute_on=None) -> MonitorResult:
    import critmin
    from critmin.atomic import write_text
    from critmin.csvsafe import csv_safe
    from critmin.html import write_asset
    from critmin.monitor.compute import compute
    from critmin.monitor.report import render_html
    from critmin.monitor.store import save_run

    with _steps(progress, lang) as step:
        data = compute(importers=importers, materials=materials, years=years, as_of=as_of, warehouse=compute_on or wh,
                       feed=feed, rules=rules, step=step)
        timings.update(data.timings)
        step("report")
        tr = time.perf_counter()
        html = render_html(data, lang)
        table = data.alerts_table
        records = alerts_records(table)
        write_text(out_dir / "report.html", html)
        write_asset(out_dir)  # plotly.js once per report folder
        write_text(out_dir / "alerts.json", json.dumps(records, ensure_ascii=False, indent=1))
        write_text(out_dir / "alerts.csv", csv_safe(table).to_csv(index=False))
        timings["report_s"] = time.perf_counter() - tr
        step("save")
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        run_id = f"mon-{now:%Y%m%dT%H%M%S}-{secrets.token_hex(2)}"
        if save:
            ts = time.perf_counter()
            run = {
                "run_id": run_id, "created_at": now, "as_of": data.as_of, "importers": ",".join(data.importers),
                "materials": ",".join(data.materials), "years": f"{min(data.years)}-{max(data.years)}",
                "n_alerts": len(table), "vintage": data.vintage, "out_dir": str(out_dir.resolve()),
                "seconds": time.perf_counter() - t0, "critmin_version": critmin.__version__,
            }
            save_run(run, table, data.alerts, wh)
            timings["save_s"] = time.perf_counter() - ts
    timings["total_s"] = time.perf_counter() - t0
    counts = {lv: int((table["level"] == lv).sum()) for lv in ("red", "orange", "yellow", "blue")}
    return MonitorResult(run_id=run_id, out_dir=out_dir, html=out_dir / "report.html",
                         alerts_json=out_dir / "alerts.json", alerts_csv=out_dir / "alerts.csv", alerts=table,
                         counts=counts, built_warehouse=built, saved=save, save_error=save_error, timings=timings,
                         data=data)
