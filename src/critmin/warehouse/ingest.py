"""Add user files (full BACI CSVs, UN Comtrade exports, any registered file adapter) to an existing warehouse,
all-or-nothing.

Each call runs in one DuckDB transaction under the writer lock: files are validated in full by their adapter
before any row is kept, and any error (or a kill) rolls everything back, so a bad file leaves the warehouse
exactly as it was. How rows join a table is the warehouse's rule, not the source's: in ``trade`` a file's
(year, HS6) slices replace older rows of those slices (so a rebuild can re-apply them, never duplicate them);
elsewhere the same file loaded again replaces its own rows.

Nothing already in the warehouse is replaced unless the caller says so (``replace=True``, ``--replace``): a
file whose slices hold other rows is refused with what it would replace, and ``dry_run=True`` runs every check
and the merge, reports, and rolls back. Every HS6 code is kept, catalogued or not (rows outside the catalog are
counted, and reachable with ``--hs6``), and each row keeps its provenance record (source, release, file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class IngestReport:
    file: str
    table: str
    rows: int = 0
    uncatalogued: int = 0           # rows kept whose HS6 code is in no catalog material
    uncatalogued_codes: int = 0
    skipped_aggregates: int = 0
    replaced: int = 0
    replaced_detail: list = field(default_factory=list)  # [{provenance_id, source, rows, years, codes}]
    uv_flagged: int = 0
    one_to_many: list = field(default_factory=list)  # [(code, HS92 target, all HS92 links)] bundled UNSD table
    dry_run: bool = False
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
                 adapter: str | None = None, replace: bool = False, dry_run: bool = False,
                 hs_revision: str | None = None, correlation=None) -> list[IngestReport]:
    """Validate and add user files, each read by the file adapter ``adapter`` (a registry name) or, if None, by
    the one whose ``detect`` recognises it; one transaction for all files.

    ``replace``: rows already present may be replaced (else a file that would replace any is refused);
    ``dry_run``: everything is checked and reported, nothing is kept; ``hs_revision``: the HS revision of BACI
    files whose name does not state it (``HS92``, ``HS17``, …); ``correlation``: the user's correlation CSV
    converting a later revision to HS92 (:mod:`critmin.sources.hs_correlation`)."""
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
    # a dry run goes through the merge (so it can say what it would replace) and is rolled back
    options = {"replace": replace or dry_run, "hs_revision": hs_revision, "correlation": correlation}
    reports = []
    with _open_rw(warehouse) as wh, progress_bar(progress) as bar:
        con = wh.con
        con.execute("CREATE OR REPLACE TEMP VIEW country_codes AS SELECT m49, iso3 FROM countries")
        con.execute("BEGIN TRANSACTION")
        try:
            task = bar.add_task(f"ingest {adapter or 'files'}", total=len(files))
            for f, a in zip(files, chosen, strict=True):
                reports.append(_ingest_one(con, a, f, allow_unknown, hs_scope, options))
                bar.advance(task)
            from critmin.warehouse.schema import record_provenance_years

            record_provenance_years(con)  # the year -> provenance lookup the indicators label rows with
            # the rows already there passed these checks when they were loaded: only the new files' rows are checked
            validate(con, expect_bundle=False, provenance_ids=[r.provenance_id for r in reports])
            if dry_run:
                for r in reports:
                    r.dry_run = True
                con.execute("ROLLBACK")
            else:
                con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return reports


def ingest_baci(files, warehouse=None, allow_unknown: bool = False, progress: bool = True, *,
                replace: bool = False, dry_run: bool = False, hs_revision: str | None = None,
                correlation=None) -> list[IngestReport]:
    """Validate and add full BACI CSV files to ``trade``; a file's (year, HS6) slices replace older rows
    (only with ``replace``)."""
    return ingest_files(files, warehouse, allow_unknown, progress, adapter="baci_csv", replace=replace,
                        dry_run=dry_run, hs_revision=hs_revision, correlation=correlation)


def ingest_comtrade(files, warehouse=None, allow_unknown: bool = False, progress: bool = True, *,
                    replace: bool = False, dry_run: bool = False) -> list[IngestReport]:
    """Validate and add UN Comtrade CSV exports to ``trade_comtrade``."""
    return ingest_files(files, warehouse, allow_unknown, progress, adapter="comtrade_csv", replace=replace,
                        dry_run=dry_run)


def _ingest_one(con, adapter, path: Path, allow_unknown: bool, hs_scope: list[str], options: dict) -> IngestReport:
    """One file through its adapter (read raw, check, provenance, canonical rows into temp table ``canon``),
    then merged into the target table by that table's rule. Every HS6 code is kept; rows outside the catalog's
    codes are counted."""
    from critmin.warehouse.build import insert_provenance
    from critmin.warehouse.unit_value import screen_unit_values

    (table,) = adapter.tables
    rep = IngestReport(file=str(path), table=table, adapter=adapter.name)
    prov, verb = None, "CREATE OR REPLACE TEMP TABLE canon AS"
    for raw in adapter.read_raw(con, table, path):
        raw.info["hs_revision_option"] = options.get("hs_revision")
        raw.info["correlation_option"] = options.get("correlation")
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
    scope = set(hs_scope)
    outside = [n for code, n in con.execute("SELECT hs6, count(*) FROM canon GROUP BY 1").fetchall()
               if code not in scope]
    rep.uncatalogued, rep.uncatalogued_codes = sum(outside), len(outside)
    # the file's year range as constants: DuckDB skips every row group of ``trade`` outside it (zone maps), so
    # the checks and deletes below read the rows of the file's years, not the whole table once per file
    lo, hi = con.execute("SELECT coalesce(min(year), 0), coalesce(max(year), -1) FROM canon").fetchall()[0]
    in_years = f"year BETWEEN {int(lo)} AND {int(hi)}"
    if table == "trade":
        _require_unique_flows(con, path, adapter, raw)
    if table == "trade":  # the file's (year, HS6) slices supersede every other provenance's rows there
        slices = f"{in_years} AND (year, hs6) IN (SELECT DISTINCT year, hs6 FROM canon)"
        superseded = con.execute(f"""
            SELECT t.provenance_id, any_value(p.source), count(*), min(t.year), max(t.year), count(DISTINCT t.hs6)
            FROM trade t LEFT JOIN provenance p USING (provenance_id)
            WHERE t.provenance_id <> ? AND {slices} GROUP BY 1 ORDER BY 1""", [pid]).fetchall()
        rep.replaced = sum(r[2] for r in superseded)
        rep.replaced_detail = [{"provenance_id": r[0], "source": r[1], "rows": r[2],
                                "years": f"{r[3]}–{r[4]}" if r[3] != r[4] else str(r[3]), "codes": r[5]}
                               for r in superseded]
        if rep.replaced and not options.get("replace"):
            from critmin.errors import UsageError
            from critmin.i18n import t

            detail = "; ".join(f"{d['rows']} of {d['source']}, years {d['years']}" for d in rep.replaced_detail)
            raise UsageError(t("warehouse.replace_needed", file=path, rows=f"{rep.replaced:,}", detail=detail))
        con.execute(f"DELETE FROM trade WHERE provenance_id <> ? AND {slices}", [pid])
        for old_pid, _, n, *_ in superseded:  # provenance row counts keep matching the rows present
            con.execute("""UPDATE provenance SET row_count = row_count - ?,
                           note = trim(note || ' ' || ?) WHERE provenance_id = ?""",
                        [n, f"{n} rows superseded by {pid};", old_pid])
        if superseded:  # the replaced rows' conversion marks go with them
            from critmin.sources.hs_correlation import prune_conversions

            prune_conversions(con)
    if table == "trade_comtrade":
        _supersede_comtrade(con, path, pid, rep, options)
    if con.execute("SELECT 1 FROM provenance WHERE provenance_id = ?", [pid]).fetchall():
        # the same file again (same checksum, so the same years): its earlier rows are replaced
        con.execute(f"DELETE FROM {table} WHERE provenance_id = ? AND {in_years}", [pid])
    if table == "trade":
        # after the supersede above, the file's (year, HS6) slices of trade hold only the file's rows, so the
        # screen judged on ``canon`` alone is the screen judged in the table, without an UPDATE of the table
        rep.uv_flagged = screen_unit_values(con, table="canon")
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM canon")
    rep.rows = con.execute("SELECT count(*) FROM canon").fetchall()[0][0]
    corr = raw.info.get("correlation")
    if corr is not None:
        from critmin.sources.hs_correlation import record_one_to_many

        rep.one_to_many = record_one_to_many(con, corr, raw.relation, pid)
    prov.row_count = rep.rows
    rep.provenance_id = insert_provenance(con, prov)
    return rep


def _require_unique_flows(con, path: Path, adapter, raw) -> None:
    """Each flow once in the file's canonical rows (a flow repeated as written, or written two ways: two
    country codes of one economy, "10110" and "010110"): loading both would count it twice. One grouping of
    the typed keys; only when it finds a repeat, the adapter (if it can) points at the line."""
    dup = con.execute("""SELECT year, exporter, importer, hs6, count(*) FROM canon GROUP BY ALL
                         HAVING count(*) > 1 ORDER BY ALL LIMIT 1""").fetchall()
    if dup:
        from critmin.errors import InputError

        if hasattr(adapter, "locate_duplicate"):
            adapter.locate_duplicate(con, raw)  # raises with the line when the raw rows repeat a canonical key
        y, e, i, k, n = dup[0]
        raise InputError(str(path), None, "i, j", "each flow once after country codes are mapped to ISO3 codes "
                         "and product codes to HS92", f"{n} rows for {e}→{i}, HS {k}, {y}")


# Two Comtrade extracts declare the same flow when reporter, partner, flow, HS6 and year agree and their periods
# meet: the same month, or an annual row (period NULL) against any month of its year.
_SAME_FLOW = """o.year = n.year AND o.reporter = n.reporter AND o.partner = n.partner AND o.flow = n.flow
                AND o.hs6 = n.hs6 AND (o.period IS NULL OR n.period IS NULL OR o.period = n.period)"""


def _supersede_comtrade(con, path: Path, pid: str, rep: IngestReport, options: dict) -> None:
    """Rows of other extracts that declare a flow this file declares too: summed with it, they would count the
    flow twice. Refused unless ``replace`` (then the older rows go, their provenance counts reduced)."""
    con.execute("ALTER TABLE trade_comtrade ADD COLUMN IF NOT EXISTS period VARCHAR")  # warehouses before it
    con.execute("""CREATE OR REPLACE TEMP TABLE ct_keys AS
                   SELECT DISTINCT year, reporter, partner, flow, hs6, period FROM canon""")
    overlap = f"o.provenance_id <> $pid AND EXISTS (SELECT 1 FROM ct_keys n WHERE {_SAME_FLOW})"
    superseded = con.execute(f"""
        SELECT o.provenance_id, coalesce(any_value(p.file), any_value(p.source)), count(*), min(o.year),
               max(o.year), count(DISTINCT o.hs6)
        FROM trade_comtrade o LEFT JOIN provenance p USING (provenance_id)
        WHERE {overlap} GROUP BY 1 ORDER BY 1""", {"pid": pid}).fetchall()
    rep.replaced = sum(r[2] for r in superseded)
    rep.replaced_detail = [{"provenance_id": r[0], "source": Path(r[1]).name if r[1] else "?", "rows": r[2],
                            "years": f"{r[3]}–{r[4]}" if r[3] != r[4] else str(r[3]), "codes": r[5]}
                           for r in superseded]
    if rep.replaced and not options.get("replace"):
        from critmin.errors import UsageError
        from critmin.i18n import t

        detail = "; ".join(f"{d['rows']} of {d['source']}, years {d['years']}" for d in rep.replaced_detail)
        raise UsageError(t("warehouse.comtrade_overlap", file=path, rows=f"{rep.replaced:,}", detail=detail))
    if superseded:
        con.execute(f"DELETE FROM trade_comtrade o WHERE {overlap}", {"pid": pid})
        for old_pid, _, n, *_ in superseded:
            con.execute("""UPDATE provenance SET row_count = row_count - ?,
                           note = trim(note || ' ' || ?) WHERE provenance_id = ?""",
                        [n, f"{n} rows superseded by {pid} (same flows declared again);", old_pid])
