"""Load and validate the knowledge-base YAML files (one mapping ``id -> record`` per file).

A record with ``kind: export_control`` is a legal :class:`~critmin.kb.measures.Measure`; every other kind is
an :class:`~critmin.kb.models.Entry`. A broken record is refused with :class:`KBError` naming the file, the
line and the field (``record-id.field``), through the shared reader :mod:`critmin.datafile`. Ids repeated
across files are refused, except that a user file's record may ``replaces:`` a bundled id. Nothing is read on
import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
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
    aliases: dict[str, str] = field(default_factory=dict)  # replaced bundled id -> the user record's id

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self):
        return iter(self.entries.values())

    @cached_property
    def measures(self) -> dict[str, Measure]:
        """Built once per knowledge base (the monitor asks thousands of times); ``entries`` is not changed
        after loading, so the cached view stays right."""
        return {k: v for k, v in self.entries.items() if isinstance(v, Measure)}

    def find(self, entry_id: str) -> Entry | Measure | None:
        """The record with this id (a replaced bundled id resolves to its replacement), or None."""
        return self.entries.get(self.aliases.get(entry_id, entry_id))

    def get(self, entry_id: str) -> Entry | Measure:
        from critmin.errors import UsageError

        try:
            return self.entries[self.aliases.get(entry_id, entry_id)]
        except KeyError:
            import difflib

            near = difflib.get_close_matches(entry_id, self.entries, n=3)
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            raise UsageError(f"no knowledge-base entry '{entry_id}'{hint}") from None


_EntryFile = keyed_by_id(Entry)
_MeasureFile = keyed_by_id(Measure)


def parse_file(path: str | Path, text: str | None = None, *, bundled: bool = False) -> list[Entry | Measure]:
    """Parse one knowledge-base YAML file into validated records; the first problem raises KBError with the
    file, the line and the field (``record-id.field``)."""
    records, errors = parse_records(path, text, bundled=bundled)
    if errors:
        raise errors[0]
    return records


def parse_records(path: str | Path, text: str | None = None, *, bundled: bool = False
                  ) -> tuple[list[Entry | Measure], list[KBError]]:
    """Every valid record of one file and a KBError for every invalid one (a file-level problem, such as a
    YAML syntax error, is the only error then), so ``kb check`` can report them all in one pass.

    ``bundled``: critmin's own file, read with the fast C loader (no line numbers; the shared reader's checks
    on bundled files run in tests/test_catalog.py and ``kb check``)."""
    from critmin.datafile import line_of, read_bundled_yaml, read_yaml, validate

    name = Path(path).name
    try:
        if bundled and text is None:
            data = read_bundled_yaml(path)
        else:
            data = read_yaml(path, KBError, "a knowledge-base YAML file", name=name, text=text)
    except KBError as exc:
        return [], [exc]
    if data is None:
        return [], []
    if not isinstance(data, dict):
        return [], [KBError(name, None, None, "a mapping of entry id -> entry", type(data).__name__)]
    out: list[Entry | Measure] = []
    errors: list[KBError] = []
    for key, body in data.items():
        if not isinstance(body, dict):
            errors.append(KBError(name, line_of(data, [key]), str(key), "a mapping (one record)",
                                  type(body).__name__))
            continue
        if "id" in body and body["id"] != key:
            errors.append(KBError(name, line_of(data, [key, "id"]), f"{key}.id", f"the same id as its key '{key}'",
                                  body["id"]))
            continue
        # each record against its own model; a sub-mapping keeps the line numbers of the parsed file
        model = _MeasureFile if body.get("kind") == "export_control" else _EntryFile
        sub = type(data)({key: body})
        if hasattr(data, "lines"):
            sub.lines = {key: data.lines.get(key)}
        try:
            rec = validate(sub, model, name, error=KBError).root[key]
        except KBError as exc:
            errors.append(exc)
            continue
        out.append(rec.model_copy(update={"source_file": name}))
    return out, errors


def _refs(e: Entry | Measure) -> list[tuple[str, str]]:
    refs = [("related", r) for r in e.related]
    if isinstance(e, Entry):
        refs += [("alliance", e.alliance)] if e.alliance else []
    else:
        refs += [("suspends", r) for r in e.suspends]
        refs += [("suspensions.by", s.by) for s in e.suspensions]
    return refs


def reference_problems(entries: dict[str, Entry | Measure], aliases: dict[str, str] | None = None) -> list[KBError]:
    """Every dangling id a record names (related, alliance, suspends, suspensions.by), and every suspension
    whose ``by`` is not a relaxing measure listing the suspended id. A bundled id replaced by a user record
    (``aliases``) still resolves, to the replacing record."""
    aliases = aliases or {}
    out: list[KBError] = []
    for e in entries.values():
        for fld, ref in _refs(e):
            if aliases.get(ref, ref) not in entries:
                out.append(KBError(e.source_file, e.id, fld, "the id of an existing entry", ref))
        if isinstance(e, Measure):
            for s in e.suspensions:
                by = entries.get(aliases.get(s.by, s.by))
                if by is not None and (not isinstance(by, Measure)
                                       or not {e.id, e.replaces} & set(by.suspends)):
                    out.append(KBError(e.source_file, e.id, "suspensions.by",
                                       f"a measure whose 'suspends' lists '{e.id}'", s.by))
    return out


def check_references(entries: dict[str, Entry | Measure], aliases: dict[str, str] | None = None) -> None:
    """Raise the first of :func:`reference_problems`."""
    problems = reference_problems(entries, aliases)
    if problems:
        raise problems[0]


def load_from(paths: list[Path], user: list[Path] | None = None) -> KnowledgeBase:
    """Load the records of ``paths`` (bundled) and ``user`` files; ids unique across all files, except that
    a user record with ``replaces: <id>`` takes a bundled record's place."""
    entries: dict[str, Entry | Measure] = {}
    own = set(data_files())
    for path in sorted(paths):
        for e in parse_file(path, bundled=Path(path) in own):
            if e.id in entries:
                raise KBError(path.name, e.id, "id", "an id unique across the knowledge base",
                              f"also in {entries[e.id].source_file}")
            entries[e.id] = e
    bundled = set(entries)
    aliases: dict[str, str] = {}
    for path in sorted(user or []):
        for e in parse_file(path):
            if e.replaces is not None:
                if e.replaces not in bundled:
                    raise KBError(path.name, e.id, "replaces", "the id of a bundled entry", e.replaces)
                entries.pop(e.replaces, None)
                aliases[e.replaces] = e.id
            if e.id in entries:
                raise KBError(path.name, e.id, "id", "an id unique across the knowledge base (or 'replaces:')",
                              f"also in {entries[e.id].source_file}")
            entries[e.id] = e
    check_references(entries, aliases)
    return KnowledgeBase(entries, tuple(str(p) for p in sorted(user or [])), aliases)


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
