"""Add user files (full BACI CSVs, UN Comtrade exports) to an existing warehouse, all-or-nothing.

Each call runs in one DuckDB transaction: files are validated in full before any row is kept, and any
error (or a kill) rolls everything back, so a bad file leaves the warehouse exactly as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from critmin.errors import InputError, UnknownCodeError
from critmin.sources.trade_checks import NUM

_LINE_RE = re.compile(r"[Ll]ine:?\s*(\d+)")


@dataclass
class IngestReport:
    file: str
    table: str
    rows: int = 0
    skipped_out_of_scope: int = 0
    skipped_aggregates: int = 0
    replaced: int = 0
    unknown_codes: list = field(default_factory=list)
    provenance_id: str = ""


def _read_raw(con, relation: tuple[str, dict], label: str) -> None:
    import duckdb

    sql, params = relation
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE raw AS {sql}", params)
    except duckdb.Error as exc:
        msg = str(exc).splitlines()[0]
        m = _LINE_RE.search(str(exc))
        raise InputError(label, int(m.group(1)) if m else None, None,
                         "a well-formed CSV row with the header's number of columns", msg) from None


def _open_rw(warehouse):
    from critmin.warehouse.handle import Warehouse

    return Warehouse.open(warehouse, read_only=False, command="ingest")


def _ensure_unknown_table(con) -> None:
    con.execute("""CREATE TABLE IF NOT EXISTS allowed_unknown_codes
                   (code VARCHAR, first_line BIGINT, field VARCHAR, provenance_id VARCHAR)""")


def ingest_baci(files, warehouse=None, allow_unknown: bool = False, progress: bool = True) -> list[IngestReport]:
    """Validate and add full BACI CSV files to ``trade``; a file's (year, HS6) slices replace older rows."""
    from critmin.catalog import load_catalog
    from critmin.progress import progress_bar
    from critmin.sources import baci_csv
    from critmin.sources.trade_checks import (
        canonical_select,
        check_raw,
        first_duplicate,
        raise_unknown_countries,
        unknown_countries,
    )
    from critmin.warehouse.build import insert_provenance
    from critmin.warehouse.validate import validate

    hs_scope = sorted(load_catalog().hs6_codes)
    reports = []
    with _open_rw(warehouse) as wh, progress_bar(progress) as bar:
        con = wh.con
        con.execute("CREATE OR REPLACE TEMP VIEW country_codes AS SELECT m49, iso3 FROM countries")
        con.execute("BEGIN TRANSACTION")
        try:
            task = bar.add_task("ingest BACI", total=len(files))
            for f in map(Path, files):
                label = str(f)
                baci_csv.check_file(f)
                _read_raw(con, baci_csv.raw_relation_sql(f), label)
                check_raw(con, "raw", label)
                first_duplicate(con, "raw", ["CAST(trim(t) AS INTEGER)", "CAST(trim(i) AS INTEGER)",
                                             "CAST(trim(j) AS INTEGER)", "lpad(trim(k), 6, '0')"], label,
                                "each flow (year t, exporter i, importer j, product k)")
                named_year = baci_csv.describe(f)["year"]
                if named_year is not None:
                    other = con.execute("SELECT line, t FROM raw WHERE CAST(trim(t) AS INTEGER) <> ? "
                                        "ORDER BY line LIMIT 1", [named_year]).fetchall()
                    if other:
                        raise InputError(label, int(other[0][0]), "t",
                                         f"the year {named_year} that the file name states", other[0][1])
                rep = IngestReport(file=label, table="trade")
                offenders = unknown_countries(con, "raw")
                prov = baci_csv.provenance(f, 0)
                pid = prov.provenance_id
                if offenders and not allow_unknown:
                    raise_unknown_countries(offenders, label)
                if offenders:
                    _ensure_unknown_table(con)
                    con.executemany("INSERT INTO allowed_unknown_codes VALUES (?, ?, ?, ?)",
                                    [(str(c), int(line), fld, pid) for c, line, fld in offenders])
                    rep.unknown_codes = [o[0] for o in offenders]
                if baci_csv.describe(f)["nomenclature"] == "HS92":  # codes checked against CEPII's HS92 list
                    from critmin.sources.geopolrisk_bundle import hs92_codes

                    bad_k = con.execute("""SELECT lpad(trim(k), 6, '0') AS code, min(line) FROM raw
                                           WHERE NOT list_contains(?::VARCHAR[], lpad(trim(k), 6, '0'))
                                           GROUP BY 1 ORDER BY 2""", [sorted(hs92_codes())]).fetchall()
                    if bad_k and not allow_unknown:
                        raise UnknownCodeError(label, int(bad_k[0][1]), "k", "HS92 product codes (unknown: "
                                               + ", ".join(b[0] for b in bad_k) + "; pass --allow-unknown)",
                                               bad_k[0][0], extra={"offenders": [b[0] for b in bad_k]})
                    rep.unknown_codes += [b[0] for b in bad_k]
                con.execute(f"CREATE OR REPLACE TEMP TABLE canon AS {canonical_select('raw')}", {"provenance_id": pid})
                in_scope = "hs6 IN (SELECT unnest(?::VARCHAR[]))"
                rep.skipped_out_of_scope = con.execute(
                    f"SELECT count(*) FROM canon WHERE NOT {in_scope}", [hs_scope]).fetchall()[0][0]
                superseded = con.execute(f"""
                    SELECT provenance_id, count(*) FROM trade WHERE provenance_id <> ? AND (year, hs6) IN
                        (SELECT DISTINCT year, hs6 FROM canon WHERE {in_scope}) GROUP BY 1""",
                                         [pid, hs_scope]).fetchall()
                rep.replaced = sum(n for _, n in superseded)
                con.execute(f"""DELETE FROM trade WHERE provenance_id <> ? AND (year, hs6) IN
                                (SELECT DISTINCT year, hs6 FROM canon WHERE {in_scope})""", [pid, hs_scope])
                for old_pid, n in superseded:  # provenance row counts keep matching the rows present
                    con.execute("""UPDATE provenance SET row_count = row_count - ?,
                                   note = trim(note || ' ' || ?) WHERE provenance_id = ?""",
                                [n, f"{n} rows superseded by {pid};", old_pid])
                con.execute("DELETE FROM trade WHERE provenance_id = ?", [pid])  # same file again: replace
                con.execute(f"INSERT INTO trade SELECT * FROM canon WHERE {in_scope}", [hs_scope])
                rep.rows = con.execute("SELECT count(*) FROM trade WHERE provenance_id = ?", [pid]).fetchall()[0][0]
                prov.row_count = rep.rows
                rep.provenance_id = insert_provenance(con, prov)
                reports.append(rep)
                bar.advance(task)
            validate(con, expect_bundle=False)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return reports


COMTRADE_FIRST_YEAR = 1962
COMTRADE_CHECKS = [
    ("refYear", f"a year between {COMTRADE_FIRST_YEAR} (Comtrade's first) and the current year",
     "refYear IS NULL OR NOT regexp_full_match(trim(refYear), '\\d{4}') "
     f"OR TRY_CAST(trim(refYear) AS INTEGER) NOT BETWEEN {COMTRADE_FIRST_YEAR} AND year(current_date)"),
    ("flowCode", "a flow code such as M (import) or X (export)", "flowCode IS NULL OR trim(flowCode) = ''"),
    ("cmdCode", "an HS code of digits (or TOTAL)",
     "cmdCode IS NULL OR NOT (regexp_full_match(trim(cmdCode), '\\d{2,6}') OR trim(cmdCode) = 'TOTAL')"),
    ("reporterISO", "an ISO3 country code", "reporterISO IS NULL OR NOT regexp_full_match(trim(reporterISO), '[A-Z0-9]{3}')"),
    ("partnerISO", "an ISO3 country code", "partnerISO IS NULL OR NOT regexp_full_match(trim(partnerISO), '[A-Z0-9]{3}')"),
    ("primaryValue", "a number (USD)", f"primaryValue IS NULL OR NOT regexp_matches(primaryValue, '{NUM}')"),
    ("primaryValue", "a non-negative value",
     f"regexp_matches(primaryValue, '{NUM}') AND TRY_CAST(primaryValue AS DOUBLE) < 0"),
    ("primaryValue", "a finite value (at most about 1.8e308)",
     f"regexp_matches(primaryValue, '{NUM}') AND NOT isfinite(TRY_CAST(primaryValue AS DOUBLE))"),
]
# The breakdown columns whose total row is kept (other values would count a flow twice): column -> total code.
COMTRADE_TOTALS = {"partner2Code": "0", "motCode": "0", "customsCode": "C00"}


def ingest_comtrade(files, warehouse=None, allow_unknown: bool = False, progress: bool = True) -> list[IngestReport]:
    """Validate and add UN Comtrade CSV exports to ``trade_comtrade`` (one transaction for all files)."""
    from critmin.catalog import load_catalog
    from critmin.errors import UnknownCodeError
    from critmin.progress import progress_bar
    from critmin.sources import comtrade_csv
    from critmin.sources.trade_checks import check_raw, first_duplicate
    from critmin.warehouse.build import insert_provenance

    hs_scope = sorted(load_catalog().hs6_codes)
    reports = []
    with _open_rw(warehouse) as wh, progress_bar(progress) as bar:
        con = wh.con
        con.execute("BEGIN TRANSACTION")
        try:
            task = bar.add_task("ingest Comtrade", total=len(files))
            for f in map(Path, files):
                label = str(f)
                header = comtrade_csv.read_header(f)
                _read_raw(con, comtrade_csv.raw_relation_sql(f, header), label)
                checks = list(COMTRADE_CHECKS)
                if "netWgt" in header:
                    checks.append(("netWgt", "a number (kg) or empty",
                                   f"netWgt IS NOT NULL AND trim(netWgt) <> '' AND NOT regexp_matches(netWgt, '{NUM}')"))
                    checks.append(("netWgt", "a non-negative weight",
                                   f"regexp_matches(coalesce(netWgt, ''), '{NUM}') AND TRY_CAST(netWgt AS DOUBLE) < 0"))
                    checks.append(("netWgt", "a finite weight (at most about 1.8e308)",
                                   f"regexp_matches(coalesce(netWgt, ''), '{NUM}') "
                                   "AND NOT isfinite(TRY_CAST(netWgt AS DOUBLE))"))
                check_raw(con, "raw", label, checks)
                rep = IngestReport(file=label, table="trade_comtrade")
                # rows that would double count: World partner, breakdowns other than totals, other flows
                keep = ["trim(partnerISO) NOT IN ('W00', 'WLD')", "trim(flowCode) IN ('M', 'X')",
                        "trim(cmdCode) <> 'TOTAL'"]
                totals = [col for col in COMTRADE_TOTALS if col in header]
                keep += [f"coalesce(trim({col}), ${col}) IN (${col}, '')" for col in totals]
                cond = " AND ".join(keep)
                con.execute(f"CREATE OR REPLACE TEMP TABLE kept AS SELECT * FROM raw WHERE {cond}",
                            {col: COMTRADE_TOTALS[col] for col in totals})
                period = ["trim(period)"] if "period" in header else []  # monthly exports: one row per month
                first_duplicate(con, "kept", ["trim(refYear)", *period, "trim(reporterISO)", "trim(partnerISO)",
                                              "trim(flowCode)", "lpad(trim(cmdCode), 6, '0')"], label,
                                "each declared flow (refYear, period, reporterISO, partnerISO, flowCode, cmdCode)")
                rep.skipped_aggregates = con.execute(
                    "SELECT (SELECT count(*) FROM raw) - (SELECT count(*) FROM kept)").fetchall()[0][0]
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
                rep.unknown_codes = [u[0] for u in unknown]
                years = con.execute("SELECT min(refYear) || '–' || max(refYear) FROM kept").fetchall()[0][0]
                prov = comtrade_csv.provenance(f, 0, years or "none")
                pid = prov.provenance_id
                wgt = "TRY_CAST(nullif(trim(netWgt), '') AS DOUBLE) / 1000" if "netWgt" in header else "NULL"
                con.execute(f"""CREATE OR REPLACE TEMP TABLE canon AS SELECT
                        CAST(trim(refYear) AS INTEGER) AS year, trim(reporterISO) AS reporter,
                        trim(partnerISO) AS partner, trim(flowCode) AS flow,
                        CASE WHEN trim(flowCode) = 'M' THEN trim(partnerISO) ELSE trim(reporterISO) END AS exporter,
                        CASE WHEN trim(flowCode) = 'M' THEN trim(reporterISO) ELSE trim(partnerISO) END AS importer,
                        lpad(trim(cmdCode), 6, '0') AS hs6, CAST(primaryValue AS DOUBLE) / 1000 AS value_kusd,
                        {wgt} AS qty_t, ? AS provenance_id FROM kept""", [pid])
                in_scope = "hs6 IN (SELECT unnest(?::VARCHAR[]))"
                rep.skipped_out_of_scope = con.execute(
                    f"SELECT count(*) FROM canon WHERE NOT {in_scope}", [hs_scope]).fetchall()[0][0]
                con.execute("DELETE FROM trade_comtrade WHERE provenance_id = ?", [pid])
                con.execute(f"INSERT INTO trade_comtrade SELECT * FROM canon WHERE {in_scope}", [hs_scope])
                rep.rows = con.execute("SELECT count(*) FROM trade_comtrade WHERE provenance_id = ?",
                                       [pid]).fetchall()[0][0]
                prov.row_count = rep.rows
                rep.provenance_id = insert_provenance(con, prov)
                reports.append(rep)
                bar.advance(task)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return reports
