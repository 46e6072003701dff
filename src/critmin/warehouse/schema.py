"""Warehouse tables: names, columns with units, and which layer builds them.

Stored names are snake_case with units (house rule 5); titles live in ``TABLE_TITLES``.
"""

from __future__ import annotations

DDL = {
    "provenance": """
        CREATE TABLE provenance (provenance_id VARCHAR PRIMARY KEY, source VARCHAR, "table" VARCHAR,
            file VARCHAR, vintage VARCHAR, licence VARCHAR, url VARCHAR, row_count BIGINT, sha256 VARCHAR,
            note VARCHAR, loaded_at VARCHAR)""",
    "build_history": """
        CREATE TABLE build_history (built_at VARCHAR, critmin_version VARCHAR, input_hash VARCHAR,
            seconds DOUBLE, trade_rows BIGINT, production_rows BIGINT, governance_rows BIGINT, note VARCHAR,
            source VARCHAR, layers VARCHAR)""",
    "trade": """
        CREATE TABLE trade (year INTEGER NOT NULL, exporter VARCHAR NOT NULL, importer VARCHAR NOT NULL,
            hs6 VARCHAR NOT NULL, value_kusd DOUBLE NOT NULL, qty_t DOUBLE, provenance_id VARCHAR NOT NULL,
            uv_flag VARCHAR)""",
    "trade_comtrade": """
        CREATE TABLE trade_comtrade (year INTEGER NOT NULL, reporter VARCHAR NOT NULL, partner VARCHAR NOT NULL,
            flow VARCHAR NOT NULL, exporter VARCHAR NOT NULL, importer VARCHAR NOT NULL, hs6 VARCHAR NOT NULL,
            value_kusd DOUBLE NOT NULL, qty_t DOUBLE, provenance_id VARCHAR NOT NULL, period VARCHAR)""",
    "production": """
        CREATE TABLE production (year INTEGER NOT NULL, country VARCHAR NOT NULL, commodity VARCHAR NOT NULL,
            qty DOUBLE NOT NULL, unit VARCHAR NOT NULL, qty_t DOUBLE, flag VARCHAR,
            provenance_id VARCHAR NOT NULL)""",
    "governance": """
        CREATE TABLE governance (year INTEGER NOT NULL, country VARCHAR NOT NULL, indicator VARCHAR NOT NULL,
            value DOUBLE NOT NULL, provenance_id VARCHAR NOT NULL)""",
}

# build_history.layers: JSON {layer: {hash, inputs: {label: sha256}, rebuilt: why or null}} (critmin.warehouse.build).
# trade.uv_flag: NULL, or 'high' / 'low' when the row's unit value lies far outside its HS6-year distribution
# (critmin.warehouse.unit_value; the row is kept). Rows of every HS6 code are kept, catalogued or not.
# production: qty and unit as World Mining Data publishes them; qty_t the same in tonnes, NULL where the unit has
# no tonnes equivalent (the provenance note says which and why).

# Catalog tables are written from the validated catalog (DataFrames), see build._write_catalog.
CATALOG_TABLES = ("materials", "material_hs6", "countries", "groups", "group_members", "critical_lists",
                  "benchmarks")

# Tables a build of the bundled data produces. Any other table in an existing warehouse (user-ingested data,
# discourse corpora, incidents, stress results, ...) is carried over into the new file by a rebuild.
BUILD_TABLES = ("provenance", "build_history", "trade", "trade_comtrade", "production", "governance",
                *CATALOG_TABLES, "provenance_year")

# Which provenance records feed which year of each data table: a lookup written by every build and ingest
# (record_provenance_years), so an indicator labels its rows without scanning the trade table per call.
PROVENANCE_YEAR_TABLES = ("trade", "trade_comtrade", "production", "governance")


def record_provenance_years(con) -> None:
    """(Re)write ``provenance_year`` ("table", year, provenance_id, rows) from the data tables on ``con``."""
    con.execute('CREATE OR REPLACE TABLE provenance_year ("table" VARCHAR, year INTEGER, provenance_id VARCHAR, '
                "rows BIGINT)")
    for t in PROVENANCE_YEAR_TABLES:
        con.execute(f"INSERT INTO provenance_year SELECT ?, year, provenance_id, count(*) FROM {t} "
                    "GROUP BY year, provenance_id", [t])


# Columns the code reads from the catalog tables (the data tables' columns are their DDL's).
CATALOG_COLUMNS = {
    "material_hs6": ("material_id", "hs6", "stage", "first_year", "last_year"),
    "materials": ("material_id", "name_en", "name_zh", "wmd_commodity"),
    "countries": ("iso3", "m49", "name_en", "name_zh"),
}


def expected_columns() -> dict[str, set[str]]:
    """Table -> the columns this version of critmin reads from it."""
    import re

    out = {name: set(re.findall(r'(?:\(|,)\s*"?(\w+)"?\s+(?:VARCHAR|INTEGER|DOUBLE|BIGINT)', ddl))
           for name, ddl in DDL.items()}
    out.update({name: set(cols) for name, cols in CATALOG_COLUMNS.items()})
    return out


def outdated(con) -> list[str]:
    """``table.column`` entries this version reads that the open warehouse lacks (tables it does not have are
    not checked: a warehouse holding only discourse data is not outdated). One catalog query; empty when the
    file matches."""
    have: dict[str, set[str]] = {}
    for table, column in con.execute("SELECT table_name, column_name FROM duckdb_columns() "
                                     "WHERE database_name = current_database()").fetchall():
        have.setdefault(table, set()).add(column)
    return [f"{t}.{c}" for t, cols in expected_columns().items() if t in have for c in sorted(cols - have[t])]


TABLE_TITLES = {
    "trade": ("Bilateral trade flows (BACI, reconciled)", "双边贸易流量（BACI，镜像调和）"),
    "trade_comtrade": ("Trade as reported to UN Comtrade", "联合国商品贸易统计申报数据"),
    "production": ("Mine / refinery production (World Mining Data)", "矿山与冶炼产量（世界矿业数据）"),
    "governance": ("Governance indicators (WGI)", "治理指标（全球治理指标）"),
    "provenance": ("Provenance of every loaded file", "数据来源记录"),
}
