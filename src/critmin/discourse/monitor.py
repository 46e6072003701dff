"""Monitoring: a watched folder of new texts updates the aggregates and raises alerts when an economy's
sentiment or a frame's share shifts beyond a threshold.

``watch_folder(DIR)`` processes, once per call, the supported files in DIR not processed before (by path
and SHA-256). Metadata comes from ``DIR/manifest.yaml|.yml|.csv`` when it lists the file, else from the
file name ``ECON_YYYY-MM-DD_anything.ext`` (date may be YYYY or YYYY-MM). For every economy with new
documents it compares the new documents (mean over documents) with all earlier documents of that economy:

    polarity shift      = mean polarity(new) - mean polarity(baseline)
    frame share shift_k = mean share_k(new) - mean share_k(baseline)

The absolute shifts go, as a series over watch batches, through the early-warning engine
(``critmin.alerts``: levels blue/yellow/orange/red at 1, 1.5, 2, 3 x threshold, hysteresis 25 % of the
threshold). If that engine is not importable, the same levels are computed here without hysteresis.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from critmin.discourse import FRAMES
from critmin.discourse.corpus import SUPPORTED, ManifestRecord, add_documents, read_manifest
from critmin.errors import InputError

LEVEL_FACTORS = (("blue", 1.0), ("yellow", 1.5), ("orange", 2.0), ("red", 3.0))
HYSTERESIS = 0.25
_NAME = re.compile(r"^(?P<econ>[A-Za-z][A-Za-z0-9]{1,5})_(?P<date>\d{4}(?:-\d{2}(?:-\d{2})?)?)(?:_.*)?$")
MANIFEST_NAMES = ("manifest.yaml", "manifest.yml", "manifest.csv")


@dataclass
class WatchResult:
    files: list[str] = field(default_factory=list)
    added: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)
    shifts: object = None       # DataFrame: economy, metric, value, baseline, shift, n_docs, n_baseline_docs
    alerts: object = None       # DataFrame of alert records
    engine: str = ""            # 'critmin.alerts' or 'discourse fallback'


def _record_for(path: Path, listed: dict[str, ManifestRecord]) -> ManifestRecord:
    if path.name in listed:
        return listed[path.name]
    m = _NAME.match(path.stem)
    if not m:
        raise InputError(str(path), field="path", expected="a file named ECON_YYYY-MM-DD_title.ext or listed in the "
                                                           "folder's manifest.yaml", got=path.name)
    return ManifestRecord.model_validate({"path": path.name, "economy": m["econ"], "actor": "watched folder",
                                          "date": m["date"], "genre": "other"})


def _alert_rules(metrics: list[str], kind: str, threshold: float):
    from critmin.alerts.models import Rule

    return Rule.model_validate({
        "id": f"discourse-{kind}-shift", "kind": "threshold", "metric": metrics, "comparison": ">=",
        "title_en": f"Discourse: {kind} shift beyond threshold",
        "title_zh": "话语：情感变化超过阈值" if kind == "sentiment" else "话语：框架占比变化超过阈值",
        "thresholds": {lvl: round(f * threshold, 6) for lvl, f in LEVEL_FACTORS},
        "hysteresis": round(HYSTERESIS * threshold, 6), "source": "feed",
        "rationale_en": "watched-folder monitoring of the critical-minerals discourse",
        "rationale_zh": "关键矿产话语监测（监视文件夹）",
    })


def _levels_fallback(value: float, threshold: float) -> str | None:
    level = None
    for lvl, f in LEVEL_FACTORS:
        if value >= f * threshold:
            level = lvl
    return level


def watch_folder(directory: str | Path, warehouse=None, sentiment_threshold: float = 0.15,
                 share_threshold: float = 0.10, max_bytes: int | None = None) -> WatchResult:
    """Process new files in ``directory`` once; returns what was added and the alerts raised."""
    import pandas as pd

    from critmin.discourse import store
    from critmin.discourse.corpus import MAX_BYTES_DEFAULT
    from critmin.discourse.report import doc_table

    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(str(directory), expected="a folder to watch", got="a file" if directory.exists() else "missing")
    res = WatchResult()
    listed: dict[str, ManifestRecord] = {}
    for name in MANIFEST_NAMES:
        if (directory / name).exists():
            listed.update({Path(r.path).name: r for r in read_manifest(directory / name)})
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    root = directory.resolve()
    con = store.connect(warehouse)
    try:
        seen = {(p, s) for p, s in con.execute(f"select path, sha256 from {store.WATCH}").fetchall()}
        items, watch_rows = [], []
        for path in sorted(directory.iterdir()):
            if not path.is_file() or path.name in MANIFEST_NAMES or path.suffix.lower() not in SUPPORTED:
                continue
            if not path.resolve().is_relative_to(root):  # a symlink must not quote files from elsewhere
                res.errors.append({"file": str(path), "error": str(InputError(
                    str(path), field="path", expected=f"a file inside the watched folder {root}",
                    got="a link to a file outside it"))})
                continue
            sha = hashlib.sha256(path.read_bytes()).hexdigest()
            if (str(path), sha) in seen:
                continue
            res.files.append(str(path))
            try:
                items.append((_record_for(path, listed), path))
                watch_rows.append({"path": str(path), "sha256": sha})
            except (InputError, ValueError) as exc:
                res.errors.append({"file": str(path), "error": str(exc)})
                watch_rows.append({"path": str(path), "sha256": sha, "status": "error", "message": str(exc)})
        added = add_documents(items, manifest=str(directory), max_bytes=max_bytes or MAX_BYTES_DEFAULT, con=con)
        res.added, res.duplicates = added.added, added.duplicates
        res.errors += added.errors
        status = {d["path"]: ("added", d["doc_id"], "") for d in added.added}
        status.update({d["path"]: ("duplicate", d["doc_id"], f"same as {d['duplicate_of']}") for d in added.duplicates})
        status.update({e["file"]: ("error", None, e["error"]) for e in added.errors})
        for w in watch_rows:
            st = status.get(w["path"])
            if st:
                w["status"], w["doc_id"], w["message"] = st
            w["processed_at"] = now
        if watch_rows:
            from critmin.discourse.corpus import insert_frame

            insert_frame(con, store.WATCH, pd.DataFrame(watch_rows))
        res.shifts, res.alerts, res.engine = _shifts_and_alerts(con, added.added, now, sentiment_threshold,
                                                                share_threshold, doc_table)
    finally:
        con.close()
    return res


def _shifts_and_alerts(con, added: list[dict], now, s_thr: float, f_thr: float, doc_table):
    import pandas as pd

    from critmin.discourse import store
    from critmin.discourse.corpus import insert_frame

    empty = pd.DataFrame(columns=["alert_id", "rule", "level", "economy", "metric", "value", "baseline", "shift",
                                  "threshold", "period", "n_docs", "evidence", "raised_at"])
    if not added:
        return pd.DataFrame(), empty, ""
    new_ids = {d["doc_id"] for d in added}
    econs = sorted({d["economy"] for d in added})
    docs = doc_table(con, econs)
    rows = []
    for e in econs:
        d = docs[docs.economy == e]
        new, base = d[d.doc_id.isin(new_ids)], d[~d.doc_id.isin(new_ids)]
        if new.empty or base.empty:
            continue
        period = str(pd.to_datetime(new.date).max().date())
        for metric, col in [("polarity", "polarity"), *[(f"share_{f}", f) for f in FRAMES]]:
            v, b = float(new[col].mean()), float(base[col].mean())
            rows.append({"computed_at": now, "period": period, "economy": e, "metric": metric, "value": v,
                         "baseline": b, "shift": v - b, "n_docs": len(new), "n_baseline_docs": len(base)})
    shifts = pd.DataFrame(rows)
    if shifts.empty:
        return shifts, empty, ""
    insert_frame(con, store.SNAPSHOTS, shifts.copy())
    history = con.execute(f"select * from {store.SNAPSHOTS} where economy in ({', '.join('?' for _ in econs)}) "
                          f"order by computed_at", econs).df()
    history["kind"] = history.metric.map(lambda m: "sentiment" if m == "polarity" else "frame")
    history["series"] = "discourse." + history.metric + "." + history.economy
    history = history.drop_duplicates(["series", "period"], keep="last")
    latest = shifts.assign(series="discourse." + shifts.metric + "." + shifts.economy)
    alerts = []
    try:
        from critmin.alerts.engine import evaluate

        engine = "critmin.alerts"
    except ImportError:
        evaluate = None
        engine = "discourse fallback"
    for kind, thr in (("sentiment", s_thr), ("frame", f_thr)):
        h = history[history.kind == kind]
        if h.empty:
            continue
        if evaluate is not None:
            rule = _alert_rules(sorted(h.series.unique()), kind, thr)
            series = pd.DataFrame({"metric": h.series, "period": h.period, "value": h["shift"].abs(),
                                   "source": "discourse watch", "vintage": h.computed_at.astype(str)})
            for a in evaluate([rule], series, use_kb=False, latest_only=True):
                lr = latest[(latest.series == a.metric) & (latest.period == a.period)]
                if lr.empty:
                    continue
                r = lr.iloc[-1]
                alerts.append({"alert_id": a.id, "rule": a.rule_id, "level": a.level, "economy": r.economy,
                               "metric": r.metric, "value": r.value, "baseline": r.baseline, "shift": r["shift"],
                               "threshold": thr, "period": a.period, "n_docs": int(r.n_docs)})
        else:
            is_sent = latest.metric == "polarity"
            for r in latest[is_sent if kind == "sentiment" else ~is_sent].itertuples():
                level = _levels_fallback(abs(r.shift), thr)
                if level:
                    aid = "D-" + hashlib.sha1(f"{r.series}|{r.period}|{level}".encode()).hexdigest()[:12]
                    alerts.append({"alert_id": aid, "rule": f"discourse-{kind}-shift", "level": level,
                                   "economy": r.economy, "metric": r.metric, "value": r.value, "baseline": r.baseline,
                                   "shift": r.shift, "threshold": thr, "period": r.period, "n_docs": int(r.n_docs)})
    out = pd.DataFrame(alerts, columns=[c for c in empty.columns if c not in ("evidence", "raised_at")])
    if not out.empty:
        out["evidence"] = [_evidence_for(con, r.economy, r.metric, new_ids) for r in out.itertuples()]
        out["raised_at"] = now
        known = {x[0] for x in con.execute(f"select alert_id from {store.ALERTS}").fetchall()}
        fresh = out[~out.alert_id.isin(known)]
        if not fresh.empty:
            insert_frame(con, store.ALERTS, fresh.copy())
    else:
        out = empty
    return shifts, out, engine


def _evidence_for(con, economy: str, metric: str, new_ids: set[str]) -> str:
    """The strongest sentence of the new documents behind the metric (for the alert record)."""
    ids = sorted(new_ids)
    ph = ", ".join("?" for _ in ids)
    col = {"polarity": "abs(s.polarity)", **{f"share_{f}": f"s.{f}" for f in FRAMES}}[metric]  # identifiers
    row = con.execute(f"select s.sentence from discourse_sentences s join discourse_documents d using (doc_id) "
                      f"where d.economy = ? and s.doc_id in ({ph}) order by {col} desc, s.doc_id, s.sent_idx limit 1",
                      [economy, *ids]).fetchone()
    return row[0] if row else ""
