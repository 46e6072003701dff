"""Issue 18: discourse inputs (text stripping, manifests, lexicons) and the catalog's groups file.

Each test reproduces a failure of the code before the fix: quadratic stripping, manifests quoting files outside
the corpus, and tracebacks instead of one-line InputErrors.
"""

from __future__ import annotations

import time

import pytest

from critmin.discourse.corpus import html_to_text, markdown_to_text

PATHOLOGICAL = ["![", "[", "](", "[a](", "`", "```", "<", "<!--", "<a ", "</", "<!", "<![CDATA[", "&#", "*_",
                "\n# ", "1", "Mr. A ", "<script>", "<script>x<", "<p x='", "<p x=\"y\" "]


@pytest.mark.parametrize("pattern", PATHOLOGICAL)
def test_markdown_and_html_stripping_is_linear_on_1_mib(pattern):
    """156 KiB of '![' took 74 s (each unclosed '![' rescanned the rest of the text)."""
    text = pattern * (1024 * 1024 // len(pattern))
    for fn in (markdown_to_text, html_to_text):
        t0 = time.perf_counter()
        fn(text)
        assert time.perf_counter() - t0 < 0.5, (fn.__name__, pattern)


def test_markdown_stripping_keeps_its_meaning():
    md = ("<!-- hidden -->\n# Title\n> quoted **bold** and _it_\n- ![alt](img.png) and [link text](http://x/)\n"
          "```\ncode()\n```\n[no link] (x) [a [b](u) `tick`")
    out = markdown_to_text(md)
    assert "hidden" not in out and "code()" not in out and "http" not in out and "img.png" not in out
    assert "Title" in out and "quoted bold and it" in out and "alt and link text" in out
    assert "[no link] (x)" in out and "a [b tick" in out


def test_html_stripping_keeps_its_meaning():
    html = ("<html><head><title>T</title><style>p{}</style><script>if (a < b) x()</script></head><body>"
            "<!-- c < d --><p>One &amp; two</p><p>a < b and c > d</p><div>x<br>y</div></body></html>")
    out = html_to_text(html)
    assert "x()" not in out and "p{}" not in out and "c < d" not in out
    assert out.split() == ["T", "One", "&", "two", "a", "<", "b", "and", "c", ">", "d", "x", "y"]


# ---------------------------------------------------------------- manifests

from critmin.discourse.corpus import add_corpus, read_manifest  # noqa: E402
from critmin.errors import InputError  # noqa: E402

HEADER = "path,economy,actor,date,genre\n"


def _corpus(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ok.txt").write_text("We welcome the partnership on critical minerals.", encoding="utf-8")
    secret = tmp_path / "secret.txt"
    secret.write_text("The private key is hunter2 and must never be quoted.", encoding="utf-8")
    (corpus / "link.txt").symlink_to(secret)
    return corpus, secret


@pytest.mark.parametrize("entry", ["../secret.txt", "ABS", "link.txt", "sub/../../secret.txt"])
@pytest.mark.parametrize("kind", ["csv", "yaml"])
def test_manifest_refuses_paths_outside_its_folder(tmp_path, entry, kind):
    """A manifest could quote any readable file into the warehouse (and so into reports) by '../' or an
    absolute path, or through a symlink in the corpus folder."""
    corpus, secret = _corpus(tmp_path)
    entry = str(secret) if entry == "ABS" else entry
    if kind == "csv":
        m = corpus / "m.csv"
        m.write_text(HEADER + f"ok.txt,US,X,2024,law\n{entry},US,X,2024,law\n", encoding="utf-8")
        record = 3
    else:
        m = corpus / "m.yaml"
        m.write_text("documents:\n  - {path: ok.txt, economy: US, actor: X, date: 2024, genre: law}\n"
                     f"  - {{path: '{entry}', economy: US, actor: X, date: 2024, genre: law}}\n", encoding="utf-8")
        record = "documents.1"
    wh = tmp_path / "wh.duckdb"
    with pytest.raises(InputError) as err:
        add_corpus(m, wh)
    assert err.value.file == str(m) and err.value.record == record and err.value.field == "path"
    assert "inside" in err.value.expected and not wh.exists()


def test_manifest_accepts_paths_inside_its_folder(tmp_path):
    corpus, _ = _corpus(tmp_path)
    (corpus / "sub").mkdir()
    (corpus / "sub" / "b.txt").write_text("The strategy secures supply chains.", encoding="utf-8")
    m = corpus / "m.csv"
    m.write_text(HEADER + f"ok.txt,US,X,2024,law\nsub/../sub/b.txt,US,X,2024,law\n{corpus / 'ok.txt'},US,X,2024,law\n",
                 encoding="utf-8")
    assert len(read_manifest(m)) == 3


BAD_MANIFESTS = {
    "huge_field.csv": (HEADER + "a.txt,US," + "x" * (128 * 1024 + 10) + ",2024,law\n").encode(),
    "nul.csv": (HEADER + "a\x00.txt,US,X,2024,law\n").encode(),
    "latin1.csv": (HEADER + "a.txt,US,Minist\xe8re,2024,law\n").encode("latin-1"),
    "latin1.yaml": "- {path: a.txt, economy: FR, actor: Minist\xe8re, date: 2024, genre: law}\n".encode("latin-1"),
    "deep.yaml": ("documents: " + "[" * 5000 + "]" * 5000 + "\n").encode(),
    "deep_map.yaml": ("documents: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n").encode(),
    "dup.yaml": b"- {path: a.txt, path: ../secret.txt, economy: US, actor: X, date: 2024, genre: law}\n",
    "nulpath.yaml": b"- {path: \"a\\0.txt\", economy: US, actor: X, date: 2024, genre: law}\n",
    "anchors.yaml": b"- &a {path: a.txt, economy: US, actor: X, date: 2024, genre: law}\n- *a\n- [*a]\n",
    "nan.yaml": b"- {path: a.txt, economy: US, actor: X, date: .nan, genre: law}\n",
    "scalar.yaml": b"just text\n",
    "header_only.csv": HEADER.encode(),
}


@pytest.mark.parametrize("name", sorted(BAD_MANIFESTS))
def test_bad_manifests_are_one_line_input_errors(tmp_path, name):
    """Each of these was a traceback (csv.Error, RecursionError, ValueError) or was silently accepted."""
    m = tmp_path / name
    m.write_bytes(BAD_MANIFESTS[name])
    with pytest.raises(InputError) as err:
        read_manifest(m)
    assert err.value.file == str(m) and "\n" not in str(err.value) and len(str(err.value)) < 400
    if name in ("huge_field.csv", "nul.csv"):
        assert err.value.record == 2


def test_watch_refuses_a_symlink_to_a_file_outside_the_folder(tmp_path):
    from critmin.discourse.monitor import watch_folder

    corpus, secret = _corpus(tmp_path)
    (corpus / "link.txt").unlink()
    (corpus / "ok.txt").unlink()
    (corpus / "US_2024-01-01_link.txt").symlink_to(secret)
    res = watch_folder(corpus, tmp_path / "wh.duckdb")
    assert [e["file"] for e in res.errors] == [str(corpus / "US_2024-01-01_link.txt")] and not res.added
    assert "inside the watched folder" in res.errors[0]["error"]
