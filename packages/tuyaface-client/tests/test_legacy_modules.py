"""tuyaface.aescipher, tuyaface.const and tuyaface.helper: the 1.x modules."""

from __future__ import annotations

import json

import pytest
from Crypto.Cipher import AES
from Crypto.Util.Padding import pad
from hypothesis import given
from hypothesis import strategies as st

import tuyaface
from tuyaface import aescipher, const, helper
from tuyaface_codec import Command, DecryptError, Frame, get_protocol

KEY = "0123456789abcdef"
WRONG_KEY = "fedcba9876543210"

# The command numbers tuyaface 1.x exported (its const module).
CONSTANTS_1X = {
    "UDP": 0, "AP_CONFIG": 1, "ACTIVE": 2, "BIND": 3, "RENAME_GW": 4, "RENAME_DEVICE": 5,
    "UNBIND": 6, "CONTROL": 7, "STATUS": 8, "HEART_BEAT": 9, "DP_QUERY": 10,
    "QUERY_WIFI": 11, "TOKEN_BIND": 12, "CONTROL_NEW": 13, "ENABLE_WIFI": 14,
    "DP_QUERY_NEW": 16, "SCENE_EXECUTE": 17, "UDP_NEW": 19, "AP_CONFIG_NEW": 20,
    "LAN_GW_ACTIVE": 240, "LAN_SUB_DEV_REQUEST": 241, "LAN_DELETE_SUB_DEV": 242,
    "LAN_REPORT_SUB_DEV": 243, "LAN_SCENE": 244, "LAN_PUBLISH_CLOUD_CONFIG": 245,
    "LAN_PUBLISH_APP_CONFIG": 246, "LAN_EXPORT_APP_CONFIG": 247,
    "LAN_PUBLISH_SCENE_PANEL": 248, "LAN_REMOVE_GW": 249, "LAN_CHECK_GW_UPDATE": 250,
    "LAN_GW_UPDATE": 251, "LAN_SET_GW_CHANNEL": 252,
}  # fmt: skip


# -- aescipher ---------------------------------------------------------------------------


@given(st.text())
def test_aescipher_round_trip(text: str) -> None:
    for use_base64 in (True, False):
        sealed = aescipher.encrypt(KEY, text.encode("utf-8"), use_base64)
        assert aescipher.decrypt(KEY, sealed, use_base64) == text


@given(st.binary())
def test_aescipher_is_aes_ecb_pkcs7(raw: bytes) -> None:
    expected = AES.new(KEY.encode("latin-1"), AES.MODE_ECB).encrypt(pad(raw, 16))
    assert aescipher.encrypt(KEY, raw, use_base64=False) == expected


def test_aescipher_matches_what_the_codec_puts_in_frames() -> None:
    body = json.dumps({"devId": "x", "dps": {"1": True}}).encode()
    frame = Frame(seqno=1, cmd=Command.CONTROL, payload=body)
    wire33 = get_protocol("3.3").encode_frame(frame, key=KEY.encode())
    sealed = aescipher.encrypt(KEY, body, use_base64=False)
    assert wire33[16 + 15 : -8] == sealed  # after the header and the version header
    wire31 = get_protocol("3.1").encode_frame(frame, key=KEY.encode())
    assert wire31[16 + 3 + 16 : -8] == aescipher.encrypt(KEY, body)  # 3.1: base64


def test_aescipher_accepts_base64_text_and_str_input() -> None:
    sealed = aescipher.encrypt(KEY, '{"a":1}')
    assert aescipher.decrypt(KEY, sealed.decode("ascii")) == '{"a":1}'


@pytest.mark.parametrize(
    ("enc", "use_base64", "match"),
    [
        (aescipher.encrypt(KEY, b"secret payload"), True, "padding|UTF-8"),
        (b"not base64!", True, "not base64"),
        (b"short", False, "not whole AES blocks"),
    ],
)
def test_aescipher_decrypt_failures(enc: bytes, use_base64: bool, match: str) -> None:
    key = WRONG_KEY if use_base64 and b"!" not in enc else KEY
    with pytest.raises(DecryptError, match=match) as info:
        aescipher.decrypt(key, enc, use_base64)
    assert "secret" not in str(info.value)


def test_aescipher_key_must_be_16_characters() -> None:
    with pytest.raises(tuyaface.TuyaError, match="16 characters"):
        aescipher.encrypt("short", b"x")


# -- const -------------------------------------------------------------------------------


def test_const_has_the_1x_names_and_values() -> None:
    for name, value in CONSTANTS_1X.items():
        constant = getattr(const, name)
        assert constant == value
        assert type(constant) is int  # plain ints, as in 1.x


def test_const_cmd_to_string_names_1x_commands_as_1x_did() -> None:
    for name, value in CONSTANTS_1X.items():
        assert const.cmd_to_string[value] == name
    assert const.cmd_to_string[Command.UPDATEDPS] == "UPDATEDPS"  # newer commands too


def test_const_cmd_type_is_the_codec_commands_with_1x_aliases() -> None:
    for command in Command:
        member = const.CMD_TYPE(command.value)
        assert member == command
        assert member.name == command.name
    assert const.CMD_TYPE.BIND is const.CMD_TYPE.SESS_KEY_NEG_START
    assert const.CMD_TYPE.RENAME_GW is const.CMD_TYPE.SESS_KEY_NEG_RESP
    assert const.CMD_TYPE.RENAME_DEVICE is const.CMD_TYPE.SESS_KEY_NEG_FINISH
    assert const.CMD_TYPE.UNKNOWN == -1
    for name, value in CONSTANTS_1X.items():
        assert const.CMD_TYPE[name] == value


# -- helper ------------------------------------------------------------------------------


def test_helper_hex_as_1x_wrote_it() -> None:
    assert helper.bytes2hex(b"\x00\x55\xaa") == "0055AA"
    assert helper.bytes2hex(b"\x00\x55\xaa", pretty=True) == "00 55 AA "
    assert helper.bytes2hex(b"") == ""
    assert helper.hex2bytes("000055aa") == b"\x00\x00\x55\xaa"


@given(st.binary())
def test_helper_round_trip(data: bytes) -> None:
    assert helper.hex2bytes(helper.bytes2hex(data)) == data
    assert helper.hex2bytes(helper.bytes2hex(data, pretty=True)) == data


def test_modules_are_reachable_from_the_package_as_in_1x() -> None:
    assert tuyaface.aescipher is aescipher
    assert tuyaface.const is const
    assert tuyaface.helper is helper
