"""Import reliance for several economies in one pass equals hand-written DuckDB SQL per economy (demo data)."""

from __future__ import annotations

import duckdb
import numpy as np


def test_reliance_of_groups_and_countries_matches_hand_sql(demo_warehouse):
    from critmin.catalog import load_catalog
    from critmin.catalog.economies import resolve
    from critmin.indicators.production import import_reliance

    got = import_reliance("EU27,USA,CHN,JPN", "cobalt", "2019-2024", warehouse=demo_warehouse)
    mat = load_catalog().material("cobalt")
    codes = ", ".join(f"'{h}'" for h in mat.hs6())
    rows = []
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        for e in resolve("EU27,USA,CHN,JPN"):
            for y in range(2019, 2025):
                members = e.members(y) if e.is_group else [e.id]
                m = ", ".join(f"'{c}'" for c in members)
                i, x = con.execute(f"""
                    SELECT sum(qty_t) FILTER (WHERE importer IN ({m}) AND exporter NOT IN ({m})),
                           sum(qty_t) FILTER (WHERE exporter IN ({m}) AND importer NOT IN ({m}))
                    FROM trade WHERE year = {y} AND hs6 IN ({codes}) AND qty_t IS NOT NULL""").fetchall()[0]
                p = con.execute(f"""SELECT sum(qty_t) FROM production WHERE year = {y}
                                    AND commodity = '{mat.wmd_commodity}' AND country IN ({m})""").fetchall()[0][0]
                rows.append((e.id, y, p or 0.0, i or 0.0, x or 0.0))
    got = got.set_index(["entity", "year"])
    assert len(got) == len(rows) == 24
    for ent, y, p, i, x in rows:
        r = got.loc[(ent, y)]
        np.testing.assert_allclose([r.production_t, r.imports_t, r.exports_t], [p, i, x], rtol=1e-9)
