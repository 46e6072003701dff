"""Checks a warehouse must pass before it replaces the previous one."""

from __future__ import annotations

from critmin.errors import ValidationFailed

CHECKS = [
    ("trade rows match their provenance row counts",
     """SELECT p.provenance_id, p.row_count, count(t.year) FROM provenance p
        LEFT JOIN trade t USING (provenance_id) WHERE p."table" = 'trade'
        GROUP BY ALL HAVING p.row_count <> count(t.year)"""),
    ("trade keys are unique within a provenance",
     """SELECT year, exporter, importer, hs6, provenance_id, count(*) FROM trade
        GROUP BY ALL HAVING count(*) > 1 LIMIT 5"""),
    ("trade values and quantities are non-negative",
     "SELECT * FROM trade WHERE value_kusd < 0 OR qty_t < 0 LIMIT 5"),
    ("trade HS6 codes are six digits (codes outside the catalog are kept; issue 13)",
     "SELECT DISTINCT hs6 FROM trade WHERE NOT regexp_full_match(hs6, '\\d{6}') LIMIT 5"),
    ("trade unit-value flags are high, low or empty",
     "SELECT DISTINCT uv_flag FROM trade WHERE uv_flag NOT IN ('high', 'low') LIMIT 5"),
    ("trade rows carry a known provenance",
     "SELECT DISTINCT provenance_id FROM trade WHERE provenance_id NOT IN (SELECT provenance_id FROM provenance)"),
    ("production quantities are non-negative", "SELECT * FROM production WHERE qty < 0 LIMIT 5"),
    ("production keys are unique",
     "SELECT year, country, commodity, count(*) FROM production GROUP BY ALL HAVING count(*) > 1 LIMIT 5"),
    ("governance keys are unique",
     "SELECT year, country, indicator, count(*) FROM governance GROUP BY ALL HAVING count(*) > 1 LIMIT 5"),
]
# checked by the ingest on each file's staged rows, where the error can name the file
CHECKED_PER_FILE = "trade keys are unique within a provenance"


def validate(con, expect_bundle: bool = True, provenance_ids: list[str] | None = None) -> None:
    """Run every check; raise ValidationFailed listing the failing ones with sample offending rows.

    ``provenance_ids``: check only the trade rows (and provenance records) of these loads, as an ingest does:
    the rows already there passed when they were loaded, and re-checking them all would make each ingest cost
    a pass over the whole table."""
    failures = []
    checks = CHECKS if provenance_ids is None else [(n, _scoped(sql)) for n, sql in CHECKS
                                                    if n != CHECKED_PER_FILE]
    params = [] if provenance_ids is None else [list(provenance_ids)]
    for name, sql in checks:
        rows = con.execute(sql, params if "$1" in sql else []).fetchall()
        if rows:
            failures.append(f"{name}: e.g. {rows[:3]}")
    if expect_bundle:
        n = con.execute("SELECT count(*) FROM trade").fetchall()[0][0]
        if n == 0:
            failures.append("trade is empty")
    scoped_trade = "trade" if provenance_ids is None else "(SELECT * FROM trade WHERE list_contains(?, provenance_id))"
    unknown = con.execute(f"""SELECT DISTINCT x FROM (SELECT exporter x FROM {scoped_trade}
                              UNION SELECT importer FROM {scoped_trade})
                             WHERE x LIKE 'M49:%' AND x NOT IN (SELECT 'M49:' || code FROM allowed_unknown_codes)
                             LIMIT 5""", params * 2).fetchall() if _has(con, "allowed_unknown_codes") else []
    if unknown:
        failures.append(f"trade has country codes unknown to the catalog: {unknown}")
    if failures:
        raise ValidationFailed("warehouse validation failed; the previous warehouse was kept:\n  " +
                               "\n  ".join(failures))


def _scoped(sql: str) -> str:
    """A trade check narrowed to the rows of the provenance ids bound as ``$1``: its ``trade`` and ``provenance``
    are read through filtered views of themselves; checks of other tables are left as they are."""
    import re

    if not re.search(r"\b(FROM|JOIN) trade\b", sql):
        return sql
    sql = re.sub(r"\b(FROM|JOIN) trade\b", r"\1 scoped_trade", sql)
    sql = re.sub(r"\b(FROM|JOIN) provenance\b", r"\1 scoped_provenance", sql)
    return ("WITH scoped_trade AS (SELECT * FROM trade WHERE list_contains($1, provenance_id)), "
            "scoped_provenance AS (SELECT * FROM provenance WHERE list_contains($1, provenance_id) "
            "OR \"table\" <> 'trade') " + sql)


def _has(con, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table]).fetchall()[0][0])
