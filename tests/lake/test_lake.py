"""The Parquet lake: what `critmin export` writes, how a replace is guarded, and what verify catches."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest


@pytest.fixture(scope="module")
def lake(demo_warehouse, tmp_path_factory) -> Path:
    from critmin.warehouse.lake import export_lake

    out = tmp_path_factory.mktemp("lake") / "demo.lake"
    export_lake(out, demo_warehouse)
    return out


def test_lake_holds_every_table_with_its_rows_and_provenance(demo_warehouse, lake):
    from critmin.warehouse.lake import verify_lake

    m = verify_lake(lake)
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        tables = [r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()]
        counts = {t: con.execute(f'select count(*) from "{t}"').fetchall()[0][0] for t in tables}
        prov = {r[0] for r in con.execute("select provenance_id from provenance").fetchall()}
        years = [r[0] for r in con.execute("select distinct year from trade order by 1").fetchall()]
        total = con.execute("select sum(value_kusd), count(qty_t) from trade").fetchall()[0]
    assert set(m["tables"]) == set(tables) - {"build_history"}
    assert {t: v["rows"] for t, v in m["tables"].items()} == {t: counts[t] for t in m["tables"]}
    assert {p["provenance_id"] for p in m["provenance"]} == prov
    # trade is partitioned by year (Hive style): a cluster reads only the years it needs
    assert sorted(int(p.name.split("=")[1]) for p in (lake / "trade").iterdir()) == years
    assert m["tables"]["trade"]["partition_by"] == ["year"]
    got = duckdb.sql(f"select sum(value_kusd), count(qty_t) from read_parquet('{lake}/trade/*/*.parquet', "
                     "hive_partitioning = true)").fetchall()[0]
    assert got[1] == total[1] and got[0] == pytest.approx(total[0], rel=1e-12)


def test_replacing_a_lake_needs_the_flag_and_a_foreign_folder_is_never_replaced(demo_warehouse, lake, tmp_path):
    import shutil

    from critmin.errors import UsageError
    from critmin.warehouse.lake import export_lake, read_manifest

    mine = tmp_path / "l"
    shutil.copytree(lake, mine)
    before = read_manifest(mine)["created_at"]
    with pytest.raises(UsageError, match="--replace"):
        export_lake(mine, demo_warehouse, ["provenance"])
    assert read_manifest(mine)["created_at"] == before and (mine / "trade").is_dir()  # untouched
    rep = export_lake(mine, demo_warehouse, ["provenance"], replace=True)
    assert rep.replaced and rep.tables == {"provenance": 3} and not (mine / "trade").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left behind
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "cat.jpg").write_bytes(b"x")
    with pytest.raises(UsageError, match="not a critmin lake"):
        export_lake(foreign, demo_warehouse, replace=True)
    assert (foreign / "cat.jpg").read_bytes() == b"x"


def test_verify_names_the_file_that_no_longer_matches(lake, tmp_path):
    import shutil

    from critmin.errors import InputError
    from critmin.warehouse.lake import verify_lake

    bad = tmp_path / "bad"
    shutil.copytree(lake, bad)
    victim = sorted((bad / "trade").rglob("*.parquet"))[0]
    other = sorted((bad / "trade").rglob("*.parquet"))[1]
    shutil.copy(other, victim)  # a valid Parquet file with other rows
    with pytest.raises(InputError) as e:
        verify_lake(bad)
    assert str(victim) in str(e.value) and e.value.field in ("bytes", "rows", "sha256")
    shutil.copytree(lake, bad, dirs_exist_ok=True)
    verify_lake(bad)
    (bad / "trade" / "stray.parquet").write_bytes(other.read_bytes())
    with pytest.raises(InputError, match="unlisted"):
        verify_lake(bad)


def test_a_folder_without_manifest_is_not_a_lake(tmp_path):
    from critmin.warehouse.lake import LakeError, read_manifest

    with pytest.raises(LakeError, match="critmin export"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "delta"}))
    with pytest.raises(Exception, match="format"):
        read_manifest(tmp_path)


def test_export_cli_refuses_to_replace_without_the_flag(demo_warehouse, tmp_path):
    from typer.testing import CliRunner

    from critmin.cli import app

    out = tmp_path / "x.lake"
    run = lambda *a: CliRunner().invoke(app, ["export", "--out", str(out), "--warehouse", str(demo_warehouse), *a])  # noqa: E731
    r = run("--table", "provenance")
    assert r.exit_code == 0 and (out / "manifest.json").exists(), r.output
    r = run("--table", "groups")  # not a terminal: refused, never asked
    assert r.exit_code != 0 and "--replace" in str(r.exception)
    assert set(json.loads((out / "manifest.json").read_text())["tables"]) == {"provenance"}
    r = run("--table", "groups", "--replace", "--verify")
    assert r.exit_code == 0 and "Verified" in r.output, r.output
    assert set(json.loads((out / "manifest.json").read_text())["tables"]) == {"groups"}


def test_engine_and_lake_settings(tmp_path, monkeypatch):
    from critmin.errors import UsageError
    from critmin.indicators.engine import engine_name, lake_path

    assert engine_name() == "duckdb" and engine_name("SPARK") == "spark"
    with pytest.raises(UsageError, match="duckdb, spark"):
        engine_name("oracle")
    assert lake_path(None, tmp_path / "w.duckdb") == tmp_path / "w.lake"
    monkeypatch.setenv("CRITMIN_LAKE", str(tmp_path / "elsewhere"))
    assert lake_path(None, tmp_path / "w.duckdb") == tmp_path / "elsewhere"


def test_duckdb_sql_with_parameters_becomes_spark_sql():
    from critmin.warehouse.lake import to_spark

    sql = to_spark("select material_id from critical_lists where list_id in ? and year = ? group by all",
                   [["eu_2023", "us'22"], 2024])
    assert "IN ('eu_2023', 'us''22')" in sql.replace('"', "'") or "IN ('eu_2023', 'us\\'22')" in sql
    assert "= 2024" in sql


def test_spark_schema_from_the_manifest_types():
    from critmin.warehouse.lake import _spark_schema

    assert _spark_schema([["year", "INTEGER"], ["v", "DOUBLE"], ["d", "DECIMAL(18,3)"], ["s", "VARCHAR"]]) == \
        "`year` int, `v` double, `d` decimal(18,3), `s` string"
    assert _spark_schema([["tags", "VARCHAR[]"]]) is None  # left to the Parquet files' own types
