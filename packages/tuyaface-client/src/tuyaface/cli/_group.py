"""The `tuyaface` click group, shared options and how errors become exit codes."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from tuyaface_codec.errors import (
    CodecError,
    ConnectError,
    DeviceBusyError,
    DeviceError,
    HandshakeError,
    Timeout,
    TuyaError,
)

__all__ = ["EXIT_CODES", "TuyafaceGroup", "exit_code", "json_option", "main", "output"]

# Most specific first; anything else from our tree is 1, click usage errors are 2.
EXIT_CODES: tuple[tuple[type[TuyaError], int], ...] = (
    (DeviceBusyError, 4),
    (ConnectError, 3),
    (Timeout, 5),
    (HandshakeError, 6),
    (CodecError, 6),
    (DeviceError, 7),
)


def exit_code(error: TuyaError) -> int:
    """The process exit code for an error from our tree."""
    for kind, code in EXIT_CODES:
        if isinstance(error, kind):
            return code
    return 1


class TuyafaceGroup(click.Group):
    """A group whose commands report `TuyaError`s as one line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TuyaError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exit_code(exc))


json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON (one object per line)."
)


def output(as_json: bool, text: str, data: dict[str, Any]) -> None:
    """Print `text`, or `data` as one JSON line with --json."""
    click.echo(json.dumps(data, sort_keys=True) if as_json else text)


@click.group(cls=TuyafaceGroup)
def main() -> None:
    """Control Tuya Wi-Fi devices over the local network (protocol 3.1 - 3.5)."""
