"""The critical lists side by side (catalog lists) and the largest-producer / import-source counts."""

from __future__ import annotations

import pytest

from critmin.criticality import list_leaders, lists_matrix
from critmin.criticality.lists import list_items, seed_reconciliation
from critmin.errors import UsageError


def test_matrix_counts_each_list_and_finds_the_materials_on_all_and_on_one():
    from critmin.catalog import load_catalog

    cat = load_catalog()
    m = lists_matrix()
    for lid, cl in cat.critical_lists.items():
        assert m[lid].sum() == len({i.material or f"({i.name})" for i in cl.items})
    on_all = set(m.loc[m["on_all"], "material_id"])
    # the five materials every list names, strategic list included
    assert on_all == {"cobalt", "graphite", "lithium", "rare_earths", "tungsten"}
    only = m[m["only_on"] != ""].set_index("material")["only_on"]
    assert only["Helium"] == "eu_2023" and only["Zinc"] == "us_2022" and only["Bauxite"] == "eu_2020"
    assert (m["n_lists"] == m[list(cat.critical_lists)].sum(axis=1)).all()
    with pytest.raises(UsageError, match="unknown list"):
        lists_matrix(["us_2099"])


def test_leaders_add_up_to_the_items_with_data(demo_warehouse):
    items = list_items(lists=["us_2022"], warehouse=demo_warehouse)
    assert len(items) == 50 and set(items["year"]) == {2022} and set(items["importer"]) == {"USA"}
    lead = list_leaders(lists=["us_2022"], warehouse=demo_warehouse)
    assert lead["largest_producer_items"].sum() == lead["items_with_production"].iloc[0]
    assert lead["largest_import_source_items"].sum() == lead["items_with_imports"].iloc[0]
    # the 15 rare-earth elements of the US list share the family's producer (China)
    ree = items[items["material_id"] == "rare_earths"]
    assert len(ree) == 15 and set(ree["largest_producer"]) == {"CHN"}
    with pytest.raises(UsageError, match="no production data"):
        list_items(year=2030, warehouse=demo_warehouse)


@pytest.mark.slow
def test_seed_001_us_producer_count_is_reproduced_on_the_full_data(built_warehouse):
    rec = seed_reconciliation(warehouse=built_warehouse).set_index("list_id")
    us = rec.loc["us_2022"]
    assert us["china_largest_producer_ours"] == us["china_largest_producer_seed"] == 30
    eu = rec.loc["eu_2020"]
    assert eu["items_ours"] == 30 and eu["items_seed"] == 44  # the seed expands the 30 entries to 44 products
