"""The Python API's results and the HTML family (issue 16)."""

from __future__ import annotations

import pytest


def test_importing_critmin_loads_nothing_heavy():
    import subprocess
    import sys

    code = "import critmin, sys; print(sorted(m for m in ('pandas','ibis','duckdb','pyarrow') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_result_converts_and_carries_provenance(demo_warehouse):
    import critmin

    r = critmin.dependency("EU27", "rare_earths", years="2023-2024", warehouse=str(demo_warehouse))
    df = r.to_pandas()
    assert len(r) == 2 and list(df["year"]) == [2023, 2024]
    assert r.to_arrow().num_rows == 2
    ids = {i for cell in df["provenance_ids"] for i in cell.split(";")}
    assert ids == set(r.provenance["provenance_id"]) and not r.provenance["licence"].isna().any()
    df.loc[0, "year"] = 0
    assert r.to_pandas().loc[0, "year"] == 2023  # a copy each time


def test_monitor_and_stress_are_callable_and_still_packages():
    import critmin
    import critmin.monitor
    import critmin.stress

    assert callable(critmin.monitor) and callable(critmin.stress)
    assert critmin.monitor.run_monitor.__module__ == "critmin.monitor.api"


def test_table_pushes_the_selection_down(demo_warehouse):
    import critmin
    from critmin.errors import UsageError

    with critmin.open(str(demo_warehouse)) as wh:
        df = wh.table("trade", columns=["year", "exporter"], where={"importer": "DEU", "year": [2023, 2024]}, limit=7)
        assert list(df.columns) == ["year", "exporter"] and len(df) == 7 and set(df["year"]) <= {2023, 2024}
        with pytest.raises(UsageError, match="did you mean year"):
            wh.table("trade", where={"yeer": 2024})
        assert wh.table("trade", "arrow", where={"importer": "'; drop table trade; --"}).num_rows == 0
        assert "trade" in wh.tables()


def test_pages_share_one_plotly_file_and_stay_small(tmp_path):
    import plotly.graph_objects as go

    from critmin.html import ASSET_NAME, economy_colour, write_figure_page

    fig = go.Figure(go.Scatter(x=[1, 2], y=[3, 4], line={"color": economy_colour("CHN")}))
    a = write_figure_page(tmp_path / "a.html", fig, title="A <b>", lang="zh")
    b = write_figure_page(tmp_path / "b.html", fig, title="B")
    assert [p.name for p in sorted(tmp_path.iterdir())] == ["a.html", "b.html", ASSET_NAME]
    for page in (a, b):
        html = page.read_text(encoding="utf-8")
        assert len(html) < 2_000_000 and f'src="{ASSET_NAME}"' in html and "cdn.plot.ly" not in html
    assert "A &lt;b&gt;" in a.read_text(encoding="utf-8") and 'lang="zh-CN"' in a.read_text(encoding="utf-8")
    assert economy_colour("chn") == economy_colour("CHN") != economy_colour("USA")
    assert economy_colour("XYZ") == economy_colour("XYZ")  # stable, not by trace order
