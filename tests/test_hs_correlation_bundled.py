"""The bundled UNSD HS2017/HS2022→HS1992 table (src/critmin/sources/data/hs_correlation_unsd.csv) and its use
as the default when an HS17 or HS22 BACI file is ingested without --correlation (issue 13 item 1).

Pinned pairs are read off UNSD's "HS2017 to HS1992" and "HS2022 to HS1992" conversion and correlation sheets
(copies in github.com/insongkim/concordance, commit 201c812e, data-raw/HS2017toHS1992…xlsx, HS2022toHS1992…xlsx).
"""

from __future__ import annotations

import csv
import shutil

import duckdb
import pytest
import yaml

from critmin.errors import InputError
from critmin.sources.hs_correlation import BUNDLED, bundled_correlation
from critmin.warehouse.ingest import ingest_baci


@pytest.fixture()
def hswh(demo_warehouse, tmp_path):
    dst = tmp_path / "hs.duckdb"
    shutil.copy(demo_warehouse, dst)
    return dst


def _rows():
    with open(BUNDLED, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_bundled_table_counts_pairs_and_provenance():
    from critmin.sources.provenance import sha256_file

    rows = _rows()
    assert len(rows) == 11001
    assert sum(r["revision"] == "HS17" for r in rows) == 5388
    assert sum(r["revision"] == "HS22" for r in rows) == 5613
    pairs = {(r["revision"], r["code"]): (r["hs92"], r["hs92_links"]) for r in rows}
    # HS2007-born 811292 (unwrought gallium, germanium, hafnium, indium, niobium, rhenium; waste; powders):
    # UNSD converts it to 811291 and correlates it with germanium 811230 and vanadium 811240 too
    assert pairs[("HS17", "811292")] == ("811291", "811230 811240 811291")
    assert pairs[("HS22", "811292")] == ("811291", "811230 811240 811291")
    assert pairs[("HS17", "810520")] == ("810510", "810510")     # unwrought cobalt
    assert pairs[("HS17", "280530")] == ("280530", "280530")     # rare-earth metals
    assert pairs[("HS17", "811212")][0] == pairs[("HS17", "811213")][0] == "811211"  # beryllium, many-to-one
    assert all(r["hs92"] in r["hs92_links"].split() for r in rows)
    prov = yaml.safe_load(BUNDLED.with_suffix(".yaml").read_text(encoding="utf-8"))
    assert prov["sha256"] == sha256_file(BUNDLED) and prov["counts"]["rows"] == len(rows)
    assert prov["retrieved_from"]["commit"].startswith("201c812e")
    assert bundled_correlation("HS12") is None
    hs17 = bundled_correlation("HS17")
    assert len(hs17.rows) == 5388 and len(hs17.links) == 723 and hs17.bundled


def test_hs17_file_lands_under_hs92_codes_by_default(hswh, tmp_path, capsys):
    from critmin.cli.commands.warehouse import _print_reports

    f = tmp_path / "BACI_HS17_Y2022_V202501.csv"
    f.write_text("t,i,j,k,v,q\n"
                 "2022,156,392,280530,100,10\n"     # one-to-one
                 "2022,156,392,811292,50,5\n"       # one-to-many: whole under UNSD's 811291, flagged
                 "2022,156,392,810520,40,4\n"       # renamed 810510
                 "2022,156,392,811212,30,3\n"       # many-to-one: summed under 811211
                 "2022,156,392,811213,20,2\n", encoding="utf-8")
    (rep,) = ingest_baci([f], hswh, progress=False, replace=True)
    assert rep.one_to_many == [("811292", "811291", "811230 811240 811291")]
    with duckdb.connect(str(hswh), read_only=True) as con:
        rows = {h: (v, q) for h, v, q in con.execute(
            "SELECT hs6, value_kusd, qty_t FROM trade WHERE provenance_id = ?", [rep.provenance_id]).fetchall()}
        vintage, note = con.execute("SELECT vintage, note FROM provenance WHERE provenance_id = ?",
                                    [rep.provenance_id]).fetchall()[0]
        flagged = con.execute("SELECT code, hs92 FROM trade_hs_conversion WHERE provenance_id = ?",
                              [rep.provenance_id]).fetchall()
    assert rows == {"280530": (100, 10), "811291": (50, 5), "810510": (40, 4), "811211": (50, 5)}
    assert "converted to HS92" in vintage and "bundled UNSD HS17→HS92" in note and "not split" in note
    assert flagged == [("811292", "811291")]
    _print_reports([rep])
    assert "811292→811291 (links 811230 811240 811291)" in capsys.readouterr().out


def test_hs22_file_by_default_and_a_code_missing_from_the_table_is_refused(hswh, tmp_path):
    f = tmp_path / "BACI_HS22_Y2022_V202501.csv"
    f.write_text("t,i,j,k,v,q\n2022,156,392,810520,40,4\n", encoding="utf-8")
    (rep,) = ingest_baci([f], hswh, progress=False, replace=True)
    assert rep.rows == 1 and rep.one_to_many == []
    bad = tmp_path / "BACI_HS22_Y2023_V202501.csv"
    bad.write_text("t,i,j,k,v,q\n2023,156,392,810520,40,4\n2023,156,392,123456,1,1\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        ingest_baci([bad], hswh, progress=False, replace=True)
    assert (exc.value.file, exc.value.record, exc.value.field, exc.value.got) == (str(bad), 3, "k", "123456")
