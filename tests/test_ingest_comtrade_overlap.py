"""Two Comtrade extracts that declare the same flow (reporter, year, flow, partner, HS6; the same month, or a
year against its months) are not summed: the second is refused, replaces with --replace, and --dry-run shows
what it would replace (issue 13)."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from critmin.errors import UsageError
from critmin.warehouse.ingest import ingest_comtrade

HEADER = "freqCode,refYear,period,reporterISO,partnerISO,flowCode,cmdCode,primaryValue,netWgt\n"


@pytest.fixture()
def ctwh(demo_warehouse, tmp_path):
    dst = tmp_path / "ct.duckdb"
    shutil.copy(demo_warehouse, dst)
    return dst


def _extract(tmp_path, name, rows):
    f = tmp_path / name
    f.write_text(HEADER + "".join(",".join(map(str, r)) + "\n" for r in rows), encoding="utf-8")
    return f


def _jpn_imports(path):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("""SELECT count(*), sum(value_kusd) FROM trade_comtrade
                              WHERE reporter = 'JPN' AND flow = 'M' AND hs6 = '280530'""").fetchall()[0]


def test_second_extract_of_the_same_flows_is_refused_then_replaces(ctwh, tmp_path, capsys):
    from critmin.cli.commands.warehouse import _print_reports

    first = _extract(tmp_path, "jpn_2023_a.csv", [("A", 2023, 2023, "JPN", "CHN", "M", 280530, 1_000_000, 1000),
                                                  ("A", 2023, 2023, "JPN", "VNM", "M", 280530, 500_000, 400)])
    ingest_comtrade([first], ctwh, progress=False)
    assert _jpn_imports(ctwh) == (2, 1500.0)
    # a later download: the same JPN←CHN flow revised, a new partner
    second = _extract(tmp_path, "jpn_2023_b.csv", [("A", 2023, 2023, "JPN", "CHN", "M", 280530, 1_200_000, 1100),
                                                   ("A", 2023, 2023, "JPN", "USA", "M", 280530, 100_000, 50)])
    with pytest.raises(UsageError) as exc:
        ingest_comtrade([second], ctwh, progress=False)
    msg = str(exc.value)
    assert "jpn_2023_b.csv declares flows that 1 rows of other" in msg and "jpn_2023_a.csv" in msg and "--replace" in msg
    assert _jpn_imports(ctwh) == (2, 1500.0)  # nothing kept

    (dry,) = ingest_comtrade([second], ctwh, progress=False, dry_run=True)
    assert dry.dry_run and dry.replaced == 1 and dry.replaced_detail[0]["source"] == "jpn_2023_a.csv"
    _print_reports([dry])
    out = capsys.readouterr().out
    assert "dry run: nothing was written" in out and "would replace 1 rows of jpn_2023_a.csv" in out
    assert _jpn_imports(ctwh) == (2, 1500.0)

    (rep,) = ingest_comtrade([second], ctwh, progress=False, replace=True)
    assert rep.replaced == 1
    assert _jpn_imports(ctwh) == (3, 1200.0 + 500.0 + 100.0)  # CHN once (the later value), VNM, USA
    with duckdb.connect(str(ctwh), read_only=True) as con:
        count, note = con.execute("SELECT row_count, note FROM provenance WHERE file LIKE '%jpn_2023_a.csv'"
                                  ).fetchall()[0]
    assert count == 1 and "1 rows superseded" in note


def test_months_are_distinct_flows_but_a_year_overlaps_its_months(ctwh, tmp_path):
    jan = _extract(tmp_path, "jpn_2023_01.csv", [("M", 2023, 202301, "JPN", "CHN", "M", 280530, 80_000, 80)])
    feb = _extract(tmp_path, "jpn_2023_02.csv", [("M", 2023, 202302, "JPN", "CHN", "M", 280530, 90_000, 90)])
    ingest_comtrade([jan, feb], ctwh, progress=False)  # two months of one flow: no overlap
    assert _jpn_imports(ctwh) == (2, 170.0)
    year = _extract(tmp_path, "jpn_2023.csv", [("A", 2023, 2023, "JPN", "CHN", "M", 280530, 1_000_000, 1000)])
    with pytest.raises(UsageError, match="that 2 rows of other"):  # the annual row holds both months
        ingest_comtrade([year], ctwh, progress=False)
    ingest_comtrade([year], ctwh, progress=False, replace=True)
    assert _jpn_imports(ctwh) == (1, 1000.0)
