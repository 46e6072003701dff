"""Issue 10 item 4: sources are real adapters in one registry that build and ingest iterate; each layer's inputs
are hashed on their own (a user groups file rebuilds the catalog layer only); the demo cut builds quickly."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import duckdb
import pytest

from critmin import sources
from critmin.sources.base import Adapter, Checked, Raw, sha256_text
from critmin.sources.provenance import Provenance
from critmin.warehouse.build import LAYERS, build_warehouse
from critmin.warehouse.schema import DDL

FIX = Path(__file__).parent.parent / "fixtures"
GROUPS = """groups:
  - id: QUAD
    name_en: Quadrilateral Security Dialogue
    name_zh: 四方安全对话
    kind: explicit
    citation: test fixture
    members:
      - {iso3: USA}
      - {iso3: JPN}
      - {iso3: AUS}
      - {iso3: IND}
"""


def _q(path, sql, params=None):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture()
def wh(demo_warehouse, tmp_path):
    dst = tmp_path / "wh.duckdb"
    shutil.copy(demo_warehouse, dst)
    return dst


def test_every_registered_adapter_implements_the_protocol():
    assert {"geopolrisk_bundle", "demo", "baci_csv", "comtrade_csv"} <= set(sources.ADAPTERS)
    for name, a in sources.ADAPTERS.items():
        assert isinstance(a, Adapter), name
        assert a.name == name and a.kind in ("base", "extra", "file") and a.source
        assert a.tables and set(a.tables) <= set(DDL), name
    assert sources.detect(FIX / "baci" / "BACI_HS92_Y2022_V202401b_sample.csv").name == "baci_csv"
    assert sources.detect(FIX / "comtrade" / "comtrade_sample.csv").name == "comtrade_csv"
    assert not any(a.detect(FIX / "baci" / "BACI_HS92_Y2022_V202401b_sample.csv") for a in sources.of_kind("base"))


def test_build_and_ingest_know_no_source_by_name():
    """The quirks live in the adapters: build and ingest import the registry, not a source module."""
    root = Path(sources.__file__).parent.parent / "warehouse"
    for f in ("build.py", "ingest.py"):
        text = (root / f).read_text(encoding="utf-8")
        for mod in ("geopolrisk_bundle", "baci_csv", "comtrade_csv", "demo"):
            assert f"sources.{mod}" not in text and f"import {mod}" not in text, (f, mod)


class TinyFeed:
    """An extension's feed: two production rows of a made-up commodity, loaded by every build."""

    name, source, kind, tables = "tiny_feed", "tiny test feed", "extra", ("production",)

    def detect(self, path):
        return False

    def inputs(self, table):
        return {"rows": sha256_text("v1")}

    def read_raw(self, con, table, path=None):
        import pandas as pd

        con.register("tiny", pd.DataFrame({"line": [1, 2], "year": [2023, 2024], "country": ["AUS", "AUS"],
                                           "qty": [5.0, 7.0]}))
        try:
            yield Raw(table, "tiny", "tiny feed")
        finally:
            con.unregister("tiny")

    def check(self, con, raw, allow_unknown=False):
        return Checked(raw.relation)

    def canonical_select(self, raw, checked):
        return (f"SELECT year, country, 'Testium' AS commodity, qty, 'kg' AS unit, qty / 1000 AS qty_t, "
                f"NULL AS flag, $provenance_id AS provenance_id FROM {checked.relation}")

    def provenance(self, raw, row_count):
        return Provenance(source=self.source, file="(memory)", vintage="test", licence="test", url="",
                          sha256=sha256_text("v1"), table=raw.table, row_count=row_count)


def test_a_registered_adapter_adds_its_rows_and_provenance_and_rebuilds_its_layer_only(wh):
    before = _q(wh, "SELECT count(*) FROM production")[0][0]
    feed = sources.register(TinyFeed())
    try:
        plan = build_warehouse(wh, dry_run=True, progress=False)
        assert plan.rebuilt == {"production": "added adapter tiny_feed; added tiny_feed: rows"}
        report = build_warehouse(wh, progress=False)
        assert set(report.rebuilt) == {"production"} and "trade" in report.carried_over
        assert _q(wh, "SELECT count(*) FROM production")[0][0] == before + 2
        assert _q(wh, """SELECT p.row_count, sum(x.qty_t) FROM provenance p JOIN production x USING (provenance_id)
                         WHERE p.source = ? GROUP BY ALL""", [feed.source]) == [(2, 0.012)]
    finally:
        sources.unregister("tiny_feed")
    # gone from the registry: the next build drops its rows (they were a build's, not the user's)
    build_warehouse(wh, progress=False)
    assert _q(wh, "SELECT count(*) FROM production")[0][0] == before


def test_a_user_groups_file_rebuilds_the_catalog_layer_only(wh, tmp_path, monkeypatch):
    groups = tmp_path / "groups.yaml"
    groups.write_text(GROUPS, encoding="utf-8")
    trade = _q(wh, "SELECT count(*), sum(value_kusd) FROM trade")
    assert build_warehouse(wh, progress=False).plan == ["nothing to do: inputs unchanged"]
    monkeypatch.setenv("CRITMIN_GROUPS", str(groups))
    dry = build_warehouse(wh, dry_run=True, progress=False)
    assert dry.plan == [f"rebuild catalog: added user groups file {groups}", "keep trade: inputs unchanged",
                        "keep production: inputs unchanged", "keep governance: inputs unchanged"]
    report = build_warehouse(wh, progress=False)  # was: "inputs unchanged" (the hash ignored the groups file)
    assert report.built and set(report.rebuilt) == {"catalog"}
    assert {"trade", "production", "governance"} <= set(report.carried_over)
    assert _q(wh, "SELECT count(*) FROM group_members WHERE group_id = 'QUAD' AND year = 2024")[0][0] == 4
    assert _q(wh, "SELECT count(*), sum(value_kusd) FROM trade") == trade
    assert not build_warehouse(wh, progress=False).built  # unchanged now
    groups.write_text(GROUPS.replace("      - {iso3: IND}\n", ""), encoding="utf-8")
    assert build_warehouse(wh, dry_run=True, progress=False).rebuilt == {
        "catalog": f"changed user groups file {groups}"}
    history = _q(wh, "SELECT layers FROM build_history WHERE layers IS NOT NULL ORDER BY rowid")
    assert len(history) == 2  # one line per build, each with every layer's hash and inputs


def test_only_and_force_say_what_they_rebuild(wh):
    assert build_warehouse(wh, dry_run=True, only=["governance"], progress=False).plan == [
        "keep catalog: inputs unchanged", "keep trade: inputs unchanged", "keep production: inputs unchanged",
        "rebuild governance: asked for with --only"]
    report = build_warehouse(wh, only=["governance"], progress=False)
    assert list(report.rebuilt) == ["governance"] and report.rows == {"governance": 9020}
    assert set(build_warehouse(wh, dry_run=True, force=True, progress=False).rebuilt) == set(LAYERS)


def test_a_warehouse_without_layer_records_rebuilds_every_layer(wh):
    with duckdb.connect(str(wh)) as con:
        con.execute("UPDATE build_history SET layers = NULL")
    assert build_warehouse(wh, dry_run=True, progress=False).rebuilt == {
        layer: "the previous build has no record of it" for layer in LAYERS}


def test_demo_warehouse_builds_quickly_and_passes_validation(tmp_path):
    from critmin.warehouse.validate import validate

    t0 = time.perf_counter()
    report = build_warehouse(tmp_path / "demo.duckdb", source="demo", progress=False)
    seconds = time.perf_counter() - t0
    assert report.rows == {"trade": 47_878, "production": 966, "governance": 9020}
    assert seconds < 10  # about 2 s; margin for a loaded 2-core CI box (the full build takes ~13 s)
    with duckdb.connect(str(tmp_path / "demo.duckdb"), read_only=True) as con:
        validate(con)
        assert con.execute("SELECT min(year), max(year), count(DISTINCT hs6) FROM trade").fetchall() == [
            (2019, 2024, 11)]
        provs = con.execute('SELECT source, vintage, note FROM provenance').fetchall()
    assert len(provs) == 3 and all("demo cut" in s + v + n for s, v, n in provs)
    # later builds of that file keep its source
    assert build_warehouse(tmp_path / "demo.duckdb", force=True, progress=False).source == "demo"


def test_production_in_tonnes_once(demo_warehouse):
    rows = dict(((u, c), (n, t)) for u, c, n, t in _q(demo_warehouse, """
        SELECT unit, commodity, count(qty_t), sum(qty_t) / sum(qty) FROM production GROUP BY ALL"""))
    assert rows[("metr. t", "Cobalt")] == (pytest.approx(rows[("metr. t", "Cobalt")][0]), 1.0)
    assert rows[("kg", "Platinum")][1] == pytest.approx(0.001)
    assert rows[("Mio m3", "Natural Gas")] == (0, None)  # a volume: no tonnes without a density
    (note,) = _q(demo_warehouse, "SELECT note FROM provenance WHERE \"table\" = 'production'")[0]
    assert "'Mio m3' NULL" in note and "'kg' ×0.001" in note
