"""Public-opinion monitoring (seed 004): news and social items from RSS, Atom, JSON Lines or CSV files, or a
watched folder of them, scored in zh/en/ja; tone and frame series per economy, outlet and topic; alerts on
tone and frame shifts.

Items: one record per news item or post, with ``published`` (date), ``economy`` (who the item is about or
speaks for), ``outlet``, optional ``topic``, ``language``, ``title``, ``text``, ``url``, ``id``. RSS and Atom
carry no economy, so it comes from ``--economy`` (or the JSONL/CSV field); the outlet is the feed's title
unless the item names its source. An item is stored once (``item_id`` = SHA-256 of feed id or URL, else of
title + text), so re-reading a watched folder adds only new items.

Scores per item: the lexicon path over its sentences (title included): tone = mean sentence polarity,
subjectivity = mean, frame shares = frame scores summed over sentences / total.

Shift detection per economy and metric (tone, each frame share), on the items in publication order: the best
single change point by least squares (ruptures ``Binseg``, l2 cost, Truong et al. 2020) with **at least
``min_support`` items on each side** (ruptures' ``min_size``), so one item never raises an alert on its own;
shift = mean after − mean before. Only a change whose later segment reaches the latest item is current. The
absolute shift goes to a *detector* that returns alert levels; the CLI injects the early-warning engine
(critmin.alerts, thresholds and hysteresis), since a wing does not import it. Without one, levels are
blue/yellow/orange/red at 1, 1.5, 2, 3 x the threshold (ASSUMPTION: the defaults 0.15 for tone and 0.10 for a
frame share follow ``discourse watch``; no source fixes them).
"""

from __future__ import annotations

import csv
import datetime as dt
import email.utils
import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from critmin.discourse import FRAMES
from critmin.discourse.monitor import LEVEL_FACTORS
from critmin.errors import InputError

FEED_SUFFIXES = (".rss", ".xml", ".atom", ".jsonl", ".ndjson", ".csv")
ITEMS = "discourse_opinion_items"
ALERTS = "discourse_opinion_alerts"
MIN_SUPPORT = 5
TONE_THRESHOLD = 0.15
SHARE_THRESHOLD = 0.10
METRICS = ("tone", *[f"share_{f}" for f in FRAMES])
_ATOM = "{http://www.w3.org/2005/Atom}"

_FRAME_COLS = ", ".join(f"share_{f} DOUBLE" for f in FRAMES)
SCHEMA = [
    f"""CREATE TABLE IF NOT EXISTS {ITEMS} (
        item_id VARCHAR PRIMARY KEY, published DATE, economy VARCHAR, outlet VARCHAR, topic VARCHAR,
        language VARCHAR, title VARCHAR, text VARCHAR, url VARCHAR, feed VARCHAR, n_sentences INTEGER,
        tone DOUBLE, subjectivity DOUBLE, {_FRAME_COLS}, top_frame VARCHAR, lexicon_version VARCHAR,
        added_at TIMESTAMP)""",
    f"""CREATE TABLE IF NOT EXISTS {ALERTS} (
        alert_id VARCHAR PRIMARY KEY, level VARCHAR, economy VARCHAR, metric VARCHAR, shift DOUBLE,
        before DOUBLE, after DOUBLE, n_before INTEGER, n_after INTEGER, change_date DATE, latest DATE,
        threshold DOUBLE, engine VARCHAR, evidence VARCHAR, raised_at TIMESTAMP)""",
]


ITEM_COLUMNS = ["item_id", "published", "economy", "outlet", "topic", "language", "title", "text", "url", "feed",
                "n_sentences", "tone", "subjectivity", *[f"share_{f}" for f in FRAMES], "top_frame",
                "lexicon_version", "added_at"]


class Item(BaseModel):
    """One news item or post, validated; errors name the feed file, the record and the field."""

    model_config = ConfigDict(extra="ignore")
    published: dt.date
    economy: str
    outlet: str = Field(min_length=1)
    topic: str = ""
    language: str = "auto"
    title: str = ""
    text: str = ""
    url: str = ""
    id: str = ""

    @field_validator("economy")
    @classmethod
    def _econ(cls, v: str) -> str:
        v = v.strip().upper()
        if not (2 <= len(v) <= 6 and v.isalnum() and v[0].isalpha()):
            raise ValueError("economy code of 2-6 letters, e.g. US, EU, JP, AU, CN")
        return v

    @field_validator("language")
    @classmethod
    def _lang(cls, v: str) -> str:
        v = (v or "auto").strip().lower()[:2] if v and v.strip().lower() != "auto" else "auto"
        if v not in ("zh", "en", "ja", "auto"):
            raise ValueError("zh, en, ja or auto")
        return v

    @field_validator("published", mode="before")
    @classmethod
    def _date(cls, v):
        return parse_when(v)

    @property
    def item_id(self) -> str:
        key = self.id or self.url or (self.title + "\n" + self.text)
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


def parse_when(v) -> dt.date:
    """ISO 8601 (Atom, JSON), RFC 822 (RSS ``pubDate``) or YYYY-MM-DD."""
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    s = str(v or "").strip()
    if not s:
        raise ValueError("a publication date")
    try:
        return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(s).date()
    except (TypeError, ValueError):
        raise ValueError("a date as YYYY-MM-DD, ISO 8601 or RFC 822") from None


def _item(raw: dict, defaults: dict, file: str, record) -> Item:
    data = {k: v for k, v in defaults.items() if v not in (None, "")}
    data.update({k: v for k, v in raw.items() if v not in (None, "")})
    if "date" in data and "published" not in data:
        data["published"] = data.pop("date")
    if "source" in data and "outlet" not in data:
        data["outlet"] = data.pop("source")
    try:
        item = Item.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        fld = ".".join(map(str, err["loc"]))
        hint = " (give --economy)" if fld == "economy" and err["type"] == "missing" else ""
        raise InputError(file, record=record, field=fld, expected=err["msg"] + hint,
                         got="missing" if err["type"] == "missing" else err.get("input")) from None
    if not (item.title.strip() or item.text.strip()):
        raise InputError(file, record=record, field="text", expected="a title or a text", got="neither")
    return item


def _xml_text(el) -> str:
    if el is None:
        return ""
    from critmin.discourse.corpus import html_to_text

    raw = "".join(el.itertext())
    return (html_to_text(raw) if "<" in raw else raw).strip()


def read_feed(path: str | Path, defaults: dict | None = None) -> list[Item]:
    """The items of one feed file (RSS 2.0, Atom 1.0, JSON Lines or CSV)."""
    path = Path(path)
    file = str(path)
    defaults = dict(defaults or {})
    suffix = path.suffix.lower()
    if suffix not in FEED_SUFFIXES:
        raise InputError(file, field="path", expected="a feed file ending in " + ", ".join(FEED_SUFFIXES),
                         got=suffix or path.name)
    if not path.is_file():
        raise InputError(file, field="path", expected="an existing file", got="missing")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(file, field="encoding", expected="UTF-8", got=f"byte {exc.start}") from None
    if suffix in (".jsonl", ".ndjson"):
        items = []
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(file, record=f"line {n}", expected="one JSON object per line", got=exc.msg) from None
            if not isinstance(obj, dict):
                raise InputError(file, record=f"line {n}", expected="a JSON object", got=type(obj).__name__)
            items.append(_item(obj, defaults, file, f"line {n}"))
        return items
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        return [_item({k: v for k, v in row.items() if k}, defaults, file, f"line {n}")
                for n, row in enumerate(reader, start=2)]
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        root = ElementTree.fromstring(text)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise InputError(file, field="content", expected="well-formed RSS or Atom XML", got=str(exc)[:120]) from None
    items = []
    if root.tag == "rss":
        channel = root.find("channel")
        outlet = _xml_text(channel.find("title")) if channel is not None else ""
        for n, it in enumerate(root.iter("item"), start=1):
            raw = {"title": _xml_text(it.find("title")), "text": _xml_text(it.find("description")),
                   "published": _xml_text(it.find("pubDate")), "url": _xml_text(it.find("link")),
                   "id": _xml_text(it.find("guid")), "topic": _xml_text(it.find("category")),
                   "outlet": _xml_text(it.find("source")) or outlet}
            items.append(_item(raw, defaults, file, f"item {n}"))
        return items
    if root.tag == f"{_ATOM}feed":
        outlet = _xml_text(root.find(f"{_ATOM}title"))
        for n, en in enumerate(root.iter(f"{_ATOM}entry"), start=1):
            link = en.find(f"{_ATOM}link")
            cat = en.find(f"{_ATOM}category")
            raw = {"title": _xml_text(en.find(f"{_ATOM}title")),
                   "text": _xml_text(en.find(f"{_ATOM}content")) or _xml_text(en.find(f"{_ATOM}summary")),
                   "published": _xml_text(en.find(f"{_ATOM}published")) or _xml_text(en.find(f"{_ATOM}updated")),
                   "url": link.get("href", "") if link is not None else "", "id": _xml_text(en.find(f"{_ATOM}id")),
                   "topic": cat.get("term", "") if cat is not None else "", "outlet": outlet}
            items.append(_item(raw, defaults, file, f"entry {n}"))
        return items
    raise InputError(file, field="content", expected="an <rss> or Atom <feed> document", got=f"<{root.tag}>")


def score_item(item: Item) -> dict:
    """Lexicon-path scores of one item (title and text together)."""
    from critmin.discourse.scoring import score_sentences

    sents = score_sentences("\n".join(x for x in (item.title, item.text) if x.strip()), item.language)
    tot = [sum(s.frames[k] for s in sents) for k in range(len(FRAMES))]
    total = sum(tot)
    n = len(sents) or 1
    row = {"n_sentences": len(sents), "tone": sum(s.polarity for s in sents) / n,
           "subjectivity": sum(s.subjectivity for s in sents) / n,
           "language": item.language if item.language != "auto" else (sents[0].language if sents else "auto")}
    row.update({f"share_{f}": (tot[k] / total if total else 0.0) for k, f in enumerate(FRAMES)})
    row["top_frame"] = FRAMES[tot.index(max(tot))] if total else "none"
    return row


@dataclass
class IngestResult:
    files: list[str] = field(default_factory=list)
    added: int = 0
    duplicates: int = 0
    errors: list[dict] = field(default_factory=list)


def _connect(warehouse):
    from critmin.discourse import store

    con = store.connect(warehouse)
    for ddl in SCHEMA:
        con.execute(ddl)
    return con


def ingest(target: str | Path, warehouse=None, defaults: dict | None = None) -> IngestResult:
    """Read a feed file, or every feed file of a folder (a watched folder: items already stored are skipped),
    score the new items and store them in one transaction. A bad file is named and skipped."""
    import pandas as pd

    from critmin.discourse.corpus import insert_frame
    from critmin.discourse.lexicon import lexicon_version

    target = Path(target)
    if target.is_dir():
        files = sorted(p for p in target.rglob("*") if p.is_file() and p.suffix.lower() in FEED_SUFFIXES)
    elif target.exists():
        files = [target]
    else:
        raise InputError(str(target), expected="a feed file or a folder of feed files", got="missing")
    res = IngestResult(files=[str(f) for f in files])
    items: list[tuple[Item, str]] = []
    for f in files:
        try:
            items += [(it, str(f)) for it in read_feed(f, defaults)]
        except InputError as exc:
            res.errors.append({"file": str(f), "error": str(exc)})
    con = _connect(warehouse)
    try:
        known = {r[0] for r in con.execute(f"select item_id from {ITEMS}").fetchall()}
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        version = lexicon_version()
        rows = []
        for it, f in items:
            iid = it.item_id
            if iid in known:
                res.duplicates += 1
                continue
            known.add(iid)
            rows.append({"item_id": iid, "published": it.published, "economy": it.economy, "outlet": it.outlet,
                         "topic": it.topic, "title": it.title, "text": it.text, "url": it.url, "feed": f,
                         **score_item(it), "lexicon_version": version, "added_at": now})
        if rows:  # one INSERT: all new items or none
            insert_frame(con, ITEMS, pd.DataFrame(rows)[ITEM_COLUMNS])
        res.added = len(rows)
    finally:
        con.close()
    return res


def load_items(warehouse=None, economies: list[str] | None = None):
    from critmin.discourse import store

    con = store.connect(warehouse, read_only=True)
    try:
        have = con.execute("select count(*) from information_schema.tables where table_name = ?", [ITEMS]).fetchone()[0]
        if not have:
            from critmin.errors import UsageError

            raise UsageError("no opinion items in this warehouse: run `critmin discourse monitor FEED|FOLDER` first")
        sql = f"select * from {ITEMS}"
        params: list = []
        if economies:
            sql += f" where economy in ({', '.join('?' for _ in economies)})"
            params = list(economies)
        return con.execute(sql + " order by published, item_id", params).df()
    finally:
        con.close()


def series(items, by: tuple[str, ...] = ("economy",), period: str = "week"):
    """Tone, subjectivity and frame shares per ``by`` group and period ('day', 'week' starting Monday, 'month'):
    means over items, with the item count (DuckDB does the grouping)."""
    import duckdb

    unit = {"day": "day", "week": "week", "month": "month"}.get(period)
    if unit is None:
        from critmin.errors import UsageError

        raise UsageError(f"--period {period!r}: expected day, week or month")
    for b in by:
        if b not in ("economy", "outlet", "topic"):
            from critmin.errors import UsageError

            raise UsageError(f"--by {b!r}: expected economy, outlet or topic")
    keys = ", ".join(by)
    means = ", ".join(f"avg({m}) as {m}" for m in ("tone", "subjectivity", *METRICS[1:]))
    con = duckdb.connect()
    try:
        con.register("items", items)
        return con.execute(f"select {keys}, date_trunc('{unit}', published)::date as period, count(*) as n_items, "
                           f"{means} from items group by all order by {keys}, period").df()
    finally:
        con.close()


Detector = Callable[[list[dict]], list[str | None]]


def levels_by_factor(candidates: list[dict]) -> list[str | None]:
    """Default detector: blue/yellow/orange/red at 1, 1.5, 2, 3 x each candidate's threshold."""
    out = []
    for c in candidates:
        level = None
        for lvl, f in LEVEL_FACTORS:
            if abs(c["shift"]) >= f * c["threshold"]:
                level = lvl
        out.append(level)
    return out


def _day(v) -> dt.date:
    import pandas as pd

    return pd.Timestamp(v).date()


def change_points(items, min_support: int = MIN_SUPPORT, tone_threshold: float = TONE_THRESHOLD,
                  share_threshold: float = SHARE_THRESHOLD) -> list[dict]:
    """Per economy and metric, the best single change point with >= ``min_support`` items on each side."""
    import numpy as np
    import ruptures as rpt

    if min_support < 2:
        from critmin.errors import UsageError

        raise UsageError(f"--min-support {min_support}: expected at least 2 items on each side of a change")
    out = []
    for econ, d in items.sort_values(["published", "item_id"]).groupby("economy", sort=True):
        if len(d) < 2 * min_support:
            continue
        for metric in METRICS:
            x = d[metric].to_numpy(dtype=float)
            if np.allclose(x, x[0]):
                continue
            bkps = rpt.Binseg(model="l2", min_size=min_support, jump=1).fit(x.reshape(-1, 1)).predict(n_bkps=1)
            k = bkps[0]
            if k >= len(x) or k < min_support or len(x) - k < min_support:
                continue
            before, after = float(x[:k].mean()), float(x[k:].mean())
            seg = d.iloc[k:]
            col = seg[metric].to_numpy(dtype=float)
            strongest = seg.iloc[int(np.argmax(np.abs(col - before)))]
            out.append({"economy": econ, "metric": metric, "shift": after - before, "before": before,
                        "after": after, "n_before": k, "n_after": len(x) - k,
                        "change_date": _day(d.published.iloc[k]), "latest": _day(d.published.iloc[-1]),
                        "threshold": tone_threshold if metric == "tone" else share_threshold,
                        "evidence": f"{strongest.outlet}, {_day(strongest.published)}: "
                                    f"{strongest.title or strongest.text[:120]}"})
    return out


def detect(warehouse=None, min_support: int = MIN_SUPPORT, tone_threshold: float = TONE_THRESHOLD,
           share_threshold: float = SHARE_THRESHOLD, detector: Detector | None = None, engine: str = ""):
    """Change points of the stored items, their levels from ``detector`` (default :func:`levels_by_factor`),
    and the alerts stored (an alert id is stable, so a rerun does not repeat it). Returns the alerts."""
    import pandas as pd

    from critmin.discourse.corpus import insert_frame

    items = load_items(warehouse)
    cands = change_points(items, min_support, tone_threshold, share_threshold)
    levels = (detector or levels_by_factor)(cands) if cands else []
    engine = engine if detector else "discourse levels (1, 1.5, 2, 3 x threshold)"
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = []
    for c, lvl in zip(cands, levels, strict=True):
        if not lvl:
            continue
        aid = "O-" + hashlib.sha1(f"{c['economy']}|{c['metric']}|{c['change_date']}|{lvl}".encode()).hexdigest()[:12]
        rows.append({"alert_id": aid, "level": lvl, **{k: c[k] for k in (
            "economy", "metric", "shift", "before", "after", "n_before", "n_after", "change_date", "latest",
            "threshold")}, "engine": engine, "evidence": c["evidence"], "raised_at": now})
    cols = ["alert_id", "level", "economy", "metric", "shift", "before", "after", "n_before", "n_after",
            "change_date", "latest", "threshold", "engine", "evidence", "raised_at"]
    alerts = pd.DataFrame(rows, columns=cols)
    if not alerts.empty:
        con = _connect(warehouse)
        try:
            known = {r[0] for r in con.execute(f"select alert_id from {ALERTS}").fetchall()}
            fresh = alerts[~alerts.alert_id.isin(known)]
            if not fresh.empty:
                insert_frame(con, ALERTS, fresh.copy())
        finally:
            con.close()
    return alerts


def write_page(warehouse=None, out: str | Path = "discourse_monitor.html", period: str = "week",
               economies: list[str] | None = None) -> str:
    """The monitoring page: tone per economy over time (marker size = items), frame shares per economy,
    tone per outlet and topic, the stored alerts and the method; one self-contained HTML file (Plotly inline),
    written to a temporary file and renamed."""
    import html

    import plotly.graph_objects as go

    from critmin.discourse import store

    items = load_items(warehouse, economies)
    s = series(items, ("economy",), period)
    con = store.connect(warehouse, read_only=True)
    try:
        have = con.execute("select count(*) from information_schema.tables where table_name = ?", [ALERTS]).fetchone()[0]
        alerts = con.execute(f"select level, economy, metric, round(shift, 3) as shift, n_before, n_after, change_date, "
                             f"latest, threshold, engine, evidence from {ALERTS} order by raised_at desc").df() \
            if have else None
    finally:
        con.close()
    tone = go.Figure()
    for econ, d in s.groupby("economy"):
        tone.add_trace(go.Scatter(x=d.period, y=d.tone, mode="lines+markers", name=econ,
                                  marker={"size": [6 + min(n, 30) for n in d.n_items]},
                                  text=[f"{n} items" for n in d.n_items]))
    tone.update_layout(title=f"Tone per economy and {period} (mean item polarity; marker size = items)",
                       yaxis_title="tone", template="plotly_white", height=420)
    share_cols = [f"share_{f}" for f in FRAMES]
    prof = items.groupby("economy")[share_cols].mean()
    frames = go.Figure()
    for f in FRAMES:
        frames.add_trace(go.Bar(x=prof.index, y=prof[f"share_{f}"], name=f))
    frames.update_layout(barmode="stack", title="Frame shares per economy (mean over items)",
                         template="plotly_white", height=420)
    by_outlet = series(items, ("economy", "outlet"), "month").groupby(["economy", "outlet"]).agg(
        n_items=("n_items", "sum"), tone=("tone", "mean")).reset_index()
    by_topic = items.assign(topic=items.topic.replace("", "(none)")).groupby(["economy", "topic"]).agg(
        n_items=("item_id", "count"), tone=("tone", "mean")).reset_index()

    def table(df) -> str:
        return df.round(3).to_html(index=False, border=0, classes="t", escape=True) if df is not None and len(df) \
            else "<p>none</p>"

    from critmin.html import figure_div
    from critmin.html import write_page as write_html_page

    body = "".join([  # a page of critmin's HTML family; plotly.js is the shared file beside it
        "<style>.t{border-collapse:collapse;font-size:13px}"
        ".t td,.t th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left}</style>",
        f"<p>{len(items)} items from {items.outlet.nunique()} outlets, {items.published.min()} to "
        f"{items.published.max()}; economies {html.escape(', '.join(sorted(items.economy.unique())))}.</p>",
        figure_div(tone), figure_div(frames),
        "<h2>Alerts / 预警</h2>", table(alerts),
        "<h2>Tone per outlet</h2>", table(by_outlet), "<h2>Tone per topic</h2>", table(by_topic),
        "<h2>Method</h2><p>", html.escape(" ".join((__doc__ or "").split())), "</p>",
    ])
    return str(write_html_page(out, "Public-opinion monitor / 舆情监测", body))
