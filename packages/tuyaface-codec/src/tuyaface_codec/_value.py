"""`Value`: the base of the codec's immutable value classes (plain `__slots__` classes).

attrs is not used on the codec's import and frame path: its own import costs about 18 ms and
each class it creates 0.1-0.5 ms (issue 11), and its validators ran on every decoded frame.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, Self

__all__ = ["Value", "fields_repr", "set_fields"]

_set = object.__setattr__


def set_fields(value: object, **fields: object) -> None:
    """Set the slots of a new immutable value (for its `__init__`)."""
    for name, field in fields.items():
        _set(value, name, field)


def fields_repr(obj: object, names: Iterable[str]) -> str:
    """`Name(a=1, b='x')`: the fields `names` of `obj` (leave out keys and payload)."""
    shown = ", ".join(f"{name}={getattr(obj, name)!r}" for name in names)
    return f"{type(obj).__name__}({shown})"


class Value:
    """Immutable, compared and hashed by `_fields` (minus `_uncompared`), shown in repr by
    `_fields` minus `_hidden`; `replace(**changes)` is a copy with some fields changed.

    A subclass lists its fields in `_fields` (also its `__slots__`; in `__init__` order, as
    keywords of its `__init__`) and sets them with `set_fields`; `match` takes them
    positionally in that order (`__match_args__`).
    """

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    _hidden: ClassVar[frozenset[str]] = frozenset()  # secrets, plaintext: never in repr
    _uncompared: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        setattr(cls, "__match_args__", cls._fields)  # noqa: B010 (mypy refuses the plain assignment)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: use replace({name}=...)")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _compared(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields if name not in self._uncompared)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Value)
        return self._compared() == other._compared()

    def __hash__(self) -> int:
        return hash((self.__class__, *self._compared()))

    def __repr__(self) -> str:
        return fields_repr(self, (name for name in self._fields if name not in self._hidden))

    def __reduce__(self) -> tuple[type[Self], tuple[Any, ...]]:  # pickle and copy
        return self.__class__, tuple(getattr(self, name) for name in self._fields)

    def replace(self, **changes: Any) -> Self:
        """A copy with `changes` applied, checked as a new value is (like `attrs.evolve`)."""
        unknown = changes.keys() - set(self._fields)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {sorted(unknown)[0]!r}")
        fields = {name: getattr(self, name) for name in self._fields}
        return type(self)(**{**fields, **changes})

    __replace__ = replace  # copy.replace() (Python 3.13)
