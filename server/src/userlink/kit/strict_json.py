"""Request bodies as JSON, strictly: UTF-8 only (RFC 8259 §8.1; no other encoding guessed from
the bytes, no byte order mark), every object's keys unique (a duplicate key would otherwise keep
its last value silently), and no nesting deep enough to exhaust the parser's stack."""

from __future__ import annotations

import json
from typing import Any


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
