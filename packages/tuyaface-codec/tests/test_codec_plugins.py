"""Versions and crypto backends are plugins: outside ones register exactly like the built-ins."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import codec_plugin_v99
import pytest
from codec_support import BUILTIN_VERSIONS, CountingBackend

import tuyaface_codec
from tuyaface_codec import (
    CryptoBackend,
    Frame,
    RequestKind,
    UnknownProtocolError,
    available_backends,
    default_backend,
    get_backend,
    get_protocol,
    hookimpl,
    protocols,
)
from tuyaface_codec.plugins import DISABLE_ENV, make_plugin_manager, use_plugin_manager

pytestmark = pytest.mark.usefixtures("fresh_plugins")


def test_builtin_versions() -> None:
    assert protocols() == list(BUILTIN_VERSIONS)
    for tag in BUILTIN_VERSIONS:
        assert get_protocol(tag).version == tag


@pytest.mark.parametrize("tag", [3.3, "3.6", "", "v3.3", None])
def test_unknown_versions(tag: object) -> None:
    with pytest.raises(UnknownProtocolError, match=r"3\.3"):
        get_protocol(tag)  # type: ignore[arg-type]


def test_a_plugin_in_the_tests_adds_version_9_9(crypto: CryptoBackend) -> None:
    assert "9.9" not in protocols()
    with pytest.raises(UnknownProtocolError):
        get_protocol("9.9")
    assert tuyaface_codec.register(codec_plugin_v99) is not None
    assert protocols() == [*BUILTIN_VERSIONS, "9.9"]
    version = get_protocol("9.9", crypto=crypto)
    assert version.version == "9.9"
    key = b"0123456789abcdef"
    frame = version.build_request(RequestKind.SET, seqno=5, dev_id="dev", t=1, dps={"1": True})
    wire = version.encode_frame(frame, key=key)
    assert wire[16:19] == b"9.9"  # its own version header, in clear like 3.3
    assert version.decode_frame(wire, key=key, from_device=False) == frame
    decoder = tuyaface_codec.FrameDecoder(version, key=key, from_device=False)
    assert decoder.feed(wire[:7]) + decoder.feed(wire[7:]) == [frame]


def test_the_codec_itself_knows_nothing_of_9_9() -> None:
    package = Path(tuyaface_codec.__file__).parent
    for path in package.rglob("*.py"):
        assert "9.9" not in path.read_text(encoding="utf-8"), path
    assert Path(codec_plugin_v99.__file__).parent == Path(__file__).parent


def test_a_plugin_module_can_be_listed_by_path() -> None:
    manager = make_plugin_manager(builtins={"v99": "codec_plugin_v99"}, load_entry_points=False)
    use_plugin_manager(manager)
    assert "9.9" in protocols()


def test_disable_plugins_blocks_a_builtin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DISABLE_ENV, "v31, v32")
    use_plugin_manager(make_plugin_manager())
    assert protocols() == ["3.3", "3.4", "3.5"]
    with pytest.raises(UnknownProtocolError):
        get_protocol("3.1")


def test_disabling_the_crypto_plugin_leaves_no_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DISABLE_ENV, "crypto")
    use_plugin_manager(make_plugin_manager())
    assert available_backends() == {}
    with pytest.raises(UnknownProtocolError, match="pycryptodome"):
        default_backend()


def test_the_default_manager_comes_back() -> None:
    use_plugin_manager(None)
    assert protocols() == list(BUILTIN_VERSIONS)


# Crypto backends


def test_both_backends_are_installed_and_cryptography_is_preferred(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TUYAFACE_CRYPTO_BACKEND", raising=False)
    assert list(available_backends()) == ["cryptography", "pycryptodome"]
    assert default_backend().name == "cryptography"
    assert get_protocol("3.5").backend().name == "cryptography"


@pytest.mark.parametrize("name", ["pycryptodome", "cryptography"])
def test_env_var_picks_the_backend(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv("TUYAFACE_CRYPTO_BACKEND", name)
    assert default_backend().name == name
    assert get_protocol("3.3").backend().name == name
    assert tuyaface_codec.FrameDecoder(
        get_protocol("3.4"), key=b"0123456789abcdef", from_device=True
    ).protocol.backend().name == name


def test_env_var_naming_a_missing_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUYAFACE_CRYPTO_BACKEND", "openssl-please")
    with pytest.raises(UnknownProtocolError, match="openssl-please"):
        default_backend()
    with pytest.raises(UnknownProtocolError):
        get_backend("nope")


def test_without_cryptography_pycryptodome_is_used() -> None:
    """What a plain `pip install tuyaface-codec` (no [fast] extra) gets. A fresh process: the
    built-in backends are imported with the codec."""
    script = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
sys.modules["cryptography"] = None  # `import cryptography...` fails
from tuyaface_codec import available_backends, default_backend, get_protocol
from vectors import frame_bytes, frame_key, frame_vectors, from_device, plaintext
assert list(available_backends()) == ["pycryptodome"], available_backends()
assert default_backend().name == "pycryptodome"
for vector in frame_vectors():
    frame = get_protocol(vector["version"]).decode_frame(
        frame_bytes(vector), key=frame_key(vector), from_device=from_device(vector)
    )
    assert frame.payload == plaintext(vector)
"""
    env = {k: v for k, v in os.environ.items() if k != "TUYAFACE_CRYPTO_BACKEND"}
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60, env=env)


def test_pycryptodome_is_not_imported_when_cryptography_is_used() -> None:
    script = """
import sys
from tuyaface_codec import default_backend, get_protocol, Frame
assert default_backend().name == "cryptography"
get_protocol("3.5").encode_frame(Frame(1, 7, b"{}"), key=b"0123456789abcdef", iv=bytes(12))
assert "Crypto" not in sys.modules and "cffi" not in sys.modules, "pycryptodome imported"
"""
    env = {k: v for k, v in os.environ.items() if k != "TUYAFACE_CRYPTO_BACKEND"}
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60, env=env)


class FavouriteBackend(CountingBackend):
    """An outside backend plugin with a higher priority than the built-ins."""

    @hookimpl
    def tuyaface_provide_crypto_backends(self) -> list[CryptoBackend]:
        return [self]


def test_an_outside_backend_plugin_wins_by_priority(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TUYAFACE_CRYPTO_BACKEND", raising=False)
    favourite = FavouriteBackend(get_backend("pycryptodome"), priority=100)
    tuyaface_codec.register(favourite, name="favourite")
    assert default_backend() is favourite
    key = b"0123456789abcdef"
    wire = get_protocol("3.3").encode_frame(Frame(1, 7, b"{}"), key=key)
    assert favourite.calls["ecb_encrypt"] == 1
    assert get_backend("counting-pycryptodome") is favourite
    assert get_protocol("3.3").decode_frame(wire, key=key, from_device=False).payload == b"{}"


def test_an_outside_version_can_be_built_from_public_parts() -> None:
    from tuyaface_codec import Frame, get_backend, parts

    protocol = parts.Protocol(
        version="9.8",
        layout=parts.LAYOUT_55AA_CRC,
        cipher=parts.ClearHeaderEcbCipher(b"9.8"),
        header_rule=parts.STANDARD_HEADER_RULE,
        requests=parts.LegacyRequests(),
        broadcast=parts.Broadcast(port=6667, cmd=19, layout=parts.LAYOUT_55AA_CRC, ecb=True),
    ).with_crypto(get_backend("pycryptodome"))
    frame = Frame(seqno=7, cmd=7, payload=b'{"dps":{"1":true}}')
    wire = protocol.encode_frame(frame, key=b"0123456789abcdef")
    assert wire[16:19] == b"9.8"  # the clear version header carries the new tag
    assert protocol.decode_frame(wire, key=b"0123456789abcdef", from_device=False) == frame


def test_bad_frame_fields_are_codec_errors() -> None:
    from tuyaface_codec import Frame, FrameError

    with pytest.raises(FrameError):
        Frame(seqno=-1, cmd=7)
    with pytest.raises(FrameError):
        Frame(seqno=1, cmd=7, retcode=2**32)
