"""Spark inlines a CTE at every reference; the Spark handle lifts a CTE read more than once into a cached view so
the trade table is scanned once per statement, as on DuckDB (issue 13, Spark at full size)."""

from __future__ import annotations

from critmin.warehouse.lake import lift_shared_ctes


def test_only_ctes_read_twice_are_lifted_in_order():
    sql = """WITH a AS (SELECT x FROM trade WHERE x > ?), b AS (SELECT x FROM a), once AS (SELECT x FROM b),
             c AS (SELECT x FROM a JOIN b USING (x))
             SELECT * FROM c JOIN b USING (x) JOIN once USING (x)"""
    lifted, rest = lift_shared_ctes(sql, [3], prefix="v")
    assert [n for n, _ in lifted] == ["v_a", "v_b"]  # a: read by b and c; b: by once, c and the final select
    assert "x > 3" in lifted[0][1]  # the parameter bound into the body that holds it
    assert "FROM v_a AS a" in lifted[1][1]
    assert "WITH" in rest and "once AS" in rest and "c AS" in rest and "v_b AS b" in rest and "a AS (" not in rest


def test_a_statement_without_shared_ctes_is_unchanged():
    from critmin.warehouse.lake import to_spark

    sql = "WITH a AS (SELECT x FROM trade) SELECT * FROM a WHERE x IN ?"
    assert lift_shared_ctes(sql, [[1, 2]]) == ([], to_spark(sql, [[1, 2]]))


def test_reliance_statement_lifts_the_flows_and_both_sides():
    from critmin.indicators.production import RELIANCE_SQL, _side

    sql = RELIANCE_SQL.format(sides=",\n".join([_side("imp", "importer", "exporter", "imports_t"),
                                                _side("exp", "exporter", "importer", "exports_t")]))
    lifted, rest = lift_shared_ctes(sql, ["Cobalt"], prefix="q")
    assert [n for n, _ in lifted] == ["q_t", "q_imp", "q_exp", "q_p"]
    assert sum(body.count("FROM trade") for _, body in lifted) + rest.count("FROM trade") == 1
