"""The command lines of issue 6 as a user types them: every --lang / --format variant of `score`, both
report formats, and the demo finding the seed texts from any current directory."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from critmin.cli import app
from critmin.discourse import FRAMES

runner = CliRunner()
MIXED = "我们坚决反对滥用出口管制。We warmly welcome the new partnership. 重要鉱物の安定供給は重要だ。\n"
COLUMNS = ["sentence", "language", *FRAMES, "top_frame", "polarity", "subjectivity"]


def _rows(out: str, fmt: str) -> list[dict]:
    if fmt == "json":
        return json.loads(out)
    return list(csv.DictReader(io.StringIO(out)))


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("lang,expected", [
    ("auto", ["zh", "en", "ja"]),
    ("zh", ["zh", "zh", "zh"]),
    ("ja", ["ja", "ja", "ja"]),
    ("en", None),  # forced English: no CJK sentence marks split, every row says en
])
def test_score_file_and_stdin_in_every_language_and_format(tmp_path, lang, expected, fmt):
    f = tmp_path / "mixed.txt"
    f.write_text(MIXED, encoding="utf-8")
    for source, stdin in ((str(f), None), ("-", MIXED)):
        r = runner.invoke(app, ["discourse", "score", source, "--lang", lang, "--format", fmt], input=stdin)
        assert r.exit_code == 0, r.output
        rows = _rows(r.stdout, fmt)
        assert list(rows[0]) == COLUMNS
        langs = [x["language"] for x in rows]
        assert langs == expected if expected else set(langs) == {"en"}
        for x in rows:
            assert -1 < float(x["polarity"]) < 1 and 0 <= float(x["subjectivity"]) < 1
    if lang == "auto":
        assert float(rows[0]["polarity"]) < 0 < float(rows[1]["polarity"])
        assert rows[2]["top_frame"] == "security"


@pytest.mark.parametrize("args,needle", [
    (["nothere.txt"], "nothere.txt"),
    (["{empty}"], "empty.txt"),
    (["{binary}"], "binary.txt"),
    (["{pdf}"], "bad.pdf"),  # pypdf's own repair log must not add lines
    (["{f}", "--lang", "fr"], "fr"),
])
def test_score_errors_are_one_line(tmp_path, args, needle):
    """Through the real entry point, as a user meets it: one line on stderr, exit code 2, no traceback."""
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(b"\x7fELF\x00\x01" * 100)
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.4 truncated")
    (tmp_path / "f.txt").write_text("We welcome it.", encoding="utf-8")
    names = {n: tmp_path / f for n, f in (("empty", "empty.txt"), ("binary", "binary.txt"), ("pdf", "bad.pdf"),
                                          ("f", "f.txt"))}
    args = [a.format(**names) for a in args]
    r = subprocess.run([sys.executable, "-c", "from critmin.cli import main; main()", "discourse", "score", *args],
                       capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], r.stderr


def test_demo_finds_the_seeds_from_any_directory(tmp_path, monkeypatch, seeds_dir):
    wh = tmp_path / "wh.duckdb"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("CRITMIN_SEEDS", str(seeds_dir))
    r = runner.invoke(app, ["discourse", "demo", "--warehouse", str(wh), "--format", "json"])
    assert r.exit_code == 0, r.output
    docs = json.loads(r.stdout)
    assert sum(d["path"].startswith(str(seeds_dir)) for d in docs) == 5
    for fmt in ("html", "json"):
        out = tmp_path / f"rep.{fmt}"
        r = runner.invoke(app, ["discourse", "report", "--economies", "US,EU,JP,AU,CN", "--by", "year",
                                "--format", fmt, "--warehouse", str(wh), "--out", str(out)])
        assert r.exit_code == 0, r.output
    findings = json.loads((tmp_path / "rep.json").read_text(encoding="utf-8"))
    assert [e if isinstance(e, str) else e["economy"] for e in findings["economies"]] == ["US", "EU", "JP", "AU", "CN"]
    assert findings["evidence"]


def test_demo_without_seeds_is_a_clear_error(tmp_path, monkeypatch):
    import critmin.discourse.demo as demo
    from critmin.errors import InputError

    wh = str(tmp_path / "wh.duckdb")

    def refused(*args) -> str:
        r = runner.invoke(app, ["discourse", "demo", "--warehouse", wh, *args])
        assert isinstance(r.exception, InputError), r.output
        return str(r.exception)

    msg = refused("--seeds", str(tmp_path / "nowhere"))
    assert "nowhere" in msg and "--seeds" in msg
    monkeypatch.setenv("CRITMIN_SEEDS", str(tmp_path))  # exists, but holds no seed text
    assert "000_*.txt" in refused()
    monkeypatch.delenv("CRITMIN_SEEDS")
    assert not (tmp_path / "wh.duckdb").exists()  # nothing written
    # a clone with nothing beside it (or an installed package): the synthetic texts, with a note saying why
    monkeypatch.setattr(demo, "default_seeds_dir", lambda: None)
    r = runner.invoke(app, ["discourse", "demo", "--warehouse", wh, "--format", "csv"])
    assert r.exit_code == 0 and r.stdout.count("\n") == 26
    assert "--seeds" in r.stderr and "CRITMIN_SEEDS" in r.stderr


def test_scoring_raises_no_deprecation_warning(tmp_path):
    """zh (jieba-rs), en and ja (SudachiPy) in a fresh process with DeprecationWarning as an error: the
    CLI no longer filters warnings, so none may come from our use of the libraries."""
    f = tmp_path / "mixed.txt"
    f.write_text(MIXED, encoding="utf-8")
    r = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-W", "error::PendingDeprecationWarning",
                        "-c", "from critmin.cli import main; main()", "discourse", "score", str(f), "--format", "json"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert [x["language"] for x in json.loads(r.stdout)] == ["zh", "en", "ja"]


def test_add_refuses_a_folder_or_a_non_utf8_manifest_naming_it(tmp_path):
    from critmin.errors import InputError

    bad = tmp_path / "m.csv"
    bad.write_bytes(b"path,economy,actor,date,genre\n\xff\xfe.txt,US,X,2024,law\n")
    for target, needle in ((tmp_path, "a folder"), (bad, "UTF-8")):
        r = runner.invoke(app, ["discourse", "add", str(target), "--warehouse", str(tmp_path / "wh.duckdb")])
        assert isinstance(r.exception, InputError), r.exception
        assert str(target) in str(r.exception) and needle in str(r.exception)


def test_watch_on_a_file_and_a_non_positive_size_limit_are_named(tmp_path):
    from critmin.errors import InputError, UsageError

    f = tmp_path / "US_2026-01-01_x.txt"
    f.write_text("We welcome it.", encoding="utf-8")
    r = runner.invoke(app, ["discourse", "watch", str(f), "--warehouse", str(tmp_path / "wh.duckdb")])
    assert isinstance(r.exception, InputError) and "a folder to watch" in str(r.exception)
    assert "'a file'" in str(r.exception)
    (tmp_path / "m.csv").write_text("path,economy,actor,date,genre\nUS_2026-01-01_x.txt,US,X,2026,law\n",
                                    encoding="utf-8")
    r = runner.invoke(app, ["discourse", "add", str(tmp_path / "m.csv"), "--max-mb", "0",
                            "--warehouse", str(tmp_path / "wh.duckdb")])
    assert isinstance(r.exception, UsageError) and "--max-mb" in str(r.exception)
    assert not (tmp_path / "wh.duckdb").exists()
