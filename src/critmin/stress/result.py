"""The result object of a stress-test run: bands per importer and month, market indicators, downstream
production at risk; JSON and table views; saved to the warehouse under a run id."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from critmin.stress.scenario import Scenario

MONTHLY_METRICS = (
    "supply_t", "withheld_t", "replacement_t", "stock_draw_t", "substitution_t", "recycling_t", "shortfall_t",
    "stock_t",
)


def _num(x: Any) -> Any:
    """JSON-safe number: NaN and infinity become None."""
    if x is None:
        return None
    x = float(x)
    return None if (math.isnan(x) or math.isinf(x)) else x


def _plain(v: Any) -> Any:
    """A JSON-safe plain Python value (numpy scalars unwrapped, NaN/inf as None)."""
    import numpy as np

    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        return _num(v)
    return v


@dataclass
class StressResult:
    """What :func:`critmin.stress.run` returns.

    * ``summary``: one row per reported importer (totals over the horizon in tonnes, P10/P50/P90).
    * ``monthly``: long table importer, month, metric, p10, p50, p90 (metrics in :data:`MONTHLY_METRICS`).
    * ``market``: month, metric (price_pressure, pool_t, replaced_t, withheld_t), p10, p50, p90.
    * ``downstream``: importer, sector, units at risk P10/P50/P90 (upper bound; see docs/stress.md).
    * ``suppliers``: alternative suppliers' extra deliveries over the horizon (P10/P50/P90 tonnes).
    """

    run_id: str
    scenario: Scenario
    meta: dict[str, Any]
    summary: pd.DataFrame
    monthly: pd.DataFrame
    market: pd.DataFrame
    downstream: pd.DataFrame
    suppliers: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)

    # ------------------------------------------------------------------ views
    def importer_json(self, importer: str) -> dict[str, Any]:
        row = self.summary.loc[self.summary["importer"] == importer].iloc[0]
        out: dict[str, Any] = {"importer": importer}
        for col in self.summary.columns:
            if col != "importer":
                out[col] = _plain(row[col])
        m = self.monthly[self.monthly["importer"] == importer]
        months = sorted(m["month"].unique().tolist())
        series: dict[str, Any] = {"month": months}
        for metric in MONTHLY_METRICS:
            mm = m[m["metric"] == metric].sort_values("month")
            for q in ("p10", "p50", "p90"):
                series[f"{metric}_{q}"] = [_num(v) for v in mm[q]]
        out["monthly"] = series
        d = self.downstream[self.downstream["importer"] == importer]
        out["downstream"] = [
            {k: _plain(v) for k, v in r.items()}
            for r in d.drop(columns=["importer"]).to_dict(orient="records")
        ]
        return out

    def to_dict(self) -> dict[str, Any]:
        mk: dict[str, Any] = {"month": sorted(self.market["month"].unique().tolist())}
        for metric in self.market["metric"].unique():
            mm = self.market[self.market["metric"] == metric].sort_values("month")
            for q in ("p10", "p50", "p90"):
                mk[f"{metric}_{q}"] = [_num(v) for v in mm[q]]
        return {
            "run_id": self.run_id,
            "scenario": self.scenario.model_dump(mode="json"),
            "meta": self.meta,
            "importers": [self.importer_json(i) for i in self.summary["importer"]],
            "market": mk,
            "suppliers": [
                {k: _plain(v) for k, v in r.items()}
                for r in self.suppliers.to_dict(orient="records")
            ],
        }

    def to_json(self, indent: int | None = 2) -> str:
        import json

        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent, allow_nan=False)

    def table(self) -> pd.DataFrame:
        """The summary as the CLI prints it."""
        cols = ["importer", "targeted", "demand_t", "exposed_t", "shortfall_t_p10", "shortfall_t_p50",
                "shortfall_t_p90", "shortfall_share_p50", "stockout_month_p50"]
        return self.summary[cols]

    # ------------------------------------------------------------------ outputs
    def chart(self, path, importers: list[str] | None = None, lang: str = "en", offline: bool = True):
        from critmin.stress.chart import write_chart

        return write_chart(self, path, importers=importers, lang=lang, offline=offline)

    def save(self, warehouse=None) -> str:
        """Store the run (``warehouse``: a writable handle, or a path / None opened for the write)."""
        from critmin.stress.store import save_result

        return save_result(self, warehouse)
