"""The scale benchmark at a tiny size: it generates, ingests, runs every side and finds them equal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[2] / "bench" / "bench_scale.py"


@pytest.mark.slow
def test_bench_scale_small(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    r = subprocess.run([sys.executable, str(BENCH), "--rows", "30000", "--repeat", "1", "--no-spark", "--no-write",
                        "--workdir", str(tmp_path)], capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    out = r.stdout
    assert "compared value by value" in out and "| **total** |" in out
    n = int(out.split("**")[1].split()[0].replace(",", ""))
    assert 29_000 < n <= 30_000  # self-flows and repeated keys dropped, nothing else
    assert f"trade table then holds {n:,} rows" in out  # ingest kept every generated row, every HS6 code


def test_generated_table_is_baci_shaped(tmp_path, demo_warehouse):
    sys.path.insert(0, str(BENCH.parent))
    import duckdb

    from bench_scale import generate

    files, n = generate(20_000, tmp_path, demo_warehouse)
    assert [f.name for f in files][:1] == ["BACI_HS92_Y1995_V202401b.csv"] and len(files) == 28
    con = duckdb.connect()
    t = con.execute("SELECT * FROM read_csv(?, header = true, nullstr = 'NA', all_varchar = true)",
                    [[str(f) for f in files]]).df()
    assert len(t) == n and list(t.columns) == ["t", "i", "j", "k", "v", "q"]
    assert t["k"].str.fullmatch(r"\d{6}").all() and (t["i"] != t["j"]).all()
    assert not t.duplicated(["t", "i", "j", "k"]).any()
    share_q_missing = (t["q"].isna()).mean()
    assert 0.05 < share_q_missing < 0.11
    top_codes = t["k"].value_counts()
    assert top_codes.iloc[:50].sum() > 0.1 * n and t["k"].nunique() > 2000  # skewed, yet wide
    assert t["t"].astype(int).between(1995, 2022).all() and (t["t"] == "2022").sum() > (t["t"] == "1995").sum()
