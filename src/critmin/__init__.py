"""critmin — critical-minerals supply-chain intelligence (关键矿产供应链情报).

Importing this package does nothing but define names: no disk, network or logging work happens until a
function is called (house rule 1). Heavy modules are imported inside the functions that need them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from critmin.warehouse.handle import Warehouse


def open(path: str | None = None) -> Warehouse:  # noqa: A001 - the public name the issue asks for
    """Open the warehouse at ``path`` (else ``$CRITMIN_WAREHOUSE``, else the per-user default).

    Returns a :class:`critmin.warehouse.handle.Warehouse` whose tables come out as Arrow, pandas or polars.
    Raises :class:`critmin.errors.WarehouseMissing` if nothing has been built there yet.
    """
    from critmin.warehouse.handle import Warehouse

    return Warehouse.open(path)


def build(path: str | None = None, **kwargs):
    """Build the warehouse from the bundled data (see :func:`critmin.warehouse.build.build_warehouse`)."""
    from critmin.warehouse.build import build_warehouse

    return build_warehouse(path, **kwargs)


__all__ = ["__version__", "open", "build"]
