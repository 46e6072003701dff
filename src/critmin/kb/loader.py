"""Load and validate the knowledge-base YAML files (one mapping ``id -> entry`` per file).

A broken entry is refused with :class:`KBError` naming the file, the line and the field (``entry-id.field``),
through the shared reader :mod:`critmin.datafile` (duplicate keys, deep nesting and non-finite numbers refused
there). Ids repeated across files are refused too. Nothing is read on import.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from critmin.datafile import keyed_by_id
from critmin.errors import InputError

from .models import Entry


class KBError(InputError):
    """A knowledge-base file or entry fails validation."""


@dataclass(frozen=True)
class KnowledgeBase:
    entries: dict[str, Entry]

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self):
        return iter(self.entries.values())

    def get(self, entry_id: str) -> Entry:
        from critmin.errors import UsageError

        try:
            return self.entries[entry_id]
        except KeyError:
            import difflib

            near = difflib.get_close_matches(entry_id, self.entries, n=3)
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            raise UsageError(f"no knowledge-base entry '{entry_id}'{hint}") from None


_EntryFile = keyed_by_id(Entry)


def parse_file(path: str | Path, text: str | None = None, *, bundled: bool = False) -> list[Entry]:
    """Parse one knowledge-base YAML file into validated entries; the first problem raises KBError with the
    file, the line and the field (``entry-id.field``). ``bundled``: critmin's own file, read by libyaml (the
    strict reader cost 0.3 s per command); if it fails, it is read again strictly so the error has its line."""
    name = Path(path).name
    if bundled:
        from critmin.datafile import read_bundled_yaml

        try:
            return _entries(read_bundled_yaml(path), name)
        except Exception:  # noqa: BLE001 - re-read strictly below, which raises the located error
            pass
    from critmin.datafile import read_yaml

    return _entries(read_yaml(path, KBError, "a knowledge-base YAML file", name=name, text=text), name)


def _entries(data, name: str) -> list[Entry]:
    from critmin.datafile import line_of, validate

    if data is None:
        return []
    if not isinstance(data, dict):
        raise KBError(name, None, None, "a mapping of entry id -> entry", type(data).__name__)
    for key, body in data.items():
        if isinstance(body, dict) and "id" in body and body["id"] != key:
            raise KBError(name, line_of(data, [key, "id"]), f"{key}.id", f"the same id as its key '{key}'",
                          body["id"])
    entries = validate(data, _EntryFile, name, error=KBError).root
    return [e.model_copy(update={"source_file": name}) for e in entries.values()]


def load_from(paths: list[Path], *, bundled: bool = False) -> KnowledgeBase:
    """Load entries from the given YAML files; cross-file checks: unique ids, known references."""
    entries: dict[str, Entry] = {}
    for path in sorted(paths):
        for e in parse_file(path, bundled=bundled):
            if e.id in entries:
                raise KBError(path.name, e.id, "id", "an id unique across the knowledge base",
                              f"also in {entries[e.id].source_file}")
            entries[e.id] = e
    for e in entries.values():
        for ref in [*e.related, *([e.alliance] if e.alliance else [])]:
            if ref not in entries:
                raise KBError(e.source_file, e.id, "related" if ref in e.related else "alliance",
                              "the id of an existing entry", ref)
    return KnowledgeBase(entries)


def data_files() -> list[Path]:
    folder = resources.files("critmin.kb") / "data"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith((".yaml", ".yml")))


@lru_cache(maxsize=1)
def load_kb() -> KnowledgeBase:
    """The bundled knowledge base (cached after the first call)."""
    return load_from(data_files(), bundled=True)
