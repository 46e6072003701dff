"""Lazy package attributes: a package lists ``{name: (module, attribute)}`` and the module is imported only when
the name is first used, so importing the package loads nothing (house rule 1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def lazy_getattr(package: str, names: dict[str, tuple[str, str]]) -> Callable[[str], Any]:
    """A module-level ``__getattr__`` resolving ``names`` on first use."""

    def __getattr__(name: str) -> Any:
        if name in names:
            import importlib

            module, attr = names[name]
            return getattr(importlib.import_module(module), attr)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__


def callable_module(name: str, target: str, attr: str) -> None:
    """Make the package ``name`` callable as ``target.attr`` (imported on the first call).

    ``critmin.monitor`` and ``critmin.stress`` are both subpackages and, in the Python API, functions
    (``critmin.monitor(...)``). Importing a subpackage sets it as an attribute of its parent, which would hide a
    function of the same name, so the package itself answers the call instead.
    """
    import sys
    import types

    module = sys.modules[name]

    class _CallableModule(types.ModuleType):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            import importlib

            return getattr(importlib.import_module(target), attr)(*args, **kwargs)

    _CallableModule.__call__.__doc__ = f"Same as {target}.{attr}."
    module.__class__ = _CallableModule
