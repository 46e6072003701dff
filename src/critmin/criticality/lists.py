"""The official critical lists side by side (catalog ``critical_lists.yaml``): a materials × lists matrix, the
materials on every list or on one only, and per list how many items have each country as largest producer
(World Mining Data) and as largest import source of the list's issuer (BACI, value basis), reconciled with the
counts seed 001 quotes.

Items are counted as the lists word them (the US list's 50 items, the EU 2020 list's 30 entries), so the 15
rare-earth elements of the US list count 15 times, each with the rare-earth family's producer and suppliers —
critmin has no element-level series. The largest producer and import source come from the indicator core
(:func:`critmin.indicators.production.production_concentration`, :func:`critmin.indicators.dependency.dependency`),
so the numbers here are the ones every other command shows.
"""

from __future__ import annotations

# Who imports for a list: the issuer as an economy of the catalog (the EU as the EU27 group).
ISSUER_ECONOMY = {"USA": "USA", "EU": "EU27", "CHN": "CHN"}

# Counts quoted in seed 001 (001_7ea4d59a8eff7c56.txt, lines 52-64): list id -> (items counted, China largest
# producer, China largest import source). The seed counts the EU 2020 list as 44 products.
SEED_001 = {"us_2022": (50, 30, 26), "eu_2020": (44, 29, 17)}


def lists_matrix(lists: list[str] | None = None):
    """One row per critmin material on any of the lists, a boolean column per list, ``n_lists``, the lists'
    own item names for it, and ``on_all`` / ``only_on`` (the single list it is on, else empty)."""
    import pandas as pd

    from critmin.catalog import load_catalog
    from critmin.errors import UsageError
    from critmin.i18n import current_lang

    cat = load_catalog()
    lang = current_lang()
    ids = lists or list(cat.critical_lists)
    unknown = [i for i in ids if i not in cat.critical_lists]
    if unknown:
        raise UsageError(f"unknown list(s): {', '.join(unknown)}; known: {', '.join(cat.critical_lists)}")
    rows: dict[str, dict] = {}
    for lid in ids:
        for item in cat.critical_lists[lid].items:
            key = item.material or f"({item.name})"
            row = rows.setdefault(key, {"material_id": item.material, "material": (
                cat.materials[item.material].name(lang) if item.material else item.name), "items": set()})
            row[lid] = True
            row["items"].add(item.name)
    df = pd.DataFrame(rows.values())
    for lid in ids:
        df[lid] = df[lid].eq(True) if lid in df else False
    df["items"] = df["items"].map(lambda s: "; ".join(sorted(s)))
    df["n_lists"] = df[ids].sum(axis=1)
    df["on_all"] = df["n_lists"] == len(ids)
    df["only_on"] = df[ids].apply(lambda r: r.index[r].tolist()[0] if r.sum() == 1 else "", axis=1)
    cols = ["material_id", "material", *ids, "n_lists", "on_all", "only_on", "items"]
    return df[cols].sort_values(["n_lists", "material"], ascending=[False, True]).reset_index(drop=True)


def _list_year(date: str, have: list[int]) -> int:
    """The list's year, moved into the years with production data (2016 -> the first year there is)."""
    year = int(date[:4])
    return min(max(year, have[0]), have[-1])


def list_items(year: int | None = None, lists: list[str] | None = None, warehouse=None):
    """One row per list item: list, item, material, the year used, largest producer and its share of world
    production, the issuer's largest import source and its share of the issuer's imports (value)."""
    import pandas as pd

    from critmin.catalog import load_catalog
    from critmin.indicators.dependency import dependency
    from critmin.indicators.production import production_concentration
    from critmin.warehouse.handle import using

    cat = load_catalog()
    ids = lists or list(cat.critical_lists)
    with using(warehouse) as wh:
        have = [r[0] for r in wh.sql("SELECT DISTINCT year FROM production ORDER BY 1").fetchall()]
        if year is not None and year not in have:
            from critmin.errors import UsageError
            from critmin.i18n import t

            raise UsageError(t("criticality.bad_years", years=str(year),
                               range=f"{have[0]}-{have[-1]}" if have else "none"))
        prod = production_concentration(warehouse=wh)[["commodity", "year", "top1_producer", "top1_share"]]
        imports = {}
        rows = []
        for lid in ids:
            cl = cat.critical_lists[lid]
            y = year or _list_year(cl.date, have)
            econ = ISSUER_ECONOMY.get(cl.issuer, cl.issuer)
            if (econ, y) not in imports:
                imports[(econ, y)] = dependency(econ, years=[y], warehouse=wh)[
                    ["material_id", "top1_supplier", "top1_share"]].set_index("material_id")
            dep = imports[(econ, y)]
            for item in cl.items:
                mat = cat.materials.get(item.material) if item.material else None
                p = prod[(prod["commodity"] == (mat.wmd_commodity if mat else None)) & (prod["year"] == y)]
                has_dep = mat is not None and mat.id in dep.index
                rows.append({"list_id": lid, "item": item.name, "material_id": item.material, "year": y,
                             "importer": econ,
                             "largest_producer": p["top1_producer"].iloc[0] if len(p) else None,
                             "largest_producer_share": float(p["top1_share"].iloc[0]) if len(p) else None,
                             "largest_import_source": dep.at[mat.id, "top1_supplier"] if has_dep else None,
                             "largest_import_source_share": float(dep.at[mat.id, "top1_share"]) if has_dep else None})
    return pd.DataFrame(rows)


def list_leaders(year: int | None = None, lists: list[str] | None = None, warehouse=None):
    """Per list × country: items with that country as largest producer and as largest import source, beside the
    list's item count and how many items had data at all."""
    import pandas as pd

    items = list_items(year, lists, warehouse)
    out = []
    for lid, g in items.groupby("list_id", sort=False):
        prod = g["largest_producer"].value_counts()
        imp = g["largest_import_source"].value_counts()
        for iso in sorted(set(prod.index) | set(imp.index)):
            out.append({"list_id": lid, "country": iso, "largest_producer_items": int(prod.get(iso, 0)),
                        "largest_import_source_items": int(imp.get(iso, 0)), "items": len(g),
                        "items_with_production": int(g["largest_producer"].notna().sum()),
                        "items_with_imports": int(g["largest_import_source"].notna().sum()),
                        "year": int(g["year"].iloc[0]), "importer": g["importer"].iloc[0]})
    df = pd.DataFrame(out)
    return df.sort_values(["list_id", "largest_producer_items", "country"], ascending=[True, False, True]).reset_index(
        drop=True)


def seed_reconciliation(year: int | None = None, warehouse=None):
    """China's counts for the lists seed 001 quotes, ours beside the seed's, with the gaps that explain them."""
    import pandas as pd

    items = list_items(year, list(SEED_001), warehouse)
    rows = []
    for lid, (n_seed, prod_seed, imp_seed) in SEED_001.items():
        g = items[items["list_id"] == lid]
        rows.append({
            "list_id": lid, "year": int(g["year"].iloc[0]), "items_seed": n_seed, "items_ours": len(g),
            "china_largest_producer_seed": prod_seed,
            "china_largest_producer_ours": int((g["largest_producer"] == "CHN").sum()),
            "china_largest_import_source_seed": imp_seed,
            "china_largest_import_source_ours": int((g["largest_import_source"] == "CHN").sum()),
            "items_without_production": int(g["largest_producer"].isna().sum()),
            "items_without_imports": int(g["largest_import_source"].isna().sum()),
            "items_without_material": int(g["material_id"].isna().sum()),
            "items_sharing_a_material": int(g["material_id"].duplicated(keep=False).sum()),
        })
    return pd.DataFrame(rows)
