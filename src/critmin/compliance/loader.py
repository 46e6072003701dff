"""Read a dossier (JSON, or YAML by file suffix) into :class:`~critmin.compliance.model.Dossier`.

Text goes through the shared reader :mod:`critmin.datafile` (duplicate keys, deep nesting and non-finite numbers
refused; YAML errors carry the line). Any failure is an :class:`~critmin.errors.InputError` naming the file,
the line where known, the field (the dotted path of the offending value, e.g. ``items.2.hs_code``) and what
was expected.
"""

from __future__ import annotations

from pathlib import Path

from critmin.errors import InputError


def loc_to_path(loc) -> str:
    """('items', 2, 'hs_code') -> 'items[2].hs_code'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _raise_from(exc, source: str) -> None:
    errors = exc.errors(include_url=False)
    first = errors[0]
    path = loc_to_path(first.get("loc", ()))
    field = next((p for p in reversed(first.get("loc", ())) if isinstance(p, str)), None)
    got = first.get("input")
    if first.get("type") in ("json_invalid", "json_type"):
        got = None
    elif isinstance(got, dict | list):
        got = type(got).__name__
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    raise InputError(
        file=source,
        record=path or "document",
        field=field,
        expected=f"{first.get('msg', 'a valid value')}{more}",
        got=got,
        extra={"errors": len(errors)},
    ) from None


def _template_envelope(obj):
    """The 'dossier' part of a filled-in template ({"_template": ..., "dossier": {...}}), else ``obj``."""
    if isinstance(obj, dict) and "_template" in obj and isinstance(obj.get("dossier"), dict):
        return obj["dossier"]
    return obj


def loads_dossier(text: str | bytes, source: str = "<dossier>", fmt: str = "json"):
    """Parse and validate dossier text (JSON, or YAML with ``fmt='yaml'``); raise InputError on anything else."""
    from critmin.compliance.model import Dossier
    from critmin.datafile import parse_data, validate

    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = text.count(b"\n", 0, exc.start) + 1
            raise InputError(source, line, None, "a dossier encoded as UTF-8", f"byte 0x{text[exc.start]:02x}") from None
    data = parse_data(text, source, fmt=fmt, expected="a dossier")
    return validate(_template_envelope(data), Dossier, source)


def dossier_from_obj(obj, source: str = "<dossier>"):
    """Validate an already parsed object (dict) as a dossier; the record is the dotted path (``items[2].x``)."""
    from pydantic import ValidationError

    from critmin.compliance.model import Dossier

    try:
        return Dossier.model_validate(obj)
    except ValidationError as exc:
        _raise_from(exc, source)


def load_dossier(path: str | Path):
    """Read a dossier file (``.json``; ``.yaml``/``.yml`` also accepted) through :mod:`critmin.datafile`:
    duplicate keys, nesting deeper than it allows and non-finite numbers are refused with file and line."""
    from critmin.datafile import MAX_BYTES
    from critmin.readtext import read_text

    path = Path(path)
    expected = "a readable dossier file"
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(str(path), None, None, expected, exc.strerror) from None
    if size > MAX_BYTES:
        raise InputError(str(path), None, None, f"a dossier of at most {MAX_BYTES >> 20} MiB", f"{size} bytes")
    fmt = "yaml" if path.suffix.lower() in (".yaml", ".yml") else "json"
    return loads_dossier(read_text(path, expected), str(path), fmt=fmt)
