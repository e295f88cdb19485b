"""mqtts://: the bridge on a TLS-only mosquitto listener, trusting a test CA (`ca_file`)."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
import os
import ssl
from collections.abc import Iterator
from pathlib import Path

import aiomqtt
import attrs
import pytest
from bridgekit import bridge_config, home, running
from simkit import PATIENCE

from tuyaface.bridge.broker import LocalBroker, broker_kind
from tuyaface.bridge.config import BridgeConfig
from tuyaface.bridge.runner import Bridge

x509 = pytest.importorskip("cryptography.x509")
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402


def _certificate(subject: str, key: ec.EllipticCurvePrivateKey, issuer: str,
                 signer: ec.EllipticCurvePrivateKey, ca: bool) -> bytes:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    return builder.sign(signer, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def tls_broker(tmp_path: Path) -> Iterator[LocalBroker]:
    if broker_kind() != "mosquitto" or os.environ.get("TUYAFACE_TEST_BROKER") == "amqtt":
        pytest.skip("the TLS test needs mosquitto (amqtt: not tried)")
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(
        ec.SECP256R1())
    files = (tmp_path / "ca.pem", tmp_path / "server.pem", tmp_path / "server.key")
    files[0].write_bytes(_certificate("test CA", ca_key, "test CA", ca_key, ca=True))
    files[1].write_bytes(_certificate("127.0.0.1", server_key, "test CA", ca_key, ca=False))
    files[2].write_bytes(server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    with LocalBroker("mosquitto", tls=files) as broker:
        yield broker


def tls_config(broker: LocalBroker, base: str, home_configs: list[object]) -> BridgeConfig:
    config = bridge_config(broker, base, home_configs)  # type: ignore[arg-type]
    assert broker.tls is not None and config.mqtt.tls
    return attrs.evolve(config, mqtt=attrs.evolve(config.mqtt, ca_file=str(broker.tls[0])))


async def test_bridge_over_tls(tls_broker: LocalBroker) -> None:
    assert tls_broker.tls is not None
    context = await asyncio.to_thread(ssl.create_default_context, cafile=str(tls_broker.tls[0]))
    with pytest.raises(aiomqtt.MqttError):  # the listener speaks TLS only
        async with aiomqtt.Client(tls_broker.host, tls_broker.port, timeout=2):
            pass
    async with home(1) as house:
        bridge = Bridge(tls_config(tls_broker, "tls1", house.configs))  # type: ignore[arg-type]
        async with (
            running(bridge),
            aiomqtt.Client(tls_broker.host, tls_broker.port, tls_context=context) as client,
        ):
            await client.subscribe("tls1/#")
            await client.publish("tls1/d0/set", json.dumps({"1": True}), qos=1)
            seen: dict[str, object] = {}
            async with asyncio.timeout(PATIENCE):
                async for message in client.messages:
                    seen[str(message.topic)] = json.loads(bytes(message.payload or b"null"))
                    if seen.get("tls1/d0") == {"1": True, "2": 10}:
                        break
            assert seen["tls1/bridge/state"] == {"state": "online"}
