"""Flows whose unit value is far outside their HS6 code's distribution (likely misclassified or mis-keyed).

Per HS6 code and year, over every flow in the warehouse with a quantity: x = ln(value / quantity), weighted by
value (so the codes' large, regular trade sets the norm, not thousands of parcels), and the modified z-score
0.6745 · (x − median) / MAD (Iglewicz & Hoaglin 1993, with value-weighted median and MAD). A flow is flagged when
|z| exceeds the cut-off AND its unit value is at least ``min_factor`` times off the median (a narrow code would
otherwise flag ordinary grade differences). The monitor shows flagged flows beside the situations they feed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

COLUMNS = ["year", "hs6", "exporter", "importer", "value_kusd", "qty_t", "usd_per_kg", "median_usd_per_kg",
           "robust_z"]


def _weighted_median(frame: pd.DataFrame, col: str, key: str = "hs6") -> pd.Series:
    """Value-weighted median of ``col`` per ``key`` (the first value at or past half the weight)."""
    f = frame.sort_values([key, col], kind="stable")
    cum = f.groupby(key)["value_kusd"].cumsum()
    half = f.groupby(key)["value_kusd"].transform("sum") / 2
    return f[cum >= half].groupby(key)[col].first()


def outlier_flows(wh, year: int, hs6: list[str], robust_z: float = 3.5, min_value_kusd: float = 100.0,
                  min_factor: float = 5.0) -> pd.DataFrame:
    """Flagged flows of ``year`` in the codes ``hs6`` (every importer), largest first."""
    import numpy as np
    import pandas as pd

    if not hs6:
        return pd.DataFrame(columns=COLUMNS)
    f = wh.sql("""select year, hs6, exporter, importer, value_kusd, qty_t, ln(value_kusd / qty_t) as x
                  from trade where year = ? and hs6 in (select unnest(?::varchar[])) and qty_t > 0
                  and value_kusd > 0""", [int(year), list(hs6)]).df()
    if f.empty:
        return pd.DataFrame(columns=COLUMNS)
    med = _weighted_median(f, "x")
    f["med"] = f["hs6"].map(med)
    f["dev"] = (f["x"] - f["med"]).abs()
    mad = _weighted_median(f, "dev")
    f["mad"] = f["hs6"].map(mad)
    f = f[f["mad"] > 0]
    f["robust_z"] = 0.6745 * (f["x"] - f["med"]) / f["mad"]
    hit = f[(f["value_kusd"] >= min_value_kusd) & (f["robust_z"].abs() > robust_z)
            & (f["dev"] >= np.log(min_factor))].copy()
    hit["usd_per_kg"] = hit["value_kusd"] / hit["qty_t"]
    hit["median_usd_per_kg"] = np.exp(hit["med"])
    # the query returns rows in no set order: equal values are ordered by the flow's keys
    hit = hit.sort_values(["value_kusd", "hs6", "importer", "exporter"], ascending=[False, True, True, True],
                          kind="stable")
    return hit[COLUMNS].reset_index(drop=True)
