"""`tuyaface bridge`: Tuya devices on MQTT (the `bridge` extra), or `--demo`."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ._errors import ConfigError
from ._group import main
from ._schema import DEFINITIONS_ENV

if TYPE_CHECKING:
    from ..bridge.config import BridgeConfig

__all__ = ["bridge"]

SETTLE = 60.0
EXTRA = 'tuyaface bridge needs the "bridge" extra: pip install "tuyaface-client[bridge]"'


@main.command()
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="bridge.yaml (see the README's Bridge section).")
@click.option("--devices", "devices_file", type=click.Path(dir_okay=False, path_type=Path),
              help="devices.json (tinytuya's format), with --mqtt: the short form.")
@click.option("--mqtt", "mqtt_url", metavar="URL",
              help="mqtt://user:pass@host:1883 (mqtts:// for TLS).")
@click.option("--base-topic", help="Topic prefix [default: tuyaface].")
@click.option("--shard", metavar="I/N", help="Bridge only the devices whose id hashes to I of N.")
@click.option("--bridge-id", help="This instance's bridge topics: <base>/<bridge-id>/...")
@click.option("--definitions", "definition_folders", multiple=True, envvar=DEFINITIONS_ENV,
              show_envvar=True, metavar="FOLDER", type=click.Path(exists=True, file_okay=False),
              help="A folder of definition files (ours or tuya-local's); wins over "
                   "bridge.yaml's definitions.")
@click.option("--demo", is_flag=True,
              help="A simulated home and a local broker on 127.0.0.1; prints the traffic, exits.")
def bridge(
    config_file: Path | None,
    devices_file: Path | None,
    mqtt_url: str | None,
    base_topic: str | None,
    shard: str | None,
    bridge_id: str | None,
    definition_folders: tuple[str, ...],
    demo: bool,
) -> None:
    """Bridge Tuya devices to MQTT (zigbee2mqtt's topics, Home Assistant discovery)."""
    try:
        from ..bridge import config as bridge_config
        from ..bridge.errors import BridgeConfigError
        from ..bridge.runner import Bridge
    except ImportError as exc:
        raise ConfigError(f"{EXTRA} (missing: {exc.name})") from None
    if demo:
        from ..bridge.demo import run_demo

        run_demo(click.echo)
        return
    try:
        config = _config(config_file, devices_file, mqtt_url,
                         base_topic=base_topic, bridge_id=bridge_id,
                         definitions=bridge_config.load_definition_folders(definition_folders),
                         shard=bridge_config.Shard.parse(shard) if shard else None)
    except BridgeConfigError as exc:
        raise ConfigError(str(exc)) from None
    click.echo(f"bridging {len(config.owned_devices())} devices to "
               f"{config.mqtt.host}:{config.mqtt.port} under {config.base_topic}/", err=True)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(Bridge(config)))


def _config(config_file: Path | None, devices_file: Path | None,
            mqtt_url: str | None, **overrides: Any) -> BridgeConfig:
    from ..bridge import config as module

    if config_file is not None:
        if mqtt_url is not None:
            overrides["mqtt"] = module.parse_mqtt_url(mqtt_url)
        return module.load_yaml(config_file, **overrides)
    if devices_file is None or mqtt_url is None:
        raise ConfigError("give --config bridge.yaml, or --devices devices.json and --mqtt URL")
    overrides = {key: value for key, value in overrides.items() if value is not None}
    return module.BridgeConfig(
        mqtt=module.parse_mqtt_url(mqtt_url),
        devices=module.load_devices_json(devices_file),
        **overrides,
    )


async def _run(bridge: Any) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, bridge.stop)
    freezer = loop.create_task(_freeze_when_settled(bridge))
    try:
        await bridge.run()
    finally:
        freezer.cancel()


async def _freeze_when_settled(bridge: Any) -> None:
    """Once every device had its first connection (or after SETTLE s): `gc.freeze()`. The
    long-lived objects (devices, connections) leave the collector's sight, so a full
    collection no longer pauses the loop (70-180 ms at 1,000 devices: bench/bridge.py)."""
    await bridge.connected.wait()
    deadline = asyncio.get_running_loop().time() + SETTLE
    while bridge.online_count() < len(bridge.devices):
        if asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.5)
    gc.collect()
    gc.freeze()
