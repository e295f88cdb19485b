"""`tuyaface scan`: find devices on the local network."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import click

from tuyaface_codec.errors import NetworkError

from ..discovery._options import BROADCAST_PORTS, LAN_BROADCAST, REPLY_PORT, ScanOptions
from ._errors import ConfigError
from ._group import emit_json, json_option, main
from ._show import table
from ._text import say

if TYPE_CHECKING:
    from ..discovery import DiscoveredDevice

__all__ = ["scan"]

_PORT = click.IntRange(0, 65535)


@main.command(short_help="Find devices on the local network.")
@click.option(
    "--timeout", type=click.FloatRange(min=0, min_open=True), default=6.0, show_default=True,
    help="Seconds to listen.",
)
@click.option("--id", "wanted_id", help="Stop as soon as this device id is found.")
@click.option("--count", type=click.IntRange(min=1), metavar="N", help="Stop after N devices.")
@click.option(
    "--broadcast-address", default=LAN_BROADCAST, show_default=True, metavar="ADDRESS",
    help="Where the 3.5 discovery request goes.",
)
@click.option("--no-request", is_flag=True, help="Only listen: send no 3.5 discovery request.")
@click.option(
    "--bind", default="0.0.0.0", show_default=True, metavar="ADDRESS",
    help="The local address to listen on.",
)
@click.option(
    "--plain-port", type=_PORT, default=BROADCAST_PORTS[0], show_default=True,
    help="UDP port of plain 3.1 broadcasts (0: any free port, for tests).",
)
@click.option(
    "--encrypted-port", type=_PORT, default=BROADCAST_PORTS[1], show_default=True,
    help="UDP port of encrypted 3.2 - 3.5 broadcasts.",
)
@click.option(
    "--reply-port", type=_PORT, default=REPLY_PORT, show_default=True,
    help="UDP port where 3.5 devices answer the request.",
)
@click.option(
    "--request-port", type=click.IntRange(1, 65535), default=REPLY_PORT, show_default=True,
    help="UDP port the 3.5 request is sent to.",
)
@json_option
def scan(
    timeout: float,
    wanted_id: str | None,
    count: int | None,
    broadcast_address: str,
    no_request: bool,
    bind: str,
    plain_port: int,
    encrypted_port: int,
    reply_port: int,
    request_port: int,
    as_json: bool,
) -> None:
    """Find devices on the local network: listen for their broadcasts (UDP 6666, 6667) and
    ask 3.5 devices to answer (UDP 7000). Devices are reported on stderr as they are found,
    then listed on stdout (with --json: a JSON list). Ctrl-C stops early.
    """
    options = ScanOptions(
        host=bind,
        broadcast_ports=(plain_port, encrypted_port),
        reply_port=None if no_request else reply_port,
        request_address=None if no_request else broadcast_address,
        request_port=request_port,
    )
    say(f"scanning for {timeout:g} s ...", err=True)
    found: list[DiscoveredDevice] = []
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_scan(options, timeout, wanted_id, count, found))
    if as_json:
        emit_json([device.as_dict() for device in found])
    elif found:
        rows = [(d.id, d.ip, d.version or "?", d.product_key or "") for d in found]
        say(table(("ID", "IP", "VERSION", "PRODUCT KEY"), rows, indent=""))
    else:
        say(f"no devices found in {timeout:g} s", err=True)


async def _scan(
    options: ScanOptions,
    timeout: float,
    wanted_id: str | None,
    count: int | None,
    found: list[DiscoveredDevice],
) -> None:
    from ..discovery import Scanner  # loaded by this command only

    scanner = Scanner(options)
    try:
        await scanner.open()
    except NetworkError as exc:
        raise ConfigError(
            f"{exc}: another program may hold that port exclusively; stop it, or choose other "
            "ports (--plain-port, --encrypted-port, --reply-port)"
        ) from None
    async with scanner, contextlib.aclosing(scanner.scan(timeout, wanted_id=wanted_id)) as devices:
        async for device in devices:
            found.append(device)
            say(
                f"found {device.id} at {device.ip} (protocol {device.version or '?'})", err=True
            )
            if count is not None and len(found) >= count:
                return
