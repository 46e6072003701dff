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
                build_if_missing: bool = True) -> MonitorResult:
    """Run the monitoring job; returns where the files went and the alerts table.

    Writes ``report.html`` (offline, bilingual headings), ``alerts.json`` and ``alerts.csv`` into ``out`` (each
    atomically), and with ``save`` stores the alerts in the warehouse tables ``monitor_runs`` /
    ``monitor_alerts`` (what ``critmin incident open --alert ID`` reads).
    """
    import critmin
    from critmin.atomic import write_text
    from critmin.csvsafe import csv_safe
    from critmin.i18n import current_lang, t
    from critmin.monitor.compute import compute
    from critmin.monitor.report import render_html
    from critmin.monitor.store import save_run as _save
    from critmin.settings import warehouse_path

    t0 = time.perf_counter()
    lang = current_lang(lang)
    path = warehouse_path(warehouse)
    built = False
    timings: dict[str, float] = {}
    if not path.exists():
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
        built = True
        timings["build_s"] = time.perf_counter() - t0
    out_dir = Path(out)
    with _steps(progress, lang) as step:
        data = compute(importers=importers, materials=materials, years=years, as_of=as_of, warehouse=str(path),
                       feed=feed, rules=rules, step=step)
        timings.update(data.timings)
        step("report")
        tr = time.perf_counter()
        html = render_html(data, lang)
        table = data.alerts_table
        records = alerts_records(table)
        write_text(out_dir / "report.html", html)
        write_text(out_dir / "alerts.json", json.dumps(records, ensure_ascii=False, indent=1))
        write_text(out_dir / "alerts.csv", csv_safe(table).to_csv(index=False))
        timings["report_s"] = time.perf_counter() - tr
        step("save")
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        run_id = f"mon-{now:%Y%m%dT%H%M%S}-{secrets.token_hex(2)}"
        save_error = None
        if save:
            ts = time.perf_counter()
            try:
                run = {
                    "run_id": run_id, "created_at": now, "as_of": data.as_of, "importers": ",".join(data.importers),
                    "materials": ",".join(data.materials), "years": f"{min(data.years)}-{max(data.years)}",
                    "n_alerts": len(table), "vintage": data.vintage, "out_dir": str(out_dir.resolve()),
                    "seconds": time.perf_counter() - t0, "critmin_version": critmin.__version__,
                }
                _save(run, table, data.alerts, str(path))
            except Exception as exc:  # noqa: BLE001 - the files are written; report why the alerts were not stored
                if "lock" not in str(exc).lower():
                    raise
                save_error = f"alerts not stored in {path}: the warehouse is locked by another process ({exc})"
            timings["save_s"] = time.perf_counter() - ts
    timings["total_s"] = time.perf_counter() - t0
    counts = {lv: int((table["level"] == lv).sum()) for lv in ("red", "orange", "yellow", "blue")}
    return MonitorResult(run_id=run_id, out_dir=out_dir, html=out_dir / "report.html",
                         alerts_json=out_dir / "alerts.json", alerts_csv=out_dir / "alerts.csv", alerts=table,
                         counts=counts, built_warehouse=built, saved=save and save_error is None,
                         save_error=save_error, timings=timings, data=data)
