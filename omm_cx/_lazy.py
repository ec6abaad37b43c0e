"""The one style of package entry point: names loaded on first use (PEP 562), so that
importing a package imports nothing heavy (no OpenMM, no mdtraj) until a name is used.

    __getattr__, __dir__, __all__ = lazy_exports(__name__, {"run": "runner", ...})

maps each public name to the module (relative to the package, or absolute with a leading
``omm_cx.``) that defines it; ``{"name": "module:attr"}`` exports ``attr`` as ``name``.
"""

from __future__ import annotations

import importlib
from typing import Callable, Mapping


def lazy_exports(package: str, table: Mapping[str, str]
                 ) -> tuple[Callable[[str], object], Callable[[], list[str]], list[str]]:
    """(``__getattr__``, ``__dir__``, ``__all__``) of ``package`` for ``table``."""
    names = sorted(table)

    def __getattr__(name: str):
        target = table.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attr = target.partition(":")
        full = module if module.startswith("omm_cx.") else f"{package}.{module}"
        return getattr(importlib.import_module(full), attr or name)

    def __dir__() -> list[str]:
        return names

    return __getattr__, __dir__, names
