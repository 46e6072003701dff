"""Markdown tables for docs/compliance.md, generated from the packs and the crosswalk (the docs test
compares the text between the ``<!-- name:begin -->`` / ``<!-- name:end -->`` markers with these).
The table of commands is the CLI's own: :func:`critmin.cli.docs.refresh_compliance` adds it."""

from __future__ import annotations

from critmin.compliance.rules import REGIMES, load_pack


def rules_markdown() -> str:
    out = []
    for regime in REGIMES:
        p = load_pack(regime)
        out += [f"### {regime} — {p.title.en} / {p.title.zh}", "",
                "| rule | type | severity | requirement | citation |", "|---|---|---|---|---|"]
        for r in p.rules:
            sev = r.severity + ("" if r.law_specific else " (law not specific)")
            out.append(f"| {r.id} | {r.type} | {sev} | {r.text.en} | {r.citation.source} |")
        out.append("")
    return "\n".join(out)


def crosswalk_markdown() -> str:
    from critmin.compliance.crosswalk import crosswalk, matrix

    out = ["### Matrix", "", "| regime | against | rules | met | partial | unique |", "|---|---|---|---|---|---|"]
    for r in matrix().itertuples(index=False):
        out.append(f"| {r.regime} | {r.against} | {r.rules} | {r.met} | {r.partial} | {r.unique} |")
    out.append("")
    for a, b in (("cn-export", "eu-csddd"), ("eu-csddd", "cn-export")):
        out += [f"### {a} against {b}", "", "| rule | relation | covered by | reason |", "|---|---|---|---|"]
        for r in crosswalk(a, b).itertuples(index=False):
            out.append(f"| {r.rule_id} | {r.relation} | {r.covered_by} | {r.reason} |")
        out.append("")
    return "\n".join(out)


GENERATED = {"rules": rules_markdown, "crosswalk": crosswalk_markdown}


def refresh(text: str, extra: dict | None = None) -> str:
    """``text`` with every generated block (``GENERATED`` and ``extra``: name -> function) replaced by its
    current content. The command table (block ``cli``) comes from the face: :func:`critmin.cli.docs.refresh_compliance`."""
    for name, fn in {**GENERATED, **(extra or {})}.items():
        begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
        i, j = text.index(begin) + len(begin), text.index(end)
        text = text[:i] + "\n" + fn() + "\n" + text[j:]
    return text
