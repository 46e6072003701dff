"""Issue 18: data shown in tables and written to CSV.

Rich read table cells as markup: a '[/x]' in a party name or a sentence crashed `critmin ledger events` and
`critmin discourse score` (MarkupError), '[red]' restyled the output and ESC/CSI sequences in data reached the
terminal. CSV cells starting with '=', '+', '-', '@', tab or CR ran as formulas in a spreadsheet.
"""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from critmin.cli import app
from critmin.cli.output import emit

runner = CliRunner()

NASTY = ["[/x]", "[bold red]loud[/]", "[link=http://evil]x[/link]", ":warning:", "\x1b[2J\x1b[31mred\x1b[0m",
         "\x9b31mcsi", "\x1b]8;;http://evil\x07link\x1b]8;;\x07", "over\rwrite", "bell\x07", "nul\x00", "del\x7f",
         "tab\tkept", "=HYPERLINK(\"http://evil\",\"x\")", "\\[escaped]", "[", "]", "\\"]
CONTROL = [chr(c) for c in [*range(0x00, 0x09), *range(0x0b, 0x20), 0x7f, *range(0x80, 0xa0)]]


@pytest.mark.parametrize("value", NASTY)
def test_any_string_in_a_table_cell_prints_as_text(value):
    out = io.StringIO()
    df = pd.DataFrame({"party": [value], "note": [f"a {value} b"], "n": [1]})
    emit(df, "table", title=f"ledger {value}", out=out)
    text = out.getvalue()
    assert not any(c in text for c in CONTROL), repr(text)
    if not any(c in value for c in [*CONTROL, "\t"]):
        assert value.strip() in text
    assert "\\x1b" in text if "\x1b" in value else True


def test_markup_in_column_names_is_shown_literally():
    out = io.StringIO()
    emit(pd.DataFrame({"[/x]": ["a"], "[bold]b": ["c"]}), "table", out=out)
    assert "[/x]" in out.getvalue() and "[bold]b" in out.getvalue()


def test_discourse_score_table_with_markup_and_escapes(tmp_path):
    f = tmp_path / "t.txt"
    f.write_text("The [/x] party said \x1b[31mcritical[/bold] minerals matter a lot.\n", encoding="utf-8")
    r = runner.invoke(app, ["discourse", "score", str(f), "--format", "table"])
    assert r.exit_code == 0, r.output
    assert "[/x]" in r.output and "\x1b" not in r.output and "\\x1b[31mcritical" in r.output


def test_ledger_events_table_with_markup_in_a_party_name(tmp_path):
    led = tmp_path / "l.db"
    assert runner.invoke(app, ["ledger", "init", str(led)]).exit_code == 0
    ev = tmp_path / "e.json"
    ev.write_text(json.dumps({"kind": "create_batch", "party": "[/x] =1+1 \x1b[31m", "batch": "OX", "mass_kg": 100,
                              "stage": "separation"}))
    assert runner.invoke(app, ["ledger", "append", str(led), str(ev)]).exit_code == 0
    r = runner.invoke(app, ["ledger", "events", str(led)])
    assert r.exit_code == 0, r.output
    assert "[/x]" in r.output and "\x1b" not in r.output


# ---------------------------------------------------------------- CSV

FORMULAS = ["=HYPERLINK(\"http://evil\",\"click\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=1",
            "\r=1", "=", "-", "+"]


def _csv_rows(df) -> list[dict]:
    out = io.StringIO()
    emit(df, "csv", out=out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


@pytest.mark.parametrize("value", FORMULAS)
def test_csv_text_cells_that_start_a_formula_are_neutralised(value):
    (row,) = _csv_rows(pd.DataFrame({"party": [value], "qty_t": [-3.5], "n": [-2]}))
    assert row["party"] == "'" + value.replace("\r", "\n")
    assert row["qty_t"] == "-3.5" and row["n"] == "-2"


@pytest.mark.parametrize("value", ["-12", "+3.5", "-1e-05", "plain", "", "a=b", "'=x", "−5 unicode minus"])
def test_csv_numbers_and_plain_text_are_unchanged(value):
    (row,) = _csv_rows(pd.DataFrame({"party": [value], "mixed": [-7]}).astype({"mixed": object}))
    assert row["party"] == value and row["mixed"] == "-7"


def test_monitor_alerts_csv_is_neutralised():
    from critmin.csvsafe import csv_safe

    df = pd.DataFrame({"id": ["a1"], "supplier": ["=HYPERLINK(\"http://evil\",\"x\")"], "value": [-0.5]})
    (row,) = list(csv.DictReader(io.StringIO(csv_safe(df).to_csv(index=False))))
    assert row["supplier"].startswith("'=") and row["value"] == "-0.5"


def test_discourse_add_messages_do_not_pass_escapes_to_the_terminal(tmp_path):
    m = tmp_path / "m.csv"
    m.write_text("path,economy,actor,date,genre\nmissing\x1b[2J.txt,US,X,2024,law\n", encoding="utf-8")
    r = runner.invoke(app, ["discourse", "add", str(m), "--warehouse", str(tmp_path / "wh.duckdb")])
    assert r.exit_code == 1 and "missing\\x1b[2J.txt" in r.output and "\x1b" not in r.output
