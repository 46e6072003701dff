"""The quick form: a scenario from command-line style arguments."""

from __future__ import annotations

from critmin.stress.scenario import Scenario, parse_scenario


def quick_scenario(supplier: str, material: str, cut: float, months: int, *, stage: str | None = None,
                   importers: list[str] | None = None, targets: list[str] | None = None,
                   exempt: list[str] | None = None, year: int = 2024, draws: int = 10_000, seed: int | None = 0,
                   start_month: int = 1, horizon_months: int | None = None,
                   allocation: str = "ties") -> Scenario:
    """A scenario with default parameters (docs/stress.md) for one supplier, material, cut and duration."""
    if targets and exempt:
        from critmin.errors import UsageError

        raise UsageError("give either --target or --exempt, not both")
    tg = {"only": targets} if targets else ({"except": exempt} if exempt else "all")
    data = {
        "name": f"quick_{supplier}_{material}_{stage or 'all'}_{cut:g}_{months}m".lower(),
        "shock": {"supplier": supplier, "material": material, "stage": stage, "cut": cut, "targets": tg,
                  "start_month": start_month, "duration_months": months},
        "baseline": {"year": year},
        "horizon_months": horizon_months,
        "importers": importers,
        "parameters": {"allocation": allocation},
        "draws": draws,
        "seed": seed,
    }
    return parse_scenario(data, "<command line>")
