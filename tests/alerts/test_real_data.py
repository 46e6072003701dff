"""On the real bundled data: EU27 rare-earth metals (HS 280530) from China raise the CRMA alert in 2024
with the indicator core's own numbers."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_eu27_rare_earth_metals_crma_alert_2024(built_warehouse):
    indicators = pytest.importorskip("critmin.indicators.dependency")
    from critmin.alerts import evaluate, load_rules, series_from_dependency

    dep = indicators.dependency("EU27", "rare_earths", stage="metal", years="2020-2024", basis="qty",
                                warehouse=built_warehouse)
    series = series_from_dependency(dep, vintage="bundled")
    alerts = [a for a in evaluate(load_rules(), series, as_of="2025-12-01")
              if a.rule_id == "crma_single_country_share" and a.period == "2024"]
    assert alerts, "no CRMA alert for EU27 rare-earth metals in 2024"
    [a] = alerts
    row = dep[dep.year == 2024].iloc[0]
    # 96.4 % in 2023, 92.6 % in 2024: a standing breach of the 65 % benchmark, reported one level lower
    assert a.supplier == "CHN" and a.level == "yellow"
    assert a.extra["full_level"] == "orange" and a.threshold == 65
    assert a.value == pytest.approx(row.top1_share * 100)
    assert "eu-2024-crma" in a.cited_events and "chn-2025-no18-medium-heavy-ree" not in a.cited_events
    control = [a for a in evaluate(load_rules(), series, as_of="2025-12-01")
               if a.rule_id == "export_control_dependency"]
    assert {e["event_id"] for c in control for e in c.extra["events"]} == {"chn-2025-no18-medium-heavy-ree"}
    assert all(c.level == "red" for c in control)
