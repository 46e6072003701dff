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
                *CATALOG_TABLES)

TABLE_TITLES = {
    "trade": ("Bilateral trade flows (BACI, reconciled)", "双边贸易流量（BACI，镜像调和）"),
    "trade_comtrade": ("Trade as reported to UN Comtrade", "联合国商品贸易统计申报数据"),
    "production": ("Mine / refinery production (World Mining Data)", "矿山与冶炼产量（世界矿业数据）"),
    "governance": ("Governance indicators (WGI)", "治理指标（全球治理指标）"),
    "provenance": ("Provenance of every loaded file", "数据来源记录"),
}
