"""Read a dossier (JSON, or YAML by file suffix) into :class:`~critmin.compliance.model.Dossier`.

The JSON path goes straight to pydantic-core's parser and validator (no second parse), which is what keeps
fuzzing at 10⁴ cases fast. Any failure is an :class:`~critmin.errors.InputError` naming the file, the
record (the dotted path of the offending value, e.g. ``items[2].hs_code``), the field and what was expected.
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


def _template_envelope(text: str | bytes):
    """The 'dossier' part of a filled-in template ({"_template": ..., "dossier": {...}}), else None."""
    marker = b'"_template"' if isinstance(text, bytes) else '"_template"'
    if marker not in text:
        return None
    import json

    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if isinstance(obj, dict) and "_template" in obj and isinstance(obj.get("dossier"), dict):
        return obj["dossier"]
    return None


def loads_dossier(text: str | bytes, source: str = "<dossier>"):
    """Parse and validate dossier JSON text; raise InputError on anything else."""
    from pydantic import ValidationError

    from critmin.compliance.model import Dossier

    try:
        return Dossier.model_validate_json(text)
    except ValidationError as exc:
        envelope = _template_envelope(text)
        if envelope is not None:
            return dossier_from_obj(envelope, source)
        _raise_from(exc, source)
    except (ValueError, RecursionError) as exc:  # e.g. undecodable bytes
        raise InputError(file=source, record="document", field=None, expected="UTF-8 JSON object", got=str(exc)[:80]) from None


def dossier_from_obj(obj, source: str = "<dossier>"):
    """Validate an already parsed object (dict) as a dossier."""
    from pydantic import ValidationError

    from critmin.compliance.model import Dossier

    try:
        return Dossier.model_validate(obj)
    except ValidationError as exc:
        _raise_from(exc, source)


def load_dossier(path: str | Path):
    """Read a dossier file (``.json``; ``.yaml``/``.yml`` also accepted)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(file=str(path), expected="a readable dossier file", got=exc.strerror) from None
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            obj = yaml.safe_load(raw.decode("utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            line = getattr(getattr(exc, "problem_mark", None), "line", None)
            raise InputError(
                file=str(path), record=(line + 1) if line is not None else "document", expected="valid UTF-8 YAML",
                got=type(exc).__name__,
            ) from None
        return dossier_from_obj(obj, str(path))
    return loads_dossier(raw, str(path))
