"""Source adapters: one per origin, each yielding canonical tables plus a provenance record.

No other code knows a source's quirks. Adapters register in :data:`ADAPTERS` the way an extension would.
"""

from __future__ import annotations

ADAPTERS: dict[str, str] = {
    # name -> module implementing it
    "geopolrisk_bundle": "critmin.sources.geopolrisk_bundle",
    "baci_csv": "critmin.sources.baci_csv",
    "comtrade_csv": "critmin.sources.comtrade_csv",
}
