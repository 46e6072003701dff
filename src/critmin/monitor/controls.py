"""Export controls that bear on a situation, judged by their state on the as-of date (not by a look-back window).

The knowledge base answers (``critmin.kb.controls.controls_on``: goods items matched by HS6 code or element; an
equipment or technology item never matches a goods flow). A knowledge base without that API (before its
rewrite) is read through ``kb.query.active_controls`` at material level, and each hit says so
(``scope = "material"``), so no one mistakes a material-wide match for a code-level one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

#: States that make a control a signal. "announced" is a warning of what comes; "suspended" may re-activate;
#: "unknown" is shown because nobody can say it is off.
SIGNAL_STATES = ("in_force", "announced", "suspended", "unknown")


@dataclass(frozen=True)
class Hit:
    measure_id: str
    actor: str
    state: str
    scope: str  # "hs6" (a goods item listing the code), "element" (matched by element) or "material" (legacy KB)
    hs6: tuple[str, ...] = field(default_factory=tuple)  # the codes covered; empty = all codes of the situation
    verification: str = ""


class ControlIndex:
    """Memoised control look-ups for one as-of date."""

    def __init__(self, day: dt.date):
        self.day = day
        self._memo: dict[tuple[str, tuple[str, ...]], list[Hit]] = {}
        try:
            from critmin.kb import controls as kbc

            self._controls_on = kbc.controls_on
        except (ImportError, AttributeError):
            self._controls_on = None

    @property
    def api(self) -> str:
        return "kb.controls.controls_on" if self._controls_on is not None else "kb.query.active_controls (legacy)"

    def hits(self, material: str, hs6: tuple[str, ...]) -> list[Hit]:
        key = (material, hs6)
        if key not in self._memo:
            self._memo[key] = self._new(material, hs6) if self._controls_on else self._legacy(material)
        return self._memo[key]

    def _new(self, material: str, hs6: tuple[str, ...]) -> list[Hit]:
        by_id: dict[str, dict] = {}
        for code in hs6:
            for h in self._controls_on(self.day, element=material, hs6=code):
                if getattr(h, "kind", "goods") != "goods" or h.state not in SIGNAL_STATES:
                    continue
                got = by_id.setdefault(h.measure_id, {"h": h, "codes": set(), "by_code": False})
                codes = set(getattr(h, "hs6", None) or [])
                if code in codes:
                    got["codes"].add(code)
                    got["by_code"] = True
                elif not codes:
                    got["codes"].add(code)
        out = []
        for mid, g in by_id.items():
            h = g["h"]
            out.append(Hit(measure_id=mid, actor=_actor(mid, h), state=h.state,
                           scope="hs6" if g["by_code"] else "element", hs6=tuple(sorted(g["codes"])),
                           verification=str(getattr(h, "verification", "") or "")))
        return sorted(out, key=lambda x: x.measure_id)

    def _legacy(self, material: str) -> list[Hit]:
        from critmin.kb.query import active_controls

        return [Hit(measure_id=e.id, actor=e.actor, state="in_force", scope="material",
                    verification=str(getattr(e, "basis", "") or ""))
                for e in active_controls(material, self.day)]


def _actor(measure_id: str, hit) -> str:
    """The issuing economy of a hit (ISO3): the hit's own field when it has one, else the measure's issuer."""
    for name in ("actor", "issuer_iso3", "country"):
        v = getattr(hit, name, None)
        if isinstance(v, str) and len(v) == 3 and v.isupper():
            return v
    try:
        from critmin.kb import load_kb

        m = load_kb().entries.get(measure_id)
        actor = getattr(m, "actor", None) or getattr(m, "country", None)
        if isinstance(actor, str) and actor:
            return actor
    except Exception:  # noqa: BLE001 - a KB without this entry shape: the issuer is unknown, not guessed
        pass
    return ""  # unknown issuer: the situation shows the measure without a supplier share
