"""Export controls that bear on a situation, judged by their state on the as-of date (not by a look-back window).

The knowledge base answers (:func:`critmin.kb.controls_on`): goods scope items matched by material and HS6 code;
equipment and technology items never match a goods flow. This module only groups the hits per measure and names
the issuing economy, so the situation can weigh the issuer's share of the covered codes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

#: States that make a control a signal: "in_force" binds; "announced" warns of what comes; "suspended" may
#: re-activate; "unknown" is shown because nobody can say it is off.
SIGNAL_STATES = ("in_force", "announced", "suspended", "unknown")
_WORST = {"in_force": 3, "announced": 2, "unknown": 1, "suspended": 0}


@dataclass(frozen=True)
class Hit:
    measure_id: str
    actor: str  # the issuing jurisdiction (ISO3)
    state: str  # the most binding state among the measure's matching items
    hs6: tuple[str, ...]  # codes of the situation that the matching goods items cover
    abroad: bool  # the items bind exporters outside the issuer (extraterritorial), not the issuer's own exports
    verification: str
    by_code: bool  # a matching item lists the traded HS6 code (else it matched by element only: coverage unproven)
    destinations: tuple[str, ...] = ("*",)  # where the matching items bind ('*': every destination)

    def binds_exports_to(self, members: set[str]) -> bool:
        """Whether the control reaches exports to an economy with these members (a US-only ban does not bind
        exports to the EU)."""
        return "*" in self.destinations or bool(members & set(self.destinations))


class ControlIndex:
    """Memoised control look-ups for one as-of date."""

    def __init__(self, day: dt.date):
        from critmin.kb import load_kb

        self.day = day
        self.kb = load_kb()
        self._memo: dict[tuple[str, tuple[str, ...]], list[Hit]] = {}

    def hits(self, material: str, hs6: tuple[str, ...]) -> list[Hit]:
        key = (material, hs6)
        if key not in self._memo:
            self._memo[key] = self._find(material, hs6)
        return self._memo[key]

    def _find(self, material: str, hs6: tuple[str, ...]) -> list[Hit]:
        from critmin.errors import UsageError
        from critmin.kb import controls_on

        got: dict[str, dict] = {}
        for code in hs6:
            try:
                found = controls_on(self.day, material=material, hs6=code, states=SIGNAL_STATES, kb=self.kb)
            except UsageError:  # a material the catalog does not know: nothing can match
                return []
            for h in found:
                if h.kind != "goods":
                    continue
                g = got.setdefault(h.measure_id, {"state": h.state, "codes": set(), "abroad": True,
                                                  "verification": h.verification, "by_code": False,
                                                  "dest": set()})
                g["dest"].update(h.destinations or ("*",))
                g["by_code"] = g["by_code"] or code in h.hs6
                if _WORST[h.state] > _WORST[g["state"]]:
                    g["state"] = h.state
                g["codes"].add(code)
                g["abroad"] = g["abroad"] and h.exporters == "abroad"
        out = []
        for mid, g in got.items():
            m = self.kb.find(mid) if hasattr(self.kb, "find") else self.kb.entries.get(mid)
            actor = getattr(m, "jurisdiction", "") or ""
            out.append(Hit(measure_id=mid, actor=actor, state=g["state"], hs6=tuple(sorted(g["codes"])),
                           abroad=g["abroad"], verification=g["verification"], by_code=g["by_code"],
                           destinations=("*",) if "*" in g["dest"] else tuple(sorted(g["dest"]))))
        return sorted(out, key=lambda x: x.measure_id)
