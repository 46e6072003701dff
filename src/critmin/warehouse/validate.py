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


def validate(con, expect_bundle: bool = True) -> None:
    """Run every check; raise ValidationFailed listing the failing ones with sample offending rows."""
    failures = []
    for name, sql in CHECKS:
        rows = con.execute(sql).fetchall()
        if rows:
            failures.append(f"{name}: e.g. {rows[:3]}")
    if expect_bundle:
        n = con.execute("SELECT count(*) FROM trade").fetchall()[0][0]
        if n == 0:
            failures.append("trade is empty")
    unknown = con.execute("""SELECT DISTINCT x FROM (SELECT exporter x FROM trade UNION SELECT importer FROM trade)
                             WHERE x LIKE 'M49:%' AND x NOT IN (SELECT 'M49:' || code FROM allowed_unknown_codes)
                             LIMIT 5""").fetchall() if _has(con, "allowed_unknown_codes") else []
    if unknown:
        failures.append(f"trade has country codes unknown to the catalog: {unknown}")
    if failures:
        raise ValidationFailed("warehouse validation failed; the previous warehouse was kept:\n  " +
                               "\n  ".join(failures))


def _has(con, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table]).fetchall()[0][0])
