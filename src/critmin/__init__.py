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


# The Python API (critmin.api), resolved on first use. monitor and stress are subpackages made callable
# (critmin.lazy.callable_module), so ``critmin.monitor(...)`` works whether or not the package was imported.
_API = {name: ("critmin.api", name) for name in
        ("Result", "dependency", "suppliers", "crma", "geopolrisk", "reliance", "production")}
_PACKAGES = ("monitor", "stress")


def __getattr__(name: str):
    if name in _API:
        import importlib

        module, attr = _API[name]
        return getattr(importlib.import_module(module), attr)
    if name in _PACKAGES:
        import importlib

        return importlib.import_module(f"critmin.{name}")
    raise AttributeError(f"module 'critmin' has no attribute {name!r}")


__all__ = ["__version__", "open", "build", *_API, *_PACKAGES]
