"""Unit-value screen: mark trade rows whose price per tonne is implausible for their product and year.

A mis-keyed quantity (kg typed as tonnes, a missing decimal) shows as a unit value orders of magnitude away
from the other flows of the same HS6 code and year; such rows distort every quantity-based indicator. The
screen keeps the row and marks it (``trade.uv_flag`` = ``high`` or ``low``), so a reader can drop or keep it.

Method: per (hs6, year), the median m and the median absolute deviation MAD of ln(value / quantity) over rows
with both positive; a row is flagged when |ln uv − m| > z · 1.4826 · MAD (1.4826 scales MAD to a standard
deviation for normal data). z is the setting ``uv_screen_z`` (default 5): an ASSUMPTION, no published
threshold stands behind it. Slices with fewer than ``MIN_ROWS`` priced rows, or MAD = 0, are not screened.
"""

from __future__ import annotations

MIN_ROWS = 20  # ASSUMPTION: below this a median and MAD of one slice say little
METHOD = ("unit-value screen: |ln(v/q) − median| > {z} × 1.4826 × MAD within HS6 × year "
          "(at least {n} priced rows); ASSUMPTION: threshold z = {z} has no published source")


def method_note(z: float | None = None) -> str:
    from critmin.settings import get

    return METHOD.format(z=get("uv_screen_z", z), n=MIN_ROWS)


def screen_unit_values(con, z: float | None = None, table: str = "trade") -> int:
    """Set ``uv_flag`` on every row of ``table`` (``trade`` at build, or an ingest's staged rows, which after the
    supersede are the only rows of their HS6-year slices); returns the number of rows flagged. ``table`` is a
    name chosen by critmin, never data."""
    from critmin.settings import get

    z = float(get("uv_screen_z", z))
    con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS uv_flag VARCHAR")
    con.execute(f"UPDATE {table} SET uv_flag = NULL WHERE uv_flag IS NOT NULL")
    con.execute(f"""
        WITH priced AS (
            SELECT year, hs6, ln(value_kusd / qty_t) AS luv FROM {table} WHERE value_kusd > 0 AND qty_t > 0),
        med AS (SELECT year, hs6, median(luv) AS m, count(*) AS n FROM priced GROUP BY ALL HAVING count(*) >= $n),
        stats AS (
            SELECT p.year, p.hs6, any_value(med.m) AS m, 1.4826 * median(abs(p.luv - med.m)) AS s
            FROM priced p JOIN med USING (year, hs6) GROUP BY ALL)
        UPDATE {table} t SET uv_flag = CASE WHEN ln(t.value_kusd / t.qty_t) > stats.m THEN 'high' ELSE 'low' END
        FROM stats
        WHERE t.year = stats.year AND t.hs6 = stats.hs6 AND stats.s > 0
          AND t.value_kusd > 0 AND t.qty_t > 0
          AND abs(ln(t.value_kusd / t.qty_t) - stats.m) > $z * stats.s""", {"z": z, "n": MIN_ROWS})
    return con.execute(f"SELECT count(*) FROM {table} WHERE uv_flag IS NOT NULL").fetchall()[0][0]
