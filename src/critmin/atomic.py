"""Atomic output files: write to a temporary file beside the target, then ``os.replace`` it, so a reader never
sees a half-written report, chart or table (house rule: nothing half-written).

A target that cannot be written (missing parent that cannot be created, no permission) raises
:class:`critmin.errors.InputError` naming the path, which the CLI prints as one line.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from critmin.errors import InputError


def _unwritable(path: Path, exc: OSError) -> InputError:
    return InputError(str(path), None, None, "a writable output location", exc.strerror or str(exc))


def write_with(path: str | Path, writer: Callable[[str], Any]) -> Path:
    """Create ``path`` atomically: ``writer(tmp)`` fills a temporary file in the same folder, which then
    replaces ``path``. The file gets the usual permissions (0666 minus the umask), not mkstemp's 0600."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise _unwritable(path, exc) from None
    os.close(fd)
    try:
        writer(tmp)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except OSError as exc:
        raise _unwritable(path, exc) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` atomically."""

    def writer(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)

    return write_with(path, writer)


def write_figure_html(path: str | Path, fig, offline: bool = True) -> Path:
    """Write a Plotly figure as a full HTML page, atomically; plotly.js embedded when ``offline``."""
    return write_with(path, lambda tmp: fig.write_html(tmp, include_plotlyjs=True if offline else "cdn",
                                                       full_html=True))
