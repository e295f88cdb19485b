"""`Running`: `with` starts and stops, for things that run in the background."""

from __future__ import annotations

from types import TracebackType
from typing import Self

__all__ = ["Running"]


class Running:
    """`with` calls `start()` on entry and `stop()` on exit: subclasses define both."""

    def start(self) -> object:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
