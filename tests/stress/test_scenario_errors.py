"""Bad scenario files are refused with an InputError naming the file and the field; nothing runs."""

from __future__ import annotations

import textwrap

import pytest

from critmin.errors import InputError
from critmin.stress import load_scenario, run

GOOD = """
name: test
shock:
  supplier: CHN
  material: rare_earths
  stage: compound
  cut: 0.4
  duration_months: 12
baseline:
  year: 2024
importers: [EU27]
"""


def _write(tmp_path, text, name="sc.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


@pytest.mark.parametrize(
    "old,new,field",
    [
        ("supplier: CHN", "supplier: XXZ", "shock.supplier"),
        ("material: rare_earths", "material: unobtainium", "shock.material"),
        ("cut: 0.4", "cut: -0.1", "shock.cut"),
        ("cut: 0.4", "cut: 1.5", "shock.cut"),
        ("cut: 0.4", "cut: {dist: uniform, low: 0.2, high: 1.2}", "shock.cut"),
        ("  duration_months: 12\n", "", "shock.duration_months"),
        ("importers: [EU27]", "importers: [EU27, ZZZ]", "importers.1"),
        ("stage: compound", "stage: ore_concentrate", "shock.stage"),
        ("baseline:\n  year: 2024", "baseline:\n  yaer: 2024", "baseline"),
    ],
)
def test_bad_file_names_file_and_field(tmp_path, old, new, field):
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new))
    missing_wh = tmp_path / "no-warehouse.duckdb"  # a run that got past validation would fail on this instead
    with pytest.raises(InputError) as exc:
        run(path, warehouse=missing_wh)
    err = exc.value
    assert err.file == str(path)
    assert err.field is not None and err.field.startswith(field)
    assert str(path) in str(err) and field in str(err)
    assert not missing_wh.exists()


def test_missing_section_and_bad_yaml(tmp_path):
    with pytest.raises(InputError) as exc:
        load_scenario(_write(tmp_path, "shock:\n  supplier: CHN\n"))
    assert exc.value.field in ("shock.material", "shock.cut", "shock.duration_months", "baseline")
    with pytest.raises(InputError) as exc:
        load_scenario(_write(tmp_path, "shock: [unclosed\n", "bad.yaml"))
    assert "bad.yaml" in str(exc.value)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(GOOD.replace("name: test", "name: t\xe9st").encode("latin-1"))
    with pytest.raises(InputError) as exc:
        load_scenario(latin)
    assert exc.value.file == str(latin) and exc.value.record == 2 and "UTF-8" in str(exc.value)


def test_good_file_parses_with_defaults(tmp_path):
    sc = load_scenario(_write(tmp_path, GOOD))
    assert sc.shock.targets.mode == "all"
    assert sc.horizon == 12
    assert sc.parameters.allocation == "ties"


def test_example_scenarios_validate():
    from importlib import resources

    from critmin.catalog import load_catalog
    from critmin.stress.network import resolve

    folder = resources.files("critmin.stress") / "scenarios"
    files = [f for f in folder.iterdir() if f.name.endswith(".yaml")]
    assert len(files) >= 3
    for f in files:
        sc = load_scenario(str(f))
        resolve(sc, load_catalog())


@pytest.mark.parametrize("old,new,expected", [
    ("duration_months: 12", "duration_months: 0", "expected a value greater than or equal to 1, got 0"),
    ("stage: compound", "stage: ores", "expected one of ore_concentrate, processed_refined, metal, compound"),
])
def test_error_wording_reads_as_expected_got(tmp_path, old, new, expected):
    path = _write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(InputError) as exc:
        run(path, warehouse=tmp_path / "no-warehouse.duckdb")
    assert expected in str(exc.value) and "Input should be" not in str(exc.value)
