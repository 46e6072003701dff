"""Markdown tables for docs/compliance.md, generated from the packs and the crosswalk (the docs test
compares the text between the ``<!-- name:begin -->`` / ``<!-- name:end -->`` markers with these)."""

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


def cli_markdown() -> str:
    """One row per command of `critmin comply` and `critmin ledger`: arguments, options, summary."""
    import typer

    from critmin.cli.commands.comply import comply_app
    from critmin.cli.commands.ledger import ledger_app

    out = ["| command | arguments | options | what it does |", "|---|---|---|---|"]
    for group, app in (("comply", comply_app), ("ledger", ledger_app)):
        cmd = typer.main.get_command(app)
        for name in sorted(cmd.commands):
            sub = cmd.commands[name]
            args = " ".join(p.name.upper() for p in sub.params if p.param_type_name == "argument")
            opts = ", ".join(f"`{p.opts[0]}`" for p in sub.params if p.param_type_name == "option" and p.opts[0] != "--help")
            summary = (sub.help or "").strip().splitlines()[0]
            out.append(f"| `critmin {group} {name}` | {args} | {opts} | {summary} |")
    return "\n".join(out)


GENERATED = {"rules": rules_markdown, "crosswalk": crosswalk_markdown, "cli": cli_markdown}


def refresh(text: str) -> str:
    """``text`` with every generated block replaced by its current content."""
    for name, fn in GENERATED.items():
        begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
        i, j = text.index(begin) + len(begin), text.index(end)
        text = text[:i] + "\n" + fn() + "\n" + text[j:]
    return text
