"""GeoPolRisk: parity with geopolrisk-py 2.0.1 run for real, groups, aliases, options, bad input, CLI."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from critmin.errors import UsageError
from critmin.indicators.geopolrisk import (
    GprOptions,
    default_materials,
    geopolrisk,
    gpr_materials,
    parse_years,
)

# BACI numeric codes (the codes geopolrisk-py takes) of the economies in the parity sample
PEER_CODES = {"USA": 842, "JPN": 392, "DEU": 276, "FRA": 251, "ITA": 380, "KOR": 410, "IND": 699, "BRA": 76,
              "CAN": 124, "GBR": 826, "CHN": 156, "AUS": 36}
SAMPLE_YEARS = [2018, 2021, 2024]
SAMPLE_COUNTRIES = ["USA", "JPN", "DEU", "CHN", "IND", "BRA"]
# units t and kg (Gold, Platinum), Mio m3 (Natural gas), several HS codes summed (Cobalt, Rare earth, Lithium)
SAMPLE_MATERIALS = ["Cobalt", "Lithium", "Rare earth", "Gold", "Platinum", "Natural gas", "Copper", "Graphite"]
GROUP_YEARS = [2020, 2024]
GROUP_MATERIALS = ["Cobalt", "Rare earth", "Gold", "Nickel"]
PEER_COLS = {
    "GeoPolRisk Score": "score",
    "GeoPolRisk Characterization Factor [eq. Kg-Cu/Kg]": "cf",
    "HHI": "hhi",
    "Import Risk": "import_risk",
    "Price": "price",
}
VALUE_COLS = ["score", "cf", "hhi", "import_risk", "price"]


def _bundle_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("geopolrisk")
    assert spec and spec.submodule_search_locations
    return Path(list(spec.submodule_search_locations)[0]) / "lib"


@pytest.fixture(scope="session")
def wh_con(built_warehouse):
    con = duckdb.connect(str(built_warehouse), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="session")
def peer_results(tmp_path_factory) -> dict[str, pd.DataFrame]:
    """Run geopolrisk-py 2.0.1 itself (in a subprocess, HOME pointed at a temp dir because it writes logs and
    results under ~/Documents/geopolrisk) on the sample, once for countries and once for its 'EU' region."""
    home = tmp_path_factory.mktemp("peer_home")
    out = tmp_path_factory.mktemp("peer_out")
    code = textwrap.dedent(f"""
        from geopolrisk.assessment.main import gprs_calc
        r = gprs_calc({SAMPLE_YEARS!r}, {[PEER_CODES[c] for c in SAMPLE_COUNTRIES]!r}, {SAMPLE_MATERIALS!r})
        r.to_parquet({str(out / "countries.parquet")!r})
        r = gprs_calc({GROUP_YEARS!r}, ["EU"], {GROUP_MATERIALS!r})
        r.to_parquet({str(out / "eu.parquet")!r})
    """)
    env = {**os.environ, "HOME": str(home), "TQDM_DISABLE": "1"}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, timeout=600)
    return {"countries": pd.read_parquet(out / "countries.parquet"), "eu": pd.read_parquet(out / "eu.parquet")}


def _peer_frame(df: pd.DataFrame, name_to_iso3: dict[str, str]) -> pd.DataFrame:
    out = df.rename(columns=PEER_COLS)
    out["iso3"] = out["Country [Economic Entity]"].map(name_to_iso3)
    out["material"] = out["Raw Material"]
    out["year"] = out["Year"].astype(int)
    return out[["iso3", "material", "year", *VALUE_COLS]].astype({c: float for c in VALUE_COLS})


def _assert_parity(ours: pd.DataFrame, peer: pd.DataFrame) -> None:
    m = ours.merge(peer, on=["iso3", "material", "year"], suffixes=("", "_peer"), validate="one_to_one")
    assert len(m) == len(peer) == len(ours)
    for c in VALUE_COLS:
        np.testing.assert_allclose(m[c].to_numpy(), m[f"{c}_peer"].to_numpy(), rtol=1e-9, atol=0, err_msg=c)


@pytest.mark.slow
def test_parity_with_geopolrisk_py_countries(peer_results, wh_con):
    names = {"USA": "USA", "Japan": "JPN", "Germany": "DEU", "China": "CHN", "India": "IND", "Brazil": "BRA"}
    peer = _peer_frame(peer_results["countries"], names)
    assert len(peer) == len(SAMPLE_YEARS) * len(SAMPLE_COUNTRIES) * len(SAMPLE_MATERIALS)
    ours = geopolrisk(SAMPLE_COUNTRIES, SAMPLE_MATERIALS, SAMPLE_YEARS, con=wh_con)
    _assert_parity(ours, peer)
    # the sample exercises real values, not zeros
    assert (ours["score"] > 0).mean() > 0.8


@pytest.mark.slow
def test_parity_with_geopolrisk_py_eu_region(peer_results, wh_con):
    peer = _peer_frame(peer_results["eu"], {"EU": "EU27"})
    ours = geopolrisk(["EU27"], GROUP_MATERIALS, GROUP_YEARS, con=wh_con)
    _assert_parity(ours, peer)
    # an ad-hoc group with the same 27 members gives the same numbers (the peer's region_dict)
    members = sorted(wh_con.execute("select iso3 from group_members where group_id = 'EU27' and year = 2024")
                     .fetchall())
    adhoc = geopolrisk(["MYEU"], GROUP_MATERIALS, GROUP_YEARS, con=wh_con,
                       groups={"MYEU": [m[0] for m in members]})
    np.testing.assert_allclose(adhoc[VALUE_COLS].to_numpy(), ours[VALUE_COLS].to_numpy(), rtol=1e-12)


def test_material_map_matches_bundled_hs_code_map():
    con = sqlite3.connect(_bundle_dir() / "world_mining_data.db")
    rows = con.execute('select "Reference ID", Sheet_name, "HS Code", "HS Code - Complementary", Symbol '
                       'from "HS Code Map"').fetchall()
    con.close()
    expected = {}
    for ref, sheet, hs, extra, symbol in rows:
        if hs == "Not Available" or symbol is None:
            continue
        codes = {str(int(hs))} | ({str(int(c)) for c in extra.split(";")} if extra else set())
        expected[ref] = (sheet, tuple(sorted(codes)))
    ours = {k: (m.wmd_commodity, tuple(sorted(m.hs6))) for k, m in gpr_materials().items()}
    assert ours == expected
    assert len(default_materials()) == 53


def test_aliases_return_material_as_given(wh_con):
    names = ["Rare earth", "rare earth", "rare_earths", "稀土"]
    df = geopolrisk(["JPN"], names, [2022], con=wh_con)
    assert df["material"].tolist() == names
    assert df["score"].nunique() == 1 and df["score"].iloc[0] > 0


def test_identities_and_ranges(wh_con):
    df = geopolrisk(["USA", "CHN", "EU27"], default_materials(), "2019-2020", con=wh_con, detail=True)
    assert len(df) == 3 * 53 * 2
    np.testing.assert_allclose(df["score"], df["hhi"] * df["import_risk"], rtol=1e-12)
    np.testing.assert_allclose(df["cf"], df["score"] * df["price"] / 0.409412948, rtol=1e-12)
    assert df["hhi"].between(0, 1).all() and df["import_risk"].between(0, 1).all()
    assert (df["price"] >= 0).all()
    priced = df["imports_t"] > 0
    np.testing.assert_allclose(df.loc[priced, "price"], df.loc[priced, "imports_kusd"] / df.loc[priced, "imports_t"])


def test_corrected_mode_changes_only_what_it_should(wh_con):
    comp = geopolrisk(["USA"], ["Natural gas", "Copper", "Cobalt"], [2022], con=wh_con, detail=True)
    corr = geopolrisk(["USA"], ["Natural gas", "Copper", "Cobalt"], [2022], con=wh_con, gpr_compat=False,
                      detail=True)
    # natural gas production converted from million m3 to tonnes (x 800)
    np.testing.assert_allclose(corr["production_t"].iloc[0], comp["production_t"].iloc[0] * 800)
    # without the integer cut the HHI moves by far less than 1e-3 relative
    np.testing.assert_allclose(corr["hhi"], comp["hhi"], rtol=1e-3)
    # same-year copper reference: copper's own CF is 1
    assert corr["cf"].iloc[1] == pytest.approx(1.0)
    with pytest.raises(UsageError):
        GprOptions.from_flag(True, no_such_option=1)


@pytest.mark.parametrize(
    ("countries", "materials", "years", "needle"),
    [
        (["USA", "XXX"], ["Cobalt"], [2022], "XXX"),
        (["USA"], ["Cobalt", "Unobtainium"], [2022], "Unobtainium"),
        (["USA"], ["Cobalt"], [2017, 2022], "2017"),
        (["USA"], ["Cobalt"], [2025], "2018–2024"),
        (["XXX", "USA"], ["Unobtainium"], [2022], "XXX.*Unobtainium"),  # both reported at once
        (["EU28"], ["Cobalt"], [2022], "EU28 2022"),  # a group without members that year
    ],
)
def test_bad_inputs_give_clear_errors(wh_con, countries, materials, years, needle):
    with pytest.raises(UsageError, match=needle):
        geopolrisk(countries, materials, years, con=wh_con)


def test_parse_years():
    assert parse_years("2018-2020,2024") == [2018, 2019, 2020, 2024]
    assert parse_years(2020) == [2020]
    for bad in ("2020-2018", "twenty", "2018-"):
        with pytest.raises(UsageError):
            parse_years(bad)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from critmin.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=120)


def test_cli_csv_out_matches_api(built_warehouse, wh_con, tmp_path):
    out = tmp_path / "gpr.csv"
    r = _cli("geopolrisk", "--countries", "USA,JPN,EU27", "--materials", "Cobalt,Rare earth,lithium",
             "--years", "2021-2022", "--format", "csv", "--out", str(out), "--warehouse", str(built_warehouse))
    assert r.returncode == 0, r.stderr
    df = pd.read_csv(out, float_precision="round_trip")
    assert list(df.columns) == ["iso3", "material", "year", "score", "cf", "hhi", "import_risk", "price"]
    assert set(df["material"]) == {"Cobalt", "Rare earth", "lithium"}
    api = geopolrisk(["USA", "JPN", "EU27"], ["Cobalt", "Rare earth", "lithium"], "2021-2022", con=wh_con)
    np.testing.assert_allclose(df[VALUE_COLS].to_numpy(), api[VALUE_COLS].to_numpy(), rtol=1e-14)
    # an ad-hoc group on the command line
    r = _cli("geopolrisk", "--countries", "NA3", "--group", "NA3=USA,CAN,MEX", "--materials", "Cobalt",
             "--years", "2022", "--format", "json", "--warehouse", str(built_warehouse))
    assert r.returncode == 0, r.stderr
    assert '"iso3":"NA3"' in r.stdout.replace(" ", "")


def test_cli_bad_input_is_one_line_and_nonzero(built_warehouse, tmp_path):
    out = tmp_path / "never.csv"
    r = _cli("geopolrisk", "--countries", "USA,ATLANTIS", "--materials", "Cobalt", "--years", "2022",
             "--out", str(out), "--warehouse", str(built_warehouse))
    assert r.returncode != 0
    assert "ATLANTIS" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not out.exists()


POOL = ["USA", "JPN", "DEU", "FRA", "ITA", "KOR", "IND", "BRA", "CAN", "GBR", "CHN", "AUS", "ZAF", "CHL", "IDN"]


def test_group_invariants_property(wh_con):
    """For any ad-hoc group: imports and production add up over members, intra-group imports carry no risk
    (weighted imports at most the members' sum), the HHI is the world's, and a one-member group is the
    country itself."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=15, deadline=None, derandomize=True, database=None)
    @given(members=st.lists(st.sampled_from(POOL), min_size=1, max_size=5, unique=True),
           material=st.sampled_from(["Cobalt", "Rare earth", "Gold", "Lithium", "Natural gas", "Copper"]),
           year=st.integers(2018, 2024))
    def check(members, material, year):
        grp = geopolrisk(["G"], [material], [year], con=wh_con, groups={"G": members}, detail=True).iloc[0]
        each = geopolrisk(members, [material], [year], con=wh_con, detail=True)
        assert grp["imports_t"] == pytest.approx(each["imports_t"].sum(), rel=1e-12, abs=1e-9)
        assert grp["imports_kusd"] == pytest.approx(each["imports_kusd"].sum(), rel=1e-12, abs=1e-9)
        assert grp["production_t"] == pytest.approx(each["production_t"].sum(), rel=1e-12, abs=1e-9)
        assert grp["weighted_imports_t"] <= each["weighted_imports_t"].sum() * (1 + 1e-12) + 1e-9
        assert (each["hhi"] == grp["hhi"]).all()
        assert 0 <= grp["import_risk"] <= 1
        assert grp["score"] == pytest.approx(grp["hhi"] * grp["import_risk"], rel=1e-12, abs=0)
        if len(members) == 1:
            one = each.iloc[0]
            for c in VALUE_COLS:
                assert grp[c] == pytest.approx(one[c], rel=1e-12, abs=0)

    check()
