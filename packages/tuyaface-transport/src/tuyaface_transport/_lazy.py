"""`lazy_exports`: a package's public names loaded on first use (PEP 562). The transport,
the client and its discovery package all defer imports this way."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, namespace: dict[str, Any], table: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The `__getattr__` and `__dir__` of `package` (its `namespace` is its globals()).

    `table` maps each lazy name to the relative module holding it (`"Scanner":
    "._scanner"`); a name mapped to its own submodule (`"const": ".const"`) is that module.
    A name loaded once is stored in `namespace`, found directly from then on."""

    def load(name: str) -> Any:
        """The lazily loaded public names (PEP 562)."""
        try:
            module_name = table[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        module = importlib.import_module(module_name, package)
        value = module if module_name == f".{name}" else getattr(module, name)
        namespace[name] = value
        return value

    def names() -> list[str]:
        return sorted({*namespace, *table})

    return load, names
