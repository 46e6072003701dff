"""Area tables in the warehouse (``monitor_*``, ``stress_*``, ``incident_*``): open the file, create the tables
if missing and apply a change in one transaction, so a reader never sees half of a run or an incident.

The warehouse build does not use this module; areas that keep their own tables in the warehouse do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from critmin.warehouse.handle import Warehouse

T = TypeVar("T")


def open_warehouse(warehouse=None, read_only: bool = True) -> Warehouse:
    """The warehouse at ``warehouse`` (a path, or None for --warehouse / CRITMIN_WAREHOUSE / the default)."""
    from critmin.warehouse.handle import Warehouse

    return Warehouse.open(None if warehouse is None else str(warehouse), read_only=read_only)


def transaction(warehouse, ddl: Iterable[str], fn: Callable[[Any], T], command: str = "write") -> T:
    """Run each ``create table if not exists`` statement in ``ddl``, then ``fn(con)`` inside one transaction
    (rolled back if it raises); returns what ``fn`` returns.

    ``warehouse`` is the command's writable :class:`Warehouse` handle (used as it is, left open) or a path /
    None, opened for writing and closed here — so a store writes through the handle its command opened.
    """
    from critmin.warehouse.handle import using

    with using(warehouse, read_only=False, command=command) as wh:
        for stmt in ddl:
            wh.con.execute(stmt)
        with wh.transaction() as con:
            return fn(con)


def insert_row(con, table: str, row: dict[str, Any]) -> None:
    """Insert one row given as {column: value}."""
    cols = list(row)
    con.execute(f"insert into {table} ({', '.join(cols)}) values ({', '.join('?' * len(cols))})",
                [row[c] for c in cols])


def insert_frame(con, table: str, df: pd.DataFrame, cols: list[str]) -> None:
    """Insert the columns ``cols`` of a DataFrame (by name)."""
    view = f"_critmin_insert_{table}"
    con.register(view, df)
    try:
        con.execute(f"insert into {table} ({', '.join(cols)}) select {', '.join(cols)} from {view}")
    finally:
        con.unregister(view)


def delete_where(con, tables: Iterable[str], column: str, value: Any) -> None:
    """Delete the rows whose ``column`` equals ``value`` from each table (replacing a run saved again)."""
    for table in tables:
        con.execute(f"delete from {table} where {column} = ?", [value])
