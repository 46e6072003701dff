"""Ingest of user files in CEPII's and Comtrade's exact formats, every class of bad input, and atomicity."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from critmin.errors import InputError, UnknownCodeError
from critmin.warehouse.ingest import ingest_baci, ingest_comtrade

FIX = Path(__file__).parent / "fixtures"
BACI = FIX / "baci" / "BACI_HS92_Y2022_V202401b_sample.csv"
COMTRADE = FIX / "comtrade" / "comtrade_sample.csv"


@pytest.fixture()
def wh(demo_warehouse, tmp_path):
    """A private copy of the demo warehouse (rare earths among its codes, 2019–2024) that a test may write to."""
    dst = tmp_path / "wh.duckdb"
    shutil.copy(demo_warehouse, dst)
    return dst


def _state(path):
    with duckdb.connect(str(path), read_only=True) as con:
        return (con.execute("SELECT count(*), round(sum(value_kusd), 0) FROM trade").fetchall()[0],
                con.execute("SELECT count(*) FROM provenance").fetchall()[0][0],
                con.execute("SELECT count(*) FROM trade_comtrade").fetchall()[0][0])


def test_baci_csv_ingest_replaces_year_hs_slices_only_with_replace(wh, capsys):
    from critmin.cli.commands.warehouse import _print_reports
    from critmin.errors import UsageError

    with duckdb.connect(str(wh), read_only=True) as con:
        before_slice = con.execute(
            "SELECT count(*) FROM trade WHERE year=2022 AND hs6 IN ('280530','284690','284610')").fetchall()[0][0]
    before = _state(wh)
    with pytest.raises(UsageError, match=f"would replace {before_slice:,} rows.*--replace"):
        ingest_baci([BACI], wh, progress=False)
    assert _state(wh) == before
    (dry,) = ingest_baci([BACI], wh, progress=False, dry_run=True)  # says what would change, keeps nothing
    assert dry.dry_run and dry.rows == 7 and dry.replaced == before_slice
    assert [(d["rows"], d["years"], d["codes"]) for d in dry.replaced_detail] == [(before_slice, "2022", 3)]
    assert _state(wh) == before
    _print_reports([dry])
    out = capsys.readouterr().out
    assert "dry run: nothing was written" in out and f"would replace {before_slice:,} rows" in out
    assert "kept 1 rows of 1 HS6 code(s) outside the catalog" in out
    (rep,) = ingest_baci([BACI], wh, progress=False, replace=True)
    # HS 010111 (live horses) is outside the catalog: kept and counted, not dropped
    assert rep.rows == 7 and rep.uncatalogued == 1 and rep.uncatalogued_codes == 1
    assert rep.replaced == before_slice
    with duckdb.connect(str(wh), read_only=True) as con:
        rows = con.execute("""SELECT exporter, importer, hs6, value_kusd, qty_t FROM trade
                              WHERE provenance_id = ? ORDER BY value_kusd""", [rep.provenance_id]).fetchall()
        prov = con.execute('SELECT source, vintage, row_count FROM provenance WHERE provenance_id = ?',
                           [rep.provenance_id]).fetchall()[0]
    assert ("S19", "JPN", "284610", 5.5, 1.25) in rows          # 'Other Asia, nes' keeps CEPII's code
    assert ("USA", "FRA", "280530", 10.25, 0.5) in rows         # Comtrade-style codes 842 and 251
    assert ("AUS", "CHN", "284690", 123.456, None) in rows      # padded NA quantity -> NULL
    assert prov == ("CEPII BACI (user file)", "BACI HS92 V202401b, year 2022", 7)
    assert ("CHN", "JPN", "010111", 99.9, 12.0) in rows


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


BAD_BACI = [
    ("t,i,j,k,value,q\n2022,156,392,280530,1,1\n", 1, "header", "t,i,j,k,v,q"),
    ("t,i,j,k,v,q\n2022,156,392,280530,1,1\n2022,156,392,280530,abc,1\n", 3, "v", "a number"),
    ("t,i,j,k,v,q\n2022,156,392,280530,-5,1\n", 2, "v", "non-negative"),
    ("t,i,j,k,v,q\n2022,156,392,280530,5,-1\n", 2, "q", "non-negative"),
    ("t,i,j,k,v,q\n2022,156,392,28X530,5,1\n", 2, "k", "HS6"),
    ("t,i,j,k,v,q\n20x2,156,392,280530,5,1\n", 2, "t", "year"),
    ("t,i,j,k,v,q\n2022,156,392,280530,5,1\n2022,156,392", None, None, "truncated"),
    ("t,i,j,k,v,q\n2022,156,392,280530,5,1\n2022,156,392,280530\n", 3, None, "columns"),
]


@pytest.mark.parametrize("text,line,field,expected", BAD_BACI)
def test_bad_baci_input_names_file_line_field_and_writes_nothing(wh, tmp_path, text, line, field, expected):
    f = _write(tmp_path, "BACI_HS92_Y2022_V202401b_bad.csv", text)
    before = _state(wh)
    with pytest.raises(InputError) as exc:
        ingest_baci([BACI, f], wh, progress=False, replace=True)  # the good file first: it must be rolled back too
    err = exc.value
    assert err.file == str(f) and err.record == line and err.field == field
    assert expected in str(err)
    assert _state(wh) == before


def test_unknown_country_codes_listed_then_allowed(wh, tmp_path):
    f = _write(tmp_path, "BACI_HS92_Y2022_V202401b_unk.csv",
               "t,i,j,k,v,q\n2022,156,392,280530,5,1\n2022,999,392,280530,5,1\n2022,156,998,284690,5,NA\n")
    before = _state(wh)
    with pytest.raises(UnknownCodeError) as exc:
        ingest_baci([f], wh, progress=False)
    assert exc.value.record == 3 and exc.value.field == "i" and exc.value.extra["offenders"] == [999, 998]
    assert "999, 998" in str(exc.value)
    assert _state(wh) == before
    (rep,) = ingest_baci([f], wh, allow_unknown=True, progress=False, replace=True)
    assert rep.rows == 3 and rep.unknown_codes == [999, 998]
    with duckdb.connect(str(wh), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM trade WHERE exporter = 'M49:999'").fetchall()[0][0] == 1


def test_comtrade_ingest_maps_flows_and_skips_aggregates(wh):
    (rep,) = ingest_comtrade([COMTRADE], wh, progress=False)
    # World partner, an Air breakdown (motCode 1000) and a re-export are skipped
    assert rep.rows == 3 and rep.skipped_aggregates == 3
    with duckdb.connect(str(wh), read_only=True) as con:
        rows = con.execute("""SELECT reporter, partner, flow, exporter, importer, hs6, value_kusd, qty_t
                              FROM trade_comtrade ORDER BY value_kusd""").fetchall()
    assert ("DEU", "CHN", "M", "CHN", "DEU", "284690", 7654.321, None) in rows
    assert ("CHN", "USA", "X", "CHN", "USA", "284690", 54321.0, 4000.0) in rows
    assert ("JPN", "CHN", "M", "CHN", "JPN", "280530", 98765.4325, 1500.0) in rows


def test_bad_comtrade_inputs(wh, tmp_path):
    header = COMTRADE.read_text().splitlines()[0]
    good = COMTRADE.read_text().splitlines()[1]
    before = _state(wh)
    missing = _write(tmp_path, "c1.csv", header.replace("primaryValue", "value") + "\n" + good + "\n")
    with pytest.raises(InputError, match="primaryValue"):
        ingest_comtrade([missing], wh, progress=False)
    cols = good.split(",")
    bad_value = cols.copy()
    bad_value[-4] = "12x"  # primaryValue
    f = _write(tmp_path, "c2.csv", header + "\n" + good + "\n" + ",".join(bad_value) + "\n")
    with pytest.raises(InputError) as exc:
        ingest_comtrade([f], wh, progress=False)
    assert exc.value.record == 3 and exc.value.field == "primaryValue"
    unknown = cols.copy()
    unknown[12] = "XYZ"  # partnerISO
    f = _write(tmp_path, "c3.csv", header + "\n" + ",".join(unknown) + "\n")
    with pytest.raises(UnknownCodeError, match="XYZ"):
        ingest_comtrade([f], wh, progress=False)
    assert _state(wh) == before


def test_rebuild_carries_over_user_data(wh):
    from critmin.warehouse.build import build_warehouse

    ingest_comtrade([COMTRADE], wh, progress=False)
    with duckdb.connect(str(wh)) as con:
        con.execute("CREATE TABLE discourse_documents AS SELECT 1 AS id")
    report = build_warehouse(wh, force=True, progress=False)
    assert report.source == "demo"  # a rebuild keeps the source the file was built from
    assert "discourse_documents" in report.carried_over
    with duckdb.connect(str(wh), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM trade_comtrade").fetchall()[0][0] == 3
        assert con.execute("SELECT count(*) FROM build_history").fetchall()[0][0] >= 2


def test_year_and_revision_mismatches_are_refused_with_file_and_line(wh, tmp_path):
    before = _state(wh)
    other_year = _write(tmp_path, "BACI_HS92_Y2021_V202401b.csv", "t,i,j,k,v,q\n2021,156,392,280530,5,1\n"
                        "2022,156,392,280530,5,1\n")
    with pytest.raises(InputError) as exc:
        ingest_baci([other_year], wh, progress=False)
    assert (exc.value.file, exc.value.record, exc.value.field) == (str(other_year), 3, "t")
    assert "the year 2021 that the file name states" in str(exc.value)
    # HS07-only code 811292 (unwrought germanium/gallium/…) in a file that says HS92: refused at its line
    later = _write(tmp_path, "BACI_HS92_Y2022_V202401b_x.csv", "t,i,j,k,v,q\n2022,156,392,280530,5,1\n"
                   "2022,156,392,811292,5,1\n")
    with pytest.raises(UnknownCodeError) as exc:
        ingest_baci([later], wh, progress=False)
    assert (exc.value.record, exc.value.field, exc.value.got) == (3, "k", "811292")
    assert "later revision" in str(exc.value)
    # HS12 has no bundled correlation table (HS17 and HS22 do: tests/test_hs_correlation_bundled.py)
    hs17 = _write(tmp_path, "BACI_HS12_Y2022_V202401b.csv", "t,i,j,k,v,q\n2022,156,392,280530,5,1\n")
    with pytest.raises(InputError, match="no HS correlation table") as exc:
        ingest_baci([hs17], wh, progress=False)
    assert exc.value.field == "HS revision" and exc.value.got == "HS12"
    unnamed = _write(tmp_path, "my_extract.csv", "t,i,j,k,v,q\n2022,156,392,280530,5,1\n")
    with pytest.raises(InputError, match="--hs-revision"):
        ingest_baci([unnamed], wh, progress=False)
    with pytest.raises(InputError, match="given with --hs-revision"):
        ingest_baci([hs17], wh, progress=False, hs_revision="HS92")
    assert _state(wh) == before
    (rep,) = ingest_baci([unnamed], wh, progress=False, hs_revision="hs92", replace=True)
    assert rep.rows == 1


def test_unknown_hs92_code_is_refused_listing_offenders(wh, tmp_path):
    f = _write(tmp_path, "BACI_HS92_Y2022_V202401b_hs.csv",
               "t,i,j,k,v,q\n2022,156,392,280530,5,1\n2022,156,392,123456,5,1\n2022,156,392,123457,5,1\n")
    before = _state(wh)
    with pytest.raises(UnknownCodeError) as exc:
        ingest_baci([f], wh, progress=False)
    assert exc.value.record == 3 and exc.value.field == "k"
    assert exc.value.extra["offenders"] == ["123456", "123457"]
    assert _state(wh) == before
    (rep,) = ingest_baci([f], wh, allow_unknown=True, progress=False, replace=True)
    assert rep.rows == 3 and rep.unknown_codes == ["123456", "123457"]  # reported, and kept (issue 13)
    assert rep.uncatalogued == 2


def test_ingest_file_picks_the_adapter_by_its_header(wh, tmp_path):
    from critmin.warehouse.ingest import ingest_files

    baci, comtrade = ingest_files([BACI, COMTRADE], wh, progress=False, replace=True)
    assert (baci.adapter, baci.table, baci.rows) == ("baci_csv", "trade", 7)
    assert (comtrade.adapter, comtrade.table, comtrade.rows) == ("comtrade_csv", "trade_comtrade", 3)
    other = _write(tmp_path, "other.csv", "a,b\n1,2\n")
    before = _state(wh)
    with pytest.raises(InputError, match="baci_csv, comtrade_csv"):
        ingest_files([other], wh, progress=False)
    assert _state(wh) == before


def test_handle_tables_as_arrow_pandas_polars(demo_warehouse):
    import critmin

    with critmin.open(demo_warehouse) as wh:
        arrow = wh.table("materials", fmt="arrow")
        pdf = wh.table("materials", fmt="pandas")
        pl = wh.table("materials", fmt="polars")
    assert arrow.num_rows == len(pdf) == pl.height > 50
    assert "rare_earths" in set(pl["material_id"].to_list())


def test_hs17_file_lands_under_hs92_codes_through_the_users_correlation_table(wh, tmp_path):
    """The user's table overrides the bundled UNSD one: an HS17 file is converted with it, one-to-one renamed,
    one-to-many split by the stated shares, many-to-one summed. The shares below are chosen for the test,
    not taken from the official tables."""
    hs17 = _write(tmp_path, "BACI_HS17_Y2022_V202501.csv", "t,i,j,k,v,q\n"
                  "2022,156,392,280530,100,10\n"      # one-to-one
                  "2022,156,392,811292,50,5\n"        # one-to-many: split 0.6 / 0.4
                  "2022,156,392,284619,30,3\n"        # many-to-one with 284690 below
                  "2022,156,392,284690,20,NA\n")
    corr = _write(tmp_path, "hs17_hs92.csv", "HS17,HS92,share\n280530,280530,\n811292,811291,0.6\n"
                  "811292,811230,0.4\n284619,284690,\n284690,284690,\n")
    bad = _write(tmp_path, "bad_corr.csv", "HS17,HS92,share\n280530,280530,\n811292,811291,0.6\n"
                 "811292,811230,0.3\n284619,284690,\n284690,284690,\n")
    with pytest.raises(InputError) as exc:
        ingest_baci([hs17], wh, progress=False, replace=True, correlation=bad)
    assert (exc.value.file, exc.value.record, exc.value.field) == (str(bad), 4, "share")
    short = _write(tmp_path, "short_corr.csv", "HS17,HS92\n280530,280530\n")
    with pytest.raises(InputError) as exc:
        ingest_baci([hs17], wh, progress=False, replace=True, correlation=short)
    assert (exc.value.file, exc.value.record, exc.value.field, exc.value.got) == (str(hs17), 3, "k", "811292")
    (rep,) = ingest_baci([hs17], wh, progress=False, replace=True, correlation=corr)
    with duckdb.connect(str(wh), read_only=True) as con:
        rows = dict((h, (v, q)) for h, v, q in con.execute(
            "SELECT hs6, value_kusd, qty_t FROM trade WHERE provenance_id = ?", [rep.provenance_id]).fetchall())
        vintage, note = con.execute("SELECT vintage, note FROM provenance WHERE provenance_id = ?",
                                    [rep.provenance_id]).fetchall()[0]
    assert rows["280530"] == (100, 10)
    assert rows["811291"] == pytest.approx((30, 3)) and rows["811230"] == pytest.approx((20, 2))
    assert rows["284690"][0] == 50 and rows["284690"][1] is None  # a merged flow with an unknown part: no qty
    assert "811292" not in rows and "284619" not in rows
    assert vintage == "BACI HS17 V202501, year 2022, converted to HS92" and "hs17_hs92.csv" in note


def test_unit_value_screen_flags_a_mistyped_quantity_and_counts_it(wh, tmp_path):
    """A flow whose price per tonne is 1,000 times its product's others (a quantity typed in kg as tonnes, say)
    is kept and flagged 'high'; `critmin sources` counts it for its file."""
    import critmin
    from critmin.catalog import load_catalog
    from critmin.warehouse.unit_value import method_note

    ctry = load_catalog().countries.dropna(subset=["m49"]).drop_duplicates("iso3", keep=False)
    m49 = sorted(int(x) for x in ctry["m49"] if int(x) != 156)[:30]  # one code per ISO3, so each flow is once
    lines = [f"2022,156,{j},284690,{100 + 7 * k},{10 + 0.5 * (k % 5)}" for k, j in enumerate(m49)]
    lines[3] = f"2022,156,{m49[3]},284690,100,0.01"  # 10,000 kUSD per tonne against ~10 for the rest
    f = _write(tmp_path, "BACI_HS92_Y2022_V202401b_uv.csv", "t,i,j,k,v,q\n" + "\n".join(lines) + "\n")
    (rep,) = ingest_baci([f], wh, progress=False, replace=True)
    assert rep.uv_flagged == 1
    with duckdb.connect(str(wh), read_only=True) as con:
        flagged = con.execute("SELECT importer, uv_flag FROM trade WHERE provenance_id = ? AND uv_flag IS NOT NULL",
                              [rep.provenance_id]).fetchall()
        n = con.execute("SELECT count(*) FROM trade WHERE provenance_id = ?", [rep.provenance_id]).fetchall()[0][0]
    assert n == 30 and len(flagged) == 1 and flagged[0][1] == "high"  # kept, marked
    with critmin.open(wh) as h:
        prov = h.provenance().set_index("provenance_id")
    assert prov.loc[rep.provenance_id, "uv_flagged"] == 1
    assert "ASSUMPTION" in method_note()
