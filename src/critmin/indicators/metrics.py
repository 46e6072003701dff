"""The alert metrics the indicator core publishes: one registry, read both ways.

Forward, :func:`critmin.alerts.adapters.series_from_dependency` turns a dependency table into the evaluator's
long series (metric name, supplier, value); backward, the incident fact check recomputes an alert's value from
a dependency row. Both read :data:`METRICS`, so a metric's name, source column, basis, scale and unit are
written once.

    value(metric, row) = scale · row[column]        (scale 100 turns a fraction into %)

``supplier`` says which supplier a value is about: 'top1' (the row's top1_supplier), 'controlling' (the
country named by the rule, China by default: its share is ``china_share``) or None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Metric:
    name: str
    column: str  # dependency-table column
    basis: Literal["value", "qty"]
    scale: float
    unit: str
    label_en: str
    label_zh: str
    supplier: Literal["top1", "controlling"] | None = None

    def value(self, row) -> float | None:
        """The metric's value from a dependency row (a mapping or pandas row); None when missing."""
        v = row.get(self.column)
        return None if v is None or v != v else float(v) * self.scale


def _metrics() -> tuple[Metric, ...]:
    out = []
    for b, en, zh in (("value", "value", "金额"), ("qty", "quantity", "数量")):
        out += [
            Metric(f"top1_share_{b}_pct", "top1_share", b, 100.0, "%", f"largest supplier's share ({en})",
                   f"最大供应国份额（{zh}）", "top1"),
            Metric(f"supplier_share_{b}_pct", "china_share", b, 100.0, "%", f"controlling supplier's share ({en})",
                   f"管制国份额（{zh}）", "controlling"),
            Metric(f"supplier_hhi_{b}", "hhi", b, 1.0, "0–10 000", f"supplier HHI ({en})", f"供应国HHI（{zh}）"),
            Metric(f"import_{b}_yoy_pct", "yoy_imports", b, 100.0, "%", f"imports, change on the year ({en})",
                   f"进口同比变化（{zh}）"),
        ]
    out += [
        Metric("unit_value_yoy_pct", "yoy_unit_value", "value", 100.0, "%", "unit value, change on the year",
               "单位价值同比变化"),
        Metric("import_value_kusd", "total_imports", "value", 1.0, "thousand USD", "imports (value)", "进口额"),
        Metric("import_qty_t", "total_imports", "qty", 1.0, "t", "imports (quantity)", "进口量"),
    ]
    return tuple(out)


METRICS: dict[str, Metric] = {m.name: m for m in _metrics()}


def for_basis(basis: str) -> list[Metric]:
    """The metrics a dependency table on ``basis`` yields, in registry order."""
    return [m for m in METRICS.values() if m.basis == basis]


def metric(name: str) -> Metric | None:
    return METRICS.get(name)
