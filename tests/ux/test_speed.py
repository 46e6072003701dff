"""The everyday commands stay light: what they import, and the shortcuts that keep them fast stay exact."""

from __future__ import annotations

import subprocess
import sys


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
