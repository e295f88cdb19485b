"""`Backoff`: how long to wait before the next reconnection attempt."""

from __future__ import annotations

import random
from collections.abc import Callable

import attrs

__all__ = ["Backoff"]


@attrs.define
class Backoff:
    """Exponential backoff with jitter: about `initial` seconds, times `factor` after each
    failure, at most `maximum`; each delay is moved by up to +-`jitter` (a fraction) so many
    clients do not retry in step. `random` returns floats in [0, 1) (inject it in tests)."""

    initial: float = 1.0
    factor: float = 2.0
    maximum: float = 60.0
    jitter: float = 0.2
    random: Callable[[], float] = attrs.field(default=random.random, repr=False)
    failures: int = attrs.field(default=0, init=False)

    def next_delay(self) -> float:
        """The delay before the next attempt; counts one more failure."""
        base = min(self.maximum, self.initial * self.factor ** min(self.failures, 64))
        self.failures += 1
        spread = 1.0 + self.jitter * (2.0 * self.random() - 1.0)
        return min(self.maximum, max(0.0, base * spread))

    def reset(self) -> None:
        """A connection worked: start again from `initial`."""
        self.failures = 0
