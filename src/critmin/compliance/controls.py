"""China's export controls as compliance sees them, read from the knowledge base (the one place their dates,
scope and state live: :mod:`critmin.kb.state`, :mod:`critmin.kb.controls`). Nothing here derives a state,
so `critmin comply controls`, ``kb show`` and the alerts cannot disagree.
"""

from __future__ import annotations

from datetime import date

COLUMNS = ["id", "number", "published", "effective", "elements", "kinds", "status", "as_of", "title_en",
           "title_zh", "url", "verification", "reviewed"]


def _goods_elements(day: date, states: tuple[str, ...], destination: str | None) -> dict[str, list[str]]:
    from critmin.kb import controls_on

    out: dict[str, list[str]] = {}
    for h in controls_on(day, jurisdiction="CHN", exporter="CHN", destination=destination, states=states):
        if h.kind != "goods":
            continue
        for el in h.elements:
            out.setdefault(el, [])
            if h.measure_id not in out[el]:
                out[el].append(h.measure_id)
    return out


def controlled_elements(day: date, *, destination: str | None = None) -> dict[str, list[str]]:
    """Chemical symbols whose goods need a Chinese export licence on ``day`` -> the measures that say so.

    Only scope items in force on the day count (binding exporters in China); a measure whose state is
    ``unknown`` is not silently treated as in force: see :func:`uncertain_elements`."""
    return _goods_elements(day, ("in_force",), destination)


def uncertain_elements(day: date, *, destination: str | None = None) -> dict[str, list[str]]:
    """Chemical symbols named by goods items whose state on ``day`` is ``unknown`` (e.g. after a recorded
    suspension ends and no source says what followed) -> the measures concerned."""
    return _goods_elements(day, ("unknown",), destination)


def cn_measures(kb=None) -> list:
    """The knowledge base's export-control measures under Chinese law, by announcement date."""
    from critmin.kb import load_kb

    kb = kb if kb is not None else load_kb()
    return sorted((m for m in kb.measures.values() if m.jurisdiction == "CHN"), key=lambda m: (m.announced, m.id))


def controls_table(day: date, kb=None):
    """One row per Chinese export-control measure with its state on ``day`` (DataFrame)."""
    import pandas as pd

    from critmin.kb.state import state_on

    order = {"primary": 0, "secondary": 1, "unverified": 2}
    rows = []
    for m in cn_measures(kb):
        best = min(m.sources, key=lambda s: order[s.verification])
        rows.append({
            "id": m.id, "number": m.instrument, "published": m.announced.isoformat(),
            "effective": m.effective.isoformat() if m.effective else "",
            "elements": ",".join(sorted({e for it in m.scope for e in it.elements})),
            "kinds": ",".join(sorted({it.kind for it in m.scope})),
            "status": state_on(m, day), "as_of": day.isoformat(),
            "title_en": m.title_en, "title_zh": m.title_zh,
            "url": next((s.url for s in m.sources if s.url), "") or "",
            "verification": best.verification,
            "reviewed": m.reviewed.isoformat() if m.reviewed else "",
        })
    return pd.DataFrame(rows, columns=COLUMNS)
