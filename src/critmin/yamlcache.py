"""Parsed copies of critmin's own YAML files (catalog, knowledge base, messages) in the per-user cache.

libyaml parses fast but still builds every node in Python: the 25 bundled files cost 0.15–0.45 s per command
start; a pickled copy loads in a few milliseconds. A copy is keyed by the file's path, size and modification
time (and the Python version), so an edited or upgraded file is parsed again; a cache that cannot be read or
written is skipped. Callers pass the folder (the ``cache`` setting), so this module imports nothing of critmin
and sits below the message catalogue.
"""

from __future__ import annotations

from pathlib import Path


def load(path: str | Path, folder: str | Path | None):
    """The data of the bundled YAML file ``path``, from its cached copy in ``folder`` when there is one (None or
    'off': no cache)."""
    import pickle

    p = Path(path)
    cached = _cache_path(p, folder)
    if cached is not None:
        try:
            with open(cached, "rb") as fh:
                return pickle.load(fh)  # noqa: S301 - our own copy of our own package data, in the user's folder
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError):
            pass
    import yaml

    with open(p, encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loader
    if cached is not None:
        _write(cached, data)
    return data


def _cache_path(path: Path, folder) -> Path | None:
    import hashlib
    import os
    import sys

    if folder is None or str(folder).strip().lower() in ("off", "0", "no", ""):
        return None
    try:
        st = path.stat()
    except OSError:
        return None
    key = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{sys.version_info[:2]}|{os.name}"
    return Path(folder).expanduser() / "yaml" / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".pickle")


def _write(target: Path, data) -> None:
    """Through a temporary file renamed into place, so a reader never sees half a copy."""
    import os
    import pickle
    import tempfile

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)
    except OSError:
        return
