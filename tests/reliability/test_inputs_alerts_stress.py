"""Issue 18: every number a user can feed to alerts, stress and the knowledge base is finite and in range.

Each test reproduces a failure a reviewer found (a NaN that silenced a red alert, a seed that crashed the run,
a start month that allocated 6.85 GiB, a monthly feed that crashed or took negative tonnes) and checks that
the input is now refused with an :class:`InputError` naming the file, the line and the field.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from critmin.errors import CatalogError, InputError, UsageError

# ---------------------------------------------------------------- alerts feed CSV

HEADER = "feed,period,value,importer,material,stage,supplier,reference,unit,source,vintage\n"
STOCK = "strategic_stock_days,2025-07,20,JPN,rare_earths,,,60,day_of_consumption,agency,\n"


def _feed(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "feed.csv"
    p.write_text(HEADER + body, encoding="utf-8")
    return p


def test_feed_nan_reference_no_longer_silences_a_red_stock_alert(tmp_path):
    from critmin.alerts import FeedError, evaluate, load_feed, load_rules

    red = evaluate(load_rules(), load_feed(_feed(tmp_path, STOCK)), use_kb=False)
    assert [a.level for a in red if a.rule_id == "strategic_stock"] == ["red"]
    with pytest.raises(FeedError) as info:  # used to load, and the stock rule then raised nothing
        load_feed(_feed(tmp_path, STOCK.replace(",60,", ",nan,")))
    assert (info.value.record, info.value.field) == (2, "reference")


@pytest.mark.parametrize("bad", ["nan", "NaN", "inf", "-inf", "Infinity", "1e309", "-1e309"])
@pytest.mark.parametrize("field", ["value", "reference"])
@pytest.mark.parametrize("feed", ["strategic_stock_days", "my_custom_feed"])
def test_feed_non_finite_numbers_refused_with_file_line_field(tmp_path, bad, field, feed):
    from critmin.alerts import FeedError, load_feed

    cells = STOCK.replace("strategic_stock_days", feed).replace("day_of_consumption", "").split(",")
    cells[2 if field == "value" else 7] = bad
    path = _feed(tmp_path, STOCK + ",".join(cells).replace("2025-07", "2025-08"))
    with pytest.raises(FeedError) as info:
        load_feed(path)
    assert (Path(info.value.file).name, info.value.record, info.value.field) == ("feed.csv", 3, field)
    assert "finite" in info.value.expected


def test_feed_duplicate_rows_refused_naming_both_lines(tmp_path):
    from critmin.alerts import FeedError, load_feed

    with pytest.raises(FeedError) as info:
        load_feed(_feed(tmp_path, STOCK + STOCK.replace(",20,", ",25,")))
    assert info.value.record == 3 and "line 2" in info.value.expected


@pytest.mark.parametrize("body", ["a,b\x00c\n", "x" * 200_000 + "\n"])
def test_feed_csv_module_errors_are_input_errors(tmp_path, body):
    from critmin.alerts import FeedError, load_feed

    with pytest.raises(FeedError):  # NUL byte / field over the csv module's limit: was csv.Error
        load_feed(_feed(tmp_path, body))


def test_feed_duplicate_header_column_refused(tmp_path):
    from critmin.alerts import FeedError, load_feed

    p = tmp_path / "feed.csv"
    p.write_text(HEADER.strip() + ",value\n" + STOCK.strip() + ",99\n", encoding="utf-8")
    with pytest.raises(FeedError) as info:  # DictReader kept the last 'value' silently
        load_feed(p)
    assert (info.value.record, info.value.field) == (1, "value")


# ---------------------------------------------------------------- alerts rules YAML

RULE = """
stock:
  title_en: t
  title_zh: 规
  metric: strategic_stock_days
  comparison: "<"
  thresholds: {blue: 1.2, yellow: 1.1, orange: 1.0, red: 0.5}
"""


def _rules(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "rules.yaml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("bad", [".nan", ".inf", "-.inf", "'nan'", "'1e309'", "1e309"])
def test_rule_threshold_must_be_finite(tmp_path, bad):
    from critmin.alerts.rules import RuleError, parse_rules

    with pytest.raises(RuleError) as info:  # `red: .nan` used to load and turned every red into orange
        parse_rules(_rules(tmp_path, RULE.replace("red: 0.5", f"red: {bad}")))
    assert info.value.record == 7 and "thresholds" in info.value.field


@pytest.mark.parametrize("thresholds", ["{blue: 1.2, yellow: 1.3}", "{blue: 1.2, yellow: 1.2}",
                                        "{yellow: 1.0, red: 1.0}"])
def test_rule_levels_must_be_strictly_ordered(tmp_path, thresholds):
    from critmin.alerts.rules import RuleError, parse_rules

    text = RULE.replace("{blue: 1.2, yellow: 1.1, orange: 1.0, red: 0.5}", thresholds)
    with pytest.raises(RuleError) as info:
        parse_rules(_rules(tmp_path, text))
    assert info.value.record == 7 and info.value.field == "stock.thresholds"
    assert "falling from blue to red" in info.value.expected


def test_rule_clear_needs_its_level_and_finite_hysteresis(tmp_path):
    from critmin.alerts.rules import RuleError, parse_rules

    with pytest.raises(RuleError) as info:  # a clear level without a threshold was ignored silently
        parse_rules(_rules(tmp_path, RULE.replace("{blue: 1.2, yellow: 1.1, orange: 1.0, red: 0.5}",
                                                  "{red: 0.5}\n  clear: {orange: 1.1}")))
    assert info.value.field == "stock.clear"
    with pytest.raises(RuleError) as info:
        parse_rules(_rules(tmp_path, RULE + "  hysteresis: 'inf'\n"))
    assert (info.value.record, info.value.field) == (8, "stock.hysteresis")


# ---------------------------------------------------------------- stress scenario YAML

SCENARIO = """
name: test
shock:
  supplier: CHN
  material: rare_earths
  stage: compound
  cut: 0.4
  start_month: 1
  duration_months: 12
baseline:
  year: 2024
importers: [EU27]
draws: 1000
seed: 0
"""


def _scenario(tmp_path: Path, old: str, new: str) -> Path:
    assert old in SCENARIO
    p = tmp_path / "sc.yaml"
    p.write_text(SCENARIO.replace(old, new), encoding="utf-8")
    return p


@pytest.mark.parametrize(("old", "new", "field", "line"), [
    ("cut: 0.4", "cut: .nan", "shock.cut", 7),  # returned blank results with exit 0
    ("cut: 0.4", "cut: '1e309'", "shock.cut", 7),
    ("cut: 0.4", "cut: {dist: uniform, low: 0.2, high: .nan}", "shock.cut", 7),
    ("seed: 0", "seed: -1", "seed", 14),  # crashed in numpy's SeedSequence
    ("seed: 0", "seed: 4294967296", "seed", 14),
    ("start_month: 1", "start_month: 100000", "shock.start_month", 8),  # allocated 6.85 GiB
    ("draws: 1000", "draws: 0", "draws", 13),
    ("draws: 1000", "draws: 2000000", "draws", 13),  # 2e6 draws x 12 months: several GiB per array
    ("year: 2024", "year: .inf", "baseline.year", 11),
    ("importers: [EU27]", "importers: [EU27]\nparameters:\n  stock_days: {dist: normal, mean: .nan, sd: 1}",
     "parameters.stock_days", 14),
    ("importers: [EU27]", "importers: [EU27]\nparameters:\n  ramp_months: {dist: normal, mean: 6, sd: 1}",
     "parameters.ramp_months", 14),  # an unbounded normal: bounds must be stated
    ("importers: [EU27]", "importers: [EU27]\nparameters:\n  ramp_months: 1000", "parameters.ramp_months", 14),
    ("importers: [EU27]", "importers: [EU27]\nhorizon_months: 1000", "horizon_months", 13),
    ("importers: [EU27]", "importers: [EU27]\nimporters: [JPN]", "importers", 13),  # duplicate key
])
def test_scenario_numbers_finite_and_bounded(tmp_path, old, new, field, line):
    from critmin.stress import load_scenario

    path = _scenario(tmp_path, old, new)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    err = info.value
    assert err.file == str(path) and err.field is not None and err.field.startswith(field)
    assert err.record == line, str(err)


def test_run_overrides_of_draws_and_seed_are_checked_before_any_work(tmp_path):
    from critmin.stress import load_scenario, run

    sc = load_scenario(_scenario(tmp_path, "seed: 0", "seed: 0"))
    missing = tmp_path / "no-warehouse.duckdb"
    for kw in ({"seed": -1}, {"seed": 2**32}, {"draws": 0}, {"draws": -5}, {"draws": 10**9}):
        with pytest.raises(UsageError):
            run(sc, warehouse=missing, **kw)
    assert not missing.exists()


# ---------------------------------------------------------------- stress monthly feed CSV


def _base():
    from critmin.stress.network import Baseline

    return Baseline(["AUS", "CHN"], ["JPN"], np.ones((2, 1)), np.zeros(2), np.array([False, True]),
                    np.array([True]), "", "spare_share_of_exports", [], {"JPN": ["JPN"]})


def _monthly(tmp_path: Path, rows: list[str], header: str = "month,exporter,importer,qty_t") -> Path:
    p = tmp_path / "monthly.csv"
    p.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return p


GOOD_MONTHS = [f"{m},CHN,JPN,10" for m in range(1, 13)]


@pytest.mark.parametrize(("row", "field"), [
    ("3,CHN,JPN,-5", "qty_t"),
    ("3,CHN,JPN,nan", "qty_t"),
    ("3,CHN,JPN,inf", "qty_t"),
    ("3,CHN,JPN,1e309", "qty_t"),
    ("3,CHN,JPN,", "qty_t"),
    ("3,CHN,JPN,ten", "qty_t"),
    ("x,CHN,JPN,5", "month"),  # crashed: TypeError comparing str with int
    ("13,CHN,JPN,5", "month"),
    ("3.5,CHN,JPN,5", "month"),
    ("3,,JPN,5", "exporter"),
    ("3,CHN,,5", "importer"),
    ("3,CHN,JPN,5,extra", "(row)"),
    ("1,CHN,JPN,10", "month"),  # duplicate of line 2
])
def test_monthly_feed_bad_rows_refused_with_line_and_field(tmp_path, row, field):
    from critmin.stress.network import read_monthly_feed

    path = _monthly(tmp_path, [*GOOD_MONTHS, row])
    with pytest.raises(InputError) as info:
        read_monthly_feed(str(path), _base())
    assert (info.value.file, info.value.record, info.value.field) == (str(path), 14, field)


def test_monthly_feed_missing_months_and_no_matching_flow(tmp_path):
    from critmin.stress.network import read_monthly_feed

    out = read_monthly_feed(str(_monthly(tmp_path, GOOD_MONTHS)), _base())
    assert out.shape == (12, 2, 1) and out[:, 1, 0].tolist() == [10.0] * 12
    with pytest.raises(InputError) as info:  # months 7-12 used to become zero flows silently
        read_monthly_feed(str(_monthly(tmp_path, GOOD_MONTHS[:6])), _base())
    assert info.value.field == "month" and "7" in str(info.value.got)
    with pytest.raises(InputError) as info:  # nothing between the baseline's nodes: an all-zero network
        read_monthly_feed(str(_monthly(tmp_path, [r.replace("JPN", "KOR") for r in GOOD_MONTHS])), _base())
    assert info.value.field == "importer"
    with pytest.raises(InputError) as info:
        read_monthly_feed(str(_monthly(tmp_path, GOOD_MONTHS, "month,exporter,qty_t")), _base())
    assert info.value.record == 1 and info.value.field == "importer"


# ---------------------------------------------------------------- intensities, backtest, KB

SECTOR = """
sectors:
  - id: s1
    material: rare_earths
    name_en: n
    name_zh: 名
    unit_en: u
    unit_zh: 台
    kg_per_unit: 0.5
    basis: b
    tag: D
    sources: [x]
"""


@pytest.mark.parametrize(("old", "new", "line", "field"), [
    ("kg_per_unit: 0.5", "kg_per_unit: .nan", 9, "sectors.0.kg_per_unit"),  # accepted: NaN <= 0 is False
    ("kg_per_unit: 0.5", "kg_per_unit: {dist: uniform, low: 0.1, high: .inf}", 9, "sectors.0.kg_per_unit"),
    ("kg_per_unit: 0.5", "kg_per_unit: 0.5\n    dy_tb_share_of_magnet: 2", 10, "sectors.0.dy_tb_share_of_magnet"),
    ("tag: D", "tag: D\n    tag: C", 12, "tag"),
])
def test_intensity_catalog_numbers_finite_and_in_range(tmp_path, old, new, line, field):
    from critmin.stress.downstream import load_intensities

    p = tmp_path / "int.yaml"
    p.write_text(SECTOR.replace(old, new), encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_intensities(str(p))
    assert (info.value.file, info.value.record) == (str(p), line) and info.value.field.startswith(field)


def test_intensity_catalog_duplicate_ids_and_bad_bytes(tmp_path):
    from critmin.stress.downstream import load_intensities

    p = tmp_path / "int.yaml"
    p.write_text(SECTOR + SECTOR.split("sectors:\n")[1], encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_intensities(str(p))
    assert (info.value.record, info.value.field) == (13, "sectors.1.id")
    p.write_bytes(SECTOR.replace("名", "\xe9").encode("latin-1", errors="replace"))
    with pytest.raises(CatalogError):  # was UnicodeDecodeError
        load_intensities(str(p))


def test_backtest_arguments_checked_before_the_warehouse(tmp_path):
    from critmin.stress.backtest import backtest_2010

    missing = tmp_path / "no-warehouse.duckdb"
    with pytest.raises(UsageError):  # was a bare ValueError
        backtest_2010(missing, baseline_year=2012, shock_year=2010)
    with pytest.raises(InputError) as info:  # was a numpy ValueError after reading the warehouse
        backtest_2010(missing, seed=-1)
    assert info.value.field == "seed"
    assert not missing.exists()


KB = """
x-entry:
  kind: measure
  actor: EU
  title_en: A test entry
  title_zh: 测试条目
  date: 2024-05-01
  date_precision: month
  amounts:
    - {value: 10, unit: t, label: quota}
  citations:
    - seed: 000_6ac80ba27d7b0cbd.txt
      primary: somewhere
"""


@pytest.mark.parametrize(("old", "new", "line", "field"), [
    ("value: 10", "value: .nan", 10, "x-entry.amounts.0.value"),
    ("value: 10", "value: 'inf'", 10, "x-entry.amounts.0.value"),
    ("date: 2024-05-01", "date: 2024-02-30", 7, None),
    ("  date_precision: month", "  date_precision: month\n  date_precision: day", 9, "date_precision"),
    ("kind: measure", "kind: !!map [1]", 3, None),  # was TypeError from PyYAML's constructor
    ("kind: measure", "kind: !!int x", 3, None),  # was ValueError
])
def test_kb_numbers_finite_and_yaml_errors_located(tmp_path, old, new, line, field):
    from critmin.kb.loader import KBError, parse_file

    p = tmp_path / "kb.yaml"
    p.write_text(KB.replace(old, new), encoding="utf-8")
    with pytest.raises(KBError) as info:
        parse_file(p)
    assert (info.value.file, info.value.record, info.value.field) == ("kb.yaml", line, field)


def test_kb_share_year_in_range(tmp_path):
    from critmin.kb.loader import KBError, parse_file

    p = tmp_path / "kb.yaml"
    share = "  shares:\n    - {importer: EU27, material: cobalt, supplier: COD, share_pct: 60, year: 20240}\n"
    p.write_text(KB + share, encoding="utf-8")
    with pytest.raises(KBError) as info:
        parse_file(p)
    assert info.value.field == "x-entry.shares.0.year"


def test_nothing_written_by_a_refused_input(tmp_path):
    """The parsers refuse before any write: the folder holds only the inputs afterwards."""
    from critmin.stress import load_scenario

    p = _scenario(tmp_path, "seed: 0", "seed: -1")
    with pytest.raises(InputError):
        load_scenario(p)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["sc.yaml"]
