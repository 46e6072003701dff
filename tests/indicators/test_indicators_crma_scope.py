"""The CRMA 65 % benchmark binds strategic raw materials only (Reg. (EU) 2024/1252 Art. 5(1)(b), Annex I)."""

from critmin.catalog import load_catalog
from critmin.indicators.crma import crma_rows


def test_only_strategic_materials_breach_the_cap(built_warehouse):
    rows = crma_rows("EU27", "2024", warehouse=built_warehouse).records()
    strategic = load_catalog().list_materials(["eu_2023_strategic"])
    above = {r["material_id"]: r for r in rows}
    # every row shown is above the cap on some basis; breach only where the Act applies
    assert all(r["breach_value"] or r["breach_qty"] for r in rows)
    assert all(r["breach"] == (r["material_id"] in strategic) for r in rows)
    assert above["rare_earths"]["breach"] and above["rare_earths"]["in_scope"]
    # uranium from Namibia is above 65 % but not a strategic raw material: shown, never a breach
    assert above["uranium"]["in_scope"] is False and above["uranium"]["breach"] is False
    # the Act's own materials come first
    flags = [r["in_scope"] for r in rows]
    assert flags == sorted(flags, reverse=True)


def test_pgm_group_counts_for_its_members():
    members = load_catalog().list_materials(["eu_2023_strategic"])
    assert {"platinum", "palladium", "rhodium"} <= members
