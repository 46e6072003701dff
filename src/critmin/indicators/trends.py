"""Year-on-year trends of an indicator table, as SQL over the table (so they are computed before any year
filter, and on either engine):

* yoy_imports            total_imports_t / total_imports_{t−1} − 1
* yoy_unit_value         unit_value_t / unit_value_{t−1} − 1
* top1_share_change_pp   100 · (top1_share_t − top1_share_{t−1})
* china_share_change_pp  100 · (china_share_t − china_share_{t−1})

A change is only computed between consecutive years (a gap gives no value).
"""

from __future__ import annotations

TREND_COLUMNS = ("yoy_imports", "yoy_unit_value", "top1_share_change_pp", "china_share_change_pp")


def trends_sql(table: str, group_keys: list[str]) -> str:
    """``table`` (a subquery with ``year``, total_imports, unit_value_usd_per_kg, top1_share, china_share) with
    the four trend columns appended."""
    w = f"OVER (PARTITION BY {', '.join(group_keys)} ORDER BY year)"

    def change(col: str, pp: bool) -> str:
        prev = f"lag({col}) {w}"
        value = f"100 * ({col} - {prev})" if pp else f"{col} / {prev} - 1"
        return f"CASE WHEN year - lag(year) {w} = 1 THEN {value} END"

    return f"""
        SELECT *, {change('total_imports', False)} AS yoy_imports,
               {change('unit_value_usd_per_kg', False)} AS yoy_unit_value,
               {change('top1_share', True)} AS top1_share_change_pp,
               {change('china_share', True)} AS china_share_change_pp
        FROM ({table}) AS b"""
