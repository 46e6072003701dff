"""Which trade table an indicator reads: BACI's reconciled flows (``trade``) or the user's UN Comtrade
extracts (``trade_comtrade``) as reporter-side data.

BACI reconciles each flow from both declarations (FOB values). Comtrade rows are what one country declared, so
an importer's dependency is read from its own import declarations (flow M, CIF values): the reporter side.
Where an importer declared nothing for a product and year, its partners' export declarations (flow X, FOB)
stand in — the mirror — and each row says which side it came from (``declared_by``). Monthly extracts are
summed to the year. The output has the columns of ``trade``, so every indicator expression runs on it as is.
"""

from __future__ import annotations

SOURCES = ("baci", "comtrade")


def table_of(source: str) -> str:
    """The warehouse table behind a source (for provenance)."""
    return "trade_comtrade" if source == "comtrade" else "trade"


def trade_table(wh, source: str = "baci"):
    """The trade relation for ``source`` (an Ibis table with the ``trade`` columns)."""
    import ibis
    from ibis import _

    from critmin.errors import UsageError

    if source not in SOURCES:
        raise UsageError(f"trade source '{source}': expected one of {', '.join(SOURCES)}")
    if source == "baci":
        return wh.ibis.table("trade")
    ct = wh.ibis.table("trade_comtrade")
    if ct.count().to_pyarrow().as_py() == 0:
        raise UsageError("no Comtrade rows in the warehouse: load extracts with `critmin ingest comtrade FILE`")
    keys = ["year", "exporter", "importer", "hs6"]
    agg = dict(value_kusd=_.value_kusd.sum(), qty_t=_.qty_t.sum(), provenance_id=_.provenance_id.min())
    imports = ct.filter(_.flow == "M").group_by(keys).aggregate(**agg)
    exports = ct.filter(_.flow == "X").group_by(keys).aggregate(**agg)
    reported = imports.select("year", "importer", "hs6").distinct()
    mirror = exports.anti_join(reported, ["year", "importer", "hs6"])
    parts = [imports.mutate(declared_by=ibis.literal("importer")),
             mirror.mutate(declared_by=ibis.literal("exporter (mirror)"))]
    # an anti-join marks columns non-nullable; both sides as nullable so the union's schemas agree
    parts = [p.select(**{c: p[c].cast(t.copy(nullable=True)) for c, t in p.schema().items()}) for p in parts]
    return parts[0].union(parts[1]).mutate(uv_flag=ibis.null("string"))
