"""`critmin comply controls`: China's export-control measures and their legal state on a day, as the
knowledge base has them. Nothing about a measure is stored here (dates, suspensions, scope and the
"unknown after" state are the KB's, :mod:`critmin.kb.state`), so this table, ``kb show`` and the alerts
cannot disagree.
"""

from __future__ import annotations

from datetime import date

COLUMNS = ["id", "instrument", "announced", "effective", "elements", "kinds", "status", "as_of",
           "title_en", "title_zh", "source", "verification", "reviewed"]


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
            "id": m.id,
            "instrument": m.instrument,
            "announced": m.announced.isoformat(),
            "effective": m.effective.isoformat() if m.effective else "",
            "elements": ",".join(sorted({e for it in m.scope for e in it.elements})),
            "kinds": ",".join(sorted({it.kind for it in m.scope})),
            "status": state_on(m, day),
            "as_of": day.isoformat(),
            "title_en": m.title_en,
            "title_zh": m.title_zh,
            "source": best.url or best.title,
            "verification": best.verification,
            "reviewed": m.reviewed.isoformat() if m.reviewed else "",
        })
    return pd.DataFrame(rows, columns=COLUMNS)
