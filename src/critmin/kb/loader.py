"""Load and validate the knowledge-base YAML files (one mapping ``id -> entry`` per file).

A broken entry is refused with :class:`KBError` naming the file, the entry key and the field.
Duplicate keys inside a file and ids repeated across files are refused too. Nothing is read on import.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

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


def _yaml_loader():
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        pass

    def construct_mapping(loader, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}' (line {key_node.start_mark.line + 1})", key_node.start_mark
                )
            seen.add(key)
        return loader.construct_mapping(node, deep=deep)

    UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    # keep dates as text so that pydantic validates them and a bad one is reported with its entry and field
    UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))
    return UniqueKeyLoader


def parse_file(path: str | Path, text: str | None = None) -> list[Entry]:
    """Parse one knowledge-base YAML file into validated entries (raises KBError on the first bad entry)."""
    import yaml
    from pydantic import ValidationError

    name = Path(path).name
    if text is None:
        from critmin.readtext import read_text

        text = read_text(path, "a readable knowledge-base YAML file", KBError, name=name)
    try:
        data = yaml.load(text, Loader=_yaml_loader())  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise KBError(name, line, None, "valid YAML", str(exc).splitlines()[0]) from None
    if data is None:
        return []
    if not isinstance(data, dict):
        raise KBError(name, None, None, "a mapping of entry id -> entry", type(data).__name__)
    out = []
    for key, body in data.items():
        if not isinstance(body, dict):
            raise KBError(name, str(key), None, "a mapping of entry fields", body)
        if "id" in body and body["id"] != key:
            raise KBError(name, str(key), "id", f"the same id as its key '{key}'", body["id"])
        try:
            entry = Entry.model_validate({**body, "id": key, "source_file": name})
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or None
            got = err.get("input")
            if isinstance(got, dict):
                got = None
            expected = err["msg"]
            if err["type"] == "extra_forbidden":
                expected = "only known fields (this field is not part of an entry)"
            elif err["type"] == "missing":
                expected = "this required field"
            raise KBError(name, str(key), field, expected, got) from None
        out.append(entry)
    return out


def load_from(paths: list[Path]) -> KnowledgeBase:
    """Load entries from the given YAML files; cross-file checks: unique ids, known references."""
    entries: dict[str, Entry] = {}
    for path in sorted(paths):
        for e in parse_file(path):
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
    return load_from(data_files())
