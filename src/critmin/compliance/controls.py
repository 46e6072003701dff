"""China's export controls as compliance sees them, read from the knowledge base (the one place their dates,
scope and state live: :mod:`critmin.kb.state`, :mod:`critmin.kb.controls`). Nothing here derives a state.
"""

from __future__ import annotations

from datetime import date


def controlled_elements(day: date, *, destination: str | None = None) -> dict[str, list[str]]:
    """Chemical symbols whose goods need a Chinese export licence on ``day`` -> the measures that say so.

    Only scope items in force on the day count (binding exporters in China); a measure whose state is
    ``unknown`` is not silently treated as in force: see :func:`uncertain_elements`."""
    from critmin.kb import controls_on

    out: dict[str, list[str]] = {}
    for h in controls_on(day, jurisdiction="CHN", exporter="CHN", destination=destination, states=("in_force",)):
        if h.kind != "goods":
            continue
        for el in h.elements:
            out.setdefault(el, [])
            if h.measure_id not in out[el]:
                out[el].append(h.measure_id)
    return out


def uncertain_elements(day: date, *, destination: str | None = None) -> dict[str, list[str]]:
    """Chemical symbols named by goods items whose state on ``day`` is ``unknown`` (e.g. after a recorded
    suspension ends and no source says what followed) -> the measures concerned."""
    from critmin.kb import controls_on

    out: dict[str, list[str]] = {}
    for h in controls_on(day, jurisdiction="CHN", exporter="CHN", destination=destination, states=("unknown",)):
        if h.kind == "goods":
            for el in h.elements:
                out.setdefault(el, [])
                if h.measure_id not in out[el]:
                    out[el].append(h.measure_id)
    return out


def controls_rows(day: date) -> list[dict]:
    """One dict per Chinese export-control measure with its state on ``day`` (from :func:`critmin.kb.state_on`)."""
    from critmin.kb import load_kb, state_on

    rows = []
    for m in sorted(load_kb().measures.values(), key=lambda m: (m.announced, m.id)):
        if m.jurisdiction != "CHN":
            continue
        rows.append({
            "id": m.id, "number": m.instrument, "published": m.announced.isoformat(),
            "effective": m.effective.isoformat() if m.effective else "",
            "elements": ",".join(m.elements), "status": state_on(m, day), "as_of": day.isoformat(),
            "title_en": m.title_en, "title_zh": m.title_zh,
            "url": next((s.url for s in m.sources if s.url), "") or "",
        })
    return rows


def controls_table(day: date):
    """:func:`controls_rows` as a DataFrame (what `critmin comply controls` prints)."""
    import pandas as pd

    return pd.DataFrame(controls_rows(day), columns=["id", "number", "published", "effective", "elements", "status", "as_of",
                                       "title_en", "title_zh", "url"])
