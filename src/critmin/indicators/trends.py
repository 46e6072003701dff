"""Year-on-year trends of an indicator table (pure pandas on the small result, grouped and vectorised).

* yoy_imports            total_imports_t / total_imports_{t−1} − 1
* yoy_unit_value         unit_value_t / unit_value_{t−1} − 1
* top1_share_change_pp   100 · (top1_share_t − top1_share_{t−1})
* china_share_change_pp  100 · (china_share_t − china_share_{t−1})

A change is only computed between consecutive years (a gap gives no value).
"""

from __future__ import annotations


def add_trends(df, group_keys: list[str]):
    df = df.sort_values([*group_keys, "year"]).reset_index(drop=True)
    g = df.groupby(group_keys, sort=False, dropna=False)
    prev = g.shift(1)
    consecutive = (df["year"] - prev["year"]) == 1
    df["yoy_imports"] = (df["total_imports"] / prev["total_imports"] - 1).where(consecutive)
    df["yoy_unit_value"] = (df["unit_value_usd_per_kg"] / prev["unit_value_usd_per_kg"] - 1).where(consecutive)
    df["top1_share_change_pp"] = (100 * (df["top1_share"] - prev["top1_share"])).where(consecutive)
    df["china_share_change_pp"] = (100 * (df["china_share"] - prev["china_share"])).where(consecutive)
    return df
