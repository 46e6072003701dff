"""Fuzzing the discourse inputs (manifests, documents, lexicons), the catalog's groups file and the table/CSV
renderer. Property: a valid result or an InputError (or subclass) naming the file, never another exception, and
nothing written. Examples per target: CRITMIN_FUZZ_EXAMPLES (see fuzzing.py)."""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import yaml
from fuzzing import fuzz
from hypothesis import event, given
from hypothesis import strategies as st

from critmin.errors import InputError

FIELDS = ["path", "economy", "actor", "date", "language", "genre", "title", "encoding", "synthetic", "note", "x"]
_text = st.text(max_size=40)
_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), _text, st.dates())
_json = st.recursive(_scalar, lambda c: st.lists(c, max_size=4) | st.dictionaries(_text, c, max_size=4), max_leaves=12)


def _mutate(text: str, data) -> str:
    """``text`` with a slice replaced by random characters (breaks syntax in many ways)."""
    if not text or not data.draw(st.booleans()):
        return text
    i = data.draw(st.integers(0, len(text)))
    j = data.draw(st.integers(i, min(len(text), i + 20)))
    return text[:i] + data.draw(st.text(max_size=20)) + text[j:]


class _Folder:
    """A temporary folder; the property checks afterwards that only the files written by the test are there."""

    def __enter__(self) -> Path:
        self.path = Path(tempfile.mkdtemp(prefix="critmin-fuzz-"))
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _expect(fn, *args):
    """fn(*args) or an InputError with a one-line message; returns the result or the error."""
    try:
        result = fn(*args)
    except InputError as exc:
        assert "\n" not in str(exc).strip(), str(exc)
        assert exc.file, exc
        event(f"refused: {type(exc).__name__}")
        return exc
    event("valid")
    return result


# ---------------------------------------------------------------- manifests

_PLAUSIBLE = {  # valid values first and repeated, so that about one record in three is valid
    "path": st.sampled_from(["a.txt"] * 6 + ["./a.txt", "sub/../a.txt", "../a.txt", "/etc/hostname", "a\x00.txt",
                                             "link.txt", "missing.md", ""]),
    "economy": st.sampled_from(["US"] * 4 + ["eu", " cn ", "C", "TOOLONGX"]),
    "actor": st.sampled_from(["MFA"] * 3 + ["", "[/x] \x1b[31m"]),
    "date": st.sampled_from(["2024"] * 3 + ["2024-05", "2024-05-01", "2024-02-30", "24", "2024-13"]),
    "language": st.sampled_from(["en"] * 3 + ["zh", "ja", "auto", "", "fr"]),
    "genre": st.sampled_from(["law"] * 3 + ["press", "blog"]),
}
_record = st.fixed_dictionaries({k: st.sampled_from([True] * 9 + [False]).flatmap(lambda ok, v=v: v if ok else _scalar)
                                 for k, v in _PLAUSIBLE.items()},
                                optional={"title": _text, "note": _text, "synthetic": st.booleans()}) | st.dictionaries(
    st.sampled_from(FIELDS), _scalar, max_size=8)


@fuzz
@given(records=st.lists(_record, min_size=1, max_size=2), kind=st.sampled_from(["csv", "yaml", "yml"]), data=st.data())
def test_fuzz_manifest(records, kind, data):
    from critmin.discourse.corpus import read_manifest

    with _Folder() as d:
        (d / "a.txt").write_text("We welcome the critical minerals partnership.", encoding="utf-8")
        (d / "link.txt").symlink_to("/etc/hostname")
        m = d / f"m.{kind}"
        if kind == "csv":
            cols = sorted({k for r in records for k in r}) or ["path"]
            buf = io.StringIO()
            w = csv.DictWriter(buf, cols, lineterminator="\n")
            w.writeheader()
            w.writerows([{k: "" if v is None else v for k, v in r.items()} for r in records])
            text = buf.getvalue()
        else:
            text = yaml.safe_dump(data.draw(st.sampled_from([records, {"documents": records}])), allow_unicode=True)
        raw = (text if data.draw(st.integers(0, 3)) else _mutate(text, data)).encode("utf-8", "surrogatepass")
        m.write_bytes(raw if data.draw(st.integers(0, 3)) else raw[: len(raw) // 2] + b"\xff" + raw[len(raw) // 2:])
        before = _files(d)
        got = _expect(read_manifest, m)
        assert _files(d) == before
        if not isinstance(got, InputError):
            for rec in got:
                assert (d / rec.path).resolve().is_relative_to(d.resolve())


# ---------------------------------------------------------------- documents

@fuzz
@given(suffix=st.sampled_from([".txt", ".md", ".html"]), body=st.one_of(
    st.text(max_size=400),
    st.lists(st.sampled_from(["![", "[", "](", ")", "]", "`", "```", "<", ">", "<!--", "-->", "<a ", "</p>",
                              "<script>", "</script>", "&amp;", "&#", "# ", "\n", " ", "word", "。", "x"]),
             max_size=80).map("".join)),
       encoding=st.sampled_from(["utf-8", "utf-16", "gb18030", "latin-1", None]), junk=st.binary(max_size=8))
def test_fuzz_document(suffix, body, encoding, junk):
    from critmin.discourse.corpus import read_document

    with _Folder() as d:
        p = d / f"doc{suffix}"
        p.write_bytes(body.encode(encoding, "replace") + junk if encoding else junk + body.encode("utf-8", "replace"))
        got = _expect(read_document, p, encoding)
        if not isinstance(got, InputError):
            assert isinstance(got[0], str) and got[0].strip()
        assert _files(d) == {p.name}


def _minimal_pdf() -> bytes:
    """A one-page PDF with a text layer (hand-written objects and xref)."""
    body = b"BT /F1 12 Tf 72 720 Td (Critical minerals matter for supply chains.) Tj ET"
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R "
            b">> >> >>", b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for i, o in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + o + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


PDF = _minimal_pdf()


@fuzz
@given(st.one_of(st.binary(max_size=600).map(lambda b: b"%PDF-1.4\n" + b), st.binary(max_size=100),
                 st.tuples(st.integers(0, len(PDF)), st.integers(0, 40), st.binary(max_size=40)).map(
                     lambda t: PDF[:t[0]] + t[2] + PDF[t[0] + t[1]:])))
def test_fuzz_pdf_reader(data):
    from critmin.discourse.corpus import read_document

    with _Folder() as d:
        p = d / "doc.pdf"
        p.write_bytes(data)
        _expect(read_document, p)
        assert _files(d) == {"doc.pdf"}


# ---------------------------------------------------------------- lexicons

_LEX: dict[str, str] = {}


def _lexicon_texts() -> dict[str, str]:
    if not _LEX:
        from critmin.discourse.lexicon import _default_dir

        for f in _default_dir().glob("*_ja.yaml"):  # valid but small: the first three entries of each list
            data = yaml.safe_load(f.read_text(encoding="utf-8"))
            _LEX[f.name] = yaml.safe_dump({k: v[:3] if isinstance(v, list) else v for k, v in data.items()},
                                          allow_unicode=True, sort_keys=False)
    return _LEX


@fuzz
@given(name=st.sampled_from(["frames_ja.yaml", "affect_ja.yaml"]), data=st.data())
def test_fuzz_lexicon(name, data):
    from critmin.discourse.lexicon import load_lexicon

    texts = _lexicon_texts()
    with _Folder() as d:
        for n, t in texts.items():
            (d / n).write_text(t, encoding="utf-8")
        text = texts[name]
        how = data.draw(st.sampled_from(["keep", "mutate", "mutate", "random"]))
        if how == "random":
            text = yaml.safe_dump(data.draw(_json), allow_unicode=True)
        (d / name).write_bytes((text if how == "keep" else _mutate(text, data)).encode("utf-8", "surrogatepass"))
        before = _files(d)
        _expect(load_lexicon.__wrapped__, "ja", str(d))
        assert _files(d) == before


# ---------------------------------------------------------------- the groups file

_year = st.sampled_from([None, 2000, 2024]) | _scalar
_group = st.fixed_dictionaries(
    {"id": st.sampled_from(["QUAD", "G7", "X1", "X2"]) | _text, "name_en": st.just("Quad") | _text,
     "name_zh": st.just("四方") | _text,
     "kind": st.sampled_from(["explicit", "coco_fixed", "coco_accession", "eu_waves", "other"]),
     "citation": st.just("user") | _text,
     "members": st.lists(st.fixed_dictionaries({"iso3": st.sampled_from(["USA", "JPN", "jpn", "X"]) | _text},
                                               optional={"from_year": _year, "to_year": _year}), min_size=1,
                         max_size=3)},
    optional={"coco_column": st.sampled_from(["EU", "OECD", "EU27", "nope"]) | _text,
              "waves": st.lists(st.fixed_dictionaries({"coco_column": st.sampled_from(["EU", "EU12", "nope"]),
                                                       "from_year": _year}), max_size=2),
              "valid_from": _year, "extra": _scalar})


@fuzz
@given(groups=st.lists(_group, max_size=3), data=st.data())
def test_fuzz_groups_file(groups, data):
    from critmin.catalog import read_user_groups

    with _Folder() as d:
        f = d / "groups.yaml"
        text = yaml.safe_dump(data.draw(st.sampled_from([{"groups": groups}, groups, {"groups": groups, "x": 1}])),
                              allow_unicode=True)
        f.write_bytes((_mutate(text, data) if data.draw(st.booleans()) else text).encode("utf-8", "surrogatepass"))
        got = _expect(read_user_groups, f, {"G7"})
        if not isinstance(got, InputError):
            assert len({g.id for g in got}) == len(got) and "G7" not in {g.id for g in got}
        assert _files(d) == {"groups.yaml"}


# ---------------------------------------------------------------- table and CSV rendering

_cell = st.one_of(st.text(), st.text(alphabet=st.sampled_from("[]/\\=+-@\t\r\n\x1b\x9b\x07:;'\"abc0123 ."), max_size=30),
                  st.integers(), st.floats(allow_nan=True), st.none(), st.booleans())


@fuzz
@given(rows=st.lists(st.tuples(_cell, _cell), min_size=1, max_size=4), title=st.text(max_size=20),
       cols=st.lists(st.text(max_size=8), min_size=2, max_size=2, unique=True))
def test_fuzz_table_and_csv(rows, title, cols):
    from critmin.cli.output import emit
    from critmin.csvsafe import _NUMBER, FORMULA_START, neutralise
    from critmin.tabletext import CONTROL as _CONTROL

    df = pd.DataFrame(rows, columns=cols)
    out = io.StringIO()
    emit(df, "table", title=title, out=out)
    assert not set(out.getvalue()) & {chr(c) for c in _CONTROL}
    out = io.StringIO()
    emit(df, "csv", out=out)
    back = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert back[0] == [neutralise(c) for c in cols]
    for got_row, row in zip(back[1:], rows, strict=True):
        for got, value in zip(got_row, row, strict=True):
            if isinstance(value, str):
                assert got == neutralise(value) or (got == "" and value == "")
                assert not got.startswith(FORMULA_START) or _NUMBER.fullmatch(got)

