"""What each indicator column means, in English and Chinese, and which data and vintages it came from.

One registry (:data:`DEFINITIONS`) serves `--explain`, report footnotes and the docs.
"""

from __future__ import annotations

# column -> (definition en, definition zh, unit, source tables)
DEFINITIONS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "total_imports": ("imports of the selection; for a group only extra-group flows (partner not a member that year)",
                      "所选范围的进口额（量）；国家集团仅计对集团外进口", "thousand USD (value) or t (qty)", ("trade",)),
    "n_suppliers": ("number of supplier countries with non-zero imports", "供应国数量", "count", ("trade",)),
    "top1_supplier": ("largest supplier (ties broken by ISO3 code)", "最大供应国（并列时按代码排序）", "ISO3",
                      ("trade",)),
    "top1_share": ("largest supplier's share of total_imports", "最大供应国份额", "fraction 0–1", ("trade",)),
    "top3_share": ("share of the three largest suppliers", "前三大供应国份额合计", "fraction 0–1", ("trade",)),
    "hhi": ("Herfindahl-Hirschman index of supplier shares, 10 000·Σ s²; >2 500 highly concentrated (DOJ/FTC 2010)",
            "供应国赫芬达尔-赫希曼指数 10000·Σs²；高于2500为高度集中", "0–10 000", ("trade",)),
    "china_share": ("China's share of total_imports", "中国所占份额", "fraction 0–1", ("trade",)),
    "unit_value_usd_per_kg": ("value / quantity over flows reporting a quantity (BACI values are FOB)",
                              "单位价值＝金额/数量（仅含有数量的流量；BACI 为离岸价）", "USD/kg", ("trade",)),
    "yoy_imports": ("change of total_imports from the previous year", "进口同比变化", "fraction", ("trade",)),
    "yoy_unit_value": ("change of unit value from the previous year", "单位价值同比变化", "fraction", ("trade",)),
    "top1_share_change_pp": ("change of top1_share from the previous year", "最大供应国份额同比变化",
                             "percentage points", ("trade",)),
    "china_share_change_pp": ("change of china_share from the previous year", "中国份额同比变化",
                              "percentage points", ("trade",)),
    "top1_share_value": ("largest third-country supplier's share of extra-group imports, value basis",
                         "最大第三国供应份额（按金额）", "fraction 0–1", ("trade",)),
    "top1_share_qty": ("largest third-country supplier's share of extra-group imports, quantity basis",
                       "最大第三国供应份额（按数量）", "fraction 0–1", ("trade",)),
    "breach": ("top1 share above the CRMA single-third-country cap (column cap; the catalog's benchmark "
               "crma_single_country_cap, Reg. (EU) 2024/1252 Art. 5(1)(b)) on either basis",
               "任一口径下超过《关键原材料法案》单一第三国上限（cap列；目录基准crma_single_country_cap）", "bool",
               ("trade", "benchmarks")),
    "world_production": ("sum of country production rows", "各国产量合计", "commodity unit", ("production",)),
    "provenance_ids": ("provenance records (';'-separated) of the source rows feeding the row's year",
                       "该行年份所用源数据的来源记录编号（以分号分隔）", "ids", ()),
    "import_reliance": ("(imports − exports) / (production + imports − exports), tonnes",
                        "净进口依存度＝(进口−出口)/(产量+进口−出口)",
                        "fraction; negative for a net exporter, NaN where P + I − E ≤ 0 (see reliance_status)",
                        ("trade", "production")),
    "reliance_status": ("net importer, net exporter (USGS's 'E'), no net trade, or why the ratio is n/a",
                        "净进口方、净出口方（美国地质调查局标“E”）、无净贸易，或比值不适用的原因", "text",
                        ("trade", "production")),
}


def explain(columns, warehouse=None, lang: str = "en", provenance_ids=None):
    """Definition, unit, and the sources with vintage and licence behind each known column.

    ``provenance_ids``: the ids a result carries (its ``provenance_ids`` column, ';'-joined cells or a list);
    the sources are then those records only, else every record of the column's tables.
    """
    import pandas as pd

    from critmin.indicators.provenance import split
    from critmin.warehouse.handle import using

    with using(warehouse) as wh:
        prov = wh.sql('SELECT "table", provenance_id, vintage, licence FROM provenance').df()
    if provenance_ids is not None:
        cells = [provenance_ids] if isinstance(provenance_ids, str) else list(provenance_ids)
        prov = prov[prov["provenance_id"].isin({i for c in cells for i in split(c)})]
    rows = []
    for col in columns:
        if col not in DEFINITIONS:
            continue
        en, zh, unit, tables = DEFINITIONS[col]
        src = prov[prov["table"].isin(tables)]
        rows.append({
            "column": col, "definition": zh if lang == "zh" else en, "unit": unit,
            "sources": "; ".join(f"{r.provenance_id} ({r.vintage}; {r.licence})" for r in src.itertuples())
            or ", ".join(tables),
        })
    return pd.DataFrame(rows)
