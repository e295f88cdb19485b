"""Logs go to stderr, through click and escaped like all output (`say`), so they follow a
redirected or captured stderr."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from ._text import say

__all__ = ["LOGGERS", "logging_to_stderr", "set_verbosity"]

LOGGERS = ("tuyaface", "tuyaface_codec", "tuyaface_transport")
_LEVELS = (logging.WARNING, logging.INFO, logging.DEBUG)


class _StderrHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            say(self.format(record), err=True)
        except Exception:  # logging must never break the command
            self.handleError(record)


def set_verbosity(verbose: int) -> None:
    """0: warnings and errors, 1 (-v): progress, 2 (-vv): debugging detail."""
    level = _LEVELS[min(verbose, len(_LEVELS) - 1)]
    for name in LOGGERS:
        logging.getLogger(name).setLevel(level)


@contextlib.contextmanager
def logging_to_stderr() -> Iterator[None]:
    """Route the packages' logs to stderr for one run of the command, then restore."""
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    loggers = [logging.getLogger(name) for name in LOGGERS]
    saved = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
    set_verbosity(0)
    try:
        yield
    finally:
        for logger, level in zip(loggers, saved, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
