"""Economies resolved once (issue 10): a user group from CRITMIN_GROUPS works in `dependency` and `crma` on an
already built warehouse, without a rebuild, and its numbers equal a hand computation over the members' flows;
country names in English and Chinese resolve; several unknown names are refused in one line."""

from __future__ import annotations

import io

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

QUAD = ("USA", "JPN", "AUS", "IND")
YEARS = (2020, 2024)
GROUPS_YAML = """groups:
  - id: QUAD
    name_en: Quadrilateral Security Dialogue
    name_zh: 四方安全对话
    kind: explicit
    citation: user (test)
    members:
      - {iso3: USA}
      - {iso3: JPN}
      - {iso3: AUS}
      - {iso3: IND}
"""


@pytest.fixture
def quad(tmp_path, monkeypatch):
    import critmin.catalog

    path = tmp_path / "groups.yaml"
    path.write_text(GROUPS_YAML, encoding="utf-8")
    monkeypatch.setenv("CRITMIN_GROUPS", str(path))
    critmin.catalog._cached.cache_clear()
    yield path
    critmin.catalog._cached.cache_clear()


def _cli(*args: str) -> pd.DataFrame:
    from critmin.cli import app

    res = CliRunner().invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return pd.read_csv(io.StringIO(res.stdout), dtype={"hs6": str})


def _member_flows(wh, basis: str) -> pd.DataFrame:
    """Imports into the four members from suppliers outside them, per material, stage, year and supplier —
    plain SQL on the trade table, nothing of critmin's."""
    amount = "value_kusd" if basis == "value" else "qty_t"
    with duckdb.connect(str(wh), read_only=True) as con:
        return con.execute(f"""
            SELECT m.material_id, m.stage, t.year, t.exporter, sum(t.{amount}) AS a
            FROM trade t JOIN material_hs6 m USING (hs6)
            WHERE t.importer IN ('USA', 'JPN', 'AUS', 'IND') AND t.exporter NOT IN ('USA', 'JPN', 'AUS', 'IND')
              AND t.year BETWEEN ? AND ? AND t.{amount} IS NOT NULL
            GROUP BY ALL HAVING sum(t.{amount}) > 0""", list(YEARS)).df()


def _by_hand(flows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Total, top supplier (ties by code), top-1 and top-3 shares, HHI and China's share, per key."""
    f = flows.sort_values([*keys, "a", "exporter"], ascending=[True] * len(keys) + [False, True])
    g = f.groupby(keys, sort=False)
    total = g["a"].sum()
    s = f["a"] / f.groupby(keys)["a"].transform("sum")
    return pd.DataFrame({
        "total": total,
        "top1_supplier": g["exporter"].first(),
        "top1_share": g["a"].max() / total,
        "top3_share": g["a"].apply(lambda a: a.nlargest(3).sum()) / total,
        "hhi": (s * s).groupby([f[k] for k in keys]).sum() * 10_000,
        "china_share": f.assign(c=f["a"].where(f["exporter"] == "CHN", 0.0)).groupby(keys)["c"].sum() / total,
    }).reset_index()


@pytest.mark.parametrize("basis", ["value", "qty"])
def test_dependency_for_a_user_group_equals_the_member_flows(quad, built_warehouse, basis):
    got = _cli("dependency", "--importer", "QUAD", "--material", "rare_earths", "--by", "stage", "--basis", basis,
               "--years", f"{YEARS[0]}-{YEARS[1]}", "--format", "csv", "--warehouse", str(built_warehouse))
    flows = _member_flows(built_warehouse, basis)
    ref = _by_hand(flows[flows.material_id == "rare_earths"], ["stage", "year"])
    m = got.merge(ref, on=["stage", "year"], how="outer", indicator=True)
    assert (m["_merge"] == "both").all() and len(m) >= 2 * (YEARS[1] - YEARS[0] + 1)
    assert (m["importer"] == "QUAD").all()
    assert (m["top1_supplier_x"] == m["top1_supplier_y"]).all()
    assert m["total_imports"].to_numpy() == pytest.approx(m["total"].to_numpy(), rel=1e-12)
    for col in ("top1_share", "top3_share", "hhi", "china_share"):
        assert m[f"{col}_x"].to_numpy() == pytest.approx(m[f"{col}_y"].to_numpy(), rel=1e-12, abs=1e-12), col


def test_crma_for_a_user_group_equals_the_member_flows(quad, built_warehouse):
    got = _cli("crma", "--importer", "QUAD", "--all", "--years", f"{YEARS[0]}-{YEARS[1]}", "--format", "csv",
               "--warehouse", str(built_warehouse))
    keys = ["material_id", "stage", "year"]
    assert (got["importer"] == "QUAD").all()
    for basis, total in (("value", "imports_kusd"), ("qty", "imports_t")):
        ref = _by_hand(_member_flows(built_warehouse, basis), keys)
        m = got.merge(ref, on=keys, how="inner")
        assert len(m) == len(ref) > 50
        assert (m[f"top1_supplier_{basis}"] == m["top1_supplier"]).all()
        assert m[f"top1_share_{basis}"].to_numpy() == pytest.approx(m["top1_share"].to_numpy(), rel=1e-12)
        assert m[total].to_numpy() == pytest.approx(m["total"].to_numpy(), rel=1e-12)
        # above the cap on this basis; `breach` itself only where the CRMA applies (strategic raw materials)
        assert (m[f"breach_{basis}"] == (m["top1_share"] > 0.65)).all()
        assert (m["breach"] == (m["in_scope"] & (m["breach_value"] | m["breach_qty"]))).all()


def test_country_names_in_english_and_chinese(quad, built_warehouse):
    common = ["--material", "rare_earths", "--years", "2024", "--format", "csv", "--warehouse", str(built_warehouse)]
    by_code = _cli("dependency", "--importer", "JPN", *common)
    for name in ("Japan", "日本"):
        by_name = _cli("dependency", "--importer", name, *common)
        pd.testing.assert_frame_equal(by_name, by_code)
    crma = _cli("crma", "--importer", "日本,QUAD", "--all", "--years", "2024", "--format", "csv",
                "--warehouse", str(built_warehouse))
    assert set(crma["importer"]) == {"JPN", "QUAD"}


def test_several_unknown_names_are_refused_together(quad, built_warehouse):
    from critmin.cli import app
    from critmin.errors import UsageError

    res = CliRunner().invoke(app, ["dependency", "--importer", "QAUD,Atlantis,USA", "--material", "rare_earths",
                                   "--warehouse", str(built_warehouse)])
    assert res.exit_code != 0 and isinstance(res.exception, UsageError)
    msg = str(res.exception)
    assert "'QAUD'" in msg and "'Atlantis'" in msg and "QUAD" in msg  # both named, with a suggestion
    assert len(msg.splitlines()) == 1
