"""Turn indicator-core tables into the evaluator's long series table (metric names and % units the
built-in rules expect, from the one registry :data:`critmin.indicators.metrics.METRICS`). Pure: DataFrame in,
DataFrame out.

From ``critmin.indicators.dependency.dependency(...)`` (shares as fractions, HHI 0–10 000, trends as
fractions) to rows of: metric, importer, material, stage, supplier, period, value, vintage, source.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

SERIES_COLUMNS = ["metric", "importer", "material", "stage", "supplier", "period", "value", "vintage", "source"]


def series_from_dependency(dep: pd.DataFrame, vintage: str = "", source: str = "indicators.dependency",
                           controlling: str = "CHN") -> pd.DataFrame:
    """Long series from a dependency table (one basis per call; the basis is read from its column).

    Emits, per importer × material × stage × year, every registry metric of the table's basis whose column is
    present (missing values are skipped): top1_share_{basis}_pct (supplier = top1_supplier),
    supplier_share_{basis}_pct for the controlling country (from ``china_share``), supplier_hhi_{basis},
    import_{basis}_yoy_pct, unit_value_yoy_pct (value basis only) and the import level (import_value_kusd or
    import_qty_t).
    """
    import pandas as pd

    from critmin.indicators.metrics import for_basis

    if dep.empty:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    basis = str(dep["basis"].iloc[0]) if "basis" in dep.columns else "value"
    base = pd.DataFrame({
        "importer": dep["importer"].astype(str),
        "material": dep["material_id"].astype(str) if "material_id" in dep.columns else dep["material"].astype(str),
        "stage": dep["stage"].astype(str) if "stage" in dep.columns else "",
        "period": dep["year"].astype(int).astype(str),
        "vintage": vintage, "source": source,
    })
    parts = []
    for m in for_basis(basis):
        if m.column not in dep.columns:
            continue
        supplier = {"top1": dep["top1_supplier"].astype(str) if "top1_supplier" in dep.columns else "",
                    "controlling": controlling}.get(m.supplier, "")
        part = base.assign(metric=m.name, value=pd.to_numeric(dep[m.column], errors="coerce") * m.scale,
                           supplier=supplier)
        parts.append(part[part["value"].notna()])
    if not parts:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    return pd.concat(parts, ignore_index=True)[SERIES_COLUMNS]
