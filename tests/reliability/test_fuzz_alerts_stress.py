"""Fuzz every parser of alerts, stress and the knowledge base (issue 18): the feed CSV, rule YAML, scenario
YAML, stress monthly feed CSV, intensity catalog and knowledge-base YAML.

Two kinds of input per parser: random text, and structured mutations of the real bundled files (a number
replaced by nan/inf/-1/1e309/a huge value, a value changed to another type, a line dropped or repeated, which
repeats a key). Property: the parser returns a valid object (its numbers finite and in range) or raises
:class:`InputError` (or a subclass) — never any other exception — and writes nothing. Example counts come from ``fuzzing.fuzz``
(CRITMIN_FUZZ_EXAMPLES, light by default).
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from fuzzing import fuzz
from hypothesis import given
from hypothesis import strategies as st

from critmin.errors import InputError

NASTY = ["nan", ".nan", "NaN", "inf", ".inf", "-.inf", "-inf", "Infinity", "1e309", "-1e309", "-1", "0", "-0.0",
         "1e18", "99999999999999999999", "4294967296", "0.5", "1.5", "''", '""', "[]", "{}", "[1, 2]", "{a: 1}",
         "null", "~", "true", "x", "2024-02-30", "2024-13-01", "!!int x", "!!map [1]", "&a 1", "*a", "'nan'",
         "'1e309'", "-", ",", '"', "\x00", "é", "2025-05", "EU27", "rare_earths"]


def _package_text(package: str, *parts: str) -> str:
    return (resources.files(package).joinpath(*parts)).read_text(encoding="utf-8")


RULES = _package_text("critmin.alerts", "data", "rules.yaml")
FEED = _package_text("critmin.alerts", "data", "sample_feed.csv")
INTENSITIES = _package_text("critmin.stress", "data", "intensities.yaml")
SCENARIOS = [_package_text("critmin.stress", "scenarios", f.name)
             for f in sorted(resources.files("critmin.stress").joinpath("scenarios").iterdir())
             if f.name.endswith(".yaml")]
KB = _package_text("critmin.kb", "data", "alliances.yaml")
KB_ENTRIES = [m.start() for m in re.finditer(r"^[a-z0-9]", KB, flags=re.M)] + [len(KB)]
MONTHLY = "month,exporter,importer,qty_t\n" + "".join(
    f"{m},{e},{i},{q}\n" for m in range(1, 13) for e, i, q in (("CHN", "JPN", 100), ("AUS", "JPN", 20), ("CHN", "DEU", 40)))


@st.composite
def yaml_mutations(draw, texts: list[str]) -> str:
    """A bundled YAML file with one to three mutations: a number or a value replaced, a line dropped or
    repeated (a repeated key line is a duplicate key)."""
    lines = draw(st.sampled_from(texts)).splitlines()
    for _ in range(draw(st.integers(1, 3))):
        k = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["number", "value", "drop", "repeat"]))
        if op == "number" and re.search(r"-?\d+(\.\d+)?", lines[k]):
            nums = list(re.finditer(r"-?\d+(\.\d+)?", lines[k]))
            m = draw(st.sampled_from(nums))
            lines[k] = lines[k][:m.start()] + draw(st.sampled_from(NASTY)) + lines[k][m.end():]
        elif op in ("number", "value") and ":" in lines[k]:
            lines[k] = lines[k].split(":", 1)[0] + ": " + draw(st.sampled_from(NASTY))
        elif op == "drop" and len(lines) > 1:
            del lines[k]
        else:
            lines.insert(k, lines[k])
    return "\n".join(lines) + "\n"


@st.composite
def csv_mutations(draw, text: str) -> str:
    """A CSV file with one to three mutations: a cell replaced, a row dropped or repeated, a column dropped,
    a cell added."""
    rows = [r.split(",") for r in text.splitlines()]
    for _ in range(draw(st.integers(1, 3))):
        k = draw(st.integers(0, len(rows) - 1))
        op = draw(st.sampled_from(["cell", "cell", "drop", "repeat", "column", "extra"]))
        if op == "cell":
            j = draw(st.integers(0, len(rows[k]) - 1)) if rows[k] else 0
            rows[k][j:j + 1] = [draw(st.sampled_from(NASTY) | st.text(max_size=8))]
        elif op == "drop" and len(rows) > 1:
            del rows[k]
        elif op == "repeat":
            rows.insert(k, list(rows[k]))
        elif op == "column":
            j = draw(st.integers(0, 12))
            rows = [r[:j] + r[j + 1:] for r in rows]
        else:
            rows[k].append(draw(st.sampled_from(NASTY)))
    return "\n".join(",".join(r) for r in rows) + "\n"


@st.composite
def kb_slices(draw) -> str:
    """One to three consecutive entries of a bundled knowledge-base file (keeps each example fast)."""
    a = draw(st.integers(0, len(KB_ENTRIES) - 2))
    b = draw(st.integers(a + 1, min(a + 3, len(KB_ENTRIES) - 1)))
    return KB[KB_ENTRIES[a]:KB_ENTRIES[b]]


RANDOM = st.text(max_size=400).map(str.encode) | st.binary(max_size=300)  # bytes: not UTF-8 too


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _check(folder: Path, name: str, text: str | bytes, parse) -> None:
    """Write ``text`` to ``folder/name``, parse it; only InputError may escape and no file may appear."""
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    before = sorted(p.name for p in folder.iterdir())
    try:
        parse(path)
    except InputError:
        pass
    assert sorted(p.name for p in folder.iterdir()) == before


def _finite(obj) -> bool:
    """Every float in a nested dump is finite."""
    if isinstance(obj, float):
        return np.isfinite(obj)
    if isinstance(obj, dict):
        return all(_finite(v) for v in obj.values())
    if isinstance(obj, list | tuple):
        return all(_finite(v) for v in obj)
    return True


def _feed(path):
    from critmin.alerts import load_feed

    df = load_feed(path)
    ref = df["reference"]
    assert np.isfinite(df["value"]).all() and (ref.isna() | (np.isfinite(ref) & (ref > 0))).all()
    assert not df.duplicated(["metric", "importer", "material", "stage", "supplier", "period"]).any()


def _rules(path):
    from critmin.alerts.rules import parse_rules

    for r in parse_rules(path):
        values = [v for _, v in r.thresholds.items()]
        assert _finite(r.model_dump()) and values == sorted(values, reverse=not r.higher_is_worse)


def _scenario(path):
    from critmin.stress import load_scenario

    sc = load_scenario(path)
    assert _finite(sc.model_dump()) and 0 <= (sc.seed or 0) < 2**32 and sc.draws * sc.horizon <= 12_000_000


def _monthly(path):
    from critmin.stress.network import Baseline, read_monthly_feed

    base = Baseline(["AUS", "CHN"], ["DEU", "JPN"], np.ones((2, 2)), np.zeros(2), np.array([False, True]),
                    np.array([True, True]), "", "spare_share_of_exports", [], {"DEU": ["DEU"], "JPN": ["JPN"]})
    out = read_monthly_feed(str(path), base)
    assert out.shape == (12, 2, 2) and np.isfinite(out).all() and (out >= 0).all()


def _intensities(path):
    from critmin.stress.downstream import load_intensities

    for s in load_intensities.__wrapped__(str(path)):  # not the cache: the file changes under one name
        from critmin.stress.params import param_bounds

        assert param_bounds(s.kg_per_unit)[0] > 0


def _kb(path):
    from critmin.kb.loader import parse_file

    assert all(_finite(e.model_dump()) for e in parse_file(path))


TARGETS = {  # name: (file name, parser, structured mutations of the real file)
    "feed_csv": ("feed.csv", _feed, csv_mutations(FEED)),
    "rules_yaml": ("rules.yaml", _rules, yaml_mutations([RULES])),
    "scenario_yaml": ("scenario.yaml", _scenario, yaml_mutations(SCENARIOS)),
    "monthly_feed_csv": ("monthly.csv", _monthly, csv_mutations(MONTHLY)),
    "intensities_yaml": ("intensities.yaml", _intensities, yaml_mutations([INTENSITIES])),
    "kb_yaml": ("kb.yaml", _kb, kb_slices().flatmap(lambda t: yaml_mutations([t]))),
}


@pytest.mark.parametrize("target", list(TARGETS))
@fuzz
@given(data=st.data())
def test_fuzz_random_text(folder, target, data):
    name, parse, _ = TARGETS[target]
    _check(folder, name, data.draw(RANDOM, label="text"), parse)


@pytest.mark.parametrize("target", list(TARGETS))
@fuzz
@given(data=st.data())
def test_fuzz_mutated_bundled_file(folder, target, data):
    name, parse, mutations = TARGETS[target]
    _check(folder, name, data.draw(mutations, label="text"), parse)


@pytest.mark.parametrize("target", list(TARGETS))
def test_unmutated_bundled_file_parses(folder, target):
    """The seed of the mutations is valid, so the mutation tests exercise both outcomes."""
    name, parse, _ = TARGETS[target]
    text = {"feed_csv": FEED, "rules_yaml": RULES, "scenario_yaml": SCENARIOS[0], "monthly_feed_csv": MONTHLY,
            "intensities_yaml": INTENSITIES, "kb_yaml": KB[:KB_ENTRIES[1]]}[target]
    path = folder / name
    path.write_text(text, encoding="utf-8")
    parse(path)
