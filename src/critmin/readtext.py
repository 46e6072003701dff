"""Reading a user's text file (scenario, rules, feed, knowledge-base YAML): a file that cannot be read or is not
UTF-8 raises the caller's :class:`critmin.errors.InputError` subclass naming the file (and the line of the first
bad byte), which the CLI prints as one line."""

from __future__ import annotations

from pathlib import Path

from critmin.errors import InputError


def read_text(path: str | Path, expected: str, error: type[InputError] = InputError, name: str | None = None,
              encoding: str = "utf-8") -> str:
    """The text of ``path``; ``expected`` says what the file should be (e.g. 'a readable scenario file'),
    ``name`` how the error names the file (default: the path as given)."""
    name = str(path) if name is None else name
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise error(name, None, None, expected, exc.strerror or str(exc)) from None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(name, line, None, f"{expected} encoded as UTF-8", f"byte 0x{data[exc.start]:02x}") from None
