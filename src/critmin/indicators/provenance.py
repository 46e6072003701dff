"""Provenance ids carried by indicator results, so explain, monitor and the fact check read them off the result.

A result row of year t carries the ids of the provenance records that feed year t of the tables it is computed
from (:meth:`critmin.warehouse.handle.Warehouse.provenance_years`, a lookup table written when the data are
built or ingested, not a scan of the trade table per call), ';'-joined in a ``provenance_ids`` column.
"""

from __future__ import annotations

SEP = ";"


def by_year(wh, tables: tuple[str, ...] = ("trade",)) -> dict[int, str]:
    """Year -> ';'-joined provenance ids of the rows of ``tables`` in that year (sorted, no repeats)."""
    ids: dict[int, set[str]] = {}
    for table in tables:
        for year, pid in wh.provenance_years(table):
            ids.setdefault(int(year), set()).add(str(pid))
    return {y: SEP.join(sorted(v)) for y, v in ids.items()}


def add_provenance(df, wh, tables: tuple[str, ...] = ("trade",)):
    """``df`` (a DataFrame or :class:`~critmin.tabletext.Rows`) with a ``provenance_ids`` column from its
    ``year`` column."""
    from critmin.tabletext import Rows

    ids = by_year(wh, tables)
    if isinstance(df, Rows):
        y = df.columns.index("year")
        return Rows([*df.columns, "provenance_ids"], [(*r, ids.get(int(r[y]), "")) for r in df.rows], df.numeric)
    df["provenance_ids"] = df["year"].astype(int).map(ids).fillna("") if len(df) else ""
    return df


def split(ids) -> list[str]:
    """The list behind a ``provenance_ids`` cell."""
    return [i for i in str(ids or "").split(SEP) if i]
