"""docs/kb.md is generated from the data: a stale file fails (regenerate with python -m critmin.kb.docs)."""

from __future__ import annotations

from pathlib import Path

from critmin.kb.docs import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "kb.md"


def test_docs_kb_is_current():
    assert DOC.read_text(encoding="utf-8") == render(), "regenerate: python -m critmin.kb.docs > docs/kb.md"


def test_docs_list_every_measure_with_its_history():
    from critmin.kb.loader import data_files, load_from

    text = DOC.read_text(encoding="utf-8")
    kb = load_from(data_files())
    for m in kb.measures.values():
        assert f"`{m.id}`" in text and m.instrument in text
    assert "| 2025-11-07 | 2026-11-10 | suspended |" in text and "| 2026-11-11 | open | unknown |" in text
