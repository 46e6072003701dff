"""One reader for every YAML/JSON data file a user can hand critmin (catalog, groups, KB, rules, scenarios,
intensities, lexicons, compliance packs, dossiers, manifests).

Why one reader: the same defences apply to every file, and each is easy to forget in a twelfth copy.
``load_data`` refuses, with one :class:`critmin.errors.InputError` naming file, line and field:

- files that are not UTF-8 or larger than ``max_bytes``;
- YAML/JSON syntax errors (with the line);
- duplicate keys in one mapping (YAML and JSON would otherwise keep the last one silently);
- nesting deeper than ``MAX_DEPTH`` (would otherwise end in ``RecursionError``);
- any number that is not finite (``.nan``, ``.inf``, ``NaN``, ``Infinity``, or ``1e309`` which overflows to
  ``inf``) — a NaN passes every ``<``/``>`` range check and silently turns alerts off;
- pydantic validation failures, reported at the line of the offending key when it is known.

``parse_data`` does the same for text already in memory (an upload, a string in a test).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, TypeVar

from critmin.errors import InputError

T = TypeVar("T")

MAX_DEPTH = 64
MAX_BYTES = 50 * 1024 * 1024


class _Lines(dict):
    """A dict that remembers the line of each key (1-based), for error messages."""

    lines: dict[str, int]


class _LineList(list):
    lines: list[int]


def _yaml_loader():
    import yaml

    class Loader(yaml.SafeLoader):
        """Safe loader that refuses duplicate keys and deep nesting and records key lines."""

        def __init__(self, stream):
            super().__init__(stream)
            self._depth = 0

        def compose_node(self, parent, index):  # depth is counted while composing, before recursion bites
            self._depth += 1
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise _TooDeep(mark.line + 1)
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

        def construct_object(self, node, deep=False):
            """PyYAML's constructors raise plain ValueError/TypeError/AttributeError on values such as
            ``2024-02-30``, ``!!int x`` or ``!!map [1]``; they become a YAML error at the node's line."""
            try:
                return super().construct_object(node, deep=deep)
            except (ValueError, TypeError, AttributeError, OverflowError):
                value = node.value if isinstance(node.value, str) else f"a {node.id}"
                raise _Construct(node.start_mark.line + 1, value) from None

        def construct_mapping(self, node, deep=False):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:
                    continue  # the base class raises its own error for unhashable keys
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise _Duplicate(str(key), line, seen[key])
                seen[key] = line
            out = _Lines(super().construct_mapping(node, deep=True))
            out.lines = {str(k): v for k, v in seen.items()}
            return out

        def construct_sequence(self, node, deep=False):
            out = _LineList(super().construct_sequence(node, deep=True))
            out.lines = [n.start_mark.line + 1 for n in node.value]
            return out

    Loader.add_constructor("tag:yaml.org,2002:map", Loader.construct_mapping)
    Loader.add_constructor("tag:yaml.org,2002:seq", Loader.construct_sequence)
    return Loader


class _Duplicate(Exception):
    def __init__(self, key: str, line: int, first: int):
        self.key, self.line, self.first = key, line, first


class _Construct(Exception):
    def __init__(self, line: int, value: str):
        self.line, self.value = line, value


class _TooDeep(Exception):
    def __init__(self, line: int | None):
        self.line = line


def _parse_json(text: str):
    def pairs(items):
        out = _Lines()
        for k, v in items:
            if k in out:
                raise _Duplicate(k, None, None)
            out[k] = v
        out.lines = {}
        return out

    def bad_constant(name):
        raise _NonFinite(name)

    return json.loads(text, object_pairs_hook=pairs, parse_constant=bad_constant)


class _NonFinite(Exception):
    def __init__(self, got):
        self.got = got


def _walk_nonfinite(obj, path=(), line=None, seen=None):
    """First non-finite float in parsed data: (path, line, value) or None. Containers shared through YAML
    aliases are visited once, so an alias bomb costs linear time."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return path, line, obj
    if isinstance(obj, dict | list | tuple):
        seen = set() if seen is None else seen
        if id(obj) in seen:
            return None
        seen.add(id(obj))
    if isinstance(obj, dict):
        lines = getattr(obj, "lines", {})
        for k, v in obj.items():
            hit = _walk_nonfinite(v, (*path, k), lines.get(str(k), line), seen)
            if hit:
                return hit
    elif isinstance(obj, list | tuple):
        lines = getattr(obj, "lines", [])
        for i, v in enumerate(obj):
            hit = _walk_nonfinite(v, (*path, i), lines[i] if i < len(lines) else line, seen)
            if hit:
                return hit
    return None


def line_of(data, loc) -> int | None:
    """The line of the deepest key of ``loc`` (a pydantic error location) that the parsed data remembers."""
    line, node = None, data
    for part in loc:
        lines = getattr(node, "lines", None)
        if isinstance(node, dict):
            if isinstance(lines, dict) and str(part) in lines:
                line = lines[str(part)]
            if part not in node:
                break
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            if lines and part < len(lines):
                line = lines[part]
            node = node[part]
        else:
            break
    return line


def field_of(loc) -> str | None:
    return ".".join(str(p) for p in loc) or None


def parse_data(text: str, name: str, *, fmt: str = "yaml", error: type[InputError] = InputError,
               expected: str = "a valid data file"):
    """Parse YAML (``fmt='yaml'``) or JSON text into plain dicts/lists, refusing duplicate keys, deep nesting
    and non-finite numbers. ``name`` is how errors name the source."""
    import yaml

    try:
        if fmt == "json":
            data = _parse_json(text)
        else:
            data = yaml.load(text, Loader=_yaml_loader())  # noqa: S506 - a SafeLoader subclass
    except _Duplicate as d:
        raise error(name, d.line, d.key, "each key once per mapping"
                    + (f" (first at line {d.first})" if d.first else ""), "a duplicate key") from None
    except _Construct as c:
        raise error(name, c.line, None, "a real date (YYYY-MM-DD) or a value of the type its YAML tag names",
                    c.value) from None
    except _TooDeep as d:
        raise error(name, d.line, None, f"nesting at most {MAX_DEPTH} levels deep", "deeper nesting") from None
    except _NonFinite as n:
        raise error(name, None, None, "finite numbers only", n.got) from None
    except RecursionError:
        raise error(name, None, None, f"nesting at most {MAX_DEPTH} levels deep", "deeper nesting") from None
    except json.JSONDecodeError as exc:
        raise error(name, exc.lineno, None, f"{expected} (valid JSON)", exc.msg) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise error(name, (mark.line + 1) if mark else None, None, f"{expected} (valid YAML)",
                    str(getattr(exc, "problem", None) or exc)[:120]) from None
    hit = _walk_nonfinite(data)
    if hit:
        path, line, value = hit
        raise error(name, line, field_of(path), "a finite number", str(value))
    return data


def read_data(path: str | Path, *, error: type[InputError] = InputError, expected: str = "a valid data file",
              max_bytes: int = MAX_BYTES, name: str | None = None):
    """Read and parse a YAML or JSON file (JSON when the suffix is ``.json``)."""
    from critmin.readtext import read_text

    path = Path(path)
    name = str(path) if name is None else name
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise error(name, None, None, f"{expected} (an existing, readable file)", exc.strerror) from None
    if size > max_bytes:
        raise error(name, None, None, f"{expected} of at most {max_bytes // (1024 * 1024)} MiB",
                    f"{size} bytes")
    text = read_text(path, expected, error=error, name=name)
    return parse_data(text, name, fmt="json" if path.suffix.lower() == ".json" else "yaml", error=error,
                      expected=expected)


def read_bundled_yaml(path: str | Path):
    """A YAML file shipped inside the package, parsed by libyaml when present (about 8x faster than the strict
    pure-Python reader; the catalog's five files cost 0.4 s at every command start otherwise), and kept parsed
    in the per-user cache (:mod:`critmin.yamlcache`, setting ``cache``). Only for critmin's own data:
    ``tests/test_catalog.py`` reads every bundled YAML file through :func:`read_data`, so duplicate keys or
    non-finite numbers in them still fail a test."""
    from critmin.settings import get
    from critmin.yamlcache import load

    return load(path, get("cache"))


def read_yaml(path: str | Path | None, error: type[InputError], expected: str, *, name: str | None = None,
               text: str | None = None):
    """:func:`read_data` of ``path`` (or :func:`parse_data` of ``text``, named ``name``) as YAML."""
    if text is None:
        return read_data(path, error=error, expected=expected, name=name)
    return parse_data(text, str(path) if name is None else name, error=error, expected=expected)


def validate(data, model: type[T], name: str, *, error: type[InputError] = InputError) -> T:
    """``model.model_validate(data)``; the first failure becomes ``error`` with the line (when the data came
    from :func:`parse_data`), the dotted field and pydantic's message."""
    from pydantic import ValidationError

    try:
        obj = model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = list(err["loc"])
        expected = _expected(err["msg"])
        if err["type"] == "missing":
            expected = "a value (the field is required)"
        elif err["type"] == "extra_forbidden":
            expected = "no such field (unknown key)"
        got = None if err["type"] == "missing" else err.get("input")
        if isinstance(got, dict):
            got = "a mapping"
        elif isinstance(got, list):
            got = "a list"
        raise error(name, line_of(data, loc), field_of(loc), expected, got) from None
    # a string such as "1e309" or "nan" that pydantic coerced to a float is caught here
    hit = _walk_nonfinite(obj.model_dump() if hasattr(obj, "model_dump") else obj)
    if hit:
        path, _, value = hit
        raise error(name, line_of(data, path), field_of(path), "a finite number", str(value))
    return obj


def keyed_by_id(model: type[T]):
    """A root model for a file that is a mapping ``id -> entry`` (rules, knowledge-base entries): each entry
    takes its ``id`` from its key, so the id is written once."""
    from pydantic import RootModel, model_validator

    class Keyed(RootModel[dict[str, model]]):  # type: ignore[valid-type]
        @model_validator(mode="before")
        @classmethod
        def _ids(cls, data):
            if not isinstance(data, dict):
                return data
            return {k: {**b, "id": k} if isinstance(b, dict) else b for k, b in data.items()}

    Keyed.__name__ = f"{model.__name__}File"
    return Keyed


def _expected(msg: str) -> str:
    """pydantic's message as the 'expected' part: 'Input should be a valid integer' -> 'a valid integer',
    'Input should be greater than 0' -> 'a value greater than 0'."""
    msg = msg.removeprefix("Value error, ")
    if msg.startswith("Input should be "):
        rest = msg.removeprefix("Input should be ")
        return rest if rest.startswith(("a ", "an ")) else f"a value {rest}"
    return msg


def load_data(path: str | Path, model: type[T], *, error: type[InputError] = InputError,
              expected: str = "a valid data file", max_bytes: int = MAX_BYTES) -> T:
    """Read, parse and validate a YAML/JSON file into ``model`` (see the module docstring for what is refused)."""
    data = read_data(path, error=error, expected=expected, max_bytes=max_bytes)
    return validate(data, model, str(path), error=error)
