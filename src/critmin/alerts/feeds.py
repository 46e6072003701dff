"""Operational feeds from CSV (seed 002's four triggers, or any other operational series).

Schema (UTF-8 CSV with a header; one observation per line):

| column    | required | meaning |
|-----------|----------|---------|
| feed      | yes      | feed / metric name, snake_case: licence_backlog_days, core_firm_disruption_index, corridor_status, strategic_stock_days, or another name a rule refers to |
| period    | yes      | YYYY, YYYY-MM or YYYY-MM-DD |
| value     | yes      | finite number; corridor_status also accepts open / restricted / blocked (0 / 1 / 2) |
| importer  | yes      | ISO3 or group id of the economy concerned (e.g. EU27, DEU) |
| material  | yes      | critmin material id (e.g. rare_earths) |
| stage     | no       | ore_concentrate, processed_refined, metal or compound |
| supplier  | no       | ISO3 of the supplying / controlling country |
| reference | see note | warning line in the feed's unit, finite and > 0; required for strategic_stock_days |
| unit      | no       | if given, must match the feed's unit (day, index, status, day_of_consumption) |
| source    | yes      | who reported the figure |
| vintage   | no       | date or label of the data release (default: the file's name) |

Bad rows are rejected with :class:`critmin.errors.InputError` naming the file, the line and the field; all
offending rows are listed in ``extra['errors']``. ``nan``, ``inf`` and overflowing numbers such as ``1e309``
are refused (a NaN warning line would silence a red stock alert), and so is a second row for the same feed,
importer, material, stage, supplier and period.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import TYPE_CHECKING

from critmin.catalog.models import STAGES as _CATALOG_STAGES
from critmin.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

FEEDS = {
    "licence_backlog_days": {"unit": "day", "min": 0, "max": None},
    "core_firm_disruption_index": {"unit": "index", "min": 0, "max": 100},
    "corridor_status": {"unit": "status", "min": 0, "max": 2},
    "strategic_stock_days": {"unit": "day_of_consumption", "min": 0, "max": None, "reference": True},
}
CORRIDOR_WORDS = {"open": 0, "normal": 0, "restricted": 1, "delayed": 1, "partial": 1, "blocked": 2, "closed": 2}
STAGES = set(_CATALOG_STAGES)  # the catalog's one stage vocabulary
REQUIRED = ("feed", "period", "value", "importer", "material", "source")
COLUMNS = ("feed", "period", "value", "importer", "material", "stage", "supplier", "reference", "unit",
           "source", "vintage")
_PERIOD = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,15}$")
_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


class FeedError(InputError):
    """A feed file has bad rows."""


def _finite(raw: str) -> float | None:
    """The number in ``raw``, or None when it is not one or not finite (nan, inf, 1e309 overflow)."""
    try:
        x = float(raw)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def _check_row(row: dict[str, str], materials: set[str] | None) -> list[tuple[str, str, str]]:
    """Problems of one row as (field, expected, got)."""
    import datetime as dt

    errs = []
    for c in REQUIRED:
        if not row.get(c, "").strip():
            errs.append((c, "a value (required column)", row.get(c, "")))
    if errs:
        return errs
    feed = row["feed"].strip()
    if not _SNAKE.match(feed):
        errs.append(("feed", "a snake_case feed name", feed))
    spec = FEEDS.get(feed, {})
    period = row["period"].strip()
    if not _PERIOD.match(period):
        errs.append(("period", "YYYY, YYYY-MM or YYYY-MM-DD", period))
    elif len(period) == 10:
        try:
            dt.date.fromisoformat(period)
        except ValueError:
            errs.append(("period", "a real calendar date", period))
    raw = row["value"].strip()
    value = CORRIDOR_WORDS.get(raw.lower()) if feed == "corridor_status" else None
    if value is None:
        value = _finite(raw)
        if value is None:
            words = "a finite number" + (" or one of " + "/".join(CORRIDOR_WORDS) if feed == "corridor_status" else "")
            errs.append(("value", words, raw))
    if value is not None and spec:
        lo, hi = spec["min"], spec["max"]
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            errs.append(("value", f"a finite number in [{lo}, " + (f"{hi}]" if hi is not None else "∞)"), raw))
    for c in ("importer",) + (("supplier",) if row.get("supplier", "").strip() else ()):
        if not _CODE.match(row[c].strip()):
            errs.append((c, "an ISO3 code or group id in capitals (e.g. DEU, EU27)", row[c]))
    mat = row["material"].strip()
    if not _SNAKE.match(mat) or (materials is not None and mat not in materials):
        errs.append(("material", "a critmin material id (e.g. rare_earths)", mat))
    stage = row.get("stage", "").strip()
    if stage and stage not in STAGES:
        errs.append(("stage", "one of " + ", ".join(sorted(STAGES)), stage))
    ref = row.get("reference", "").strip()
    if ref:
        r = _finite(ref)
        if r is None or r <= 0:
            errs.append(("reference", "a positive finite number (the warning line)", ref))
    elif spec.get("reference"):
        errs.append(("reference", "the warning line (required for this feed)", ""))
    unit = row.get("unit", "").strip()
    if unit and spec and unit != spec["unit"]:
        errs.append(("unit", f"'{spec['unit']}' for {feed}", unit))
    return errs


def load_feed(path: str | Path, materials: set[str] | None = None) -> pd.DataFrame:
    """Read an operational feed CSV into the evaluator's series table (columns: metric, importer, material,
    stage, supplier, period, value, reference, vintage, source). Raises FeedError on any bad row."""
    import csv
    import io

    import pandas as pd

    from critmin.readtext import read_text

    path = Path(path)
    name = str(path)
    text = read_text(path, "a readable CSV file", FeedError, encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        rows, problems = _read_rows(reader, name, path.name, materials)
    except csv.Error as exc:  # a NUL byte, a field over the csv module's size limit, …
        raise FeedError(name, reader.line_num or None, None, "a well-formed CSV file", str(exc)) from None
    if problems:
        line, field, expected, got = problems[0]
        raise FeedError(name, line, field, expected, got,
                        extra={"errors": [{"line": p[0], "field": p[1], "expected": p[2], "got": p[3]}
                                          for p in problems]})
    cols = ["metric", "importer", "material", "stage", "supplier", "period", "value", "reference", "vintage",
            "source"]
    df = pd.DataFrame(rows, columns=[*cols, "line"])
    keys = ["metric", "importer", "material", "stage", "supplier", "period"]
    dup = df.duplicated(keys, keep="first")
    if dup.any():
        again = df[dup].iloc[0]
        first = df.loc[(df[keys] == again[keys]).all(axis=1), "line"].iloc[0]
        raise FeedError(name, int(again["line"]), "period", "one row per feed, importer, material, stage, "
                        f"supplier and period (this one is already at line {first})", again["period"])
    return df[cols]


def _read_rows(reader, name: str, default_vintage: str, materials: set[str] | None):
    """Checked rows and the problems found (line, field, expected, got)."""
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise FeedError(name, 1, missing[0], f"a header with columns {', '.join(REQUIRED)}", header)
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise FeedError(name, 1, unknown[0], "only the columns " + ", ".join(COLUMNS), unknown[0])
    twice = [h for k, h in enumerate(header) if h in header[:k]]
    if twice:
        raise FeedError(name, 1, twice[0], "each column once in the header", twice[0])
    rows, problems = [], []
    for row in reader:
        line = reader.line_num
        row = {(k or "").strip(): (v or "") for k, v in row.items()}
        if None in row or "" in row:
            problems.append((line, "(row)", f"{len(header)} fields", "extra fields"))
            continue
        errs = _check_row(row, materials)
        if errs:
            problems.extend((line, *e) for e in errs)
            continue
        raw = row["value"].strip()
        value = CORRIDOR_WORDS.get(raw.lower(), None) if row["feed"].strip() == "corridor_status" else None
        rows.append({
            "metric": row["feed"].strip(), "importer": row["importer"].strip(),
            "material": row["material"].strip(), "stage": row.get("stage", "").strip(),
            "supplier": row.get("supplier", "").strip(), "period": row["period"].strip(),
            "value": float(raw) if value is None else float(value),
            "reference": float(row["reference"]) if row.get("reference", "").strip() else float("nan"),
            "vintage": row.get("vintage", "").strip() or default_vintage, "source": row["source"].strip(),
            "line": line,
        })
    return rows, problems


def sample_feed_path() -> Path:
    """The bundled sample feed (all four operational triggers)."""
    from importlib import resources

    return Path(str(resources.files("critmin.alerts") / "data" / "sample_feed.csv"))
