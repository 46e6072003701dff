"""`critmin criticality` and `critmin critical-lists`: formats, HTML figures, one-line errors."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from critmin.cli import app

runner = CliRunner()


def test_json_rows_carry_inputs_and_provenance(demo_warehouse):
    r = runner.invoke(app, ["criticality", "--economy", "EU27", "--year", "2023", "--materials", "cobalt,gallium",
                            "--format", "json", "--warehouse", str(demo_warehouse)])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [x["material_id"] for x in rows] == ["cobalt", "gallium"]
    assert {"sr", "ei", "critical", "import_reliance", "eol_rir_source", "provenance_ids"} <= set(rows[0])


def test_trend_view_and_html_figures(demo_warehouse, tmp_path):
    html = tmp_path / "crit.html"
    r = runner.invoke(app, ["criticality", "--economy", "JPN", "--years", "2019-2024", "--materials", "cobalt",
                            "--view", "trend", "--format", "csv", "--html", str(html),
                            "--warehouse", str(demo_warehouse)])
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0].startswith("economy,material_id,material,first_year")
    page = html.read_text(encoding="utf-8")
    assert page.count('class="plotly-graph-div"') == 2 and "Supply risk" in page


def test_lists_matrix_csv_and_out_file(tmp_path):
    out = tmp_path / "lists.csv"
    r = runner.invoke(app, ["critical-lists", "--format", "csv", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_text(encoding="utf-8").startswith("material_id,material,us_2022")


def test_errors_are_one_line_and_exit_non_zero(demo_warehouse):
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-m", "critmin", "criticality", "--year", "2010", "--warehouse",
                        str(demo_warehouse)], capture_output=True, text=True)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "no production data" in p.stderr
