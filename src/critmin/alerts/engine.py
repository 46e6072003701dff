"""The rule evaluator: pure and vectorised over a long table of series.

Input ``series_df`` columns: metric, importer, material, stage, supplier, period, value, vintage, source
(optional: reference — e.g. a stock warning line — used by rules with ``normalise: reference``).
``period`` is a year (2024), a month ('2025-03') or a day ('2025-03-15'); persistence counts consecutive
periods, and a missing year or month breaks a run.

Threshold rules, per level L (blue < yellow < orange < red), with x the value (or value/reference):
    breach_L(t) = x(t) beyond threshold_L            (per the rule's comparison)
    held_L(t)   = x(t) beyond clear_L                (clear_L = threshold_L ∓ hysteresis, or explicit)
    entered_L(t)= breach_L held for `persistence` consecutive periods ending at t
    active_L(t) = held_L(t) and entered_L(s) for some s <= t in the same unbroken run of held_L
    level(t)    = the highest L with active_L(t)
All of it is computed with grouped cumulative sums/maxima over the whole frame (no loop over rows).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

from critmin.errors import UsageError

from .models import LEVEL_RANK, LEVELS, SCOPE_FIELDS, Alert, Rule

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from critmin.kb.loader import KnowledgeBase

REQUIRED = ("metric", "period", "value")
OPTIONAL_TEXT = ("importer", "material", "stage", "supplier", "vintage", "source")
KEYS = ("metric", "importer", "material", "stage", "supplier")


def alert_id(rule_id: str, metric: str, importer: str, material: str, stage: str, supplier: str,
             period: str, level: str, vintage: str) -> str:
    """Deterministic alert id: the same rule, series, period, level and data vintage give the same id."""
    raw = "|".join([rule_id, metric, importer, material, stage, supplier, str(period), level, vintage])
    return "A-" + hashlib.sha1(raw.encode("utf-8")).hexdigest()[:12]


def prepare(series_df: pd.DataFrame) -> pd.DataFrame:
    """Check and normalise the series table: text keys ('' when missing), numeric value, period position."""
    import numpy as np
    import pandas as pd

    missing = [c for c in REQUIRED if c not in series_df.columns]
    if missing:
        raise UsageError(f"series table lacks column(s) {missing}; expected {list(REQUIRED) + list(OPTIONAL_TEXT)}")
    df = series_df.copy()
    for c in OPTIONAL_TEXT:
        if c not in df.columns:
            df[c] = ""
        df[c] = df[c].where(df[c].notna(), "").astype(str)
    if "reference" not in df.columns:
        df["reference"] = np.nan
    df["value"] = pd.to_numeric(df["value"], errors="coerce")
    df["reference"] = pd.to_numeric(df["reference"], errors="coerce")
    df = df[df["value"].notna()].copy()
    # a series table has few distinct periods: parse each once, then map (the same result, much less work)
    codes, uniq = pd.factorize(df["period"].astype(str).str.strip(), sort=False)
    periods = _period_table(pd.Series(uniq, dtype="object"))
    for col in ("period", "cm_freq", "cm_pos", "cm_start", "cm_end"):
        df[col] = periods[col].to_numpy()[codes]
    return df.sort_values([*KEYS, "cm_pos"], kind="stable").reset_index(drop=True)


def _period_table(raw: pd.Series) -> pd.DataFrame:
    """Period, frequency (Y/M/D), position (year, month count or day count), start and end of each period."""
    import numpy as np
    import pandas as pd

    p = raw.str.replace(r"\.0$", "", regex=True)
    n = p.str.len()
    year = pd.to_numeric(p.str[:4], errors="coerce")
    month = pd.to_numeric(p.str[5:7], errors="coerce")
    ok = p.str.fullmatch(r"\d{4}(-(0[1-9]|1[0-2])(-\d{2})?)?")
    if not ok.all():
        bad = p[~ok].iloc[0]
        raise UsageError(f"period must be YYYY, YYYY-MM or YYYY-MM-DD, got {bad!r}")
    days = pd.to_datetime(p.where(n == 10, None), errors="coerce")
    out = pd.DataFrame({"period": p})
    out["cm_freq"] = np.select([n == 4, n == 7], ["Y", "M"], "D")
    out["cm_pos"] = np.select(
        [n == 4, n == 7],
        [year, year * 12 + month],
        (days - pd.Timestamp("1970-01-01")).dt.days.fillna(0),
    ).astype("int64")
    start = np.select([n == 4, n == 7], [p.str[:4] + "-01-01", p.str[:7] + "-01"], p)
    out["cm_start"] = pd.to_datetime(start)
    out["cm_end"] = pd.to_datetime(np.select(
        [n == 4, n == 7],
        [out["cm_start"] + pd.offsets.YearEnd(0), out["cm_start"] + pd.offsets.MonthEnd(0)],
        out["cm_start"],
    ))
    return out


def list_materials(list_ids: Iterable[str]) -> set[str]:
    """Material ids on the catalog critical lists ``list_ids`` (see :meth:`Catalog.list_materials`)."""
    from critmin.catalog import load_catalog

    return load_catalog().list_materials(list_ids)


def _select(rule: Rule, df: pd.DataFrame) -> pd.DataFrame:
    mask = df["metric"].isin(rule.metrics)
    for f in SCOPE_FIELDS:
        allowed = rule.scope.allowed(f)
        if allowed is not None:
            mask &= df[f].isin(allowed)
    if rule.scope.lists:
        mask &= df["material"].isin(list_materials(rule.scope.lists))
    sub = df[mask]
    if rule.normalise == "reference":
        sub = sub[sub["reference"] > 0].copy()
        sub["cm_x"] = sub["value"] / sub["reference"]
    else:
        sub = sub.copy()
        sub["cm_x"] = sub["value"]
    return sub


def _beyond(x, thr: float, comparison: str):
    return {">": x > thr, ">=": x >= thr, "<": x < thr, "<=": x <= thr}[comparison]


def _segments(sub: pd.DataFrame):
    """Id of unbroken runs: a new run at a new series or a gap of more than one year/month."""
    import numpy as np

    key = sub.groupby(list(KEYS), sort=False, dropna=False).ngroup()
    gap = (sub["cm_pos"].diff() != 1) & sub["cm_freq"].isin(["Y", "M"])
    new = (key != key.shift()) | gap.to_numpy()
    return key, np.cumsum(new.to_numpy())


def threshold_levels(rule: Rule, sub: pd.DataFrame) -> pd.Series:
    """Level rank (0 = none, 1..4 = blue..red) per row of ``sub`` (sorted by series and period)."""
    import numpy as np
    import pandas as pd

    if sub.empty:
        return pd.Series([], dtype="int64")
    x = sub["cm_x"].to_numpy()
    _, seg = _segments(sub)
    seg = pd.Series(seg, index=sub.index)
    level = np.zeros(len(sub), dtype="int64")
    for lvl, thr in rule.thresholds.items():
        breach = pd.Series(_beyond(x, thr, rule.comparison), index=sub.index)
        held = pd.Series(_beyond(x, rule.clear_threshold(lvl), rule.comparison), index=sub.index) | breach
        brun = (~breach).groupby(seg).cumsum()
        count = breach.astype("int64").groupby([seg, brun]).cumsum()
        entered = count >= rule.persistence
        hrun = (~held).groupby(seg).cumsum()
        active = entered.groupby([seg, hrun]).cummax() & held
        level = np.where(active.to_numpy(), LEVEL_RANK[lvl], level)
    return pd.Series(level, index=sub.index)


def standing_levels(rule: Rule, levels: pd.Series, sub: pd.DataFrame) -> pd.Series:
    """The reported level per row under ``rule.standing``: the level it had in the previous period of the
    same unbroken run, whose value did not move ``min_change`` the worse way since, steps down (to none at
    most); anything new, escalated or materially worse keeps its level."""
    import numpy as np
    import pandas as pd

    st = rule.standing
    if st is None or levels.empty:
        return levels
    _, seg = _segments(sub)
    seg = pd.Series(seg, index=sub.index)
    prev_level = levels.groupby(seg).shift(1).fillna(0).astype("int64")
    prev_x = sub["cm_x"].groupby(seg).shift(1)
    moved = sub["cm_x"] - prev_x if rule.higher_is_worse else prev_x - sub["cm_x"]
    held = (levels > 0) & (prev_level == levels) & ~(moved >= st.min_change)
    return pd.Series(np.where(held, np.maximum(levels - st.step_down, 0), levels), index=sub.index)


def _transitions(levels: pd.Series, sub: pd.DataFrame) -> pd.Series:
    import numpy as np
    import pandas as pd

    _, seg = _segments(sub)
    prev = levels.groupby(pd.Series(seg, index=sub.index)).shift(1).fillna(0).astype("int64")
    out = np.select(
        [prev == 0, levels > prev, levels < prev],
        ["new", "escalated", "deescalated"],
        "continuing",
    )
    return pd.Series(out, index=sub.index)


def _flow_hs6(material: str, stage: str) -> tuple[str, ...]:
    """The HS6 codes of a trade-flow series (material, stage) in the catalog; () when unknown."""
    from critmin.catalog import load_catalog
    from critmin.errors import UsageError

    try:
        return tuple(load_catalog().hs6_for(material, stage or None))
    except UsageError:
        return ()


def _controls_frame(kb: KnowledgeBase) -> pd.DataFrame:
    """Every change of an export-control scope item into 'in_force' (new or re-activated), one row per
    material the goods item names; items binding exporters abroad, equipment and technology are left out
    (they never match a goods flow from the issuing country). State transitions come from
    :func:`critmin.kb.control_changes` only."""
    import pandas as pd

    from critmin.kb import control_changes

    rows = []
    for c in control_changes("1900-01-01", "2999-12-31", kb=kb):
        m = kb.entries[c.measure_id]
        if c.after != "in_force" or c.kind != "goods" or m.item(c.item_id).exporters != "in_jurisdiction":
            continue
        dests = ",".join(m.item(c.item_id).destinations or m.destinations)
        for mat in c.materials:
            rows.append({"material": mat, "supplier": m.jurisdiction, "event_id": c.measure_id,
                         "item_id": c.item_id, "item_hs6": ",".join(c.hs6), "event_date": pd.Timestamp(c.day),
                         "change": c.change, "basis": m.verification, "destinations": dests})
    return pd.DataFrame(rows, columns=["material", "supplier", "event_id", "item_id", "item_hs6", "event_date",
                                       "change", "basis", "destinations"])


def _binds(destinations: str, importer: str, year: int, memo: dict) -> bool:
    """A control binds exports to ``importer`` (a country or a group, members as of ``year``) when it names every
    destination ('*') or one of the importer's members: a ban on exports to the USA raises nothing for the EU."""
    dests = set(destinations.split(","))
    if "*" in dests or not importer:
        return True
    key = (importer, year)
    if key not in memo:
        from critmin.catalog.economies import resolve_one

        try:
            memo[key] = set(resolve_one(importer).members(year)) | {importer}
        except UsageError:  # a feed's own label: only an exact destination matches
            memo[key] = {importer}
    return bool(memo[key] & dests)


def _hs6_overlap(item_hs6: str, material: str, stage: str) -> bool:
    """A goods item lists no HS6 (matched by element), or the flow's HS6 is unknown, or they intersect."""
    if not item_hs6:
        return True
    flow = _flow_hs6(material, stage)
    return not flow or bool(set(item_hs6.split(",")) & set(flow))


class _Citer:
    """Cited knowledge-base measures for an alert: the rule's own citations plus the supplier's export
    controls whose goods items match the flow (material and HS6) and are in force, suspended, announced or
    of unknown state at the end of the alert period (latest first, at most five)."""

    def __init__(self, kb: KnowledgeBase | None):
        self.kb = kb
        self._memo: dict[tuple, list[str]] = {}

    def __call__(self, rule: Rule, material: str, supplier: str, until: dt.date, stage: str = "",
                 importer: str = "") -> list[str]:
        key = (rule.id, material, supplier, until, stage, importer)
        if key not in self._memo:
            self._memo[key] = self._cite(rule, material, supplier, until, stage, importer)
        return list(self._memo[key])

    def rule_cites(self, rule: Rule, material: str) -> list[str]:
        """The rule's own citations that bear on ``material``: an entry naming materials is cited only on alerts
        about one of them (the 2010 rare-earth quota cut calibrates import_drop_yoy, but a cobalt drop does not
        cite it); an entry naming none (the CRMA) is cited on every alert of the rule."""
        if self.kb is None or not material:
            return list(rule.cites)
        from critmin.kb.models import MATERIAL_GROUPS

        out = []
        for c in rule.cites:
            e = self.kb.find(c)
            mats = set(getattr(e, "materials", []) or [])
            mats |= {m for g in mats & set(MATERIAL_GROUPS) for m in MATERIAL_GROUPS[g]}
            if not mats or material in mats:
                out.append(c)
        return out

    def _cite(self, rule: Rule, material: str, supplier: str, until: dt.date, stage: str,
              importer: str = "") -> list[str]:
        from critmin.errors import UsageError
        from critmin.kb import controls_on

        out = self.rule_cites(rule, material)
        if self.kb is None or not material or not supplier:
            return out
        try:
            hits = controls_on(until, material=material, hs6=_flow_hs6(material, stage) or None,
                               jurisdiction=supplier, exporter=supplier, kb=self.kb,
                               states=("in_force", "suspended", "announced", "unknown"))
        except UsageError:  # a material the catalog does not know: nothing to match
            return out
        memo: dict = {}
        hits = [h for h in hits if _binds(",".join(h.destinations or ("*",)), importer, until.year, memo)]
        ids = sorted({h.measure_id for h in hits}, key=lambda i: self.kb.entries[i].date, reverse=True)
        return out + [i for i in ids[:5] if i not in out]


def _row_alerts(rule: Rule, sub: pd.DataFrame, levels, transitions, citer: _Citer,
                events: dict[int, list[dict]] | None = None, full=None) -> list[Alert]:
    """One alert per row of ``sub`` at a level above 0. ``events`` (control rules): the knowledge-base control
    events behind each row, keyed by the row's ``cm_row``; they go to ``extra['events']`` and are all cited.
    ``full`` (rules with ``standing``): the level the value reaches; where the reported level is lower, the
    alert keeps the crossed threshold and says so in ``extra`` (standing, full_level, previous value)."""
    out = []
    thr = dict(rule.thresholds.items())
    names = {r: lvl for lvl, r in LEVEL_RANK.items()}
    mask = levels.to_numpy() > 0
    hits = sub[mask]
    lv = levels.to_numpy()[mask]
    fl = full.to_numpy()[mask] if full is not None else lv
    prev = None
    if full is not None:
        _, seg = _segments(sub)
        prev = sub["cm_x"].groupby(seg).shift(1).to_numpy()[mask]
    tr = transitions.to_numpy()[mask] if transitions is not None else None
    # the period ends as dates once, and no datetime column in the row tuples (each would become a Timestamp)
    ends = hits["cm_end"].dt.date.to_numpy() if events is None else None
    cols = [c for c in hits.columns if c not in ("cm_start", "cm_end")]
    for i, row in enumerate(hits[cols].itertuples(index=False)):
        level = names[int(lv[i])]
        extra: dict = {}
        if events is not None:
            evs = events[row.cm_row]
            extra["events"] = evs
            own = citer.rule_cites(rule, row.material)
            cited = [*own, *dict.fromkeys(e["event_id"] for e in evs if e["event_id"] not in own)]
        else:
            cited = citer(rule, row.material, row.supplier, ends[i], row.stage, row.importer)
        if rule.normalise == "reference":
            extra.update({"reference": float(row.reference), "ratio": float(row.cm_x)})
        crossed = names[int(fl[i])]
        if crossed != level:
            extra.update({"standing": True, "full_level": crossed, "previous_value": float(prev[i])})
        # values are produced here from validated rules and a prepared frame: construct without re-validation
        out.append(Alert.model_construct(
            id=alert_id(rule.id, row.metric, row.importer, row.material, row.stage, row.supplier,
                        row.period, level, row.vintage),
            rule_id=rule.id, rule_kind=rule.kind, level=level, title_en=rule.title_en, title_zh=rule.title_zh,
            metric=row.metric, importer=row.importer, material=row.material, stage=row.stage,
            supplier=row.supplier, period=str(row.period), value=float(row.value), threshold=float(thr[crossed]),
            comparison=rule.comparison, transition=str(tr[i]) if tr is not None else "event",
            vintage=row.vintage, source=row.source,
            cited_events=cited,
            extra=extra,
        ))
    return out


def _plain(v):
    import pandas as pd

    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if hasattr(v, "item"):
        return v.item()
    return v


def _threshold_rule(rule: Rule, sub: pd.DataFrame, citer: _Citer, latest_only: bool = False) -> list[Alert]:
    levels = threshold_levels(rule, sub)
    if levels.empty or not (levels > 0).any():
        return []
    transitions = _transitions(levels, sub)
    full = levels
    levels = standing_levels(rule, levels, sub)
    if latest_only:  # levels are computed on the whole history; only the last period is reported
        last = sub.groupby(list(KEYS), sort=False)["cm_pos"].transform("max") == sub["cm_pos"]
        levels = levels.where(last, 0)
    return _row_alerts(rule, sub, levels, transitions, citer, full=full if rule.standing else None)


def _control_rule(rule: Rule, sub: pd.DataFrame, kb: KnowledgeBase | None, as_of: dt.date | None,
                  citer: _Citer) -> list[Alert]:
    """Dependency on a supplier that introduced or re-activated an export control on the material.

    One alert per series row (importer, material, stage, supplier, period, metric), however many controls
    changed in its window: every such control is cited and listed in ``extra['events']`` (event id, date,
    change, date basis), so alert ids stay unique."""
    import numpy as np
    import pandas as pd

    if sub.empty or kb is None:
        return []
    ctrl = _controls_frame(kb)
    if ctrl.empty:
        return []
    sub = sub.sort_values("value", ascending=False, kind="stable").drop_duplicates(
        ["importer", "material", "stage", "supplier", "period"])
    if as_of is not None:
        sub = sub.sort_values("cm_pos").groupby(["importer", "material", "stage", "supplier"], sort=False).tail(1)
        sub = sub.assign(cm_lo=pd.Timestamp(as_of) - pd.Timedelta(days=rule.control_window_days),
                         cm_hi=pd.Timestamp(as_of))
    else:
        sub = sub.assign(cm_lo=sub["cm_start"], cm_hi=sub["cm_end"])
    if as_of is not None:  # judged on a date: the item must still be in force then (not suspended/unknown)
        from critmin.kb import state_on

        live = [state_on(kb.entries[i], as_of, item) == "in_force"
                for i, item in zip(ctrl["event_id"], ctrl["item_id"], strict=True)]
        ctrl = ctrl[live] if len(ctrl) else ctrl
    sub = sub.reset_index(drop=True).rename_axis("cm_row").reset_index()
    m = sub.merge(ctrl, on=["material", "supplier"], how="inner")
    m = m[(m["event_date"] >= m["cm_lo"]) & (m["event_date"] <= m["cm_hi"])]
    if not m.empty:  # only where the controlled items intersect the HS codes traded and bind that destination
        memo: dict = {}
        keep = [_hs6_overlap(h, mat, st) and _binds(d, imp, int(hi.year), memo)
                for h, mat, st, d, imp, hi in zip(m["item_hs6"], m["material"], m["stage"], m["destinations"],
                                                  m["importer"], m["cm_hi"], strict=True)]
        m = m[keep]
    if m.empty:
        return []
    events: dict[int, list[dict]] = {}
    m = m.drop_duplicates(["cm_row", "event_id", "event_date"])
    for r in m[["cm_row", "event_id", "item_id", "event_date", "change", "basis"]].itertuples(index=False):
        events.setdefault(int(r.cm_row), []).append({"event_id": r.event_id, "item_id": r.item_id,
                                                     "event_date": _plain(r.event_date),
                                                     "change": r.change, "basis": r.basis})
    rows = m.drop_duplicates("cm_row").reset_index(drop=True)
    level = np.zeros(len(rows), dtype="int64")
    for lvl, thr in rule.thresholds.items():
        level = np.where(_beyond(rows["cm_x"].to_numpy(), thr, rule.comparison), LEVEL_RANK[lvl], level)
    levels = pd.Series(level, index=rows.index)
    return _row_alerts(rule, rows, levels, None, citer, events=events)


def _penalty(cp, x) -> float:
    import numpy as np

    if cp.penalty is not None:
        return float(cp.penalty)
    d = np.diff(x)
    sigma = float(np.median(np.abs(d - np.median(d))) / 0.6745 / math.sqrt(2)) if len(d) else 0.0
    if sigma <= 0:
        sigma = float(np.std(x)) or 1e-9
    return cp.penalty_factor * sigma**2 * math.log(len(x))


def change_points(x, cp) -> list[int]:
    """Indices where a new segment starts (ruptures PELT or Binseg on a 1-d series)."""
    import numpy as np

    x = np.asarray(x, dtype=float)
    if len(x) < 2 * cp.min_size:
        return []
    signal = x.reshape(-1, 1)
    if cp.method == "pelt" and cp.model == "l2":
        from critmin.alerts.pelt import pelt_l2  # same breakpoints as ruptures, without its import cost

        bkps = pelt_l2(signal, _penalty(cp, x), min_size=cp.min_size, jump=1)
    elif cp.method == "pelt":
        import ruptures as rpt

        algo = rpt.Pelt(model=cp.model, min_size=cp.min_size, jump=1).fit(signal)
        bkps = algo.predict(pen=_penalty(cp, x))
    else:
        import ruptures as rpt

        algo = rpt.Binseg(model=cp.model, min_size=cp.min_size, jump=1).fit(signal)
        bkps = algo.predict(n_bkps=cp.n_bkps) if cp.n_bkps else algo.predict(pen=_penalty(cp, x))
    return [b for b in bkps if b < len(x)]


def _changepoint_rule(rule: Rule, sub: pd.DataFrame, citer: _Citer) -> list[Alert]:
    import numpy as np

    cp = rule.changepoint
    out = []
    for _, g in sub.groupby(list(KEYS), sort=False):
        x = g["cm_x"].to_numpy()
        bkps = change_points(x, cp)
        edges = [0, *bkps, len(x)]
        for j, b in enumerate(bkps):
            before = float(np.mean(x[edges[j]:b]))
            after = float(np.mean(x[b:edges[j + 2]]))
            shift = (after - before) / abs(before) * 100 if before else math.inf
            if abs(shift) < cp.min_shift_pct:
                continue
            row = g.iloc[b]
            out.append(Alert(
                id=alert_id(rule.id, row.metric, row.importer, row.material, row.stage, row.supplier,
                            row.period, cp.level, row.vintage),
                rule_id=rule.id, rule_kind=rule.kind, level=cp.level, title_en=rule.title_en,
                title_zh=rule.title_zh, metric=row.metric, importer=row.importer, material=row.material,
                stage=row.stage, supplier=row.supplier, period=row.period, value=after, threshold=before,
                comparison="change", transition="event", vintage=row.vintage, source=row.source,
                cited_events=citer(rule, row.material, row.supplier, row.cm_end.date(), row.stage, row.importer),
                extra={"before_mean": before, "after_mean": after,
                       "shift_pct": shift if math.isfinite(shift) else None,
                       "method": cp.method, "penalty": None if cp.n_bkps else _penalty(cp, x), "n": len(x)},
            ))
    return out


def evaluate(
    rules: Iterable[Rule],
    series_df: pd.DataFrame,
    kb: KnowledgeBase | None = None,
    as_of: str | dt.date | None = None,
    latest_only: bool = False,
    use_kb: bool = True,
) -> list[Alert]:
    """Evaluate ``rules`` over ``series_df``; returns alerts sorted by level (highest first), then ids.

    kb: knowledge base for control rules and cited events (the bundled one when omitted and ``use_kb``);
    as_of: for control rules, judge each series' latest value against controls that changed in the rule's
    look-back window ending on ``as_of`` and are still in force on it (suspended ones do not count);
    without ``as_of``, controls that changed within each row's own period;
    latest_only: keep only alerts on each series' last period.
    """
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    if kb is None and use_kb:
        from critmin.kb import load_kb

        kb = load_kb()
    df = prepare(series_df)
    citer = _Citer(kb)
    alerts: list[Alert] = []
    for rule in rules:
        sub = _select(rule, df)
        if sub.empty:
            continue
        if rule.kind == "threshold":
            found = _threshold_rule(rule, sub, citer, latest_only)
        elif rule.kind == "changepoint":
            found = _changepoint_rule(rule, sub, citer)
        else:
            found = _control_rule(rule, sub, kb, as_of, citer)
        if latest_only and found:
            last = sub.groupby(list(KEYS), sort=False)["period"].last()
            last_map = {k: v for k, v in last.items()}
            found = [a for a in found
                     if last_map.get((a.metric, a.importer, a.material, a.stage, a.supplier)) == a.period]
        alerts.extend(found)
    return sorted(alerts, key=lambda a: (-LEVEL_RANK[a.level], a.rule_id, a.importer, a.material, a.period, a.id))


def alerts_frame(alerts: Iterable[Alert]) -> pd.DataFrame:
    """Alerts as a flat table (cited events joined with ';')."""
    import pandas as pd

    cols = ["id", "level", "rule_id", "metric", "importer", "material", "stage", "supplier", "period", "value",
            "threshold", "comparison", "transition", "vintage", "source", "cited_events", "title_en", "title_zh"]
    rows = []
    for a in alerts:
        d = a.model_dump()
        d["cited_events"] = ";".join(a.cited_events)
        rows.append({c: d[c] for c in cols})
    return pd.DataFrame(rows, columns=cols)


__all__ = ["evaluate", "alerts_frame", "prepare", "threshold_levels", "change_points", "alert_id", "LEVELS"]
