"""A warehouse built by an older critmin (a column this version reads is missing) is refused on open with one
sentence in English and Chinese naming the file and the rebuild, not an engine traceback; the rebuild it names
makes the file usable again."""

from __future__ import annotations

import shutil
import subprocess
import sys

import duckdb
import pytest


def _older(demo_warehouse, tmp_path):
    path = tmp_path / "earlier.duckdb"  # (a file named old.duckdb cannot be rebuilt: build ATTACHes "old")
    shutil.copy(demo_warehouse, path)
    with duckdb.connect(str(path)) as con:  # what a warehouse built before issue 13 looked like
        con.execute("ALTER TABLE material_hs6 DROP COLUMN first_year")
    return path


def test_older_schema_is_refused_in_one_sentence(demo_warehouse, tmp_path):
    path = _older(demo_warehouse, tmp_path)
    r = subprocess.run([sys.executable, "-m", "critmin", "dependency", "--importer", "EU27", "--material",
                        "rare_earths", "--warehouse", str(path)], capture_output=True, text=True)
    assert r.returncode == 2, r.stderr
    err = r.stderr
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1, err
    assert str(path) in err and "material_hs6.first_year" in err and "critmin build --force" in err
    assert "旧版" in err and "re-applied" in err
    assert "Traceback" not in err and "not found" not in err


@pytest.mark.slow
def test_the_rebuild_the_sentence_names_makes_the_file_usable(demo_warehouse, tmp_path):
    path = _older(demo_warehouse, tmp_path)
    from critmin.warehouse.build import build_warehouse
    from critmin.warehouse.handle import Warehouse

    build_warehouse(path, source="demo", force=True, progress=False)
    with Warehouse.open(path) as wh:
        assert "first_year" in {c for (c,) in wh.con.execute("SELECT column_name FROM duckdb_columns() "
                                                              "WHERE table_name = 'material_hs6'").fetchall()}
