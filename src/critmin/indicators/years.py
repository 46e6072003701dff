"""Year selections shared by every indicator command: '2015-2024', '2018,2020', 2024 or a list."""

from __future__ import annotations

from critmin.errors import UsageError


def parse_years(spec: str | int | list[int] | None) -> list[int] | None:
    """Sorted list of years, or None for 'all years'."""
    if spec is None or spec == "":
        return None
    if isinstance(spec, int):
        return [spec]
    if not isinstance(spec, str):
        return sorted({int(y) for y in spec})
    out: set[int] = set()
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        lo, dash, hi = part.partition("-")
        if not lo.isdigit() or (dash and not hi.isdigit()) or (hi and int(hi) < int(lo)):
            raise UsageError(f"years '{spec}': expected e.g. 2015-2024, 2018,2020 or 2024")
        out.update(range(int(lo), int(hi or lo) + 1))
    return sorted(out)
