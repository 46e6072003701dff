"""Docs are tested: the CLI reference is generated from the code and every command is documented."""

from __future__ import annotations

from pathlib import Path

from critmin.cli.docs import command_paths, render

DOC = Path(__file__).parents[1] / "docs" / "cli.md"


def test_cli_reference_is_up_to_date():
    assert DOC.read_text(encoding="utf-8") == render(), "run: python -m critmin.cli.docs > docs/cli.md"


def test_every_command_is_documented():
    text = DOC.read_text(encoding="utf-8")
    missing = [p for p in command_paths()[1:] if f"`{p}`" not in text]
    assert not missing, f"undocumented commands: {missing}"
