"""Regenerate src/critmin/sources/data/hs_correlation_unsd.csv from the UNSD HS correlation workbooks.

Development-time only (critmin downloads nothing at run time). The UNSD workbooks "HS2017 to HS1992" and
"HS2022 to HS1992 Conversion and Correlation Tables" each hold two sheets: a *conversion* sheet (every later
code assigned to exactly one HS1992 code, UNSD's own choice for converting data) and a *correlation* sheet
(every HS1992 code the later code overlaps). The copies used are the ones carried in the public repository
insongkim/concordance (data-raw/, see hs_correlation_unsd.yaml for the commit). Usage::

    python scripts/build_hs_correlation.py /path/to/concordance-git-dir-or-checkout [OUT.csv]

Output: one row per later-revision code: revision, code, hs92 (UNSD's conversion target), hs92_links (every
HS1992 code of the correlation sheet, space-separated, sorted).
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import openpyxl

WORKBOOKS = {"HS17": "data-raw/HS2017toHS1992ConversionAndCorrelationTables.xlsx",
             "HS22": "data-raw/HS2022toHS1992ConversionAndCorrelationTables.xlsx"}
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src/critmin/sources/data/hs_correlation_unsd.csv"


def _workbook(repo: Path, rel: str):
    if (repo / rel).is_file():  # a checkout
        return openpyxl.load_workbook(repo / rel, read_only=True)
    blob = subprocess.run(["git", "-C", str(repo), "show", f"HEAD:{rel}"], check=True, capture_output=True).stdout
    return openpyxl.load_workbook(io.BytesIO(blob), read_only=True)


def _codes(ws, skip: int) -> list[tuple[str, str]]:
    out = []
    for rec in list(ws.iter_rows(values_only=True))[skip:]:
        if rec and rec[0] and rec[1]:
            a, b = str(rec[0]).strip().zfill(6), str(rec[1]).strip().zfill(6)
            if not (a.isdigit() and b.isdigit() and len(a) == len(b) == 6):
                raise ValueError(f"{ws.title}: not a pair of HS6 codes: {rec!r}")
            out.append((a, b))
    return out


def build(repo: Path) -> list[tuple[str, str, str, str]]:
    rows = []
    for revision, rel in WORKBOOKS.items():
        wb = _workbook(repo, rel)
        conv_ws, corr_ws = wb.worksheets[0], wb.worksheets[1]
        if "conver" not in conv_ws.title.lower() or "correl" not in corr_ws.title.lower():
            raise ValueError(f"{rel}: sheets {wb.sheetnames}, expected Conversion then Correlation")
        conversion = dict(_codes(conv_ws, 1))          # header row
        links: dict[str, set[str]] = {}
        for a, b in _codes(corr_ws, 2):               # title row "Between", then header row
            links.setdefault(a, set()).add(b)
        for code in sorted(conversion):
            targets = links.get(code, set()) | {conversion[code]}
            rows.append((revision, code, conversion[code], " ".join(sorted(targets))))
    return rows


def main(argv: list[str]) -> None:
    repo = Path(argv[1])
    out = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUT
    rows = build(repo)
    tmp = out.with_suffix(".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["revision", "code", "hs92", "hs92_links"])
        w.writerows(rows)
    tmp.replace(out)
    print(f"{out}: {len(rows)} rows")


if __name__ == "__main__":
    main(sys.argv)
