"""EU Critical Raw Materials Act diversification benchmark: no single third country above 65 %.

Regulation (EU) 2024/1252, Art. 5(1)(b): by 2030 no single third country should supply more than 65 % of the
Union's annual consumption of a strategic raw material at any relevant stage of processing.

Operational proxy (documented in docs/indicators.md): the largest third-country supplier's share of the
importer's extra-group imports of the material at that stage, per year, on both value and quantity bases:

    top1_share_{m,s,t} = max_i a_{i,m,s,t} / Σ_i a_{i,m,s,t},   i ∉ M(EU27, t)

Apparent consumption (production + imports − exports) would be the Act's denominator; EU production at the
traded stages is not in the bundled data, and where it is close to zero (rare earths, gallium, magnesium) the
import share is the usual proxy. A row is in breach when top1_share > cap.
"""

from __future__ import annotations

from critmin.indicators.imports import concentration
from critmin.indicators.years import parse_years

CAP = 0.65


def crma_check(importer: str = "EU27", years=None, cap: float = CAP, materials: list[str] | None = None,
               warehouse=None, only_breaches: bool = True):
    """Per material × stage × year: top third-country supplier and share on value and qty bases vs the cap.

    Returns columns importer, material_id, stage, hs6 (codes), year, top1_supplier_value, top1_share_value,
    top1_supplier_qty, top1_share_qty, breach_value, breach_qty, breach (either basis), years_in_breach
    (all breach years of that material × stage × supplier within the selection), provenance_ids.
    ``importer``: ISO3 codes, groups or country names (see :func:`critmin.catalog.economies.resolve`).
    """
    import pandas as pd
    from ibis import _

    from critmin.catalog import load_catalog
    from critmin.indicators.imports import economies, economy_flows, with_material
    from critmin.indicators.provenance import add_provenance
    from critmin.warehouse.handle import using

    cat = load_catalog()
    econ = economies(importer)
    mats = [cat.material(m).id for m in materials] if materials else None
    with using(warehouse) as wh:
        trade = wh.ibis.table("trade")
        yrs = parse_years(years)
        if yrs:
            trade = trade.filter(_.year.isin(yrs))
        flows = with_material(economy_flows(trade, econ, yrs or wh.trade_years()), wh.ibis.table("material_hs6"),
                              None, None, None)
        if mats:
            flows = flows.filter(_.material_id.isin(mats))
        keys = ["importer", "material_id", "stage", "year"]
        parts = []
        for basis in ("value", "qty"):
            df = concentration(flows, keys, basis).to_pandas()
            df = df[[*keys, "top1_supplier", "top1_share", "total_imports"]].rename(columns={
                "top1_supplier": f"top1_supplier_{basis}", "top1_share": f"top1_share_{basis}",
                "total_imports": "imports_kusd" if basis == "value" else "imports_t"})
            parts.append(df)
        out = add_provenance(parts[0].merge(parts[1], on=keys, how="outer"), wh)
    codes = pd.DataFrame([(m.id, h.stage, h.hs6) for m in cat.materials.values() for h in m.hs],
                         columns=["material_id", "stage", "hs6"]).groupby(["material_id", "stage"])["hs6"] \
        .agg(lambda s: ",".join(sorted(s))).reset_index()
    out = out.merge(codes, on=["material_id", "stage"], how="left")
    out["breach_value"] = out["top1_share_value"] > cap
    out["breach_qty"] = out["top1_share_qty"] > cap
    out["breach"] = out["breach_value"] | out["breach_qty"]
    out["cap"] = cap
    breach_years = (out[out["breach"]].groupby(["importer", "material_id", "stage"])["year"]
                    .agg(lambda s: ",".join(str(y) for y in sorted(s))).rename("years_in_breach"))
    out = out.merge(breach_years, on=["importer", "material_id", "stage"], how="left")
    if only_breaches:
        out = out[out["breach"]]
    cols = ["importer", "material_id", "stage", "hs6", "year", "top1_supplier_value", "top1_share_value",
            "top1_supplier_qty", "top1_share_qty", "imports_kusd", "imports_t", "breach_value", "breach_qty",
            "breach", "cap", "years_in_breach", "provenance_ids"]
    return out[cols].sort_values(["material_id", "stage", "year"]).reset_index(drop=True)
