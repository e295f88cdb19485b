"""R13 hostile JSON: parse_json_object / extract_dps raise PayloadError, never anything else."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuyaface_codec import PayloadError, extract_dps, parse_json_object

DEEP = 10_000

HOSTILE = {
    "deep arrays": b'{"dps":' + b"[" * DEEP + b"]" * DEEP + b"}",
    "deep objects": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "deep at top": b"[" * DEEP + b"]" * DEEP,
    "huge integer": b'{"dps":{"1":' + b"9" * 5000 + b"}}",
    "enormous integer": b'{"dps":{"1":' + b"7" * 100_000 + b"}}",
    "huge negative integer": b'{"1":-' + b"1" * 4400 + b"}",
    "float overflow": b'{"dps":{"1":1e999}}',
    "negative float overflow": b'{"dps":{"1":-1e400}}',
    "NaN": b'{"dps":{"1":NaN}}',
    "Infinity": b'{"dps":{"1":Infinity}}',
    "-Infinity": b'{"dps":{"1":-Infinity}}',
    "invalid utf-8": b'{"dps":{"1":"\xff\xfe"}}',
    "overlong utf-8": b'{"dps":{"1":"\xc0\xaf"}}',
    "utf-16": '{"dps":{}}'.encode("utf-16"),
    "utf-8 bom": b'\xef\xbb\xbf{"dps":{}}',
    "truncated": b'{"dps":{"1":tr',
    "bad value inside": b'{"dps":{"1":x}}',
    "trailing comma inside": b'{"dps":[1,]}',
    "trailing garbage": b'{"dps":{}}xyz',
    "two objects": b"{}{}",
    "empty": b"",
    "whitespace": b"   ",
    "nul bytes": b"\x00" * 32,
    "array": b"[1,2]",
    "string": b'"dps"',
    "number": b"42",
    "null": b"null",
    "padding garbage": b'{"dps":{}}\x04\x04\x04\x04',
    "error text": b"json obj data unvalid",
}


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_bodies_are_payload_errors(body: bytes) -> None:
    with pytest.raises(PayloadError):
        parse_json_object(body)


WRONG_DPS = {
    "dps list": {"dps": [1, 2]},
    "dps string": {"dps": "1"},
    "dps number": {"dps": 1},
    "dps true": {"dps": True},
    "data.dps list": {"data": {"dps": [True]}},
    "data.dps string": {"data": {"dps": "on"}},
    "null dps, bad data.dps": {"dps": None, "data": {"dps": 3}},
}


@pytest.mark.parametrize("message", WRONG_DPS.values(), ids=WRONG_DPS.keys())
def test_wrong_dps_types_are_payload_errors(message: dict[str, Any]) -> None:
    with pytest.raises(PayloadError):
        extract_dps(parse_json_object(json.dumps(message).encode()))


def test_good_messages() -> None:
    assert extract_dps(parse_json_object(b'{"devId":"x","dps":{"1":true,"2":0}}')) == {
        "1": True,
        "2": 0,
    }
    push = b'{"protocol":4,"t":1700000000,"data":{"dps":{"1":false}}}'
    assert extract_dps(parse_json_object(push)) == {"1": False}
    assert extract_dps(parse_json_object(b'{"devId":"x"}')) == {}
    assert extract_dps(parse_json_object(b'{"data":"text"}')) == {}
    assert parse_json_object(b'{"1":' + b"9" * 4000 + b"}")["1"] > 10**3999
    assert parse_json_object(b'{"1":1.5e300,"2":-0.0}') == {"1": 1.5e300, "2": -0.0}
    assert parse_json_object(b' \r\n{"1":1}\t ') == {"1": 1}  # JSON whitespace around it


# parse_json_object's messages: json's own for anything but an object at char 0 (that goes
# through JSONDecoder.decode), the scanner's inside an object, ours for data after it.
MESSAGES = {
    b"": "Expecting value: line 1 column 1 (char 0)",
    b"  ": "Expecting value: line 1 column 3 (char 2)",
    b" x": "Expecting value: line 1 column 2 (char 1)",
    b"-": "Expecting value: line 1 column 1 (char 0)",
    b"[1] x": "Extra data: line 1 column 5 (char 4)",
    b"5 5": "Extra data: line 1 column 3 (char 2)",
    b" {} x": "Extra data: line 1 column 5 (char 4)",
    b"[1, x]": "Expecting value: line 1 column 5 (char 4)",
    b"\n[1,2": "Expecting ',' delimiter: line 2 column 5 (char 5)",
    b"NaN": "NaN is not valid JSON",
    b"{} x": "extra data after the object at char 2",
    b'{"a":1}\x00': "extra data after the object at char 7",
    b'{"a":x}': "Expecting value: line 1 column 6 (char 5)",
    b'{"a":[1,}': "Expecting value: line 1 column 9 (char 8)",
    b"{": "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
    b'{"a":1e999}': "number out of range",
}
NOT_OBJECTS = {b"[1]": "list", b" [1]": "list", b'"s"': "str", b"5": "int", b"null": "NoneType"}


@pytest.mark.parametrize("body", MESSAGES, ids=repr)
def test_invalid_json_is_reported_with_the_same_messages(body: bytes) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_json_object(body)
    assert str(caught.value) == f"device sent a payload that is not valid JSON: {MESSAGES[body]}"
    assert caught.value.__suppress_context__


@pytest.mark.parametrize("body", NOT_OBJECTS, ids=repr)
def test_other_json_values_are_named(body: bytes) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_json_object(body)
    assert str(caught.value) == f"device sent JSON {NOT_OBJECTS[body]}, expected an object"


def test_payload_errors_say_what_happened_without_echoing_the_payload() -> None:
    secret = b'{"dps":{"1":"s3cr3t-value"' + b"\xff" + b"}}"
    with pytest.raises(PayloadError) as caught:
        parse_json_object(secret)
    assert "s3cr3t" not in str(caught.value) and "ff" not in str(caught.value)
    assert "UTF-8" in str(caught.value)
    with pytest.raises(PayloadError, match="JSON") as caught:
        parse_json_object(b'{"dps":{"1":"s3cr3t-value"}')
    assert "s3cr3t" not in str(caught.value)


json_text = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=20,
).map(lambda value: json.dumps(value, allow_nan=True).encode())


@given(body=st.one_of(st.binary(max_size=300), json_text))
def test_any_bytes_give_a_dict_or_a_payload_error(body: bytes) -> None:
    """The read loop's contract: a dict, or PayloadError; nothing else escapes."""
    try:
        message = parse_json_object(body)
    except PayloadError:
        return
    assert isinstance(message, dict)
    try:
        dps = extract_dps(message)
    except PayloadError:
        return
    assert isinstance(dps, dict)
