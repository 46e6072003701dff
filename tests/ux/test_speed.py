"""The everyday commands stay light: what they import, and the shortcuts that keep them fast stay exact."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_the_coco_table_shortcut_equals_country_converter():
    import country_converter as coco

    from critmin.catalog import Catalog

    fast = Catalog()._coco_data
    full = coco.CountryConverter().data
    assert fast.equals(full)


def test_kb_events_imports_neither_pandas_nor_ibis():
    code = ("import sys, runpy; sys.argv = ['critmin', 'kb', 'events', '--material', 'rare_earths', '--format', 'csv'];"
            "from critmin.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "sys.stderr.write(repr(sorted(m for m in ('pandas', 'ibis', 'country_converter') if m in sys.modules)))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stderr.strip().endswith("[]"), r.stderr[-500:]


def test_help_and_version_import_nothing_heavy():
    code = ("import sys; sys.argv = ['critmin', '--version']\nfrom critmin.cli import main\ntry:\n    main()\n"
            "except SystemExit:\n    pass\n"
            "sys.stderr.write(repr(sorted(m for m in ('pandas', 'ibis', 'duckdb', 'pyarrow') if m in sys.modules)))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stderr.strip().endswith("[]"), r.stderr[-500:]


def test_group_membership_without_pandas_equals_the_pandas_table():
    """The csv-read classification columns give the members the pandas table gives, for every column a group
    reads (so EU27, G7, OECD accession years and the EU waves resolve without importing pandas)."""
    from critmin.catalog import Catalog

    cat = Catalog()
    data = cat._coco_data
    cols = {c for g in cat.groups.values() for c in [g.coco_column, *(w.coco_column for w in g.waves)] if c}
    assert cols
    for col in cols:
        fast = cat._coco_column(col)
        slow = data.loc[data[col].notna(), ["ISO3", col]]
        assert set(fast) == set(slow["ISO3"]), col
        assert all(float(fast[i]) == float(v) for i, v in zip(slow["ISO3"], slow[col], strict=True)
                   if str(v).replace(".", "").isdigit()), col


@pytest.mark.parametrize("args", [
    ["dependency", "--importer", "EU27", "--material", "rare_earths", "--years", "2024"],
    ["crma", "--years", "2024"],
    ["suppliers", "--importer", "EU27,USA", "--material", "cobalt", "--years", "2023"],
])
def test_indicator_commands_import_neither_pandas_nor_ibis(demo_warehouse, args):
    """The everyday indicator commands answer from DuckDB rows: no pandas, pyarrow or Ibis is imported (each
    costs 0.3–0.8 s of a command that should answer in half a second)."""
    code = (f"import sys; sys.argv = ['critmin', *{args!r}, '--warehouse', {str(demo_warehouse)!r}]\n"
            "from critmin.cli import main\ntry:\n    main()\nexcept SystemExit as e:\n"
            "    assert not e.code, e.code\n"
            "sys.stderr.write(repr(sorted(m for m in ('pandas', 'ibis', 'pyarrow', 'country_converter') "
            "if m in sys.modules)))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-800:]
    assert "CHN" in r.stdout or "rank" in r.stdout, r.stdout[-500:]
    assert r.stderr.strip().endswith("[]"), r.stderr[-500:]


def test_the_command_map_names_what_each_module_registers():
    """main() imports only the module of the command it runs, found in COMMANDS: the map must list exactly the
    commands and groups the modules register."""
    import typer

    from critmin.cli import COMMANDS, command_modules

    found = {}
    for module in command_modules():
        probe = typer.Typer()
        module.register(probe)
        names = [c.name or c.callback.__name__.replace("_", "-") for c in probe.registered_commands]
        names += [g.name or g.typer_instance.info.name for g in probe.registered_groups]
        found.update(dict.fromkeys(names, module.__name__.rsplit(".", 1)[1]))
    assert found == COMMANDS
