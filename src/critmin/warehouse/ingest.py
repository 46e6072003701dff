"""Add user files (full BACI CSVs, UN Comtrade exports, any registered file adapter) to an existing warehouse,
all-or-nothing.

Each call runs in one DuckDB transaction under the writer lock: files are validated in full by their adapter
before any row is kept, and any error (or a kill) rolls everything back, so a bad file leaves the warehouse
exactly as it was. How rows join a table is the warehouse's rule, not the source's: in ``trade`` a file's
(year, HS6) slices replace older rows of those slices (so a rebuild can re-apply them, never duplicate them);
elsewhere the same file loaded again replaces its own rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


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
    adapter: str = ""


def _open_rw(warehouse):
    from critmin.warehouse.handle import Warehouse

    return Warehouse.open(warehouse, read_only=False, command="ingest")


def _ensure_unknown_table(con) -> None:
    con.execute("""CREATE TABLE IF NOT EXISTS allowed_unknown_codes
                   (code VARCHAR, first_line BIGINT, field VARCHAR, provenance_id VARCHAR)""")


def ingest_files(files, warehouse=None, allow_unknown: bool = False, progress: bool = True,
                 adapter: str | None = None) -> list[IngestReport]:
    """Validate and add user files, each read by the file adapter ``adapter`` (a registry name) or, if None, by
    the one whose ``detect`` recognises it; one transaction for all files."""
    from critmin.catalog import load_catalog
    from critmin.errors import UsageError
    from critmin.progress import progress_bar
    from critmin.sources import ADAPTERS, detect, of_kind
    from critmin.warehouse.validate import validate

    files = [Path(f) for f in files]
    if adapter is not None and adapter not in {a.name for a in of_kind("file")}:
        raise UsageError(f"unknown file adapter '{adapter}'; expected one of "
                         f"{', '.join(a.name for a in of_kind('file'))}")
    chosen = [ADAPTERS[adapter] if adapter else detect(f) for f in files]
    hs_scope = sorted(load_catalog().hs6_codes)
    reports = []
    with _open_rw(warehouse) as wh, progress_bar(progress) as bar:
        con = wh.con
        con.execute("CREATE OR REPLACE TEMP VIEW country_codes AS SELECT m49, iso3 FROM countries")
        con.execute("BEGIN TRANSACTION")
        try:
            task = bar.add_task(f"ingest {adapter or 'files'}", total=len(files))
            for f, a in zip(files, chosen, strict=True):
                reports.append(_ingest_one(con, a, f, allow_unknown, hs_scope))
                bar.advance(task)
            validate(con, expect_bundle=False)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return reports


def ingest_baci(files, warehouse=None, allow_unknown: bool = False, progress: bool = True) -> list[IngestReport]:
    """Validate and add full BACI CSV files to ``trade``; a file's (year, HS6) slices replace older rows."""
    return ingest_files(files, warehouse, allow_unknown, progress, adapter="baci_csv")


def ingest_comtrade(files, warehouse=None, allow_unknown: bool = False, progress: bool = True) -> list[IngestReport]:
    """Validate and add UN Comtrade CSV exports to ``trade_comtrade``."""
    return ingest_files(files, warehouse, allow_unknown, progress, adapter="comtrade_csv")


def _ingest_one(con, adapter, path: Path, allow_unknown: bool, hs_scope: list[str]) -> IngestReport:
    """One file through its adapter (read raw, check, provenance, canonical rows into temp table ``canon``),
    then merged into the target table by that table's rule. File tables hold HS6 codes; rows outside the
    catalog's codes are counted and skipped."""
    from critmin.warehouse.build import insert_provenance

    (table,) = adapter.tables
    rep = IngestReport(file=str(path), table=table, adapter=adapter.name)
    prov, verb = None, "CREATE OR REPLACE TEMP TABLE canon AS"
    for raw in adapter.read_raw(con, table, path):
        checked = adapter.check(con, raw, allow_unknown)
        prov = prov or adapter.provenance(raw, 0)
        rep.skipped_aggregates += checked.skipped_aggregates
        if checked.unknown:
            _ensure_unknown_table(con)
            con.executemany("INSERT INTO allowed_unknown_codes VALUES (?, ?, ?, ?)",
                            [(str(c), int(line), fld, prov.provenance_id) for c, line, fld in checked.unknown])
            rep.unknown_codes += [u[0] for u in checked.unknown]
        con.execute(f"{verb} {adapter.canonical_select(raw, checked)}", {"provenance_id": prov.provenance_id})
        verb = "INSERT INTO canon"
    pid = prov.provenance_id
    in_scope = "hs6 IN (SELECT unnest(?::VARCHAR[]))"
    rep.skipped_out_of_scope = con.execute(f"SELECT count(*) FROM canon WHERE NOT {in_scope}",
                                           [hs_scope]).fetchall()[0][0]
    if table == "trade":  # the file's (year, HS6) slices supersede every other provenance's rows there
        superseded = con.execute(f"""
            SELECT provenance_id, count(*) FROM trade WHERE provenance_id <> ? AND (year, hs6) IN
                (SELECT DISTINCT year, hs6 FROM canon WHERE {in_scope}) GROUP BY 1""", [pid, hs_scope]).fetchall()
        rep.replaced = sum(n for _, n in superseded)
        con.execute(f"""DELETE FROM trade WHERE provenance_id <> ? AND (year, hs6) IN
                        (SELECT DISTINCT year, hs6 FROM canon WHERE {in_scope})""", [pid, hs_scope])
        for old_pid, n in superseded:  # provenance row counts keep matching the rows present
            con.execute("""UPDATE provenance SET row_count = row_count - ?,
                           note = trim(note || ' ' || ?) WHERE provenance_id = ?""",
                        [n, f"{n} rows superseded by {pid};", old_pid])
    con.execute(f"DELETE FROM {table} WHERE provenance_id = ?", [pid])  # the same file again: replace its rows
    con.execute(f"INSERT INTO {table} SELECT * FROM canon WHERE {in_scope}", [hs_scope])
    rep.rows = con.execute(f"SELECT count(*) FROM {table} WHERE provenance_id = ?", [pid]).fetchall()[0][0]
    prov.row_count = rep.rows
    rep.provenance_id = insert_provenance(con, prov)
    return rep
