"""Knowledge-base edits made through the server: a workspace file of extra entries beside the bundled ones.

The bundled knowledge base (``critmin/kb/data``) is reviewed package data and is not rewritten by a server;
an admin adds, replaces or removes entries of ``<state>/kb/workspace.yaml``, which is validated together with
the bundled files (same models, unique ids, known references) before it replaces the old file. The server's
knowledge base is the union of both, and every entry says which file it came from (``source_file``).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from critmin.serve.errors import ApiError

FILE = "workspace.yaml"


class WorkspaceKB:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / FILE
        self._lock = threading.Lock()
        self._cache: tuple[Any, Any] | None = None

    def _raw(self) -> dict[str, Any]:
        from critmin.datafile import read_data
        from critmin.kb.loader import KBError

        if not self.path.exists():
            return {}
        return read_data(self.path, error=KBError, expected="a knowledge-base YAML file") or {}

    def knowledge_base(self):
        """Bundled entries plus the workspace file's (re-read when the file changes)."""
        from critmin.kb.loader import data_files, load_from

        try:
            key = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            key = None
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, load_from(data_files(), self._user([self.path] if key is not None else [])))
        return self._cache[1]

    @staticmethod
    def _user(extra: list[Path]) -> list[Path]:
        """The user's KB files (CRITMIN_KB) and the workspace file, loaded as user records (``replaces:``)."""
        from critmin.kb.loader import user_files

        return user_files() + extra

    def workspace_ids(self) -> set[str]:
        return set(self._raw())

    def put(self, entry_id: str, body: dict[str, Any], replace: bool = False) -> None:
        """Add (or with ``replace`` overwrite) the workspace entry ``entry_id``; refused for bundled ids."""

        from critmin.kb.loader import data_files, load_from

        if not isinstance(body, dict):
            raise ApiError(422, "invalid_input", "the request body must be one knowledge-base entry (an object)")
        if body.get("id", entry_id) != entry_id:
            raise ApiError(422, "invalid_input", f"body id {body.get('id')!r} differs from the path's '{entry_id}'")
        with self._lock:
            raw = self._raw()
            bundled = load_from(data_files()).entries
            if entry_id in bundled:
                raise ApiError(409, "conflict", f"'{entry_id}' is a bundled entry (reviewed package data); "
                               f"add a workspace entry under a new id with 'replaces: {entry_id}' instead")
            if entry_id in raw and not replace:
                raise ApiError(409, "conflict", f"workspace entry '{entry_id}' exists; send ?replace=true to "
                               "overwrite it")
            raw[entry_id] = {**body, "id": entry_id}
            self._write(raw)

    def delete(self, entry_id: str) -> None:
        with self._lock:
            raw = self._raw()
            if entry_id not in raw:
                raise ApiError(404, "not_found", f"no workspace entry '{entry_id}' (bundled entries cannot be "
                               "deleted through the server)")
            del raw[entry_id]
            self._write(raw)

    def _write(self, raw: dict[str, Any]) -> None:
        """Validate the whole knowledge base with the new file, then rename it into place."""
        import os
        import tempfile

        import yaml

        from critmin.kb.loader import data_files, load_from

        self.folder.mkdir(parents=True, exist_ok=True)
        text = "# Knowledge-base entries added through `critmin serve` (admin edits); validated with the bundled KB.\n"
        import json

        plain = json.loads(json.dumps(raw, default=str))  # the reader's line-tracking mappings -> plain dicts
        text += yaml.safe_dump(plain, allow_unicode=True, sort_keys=True, default_flow_style=False)
        with tempfile.TemporaryDirectory(dir=self.folder, prefix=".check-") as tmp:
            check = Path(tmp) / FILE  # errors name the file as users know it
            check.write_text(text, encoding="utf-8")
            load_from(data_files(), self._user([check]))
            os.replace(check, self.path)
        self._cache = None
