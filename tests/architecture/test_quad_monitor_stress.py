"""Issue 10: a user group from CRITMIN_GROUPS (QUAD = USA, JPN, AUS, IND) works in `critmin monitor --importer
QUAD` and `critmin stress --importer QUAD` on an existing warehouse — no rebuild — and the imports both use equal
a hand computation over the member flows: imports into the four from suppliers outside the four (plain SQL)."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest
from typer.testing import CliRunner

QUAD = ["USA", "JPN", "AUS", "IND"]
GROUPS = """groups:
  - id: QUAD
    name_en: Quadrilateral Security Dialogue
    name_zh: 四方安全对话
    kind: explicit
    citation: test fixture
    members:
""" + "".join(f"      - {{iso3: {iso}}}\n" for iso in QUAD)
IN = ", ".join(f"'{iso}'" for iso in QUAD)  # fixed literals of this test, not user input


@pytest.fixture
def quad(built_warehouse, tmp_path, monkeypatch):
    """A copy of the prebuilt warehouse (built before QUAD existed) and the user groups file defining QUAD."""
    from critmin import catalog

    wh = tmp_path / "critmin.duckdb"
    shutil.copy(built_warehouse, wh)
    groups = tmp_path / "groups.yaml"
    groups.write_text(GROUPS, encoding="utf-8")
    monkeypatch.setenv("CRITMIN_GROUPS", str(groups))
    catalog._cached.cache_clear()
    yield wh
    catalog._cached.cache_clear()


def _hand_value(wh, hs6: list[str], year: int, column: str) -> float:
    """Σ imports into the four from outside the four, over the codes, in the year (plain DuckDB SQL)."""
    with duckdb.connect(str(wh), read_only=True) as con:
        return con.execute(f"""SELECT sum({column}) FROM trade WHERE year = ? AND hs6 IN (SELECT unnest(?))
                               AND importer IN ({IN}) AND exporter NOT IN ({IN})""", [year, hs6]).fetchone()[0]


def _not_rebuilt(wh) -> bool:
    with duckdb.connect(str(wh), read_only=True) as con:
        return con.execute("SELECT count(*) FROM group_members WHERE group_id = 'QUAD'").fetchone()[0] == 0


def test_monitor_quad_equals_member_flows(quad, tmp_path, monkeypatch):
    from critmin.catalog import load_catalog
    from critmin.cli import app
    from critmin.monitor import compute as compute_module

    seen = []
    real = compute_module.compute
    monkeypatch.setattr(compute_module, "compute", lambda *a, **k: seen.append(real(*a, **k)) or seen[-1])
    res = CliRunner().invoke(app, ["monitor", "--importer", "QUAD", "--materials", "rare_earths,cobalt", "--years",
                                   "2022-2024", "--as-of", "2026-11-23", "--warehouse", str(quad), "--out",
                                   str(tmp_path / "report"), "--no-progress"])
    assert res.exit_code == 0, res.output + repr(res.exception)
    data = seen[0]
    assert data.importers == ["QUAD"]
    dep = data.dependency
    assert set(dep["importer"]) == {"QUAD"} and len(dep) > 0
    cat = load_catalog()
    for r in dep.itertuples():
        hs6 = cat.hs6_for(r.material_id, r.stage)
        expected = _hand_value(quad, hs6, int(r.year), "value_kusd" if r.basis == "value" else "qty_t")
        assert r.total_imports == pytest.approx(expected, rel=1e-9), (r.material_id, r.stage, r.year, r.basis)
    with duckdb.connect(str(quad), read_only=True) as con:  # the alerts were stored for QUAD
        assert con.execute("SELECT importers FROM monitor_runs").fetchall() == [("QUAD",)]
    assert _not_rebuilt(quad)


def test_stress_quad_node_equals_member_flows(quad):
    from critmin.catalog import load_catalog
    from critmin.cli import app

    res = CliRunner().invoke(app, ["stress", "--supplier", "CHN", "--material", "rare_earths", "--stage", "compound",
                                   "--cut", "0.4", "--months", "12", "--importer", "QUAD,EU27", "--draws", "200",
                                   "--year", "2024", "--warehouse", str(quad), "--format", "json"])
    assert res.exit_code == 0, res.output + repr(res.exception)
    rows = {r["importer"]: r for r in json.loads(res.stdout)}
    assert list(rows) == ["QUAD", "EU27"]
    hs6 = load_catalog().hs6_for("rare_earths", "compound")
    with duckdb.connect(str(quad), read_only=True) as con:
        # BACI rows without a quantity carry one from their value at the median unit value of the code and year
        expected = con.execute(f"""
            WITH t AS (SELECT * FROM trade WHERE year = 2024 AND hs6 IN (SELECT unnest(?))),
                 uv AS (SELECT hs6, median(value_kusd / qty_t) AS uv FROM t WHERE qty_t > 0 GROUP BY hs6)
            SELECT sum(coalesce(nullif(qty_t, 0), value_kusd / uv)) FROM t LEFT JOIN uv USING (hs6)
            WHERE importer IN ({IN}) AND exporter NOT IN ({IN})""", [hs6]).fetchone()[0]
        saved = con.execute("SELECT count(*) FROM stress_results WHERE importer = 'QUAD'").fetchone()[0]
    assert rows["QUAD"]["demand_t"] == pytest.approx(expected, rel=1e-9)  # 12 months of baseline imports
    assert saved > 0
    assert _not_rebuilt(quad)
