"""Markdown tables for docs/compliance.md, generated from the packs and the crosswalk (the docs test
compares the text between the ``<!-- name:begin -->`` / ``<!-- name:end -->`` markers with these).
The table of commands is the CLI's own: :func:`critmin.cli.docs.refresh_compliance` adds it."""

from __future__ import annotations

from critmin.compliance.rules import REGIMES, load_pack


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _condition(a) -> str:
    """One applicability alternative in words: dates, goods, destination, operator."""
    parts = []
    if a.from_:
        parts.append(f"from {a.from_.isoformat()}")
    if a.until:
        parts.append(f"until {a.until.isoformat()} (exclusive)")
    if a.pending_act:
        parts.append(f"**not binding** until {a.pending_act}")
    if a.unknown_from:
        parts.append(f"**not assessed** from {a.unknown_from.isoformat()}: {a.unknown_note or 'state not verified'}")
    for name, vals in (("origin", a.origins), ("destination", a.destinations), ("elements", a.elements),
                       ("forms", a.forms), ("products", a.products)):
        if vals is not None:
            parts.append(f"{name} in {', '.join(vals)}")
    if a.operator is not None:
        op = a.operator
        bits = []
        if op.roles:
            bits.append("role " + "/".join(op.roles))
        if op.established_in:
            bits.append("established in " + "/".join(op.established_in))
        if op.not_established_in:
            bits.append("not established in " + "/".join(op.not_established_in))
        for label, v in (("employees", op.min_employees), ("turnover EUR", op.min_turnover_eur),
                         ("EU turnover EUR", op.min_eu_turnover_eur)):
            if v is not None:
                bits.append(f"{label} > {v:,.0f}")
        if op.large_company is not None:
            bits.append("large undertaking" if op.large_company else "not a large undertaking")
        if op.strategic_technologies:
            bits.append("manufactures a CRMA Art. 24(1) strategic technology")
        parts.append("operator: " + ", ".join(bits))
    if a.cn_controls:
        parts.append("an item line matched by a Chinese goods control **in force** on the shipment date "
                     "(knowledge base); unknown state: not assessed")
    return "; ".join(parts) or "always"


def _applies(alternatives) -> str:
    if not alternatives:
        return "as the pack"
    return "<br>".join(f"{_cell(a.label)}: {_cell(_condition(a))}" for a in alternatives)


def applicability_markdown() -> str:
    """Per pack: the alternatives under which it binds (any one suffices), with their citations."""
    out = ["| regime | applies when (any one) | citation |", "|---|---|---|"]
    for regime in REGIMES:
        p = load_pack(regime)
        for a in p.applies or []:
            out.append(f"| {regime} | {_cell(a.label)}: {_cell(_condition(a))} | {_cell(a.citation)} |")
        if not p.applies:
            out.append(f"| {regime} | always | |")
    return "\n".join(out)


def rules_markdown() -> str:
    out = []
    for regime in REGIMES:
        p = load_pack(regime)
        out += [f"### {regime} — {p.title.en} / {p.title.zh}", "",
                "| rule | type | severity | requirement | applies | citation |", "|---|---|---|---|---|---|"]
        for r in p.rules:
            sev = r.severity + ("" if r.law_specific else " (law not specific)")
            out.append(f"| {r.id} | {r.type} | {sev} | {_cell(r.text.en)} | {_applies(r.applies)} | {_cell(r.citation.source)} |")
        out.append("")
    return "\n".join(out)


def measures_markdown() -> str:
    """Every Chinese export-control measure of the knowledge base with its state history (from kb.state)."""
    from critmin.compliance.controls import cn_measures
    from critmin.kb.state import periods

    out = ["| measure | instrument | goods items (elements) | state history |", "|---|---|---|---|"]
    for m in cn_measures():
        goods = sorted({e for it in m.scope if it.kind == "goods" for e in it.elements})
        kinds = sorted({it.kind for it in m.scope})
        hist = "; ".join(f"{st} {a.isoformat()}" + (f"–{b.isoformat()}" if b else " →") for a, b, st in periods(m))
        items = (", ".join(goods) if goods else "—") + f" ({'/'.join(kinds)})" if kinds else "—"
        out.append(f"| {m.id} | {_cell(m.instrument)} | {items} | {hist} |")
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


GENERATED = {"applicability": applicability_markdown, "measures": measures_markdown, "rules": rules_markdown,
             "crosswalk": crosswalk_markdown}


def refresh(text: str, extra: dict | None = None) -> str:
    """``text`` with every generated block (``GENERATED`` and ``extra``: name -> function) replaced by its
    current content. The command table (block ``cli``) comes from the face: :func:`critmin.cli.docs.refresh_compliance`."""
    for name, fn in {**GENERATED, **(extra or {})}.items():
        begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
        i, j = text.index(begin) + len(begin), text.index(end)
        text = text[:i] + "\n" + fn() + "\n" + text[j:]
    return text
