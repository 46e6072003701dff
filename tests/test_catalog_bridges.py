"""Every catalog statement about HS correlation and bridging agrees with the bundled UNSD table
(src/critmin/sources/data/hs_correlation_unsd.csv), which is read here, not restated (issue 13)."""

from __future__ import annotations

import csv
import re

from critmin.catalog import load_catalog
from critmin.sources.hs_correlation import BUNDLED

MENTIONS = re.compile(r"correlat|bridg|UNSD", re.I)


def _table():
    with open(BUNDLED, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    links = {f"{r['revision']}:{r['code']}": set(r["hs92_links"].split()) for r in rows}
    target = {f"{r['revision']}:{r['code']}": r["hs92"] for r in rows}
    return links, target


def _codes():
    cat = load_catalog()
    return [(m, h) for m in cat.materials.values() for h in m.hs]


def test_successors_are_exactly_the_later_codes_the_table_links_to_each_code():
    links, _ = _table()
    for m, h in _codes():
        if h.bridge is not None:
            assert sorted(h.successors) == sorted(c for c, ln in links.items() if h.hs6 in ln), (m.id, h.hs6)


def test_every_code_no_later_code_converts_to_states_its_successors_and_bridge():
    _, target = _table()
    live = {(c.split(":")[0], t) for c, t in target.items()}
    for m, h in _codes():
        if any((rev, h.hs6) not in live for rev in ("HS17", "HS22")):
            assert h.bridge is not None, f"{m.id} {h.hs6}: no HS17/HS22 code converts to it; say whether bridged"


def test_bridges_hold_in_the_table_and_the_reasons_say_what_it_shows():
    links, target = _table()
    for m, h in _codes():
        if not MENTIONS.search(h.reason):
            assert h.bridge is None, (m.id, h.hs6)
            continue
        assert h.bridge is not None, f"{m.id} {h.hs6}: the reason speaks of bridging; state bridge and successors"
        # the table is bundled: no reason may say otherwise
        assert not re.search(r"not bundle|no correlation table|without the HS correlation", h.reason), h.hs6
        assert "hs_correlation_unsd.csv" in h.reason and h.hs6 in h.reason
        own = {c.hs6 for c in m.hs}
        outside = {c: links[c] - own for c in h.successors if links[c] - own}
        if h.bridge == "material_total":
            assert not outside and all(target[c] in own for c in h.successors), (m.id, h.hs6, outside)
            assert "Bridged" in h.reason
        else:  # none: some later code mixes the flows with other products
            assert outside, (m.id, h.hs6)
            assert "Not bridged" in h.reason
        for c in h.successors:  # the later codes the reason names are the table's
            assert c.split(":")[1] in h.reason, (m.id, h.hs6, c)


def test_germanium_and_cadmium_sulphide_cannot_be_bridged_sulphur_can():
    by = {h.hs6: h for _, h in _codes()}
    assert (by["811230"].bridge, by["283030"].bridge, by["250390"].bridge) == ("none", "none", "material_total")
    assert by["811230"].last_year == by["283030"].last_year == 2006 and by["250390"].last_year == 1995
