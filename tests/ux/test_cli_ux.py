"""What an analyst meets at the terminal: numbers, names, languages, empty results, files, extras (issue 16)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from critmin.cli import app


class Ran:
    """A CLI run with the exit code ``critmin.cli.main`` would give (CliRunner calls the app without it)."""

    def __init__(self, r):
        from critmin.errors import CritminError

        self.output, self.exception = r.output, r.exception
        self.exit_code = r.exception.exit_code if isinstance(r.exception, CritminError) else r.exit_code


def run(*args, **kw):
    return Ran(CliRunner().invoke(app, list(args), **kw))


@pytest.fixture
def demo(demo_warehouse, monkeypatch):
    monkeypatch.setenv("CRITMIN_WAREHOUSE", str(demo_warehouse))
    return demo_warehouse


def test_version_and_completion_are_offered():
    from critmin import __version__

    r = run("--version")
    assert r.exit_code == 0 and r.output.strip() == f"critmin {__version__}"
    helptext = run("--help").output
    assert "--install-completion" in helptext and "8 nothing matched" in helptext


def test_one_number_format_and_shares_in_percent():
    from critmin.tabletext import cell, is_share

    assert cell(77130.2) == "77,130" and cell(4799) == "4,799" and cell(0.31274) == "0.3127"
    assert cell(1e-5) == "0.00001" and "e" not in cell(3.2e7)
    assert cell(0.6171, share=True) == "61.7 %"
    assert is_share("top1_share_value") and is_share("yoy_imports") and not is_share("china_share_change_pp")


def test_table_shows_percent_names_and_ranks_from_one(demo):
    r = run("suppliers", "--importer", "EU27", "--material", "rare_earths", "--years", "2024", "--top", "3")
    assert r.exit_code == 0, r.output
    lines = [ln for ln in r.output.splitlines() if "rare_earths" in ln and "│" in ln]
    assert len(lines) == 3 and "CHN China" in lines[0] and " %" in lines[0]
    assert [ln.split("│")[7].strip() for ln in lines] == ["1", "2", "3"]
    # csv keeps the stored fraction and the same ranks
    rows = run("suppliers", "--importer", "EU27", "--material", "rare_earths", "--years", "2024", "--top", "3",
               "--format", "csv").output.splitlines()
    assert rows[0].split(",")[-2:] == ["rank", "provenance_ids"] and float(rows[1].split(",")[5]) < 1


def test_country_names_in_chinese_and_did_you_mean(demo):
    r = run("dependency", "--importer", "德国", "--material", "稀土", "--years", "2024", "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)[0]["importer"] == "DEU"
    r = run("dependency", "--importer", "EU27", "--material", "rare_eart", "--years", "2024")
    assert r.exit_code == 2 and "did you mean rare_earths" in str(r.exception)
    r = run("dependency", "--importer", "Germny", "--material", "rare_earths")
    assert r.exit_code == 2 and "Germany" in str(r.exception)


def test_year_on_year_is_computed_before_the_year_filter(demo):
    one = json.loads(run("dependency", "--importer", "EU27", "--material", "rare_earths", "--years", "2024",
                         "--format", "json").output)
    two = json.loads(run("dependency", "--importer", "EU27", "--material", "rare_earths", "--years", "2023-2024",
                         "--format", "json").output)
    assert len(one) == 1 and one[0]["yoy_imports"] is not None
    assert one[0]["yoy_imports"] == pytest.approx(two[1]["yoy_imports"])


def test_unknown_language_is_refused():
    r = run("kb", "timeline", "--lang", "fr")
    assert r.exit_code == 2 and "unknown language 'fr'" in r.output


def test_empty_results_are_explained_with_exit_code_8(demo):
    r = run("crma", "--years", "2030")
    assert r.exit_code == 8 and "no trade data for years 2030" in str(r.exception)
    r = run("kb", "events", "--material", "rare_earths", "--since", "2099-01-01")
    assert r.exit_code == 8 and "no knowledge-base entry" in str(r.exception)


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet", ".csv", ".json"])
def test_indicator_results_export_to_files(demo, tmp_path, suffix):
    import pandas as pd

    out = tmp_path / f"dep{suffix}"
    r = run("dependency", "--importer", "EU27", "--material", "rare_earths", "--years", "2023-2024", "--out", str(out))
    assert r.exit_code == 0, r.output
    read = {".xlsx": pd.read_excel, ".parquet": pd.read_parquet, ".csv": pd.read_csv, ".json": pd.read_json}[suffix]
    df = read(out)
    assert list(df["year"]) == [2023, 2024] and df["top1_share"].between(0, 1).all()
    assert not list(tmp_path.glob(".*tmp"))  # nothing half-written left behind


def test_a_missing_extra_names_what_to_install(monkeypatch):
    import importlib.util

    from critmin import extras

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda m, *a: None if m == "jieba" else real(m, *a))
    r = run("discourse", "report")
    assert r.exit_code == 2 and isinstance(r.exception, extras.MissingExtra)
    assert "pip install 'critmin[discourse]'" in str(r.exception) and "jieba" in str(r.exception)


def test_extras_match_pyproject():
    import tomllib
    from pathlib import Path

    from critmin.extras import EXTRAS

    meta = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    opt = meta["optional-dependencies"]
    assert set(EXTRAS) <= set(opt) and "all" in opt
    core = " ".join(meta["dependencies"]).lower()
    for extra, modules in EXTRAS.items():
        for m in modules:  # an extra's packages are not in the core install
            assert m.split("_")[0] not in core, (extra, m)
    assert all("critmin[" in a for a in opt["all"])


def test_examples_ship_with_the_package_and_are_not_overwritten(tmp_path):
    r = run("examples", "--format", "json")
    names = {e["file"] for e in json.loads(r.output)}
    assert {"dossier.json", "chain.json"} <= names
    assert run("examples", "--copy", str(tmp_path)).exit_code == 0
    assert (tmp_path / "dossier.json").stat().st_size > 0
    again = run("examples", "--copy", str(tmp_path))
    assert again.exit_code == 2 and "--replace" in str(again.exception)


def test_table_width_follows_the_content_when_piped():
    import io

    from critmin.tabletext import Rows, write_table

    buf = io.StringIO()
    long = "a heading that is long enough to be cut at eighty columns"
    write_table(Rows([long, "b"], [("x" * 120, 1.5)]), out=buf)
    assert long in buf.getvalue() and "x" * 120 in buf.getvalue()  # nothing cut, nothing wrapped
