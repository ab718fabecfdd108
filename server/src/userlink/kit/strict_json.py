"""Request bodies as JSON, strictly: UTF-8 only (RFC 8259 §8.1; no other encoding guessed from
the bytes, no byte order mark), every object's keys unique (a duplicate key would otherwise keep
its last value silently), and no nesting deep enough to exhaust the parser's stack.

Parsed first by jiter (pydantic's parser, in Rust; it checks the keys as it goes), which is two to
three times faster than the standard library with a hook per object on a batch of payloads
(docs/performance.md). What jiter refuses goes through the standard library path, which then
decides: the same documents are accepted, with the same values, and the same errors are raised as
before jiter (a differential property test, server/tests/kit/test_strict_json.py)."""

from __future__ import annotations

import json
from typing import Any

import jiter


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise _DuplicateKey
    return document


def loads(data: bytes) -> Any:
    """The JSON value of `data`; `json.JSONDecodeError` (a ValueError) when it is not UTF-8 JSON
    with unique keys. The error's message never quotes the input."""
    try:
        return jiter.from_json(
            data, allow_inf_nan=False, cache_mode="keys", catch_duplicate_keys=True
        )
    except ValueError:
        # Refused by jiter: NaN and lone surrogates, which the standard library reads, and every
        # real error, which it words (as it did before jiter).
        return standard_loads(data)


def standard_loads(data: bytes) -> Any:
    """`loads` through the standard library only."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise json.JSONDecodeError("The body is not UTF-8", "", error.start) from None
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except _DuplicateKey:
        raise json.JSONDecodeError("An object repeats a key", "", 0) from None
    except json.JSONDecodeError as error:
        raise json.JSONDecodeError(error.msg, "", error.pos) from None
    except RecursionError:
        raise json.JSONDecodeError("The body nests too deeply", "", 0) from None
    except ValueError as error:
        # An integer of more digits than Python converts (4300 by default).
        raise json.JSONDecodeError("A number is too long", "", 0) from error
