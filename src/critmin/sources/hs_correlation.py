"""HS correlation tables the user supplies, to load BACI files of a later HS revision under HS92 codes.

critmin bundles no correlation table: the official ones (UN Statistics Division, from the WCO's correlation
tables) are not carried by any installable package, and critmin fetches nothing at run time. A user who has
the table passes it with ``--correlation FILE``: a CSV whose header names the two revisions and, optionally,
split shares::

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
from dataclasses import dataclass
from pathlib import Path

from critmin.errors import InputError

TARGET = "HS92"


@dataclass
class Correlation:
    path: Path
    source: str                              # the revision converted from, e.g. HS17
    rows: list[tuple[str, str, float]]       # (from code, HS92 code, share)
    sha256: str

    @property
    def label(self) -> str:
        return f"{self.source}→{TARGET} correlation {self.path.name} (sha256 {self.sha256[:12]}…)"


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
