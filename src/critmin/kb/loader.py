"""Load and validate the knowledge-base YAML files (one mapping ``id -> record`` per file).

A record with ``kind: export_control`` is a legal :class:`~critmin.kb.measures.Measure`; every other kind is
an :class:`~critmin.kb.models.Entry`. A broken record is refused with :class:`KBError` naming the file, the
line and the field (``record-id.field``), through the shared reader :mod:`critmin.datafile`. Ids repeated
across files are refused, except that a user file's record may ``replaces:`` a bundled id. Nothing is read on
import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from critmin.datafile import keyed_by_id
from critmin.errors import InputError

from .measures import Measure
from .models import Entry


class KBError(InputError):
    """A knowledge-base file or entry fails validation."""


@dataclass(frozen=True)
class KnowledgeBase:
    """Entries and measures by id (``entries`` holds both, so any id resolves; ``measures`` only the
    measures). ``user_files`` lists the user files merged in."""

    entries: dict[str, Entry | Measure]
    user_files: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self):
        return iter(self.entries.values())

    @property
    def measures(self) -> dict[str, Measure]:
        return {k: v for k, v in self.entries.items() if isinstance(v, Measure)}

    def get(self, entry_id: str) -> Entry | Measure:
        from critmin.errors import UsageError

        try:
            return self.entries[entry_id]
        except KeyError:
            import difflib

            near = difflib.get_close_matches(entry_id, self.entries, n=3)
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            raise UsageError(f"no knowledge-base entry '{entry_id}'{hint}") from None


_EntryFile = keyed_by_id(Entry)
_MeasureFile = keyed_by_id(Measure)


def parse_file(path: str | Path, text: str | None = None) -> list[Entry | Measure]:
    """Parse one knowledge-base YAML file into validated records; the first problem raises KBError with the
    file, the line and the field (``record-id.field``)."""
    from critmin.datafile import line_of, read_yaml, validate

    name = Path(path).name
    data = read_yaml(path, KBError, "a knowledge-base YAML file", name=name, text=text)
    if data is None:
        return []
    if not isinstance(data, dict):
        raise KBError(name, None, None, "a mapping of entry id -> entry", type(data).__name__)
    for key, body in data.items():
        if not isinstance(body, dict):
            raise KBError(name, line_of(data, [key]), str(key), "a mapping (one record)", type(body).__name__)
        if "id" in body and body["id"] != key:
            raise KBError(name, line_of(data, [key, "id"]), f"{key}.id", f"the same id as its key '{key}'",
                          body["id"])
    # measures and entries are validated in file order, each against its own model, so the error names the
    # first bad record; a sub-mapping keeps the line numbers of the parsed file
    out: list[Entry | Measure] = []
    for key, body in data.items():
        model = _MeasureFile if body.get("kind") == "export_control" else _EntryFile
        sub = type(data)({key: body})
        if hasattr(data, "lines"):
            sub.lines = {key: data.lines.get(key)}
        rec = validate(sub, model, name, error=KBError).root[key]
        out.append(rec.model_copy(update={"source_file": name}))
    return out


def _refs(e: Entry | Measure) -> list[tuple[str, str]]:
    refs = [("related", r) for r in e.related]
    if isinstance(e, Entry):
        refs += [("alliance", e.alliance)] if e.alliance else []
    else:
        refs += [("suspends", r) for r in e.suspends]
        refs += [("suspensions.by", s.by) for s in e.suspensions]
    return refs


def check_references(entries: dict[str, Entry | Measure]) -> None:
    """Every id a record names (related, alliance, suspends, suspensions.by) must exist; a suspension's
    ``by`` must be a relaxing measure that lists the suspended id."""
    for e in entries.values():
        for fld, ref in _refs(e):
            if ref not in entries:
                raise KBError(e.source_file, e.id, fld, "the id of an existing entry", ref)
        if isinstance(e, Measure):
            for s in e.suspensions:
                by = entries[s.by]
                if not isinstance(by, Measure) or e.id not in by.suspends:
                    raise KBError(e.source_file, e.id, "suspensions.by",
                                  f"a measure whose 'suspends' lists '{e.id}'", s.by)


def load_from(paths: list[Path], user: list[Path] | None = None) -> KnowledgeBase:
    """Load the records of ``paths`` (bundled) and ``user`` files; ids unique across all files, except that
    a user record with ``replaces: <id>`` takes a bundled record's place."""
    entries: dict[str, Entry | Measure] = {}
    for path in sorted(paths):
        for e in parse_file(path):
            if e.id in entries:
                raise KBError(path.name, e.id, "id", "an id unique across the knowledge base",
                              f"also in {entries[e.id].source_file}")
            entries[e.id] = e
    bundled = set(entries)
    for path in sorted(user or []):
        for e in parse_file(path):
            if e.replaces is not None:
                if e.replaces not in bundled:
                    raise KBError(path.name, e.id, "replaces", "the id of a bundled entry", e.replaces)
                entries.pop(e.replaces, None)
            if e.id in entries:
                raise KBError(path.name, e.id, "id", "an id unique across the knowledge base (or 'replaces:')",
                              f"also in {entries[e.id].source_file}")
            entries[e.id] = e
    check_references(entries)
    return KnowledgeBase(entries, tuple(str(p) for p in sorted(user or [])))


def data_files() -> list[Path]:
    folder = resources.files("critmin.kb") / "data"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith((".yaml", ".yml")))


def user_files(folder: str | Path | None = None) -> list[Path]:
    """The YAML files of the user KB folder (``--kb``, else the ``kb`` setting / CRITMIN_KB); none if unset.
    A folder that does not exist is an error, not silently nothing."""
    from critmin import settings
    from critmin.errors import UsageError

    raw = settings.get("kb", None if folder is None else str(folder))
    if raw in (None, ""):
        return []
    path = Path(raw).expanduser()
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise UsageError(f"knowledge-base folder '{path}' does not exist (set by --kb or CRITMIN_KB)")
    return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))


@lru_cache(maxsize=4)
def _load(user: tuple[str, ...]) -> KnowledgeBase:
    return load_from(data_files(), [Path(p) for p in user])


def load_kb(folder: str | Path | None = None) -> KnowledgeBase:
    """The bundled knowledge base merged with the user folder (``folder``, else the ``kb`` setting);
    cached per set of user files."""
    return _load(tuple(str(p) for p in user_files(folder)))


load_kb.cache_clear = _load.cache_clear  # type: ignore[attr-defined]
