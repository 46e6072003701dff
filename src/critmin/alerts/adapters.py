"""Turn indicator-core tables into the evaluator's long series table (metric names and % units the
built-in rules expect). Pure: DataFrame in, DataFrame out.

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

    Emits, per importer × material × stage × year (missing inputs are skipped):
    top1_share_{basis}_pct (supplier = top1_supplier), supplier_share_{basis}_pct for the controlling
    country (from ``china_share``), supplier_hhi_{basis}, import_{basis}_yoy_pct, unit_value_yoy_pct
    (value basis only) and the import level (import_value_kusd or import_qty_t).
    """
    import pandas as pd

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

    def add(metric: str, col: str, scale: float = 1.0, supplier=""):
        if col not in dep.columns:
            return
        part = base.assign(metric=metric, value=pd.to_numeric(dep[col], errors="coerce") * scale,
                           supplier=supplier)
        parts.append(part[part["value"].notna()])

    add(f"top1_share_{basis}_pct", "top1_share", 100.0,
        dep["top1_supplier"].astype(str) if "top1_supplier" in dep.columns else "")
    add(f"supplier_share_{basis}_pct", "china_share", 100.0, controlling)
    add(f"supplier_hhi_{basis}", "hhi")
    add(f"import_{basis}_yoy_pct", "yoy_imports", 100.0)
    if basis == "value":
        add("unit_value_yoy_pct", "yoy_unit_value", 100.0)
    add("import_value_kusd" if basis == "value" else "import_qty_t", "total_imports")
    if not parts:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    return pd.concat(parts, ignore_index=True)[SERIES_COLUMNS]
