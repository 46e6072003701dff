"""Which alerts each inject would raise, by the same rules and engine the monitor uses (no second rule set).

- Feed observations: every inject's observations become rows of the evaluator's series table, dated the
  Monday of the inject's week, and the built-in rules (``alerts/data/rules.yaml``) run over the whole timeline
  at once, so persistence, hysteresis and escalation behave as they would on a live feed: the core-firm rule
  needs two consecutive reports, a backlog that falls back clears its level, and so on. An alert belongs to the
  inject whose date is its period.
- Announcements and resumptions: the export-control rule judges the importers' dependence on the supplier (the
  baseline year's shares per stage, from the indicator core) against the knowledge base's controls on the
  inject's date — so a measure that is suspended or not yet in force on that day raises nothing.

Each alert carries the priority weight of its level from the monitor's policy (``monitor/data/priority.yaml``),
so the brief ranks injects the way the monitor ranks situations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from critmin.exercise.model import Exercise

SOURCE = "exercise inject"


def feed_series(ex: Exercise) -> pd.DataFrame:
    """The injects' observations as the evaluator's series table (one row per observation)."""
    import pandas as pd

    rows = []
    for inj in ex.timeline():
        for o in inj.observations:
            supplier = o.supplier or (ex.supplier if o.feed == "licence_backlog_days" else "")
            rows.append({"metric": o.feed, "importer": o.importer, "material": o.material or ex.material,
                         "stage": o.stage, "supplier": supplier, "period": ex.day(inj.week).isoformat(),
                         "value": float(o.value), "reference": o.reference if o.reference is not None else float("nan"),
                         "vintage": f"exercise {ex.id}", "source": f"{SOURCE} {inj.id}"
                         + (f" ({inj.source})" if inj.source else " (ASSUMPTION)"),
                         "inject": inj.id})
    return pd.DataFrame(rows, columns=["metric", "importer", "material", "stage", "supplier", "period", "value",
                                       "reference", "vintage", "source", "inject"])


def dependency_tables(ex: Exercise, wh) -> dict[str, pd.DataFrame]:
    """The importers' dependency per stage in the baseline year, per basis (value, qty), from the indicator core."""
    from critmin.catalog.economies import resolve
    from critmin.errors import UsageError
    from critmin.indicators.dependency import dependency

    out = {}
    econ = resolve(ex.importers, what="importer")
    for basis in ("value", "qty"):
        try:
            dep = dependency(econ, ex.material, by="stage", years=[ex.year], basis=basis, warehouse=wh)
        except UsageError:  # no imports of the material at all in the year
            continue
        out[basis] = dep[dep["year"] == ex.year].reset_index(drop=True)
    return out


def dependency_series(ex: Exercise, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The dependency tables as the evaluator's series: the supplier's share per importer and stage is what the
    export-control rule compares with its 20/35/50 % bounds. The adapter's controlling-country share is China's,
    so for another supplier only the top-supplier rows naming it are kept."""
    import pandas as pd

    from critmin.alerts import series_from_dependency

    parts = [series_from_dependency(d, vintage=f"trade {ex.year}", controlling=ex.supplier) for d in tables.values()]
    if not parts:
        return pd.DataFrame()
    s = pd.concat(parts, ignore_index=True)
    if ex.supplier != "CHN":
        s = s[s["metric"].str.startswith("top1_share") & (s["supplier"] == ex.supplier)]
    return s


def inject_alerts(ex: Exercise, tables: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    """Per inject (time order): its date and the alerts it raises, highest level first, as JSON-ready rows."""
    from critmin.alerts import evaluate, load_rules
    from critmin.monitor.priority import load_policy

    rules = load_rules()
    weights = load_policy().priority.level
    by_inject: dict[str, list] = {i.id: [] for i in ex.injects}
    feeds = feed_series(ex)
    if not feeds.empty:
        periods = {ex.day(i.week).isoformat(): i.id for i in ex.injects if i.observations}
        inject_of = dict(zip(zip(feeds["metric"], feeds["importer"], feeds["period"], strict=True),
                             feeds["inject"], strict=True))
        for a in evaluate([r for r in rules if r.source == "feed"], feeds.drop(columns=["inject"])):
            key = inject_of.get((a.metric, a.importer, a.period)) or periods.get(a.period)
            if key:
                by_inject[key].append(a)
    shares = None
    for inj in ex.timeline():
        if inj.kind not in ("announcement", "resumption") or not inj.measure:
            continue
        if shares is None:
            shares = dependency_series(ex, tables)
        if shares.empty:
            continue
        day = ex.day(inj.week)
        found = evaluate([r for r in rules if r.kind == "control"], shares, as_of=day)
        by_inject[inj.id].extend(a for a in found if inj.measure in a.cited_events)
    out = []
    for inj in ex.timeline():
        alerts = sorted(by_inject[inj.id], key=lambda a: (-a.rank, a.importer, a.stage, a.metric))
        rows = [_row(a, weights) for a in alerts]
        top = rows[0]["level"] if rows else "none"
        out.append({"inject": inj.id, "week": inj.week, "date": ex.day(inj.week).isoformat(), "level": top,
                    "alerts": rows})
    return out


def _row(a, weights) -> dict[str, Any]:
    return {"id": a.id, "rule_id": a.rule_id, "level": a.level, "transition": a.transition,
            "title_en": a.title_en, "title_zh": a.title_zh, "metric": a.metric, "importer": a.importer,
            "material": a.material, "stage": a.stage, "supplier": a.supplier, "period": a.period,
            "value": a.value, "threshold": a.threshold, "comparison": a.comparison,
            "ratio": a.extra.get("ratio"), "cited_events": list(a.cited_events),
            "events": [e["event_id"] for e in a.extra.get("events", [])],
            "priority_weight": weights.get(a.level)}
