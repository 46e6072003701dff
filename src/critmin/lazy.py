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
