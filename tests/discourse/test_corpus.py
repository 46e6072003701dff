from __future__ import annotations

import duckdb
import pytest

from critmin.discourse.corpus import add_corpus, read_document, read_manifest
from critmin.errors import InputError


def make_pdf(lines: list[str]) -> bytes:
    """A minimal one-page PDF with a real text layer (Helvetica, ASCII text)."""
    ops = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({s}) Tj T*" for s in lines) + " ET"
    objs = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(ops)} >>\nstream\n{ops}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


@pytest.fixture()
def corpus(tmp_path):
    d = tmp_path / "corpus"
    d.mkdir()
    (d / "us.txt").write_text("We must secure critical minerals. Our allies welcome the new partnership.\n", encoding="utf-8")
    (d / "eu.md").write_text("<!-- demo -->\n# Title\n\nThe regulation sets **binding** benchmarks for recycling.\n",
                             encoding="utf-8")
    (d / "cn.html").write_text("<html><head><style>p{}</style><script>var x=1;</script></head><body>"
                               "<p>中方坚决反对滥用出口管制。</p><p>双方合作十分顺利。</p></body></html>", encoding="utf-8")
    (d / "au.pdf").write_bytes(make_pdf(["Prices collapsed and several projects paused.",
                                         "We will build a strategic reserve."]))
    (d / "cn_gbk.txt").write_bytes("我国稀土产业链完整，技术优势显著。".encode("gb18030"))
    (d / "cn_gbk_declared.txt").write_bytes("我们呼吁加强多边合作。".encode("gb18030"))
    (d / "empty.txt").write_bytes(b"")
    (d / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\n garbage without xref")
    (d / "big.txt").write_text("Security matters. " * 2000, encoding="utf-8")
    (d / "us_copy.txt").write_bytes((d / "us.txt").read_bytes())
    (d / "manifest.csv").write_text(
        "path,economy,actor,date,language,genre,title,encoding\n"
        "us.txt,US,White House,2024-05-01,,speech,,\n"
        "eu.md,EU,Commission,2023-03,en,law,EU act,\n"
        "cn.html,CN,MFA,2025,,press,,\n"
        "au.pdf,AU,DISR,2025-10-20,,strategy,,\n"
        "cn_gbk.txt,CN,MIIT,2024-01-01,,media,,\n"
        "cn_gbk_declared.txt,CN,MFA,2024-02-01,,press,,gb18030\n"
        "empty.txt,JP,METI,2024-01-01,,press,,\n"
        "broken.pdf,JP,METI,2024-01-01,,press,,\n"
        "big.txt,US,DoD,2024-01-01,,press,,\n"
        "missing.txt,US,DoD,2024-01-01,,press,,\n"
        "us_copy.txt,US,White House,2024-05-01,,speech,,\n", encoding="utf-8")
    return d


def test_add_loads_good_files_and_names_each_bad_one(corpus, tmp_path):
    wh = tmp_path / "wh.duckdb"
    res = add_corpus(corpus / "manifest.csv", wh, max_bytes=20_000)
    added = {d["path"].split("/")[-1] for d in res.added}
    assert added == {"us.txt", "eu.md", "cn.html", "au.pdf", "cn_gbk_declared.txt"}
    errors = {e["file"].split("/")[-1]: e["error"] for e in res.errors}
    assert set(errors) == {"cn_gbk.txt", "empty.txt", "broken.pdf", "big.txt", "missing.txt"}
    assert "encoding" in errors["cn_gbk.txt"] and "gb18030" in errors["cn_gbk.txt"]
    assert "empty" in errors["empty.txt"]
    assert "PDF" in errors["broken.pdf"]
    assert "bytes" in errors["big.txt"]
    for name, msg in errors.items():
        assert name in msg  # every error names its file
    assert [d["duplicate_of"] for d in res.duplicates] == [res.added[0]["doc_id"]]

    con = duckdb.connect(str(wh), read_only=True)
    docs = con.execute("select path, sha256, economy, language, year, n_sentences from discourse_documents").df()
    assert len(docs) == 5 and docs.sha256.str.len().eq(64).all()
    assert dict(zip(docs.path.str.split("/").str[-1], docs.language, strict=True))["cn.html"] == "zh"
    sents = con.execute("select sentence from discourse_sentences").df().sentence.tolist()
    assert "Prices collapsed and several projects paused." in sents  # the PDF text layer
    assert not any("var x" in s or "<!--" in s or "**" in s for s in sents)  # script and markup removed
    assert con.execute("select count(*) from discourse_load_errors").fetchone()[0] == 5
    con.close()

    again = add_corpus(corpus / "manifest.csv", wh, max_bytes=20_000)
    assert not again.added and len(again.duplicates) == 6


@pytest.mark.parametrize("content,field", [
    ("path,economy,actor,date,genre\na.txt,US,X,2024-13-01,law\n", "date"),
    ("path,economy,actor,date,genre\na.txt,United States,X,2024,law\n", "economy"),
    ("path,economy,actor,date,genre\na.txt,US,X,2024,blog\n", "genre"),
    ("path,economy,date,genre\na.txt,US,2024,law\n", "actor"),
])
def test_manifest_errors_name_file_line_and_field(tmp_path, content, field):
    m = tmp_path / "m.csv"
    m.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_manifest(m)
    assert err.value.field == field and err.value.record == 2 and "m.csv" in str(err.value)


def test_yaml_manifest(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text("documents:\n  - {path: a.txt, economy: jp, actor: METI, date: 2024-05-01, genre: strategy}\n",
                 encoding="utf-8")
    (rec,) = read_manifest(m)
    assert rec.economy == "JP" and rec.date == "2024-05-01"


def test_utf16_with_bom_and_binary_junk(tmp_path):
    p = tmp_path / "u16.txt"
    p.write_bytes("日本の重要鉱物戦略。".encode("utf-16"))
    assert read_document(p)[0].startswith("日本")
    b = tmp_path / "bin.txt"
    b.write_bytes(b"\x00\x01\x02binary")
    with pytest.raises(InputError, match="bin.txt.*binary"):
        read_document(b)


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=",\"\r\n"), max_size=12)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(economy=_cell, date=_cell, genre=_cell, language=_cell)
def test_manifest_parser_accepts_or_names_the_field(tmp_path, economy, date, genre, language):
    """Any cell values either validate or raise InputError naming the manifest, line 2 and a field."""
    m = tmp_path / "fuzz.csv"
    m.write_text(f"path,economy,actor,date,genre,language\na.txt,{economy},X,{date},{genre},{language}\n",
                 encoding="utf-8")
    try:
        (rec,) = read_manifest(m)
    except InputError as exc:
        assert exc.record == 2 and exc.field in {"economy", "date", "genre", "language"} and "fuzz.csv" in str(exc)
    else:
        assert rec.genre in {"law", "strategy", "speech", "press", "media", "research", "other"}
        assert len(rec.date) == 10


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_html_and_markdown_readers_never_crash_and_drop_scripts(body):
    from critmin.discourse.corpus import html_to_text, markdown_to_text

    out = html_to_text(f"<html><script>secret()</script><p>{body}</p></html>")
    assert "secret()" not in out
    assert isinstance(markdown_to_text(body), str)
