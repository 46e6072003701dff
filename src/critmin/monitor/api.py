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
    situations: pd.DataFrame | None = None
    situations_json: Path | None = None
    situations_csv: Path | None = None
    changes: pd.DataFrame | None = None  # against the previous stored run (empty on the first run)
    previous_run: str = ""


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
                build_if_missing: bool = True, priority=None, engine: str | None = None,
                lake=None) -> MonitorResult:
    """Run the monitoring job; returns where the files went and the alerts table.

    Writes ``report.html`` (offline, bilingual headings), ``alerts.json`` and ``alerts.csv`` into ``out`` (each
    atomically), and with ``save`` stores the alerts in the warehouse tables ``monitor_runs`` /
    ``monitor_alerts`` (what ``critmin incident open --alert ID`` reads).

    Situations (``situations.json`` / ``situations.csv``, docs/monitor.md) are ranked by the policy in
    ``priority`` (a YAML path; the bundled ``monitor/data/priority.yaml`` when None) and compared with the
    latest stored run.

    ``warehouse``: an open :class:`~critmin.warehouse.handle.Warehouse` (writable to save), or a path / None —
    then the warehouse is built there if missing and ONE handle is opened for the whole job (writable when
    saving, so the writer lock is held from the first read to the stored alerts).
    ``engine='spark'`` computes on Spark over the Parquet lake (``lake``, see :func:`critmin.indicators.engine.
    lake_path`); the alerts are still stored in the warehouse, where incidents read them.
    """
    from critmin.i18n import current_lang
    from critmin.monitor.compute import resolve_importers
    from critmin.monitor.priority import load_policy
    from critmin.warehouse.handle import Warehouse

    t0 = time.perf_counter()
    lang = current_lang(lang)
    policy = load_policy(priority)  # a bad policy file is refused before any work
    economies = [e.id for e in resolve_importers(importers)] if importers != "all" else "all"
    job = (Path(out), lang, economies, years, as_of, materials, feed, rules, progress, policy)
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


def _run(wh, out_dir: Path, lang, importers, years, as_of, materials, feed, rules, progress: bool, policy,
         save: bool, save_error, built: bool, timings: dict[str, float], t0: float, compute_on=None) -> MonitorResult:
    import critmin
    from critmin.atomic import write_text
    from critmin.csvsafe import csv_safe
    from critmin.html import write_asset
    from critmin.monitor.compute import compute, resolve_importers
    from critmin.monitor.report import render_html
    from critmin.monitor.situations import build_situations, diff
    from critmin.monitor.store import load_situations, run_scope, save_run

    if importers == "all":
        importers = all_economies(wh)
    with _steps(progress, lang) as step:
        data = compute(importers=importers, materials=materials, years=years, as_of=as_of,
                       warehouse=compute_on or wh, feed=feed, rules=rules, step=step,
                       changepoint_floor_kusd=policy.levels.floor_kusd)
        timings.update(data.timings)
        ts = time.perf_counter()
        prev_id, prev = load_situations(wh)
        previous = dict(zip(prev["situation_id"], prev["level"], strict=True)) if prev_id else None
        pscope = run_scope(wh, prev_id) if prev_id else (set(), set())
        situations, flagged = build_situations(data, resolve_importers(data.importers), wh, policy, previous,
                                               pscope)
        common = (pscope[0] & set(data.importers), pscope[1] & set(data.materials))
        changes = diff(situations, prev, common) if prev_id else diff(situations.iloc[0:0], situations.iloc[0:0])
        timings["situations_s"] = time.perf_counter() - ts
        step("report")
        tr = time.perf_counter()
        html = render_html(data, lang, situations=situations, policy=policy, changes=changes, previous_run=prev_id,
                           flagged=flagged, warehouse=wh)
        table = data.alerts_table
        records = alerts_records(table)
        write_text(out_dir / "report.html", html)
        write_asset(out_dir)  # plotly.js once per report folder
        write_text(out_dir / "alerts.json", json_lines(records))
        write_text(out_dir / "alerts.csv", csv_safe(table).to_csv(index=False))
        write_text(out_dir / "situations.json", json_lines(situations_document(situations, data, policy, prev_id,
                                                                              changes)))
        # utf-8 with a byte-order mark: Excel then reads the Chinese reasons correctly
        write_text(out_dir / "situations.csv", "\ufeff" + csv_safe(situations.drop(columns=["detail"]))
                   .to_csv(index=False))
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
            save_run(run, table, data.alerts, wh, situations)
            timings["save_s"] = time.perf_counter() - ts
    timings["total_s"] = time.perf_counter() - t0
    counts = {lv: int((table["level"] == lv).sum()) for lv in ("red", "orange", "yellow", "blue")}
    return MonitorResult(run_id=run_id, out_dir=out_dir, html=out_dir / "report.html",
                         alerts_json=out_dir / "alerts.json", alerts_csv=out_dir / "alerts.csv", alerts=table,
                         counts=counts, built_warehouse=built, saved=save, save_error=save_error, timings=timings,
                         data=data, situations=situations, situations_json=out_dir / "situations.json",
                         situations_csv=out_dir / "situations.csv", changes=changes, previous_run=prev_id)


def json_lines(doc) -> str:
    """JSON with one record per line: a list of records, or a mapping whose list values are record lists.
    Each record goes through the C encoder (``indent`` would switch the whole file to the pure-Python one, seconds
    on a global run); the file stays readable and diffable line by line."""
    def one(x) -> str:
        return json.dumps(x, ensure_ascii=False)

    def records(xs: list) -> str:
        return "[\n" + ",\n".join(one(x) for x in xs) + "\n]" if xs else "[]"

    if isinstance(doc, list):
        return records(doc) + "\n"
    parts = [f"{one(k)}: {records(v) if isinstance(v, list) and v and isinstance(v[0], dict) else one(v)}"
             for k, v in doc.items()]
    return "{\n" + ",\n".join(parts) + "\n}\n"


def all_economies(wh) -> list[str]:
    """Every country that imports in the latest trade year and that the catalog knows (``--importer all``)."""
    from critmin.catalog.economies import resolve
    from critmin.errors import UsageError

    year = wh.trade_years()[-1]
    codes = [c for (c,) in wh.sql("select distinct importer from trade where year = ? order by 1", [year]).fetchall()]
    out = []
    for c in codes:
        try:
            out.extend(e.id for e in resolve(c, what="importer") if not e.is_group)
        except UsageError:  # BACI's aggregate codes (e.g. S19) are no economy
            continue
    return sorted(set(out))


def situations_document(situations: pd.DataFrame, data: MonitorData, policy, previous_run: str,
                        changes: pd.DataFrame) -> dict[str, Any]:
    """situations.json: the run's frame (as-of, data year, policy and its assumptions) and one record per card."""
    from critmin.monitor.priority import assumptions
    from critmin.monitor.situations import level_counts

    recs = []
    for r in situations.to_dict(orient="records"):
        r = {k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
        r["detail"] = json.loads(r["detail"]) if r.get("detail") else {}
        r["hs6"] = [h for h in (r["hs6"] or "").split(",") if h]
        r["measures"] = [m for m in (r["measures"] or "").split(";") if m]
        recs.append(r)
    return {"as_of": data.as_of.isoformat(), "data_year": int(situations["data_year"].max()) if len(situations)
            else None, "importers": data.importers, "policy": policy.path, "assumptions": assumptions(policy),
            "levels": level_counts(situations), "previous_run": previous_run,
            "changes": changes.to_dict(orient="records"), "situations": recs}
