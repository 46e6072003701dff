"""HS correlation tables, to load BACI files of a later HS revision under HS92 codes.

Two kinds. **Bundled**: UNSD's HS2017→HS1992 and HS2022→HS1992 tables (``data/hs_correlation_unsd.csv``,
provenance in ``data/hs_correlation_unsd.yaml``), the default for HS17 and HS22 files. A one-to-many code goes
whole to UNSD's own conversion target and is marked (ingest report, provenance note, table
``trade_hs_conversion``): the official tables give links, not weights, and an equal split would invent them.
**The user's**, which overrides the bundled one: ``--correlation FILE``, a CSV whose header names the two
revisions and, optionally, split shares::

    HS17,HS92,share
    811292,811291,
    282739,282739,0.5
    282739,282790,0.5

Rules (each broken one is an error naming the file, line and field):

* the target revision is HS92 (the catalog's); the source revision is the BACI file's;
* one-to-one and many-to-one rows need no share (many-to-one flows are summed under the one HS92 code);
* a code mapped to several HS92 codes (one-to-many) needs a share on each of its rows, summing to 1: the
  value and quantity are split by these shares, which the user chooses and documents (the official tables
  give the links, not the weights);
* every code of the BACI file must be in the table (a code left out would be lost).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from critmin.errors import InputError

TARGET = "HS92"


@dataclass
class Correlation:
    path: Path
    source: str                              # the revision converted from, e.g. HS17
    rows: list[tuple[str, str, float]]       # (from code, HS92 code, share)
    sha256: str
    bundled: bool = False
    links: dict[str, str] = field(default_factory=dict)  # bundled: one-to-many code → all its HS92 links

    @property
    def label(self) -> str:
        who = "bundled UNSD " if self.bundled else ""
        return f"{who}{self.source}→{TARGET} correlation {self.path.name} (sha256 {self.sha256[:12]}…)"


BUNDLED = Path(__file__).parent / "data" / "hs_correlation_unsd.csv"
BUNDLED_METHOD = ("one-to-many code filed whole under UNSD's conversion target (no trade shares in the "
                  "official tables; not split)")


def bundled_revisions() -> tuple[str, ...]:
    return ("HS17", "HS22")


def bundled_correlation(revision: str) -> Correlation | None:
    """UNSD's ``revision``→HS92 table as bundled (one HS92 code per code: UNSD's conversion), or None when
    critmin bundles none for that revision."""
    from critmin.sources.provenance import sha256_file

    if revision not in bundled_revisions():
        return None
    rows, links = [], {}
    with open(BUNDLED, encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            if rec["revision"] == revision:
                rows.append((rec["code"], rec["hs92"], 1.0))
                if " " in rec["hs92_links"]:
                    links[rec["code"]] = rec["hs92_links"]
    return Correlation(BUNDLED, revision, rows, sha256_file(BUNDLED), bundled=True, links=links)


def record_one_to_many(con, corr: Correlation, relation: str, provenance_id: str) -> list[tuple[str, str, str]]:
    """The file's one-to-many codes (bundled table only) into ``trade_hs_conversion``, keyed by provenance, so
    a reader can tell which HS92 rows of this file hold a flow UNSD links to several HS92 codes."""
    con.execute("""CREATE TABLE IF NOT EXISTS trade_hs_conversion (provenance_id VARCHAR, revision VARCHAR,
                   code VARCHAR, hs92 VARCHAR, hs92_links VARCHAR, method VARCHAR)""")
    con.execute("DELETE FROM trade_hs_conversion WHERE provenance_id = ?", [provenance_id])
    if not corr.bundled or not corr.links:
        return []
    target = {src: dst for src, dst, _ in corr.rows}
    codes = [c for (c,) in con.execute(f"SELECT DISTINCT lpad(trim(k), 6, '0') FROM {relation} ORDER BY 1")
             .fetchall() if c in corr.links]
    out = [(c, target[c], corr.links[c]) for c in codes]
    if out:
        con.executemany("INSERT INTO trade_hs_conversion VALUES (?, ?, ?, ?, ?, ?)",
                        [(provenance_id, corr.source, c, d, ln, BUNDLED_METHOD) for c, d, ln in out])
    return out


def prune_conversions(con) -> int:
    """Drop ``trade_hs_conversion`` rows that point at no trade row any more (their file's rows of that HS92 code
    were replaced by a later file, or are gone), so the table never marks flows that are not there; returns
    how many were dropped. Run after every change to ``trade`` (ingest, rebuild)."""
    exists = con.execute("""SELECT count(*) FROM duckdb_tables() WHERE table_name = 'trade_hs_conversion'
                            AND database_name = current_database()""").fetchall()[0][0]
    if not exists:
        return 0
    (n,) = con.execute("""DELETE FROM trade_hs_conversion c WHERE NOT EXISTS (
                              SELECT 1 FROM trade t WHERE t.provenance_id = c.provenance_id AND t.hs6 = c.hs92)
                          """).fetchall()[0]
    return int(n)


def read_correlation(path, revisions: tuple[str, ...]) -> Correlation:
    from critmin.sources.provenance import sha256_file

    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), None, None, "an existing correlation CSV file")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = [c.strip().upper() for c in next(reader, [])]
        if len(header) not in (2, 3) or header[0] not in revisions or header[1] != TARGET or (
                len(header) == 3 and header[2] != "SHARE"):
            raise InputError(str(path), 1, "header", f"FROM,{TARGET}[,share] with FROM one of "
                             + ", ".join(r for r in revisions if r != TARGET), ",".join(header))
        rows, by_code = [], {}
        for line, rec in enumerate(reader, start=2):
            if not rec or not "".join(rec).strip():
                continue
            rec = [c.strip() for c in rec] + [""] * (3 - len(rec))
            for field, code in zip(header[:2], rec[:2], strict=True):
                if not code.isdigit() or not 4 <= len(code) <= 6:
                    raise InputError(str(path), line, field, "an HS6 code of up to six digits", code)
            share = rec[2] if len(header) == 3 else ""
            try:
                value = float(share) if share else None
            except ValueError:
                raise InputError(str(path), line, "share", "a number between 0 and 1, or empty", share) from None
            if value is not None and not 0 < value <= 1:
                raise InputError(str(path), line, "share", "a number between 0 and 1, or empty", share)
            src, dst = rec[0].zfill(6), rec[1].zfill(6)
            by_code.setdefault(src, []).append((line, dst, value))
            rows.append((src, dst, value))
    out = []
    for src, links in by_code.items():
        if len(links) == 1:
            line, dst, value = links[0]
            if value not in (None, 1.0):
                raise InputError(str(path), line, "share", f"1 or empty: {src} has one HS92 code", value)
            out.append((src, dst, 1.0))
            continue
        missing = [ln for ln, _, v in links if v is None]
        if missing:
            raise InputError(str(path), missing[0], "share", f"a share on each row of {src}, which maps to "
                             f"{len(links)} HS92 codes (one-to-many: the split must be stated)", "")
        total = sum(v for _, _, v in links)
        if abs(total - 1) > 1e-6:
            raise InputError(str(path), links[-1][0], "share", f"shares of {src} summing to 1", round(total, 9))
        out += [(src, dst, v) for _, dst, v in links]
    return Correlation(path, header[0], out, sha256_file(path))


def stage_correlation(con, corr: Correlation) -> None:
    """The table as temp table ``hs_corr`` (from_code, hs6, share) for the canonical select."""
    import pandas as pd

    con.register("_corr", pd.DataFrame(corr.rows, columns=["from_code", "hs6", "share"]))
    con.execute("CREATE OR REPLACE TEMP TABLE hs_corr AS SELECT * FROM _corr")
    con.unregister("_corr")
