"""docs/python.md is a worked session: its python blocks run in order, in one namespace, on the demo warehouse."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).parents[2] / "docs" / "python.md"


def blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", DOC.read_text(encoding="utf-8"), flags=re.S | re.M)


def test_the_page_has_examples():
    assert len(blocks()) >= 8


@pytest.mark.slow
def test_every_example_in_docs_python_md_runs(demo_default, capsys):
    ns: dict = {}
    for i, code in enumerate(blocks(), 1):
        try:
            exec(compile(code, f"docs/python.md block {i}", "exec"), ns)  # noqa: S102 - our own documentation
        except Exception as exc:  # name the block that broke
            raise AssertionError(f"docs/python.md block {i} failed: {exc!r}\n{code}") from exc
    out = capsys.readouterr().out
    assert "did you mean rare_earths" in out
    assert "critmin.Result dependency" in out
