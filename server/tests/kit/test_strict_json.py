"""Request bodies are read by jiter first and by the standard library when jiter refuses: whatever
the bytes, the answer is the one the standard library path alone gives (the same value, or an
error), so the faster parser changes nothing a client can see."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from userlink.kit import strict_json

_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
_DOCUMENTS = st.recursive(
    _LEAVES,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=30,
)
# Fragments that make near-miss documents when joined: duplicate keys, bad escapes, lone
# surrogates, NaN, deep nesting, stray bytes.
_FRAGMENTS = st.sampled_from(
    [
        b"{",
        b"}",
        b"[",
        b"]",
        b",",
        b":",
        b'"a"',
        b'"\\ud800"',
        b'"\\u00e9"',
        b'"\\x"',
        b"NaN",
        b"-Infinity",
        b"1e400",
        b"-0",
        b"01",
        b"123456789012345678901234567890",
        b"true",
        b"nul",
        b" ",
        b"\n",
        b"\xef\xbb\xbf",
        b"\xff",
        b"\xed\xa0\x80",
        b'"\t"',
    ]
)


def _outcome(read: Any, data: bytes) -> tuple[str, Any]:
    try:
        value = read(data)
    except json.JSONDecodeError as error:
        return ("error", error.msg)
    return ("value", _comparable(value))


def _comparable(value: Any) -> Any:
    # NaN is not equal to itself; the type matters (1 and 1.0 read differently).
    if isinstance(value, float):
        return ("nan",) if math.isnan(value) else (float, value, math.copysign(1, value))
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    if isinstance(value, dict):
        return {key: _comparable(item) for key, item in value.items()}
    return (type(value), value)


@settings(max_examples=400)
@given(_DOCUMENTS)
def test_every_document_reads_as_the_standard_library_reads_it(document: Any) -> None:
    data = json.dumps(document).encode("utf-8")
    assert _outcome(strict_json.loads, data) == _outcome(strict_json.standard_loads, data)


@settings(max_examples=600)
@given(st.lists(_FRAGMENTS, max_size=12).map(b"".join) | st.binary(max_size=40))
@example(b'{"a": 1, "a": 2}')
@example(b'{"a": {"b": 1, "b": 2}}')
@example(b'"\\ud800"')
@example(b"[" * 5000 + b"]" * 5000)
@example(b"1" * 5000)
def test_any_bytes_get_the_standard_librarys_answer(data: bytes) -> None:
    assert _outcome(strict_json.loads, data) == _outcome(strict_json.standard_loads, data)


@pytest.mark.parametrize(
    "data",
    [b'{"a": 1, "a": 2}', b'{"payloads": [{"x": 1, "x": 1}]}', b"\xef\xbb\xbf{}", b'{"a": "\xff"}'],
)
def test_duplicate_keys_and_bad_encodings_are_refused(data: bytes) -> None:
    with pytest.raises(json.JSONDecodeError):
        strict_json.loads(data)
