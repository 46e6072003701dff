"""Catalog: validation of the declarative files, lookups, groups by year, lists, reviewed corrections."""

from __future__ import annotations

import shutil

import pytest
import yaml

from critmin.catalog import DATA_DIR, Catalog, load_catalog
from critmin.errors import CatalogError, UsageError


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


def test_rare_earths_hs_codes_and_stages(cat):
    assert cat.hs6_for("rare_earths") == ["280530", "284610", "284690", "850511"]
    assert cat.hs6_for("rare_earths", stage="manufactured") == ["850511"]  # permanent magnets (issue 13)
    assert cat.hs6_for("rare_earths", stage="metal") == ["280530"]
    assert cat.hs6_for("rare_earths", stage="compound") == ["284610", "284690"]
    assert cat.material_for_hs6("284690") == "rare_earths"


def test_issue13_catalog_corrections(cat):
    """Each mapping issue 13 found wrong, as now catalogued, with its reason."""
    assert len(cat.materials) == 79 and len(cat.hs6_codes) == 93
    every = [h for m in cat.materials.values() for h in m.hs]
    assert all(h.reason.startswith(f"HS92 {h.hs6} ") for h in every)
    coking = cat.hs_code("270112")
    assert coking.coverage == "broader" and "all bituminous coal" in coking.reason
    assert "251010" in cat.hs6_for("phosphate", "ore_concentrate")
    tellurium = cat.hs_code("280450")
    assert tellurium.coverage == "shared" and tellurium.shared_with == ["boron"]
    assert cat.hs6_for("kaolin") == ["250700"] and cat.hs_code("250700").stage == "ore_concentrate"
    assert cat.hs6_for("clays") == ["250830", "250840"]  # fire-clay and other clays are not kaolin
    assert cat.hs_code("711510").stage == "manufactured" and cat.hs_code("711290").stage == "scrap"
    assert cat.hs6_for("titanium", "metal") == ["810810"]
    assert cat.expand("pgms") == ["platinum", "palladium", "rhodium", "iridium"]
    assert {"711011", "711021", "711031", "711041"} <= set(cat.hs6_for("pgms"))
    assert all(i.material == "pgms" for c in cat.critical_lists.values() for i in c.items
               if i.name == "platinum group metals")
    dead = {h.hs6: h.last_year for h in every if h.last_year}
    assert dead == {"811230": 2006, "283030": 2006, "250390": 1995}
    assert not cat.hs_code("811230").live(2007) and cat.hs_code("811230").live(2006)
    for mat, stage, code in [("rare_earths", "manufactured", "850511"), ("gallium", "metal", "811291"),
                             ("magnesium", "metal", "810411"), ("silicon_metal", "metal", "280469"),
                             ("synthetic_graphite", "processed_refined", "380110"), ("nickel", "metal", "750210"),
                             ("cobalt", "ore_concentrate", "260500"), ("copper", "metal", "740311"),
                             ("lithium", "compound", "283691"), ("titanium", "metal", "810810")]:
        assert code in cat.hs6_for(mat, stage), (mat, stage, code)


def test_catalog_codes_exist_in_hs92_and_live_years_match_the_data(cat, built_warehouse):
    """Every catalog code is in CEPII's HS92 list; a dead series has (almost) no rows after its last year."""
    import duckdb

    from critmin.sources.geopolrisk_bundle import hs92_codes

    assert cat.hs6_codes <= hs92_codes()
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        for code, last in [("811230", 2006), ("283030", 2006), ("250390", 1995)]:
            before, after = con.execute("""SELECT count(*) FILTER (WHERE year = ?), count(*) FILTER (WHERE year = ?)
                                           FROM trade WHERE hs6 = ?""", [last, last + 1, code]).fetchall()[0]
            assert after < before / 2.5, code


def test_material_aliases_resolve(cat):
    for name in ("rare_earths", "Rare earths", "稀土", "Rare earth", "rare EARTH"):
        assert cat.material(name).id == "rare_earths"
    assert cat.material("Cobalt").id == "cobalt"
    with pytest.raises(UsageError, match="unknown material 'unobtainium'"):
        cat.material("unobtainium")


def test_every_bundled_hs6_code_is_mapped(cat, built_warehouse):
    import duckdb

    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        codes = {r[0] for r in con.execute("SELECT DISTINCT hs6 FROM trade").fetchall()}
    assert len(codes) == 74
    assert codes <= cat.hs6_codes


def test_group_membership_by_year(cat):
    assert "GBR" in cat.members("EU28", 2019)
    assert "GBR" not in cat.members("EU27", 2021)
    assert len(cat.members("EU27", 2021)) == 27
    assert len(cat.members("EU", 2019)) == 28 and "GBR" in cat.members("EU", 2019)
    assert len(cat.members("EU", 2020)) == 27 and "GBR" not in cat.members("EU", 2020)
    assert len(cat.members("EU", 2005)) == 25 and "HRV" not in cat.members("EU", 2005)
    assert "HRV" in cat.members("EU", 2013)
    assert cat.members("G7", 2024) == ["CAN", "DEU", "FRA", "GBR", "ITA", "JPN", "USA"]
    assert "KOR" in cat.members("OECD", 1996) and "KOR" not in cat.members("OECD", 1995)
    assert cat.members("CHN", 2024) == ["CHN"]
    with pytest.raises(UsageError, match="EU28 exists"):
        cat.members("EU28", 2021)


def test_msp_founders_and_joiners(cat):
    founders = cat.members("MSP", 2022)
    assert {"USA", "JPN", "KOR", "DEU", "FRA", "GBR", "AUS", "CAN", "FIN", "SWE"} <= set(founders)
    assert "IND" not in founders and "IND" in cat.members("MSP", 2023)
    assert set(cat.members("MSP", 2024)) - set(cat.members("MSP", 2023)) == {"EST"}
    assert "ECU" not in cat.members("MSP", 2024)  # an MSP Forum member, not a partner
    assert cat.members("MSP", 2021) == []


def test_user_defined_groups(tmp_path):
    f = tmp_path / "my_groups.yaml"
    f.write_text(yaml.safe_dump({"groups": [{
        "id": "QUAD", "name_en": "Quad", "name_zh": "四方", "kind": "explicit", "citation": "user",
        "members": [{"iso3": c, "from_year": 2017} for c in ("USA", "JPN", "AUS", "IND")]}]}))
    cat = Catalog(DATA_DIR, user_groups=f)
    assert cat.members("QUAD", 2020) == ["AUS", "IND", "JPN", "USA"]
    assert cat.members("QUAD", 2016) == []


def test_critical_lists_have_published_counts(cat):
    counts = {k: len(v.items) for k, v in cat.critical_lists.items()}
    assert counts == {"us_2022": 50, "eu_2023": 34, "eu_2023_strategic": 17, "eu_2020": 30, "cn_2016": 24}
    assert all(c.citation for c in cat.critical_lists.values())


def test_crma_benchmarks(cat):
    b = {x.id: x for x in cat.benchmarks.benchmarks}
    assert b["crma_single_country_cap"].value == 0.65
    assert (b["crma_extraction_2030"].value, b["crma_processing_2030"].value, b["crma_recycling_2030"].value) == (
        0.10, 0.40, 0.25)


def test_countries_cover_baci_codes_with_zh_names(cat):
    m = cat.m49_to_iso3()
    assert (m[156], m[251], m[280], m[490], m[842], m[699]) == ("CHN", "FRA", "DEU", "S19", "USA", "IND")
    assert cat.country_name("CHN", "zh") == "中国"
    assert cat.country_name("DEU", "en") == "Germany"


def test_baci_corrections_are_still_needed(cat):
    """Each reviewed correction must still be needed: country_converter does not map the code itself."""
    import country_converter as coco

    cc = coco.CountryConverter()
    for c in cat.country_corrections:
        assert cc.convert(c.m49, src="UNcode", to="ISO3", not_found=None) != c.iso3, (
            f"country_converter now maps {c.m49} to {c.iso3}: drop the correction")


def _broken_copy(tmp_path, mutate):
    d = tmp_path / "data"
    shutil.copytree(DATA_DIR, d)
    data = yaml.safe_load((d / "materials.yaml").read_text(encoding="utf-8"))
    mutate(data)
    (d / "materials.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return d


def test_broken_entry_is_refused_with_file_and_key(tmp_path):
    def bad_hs(data):
        cobalt = next(m for m in data["materials"] if m["id"] == "cobalt")
        cobalt["hs"][0]["hs6"] = "28220"

    with pytest.raises(CatalogError) as exc:
        Catalog(_broken_copy(tmp_path, bad_hs))
    err = exc.value
    assert err.file.endswith("materials.yaml")
    assert "id=cobalt" in str(err.record) and err.field == "hs.0.hs6"
    assert "six-digit" in str(err)


def test_unknown_stage_and_duplicate_hs_are_refused(tmp_path):
    def bad_stage(data):
        data["materials"][0]["hs"][0]["stage"] = "smelted"

    with pytest.raises(CatalogError, match="stage"):
        Catalog(_broken_copy(tmp_path / "a", bad_stage))

    def dup(data):
        data["materials"][1]["hs"].append({"hs6": "284690", "stage": "compound", "reason": "a test"})

    with pytest.raises(CatalogError, match="284690 is also in"):
        Catalog(_broken_copy(tmp_path / "b", dup))


def test_light_iso3_set_equals_the_country_table():
    """is_country reads country_converter's file without pandas; it must agree with the full table."""
    from critmin.catalog import load_catalog

    cat = load_catalog()
    assert cat.iso3_codes == frozenset(cat.countries["iso3"])


def test_economies_by_code_name_and_group_name():
    from critmin.catalog.economies import resolve

    got = [e.id for e in resolve("usa, 日本, Germany, 欧盟28国, Group of Seven, 七国集团, eu27")]
    assert got == ["USA", "JPN", "DEU", "EU28", "G7", "EU27"]


def test_unknown_economies_are_refused_together_with_suggestions():
    import pytest

    from critmin.catalog.economies import resolve
    from critmin.errors import UsageError

    with pytest.raises(UsageError) as exc:
        resolve("Jpan, USA, Atlantis, G77")
    msg = str(exc.value)
    assert "'Jpan' (did you mean JPN" in msg and "'Atlantis'" in msg and "'G77'" in msg and "'USA'" not in msg


def test_every_bundled_yaml_file_passes_the_strict_reader():
    """Bundled files load through libyaml at run time; here each goes through critmin.datafile (duplicate keys,
    depth, non-finite numbers, impossible dates) so the fast path cannot hide a defect."""
    from pathlib import Path

    import critmin
    from critmin.datafile import read_data

    files = sorted(Path(critmin.__file__).parent.rglob("*.yaml"))
    assert len(files) > 30
    for f in files:
        read_data(f)
