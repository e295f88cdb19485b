"""`Value`: the base of the small immutable classes on the import and hot paths (events).

Plain `__slots__` classes instead of `@attrs.frozen` (docs/design.md §7 gives the measured
reason). A subclass lists its fields in `__slots__` and, in constructor order, in
`__match_args__`, and sets each once in its `__init__` with `object.__setattr__`; equality, hashing,
the repr and pickling come from the slots. Fields named in `hidden=` stay out of the repr
(DP values: decrypted payload). `fields_repr` also serves the plain mutable owners.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

__all__ = ["Value", "fields_repr"]


def fields_repr(obj: object, names: Iterable[str]) -> str:
    """`Name(a=1, b='x')`: the fields `names` of `obj` (leave out keys and payload)."""
    shown = ", ".join(f"{name}={getattr(obj, name)!r}" for name in names)
    return f"{type(obj).__name__}({shown})"


class Value:
    """Immutable: assignment and deletion raise AttributeError. Compared, hashed and
    shown by its fields (`__match_args__`)."""

    __slots__: tuple[str, ...] = ()
    __match_args__: tuple[str, ...] = ()  # the fields, in constructor order
    _shown: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, *, hidden: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._shown = tuple(name for name in cls.__match_args__ if name not in hidden)

    def _fields(self) -> tuple[object, ...]:
        return tuple([getattr(self, name) for name in self.__match_args__])

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash((self.__class__, *self._fields()))

    def __repr__(self) -> str:
        return fields_repr(self, self._shown)

    def __reduce__(self) -> tuple[type[Value], tuple[object, ...]]:
        return self.__class__, self._fields()
