"""Adapter for UN Comtrade CSV exports (the columns the ``comtradeapicall`` package returns).

Comtrade rows are what one reporter declared: flow ``M`` (imports: partner → reporter) or ``X`` (exports:
reporter → partner). Values are USD (``primaryValue``), weights kg (``netWgt``). Rows that would double count
are skipped and reported: partner ``W00``/World (code 0), second-partner, mode-of-transport or customs-procedure
breakdowns other than their totals, and re-export/re-import flows. Rows go to ``trade_comtrade``, never mixed
with BACI's reconciled ``trade``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from critmin.errors import InputError, UnknownCodeError
from critmin.sources.base import Checked, Raw
from critmin.sources.files import header_columns, read_csv_sql, require_complete, stage
from critmin.sources.provenance import Provenance, sha256_file
from critmin.sources.trade_checks import NUM

SOURCE = "UN Comtrade (user export)"
REQUIRED = ["refYear", "reporterISO", "partnerISO", "flowCode", "cmdCode", "primaryValue"]
OPTIONAL = ["netWgt", "partnerCode", "partner2Code", "motCode", "customsCode", "freqCode"]
FLOWS = {"M": "import", "X": "export"}
FIRST_YEAR = 1962  # Comtrade's first year
CHECKS = [
    ("refYear", f"a year between {FIRST_YEAR} (Comtrade's first) and the current year",
     "refYear IS NULL OR NOT regexp_full_match(trim(refYear), '\\d{4}') "
     f"OR TRY_CAST(trim(refYear) AS INTEGER) NOT BETWEEN {FIRST_YEAR} AND year(current_date)"),
    ("flowCode", "a flow code such as M (import) or X (export)", "flowCode IS NULL OR trim(flowCode) = ''"),
    ("cmdCode", "an HS code of digits (or TOTAL)",
     "cmdCode IS NULL OR NOT (regexp_full_match(trim(cmdCode), '\\d{2,6}') OR trim(cmdCode) = 'TOTAL')"),
    ("reporterISO", "an ISO3 country code",
     "reporterISO IS NULL OR NOT regexp_full_match(trim(reporterISO), '[A-Z0-9]{3}')"),
    ("partnerISO", "an ISO3 country code",
     "partnerISO IS NULL OR NOT regexp_full_match(trim(partnerISO), '[A-Z0-9]{3}')"),
    ("primaryValue", "a number (USD)", f"primaryValue IS NULL OR NOT regexp_matches(primaryValue, '{NUM}')"),
    ("primaryValue", "a non-negative value",
     f"regexp_matches(primaryValue, '{NUM}') AND TRY_CAST(primaryValue AS DOUBLE) < 0"),
    ("primaryValue", "a finite value (at most about 1.8e308)",
     f"regexp_matches(primaryValue, '{NUM}') AND NOT isfinite(TRY_CAST(primaryValue AS DOUBLE))"),
]
WEIGHT_CHECKS = [
    ("netWgt", "a number (kg) or empty",
     f"netWgt IS NOT NULL AND trim(netWgt) <> '' AND NOT regexp_matches(netWgt, '{NUM}')"),
    ("netWgt", "a non-negative weight",
     f"regexp_matches(coalesce(netWgt, ''), '{NUM}') AND TRY_CAST(netWgt AS DOUBLE) < 0"),
    ("netWgt", "a finite weight (at most about 1.8e308)",
     f"regexp_matches(coalesce(netWgt, ''), '{NUM}') AND NOT isfinite(TRY_CAST(netWgt AS DOUBLE))"),
]
# The breakdown columns whose total row is kept (other values would count a flow twice): column -> total code.
TOTALS = {"partner2Code": "0", "motCode": "0", "customsCode": "C00"}


def read_header(path: Path) -> list[str]:
    """Column names of an export; the required ones must be there and the file complete."""
    cols = header_columns(path, "a readable UTF-8 CSV file")
    missing = [c for c in REQUIRED if c not in cols]
    if missing:
        raise InputError(str(path), 1, "header", f"Comtrade columns including {', '.join(REQUIRED)}",
                         f"missing {', '.join(missing)}")
    require_complete(path)
    return cols


def raw_relation_sql(path: Path, header: list[str]) -> tuple[str, dict]:
    """DuckDB SQL (and its parameters) reading the export as text columns plus a line number. Header names
    are bound as a parameter (a header cell is data and can hold quotes)."""
    return read_csv_sql(path, header)


class ComtradeCsv:
    name = "comtrade_csv"
    source = SOURCE
    kind = "file"
    tables = ("trade_comtrade",)

    def detect(self, path: Path) -> bool:
        try:
            return set(REQUIRED) <= set(header_columns(Path(path), "a CSV file"))
        except InputError:
            return False

    def inputs(self, table: str) -> dict[str, str]:
        return {}

    def read_raw(self, con, table: str = "trade_comtrade", path: Path | None = None) -> Iterator[Raw]:
        path = Path(path)
        header = read_header(path)
        stage(con, "raw", raw_relation_sql(path, header), str(path))
        yield Raw("trade_comtrade", "raw", str(path), path, {"header": header})

    def check(self, con, raw: Raw, allow_unknown: bool = False) -> Checked:
        """Codes, years and numbers; aggregates and breakdowns dropped (counted); each declared flow once; known
        ISO3 codes (listed in full, or allowed)."""
        from critmin.sources.trade_checks import check_raw, first_duplicate

        label, header = raw.label, raw.info["header"]
        check_raw(con, raw.relation, label, CHECKS + (WEIGHT_CHECKS if "netWgt" in header else []))
        # rows that would double count: World partner, breakdowns other than totals, other flows
        keep = ["trim(partnerISO) NOT IN ('W00', 'WLD')", "trim(flowCode) IN ('M', 'X')", "trim(cmdCode) <> 'TOTAL'"]
        totals = [col for col in TOTALS if col in header]
        keep += [f"coalesce(trim({col}), ${col}) IN (${col}, '')" for col in totals]
        con.execute(f"CREATE OR REPLACE TEMP TABLE kept AS SELECT * FROM {raw.relation} WHERE {' AND '.join(keep)}",
                    {col: TOTALS[col] for col in totals})
        period = ["trim(period)"] if "period" in header else []  # monthly exports: one row per month
        first_duplicate(con, "kept", ["trim(refYear)", *period, "trim(reporterISO)", "trim(partnerISO)",
                                      "trim(flowCode)", "lpad(trim(cmdCode), 6, '0')"], label,
                        "each declared flow (refYear, period, reporterISO, partnerISO, flowCode, cmdCode)")
        skipped = con.execute(f"SELECT (SELECT count(*) FROM {raw.relation}) - (SELECT count(*) FROM kept)"
                              ).fetchall()[0][0]
        unknown = con.execute("""
            SELECT code, min(line), min(field) FROM (
                SELECT trim(reporterISO) code, line, 'reporterISO' field FROM kept
                UNION ALL SELECT trim(partnerISO), line, 'partnerISO' FROM kept)
            WHERE code NOT IN (SELECT iso3 FROM countries) GROUP BY code ORDER BY 2""").fetchall()
        if unknown and not allow_unknown:
            c, line, fld = unknown[0]
            raise UnknownCodeError(label, int(line), fld, "ISO3 codes known to the catalog (unknown: "
                                   + ", ".join(u[0] for u in unknown) + "; pass --allow-unknown)", c,
                                   extra={"offenders": [u[0] for u in unknown]})
        raw.info["years"] = con.execute("SELECT min(refYear) || '–' || max(refYear) FROM kept").fetchall()[0][0]
        return Checked("kept", skipped_aggregates=skipped, unknown=unknown)

    def canonical_select(self, raw: Raw, checked: Checked) -> str:
        """Declared flows as exporter → importer; USD to thousand USD, kg to tonnes."""
        wgt = "TRY_CAST(nullif(trim(netWgt), '') AS DOUBLE) / 1000" if "netWgt" in raw.info["header"] else "NULL"
        # the month of a monthly extract (period YYYYMM); NULL for an annual row, which covers the whole year
        period = ("CASE WHEN regexp_full_match(trim(period), '\\d{6}') THEN trim(period) END"
                  if "period" in raw.info["header"] else "NULL")
        return f"""SELECT CAST(trim(refYear) AS INTEGER) AS year, trim(reporterISO) AS reporter,
                trim(partnerISO) AS partner, trim(flowCode) AS flow,
                CASE WHEN trim(flowCode) = 'M' THEN trim(partnerISO) ELSE trim(reporterISO) END AS exporter,
                CASE WHEN trim(flowCode) = 'M' THEN trim(reporterISO) ELSE trim(partnerISO) END AS importer,
                lpad(trim(cmdCode), 6, '0') AS hs6, CAST(primaryValue AS DOUBLE) / 1000 AS value_kusd,
                {wgt} AS qty_t, $provenance_id AS provenance_id, {period} AS period FROM {checked.relation}"""

    def provenance(self, raw: Raw, row_count: int) -> Provenance:
        path = raw.path
        return Provenance(
            source=SOURCE, file=str(path.resolve()), table="trade_comtrade", row_count=row_count,
            sha256=sha256_file(path),
            vintage=f"UN Comtrade final data, years {raw.info.get('years') or 'none'} (as exported by the user)",
            licence="UN Comtrade terms of use", url="https://comtradeplus.un.org/",
        )


ADAPTER = ComtradeCsv()
