"""`discourse add FILE|FOLDER`: metadata from options and file names, checked before anything loads."""

from __future__ import annotations

import duckdb
import pytest
from tests.discourse.test_corpus import make_pdf

from critmin.discourse.corpus import add_paths
from critmin.errors import InputError


@pytest.fixture()
def folder(tmp_path):
    d = tmp_path / "saved"
    (d / "press").mkdir(parents=True)
    (d / "AU_2024-05-01_smelter_plan.txt").write_text(
        "The new smelter will triple national cobalt refining capacity by 2028.\n", encoding="utf-8")
    (d / "press" / "q_and_a.html").write_text(
        "<html><body><p>中方願與各國加強出口管制對話交流。</p><script>x()</script></body></html>", encoding="utf-8")
    (d / "speech.pdf").write_bytes(make_pdf(["Member states must act now before the shortage becomes a crisis."]))
    (d / "ignored.png").write_bytes(b"\x89PNG")
    return d


def test_folder_takes_names_first_then_options(folder, tmp_path):
    wh = tmp_path / "wh.duckdb"
    res = add_paths(folder, wh, {"economy": "CN", "actor": "saved pages", "date": "2025-06", "genre": "press"})
    assert not res.errors and len(res.added) == 3
    con = duckdb.connect(str(wh), read_only=True)
    rows = dict(con.execute("select regexp_extract(path, '[^/]+$'), economy || ' ' || cast(date as varchar) "
                            "from discourse_documents").fetchall())
    assert rows == {"AU_2024-05-01_smelter_plan.txt": "AU 2024-05-01", "q_and_a.html": "CN 2025-06-01",
                    "speech.pdf": "CN 2025-06-01"}
    title = con.execute("select title from discourse_documents where economy = 'AU'").fetchone()[0]
    assert title == "smelter plan"
    # the traditional-character sentence is stored as written
    assert con.execute("select count(*) from discourse_sentences where sentence like '%願與各國%'").fetchone()[0] == 1


def test_missing_metadata_is_refused_naming_file_and_field(folder, tmp_path):
    with pytest.raises(InputError) as exc:
        add_paths(folder, tmp_path / "wh.duckdb", {"actor": "saved pages", "genre": "press"})
    msg = str(exc.value)
    assert "q_and_a.html" in msg or "speech.pdf" in msg
    assert "economy" in msg
    assert not (tmp_path / "wh.duckdb").exists()  # nothing loaded


def test_bad_genre_and_single_file(folder, tmp_path):
    with pytest.raises(InputError, match="genre"):
        add_paths(folder / "speech.pdf", tmp_path / "wh.duckdb",
                  {"economy": "EU", "actor": "Commission", "date": "2023", "genre": "tweet"})
    res = add_paths(folder / "speech.pdf", tmp_path / "wh.duckdb",
                    {"economy": "EU", "actor": "Commission", "date": "2023", "genre": "speech"})
    assert len(res.added) == 1 and res.n_sentences == 1
