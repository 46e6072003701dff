"""The bundled BACI's provenance label says what the data show and no release it cannot be (issue 13)."""

import sqlite3

import duckdb

from critmin.sources.geopolrisk_bundle import RELEASE_LAG_YEARS, bundle_dir, named_release, trade_vintage


def test_label_states_the_years_and_codes_read_from_the_bundle():
    with sqlite3.connect(bundle_dir() / "baci.db") as s:
        lo, hi, n = s.execute("select min(t), max(t), count(distinct k) from baci_trade").fetchone()
    label = trade_vintage()
    assert f"{n}-code subset {lo}–{hi}" in label and "release unknown" in label
    named = named_release()
    assert named == "V202401b"  # the name on the package's metadata tables
    last = int(named[1:5]) - RELEASE_LAG_YEARS
    assert last == 2022 and int(hi) > last  # so the label may not present the rows as that release
    assert f"{named}, a release whose last year is {last}" in label and "not (all) from it" in label
    assert f"HS92 {named} subset" not in label and f"HS92 {named}," not in label


def test_the_warehouse_carries_the_label(demo_warehouse):
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        (vintage,) = con.execute("""SELECT vintage FROM provenance WHERE "table" = 'trade'""").fetchone()
    assert vintage.startswith("demo cut") and trade_vintage() in vintage
